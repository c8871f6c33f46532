"""The demo district, reproducible from a seed.

The tree, people, positions and terms are written with bulk inserts, level by level, so the province size
(≈100,000 organizations) takes minutes. At district size the obligations then go through the real engine
(`obligation_create`, the sweep, decisions), so the demo shows every state exactly as production makes them.
At the larger sizes obligations are bulk-inserted with their schedule and the first sweep moves them.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from luoshi.accounts.models import Role, User
from luoshi.accounts.services import role_grant, roles_sync
from luoshi.core import obligations as engine
from luoshi.core.db import refresh_statistics
from luoshi.core.models import Escalation, EscalationStatus, Obligation, ObligationState
from luoshi.demo import names
from luoshi.orgs.idcard import check_digit
from luoshi.orgs.models import Organization, OrgKind, Person, Position, PositionKind, Term
from luoshi.orgs.services import add_years, term_years
from luoshi.orgs.tree import child_path, depth_of, segment


@dataclass(frozen=True)
class Size:
    streets: int
    communities_per_street: tuple[int, int]
    branches_per_community: tuple[int, int]
    committee: bool  # every organization gets its committee members (district size) or a secretary only


SIZES = {
    "district": Size(8, (7, 8), (4, 6), True),
    # ≈10,000 and ≈100,000 organizations (each street brings about 57 with its communities and branches)
    "city": Size(175, (7, 9), (5, 6), False),
    "province": Size(1750, (7, 9), (5, 6), False),
}
AREA = "330106"
PERSONAS = [
    # username, role, where, display name
    ("district_admin", "district_admin", "district", "区委组织部 系统管理员"),
    ("org_officer", "org_officer", "district", "区委组织部 组织科"),
    ("discipline_officer", "discipline_officer", "district", "区纪委监委 监督检查室"),
    ("publicity_officer", "publicity_officer", "district", "区委宣传部 宣传科"),
    ("street_secretary", "street_secretary", "street", None),
    ("branch_secretary", "branch_secretary", "branch", None),
    ("member", "member", "branch", None),
    ("inspector", "inspector", "district", "区委督查室 督查组"),
    ("auditor", "auditor", "district", "区委巡察办 审计"),
]
TWO_FACTOR_PERSONAS = {"district_admin", "discipline_officer"}
DEMO_DEVICE_NAME = "demo authenticator"  # `luoshi totp-code` answers for these devices only


class Builder:
    def __init__(self, *, seed: int, size: str, password: str, today: date | None = None, out=print):
        self.rng = random.Random(seed)
        self.seed = seed
        self.size = SIZES[size]
        self.size_name = size
        self.password = password
        self.today = today or timezone.localdate()
        self.out = out
        self.code_seq = 0
        self.person_seq = 0

    # --- the demo's calendar ----------------------------------------------------------------------------
    # The demo looks the same on any build day: its work year (letters, the work plan, the assessment) is the
    # one that began about nine and a half months before the build day, and its (month, day) dates are counted
    # from that start. Built on 3 December that is this year's calendar; built on 1 January, it is last year's
    # work being closed (deadlines past and overdue, reports awaiting acceptance), not an empty new year.
    WORK_YEAR_AGE = timedelta(days=290)
    WORK_YEAR_START = (2, 16)  # the (month, day) the work year's start stands for

    @property
    def work_year(self) -> int:
        return (self.today - self.WORK_YEAR_AGE).year

    def work_day(self, month: int, day: int) -> date:
        """The day on which the work year's (month, day) falls (1 January is before its start)."""
        start = self.today - self.WORK_YEAR_AGE
        return start + (date(2001, month, day) - date(2001, *self.WORK_YEAR_START))  # 2001: not a leap year

    # --- helpers ---------------------------------------------------------------------------------------

    def next_code(self) -> str:
        self.code_seq += 1
        return f"{AREA}{self.code_seq:09d}"

    def person_name(self) -> str:
        rng = self.rng
        given = rng.choice(names.GIVEN) + (rng.choice(names.GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(names.SURNAMES) + given

    def national_id(self, sex: str) -> str:
        rng = self.rng
        birth = date(1958, 1, 1) + timedelta(days=rng.randrange(0, 365 * 40))
        seq = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
        first17 = f"{AREA}{birth:%Y%m%d}{seq:03d}"
        return first17 + check_digit(first17)

    def new_person(self) -> Person:
        sex = "M" if self.rng.random() < 0.55 else "F"
        self.person_seq += 1
        return Person(
            name=self.person_name(),
            sex=sex,
            national_id=self.national_id(sex),
            phone=f"1{self.rng.choice('3578')}{self.rng.randrange(10**8, 10**9)}",
        )

    # --- the tree --------------------------------------------------------------------------------------

    def build(self) -> dict:
        roles_sync()
        engine.policies_sync()
        with transaction.atomic():
            root, levels = self.build_tree()
            self.build_people(levels)
            personas = self.build_personas(root, levels)
        self.build_obligations(levels, personas)
        if self.size_name == "district":
            from luoshi.duty import demo as duty_demo

            duty_demo.build(self, levels, personas)
            from luoshi.inspections import demo as inspections_demo
            from luoshi.sites import demo as sites_demo

            sites_demo.build(self, levels, personas)

            inspections_demo.build(self, levels, personas)
            from luoshi.accountability import demo as accountability_demo

            accountability_demo.build(self, levels, personas)
            from luoshi.assessment import demo as assessment_demo

            assessment_demo.build(self, levels, personas)
            from luoshi.members import demo as members_demo

            members_demo.build(self, levels, personas)
            from luoshi.orglife import demo as orglife_demo

            orglife_demo.build(self, levels, personas)
            members_demo.sweep(self, personas)  # after organizational life: the sweep judges it too
        refresh_statistics(full=True)  # a bulk load: give the planner statistics now
        return personas

    def build_tree(self):
        rng = self.rng
        root = Organization.objects.create(
            code=self.next_code(),
            name="中共江城区委员会",
            kind=OrgKind.DISTRICT,
            parent=None,
            path=segment(Organization.objects.filter(parent=None).count() + 1),
            depth=1,
        )
        street_specs = []
        for i in range(self.size.streets):
            base = names.STREETS[i % len(names.STREETS)]
            name = base if i < len(names.STREETS) else f"{base}{i // len(names.STREETS) + 1}片区"
            street_specs.append((root, f"中共{name}工作委员会", OrgKind.STREET, False))
        streets = self._bulk_level(street_specs)

        community_specs = []
        for street in streets:
            town = street.name.endswith("镇工作委员会")
            words = rng.sample(names.PLACE_WORDS, k=rng.randint(*self.size.communities_per_street))
            for word in words:
                suffix = "村" if town else "社区"
                community_specs.append(
                    (
                        street,
                        f"{word}{suffix}党委" if rng.random() < 0.3 else f"{word}{suffix}党总支",
                        OrgKind.COMMUNITY,
                        False,
                    )
                )
            community_specs.append(
                (
                    street,
                    f"{street.name.removeprefix('中共').removesuffix('工作委员会')}机关党支部",
                    OrgKind.BRANCH,
                    True,
                )
            )
        level3 = self._bulk_level(community_specs)
        communities = [o for o in level3 if o.kind == OrgKind.COMMUNITY]

        branch_specs = []
        general_specs = []
        for community in communities:
            short = community.name.removesuffix("党委").removesuffix("党总支")
            count = rng.randint(*self.size.branches_per_community)
            chosen = rng.sample(names.BRANCH_NAMES, k=min(count, len(names.BRANCH_NAMES)))
            if rng.random() < 0.12:
                # a larger community groups its residential branches under a general branch
                general_specs.append((community, f"{short}居民党总支", OrgKind.GENERAL_BRANCH, True))
                chosen = chosen[:2]
            for branch_name in chosen:
                branch_specs.append((community, f"{short}{branch_name}", OrgKind.BRANCH, True))
        level4 = self._bulk_level(branch_specs + general_specs)
        generals = [o for o in level4 if o.kind == OrgKind.GENERAL_BRANCH]
        level5 = self._bulk_level(
            [
                (general, f"{general.name.removesuffix('居民党总支')}第{n}居民党支部", OrgKind.BRANCH, True)
                for general in generals
                for n in range(1, rng.randint(3, 5))
            ]
        )
        return root, [[root], streets, level3, level4, level5]

    def _bulk_level(self, specs) -> list[Organization]:
        """Insert one level: children numbered under each parent, parents' counters updated."""
        numbers: dict[int, int] = {}
        rows = []
        for parent, name, kind, holds in specs:
            numbers[parent.pk] = numbers.get(parent.pk, parent.last_child_number) + 1
            path = child_path(parent.path, numbers[parent.pk])
            rows.append(
                Organization(
                    code=self.next_code(),
                    name=name,
                    kind=kind,
                    parent=parent,
                    path=path,
                    depth=depth_of(path),
                    holds_members=holds,
                )
            )
        created = Organization.objects.bulk_create(rows, batch_size=2000)
        parents = {parent.pk: parent for parent, *_rest in specs}
        for pk, last in numbers.items():
            parent = parents[pk]
            added = last - parent.last_child_number
            parent.last_child_number = last
            parent.children_count += added
        Organization.objects.bulk_update(
            list(parents.values()), ["last_child_number", "children_count"], batch_size=2000
        )
        if any(o.pk is None for o in created):  # a backend without RETURNING: read the ids back
            by_path = dict(
                Organization.objects.filter(path__in=[o.path for o in created]).values_list("path", "pk")
            )
            for org in created:
                org.pk = org.id = by_path[org.path]
        return created

    def build_people(self, levels) -> None:
        rng = self.rng
        orgs = [org for level in levels for org in level]
        years_by_kind = {kind: term_years(kind) for kind in OrgKind.values}
        terms = []
        for org in orgs:
            years = years_by_kind[org.kind]
            # Most terms are current; about one in twelve is due within half a year or already overdue.
            if rng.random() < 0.08:
                start = add_years(self.today, -years) + timedelta(days=rng.randint(-60, 150))
            else:
                start = add_years(self.today, -rng.randint(0, years - 1)) - timedelta(
                    days=rng.randint(30, 300)
                )
            terms.append(Term(organization=org, start_date=start, renewal_due=add_years(start, years)))
        Term.objects.bulk_create(terms, batch_size=2000)
        term_by_org = {
            t.organization_id: t for t in Term.objects.filter(organization__in=orgs, ended_on=None)
        }

        kinds = [PositionKind.SECRETARY]
        if self.size.committee:
            kinds += [
                PositionKind.ORGANIZATION_MEMBER,
                PositionKind.PUBLICITY_MEMBER,
                PositionKind.DISCIPLINE_MEMBER,
            ]
        people = []
        slots = []
        for org in orgs:
            for kind in kinds:
                people.append(self.new_person())
                slots.append((org, kind))
        people = Person.objects.bulk_create(people, batch_size=2000)
        positions = [
            Position(
                organization=org,
                person=person,
                kind=kind,
                term=term_by_org[org.pk],
                start_date=term_by_org[org.pk].start_date,
            )
            for (org, kind), person in zip(slots, people, strict=True)
        ]
        Position.objects.bulk_create(positions, batch_size=2000)

    # --- personas --------------------------------------------------------------------------------------

    def build_personas(self, root, levels) -> dict:
        streets = levels[1]
        street = streets[0]
        branch = next(
            o
            for o in Organization.objects.subtree(street.path)
            .filter(kind=OrgKind.BRANCH, depth=4)
            .order_by("path")
        )
        secretary_of = {
            p.organization_id: p.person
            for p in Position.objects.filter(
                organization__in=[street, branch], kind=PositionKind.SECRETARY
            ).select_related("person")
        }
        where = {"district": root, "street": street, "branch": branch}
        roles = {role.code: role for role in Role.objects.all()}
        personas = {}
        for username, role_code, place, display in PERSONAS:
            org = where[place]
            person = None
            if username in ("street_secretary", "branch_secretary"):
                person = secretary_of[org.pk]
            elif username == "member":
                person = self.new_person()
                person.save()
            user = User.objects.create_user(
                username=username,
                password=self.password,
                display_name=display or f"{person.name}（{org.name}）",
            )
            if person is not None:
                person.user = user
                person.save()
            role_grant(by=None, user=user, role=roles[role_code], organization=org)
            if username in TWO_FACTOR_PERSONAS:
                # A fixed key per seed, printed by `luoshi demo`, so the demo can be used at once.
                key = self.rng.randbytes(20).hex()
                TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=key, confirmed=True)
            personas[username] = {"user": user, "org": org, "role": roles[role_code]}
        return personas

    # --- obligations -----------------------------------------------------------------------------------

    def build_obligations(self, levels, personas) -> None:
        branches = [o for level in levels[2:] for o in level if o.kind in (OrgKind.BRANCH, OrgKind.COMMUNITY)]
        creator = personas["discipline_officer"]["user"]
        if self.size_name != "district":
            self._bulk_obligations(branches, creator)
            return
        rng = self.rng
        today = self.today
        created = []
        for org in branches:
            for _n in range(rng.choice((1, 1, 2, 2, 3))):
                title, detail = rng.choice(names.SUPERVISION_ITEMS)
                due = today + timedelta(days=rng.randint(-35, 30))
                created.append((org, title, detail, due))
        # The branch secretary's own branch gets one of each situation, so the persona sees them all.
        mine = personas["branch_secretary"]["org"]
        for offset, (title, detail) in zip((2, -3, -10, -20, 12), names.SUPERVISION_ITEMS, strict=False):
            created.append((mine, title, detail, today + timedelta(days=offset)))
        obligations = []
        for org, title, detail, due in created:
            obligations.append(
                engine.obligation_create(
                    kind="core.supervision_item",
                    title=title,
                    detail=detail,
                    organization=org,
                    due_date=due,
                    created_by=creator,
                )
            )
        # Some units finished on time; the branch persona finished the one due in 12 days early.
        for obligation in obligations:
            # Most units finish what is past due; a few lag (and climb the ladder); some finish early.
            likely = 0.8 if obligation.due_date < today - timedelta(days=7) else 0.25
            finished = (
                obligation.organization_id == mine.pk and obligation.due_date == today + timedelta(days=12)
            ) or (obligation.organization_id != mine.pk and rng.random() < likely)
            if finished:
                engine.obligation_mark_done(obligation=obligation, note="已按要求完成并报送。")
        engine.run_syncs(today=today)
        engine.obligation_sweep(today=today)
        self._decide_some(creator)

    def _decide_some(self, decider) -> None:
        rng = self.rng
        pending = list(
            Escalation.objects.filter(status=EscalationStatus.PROPOSED)
            .select_related("obligation__organization")
            .order_by("id")
        )
        branch_persona = User.objects.get(username="branch_secretary").person
        decided = 0
        for escalation in pending:
            if escalation.obligation.responsible_id == branch_persona.pk:
                continue  # leave the persona's proposals waiting, so the demo shows one
            if rng.random() < 0.4 and decided < 25:
                confirm = rng.random() < 0.7
                reason = rng.choice(names.REASONS_CONFIRM if confirm else names.REASONS_DISMISS)
                engine.escalation_decide(
                    escalation=escalation, user=decider, confirm=confirm, reason=reason, today=self.today
                )
                decided += 1
        engine.obligation_sweep(today=self.today)
        # A couple of items the district no longer needs.
        for obligation in Obligation.objects.active().filter(due_date__gt=self.today).order_by("id")[:3]:
            engine.obligation_waive(obligation=obligation, user=decider, reason="任务调整，不再单独报送。")

    def _bulk_obligations(self, orgs, creator) -> None:
        policy = engine.policy_for("core.supervision_item")
        rng = self.rng
        rows = []
        for org in orgs:
            title, detail = rng.choice(names.SUPERVISION_ITEMS)
            due = self.today + timedelta(days=rng.randint(-35, 30))
            done = rng.random() < 0.35
            rows.append(
                Obligation(
                    policy=policy,
                    title=title,
                    detail=detail,
                    organization=org,
                    due_date=due,
                    state=ObligationState.DONE if done else ObligationState.OPEN,
                    next_action_on=None if done else due - timedelta(days=3),
                    created_by=creator,
                )
            )
        Obligation.objects.bulk_create(rows, batch_size=5000)


def demo_exists() -> bool:
    return User.objects.filter(username="district_admin").exists()


def build_demo(*, seed: int = 1, size: str = "district", password: str = "luoshi-demo", out=print) -> dict:
    return Builder(seed=seed, size=size, password=password, out=out).build()
