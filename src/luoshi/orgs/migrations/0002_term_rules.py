from django.db import migrations

# 换届: 基层党委 (district, street) 5 years; village and community organizations 5 years (since 2018);
# general branches and branches 3 years. Kept as data: an admin may change them.
DEFAULTS = {"district": 5, "street": 5, "community": 5, "general_branch": 3, "branch": 3}


def create_rules(apps, schema_editor):
    TermRule = apps.get_model("orgs", "TermRule")
    for kind, years in DEFAULTS.items():
        TermRule.objects.get_or_create(kind=kind, defaults={"years": years})


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
