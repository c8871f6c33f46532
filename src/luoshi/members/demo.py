"""The member register of the demo district (党员名册): about 20,000 members spread over every organization that
holds members, with the values a real register has — names, sexes, ethnic groups, 公民身份号码 agreeing with the
birth date and sex, education by age, posts (older members mostly retired), unique mobile numbers, addresses in
西湖区 (流动党员 living elsewhere in China), a few probationary members, a few who lost contact. Every sitting
secretary of a branch is a member of their own branch (so the branch persona finds themselves in the register),
and so is the `member` persona.

Written in bulk with one history row per member ("演示数据：初始名册", by the org_officer persona).

The register also carries the deliberate flaws the member sweep and the duplicate search must find:

* 8 duplicate registrations (``DUPLICATE_PAIRS``): the same person registered in a second branch (in another
  community) with the same birth date, sex and joining dates but a new phone number, the second copy's name the
  same or a homophone (张伟/张玮), its national ID with one digit mistyped or two adjacent digits swapped — so the
  second copy's ID fails the check digit, as legacy data does, and the two never share an ID;
* 15 members without a mobile number (``NO_PHONE``);
* 10 members kept on a community committee that holds no members (空挂, ``UNATTACHED``);
* 6 members whose national ID has a wrong check digit (``BAD_CHECK_DIGIT``).

So 14 active members have an ID failing the check (8 + 6); every other ID is valid and agrees with the birth date
and sex. The flawed records are all distinct, none of them a secretary or a persona.

``sample_rows`` gives rows of the 16-column member sheet for new members, some with one realistic mistake each,
for the example import.
"""

import bisect
import itertools
from datetime import date, timedelta

from simple_history.utils import bulk_create_with_history

from luoshi.demo.build import AREA
from luoshi.members.models import Member
from luoshi.members.services import initials_of
from luoshi.orgs.idcard import check_digit, national_id_errors
from luoshi.orgs.models import OrgKind, Person, Position, PositionKind
from luoshi.orgs.services import add_years

TARGET = 20_000  # members in the district register, the duplicate second copies included
DUPLICATE_PAIRS = 8
NO_PHONE = 15
UNATTACHED = 10
BAD_CHECK_DIGIT = 6
CHANGE_REASON = "演示数据：初始名册"

COMMUNITY_BRANCH_SIZE = (40, 150)
OTHER_SIZE = (10, 60)
PROBATIONARY_SHARE = 0.03
MOBILE_SHARE = 0.017  # plus a larger share in the 流动党员 branches: ≈2% overall
LOST_SHARE = 0.004

OTHER_AREAS = ("330102", "330105", "330108", "330110", "330122", "330183", "330302", "330602")
ETHNICITIES = (("汉族", 975), ("回族", 6), ("满族", 5), ("畲族", 8), ("土家族", 3), ("苗族", 3))
EDUCATION = ("研究生", "大学本科", "大学专科", "中等专科", "高中", "初中及以下")
# weights of EDUCATION by decade of birth
EDUCATION_BY_DECADE = {
    1930: (0, 4, 8, 15, 25, 48),
    1940: (0, 5, 10, 15, 25, 45),
    1950: (1, 7, 12, 20, 30, 30),
    1960: (2, 16, 22, 20, 25, 15),
    1970: (5, 30, 28, 14, 15, 8),
    1980: (12, 45, 25, 8, 7, 3),
    1990: (16, 52, 22, 5, 4, 1),
    2000: (10, 58, 24, 4, 3, 1),
}
POSTS = (
    ("企业职工", 26),
    ("个体经营者", 10),
    ("社区工作者", 7),
    ("教师", 7),
    ("事业单位职工", 7),
    ("医生", 4),
    ("公务员", 5),
    ("自由职业者", 6),
    ("退役军人", 2),
    ("无固定职业", 3),
    ("农民", 1),
)
OFFICE_POSTS = (("公务员", 60), ("事业单位职工", 28), ("社区工作者", 12))
MOBILE_POSTS = (("外出务工", 60), ("外出经商", 28), ("外地就业", 12))
GRADUATE_POSTS = {"教师", "医生", "公务员"}
ROADS = (
    "文三路",
    "文二路",
    "文一西路",
    "学院路",
    "教工路",
    "天目山路",
    "古墩路",
    "莫干山路",
    "西溪路",
    "紫金港路",
    "余杭塘路",
    "留下街",
    "转塘街",
    "龙井路",
    "曙光路",
    "黄龙路",
    "保俶路",
    "求是路",
    "萍水街",
    "丰潭路",
    "申花路",
    "三墩路",
    "花蒋路",
    "之江路",
)
ELSEWHERE = (
    "广东省深圳市宝安区",
    "广东省广州市天河区",
    "广东省东莞市长安镇",
    "上海市浦东新区",
    "上海市闵行区",
    "江苏省苏州市工业园区",
    "江苏省南京市江宁区",
    "北京市朝阳区",
    "福建省厦门市思明区",
    "四川省成都市武侯区",
    "湖北省武汉市洪山区",
    "海南省三亚市吉阳区",
    "新疆维吾尔自治区乌鲁木齐市天山区",
    "天津市滨海新区",
)
ELSEWHERE_ROADS = ("人民路", "建设路", "中山路", "解放路", "新华路", "和平路", "长江路", "振兴路", "创业路")
# a given-name character and one that sounds the same (and has the same pinyin initial)
HOMOPHONES = {
    "伟": "玮",
    "静": "婧",
    "丽": "莉",
    "军": "君",
    "明": "铭",
    "华": "桦",
    "红": "虹",
    "燕": "艳",
    "峰": "锋",
    "涛": "韬",
    "芳": "方",
    "斌": "彬",
    "辉": "晖",
    "英": "瑛",
    "梅": "玫",
    "平": "萍",
    "成": "诚",
    "建": "健",
    "志": "智",
    "杰": "洁",
    "林": "琳",
    "晨": "辰",
    "宇": "雨",
    "飞": "菲",
    "勇": "永",
    "磊": "蕾",
    "娟": "鹃",
    "婷": "亭",
    "颖": "莹",
    "俊": "骏",
    "亮": "谅",
}
# how each of the eight pairs was mistyped: (name, national ID)
PAIR_KINDS = (("homophone", "digit"), ("same", "swap"), ("homophone", "swap"), ("same", "digit")) * 2
# the one mistake of each flawed sheet row, in turn
ROW_MISTAKES = ("check_digit", "birth_date", "short_phone", "early_full_on", "unknown_org")


def _cumulative(weighted):
    values = [v for v, _w in weighted]
    return values, list(itertools.accumulate(w for _v, w in weighted))


class _Register:
    """Draws members: everything from the builder's random generator, IDs and phones never repeated."""

    def __init__(self, builder, *, used_ids=(), used_phones=()):
        self.builder = builder
        self.rng = builder.rng
        self.today = builder.today
        self.first17 = {i[:17] for i in used_ids if i}
        self.phones = set(used_phones)
        self.last_birth_year = min(2004, self.today.year - 20)
        self._initials = {}
        self._years = {}
        self._ethnicities = _cumulative(ETHNICITIES)
        self._posts = _cumulative(POSTS)
        self._rural_posts = _cumulative([(p, 18 if p == "农民" else w) for p, w in POSTS])
        self._office_posts = _cumulative(OFFICE_POSTS)
        self._mobile_posts = _cumulative(MOBILE_POSTS)

    # --- single values ----------------------------------------------------------------------------------

    def pick(self, cumulative):
        values, cum = cumulative
        return values[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def initials(self, name: str) -> str:
        if name not in self._initials:
            self._initials[name] = initials_of(name)
        return self._initials[name]

    def birth_years(self, profile: str):
        if profile not in self._years:
            last = self.last_birth_year
            weighted = []
            for year in range(1938, last + 1):
                if profile == "retired":
                    weight = 3 if year < 1950 else 2 if year < 1960 else 0.6 if year < 1966 else 0
                elif profile == "office":
                    weight = 0 if year < 1966 or year > self.today.year - 22 else 1.5 if year < 1995 else 0.8
                elif profile == "mobile":
                    weight = 0 if year < 1965 or year > 2002 else 1.2 if year < 1995 else 0.8
                else:
                    weight = (
                        0.6
                        if year < 1950
                        else 1.6
                        if year < 1960
                        else 1.8
                        if year < 1970
                        else 1.6
                        if year < 1980
                        else 1.5
                        if year < 1991
                        else 0.8
                        if year < 2000
                        else 0.4
                    )
                weighted.append((year, weight))
            self._years[profile] = _cumulative(weighted)
        return self._years[profile]

    def birth_date(self, profile: str) -> date:
        year = self.pick(self.birth_years(profile))
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    def national_id(self, birth: date, sex: str) -> str:
        rng = self.rng
        while True:
            area = AREA if rng.random() < 0.86 else rng.choice(OTHER_AREAS)
            seq = rng.randrange(500) * 2 + (1 if sex == "M" else 0)
            first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
            if first17 not in self.first17:
                self.first17.add(first17)
                return first17 + check_digit(first17)

    def phone(self) -> str:
        rng = self.rng
        while True:
            phone = f"1{rng.choice('3333355555888887799946')}{rng.randrange(10**9):09d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def education(self, birth: date, post: str) -> str:
        if post in GRADUATE_POSTS:
            return self.rng.choices(EDUCATION[:3], weights=(15, 65, 20))[0]
        if post == "学生":
            return self.rng.choices(EDUCATION[:2], weights=(30, 70))[0]
        decade = min(max(birth.year // 10 * 10, 1930), 2000)
        return self.rng.choices(EDUCATION, weights=EDUCATION_BY_DECADE[decade])[0]

    def post(self, profile: str, age: int, sex: str, rural: bool) -> str:
        rng = self.rng
        if profile == "mobile_member":
            return self.pick(self._mobile_posts)
        if age >= (60 if sex == "M" else 55) and (profile != "office" or age >= 60):
            if rng.random() < 0.9:
                return "退休"
        if profile == "office":
            return self.pick(self._office_posts)
        if age < 25 and rng.random() < 0.55:
            return "学生"
        return self.pick(self._rural_posts if rural else self._posts)

    def residence(self, org_name: str, *, mobile: bool) -> str:
        rng = self.rng
        if mobile:
            return f"{rng.choice(ELSEWHERE)}{rng.choice(ELSEWHERE_ROADS)}{rng.randint(1, 999)}号"
        if "村" in org_name:
            village = org_name.split("村", 1)[0]
            return f"杭州市西湖区{village}村{rng.randint(1, 12)}组{rng.randint(1, 120)}号"
        return (
            f"杭州市西湖区{rng.choice(ROADS)}{rng.randint(1, 600)}号{rng.randint(1, 30)}幢"
            f"{rng.randint(1, 4)}单元{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
        )

    # --- a member -----------------------------------------------------------------------------------------

    def joined(self, birth: date, *, probationary: bool) -> tuple[date, date | None] | None:
        """Joining and full-membership dates, or None when the birth date leaves no room for a full member."""
        rng = self.rng
        if probationary:
            joined = self.today - timedelta(days=rng.randrange(365))
            return (joined, None) if add_years(birth, 18) <= joined else None
        latest = self.today - timedelta(days=396)  # full member for at least a year, full_on not after today
        earliest = add_years(birth, 18)
        if earliest > latest:
            return None
        r = rng.random()
        age = rng.randint(18, 19) if r < 0.08 else rng.randint(20, 39) if r < 0.88 else rng.randint(40, 55)
        joined = add_years(birth, age) + timedelta(days=rng.randrange(365))
        if joined > latest:
            joined = earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))
        return joined, add_years(joined, 1) + timedelta(days=rng.randint(0, 30))

    def member(self, org, *, profile: str, name=None, sex=None, national_id=None, phone=None) -> dict:
        """One member's fields. `name`/`sex`/`national_id`/`phone` given for a known person."""
        rng = self.rng
        today = self.today
        sex = sex or ("M" if rng.random() < 0.58 else "F")
        known = national_id is not None
        probationary = not known and rng.random() < PROBATIONARY_SHARE
        while True:
            if known:
                birth = date(int(national_id[6:10]), int(national_id[10:12]), int(national_id[12:14]))
            elif probationary:
                age = rng.choices((rng.randint(18, 25), rng.randint(26, 35), rng.randint(36, 50)), (5, 4, 1))[
                    0
                ]
                birth = add_years(today, -age) - timedelta(days=rng.randrange(365))
                if birth.year > self.last_birth_year:
                    birth = date(self.last_birth_year, 1, 1) + timedelta(days=rng.randrange(365))
            else:
                birth = self.birth_date(profile)
            dates = self.joined(birth, probationary=probationary)
            if dates is not None:
                break
            if known:  # a person too young for a year of membership: a probationary member
                probationary = True
        joined, full_on = dates
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        mobile = (
            not known
            and profile != "office"
            and 18 <= age < 60
            and rng.random() < (0.2 if profile == "mobile" else MOBILE_SHARE)
        )
        post = self.post("mobile_member" if mobile else profile, age, sex, "村" in org.name)
        lost_since = None
        if not known and not probationary and profile != "office" and rng.random() < LOST_SHARE:
            since = today - timedelta(days=rng.randint(61, 912))  # 2 to 30 months ago
            if since > full_on:
                lost_since = since
        return {
            "name": name or self.builder.person_name(),
            "sex": sex,
            "ethnicity": self.pick(self._ethnicities),
            "national_id": national_id or self.national_id(birth, sex),
            "birth_date": birth,
            "education": self.education(birth, post),
            "category": "probationary" if probationary else "full",
            "organization": org,
            "joined_on": joined,
            "full_on": full_on,
            "post": post,
            "phone": phone or self.phone(),
            "residence": self.residence(org.name, mobile=mobile),
            "mobile": mobile,
            "lost_contact": lost_since is not None,
            "lost_contact_since": lost_since,
        }

    def model(self, fields: dict) -> Member:
        return Member(initials=self.initials(fields["name"]), **fields)


def _profile(org) -> str:
    name = org.name
    if "离退休" in name or "老干部" in name:
        return "retired"
    if "流动党员" in name:
        return "mobile"
    if org.kind == OrgKind.BRANCH and "机关" in name:
        return "office"
    return "normal"


def _sizes(rng, holders) -> dict[int, int]:
    """Members per organization: community branches 40–150, the others 10–60, the community branches' sizes
    above their minimum scaled so that the register totals TARGET."""
    low, high = COMMUNITY_BRANCH_SIZE
    sizes = {}
    excess = {}
    for org in holders:
        if org.kind == OrgKind.BRANCH and org.depth >= 4:
            excess[org.pk] = rng.expovariate(1 / 30)
        else:
            sizes[org.pk] = rng.randint(*OTHER_SIZE)
    want = TARGET - DUPLICATE_PAIRS - sum(sizes.values()) - low * len(excess)
    scale = max(0.0, want / sum(excess.values())) if excess else 0.0
    for pk, extra in excess.items():
        sizes[pk] = min(high, low + round(extra * scale))
    # settle the rounding (and the capping) on the community branches, within their bounds
    community = list(excess)
    gap = TARGET - DUPLICATE_PAIRS - sum(sizes.values())
    for _n in range(abs(gap) * 4):
        if gap == 0 or not community:
            break
        pk = rng.choice(community)
        step = 1 if gap > 0 else -1
        if low <= sizes[pk] + step <= high:
            sizes[pk] += step
            gap -= step
    return sizes


def _mistype(rng, national_id: str, how: str, taken: set[str]) -> str | None:
    """The ID as a clerk mistyped it (one digit wrong, or two adjacent digits swapped), the check digit kept."""
    if how == "swap":
        if national_id[14] == national_id[15]:
            return None
        typed = national_id[:14] + national_id[15] + national_id[14] + national_id[16:]
    else:
        at = rng.choice((3, 4, 5, 14, 15))
        digit = rng.choice([d for d in "0123456789" if d != national_id[at]])
        typed = national_id[:at] + digit + national_id[at + 1 :]
    return None if typed[:17] in taken else typed


def _wrong_check_digit(rng, national_id: str) -> str:
    return national_id[:17] + rng.choice([c for c in "0123456789X" if c != national_id[17]])


def build(builder, levels, personas) -> None:
    rng = builder.rng
    orgs = [org for level in levels for org in level if getattr(org, "archived_at", None) is None]
    holders = [org for org in orgs if org.holds_members]
    by_pk = {org.pk: org for org in orgs}
    register = _Register(builder, used_phones=Member.objects.values_list("phone", flat=True))
    register.first17 |= {i[:17] for i in Member.objects.active().values_list("national_id", flat=True)}

    # the people who must be in their own branch's register: sitting secretaries, the member persona
    known: dict[int, list] = {}
    secretaries = (
        Position.objects.current(on=builder.today)
        .filter(kind=PositionKind.SECRETARY, organization_id__in=[o.pk for o in holders])
        .select_related("person")
        .order_by("organization_id", "id")
    )
    seen_people = set()
    for position in secretaries:
        if position.person_id not in seen_people:
            seen_people.add(position.person_id)
            known.setdefault(position.organization_id, []).append(position.person)
    member_persona = personas.get("member")
    if member_persona is not None and member_persona["org"].holds_members:
        person = Person.objects.filter(user=member_persona["user"]).first()
        if person is not None and person.pk not in seen_people:
            seen_people.add(person.pk)
            known.setdefault(member_persona["org"].pk, []).append(person)

    sizes = _sizes(rng, holders)
    records: list[dict] = []
    protected = set()  # indexes of the known people: never given a flaw
    for org in holders:
        profile = _profile(org)
        people = known.get(org.pk, [])
        for person in people:
            national_id = person.national_id.upper()
            if national_id_errors(national_id) or national_id[:17] in register.first17:
                national_id = None
            else:
                register.first17.add(national_id[:17])
            sex = person.sex or None
            if national_id and not sex:
                sex = "M" if int(national_id[16]) % 2 else "F"
            phone = person.phone if len(person.phone) == 11 and person.phone not in register.phones else None
            if phone:
                register.phones.add(phone)
            fields = register.member(
                org,
                profile="office" if profile == "office" else "normal",
                name=person.name,
                sex=sex,
                national_id=national_id,
                phone=phone,
            )
            if fields["post"] in ("学生", "无固定职业"):
                fields["post"] = "社区工作者"
            protected.add(len(records))
            records.append(fields)
        for _n in range(max(0, sizes[org.pk] - len(people))):
            records.append(register.member(org, profile=profile))

    # --- the deliberate flaws -----------------------------------------------------------------------------
    def plain(i):
        r = records[i]
        return (
            i not in protected
            and r["category"] == "full"
            and not r["mobile"]
            and not r["lost_contact"]
            and r["organization"].kind == OrgKind.BRANCH
            and r["organization"].depth >= 4
        )

    candidates = [i for i in range(len(records)) if plain(i)]
    rng.shuffle(candidates)
    flawed = set()

    duplicates = []
    communities = {}
    for org in holders:
        community = _community_of(org, by_pk)
        if community is not None:
            communities.setdefault(community.pk, []).append(org)
    for name_kind, id_kind in PAIR_KINDS:
        for i in candidates:
            first = records[i]
            if i in flawed:
                continue
            given = first["name"][1:]
            if name_kind == "homophone" and not any(c in HOMOPHONES for c in given):
                continue
            typed = _mistype(rng, first["national_id"], id_kind, register.first17)
            if typed is None:
                continue
            home = _community_of(first["organization"], by_pk)
            elsewhere = [pk for pk in sorted(communities) if home is None or pk != home.pk]
            if not elsewhere:
                continue
            other = rng.choice(communities[rng.choice(elsewhere)])
            break
        else:
            continue
        flawed.add(i)
        register.first17.add(typed[:17])
        name = first["name"]
        if name_kind == "homophone":
            at = 1 + next(k for k, c in enumerate(given) if c in HOMOPHONES)
            name = name[:at] + HOMOPHONES[name[at]] + name[at + 1 :]
        second = dict(first, name=name, national_id=typed, organization=other, phone=register.phone())
        second["residence"] = register.residence(other.name, mobile=False)
        duplicates.append(second)

    rest = [i for i in candidates if i not in flawed]
    no_phone = rest[:NO_PHONE]
    unattached = rest[NO_PHONE : NO_PHONE + UNATTACHED]
    bad_check = rest[NO_PHONE + UNATTACHED : NO_PHONE + UNATTACHED + BAD_CHECK_DIGIT]
    for i in no_phone:
        register.phones.discard(records[i]["phone"])
        records[i]["phone"] = ""
    for i in unattached:
        community = _community_of(records[i]["organization"], by_pk)
        if community is None or community.holds_members:
            community = rng.choice([o for o in orgs if o.kind == OrgKind.COMMUNITY and not o.holds_members])
        records[i]["organization"] = community
    for i in bad_check:
        records[i]["national_id"] = _wrong_check_digit(rng, records[i]["national_id"])

    members = [register.model(fields) for fields in records + duplicates]
    bulk_create_with_history(
        members,
        Member,
        batch_size=2000,
        default_user=personas["org_officer"]["user"],
        default_change_reason=CHANGE_REASON,
    )
    from luoshi.members.obligations import full_membership_sync

    full_membership_sync()
    _imports(builder, personas, holders)
    _transfers(builder, personas, holders)
    _dues(builder, personas)


def sweep(builder, personas) -> None:
    """A sweep of the whole district, run as the office runs it, with a few findings already answered and dealt
    with, so that the report shows progress; the branch secretary persona's branch has findings to answer."""
    from luoshi.members import sweeps
    from luoshi.members.models import SweepFinding

    officer = personas["org_officer"]["user"]
    root = personas["org_officer"]["org"]
    # the persona's branch recorded a member out of touch since the spring: the sweep will find it there
    from luoshi.members import services

    mine = personas["branch_secretary"]["org"]
    member = Member.objects.active().filter(organization=mine, category="full").order_by("-pk").first()
    services.member_update(
        by=personas["branch_secretary"]["user"],
        member=member,
        values={"lost_contact": True, "lost_contact_since": builder.today - timedelta(days=240)},
        reason="支部核查登记失联",
    )
    # the duplicate search first (its pairs await review in 党员 → 重复登记), so the sweep has its data
    from luoshi.members import duplicates

    duplicates.search(by=officer, organization=root)
    sweep = sweeps.sweep_open(
        by=officer, organization=root, title=f"{builder.today.year}年党员组织关系集中排查", queue=False
    )
    sweeps.sweep_run(sweep.pk)
    for finding in SweepFinding.objects.filter(sweep=sweep, rule="invalid_data").order_by("pk")[:4]:
        sweeps.finding_answer(by=officer, finding=finding, answer="经与本人核对，信息登记有误。")
        sweeps.finding_outcome(
            by=officer, finding=finding, outcome="rectify", deadline=builder.today + timedelta(days=15)
        )
    for finding in SweepFinding.objects.filter(sweep=sweep, rule="no_dues").order_by("pk")[:3]:
        sweeps.finding_answer(
            by=officer, finding=finding, answer="经支部谈话，本人因长期外出务工未能按时交纳，已补交。"
        )
        sweeps.finding_outcome(by=officer, finding=finding, outcome="educate")


def _dues(builder, personas) -> None:
    """The year's monthly dues of every member by the 2008 rules (salary or pension drawn by age and post), and
    the payments of the months gone by: most paid on time, some a few months behind, about one member in two
    hundred nothing for six months or more (what the sweep looks for). The branch secretary persona also keeps
    the branch's dues (the dues-keeper role)."""
    from decimal import Decimal

    from luoshi.accounts.models import Role
    from luoshi.accounts.services import role_grant
    from luoshi.members import dues
    from luoshi.members.models import DuesAssessment, DuesPayment

    rng = builder.rng
    today = builder.today
    officer = personas["org_officer"]["user"]
    secretary = personas["branch_secretary"]
    role_grant(
        by=None,
        user=secretary["user"],
        role=Role.objects.get(code="dues_keeper"),
        organization=secretary["org"],
    )
    rules = dues.rules_on(date(today.year, 1, 1))
    assessments, payments = [], []
    months = [date(today.year, n, 1) for n in range(1, today.month)]
    this_month = today.replace(day=1)
    for member in Member.objects.active().only("id", "birth_date", "post").iterator(chunk_size=5000):
        age = today.year - member.birth_date.year
        if member.post == "学生":
            basis, income = "student", None
        elif member.post == "农民":
            basis, income = "farmer", None
        elif age >= 60 or member.post == "退休":
            basis, income = "retired", Decimal(rng.randrange(2600, 9000, 50))
        else:
            basis, income = "employed", Decimal(rng.randrange(2200, 16000, 50))
        amount, _rule = dues.monthly_amount(basis, income, rules)
        assessments.append(
            DuesAssessment(
                member=member,
                year=today.year,
                basis=basis,
                monthly_income=income,
                monthly_amount=amount,
                decided_by=officer,
            )
        )
        roll = rng.random()
        behind = rng.randint(6, 9) if roll < 0.005 else rng.randint(1, 4) if roll < 0.04 else 0
        for month in months[: max(0, len(months) - behind)]:
            payments.append(
                DuesPayment(
                    member=member,
                    month=month,
                    amount=amount,
                    paid_on=month + timedelta(days=rng.randint(2, 25)),
                    entered_by=officer,
                )
            )
        if not behind and rng.random() < 0.8:  # most have paid this month already
            payments.append(
                DuesPayment(
                    member=member,
                    month=this_month,
                    amount=amount,
                    paid_on=this_month + timedelta(days=rng.randint(0, today.day - 1)),
                    entered_by=officer,
                )
            )
    bulk_create_with_history(
        assessments,
        DuesAssessment,
        batch_size=2000,
        default_user=officer,
        default_change_reason=CHANGE_REASON,
    )
    DuesPayment.objects.bulk_create(payments, batch_size=5000)


def _transfers(builder, personas, holders) -> None:
    """Letters a user finds under 党员 → 组织关系转接: one coming into the persona's branch to receive, one sent
    from it and past its validity, one received, one to an organization outside the district."""
    from luoshi.members import services

    officer = personas["org_officer"]["user"]
    mine = personas["branch_secretary"]["org"]
    others = [o for o in holders if o.pk != mine.pk and o.kind == OrgKind.BRANCH]
    rng = builder.rng
    incoming = Member.objects.active().filter(organization=rng.choice(others)).order_by("pk").first()
    services.transfer_issue(
        by=officer,
        member=incoming,
        to_organization=mine,
        reason="居住地变更",
        today=builder.today - timedelta(days=9),
    )
    mine_members = list(
        Member.objects.active().filter(organization=mine, category="full").order_by("pk")[5:8]
    )
    services.transfer_issue(
        by=officer,
        member=mine_members[0],
        to_organization=rng.choice(others),
        reason="工作调动",
        today=builder.today - timedelta(days=41),
    )
    done = services.transfer_issue(
        by=officer,
        member=mine_members[1],
        to_organization=rng.choice(others),
        reason="搬迁",
        today=builder.today - timedelta(days=60),
    )
    services.transfer_receive(by=officer, transfer=done, note="本人已到支部报到")
    services.transfer_issue(
        by=officer,
        member=mine_members[2],
        to_name="上海市浦东新区某街道第三党支部",
        reason="迁居上海",
        today=builder.today - timedelta(days=12),
    )


def _imports(builder, personas, holders) -> None:
    """Two imports a new user finds in 党员 → 从 Excel 导入: a street's new members imported, and a branch's
    file refused with its errors listed (download them, fix them, upload again)."""
    import io

    from django.core.files.base import ContentFile
    from openpyxl import Workbook

    from luoshi.members import services
    from luoshi.members.validation import HEADERS

    def sheet(rows, name):
        wb = Workbook()
        ws = wb.active
        ws.append(HEADERS)
        for r in rows:
            ws.append(r)
        out = io.BytesIO()
        wb.save(out)
        return ContentFile(out.getvalue(), name=name)

    officer = personas["org_officer"]["user"]
    street = _first_street(holders)
    branches = [o for o in holders if o.path.startswith(street.path)]
    rows = sample_rows(builder, branches, 12, flawed=0)
    job = services.import_start(
        by=officer, organization=street, upload=sheet(rows, f"{street.name}新发展党员.xlsx"), queue=False
    )
    services.import_commit(by=officer, job=services.import_check(job.pk), queue=False)
    secretary = personas["branch_secretary"]
    branch = secretary["org"]
    rows = sample_rows(builder, [branch], 8, flawed=3)
    job = services.import_start(
        by=secretary["user"],
        organization=branch,
        upload=sheet(rows, f"{branch.name}党员信息更新.xlsx"),
        queue=False,
    )
    services.import_check(job.pk)


def _first_street(holders):
    """The first street (in tree order) with organizations holding members below it."""
    from luoshi.orgs.models import Organization

    streets = Organization.objects.filter(kind=OrgKind.STREET, archived_at=None).order_by("path")
    return next(s for s in streets if any(o.path.startswith(s.path) for o in holders))


def _community_of(org, by_pk):
    """The community (village) organization above `org`, or None (a street's own branch)."""
    while org is not None:
        if org.kind == OrgKind.COMMUNITY:
            return org
        org = by_pk.get(org.parent_id)
    return None


# --- the example import ---------------------------------------------------------------------------------------


def sample_rows(builder, organizations, n: int, *, flawed: int) -> list[list]:
    """`n` rows of the member sheet (validation.HEADERS' 16 columns) for members not yet in the register,
    `flawed` of them with one realistic mistake each: a wrong check digit, a birth date differing from the ID's,
    a 10-digit phone, a 转正日期 less than a year after 入党日期, an organization code that does not exist."""
    rng = builder.rng
    organizations = [o for o in organizations if getattr(o, "archived_at", None) is None]
    codes = {o.code for o in organizations}
    targets = [o for o in organizations if o.holds_members] or organizations
    register = _Register(
        builder,
        used_ids=Member.objects.values_list("national_id", flat=True),
        used_phones=Member.objects.values_list("phone", flat=True),
    )
    wrong = set(rng.sample(range(n), min(flawed, n)))
    rows = []
    mistakes = itertools.cycle(ROW_MISTAKES)
    for index in range(n):
        org = rng.choice(targets)
        fields = register.member(org, profile=_profile(org))
        mistake = next(mistakes) if index in wrong else None
        if mistake == "early_full_on" and fields["category"] != "full":
            while fields["category"] != "full":
                fields = register.member(org, profile=_profile(org))
        code = org.code
        if mistake == "check_digit":
            fields["national_id"] = _wrong_check_digit(rng, fields["national_id"])
        elif mistake == "birth_date":
            shift = rng.choice((-1, 1)) * rng.randint(1, 400)
            birth = fields["birth_date"] + timedelta(days=shift)
            if add_years(birth, 18) > fields["joined_on"] or birth > builder.today:
                birth = fields["birth_date"] - timedelta(days=rng.randint(1, 400))
            fields["birth_date"] = birth
        elif mistake == "short_phone":
            fields["phone"] = fields["phone"][:10]
        elif mistake == "early_full_on":
            fields["full_on"] = fields["joined_on"] + timedelta(days=rng.randint(150, 340))
        elif mistake == "unknown_org":
            while code in codes:
                at = rng.randrange(max(0, len(org.code) - 4), len(org.code))
                code = org.code[:at] + rng.choice("0123456789") + org.code[at + 1 :]
        rows.append(
            [
                fields["name"],
                "男" if fields["sex"] == "M" else "女",
                fields["ethnicity"],
                fields["national_id"],
                fields["birth_date"],
                fields["education"],
                "正式党员" if fields["category"] == "full" else "预备党员",
                code,
                fields["joined_on"],
                fields["full_on"],
                fields["post"],
                fields["phone"],
                fields["residence"],
                "是" if fields["mobile"] else "否",
                "是" if fields["lost_contact"] else "否",
                fields["lost_contact_since"],
            ]
        )
    return rows
