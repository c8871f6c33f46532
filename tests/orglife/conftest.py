"""A district with organizational life: members on the three branches' rolls (the `member` persona is on
b1's), the standing rules from a year ago, and this month's theme-day plan published by the district with the
inspector as b1's supervisor."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from luoshi.members.models import Category, Member
from luoshi.orglife import services
from luoshi.orglife.models import AgendaItem, MeetingKind
from luoshi.orglife.periods import month_end
from luoshi.orgs.idcard import check_digit
from luoshi.orgs.models import Person

NAMES = {
    "b1": ["张伟", "李娜", "王芳", "刘洋"],
    "b2": ["陈静", "杨磊", "赵敏"],
    "b3": ["黄勇", "周杰", "吴霞"],
}


def national_id(n: int) -> str:
    first17 = f"11010519800101{n:03d}"
    return first17 + check_digit(first17)


@dataclass
class Life:
    world: object
    plan: object
    members: dict = field(default_factory=dict)  # branch key -> [Member]

    def at(self, day: date, hour: int = 9) -> datetime:
        return timezone.make_aware(datetime(day.year, day.month, day.day, hour))

    def data(self, branch_key: str, *, day: date | None = None, **overrides) -> services.MeetingInput:
        """A complete theme-day record for the branch on the plan: everyone present, every required item."""
        day = day or self.plan.window_start
        values = dict(
            kind=MeetingKind.THEME_DAY,
            starts_at=self.at(day),
            place="社区党群服务中心",
            topic=self.plan.theme,
            record="学习了有关文件，讨论了本支部落实措施，明确了下月志愿服务安排。",
            agenda=tuple(self.plan.required_items),
            plan=self.plan,
            presider=self.world.people[branch_key],
            attendance={m.pk: (True, "") for m in self.members[branch_key]},
        )
        values.update(overrides)
        return services.MeetingInput(**values)


def make_members(world) -> dict:
    out, n = {}, 0
    for key, names in NAMES.items():
        out[key] = []
        for name in names:
            n += 1
            nid = national_id(n)
            out[key].append(
                Member.objects.create(
                    name=name,
                    initials="",
                    sex="M" if int(nid[16]) % 2 else "F",
                    ethnicity="汉族",
                    national_id=nid,
                    birth_date=date(1980, 1, 1),
                    category=Category.FULL,
                    organization=world.orgs[key],
                    joined_on=date(2005, 7, 1),
                    full_on=date(2006, 7, 1),
                    phone=f"1380000{n:04d}",
                )
            )
    # the `member` persona is 张伟 of b1: their login's person carries the national ID
    Person.objects.create(name="张伟", national_id=out["b1"][0].national_id, user=world.users["member"])
    return out


@pytest.fixture
def life(world) -> Life:
    members = make_members(world)
    today = timezone.localdate()
    services.rules_default(organization=world.district, effective_from=today - timedelta(days=400))
    first = today.replace(day=1)
    # the window: the month's first days up to today (so a meeting in it is never in the future)
    plan = services.plan_save(
        by=world.users["org_officer"],
        organization=world.district,
        data=services.PlanInput(
            month=first,
            window_start=first,
            window_end=max(first, min(today, month_end(first))),
            theme="学习贯彻全面从严治党要求",
            materials="《中国共产党章程》第一章；区委全会讲话",
            required_items=(
                AgendaItem.COLLECTIVE_STUDY,
                AgendaItem.DUES_PAYMENT,
                AgendaItem.SERVICE_ACTIVITY,
            ),
            records_to_keep="会议记录、签到表",
        ),
    )
    services.plan_publish(plan=plan, by=world.users["org_officer"])
    services.supervisors_assign(
        plan=plan, by=world.users["org_officer"], assignments={world.b1: world.users["inspector"]}
    )
    plan.refresh_from_db()
    return Life(world=world, plan=plan, members=members)
