"""The dues rules of 2008 as data (中共中央组织部《关于中国共产党党费收缴、使用和管理的规定》, 组通字〔2008〕3号):
in-service members pay a percentage of the whole monthly net salary by bracket, retired members of the pension,
farmers 0.2 to 1 yuan a month (0.5 here, a branch may assess otherwise), students, the laid-off and members on
the minimum living allowance 0.2 yuan."""

from datetime import date
from decimal import Decimal

from django.db import migrations

SOURCE = "组通字〔2008〕3号 第一部分"
RULES = [
    ("employed", Decimal("3000"), Decimal("0.5"), None),
    ("employed", Decimal("5000"), Decimal("1"), None),
    ("employed", Decimal("10000"), Decimal("1.5"), None),
    ("employed", None, Decimal("2"), None),
    ("retired", Decimal("5000"), Decimal("0.5"), None),
    ("retired", None, Decimal("1"), None),
    ("farmer", None, None, Decimal("0.50")),
    ("student", None, None, Decimal("0.20")),
    ("unemployed", None, None, Decimal("0.20")),
    ("relief", None, None, Decimal("0.20")),
]


def load(apps, schema_editor):
    DuesRule = apps.get_model("members", "DuesRule")
    if DuesRule.objects.filter(effective_from=date(2008, 4, 1)).exists():
        return
    DuesRule.objects.bulk_create(
        DuesRule(effective_from=date(2008, 4, 1), basis=basis, up_to=up_to, percent=percent, fixed=fixed, source=SOURCE)
        for basis, up_to, percent, fixed in RULES
    )


class Migration(migrations.Migration):
    dependencies = [("members", "0003_dues")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
