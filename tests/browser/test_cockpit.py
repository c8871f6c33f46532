"""The district cockpit in a real browser: the organization officer opens it on a desktop and on a phone, the
charts draw, nothing scrolls sideways on the phone, and a street's overdue figure opens the obligation list.
Screenshots in test-artifacts/screenshots/ (cockpit-desktop.png, cockpit-phone.png, cockpit-screen.png)."""

from tests.conftest import PASSWORD
from tests.reports.conftest import publish_run, records  # noqa: F401 — the cockpit's records
from tests.test_query_counts import grow

from .test_branch_secretary import SHOTS, browser, pytestmark  # noqa: F401 — the shared browser fixture


def open_cockpit(browser, live_server, viewport, url="/cockpit/"):  # noqa: F811
    page = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "org_officer")
    page.fill("#id_password", PASSWORD)
    page.locator("form button").first.click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}{url}")
    # ECharts draws into a <canvas> inside each chart's box
    page.wait_for_selector("#chart-tree canvas")
    page.wait_for_selector("#chart-obligations canvas")
    page.wait_for_timeout(600)  # the charts' entry animation
    return page


def test_the_cockpit_on_a_desktop_and_a_phone(records, live_server, browser):  # noqa: F811
    world = records
    grow(world, 4)  # overdue and escalated obligations in both streets
    publish_run(world)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = open_cockpit(browser, live_server, (1366, 900))
    box = page.locator("#chart-tree canvas").first.bounding_box()
    assert box["width"] > 300 and box["height"] > 300
    page.screenshot(path=SHOTS / "cockpit-desktop.png", full_page=True)
    page.context.close()

    page = open_cockpit(browser, live_server, (1920, 1080), "/cockpit/?screen=1")
    assert page.evaluate("document.body.classList.contains('cockpit-screen')")
    assert page.locator("nav.main").count() == 0
    page.screenshot(path=SHOTS / "cockpit-screen.png", full_page=False)
    page.context.close()

    page = open_cockpit(browser, live_server, (390, 844))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    box = page.locator("#chart-tree canvas").first.bounding_box()
    assert 300 < box["width"] <= 390
    page.screenshot(path=SHOTS / "cockpit-phone.png", full_page=True)

    # a street's overdue figure opens the obligation list behind it
    link = page.locator(f'#obligations-table a[href="/obligations/?state=overdue&org={world.s1.pk}"]')
    assert int(link.inner_text()) > 0
    link.click()
    page.wait_for_url(f"{live_server.url}/obligations/?state=overdue&org={world.s1.pk}")
    assert page.locator("main").get_by_text("任务").count() > 0  # the street's overdue obligations are listed
    page.context.close()
