"""A synthetic member register with known duplicate registrations, to test and benchmark the duplicate search
(luoshi.analytics.duplicates).

    records, truth = register(1_000_000, duplicate_rate=0.02, seed=1)

`records` is a pyarrow Table with the columns of the search's extract — id (int64), name, sex ("M"/"F"),
national_id, birth_date (date32), phone (null when missing), organization_id (int64) — and `truth` is the set
of true duplicate pairs, as frozensets of two ids.

People. Surnames are drawn by their weight in the population (王, 李, 张 … the three of them a quarter of
everyone; a few compound and polyphonic ones: 欧阳, 单, 曾 …); given names are one or two characters from
about 300 common ones drawn with a steep (Zipf) skew, so that many different people share a name — 张伟 is
really common, which is what makes the search hard. National IDs are valid (GB 11643: an area code from a
few dozen real ones, weighted as a register concentrates on its own district; birth 1940–2005; a sequence
number whose parity is the sex; the check digit), phones unique 1[3-9]xxxxxxxxx, organizations 1 … n/60.

Look-alikes that are NOT duplicates, in numbers: twins (same area and birth date, sequence numbers a few
apart, the same surname and often a shared character in the given name), and namesakes in the same area born
the same year — some on the same day, so their IDs share the first 14 characters and differ only in the
sequence.

Duplicates (`duplicate_rate` of the n records): a second record of someone already registered, with
corruptions drawn independently, so they come alone or combined:
  national ID   25% as is, 45% one character mistyped (which breaks the check digit), 26% two adjacent
                characters swapped, 4% both (a swap and a typo elsewhere); a corrupted ID never passes
                the check
  name          62% as is, 30% a homophone given-name character (伟 → 玮: the same pinyin, tones aside), 8% one
                character mistyped (another character)
  birth date    92% as is, 5% day and month swapped (when that is a date), 3% off by 1–3 days
  phone         55% kept, 40% a new number, 5% missing
  organization  50% the same, 50% moved to another branch
Everything is drawn from one random.Random(seed): the same arguments give the same register.
"""

import random
from datetime import date, timedelta

import pyarrow as pa

from luoshi.orgs.idcard import check_digit

__all__ = ["HOMOPHONES", "register"]

# Surnames and their approximate share of the population, in per mille (the large census rankings).
_SURNAMES = (
    "王71 李70 张67 刘54 陈46 杨31 黄25 赵23 吴20 周19 徐16 孙15 马14 朱13 胡13 郭11 何11 林11 高10 罗9 "
    "郑8 梁8 谢7 宋6 唐6 许6 韩6 冯5 邓5 曹5 彭5 曾5 肖5 田4 董4 袁4 潘4 于4 蒋4 蔡4 余4 杜4 叶4 程4 "
    "苏3 魏3 吕3 丁3 任3 沈3 姚3 卢3 姜3 崔2 钟2 谭2 陆2 汪2 范2 金2 石2 廖2 贾2 夏2 韦2 付2 方2 白2 "
    "邹2 孟2 熊2 秦2 邱2 江2 尹2 薛2 闫2 段2 雷2 侯1 龙1 史1 陶1 黎1 贺1 顾1 毛1 郝1 龚1 邵1 万1 钱1 "
    "严1 覃1 武1 戴1 莫1 孔1 向1 汤1 单1 解1 欧阳1 司马1 上官1 诸葛1"
)
SURNAMES = tuple(s.rstrip("0123456789") for s in _SURNAMES.split())
_SURNAME_WEIGHTS = tuple(int(s[len(name) :]) for s, name in zip(_SURNAMES.split(), SURNAMES, strict=True))

# Given-name characters, most common first (a character in both lists is common for both sexes).
_MALE = (
    "伟军勇杰涛明超强磊刚平辉鹏华飞斌波宇浩峰建国文林成龙海东亮俊志新光春永晨凯健毅兵坤锋彬博鑫帅旭阳"
    "云松鸣良晓振荣忠宏伦翔然昊泽子轩涵睿哲航瑞豪德胜才庆福安立江山红青诚耀培元全权义兴锦智远剑宁鹤朋"
    "铭清家嘉佳思雨天金玉恒宝贵有根发水生祥喜银铁柱占武学仁礼信廷彪虎雄威达卫继承树森柏桥浪雷霆昌盛隆泰"
    "康顺富增禄寿财孝勤俭正直政治科技晖朗楠弘洪源舟帆骏驰腾跃岳峥嵘崇尧汉"
)
_FEMALE = (
    "芳娜敏静丽艳娟秀霞燕玲桂英萍红梅琳莉婷雪慧晶倩颖琴云洁兰凤玉佳欣怡悦蕾丹蓉薇菲璐月春美彩琪雯茜"
    "妍露婧瑶涵萱梦瑾诗思雨紫嘉馨蓓岚莹宁晓小爱淑珍贞华雅素文君平海梓子莲荷菊桃杏芝蕙翠碧珠珊琼璇瑛姗"
    "娇媛嫣婉娴姣妮娅婕姝妤嫦娥秋冬夏香芬艾萌蔓茹蕊苗莎菱霏霖霜彤虹霓曼曦晴昕晨玥珂瑜璟琬琦卉蓝"
)
MALE_CHARS = tuple(dict.fromkeys(_MALE))
FEMALE_CHARS = tuple(dict.fromkeys(_FEMALE))

# Groups of given-name characters with the same pinyin, tones aside (伟/玮/炜 are all "wei"): a homophone typo
# replaces one with another. All simplified characters; tests check each group against pypinyin.
HOMOPHONES = tuple(
    "伟玮炜薇卫 敏闽珉 静婧晶菁 丽莉俐力立 军君均钧 华桦骅 杰洁捷 涛韬 明铭鸣 红虹宏鸿 燕艳彦雁 娟鹃 "
    "勇永咏 霞侠 英莹颖瑛 玲灵 琳林 萍平苹 芳方 建剑健 文雯 斌彬滨 波博 峰锋丰凤 刚钢 辉晖慧惠 鹏朋 "
    "飞菲 新欣鑫馨 玉宇雨羽 阳洋杨 梅美玫 婷亭庭 琴勤芹 云芸韵 佳嘉家 晨辰琛 浩昊皓 子紫梓 怡宜仪依 "
    "涵晗寒 轩萱宣 思丝 志智致 磊蕾 秀琇 桂贵 兰岚蓝 珍真贞 东冬 强蔷 光广 成诚承 龙隆 荣蓉容 凯恺楷 "
    "璐露路 悦越月 瑶遥 锦瑾 睿瑞 航杭 宁凝 毅艺亿 旭煦 松嵩 鹤贺".split()
)
_HOMOPHONE_OF = {c: tuple(o for o in group if o != c) for group in HOMOPHONES for c in group}

# Real area codes (6 digits), the register's own district first: weights fall off as 1/rank.
AREA_CODES = (
    "420106 420102 420111 420103 420105 420104 420107 420112 420113 420114 420115 420116 420117 110101 "
    "110105 110108 310101 310104 310115 320102 320106 330102 330106 340102 350102 360102 370102 410102 "
    "430102 440103 440104 440305 500103 510104 510107 610102 610113 210102 130102 140105".split()
)
_AREA_WEIGHTS = tuple(1 / (rank + 1) for rank in range(len(AREA_CODES)))

_FIRST_BIRTH, _LAST_BIRTH = date(1940, 1, 1), date(2005, 12, 31)
_BIRTH_DAYS = (_LAST_BIRTH - _FIRST_BIRTH).days + 1

_TWIN_RATE = 0.006  # a person is the twin of the one before
_NAMESAKE_RATE = 0.04  # a person has the name of someone earlier, the same area and birth year …
_SAME_DAY_NAMESAKE = 0.25  # … and of those, this share the same birth date too


def _cumulative(weights):
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


_SURNAME_CUM = _cumulative(_SURNAME_WEIGHTS)
_AREA_CUM = _cumulative(_AREA_WEIGHTS)
_MALE_CUM = _cumulative(1 / (rank + 1) ** 1.1 for rank in range(len(MALE_CHARS)))
_FEMALE_CUM = _cumulative(1 / (rank + 1) ** 1.1 for rank in range(len(FEMALE_CHARS)))


def register(n: int, *, duplicate_rate: float = 0.02, seed: int = 1) -> tuple[pa.Table, set[frozenset[int]]]:
    """n member records of which round(n * duplicate_rate) are second registrations of someone else among
    them, and the true duplicate pairs (frozensets of two ids). Ids are 1 … n in a random order of people."""
    if n < 2:
        raise ValueError("a register needs at least two records")
    rng = random.Random(seed)
    n_dup = min(round(n * duplicate_rate), n // 2)
    n_orgs = max(1, n // 60)
    people: list[list] = []  # [name, sex, national_id, birth_date, phone, organization_id]
    taken_ids: set[str] = set()
    taken_phones: set[str] = set()

    def phone() -> str:
        while True:
            number = f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}"
            if number not in taken_phones:
                taken_phones.add(number)
                return number

    def given(male: bool, length: int) -> str:
        chars, cum = (MALE_CHARS, _MALE_CUM) if male else (FEMALE_CHARS, _FEMALE_CUM)
        return "".join(rng.choices(chars, cum_weights=cum, k=length))

    def national_id(area: str, birth: date, male: bool, near: int | None = None) -> str | None:
        for _ in range(20):
            if near is None:
                seq = rng.randrange(500) * 2 + (1 if male else 0)
            else:  # a twin: the sequence number next to the sibling's, with this one's parity
                seq = near + rng.choice((1, 2, 3)) * (1 if rng.random() < 0.5 else -1)
                seq += (seq % 2) != (1 if male else 0)
                if not 0 <= seq <= 999:
                    continue
            first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
            if first17 not in taken_ids:
                taken_ids.add(first17)
                return first17 + check_digit(first17)
        return None

    while len(people) < n - n_dup:
        roll = rng.random()
        male = rng.random() < 0.6
        if people and roll < _TWIN_RATE:
            sibling = people[-1]
            area, birth, sib_seq = sibling[2][:6], sibling[3], int(sibling[2][14:17])
            male = rng.random() < 0.5
            sib_given = sibling[0][len(_surname_of(sibling[0])) :]
            if len(sib_given) == 2 and rng.random() < 0.7:  # twins often share a character: 子涵 / 子轩
                keep = rng.randrange(2)
                other = given(male, 1)
                new_given = sib_given[0] + other if keep == 0 else other + sib_given[1]
            else:
                new_given = given(male, len(sib_given) or 2)
            name = _surname_of(sibling[0]) + new_given
            if name == sibling[0]:
                continue
            nid = national_id(area, birth, male, near=sib_seq)
            org = sibling[5] if rng.random() < 0.3 else rng.randint(1, n_orgs)
        elif people and roll < _TWIN_RATE + _NAMESAKE_RATE:
            model = people[rng.randrange(len(people))]
            name, area, male = model[0], model[2][:6], model[1] == "M"
            if rng.random() < _SAME_DAY_NAMESAKE:
                birth = model[3]
            else:
                start = date(model[3].year, 1, 1)
                birth = start + timedelta(days=rng.randrange(365))
            nid = national_id(area, birth, male)
            org = rng.randint(1, n_orgs)
        else:
            surname = SURNAMES[_pick(rng, _SURNAME_CUM)]
            birth = _FIRST_BIRTH + timedelta(days=rng.randrange(_BIRTH_DAYS))
            single = rng.random() < (0.45 if birth.year < 1970 else 0.2)
            name = surname + given(male, 1 if single else 2)
            area = AREA_CODES[_pick(rng, _AREA_CUM)]
            nid = national_id(area, birth, male)
            org = rng.randint(1, n_orgs)
        if nid is None:
            continue
        people.append([name, "M" if male else "F", nid, birth, phone(), org])

    originals = rng.sample(range(len(people)), n_dup)
    records = [list(p) for p in people]
    pairs: list[tuple[int, int]] = []
    for index in originals:
        records.append(_duplicate(rng, people[index], phone, n_orgs))
        pairs.append((index, len(records) - 1))

    ids = list(range(1, n + 1))
    rng.shuffle(ids)  # record order says nothing about who is a duplicate
    order = sorted(range(n), key=ids.__getitem__)
    table = pa.table(
        {
            "id": pa.array([ids[i] for i in order], pa.int64()),
            "name": pa.array([records[i][0] for i in order], pa.string()),
            "sex": pa.array([records[i][1] for i in order], pa.string()),
            "national_id": pa.array([records[i][2] for i in order], pa.string()),
            "birth_date": pa.array([records[i][3] for i in order], pa.date32()),
            "phone": pa.array([records[i][4] for i in order], pa.string()),
            "organization_id": pa.array([records[i][5] for i in order], pa.int64()),
        }
    )
    return table, {frozenset((ids[a], ids[b])) for a, b in pairs}


def _pick(rng: random.Random, cum: list[float]) -> int:
    return rng.choices(range(len(cum)), cum_weights=cum)[0]


def _surname_of(name: str) -> str:
    return name[:2] if name[:2] in SURNAMES else name[:1]


_ID_CHARS = "0123456789"


def _mistype(rng: random.Random, nid: str) -> str:
    pos = rng.randrange(18)
    alphabet = _ID_CHARS + "X" if pos == 17 else _ID_CHARS
    return nid[:pos] + rng.choice([c for c in alphabet if c != nid[pos]]) + nid[pos + 1 :]


def _swap(rng: random.Random, nid: str) -> str:
    positions = [i for i in range(17) if nid[i] != nid[i + 1]]
    pos = rng.choice(positions)
    return nid[:pos] + nid[pos + 1] + nid[pos] + nid[pos + 2 :]


def _valid(nid: str) -> bool:
    return nid[17] == check_digit(nid[:17]) if nid[:17].isdigit() else False


def _duplicate(rng: random.Random, person: list, phone, n_orgs: int) -> list:
    name, sex, nid, birth, number, org = person
    roll = rng.random()
    if roll >= 0.25:
        while True:
            if roll < 0.70:
                new = _mistype(rng, nid)
            elif roll < 0.96:
                new = _swap(rng, nid)
            else:
                new = _mistype(rng, _swap(rng, nid))
            if new != nid and not _valid(new):
                nid = new
                break

    roll = rng.random()
    surname = _surname_of(name)
    given_name = name[len(surname) :]
    if roll < 0.30:
        spots = [i for i, c in enumerate(given_name) if c in _HOMOPHONE_OF]
        if spots:
            i = rng.choice(spots)
            given_name = given_name[:i] + rng.choice(_HOMOPHONE_OF[given_name[i]]) + given_name[i + 1 :]
    elif roll < 0.38:
        i = rng.randrange(len(given_name))
        pool = MALE_CHARS if sex == "M" else FEMALE_CHARS
        given_name = (
            given_name[:i] + rng.choice([c for c in pool if c != given_name[i]]) + given_name[i + 1 :]
        )
    name = surname + given_name

    roll = rng.random()
    if roll < 0.05:
        if birth.day <= 12 and birth.day != birth.month:
            birth = date(birth.year, birth.day, birth.month)
        else:
            birth += timedelta(days=rng.choice((-1, 1)))
    elif roll < 0.08:
        birth += timedelta(days=rng.choice((-3, -2, -1, 1, 2, 3)))

    roll = rng.random()
    if roll < 0.40:
        number = phone()
    elif roll < 0.45:
        number = None

    if rng.random() < 0.5 and n_orgs > 1:
        other = rng.randint(1, n_orgs - 1)
        org = other if other < org else other + 1
    return [name, sex, nid, birth, number, org]
