"""The sites app's part of the demo district: a center for every village/community, and construction
projects for three centers that fell short, with their milestones as obligations."""

from datetime import timedelta

from luoshi.orgs.models import OrgKind
from luoshi.sites import services
from luoshi.sites.models import ServiceOffering

ROADS = ("幸福路", "民主路", "建设路", "和平街", "解放路", "文化路", "新华街", "人民路", "中山路", "朝阳路")


def build(builder, levels, personas) -> None:
    rng = builder.rng
    today = builder.today
    officer = personas["org_officer"]["user"]
    codes = list(ServiceOffering.objects.values_list("code", flat=True))
    communities = [o for o in levels[2] if o.kind == OrgKind.COMMUNITY]
    centers = []
    for org in communities:
        short = org.name.removesuffix("党委").removesuffix("党总支")
        centers.append(
            services.center_register(
                by=officer,
                organization=org,
                name=f"{short}党群服务中心",
                address=f"{rng.choice(ROADS)}{rng.randint(1, 300)}号",
                area_m2=rng.choice((180, 240, 300, 320, 360, 420, 500)),
                opening_hours=rng.choice(
                    ("工作日 8:30-17:30，周末值班", "周一至周六 9:00-18:00", "工作日 8:30-17:00")
                ),
                staff_count=rng.randint(1, 6),
                services=rng.sample(codes, k=rng.randint(3, len(codes))),
            )
        )
    for center in [c for c in centers if c.area_m2 < 300][:3]:
        services.project_create(
            by=officer,
            center=center,
            title=f"{center.name}规范化达标建设",
            deadline=today + timedelta(days=60),
            milestones=[
                ("完成场地改造方案", today + timedelta(days=10)),
                ("完成功能室改造和标识设置", today + timedelta(days=35)),
                ("完成服务清单公示和台账建立", today + timedelta(days=50)),
            ],
        )
