"""The task cascade in a real browser: the branch secretary reports progress on a phone; the district
officer opens the cascade view on a desktop. Screenshots go to test-artifacts/screenshots/."""

from datetime import timedelta

from django.utils import timezone

from luoshi.duty import services
from luoshi.duty.services import TaskSpec
from tests.conftest import PASSWORD

from .test_branch_secretary import SHOTS, browser, pytestmark  # noqa: F401 — the shared browser fixture


def _cascade(world):
    today = timezone.localdate()
    officer, street = world.users["org_officer"], world.users["street_secretary"]
    plan = services.plan_create(by=officer, organization=world.district, year=today.year, title="工作要点")
    task = services.task_create(
        by=officer,
        plan=plan,
        spec=TaskSpec(
            title="开展廉政警示教育", deadline=today + timedelta(days=20), lead_office="区纪委监委"
        ),
    )
    (top,) = services.task_assign(by=officer, task=task, organizations=[world.s1])
    child = services.task_split(
        by=street,
        assignment=top,
        spec=TaskSpec(title="开展廉政警示教育（支部）", deadline=today + timedelta(days=10)),
        organizations=[world.b1, world.b2],
    )
    return task, {a.organization_id: a for a in child.assignments.all()}


def _login(page, url, username):
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button").first.click()
    page.wait_for_url(f"{url}/")


def test_branch_reports_on_a_phone_and_the_district_sees_it(world, live_server, browser):  # noqa: F811
    task, assignments = _cascade(world)
    SHOTS.mkdir(parents=True, exist_ok=True)

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    _login(phone, live_server.url, "branch_secretary")
    phone.locator("nav.main a[href='/duty/']").click()
    phone.get_by_role("link", name="开展廉政警示教育（支部）").click()
    assert phone.url.endswith(f"/duty/assignments/{assignments[world.b1.pk].pk}/")
    phone.fill("#id_text", "已组织支部党员观看警示教育片，并开展讨论。")
    phone.screenshot(path=SHOTS / "duty-report-390px.png", full_page=True)
    phone.locator("button[name=completion][value='0']").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("已组织支部党员观看警示教育片").first.is_visible()
    # the page fits the phone: nothing wider than the viewport
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=SHOTS / "duty-reported-390px.png", full_page=True)
    phone.context.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _login(desk, live_server.url, "org_officer")
    desk.goto(f"{live_server.url}/duty/tasks/{task.pk}/?order=tree")
    rows = desk.locator("table.cascade tbody tr")
    assert rows.count() == 3
    texts = [rows.nth(i).inner_text() for i in range(3)]
    assert "城关街道党工委" in texts[0] and "0/2" in texts[0]
    b1 = next(t for t in texts if "幸福第一支部" in t)
    assert "已组织支部党员观看警示教育片" in b1
    desk.screenshot(path=SHOTS / "duty-cascade-1280px.png", full_page=True)
    desk.context.close()
