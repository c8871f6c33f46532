from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count

from luoshi.accounts.models import RoleGrant, User
from luoshi.core.models import Escalation, Obligation
from luoshi.demo.build import build_demo
from luoshi.orgs.idcard import national_id_errors
from luoshi.orgs.models import Organization, Person, Position


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker):
    """The demo district, built once for the module (about a minute) and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_demo(seed=7, size="district", password="demo-password-1")
        transaction.set_rollback(True)


@pytest.fixture
def demo(district, db):
    return district


def test_demo_district_has_the_expected_shape(demo):
    kinds = Counter(Organization.objects.values_list("kind", flat=True))
    assert kinds["district"] == 1 and kinds["street"] == 8
    assert 55 <= kinds["community"] <= 65 and 280 <= kinds["branch"] <= 340
    # every organization has a sitting secretary and three committee members
    per_org = Position.objects.values("organization").annotate(n=Count("id")).values_list("n", flat=True)
    assert set(per_org) == {4} and len(per_org) == Organization.objects.count()
    assert all(national_id_errors(p.national_id) == [] for p in Person.objects.exclude(national_id=""))


def test_demo_obligations_in_every_state(demo):
    states = set(Obligation.objects.values_list("state", flat=True))
    assert states == {"open", "overdue", "escalated", "submitted", "done", "waived"}
    statuses = set(Escalation.objects.values_list("status", flat=True))
    assert statuses == {"applied", "proposed", "confirmed", "dismissed"}


@pytest.mark.real_hashing  # the module's district was built with the production hasher
def test_personas_can_log_in_and_have_their_scopes(demo, client):
    for username in (
        "district_admin",
        "org_officer",
        "discipline_officer",
        "publicity_officer",
        "street_secretary",
        "branch_secretary",
        "member",
        "inspector",
        "auditor",
    ):
        assert User.objects.get(username=username).check_password("demo-password-1")
        grants = set(
            RoleGrant.objects.filter(user__username=username, revoked_at=None).values_list(
                "role__code", flat=True
            )
        )
        # each persona holds its own role; the branch secretary also keeps the branch's dues
        assert grants == ({username, "dues_keeper"} if username == "branch_secretary" else {username})
    branch = User.objects.get(username="branch_secretary")
    street = RoleGrant.objects.get(user__username="street_secretary").organization
    assert branch.grants.get(role__code="branch_secretary").organization.path.startswith(street.path)
    mine = Obligation.objects.filter(responsible__user=branch)
    assert {"open", "overdue", "escalated", "done"} <= set(mine.values_list("state", flat=True))
    client.post("/accounts/login/", {"username": "branch_secretary", "password": "demo-password-1"})
    assert client.get("/").status_code == 200


def _digest(var_dir) -> str:
    import hashlib
    import sqlite3

    db = sqlite3.connect(var_dir / "luoshi.sqlite3")
    rows = db.execute("SELECT path, name, code FROM orgs_organization ORDER BY path").fetchall()
    rows += db.execute("SELECT name, national_id FROM orgs_person ORDER BY id").fetchall()
    rows += db.execute("SELECT title, due_date, state FROM core_obligation ORDER BY id").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_same_seed_same_district_from_the_cli(tmp_path):
    """`luoshi demo --seed-only` twice with one seed gives the same district; another seed does not."""
    import os
    import subprocess
    import sys

    digests = []
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        var_dir = tmp_path / name
        env = {**os.environ, "LUOSHI_VAR_DIR": str(var_dir)}
        env.pop("DATABASE_URL", None)
        subprocess.run(
            [sys.executable, "-m", "luoshi.cli", "demo", "--seed-only", "--seed", seed],
            env=env,
            check=True,
            capture_output=True,
            timeout=900,  # three full builds; on a busy machine one can take minutes
        )
        digests.append(_digest(var_dir))
    assert digests[0] == digests[1] != digests[2]


def test_demo_supervision_loop_is_played_out(demo):
    """Inspections found problems, some were put right on time, one overdue unit was circulated for it and
    talked to: the statistics page and the accountability records show a working loop."""
    from luoshi.accountability.models import Circular, Talk
    from luoshi.inspections.models import Rectification

    assert Rectification.objects.filter(on_time=True).count() >= 1
    circular = Circular.objects.get()
    assert circular.escalation.status == "confirmed" and circular.basis.count() == 1
    assert set(Talk.objects.values_list("kind", flat=True)) == {"collective", "individual"}
    assert all(t.statement for t in Talk.objects.all())
