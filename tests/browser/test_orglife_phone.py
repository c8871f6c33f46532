"""On a 390-px phone: the branch secretary opens organizational life, records the month's theme day with its
attendance (one member unticked, with the reason), saves and sees the meeting with its QR code; then a member
opens the check-in address and confirms. Screenshots in test-artifacts/screenshots/."""

import time

from luoshi.orglife.models import AbsenceReason, Attendance, Meeting
from tests.conftest import PASSWORD
from tests.orglife.conftest import life  # noqa: F401 — the district with rolls, rules and this month's plan

from .test_branch_secretary import SHOTS, browser, pytestmark  # noqa: F401 — the shared browser fixture

PHONE = {"width": 390, "height": 844}


def log_in(browser, live_server, username):  # noqa: F811
    page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button").first.click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_a_secretary_records_the_theme_day_on_a_phone_and_a_member_confirms(life, live_server, browser):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    w = life.world
    zhang, li_na = life.members["b1"][0], life.members["b1"][1]

    page = log_in(browser, live_server, "branch_secretary")
    page.goto(f"{live_server.url}/orglife/")
    assert page.get_by_text(life.plan.theme).first.is_visible()
    page.screenshot(path=SHOTS / "orglife-index-390px.png", full_page=True)

    started = time.monotonic()
    button = page.locator("#record-theme-day")
    box = button.bounding_box()
    assert box["width"] > 300 and box["height"] >= 44  # a big button, easy to hit with a thumb
    button.click()
    page.wait_for_url("**/orglife/meetings/new/**")
    assert page.input_value("#id_topic") == life.plan.theme
    assert page.input_value("#id_kind") == "theme_day"
    for code in life.plan.required_items:
        assert page.is_checked(f"input[name=agenda][value={code}]")
    # one member was away: untick, and the reason to pick appears
    reason = page.locator(f"select[name=reason-{li_na.pk}]")
    assert not reason.is_visible()
    page.locator(f"label[for=present-{li_na.pk}]").click()
    assert reason.is_visible()
    reason.select_option(AbsenceReason.SICK)
    page.fill("#id_record", "集中学习党章，交纳党费，到小区开展清洁志愿服务。")
    page.screenshot(path=SHOTS / "orglife-record-390px.png", full_page=True)
    save = page.locator("#save-meeting")
    assert save.bounding_box()["width"] > 300
    save.click()  # the place was forgotten: refused, and nothing typed is lost
    page.wait_for_selector("#form-errors")
    assert Meeting.objects.count() == 0
    assert not page.is_checked(f"#present-{li_na.pk}") and page.is_checked(f"#present-{zhang.pk}")
    assert page.input_value(f"select[name=reason-{li_na.pk}]") == AbsenceReason.SICK
    assert page.input_value("#id_record").startswith("集中学习党章")
    page.screenshot(path=SHOTS / "orglife-record-refused-390px.png", full_page=True)
    page.fill("#id_place", "社区党群服务中心")
    page.locator("#save-meeting").click()
    page.wait_for_url("**/orglife/meetings/*/")
    elapsed = time.monotonic() - started
    assert elapsed < 60, elapsed

    meeting = Meeting.objects.get()
    assert (meeting.present, meeting.roll, meeting.plan_id) == (3, 4, life.plan.pk)
    assert Attendance.objects.get(meeting=meeting, member=li_na).reason == AbsenceReason.SICK
    assert page.locator("#attendance").get_by_text(li_na.name).is_visible()
    qr = page.locator("#checkin-qr img")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 300  # large enough to scan across a table
    assert page.evaluate("document.querySelector('#checkin-qr img').naturalWidth") > 0
    page.screenshot(path=SHOTS / "orglife-meeting-390px.png", full_page=True)
    checkin_url = page.locator("#checkin-qr .url a").get_attribute("href")
    assert checkin_url.endswith(f"/orglife/checkin/{meeting.checkin_token}/")
    page.context.close()

    member = log_in(browser, live_server, "member")
    member.goto(checkin_url)
    assert member.get_by_text(meeting.topic).is_visible()
    member.screenshot(path=SHOTS / "orglife-checkin-390px.png", full_page=True)
    member.locator("#confirm-attendance").click()
    member.wait_for_selector("#checkin-done")
    member.screenshot(path=SHOTS / "orglife-checkin-done-390px.png", full_page=True)
    row = Attendance.objects.get(meeting=meeting, member=zhang)
    assert row.present and row.confirmed_at is not None
    member.context.close()

    # the office sees the six marks on a phone too
    office = log_in(browser, live_server, "org_officer")
    office.goto(f"{live_server.url}/orglife/plans/{life.plan.pk}/")
    assert office.locator(f"#compliance tr[data-branch='{w.b1.code}']").is_visible()
    office.screenshot(path=SHOTS / "orglife-compliance-390px.png", full_page=True)
    office.context.close()
