"""The branch secretary in a real browser (headless Chromium driven by Playwright): logs in, sees their
obligations, opens one, switches to English. Screenshots of each page on a 390-px phone and a desktop go to
test-artifacts/screenshots/."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from luoshi.core.obligations import obligation_create, obligation_sweep
from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser
if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytestmark = [
        pytest.mark.browser,
        pytest.mark.skip(reason="Debian chromium not installed (CI installs it)"),
    ]


@pytest.fixture
def browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = (
        "true"  # Playwright's sync API runs an event loop in this thread
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 900)], ids=["phone", "desktop"])
def test_branch_secretary_journey(world, live_server, browser, viewport):
    overdue = obligation_create(
        kind="core.supervision_item",
        title="开展作风纪律专项整治自查",
        organization=world.b1,
        due_date=timezone.localdate() - timedelta(days=2),
    )
    obligation_sweep()
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = f"{viewport[0]}px"
    page = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}).new_page()

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "branch_secretary")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h2", has_text="逾期").is_visible()
    item = page.get_by_role("link", name="开展作风纪律专项整治自查")
    assert item.is_visible()
    assert page.get_by_text("b2 报送工作总结").count() == 0  # a sibling branch's work is not shown
    page.screenshot(path=SHOTS / f"home-{name}.png", full_page=True)

    item.click()
    page.wait_for_url(f"{live_server.url}/obligations/{overdue.pk}/")
    assert page.locator("h1").inner_text().startswith("开展作风纪律专项整治自查")
    assert page.get_by_text("逾期预警").first.is_visible()
    page.screenshot(path=SHOTS / f"obligation-{name}.png", full_page=True)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/obligations/{overdue.pk}/")
    assert page.get_by_text("What happens, and when").is_visible()
    assert page.get_by_role("button", name="Report as done").first.is_visible()
    page.screenshot(path=SHOTS / f"obligation-en-{name}.png", full_page=True)
    page.context.close()
