"""The catalogue of services a center may offer, as data (an office may add to it)."""

from django.db import migrations

CATALOGUE = [
    ("party-members", "党员组织关系接转与党费收缴"),
    ("social-insurance", "社保医保业务代办"),
    ("civil-affairs", "民政救助申请"),
    ("employment", "就业创业服务"),
    ("legal", "法律咨询与人民调解"),
    ("elderly", "养老助餐与居家养老服务"),
    ("disability", "残疾人服务"),
    ("volunteers", "志愿服务登记与对接"),
    ("housing", "住房保障咨询"),
    ("certificates", "证明开具与便民代办"),
]


def load(apps, schema_editor):
    ServiceOffering = apps.get_model("sites", "ServiceOffering")
    for code, name in CATALOGUE:
        ServiceOffering.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("sites", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
