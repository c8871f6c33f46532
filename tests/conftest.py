"""Shared fixtures: a small world built through the real services, and the personas of the issue.

江城区 (district)                      其他区 (another district: outside every persona's scope)
├── 城关街道 (street S1)                └── 其他支部 (branch X)
│   └── 幸福社区 (community C1)
│       ├── 第一支部 (branch B1)  ← branch_secretary, member
│       └── 第二支部 (branch B2)  ← a sibling branch
└── 东城街道 (street S2)                ← outsider (street secretary of the sibling street)
    └── 和平社区 (community C2)
        └── 第三支部 (branch B3)
"""

import os
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from huey.contrib.djhuey import HUEY

from luoshi.accounts.models import Role
from luoshi.accounts.services import role_grant, roles_sync, user_create
from luoshi.core.obligations import obligation_create, policies_sync
from luoshi.orgs.models import OrgKind, Person, PositionKind
from luoshi.orgs.services import organization_create, position_assign, term_start

PASSWORD = "correct horse battery"
TZ = zoneinfo.ZoneInfo(os.environ.get("TIME_ZONE", "Asia/Shanghai"))  # the deployment's, as settings read it


def _session_day() -> datetime | None:
    """`LUOSHI_TEST_DATE=2028-02-29` (optionally `…T23:30`) runs the whole suite as if on that day, in the
    deployment's time zone, with the clock ticking from there. `.ci/run` uses it for the awkward days."""
    value = os.environ.get("LUOSHI_TEST_DATE", "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value if "T" in value else f"{value}T10:00")
    except ValueError:
        raise pytest.UsageError(
            f"LUOSHI_TEST_DATE={value!r} is not an ISO date (YYYY-MM-DD[THH:MM])"
        ) from None
    return moment.replace(tzinfo=TZ)


@pytest.fixture(autouse=True, scope="session")
def _session_clock():
    """The suite's clock: the real one, or the day LUOSHI_TEST_DATE names. A test that needs a fixed day
    freezes it itself (time_machine nests inside this travel); every other test asserts relative to now."""
    moment = _session_day()
    if moment is None:
        yield None
        return
    with time_machine.travel(moment, tick=True):
        yield moment


@pytest.fixture(autouse=True)
def _frozen_day(request):
    """`pytestmark = pytest.mark.frozen(date(2026, 3, 2))`: the test and every fixture it uses (the world,
    the scenario) live on that day at 09:00, the clock standing still; the test may travel further itself.
    Autouse, so it is set up before the fixtures a test names: no fixture is built on the real day while
    its test travels to a fixed one."""
    marker = request.node.get_closest_marker("frozen")
    if marker is None:
        yield None
        return
    # a scenario travels across its days with one login: the session lasts it (production: 8 hours)
    request.getfixturevalue("settings").SESSION_COOKIE_AGE = 400 * 86400
    day = marker.args[0]
    hour = marker.kwargs.get("hour", 9)
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=TZ)
    with time_machine.travel(moment, tick=False):
        yield day


def pytest_report_header(config):
    moment = _session_day()
    return f"luoshi: the suite runs as if on {moment:%Y-%m-%d %H:%M %Z}" if moment else None


@pytest.fixture(autouse=True, scope="session")
def _huey_immediate():
    HUEY.immediate = True  # tasks run in the test process, synchronously
    yield


@pytest.fixture(autouse=True)
def _fast_hashing(request, settings):
    if "real_hashing" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test its own empty in-memory cache (the embedded default is a directory under var/)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _tmp_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class World:
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    obligations: dict = field(default_factory=dict)

    def __getattr__(self, name):
        for bag in ("orgs", "users"):
            if name in self.__dict__.get(bag, {}):
                return self.__dict__[bag][name]
        raise AttributeError(name)


def make_tree(prefix: str = "") -> dict:
    d = organization_create(name=f"{prefix}江城区委", kind=OrgKind.DISTRICT, code=f"{prefix}D")
    s1 = organization_create(
        name=f"{prefix}城关街道党工委", kind=OrgKind.STREET, code=f"{prefix}S1", parent=d
    )
    s2 = organization_create(
        name=f"{prefix}东城街道党工委", kind=OrgKind.STREET, code=f"{prefix}S2", parent=d
    )
    c1 = organization_create(
        name=f"{prefix}幸福社区党委", kind=OrgKind.COMMUNITY, code=f"{prefix}C1", parent=s1
    )
    c2 = organization_create(
        name=f"{prefix}和平社区党委", kind=OrgKind.COMMUNITY, code=f"{prefix}C2", parent=s2
    )
    b1 = organization_create(name=f"{prefix}幸福第一支部", kind=OrgKind.BRANCH, code=f"{prefix}B1", parent=c1)
    b2 = organization_create(name=f"{prefix}幸福第二支部", kind=OrgKind.BRANCH, code=f"{prefix}B2", parent=c1)
    b3 = organization_create(name=f"{prefix}和平第三支部", kind=OrgKind.BRANCH, code=f"{prefix}B3", parent=c2)
    return {"district": d, "s1": s1, "s2": s2, "c1": c1, "c2": c2, "b1": b1, "b2": b2, "b3": b3}


PERSONAS = {
    # username: (role code, org key)
    "district_admin": ("district_admin", "district"),
    "org_officer": ("org_officer", "district"),
    "discipline_officer": ("discipline_officer", "district"),
    "publicity_officer": ("publicity_officer", "district"),
    "auditor": ("auditor", "district"),
    "inspector": ("inspector", "s1"),
    "street_secretary": ("street_secretary", "s1"),
    "branch_secretary": ("branch_secretary", "b1"),
    "member": ("member", "b1"),
    "outsider": ("street_secretary", "s2"),
}


@pytest.fixture
def world(db) -> World:
    roles_sync()
    policies_sync()
    w = World(orgs=make_tree())
    other = organization_create(name="其他区委", kind=OrgKind.DISTRICT, code="OD")
    w.orgs["other_district"] = other
    w.orgs["x"] = organization_create(name="其他支部", kind=OrgKind.BRANCH, code="OX", parent=other)
    roles = {r.code: r for r in Role.objects.all()}
    start = timezone.localdate() - timedelta(days=400)
    for key, org in w.orgs.items():
        term_start(organization=org, start_date=start)
        person = Person.objects.create(name=f"{key}书记")
        position_assign(organization=org, person=person, kind=PositionKind.SECRETARY, start_date=start)
        w.people[key] = person
    for username, (role_code, org_key) in PERSONAS.items():
        user = user_create(
            username=username, password=PASSWORD, display_name=username, email=f"{username}@example.org"
        )
        role_grant(by=None, user=user, role=roles[role_code], organization=w.orgs[org_key])
        w.users[username] = user
    for username, org_key in (("branch_secretary", "b1"), ("street_secretary", "s1"), ("outsider", "s2")):
        person = w.people[org_key]
        person.user = w.users[username]
        person.save()
    today = timezone.localdate()
    for key in ("b1", "b2", "b3", "s1", "c1", "x"):
        w.obligations[key] = obligation_create(
            kind="core.supervision_item",
            title=f"{key} 报送工作总结",
            organization=w.orgs[key],
            due_date=today + timedelta(days=5),
            created_by=w.users["discipline_officer"],
        )
    return w


def verify_otp(client, user) -> None:
    """Log the client in as a user who has passed two-factor (the middleware would otherwise redirect)."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()


@pytest.fixture
def login():
    """A fresh logged-in client per call, so two personas can act in one test."""
    from django.test import Client

    def _login(user):
        client = Client()
        verify_otp(client, user)
        return client

    return _login


@pytest.fixture
def api():
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def _api(user=None):
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _api


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def standards(db):
    """The shipped inspection standards, by code."""
    from luoshi.inspections.models import Standard
    from luoshi.inspections.standards import standards_sync

    standards_sync()
    return {s.code: s for s in Standard.objects.all()}
