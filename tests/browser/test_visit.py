"""An inspector records a covert visit on a phone: answers and the photo survive a reload mid-visit, a failed item
takes its photo, the score shows live, and the recorded visit lists the finding. Screenshots in test-artifacts/."""

import hashlib
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from luoshi.core.models import Attachment
from luoshi.inspections import services
from luoshi.inspections.models import Answer, InspectionKind, StandardItem, Visit
from luoshi.inspections.standards import standards_sync
from tests.conftest import PASSWORD

from .test_branch_secretary import SHOTS, browser, pytestmark  # noqa: F401 — the shared browser fixture

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_visit_on_a_phone_survives_a_reload(world, live_server, browser, tmp_path):  # noqa: F811
    standards_sync()
    from luoshi.inspections.models import Standard

    today = timezone.localdate()
    covert = services.inspection_create(
        by=world.users["discipline_officer"],
        kind=InspectionKind.COVERT,
        title="作风纪律暗访",
        standard=Standard.objects.get(code="work-style"),
        organization=world.district,
        approver=world.users["district_admin"],
        starts_on=today,
        ends_on=today + timedelta(days=3),
        team=[world.users["inspector"]],
        targets=[world.b1],
    )
    items = list(
        StandardItem.objects.filter(section__standard=covert.standard).order_by("section__order", "order")
    )
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "inspector")
    page.fill("#id_password", PASSWORD)
    page.locator("form button").first.click()
    page.wait_for_url(f"{live_server.url}/")
    url = f"{live_server.url}/inspections/{covert.pk}/visit/{world.b1.pk}/"
    page.goto(url)

    first, car = (
        items[0],
        next(i for i in items if i.code == "C1"),
    )  # C1 (public car) needs a photo on failure
    page.check(f"input[name=item-{first.pk}][value='1']")
    page.check(f"input[name=item-{car.pk}][value='0']")
    page.fill(f"textarea[name=note-{car.pk}]", "公车停放在私人小区")
    page.set_input_files(f"input[name=photo-{car.pk}]", str(photo))
    photo_input = f"input[name=photo-{car.pk}]"
    page.wait_for_function(
        "sel => document.querySelector(sel).nextElementSibling.textContent !== ''", arg=photo_input
    )
    assert page.locator("#live-score").inner_text() != "—"
    page.reload()  # the connection drops, the tab is reloaded: nothing typed, nothing photographed is lost
    assert page.is_checked(f"input[name=item-{first.pk}][value='1']")
    assert page.is_checked(f"input[name=item-{car.pk}][value='0']")
    assert page.input_value(f"textarea[name=note-{car.pk}]") == "公车停放在私人小区"
    page.wait_for_function("sel => document.querySelector(sel).files.length === 1", arg=photo_input)
    assert page.eval_on_selector(photo_input, "el => el.files[0].name") == "现场.png"
    assert "1" in page.locator(f"{photo_input} + .photo-kept").inner_text()

    for item in items:
        if item.pk in (first.pk, car.pk):
            continue
        if item.scoring == "pass_fail":
            page.check(f"input[name=item-{item.pk}][value='1']")
        elif item.scoring == "points":
            page.fill(f"input[name=item-{item.pk}]", str(item.max_points))
        else:
            page.fill(f"input[name=item-{item.pk}]", str(item.threshold if item.at_least else 0))
    live = float(page.locator("#live-score").inner_text())
    assert 0 < live < 100
    page.screenshot(path=SHOTS / "visit-form-390px.png", full_page=True)
    page.locator("#visit-form button").last.click()
    page.wait_for_url(f"{live_server.url}/inspections/visits/*/")
    visit = Visit.objects.get(inspection=covert)
    assert float(visit.score) == live
    assert page.get_by_text("公车停放在私人小区").first.is_visible()
    assert visit.findings.count() == 1
    kept = Attachment.objects.get(
        subject_type=ContentType.objects.get_for_model(Answer), subject_id=str(visit.answers.get(item=car).pk)
    )
    assert kept.blob.sha256 == hashlib.sha256(PNG).hexdigest()  # the very file chosen before the reload
    # once recorded, the draft is gone from the phone
    assert page.evaluate("localStorage.length") == 0
    left = page.evaluate(
        """() => new Promise(ok => { const r = indexedDB.open("luoshi-drafts", 1);
           r.onsuccess = () => { const q = r.result.transaction("photos").objectStore("photos").count();
           q.onsuccess = () => ok(q.result); }; })"""
    )
    assert left == 0
    page.screenshot(path=SHOTS / "visit-recorded-390px.png", full_page=True)
    page.context.close()
