"""Every link and button a persona sees leads somewhere they may go (issue 14).

Each persona logs in and crawls the site from the home page, breadth first, to a bounded depth and number of
pages, over a district with records of every module built through the real services. A link that answers
403, 404 or 5xx fails the test, and so does a download that is not a 200. Every form found is then submitted
once (with its own default values, blanks filled with a plausible value), each inside a transaction that is
rolled back so one submission cannot change what the next one sees: an answer of 403, 404, 405 or 5xx means
the persona was shown a form they may not use, and so does a form error that refuses the submission for lack of
right (`luoshi.core.errors.attempt(..., denied=...)`, which logs it). A 400/200 with other validation errors
is fine.
"""

import logging
import os
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from .conftest import PERSONAS, verify_otp

MAX_DEPTH = 3  # pages followed from the home page (depth 0); the links on the deepest pages are checked too
MAX_PAGES = 200  # GET requests per persona
PER_VIEW = 5  # distinct URLs per view (different records, other query strings): breadth before depth
SKIP_VIEWS = {
    "accounts:logout",  # would end the crawl
    "accounts:language",  # would switch the rest of the crawl to English
    "accounts:login",
}


# --- the world ------------------------------------------------------------------------------------------


def _png(name="证据.png"):
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")


def _at(day):
    return time_machine.travel(
        timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 9, 0)), tick=False
    )


@pytest.fixture
def rich(world, standards):
    """The small world with records of every module, made through the real services."""
    from luoshi.accountability import services as accountability
    from luoshi.accounts.models import Role
    from luoshi.accounts.services import role_grant
    from luoshi.assessment import services as assessment
    from luoshi.core.models import Escalation
    from luoshi.core.obligations import escalation_decide, obligation_sweep
    from luoshi.duty import services as duty
    from luoshi.duty.services import TargetSpec, TaskSpec
    from luoshi.inspections import services as inspections
    from luoshi.inspections.models import InspectionKind
    from luoshi.members import dues, sweeps
    from luoshi.members import services as members
    from luoshi.orglife import services as orglife
    from luoshi.orglife.models import AgendaItem
    from luoshi.orglife.periods import month_end
    from luoshi.sites import services as sites

    from .assessment.conftest import SCHEME as BRANCH_SCHEME
    from .inspections.conftest import all_pass
    from .orglife.conftest import Life, make_members
    from .reports.conftest import publish_run

    u = world.users
    officer, discipline, street, secretary = (
        u["org_officer"],
        u["discipline_officer"],
        u["street_secretary"],
        u["branch_secretary"],
    )
    today = timezone.localdate()

    # duty: a responsibility letter to the branches; a work plan whose task goes to both streets and is split
    # by the street to its branches, one of which reports
    letter = duty.letter_draft(
        by=officer,
        issuer=world.district,
        year=today.year,
        title="党风廉政建设责任书",
        sign_by=today + timedelta(days=10),
        targets=[
            TargetSpec(
                text="落实主体责任",
                category="principal",
                measure="每季度研究一次",
                weight=10,
                due_date=today + timedelta(days=30),
            )
        ],
    )
    duty.letter_issue(by=officer, letter=letter, organizations=[world.b1, world.b2, world.b3])
    plan = duty.plan_create(by=officer, organization=world.district, year=today.year, title="工作要点")
    task = duty.task_create(
        by=officer, plan=plan, spec=TaskSpec(title="开展廉政警示教育", deadline=today + timedelta(days=20))
    )
    top, _other = duty.task_assign(by=officer, task=task, organizations=[world.s1, world.s2])
    child = duty.task_split(
        by=street,
        assignment=top,
        spec=TaskSpec(title="开展廉政警示教育（支部）", deadline=today + timedelta(days=14)),
        organizations=[world.b1, world.b2],
    )
    mine = child.assignments.get(organization=world.b1)
    duty.report_add(by=secretary, assignment=mine, text="已组织观看警示教育片")

    # inspections: a covert visit by the inspector with a finding and its rectification; a finding added by
    # hand whose rectification missed its deadline and reached a confirmed circular
    ordered = today - timedelta(days=40)
    with _at(ordered):
        inspection = inspections.inspection_create(
            by=discipline,
            kind=InspectionKind.COVERT,
            title="作风纪律暗访",
            standard=standards["work-style"],
            organization=world.district,
            approver=u["district_admin"],
            starts_on=ordered,
            ends_on=ordered + timedelta(days=7),
            team=[u["inspector"]],
            targets=[world.b1, world.b2],
        )
        visit = inspections.visit_record(
            by=u["inspector"],
            inspection=inspection,
            organization=world.b1,
            answers=all_pass(standards["work-style"]),
            summary="总体良好",
        )
        found = inspections.finding_add(
            by=u["inspector"], organization=world.b1, description="台账不全", visit=visit
        )
        overdue = [
            inspections.rectification_order(
                by=u["inspector"],
                finding=found,
                deadline=ordered + timedelta(days=10),
                evidence_required="台账照片",
            )
        ]
        late = inspections.finding_add(by=discipline, organization=world.b1, description="值班人员脱岗")
        overdue.append(
            inspections.rectification_order(
                by=discipline, finding=late, deadline=ordered + timedelta(days=10), evidence_required="值班表"
            )
        )
    obligation_sweep()
    for rectification in overdue:
        circular = Escalation.objects.get(obligation=rectification.obligation_id, action="circular")
        escalation_decide(escalation=circular, user=discipline, confirm=True, reason="逾期未整改")
    accountability.circular_issue(
        by=discipline,
        issuer=world.district,
        organization=world.b1,
        findings=[late],
        title="关于幸福第一支部逾期未整改的通报",
    )  # the confirmed proposal stays to be carried out: its button shows on the rectification page
    accountability.talk_record(
        by=discipline,
        kind="reminder",
        organization=world.b1,
        persons="b1书记",
        held_on=today,
        talker="区纪委",
        basis="逾期未整改",
        record="谈话记录",
    )

    # members: the register, dues assessed and paid (the branch secretary keeps the branch's dues, as in the
    # demo), a transfer, a sweep
    role_grant(by=None, user=secretary, role=Role.objects.get(code="dues_keeper"), organization=world.b1)
    life_members = make_members(world)
    for m in life_members["b1"]:
        dues.assess(by=officer, member=m, year=today.year, basis="student")
        dues.pay(by=officer, member=m, month=today.replace(day=1), amount="0.2", paid_on=today)
    members.transfer_issue(
        by=secretary, member=life_members["b1"][-1], to_organization=world.b2, reason="搬家"
    )
    sweeps.sweep_run(sweeps.sweep_open(by=officer, organization=world.district, queue=False).pk)

    # organizational life: the rules, this month's plan with the inspector supervising b1, a meeting held
    orglife.rules_default(organization=world.district, effective_from=today - timedelta(days=400))
    first = today.replace(day=1)
    plan_life = orglife.plan_save(
        by=officer,
        organization=world.district,
        data=orglife.PlanInput(
            month=first,
            window_start=first,
            window_end=max(first, min(today, month_end(first))),
            theme="学习贯彻全面从严治党要求",
            materials="《中国共产党章程》",
            required_items=(AgendaItem.COLLECTIVE_STUDY, AgendaItem.DUES_PAYMENT),
            records_to_keep="会议记录、签到表",
        ),
    )
    orglife.plan_publish(plan=plan_life, by=officer)
    orglife.supervisors_assign(plan=plan_life, by=officer, assignments={world.b1: u["inspector"]})
    plan_life.refresh_from_db()
    life = Life(world=world, plan=plan_life, members=life_members)
    orglife.meeting_record(by=secretary, branch=world.b1, data=life.data("b1"))
    orglife.supervision_record(plan=plan_life, branch=world.b1, by=u["inspector"], visited_on=today)

    # service centers: the community's center and its compliance project
    center = sites.center_register(
        by=officer,
        organization=world.c1,
        name="幸福社区党群服务中心",
        address="幸福路1号",
        area_m2=300,
        opening_hours="9:00-17:00",
        staff_count=3,
    )
    sites.project_create(
        by=officer,
        center=center,
        title="达标建设",
        deadline=today + timedelta(days=60),
        milestones=[("完成改造", today + timedelta(days=30))],
    )

    # assessment: a published community run, and a branch scheme with a manual indicator, published, appealed
    publish_run(world)
    scheme = assessment.scheme_upload(
        by=officer, issuer=world.district, text=BRANCH_SCHEME.format(year=today.year)
    )
    for org, points in ((world.b1, 15), (world.b2, 18), (world.b3, 20)):
        assessment.manual_score_set(
            by=officer,
            indicator=scheme.indicators.get(code="D"),
            organization=org,
            points=points,
            reason="述职评议",
        )
    run = assessment.run_compute(
        by=officer, scheme=scheme, since=today.replace(month=1, day=1), until=today.replace(month=12, day=31)
    )
    run = assessment.run_publish(by=officer, run=run)
    result = run.results.get(organization=world.b1)
    assessment.appeal_file(by=secretary, result=result, indicator_code="D", text="评议漏计", uploads=[_png()])
    world.records = {
        "plan": plan,
        "task": task,
        "child": child,
        "visit": visit,
        "rectifications": overdue,  # the team's (from the visit) and the office's (added by hand)
        "result": result,
    }
    return world


# --- the crawler ----------------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    multipart: bool
    fields: list = field(default_factory=list)  # (name, kind, value)
    selects: dict = field(default_factory=dict)  # name -> [(value, selected)]
    button: tuple | None = None


class Page(HTMLParser):
    """The links (a href, hx-get) and forms of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if a.get("hx-get"):
            self.links.append(a["hx-get"])
        form = self._form
        if tag == "form":
            self._form = Form(
                action=a.get("action", ""),
                method=a.get("method", "get").lower(),
                multipart="multipart" in a.get("enctype", ""),
            )
            self.forms.append(self._form)
        elif form is None or "disabled" in a:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image"):
                form.button = form.button or (a["name"], a.get("value", ""))
            elif kind in ("checkbox", "radio"):
                form.fields.append((a["name"], kind, (a.get("value", "on"), "checked" in a)))
            else:
                form.fields.append((a["name"], kind, a.get("value", "")))
        elif tag == "button" and a.get("type", "submit") == "submit" and a.get("name"):
            form.button = form.button or (a["name"], a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            form.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            form.selects[self._select].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"]]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, *text = self._textarea
            self._form.fields.append((name, "textarea", "".join(text)))
            self._textarea = None


def _filled(form: Form, *, fill: bool) -> dict:
    """The form's own values; with `fill`, blanks get a plausible value and a file input a small image."""
    today = timezone.localdate()
    blank = {
        "date": today.isoformat(),
        "month": today.strftime("%Y-%m"),
        "datetime-local": f"{today.isoformat()}T09:00",
        "time": "09:00",
        "number": "1",
        "email": "someone@example.org",
        "tel": "13800000000",
        "url": "https://example.org/",
        "textarea": "测试说明：已按要求完成。",
    }
    data: dict[str, list] = {}
    for name, kind, value in form.fields:
        if kind == "file":
            if fill:
                data.setdefault(name, []).append(_png())
        elif kind in ("checkbox", "radio"):
            if value[1]:
                data.setdefault(name, []).append(value[0])
        else:
            if fill and not value.strip() and kind != "hidden":
                value = blank.get(kind, "测试")
            data.setdefault(name, []).append(value)
    if fill:  # a radio group with nothing checked: its first choice
        for name, kind, value in form.fields:
            if kind == "radio" and name not in data:
                data[name] = [value[0]]
    for name, options in form.selects.items():
        chosen = [v for v, selected in options if selected]
        if not chosen and fill:
            chosen = [v for v, _s in options if v][:1]
        if chosen:
            data[name] = chosen
    if form.button:
        data.setdefault(form.button[0], []).append(form.button[1])
    return {k: v if len(v) > 1 else v[0] for k, v in data.items()}


@dataclass
class Crawl:
    persona: str
    pages: int = 0
    forms: int = 0
    problems: list = field(default_factory=list)
    views: Counter = field(default_factory=Counter)


def _view_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return "404"
    return match.view_name


def _same_site(base: str, href: str) -> str | None:
    href = (href or "").strip()
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    url = urlsplit(urljoin(base, href))
    if url.scheme not in ("", "http") or url.netloc not in ("", "testserver"):
        return None
    if url.path.startswith(("/static/", "/api/")):  # the API is fuzzed by its own tests
        return None
    return url.path + (f"?{url.query}" if url.query else "")


def _get(client, url):
    try:
        return client.get(url), None
    except Exception as exc:  # a view that raised: the user would see a 500
        return None, f"{type(exc).__name__}: {exc}"


def crawl(client: Client, persona: str) -> Crawl:
    result = Crawl(persona)
    seen: set[str] = set()
    queue = deque([("/", 0, "(start)")])
    forms: dict[tuple, tuple] = {}  # (method, action path) -> (form, page it was on)
    while queue and result.pages < MAX_PAGES:
        url, depth, referrer = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        view = _view_name(urlsplit(url).path)
        if view in SKIP_VIEWS:
            continue
        if view != "404" and result.views[view] >= PER_VIEW:
            continue
        result.views[view] += 1
        result.pages += 1
        response, error = _get(client, url)
        if error:
            result.problems.append(f"GET {url} (linked from {referrer}) raised {error}")
            continue
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            target = _same_site(url, response["Location"])
            if target and _view_name(urlsplit(target).path) == "accounts:login":
                result.problems.append(f"GET {url} (linked from {referrer}) sent to the login page")
            elif target:
                queue.append((target, depth, url))
            continue
        if status in (403, 404, 405) or status >= 500:
            result.problems.append(f"GET {url} (linked from {referrer}) answered {status}")
            continue
        content_type = response.get("Content-Type", "")
        if "text/html" not in content_type:
            if status != 200:
                result.problems.append(f"GET {url} (download, linked from {referrer}) answered {status}")
            continue
        if depth > MAX_DEPTH:  # a link seen on the deepest pages: checked, not followed
            continue
        page = Page()
        page.feed(response.content.decode("utf-8", errors="replace"))
        for form in page.forms:
            action = _same_site(url, form.action or url)
            if action is None:
                continue
            if form.method == "get":
                query = urlencode(_filled(form, fill=False), doseq=True)
                target = urlsplit(action).path + (f"?{query}" if query else "")
                queue.append((target, depth + 1, url))
            else:
                forms.setdefault((form.method, urlsplit(action).path), (form, action, url))
        for href in page.links:
            target = _same_site(url, href)
            if target and target not in seen:
                queue.append((target, depth + 1, url))
    for (_method, path), (form, action, page_url) in forms.items():
        if _view_name(path) in SKIP_VIEWS:
            continue
        result.forms += 1
        problem = _submit(client, form, action)
        if problem:
            result.problems.append(f"POST {action} (form on {page_url}) {problem}")
    return result


class _Refusals(logging.Handler):
    """The refusals for lack of right that `attempt(..., denied=...)` turned into form errors (it logs them)."""

    logger = logging.getLogger("luoshi.core.errors")

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def __enter__(self):
        self._level = self.logger.level
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self._level)


def _submit(client: Client, form: Form, action: str) -> str | None:
    """Submit the form inside a transaction rolled back afterwards (and the client's cookies restored), so
    the next form finds the world as the crawl saw it."""
    cookies = client.cookies
    client.cookies = type(cookies)(cookies)  # a copy: a password change would rotate the session
    try:
        with transaction.atomic(), _Refusals() as refusals:
            try:
                response = client.post(action, _filled(form, fill=True))
            except Exception as exc:
                return f"raised {type(exc).__name__}: {exc}"
            finally:
                transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    if os.environ.get("CRAWL_DEBUG"):
        print(
            "POST",
            action,
            response.status_code,
            re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode())[:3],
            sorted(_filled(form, fill=True)),
        )
    if response.status_code in (403, 404, 405) or response.status_code >= 500:
        return f"answered {response.status_code}"
    if refusals.messages:
        return f"was refused for lack of right: {'; '.join(refusals.messages)}"
    return None


def persona_client(user) -> Client:
    client = Client()
    verify_otp(client, user)
    return client


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_every_link_and_form_leads_somewhere_allowed(rich, persona, record_property):
    result = crawl(persona_client(rich.users[persona]), persona)
    record_property("pages", result.pages)
    print(f"\n{persona}: {result.pages} pages crawled, {result.forms} forms submitted")
    assert result.pages > 5
    assert not result.problems, f"{persona}:\n" + "\n".join(result.problems)


# --- the defects the demo showed, one by one ----------------------------------------------------------


def _page(rich, persona, url) -> str:
    response = persona_client(rich.users[persona]).get(url)
    assert response.status_code == 200, (persona, url, response.status_code)
    return response.content.decode()


def test_the_dues_page_goes_up_only_for_who_keeps_the_dues_above(rich):
    url = f"/members/dues/?org={rich.b1.pk}"
    up = f'href="?org={rich.c1.pk}&month='
    assert up not in _page(rich, "branch_secretary", url)  # the branch's keeper: the community is not theirs
    assert up in _page(rich, "org_officer", url)


def test_a_plan_links_only_the_tasks_the_user_may_open(rich):
    plan, task, child = rich.records["plan"], rich.records["task"], rich.records["child"]
    page = _page(rich, "branch_secretary", f"/duty/plans/{plan.pk}/")
    assert task.title in page and f'href="/duty/tasks/{task.pk}/"' not in page
    page = _page(rich, "branch_secretary", f"/duty/tasks/{child.pk}/")
    assert f'href="/duty/assignments/{child.parent_assignment_id}/"' not in page  # the street's assignment
    assert f'href="/duty/tasks/{task.pk}/"' in _page(rich, "street_secretary", f"/duty/plans/{plan.pk}/")


ISSUE_CIRCULAR = "发出已确认的通报"


@pytest.mark.parametrize("persona", ["inspector", "street_secretary", "publicity_officer", "auditor"])
def test_the_confirmed_circular_is_offered_only_to_who_may_issue_it(rich, persona):
    for rectification in rich.records["rectifications"]:
        response = persona_client(rich.users[persona]).get(rectification.get_absolute_url())
        if response.status_code == 200:
            assert ISSUE_CIRCULAR not in response.content.decode()
    office = rich.records["rectifications"][1]
    assert ISSUE_CIRCULAR in _page(rich, "discipline_officer", office.get_absolute_url())


AMEND = "更正（须说明原因）"


@pytest.mark.parametrize("persona", ["district_admin", "org_officer", "discipline_officer"])
def test_only_the_team_amends_a_visit(rich, persona):
    url = rich.records["visit"].get_absolute_url()
    response = persona_client(rich.users[persona]).get(url)
    assert response.status_code in (200, 404)
    assert AMEND not in response.content.decode()
    assert AMEND in _page(rich, "inspector", url)


REPORT = "报送整改情况"


@pytest.mark.parametrize("persona", ["inspector", "auditor"])
def test_only_the_unit_is_offered_the_rectification_report(rich, persona):
    team = rich.records["rectifications"][0]
    assert REPORT not in _page(rich, persona, team.get_absolute_url())
    assert REPORT in _page(rich, "branch_secretary", team.get_absolute_url())


def test_a_result_links_only_the_records_its_reader_may_open(rich):
    url = rich.records["result"].get_absolute_url()
    member = _page(rich, "member", url)
    assert "/inspections/rectifications/" not in member and "/duty/assignments/" not in member
    assert "/inspections/rectifications/" in _page(rich, "org_officer", url)


RECORD_TALK, RECORD_DECISION = "/accountability/talks/new/", "/accountability/decisions/new/"


@pytest.mark.parametrize(
    "persona", ["publicity_officer", "auditor", "inspector", "street_secretary", "branch_secretary"]
)
def test_talks_and_decisions_are_offered_only_to_who_may_decide(rich, persona):
    """约谈 / 处理决定: who may decide about no unit is shown no such form, and opening one is refused (403),
    not answered with a form that can only fail."""
    from luoshi.core.models import Escalation, EscalationStatus

    client = persona_client(rich.users[persona])
    index = _page(rich, persona, "/accountability/")
    assert RECORD_TALK not in index and RECORD_DECISION not in index
    proposal = Escalation.objects.filter(
        obligation=rich.records["rectifications"][1].obligation_id, status=EscalationStatus.CONFIRMED
    ).get()
    for url in (
        RECORD_TALK,
        RECORD_DECISION,
        f"{RECORD_DECISION}?escalation={proposal.pk}&kind=accountability",
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"organization": "B1", "basis": "逾期未整改"}).status_code == 403, url
    office = _page(rich, "discipline_officer", "/accountability/")
    assert RECORD_TALK in office and RECORD_DECISION in office
    office = persona_client(rich.users["discipline_officer"])
    assert office.get(f"{RECORD_DECISION}?escalation={proposal.pk}").status_code == 200


def test_a_sweep_is_offered_only_to_an_office(rich):
    """The branch manages its members but opens no sweep (an office does, over its subtree)."""
    assert 'name="as_of"' not in _page(rich, "branch_secretary", "/members/sweeps/")
    assert 'name="as_of"' in _page(rich, "org_officer", "/members/sweeps/")
