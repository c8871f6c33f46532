"""The obligation pages as their users work with them."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from luoshi.core.models import Attachment, Obligation
from luoshi.core.obligations import obligation_create, obligation_sweep

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_branch_secretary_reports_done_with_evidence(world, login):
    client = login(world.users["branch_secretary"])
    ob = world.obligations["b1"]
    page = client.get(f"/obligations/{ob.pk}/")
    assert page.context["can"]["complete"] and not page.context["can"]["waive"]
    response = client.post(
        f"/obligations/{ob.pk}/complete/",
        {
            "note": "已按时报送总结",
            "files": [SimpleUploadedFile("总结.pdf", PDF, content_type="application/pdf")],
        },
    )
    assert response.status_code == 302
    ob.refresh_from_db()
    assert ob.state == "done" and ob.closing_note == "已按时报送总结"
    attachment = Attachment.objects.get(subject_id=str(ob.pk))
    assert attachment.filename == "总结.pdf" and len(attachment.blob.sha256) == 64
    download = client.get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert login(world.users["outsider"]).get(f"/attachments/{attachment.pk}/").status_code == 404


def test_rejected_evidence_changes_nothing_and_keeps_the_note(world, login):
    client = login(world.users["branch_secretary"])
    ob = world.obligations["b1"]
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="application/pdf")
    response = client.post(f"/obligations/{ob.pk}/complete/", {"note": "我写的说明", "files": [fake]})
    assert response.status_code == 400
    assert "我写的说明" in response.content.decode()
    ob.refresh_from_db()
    assert ob.state == "open" and not Attachment.objects.exists()


def test_confirm_needs_a_reason_and_keeps_what_was_typed(world, login):
    ob = obligation_create(
        kind="core.supervision_item",
        title="逾期事项",
        organization=world.b2,
        due_date=timezone.localdate() - timedelta(days=8),
    )
    obligation_sweep()
    escalation = ob.escalations.get(action="circular")
    client = login(world.users["discipline_officer"])
    blank = client.post(f"/escalations/{escalation.pk}/decide/", {"decision": "confirm", "reason": ""})
    assert blank.status_code == 400
    escalation.refresh_from_db()
    assert escalation.status == "proposed"
    done = client.post(f"/escalations/{escalation.pk}/decide/", {"decision": "dismiss", "reason": "已补报"})
    assert done.status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == "dismissed" and escalation.reason == "已补报"
    # A unit's own secretary sees the proposal but cannot decide it
    assert (
        login(world.users["street_secretary"])
        .post(f"/escalations/{escalation.pk}/decide/", {"decision": "confirm", "reason": "x"})
        .status_code
        == 403
    )


def test_supervision_item_form(world, login):
    client = login(world.users["street_secretary"])
    past = client.post(
        "/obligations/new/",
        {"organization": f"{world.b2.name} · {world.b2.code}", "title": "整改台账", "due_date": "2020-01-01"},
    )
    assert past.status_code == 400 and 'value="整改台账"' in past.content.decode()
    outside = client.post(
        "/obligations/new/",
        {
            "organization": world.b3.code,
            "title": "越界",
            "due_date": str(timezone.localdate() + timedelta(days=3)),
        },
    )
    assert outside.status_code == 400 and not Obligation.objects.filter(title="越界").exists()
    ok = client.post(
        "/obligations/new/",
        {
            "organization": f"{world.b2.name} · {world.b2.code}",
            "title": "整改台账",
            "due_date": str(timezone.localdate() + timedelta(days=3)),
        },
    )
    assert ok.status_code == 302
    created = Obligation.objects.get(title="整改台账")
    assert created.organization == world.b2 and created.created_by == world.users["street_secretary"]
    assert created.responsible == world.people["b2"]  # the sitting secretary by default
    assert login(world.users["branch_secretary"]).get("/obligations/new/").status_code == 404


def test_org_picker_offers_only_the_scope(world, login):
    options = login(world.users["street_secretary"]).get("/orgs/pick/?organization=支部").content.decode()
    assert world.b1.code in options and world.b2.code in options and world.b3.code not in options


def test_inbox_and_mark_read(world, login):
    client = login(world.users["branch_secretary"])
    inbox = client.get("/inbox/")
    notes = list(inbox.context["page"].object_list)
    assert notes and all(n.recipient == world.users["branch_secretary"] for n in notes)
    opened = client.get(f"/inbox/{notes[0].pk}/")
    assert opened.status_code == 302 and opened.url == f"/obligations/{world.obligations['b1'].pk}/"
    notes[0].refresh_from_db()
    assert notes[0].read_at is not None


def test_obligation_list_filters(world, login):
    Obligation.objects.filter(pk=world.obligations["b2"].pk).update(
        due_date=timezone.localdate() - timedelta(days=1)
    )
    client = login(world.users["street_secretary"])
    overdue = client.get("/obligations/?state=overdue")
    assert [o.pk for o in overdue.context["page"].object_list] == [world.obligations["b2"].pk]
    scoped = client.get(f"/obligations/?org={world.b1.pk}")
    assert [o.pk for o in scoped.context["page"].object_list] == [world.obligations["b1"].pk]


def test_admin_shortens_a_ladder_and_open_obligations_follow(world, login):
    from luoshi.core.models import EscalationPolicy

    policy = EscalationPolicy.objects.get(kind="core.supervision_item")
    late = obligation_create(
        kind="core.supervision_item",
        title="晚交",
        organization=world.b2,
        due_date=timezone.localdate() - timedelta(days=4),
    )
    obligation_sweep()
    assert list(late.escalations.values_list("action", flat=True)) == ["warn"]
    steps = {s.action: s.order for s in policy.steps.all()}
    form = {"policy": policy.pk, **{f"step-{s.order}": s.offset_days for s in policy.steps.all()}}

    refused = login(world.users["org_officer"]).post(
        "/obligations/ladders/", {**form, f"step-{steps['circular']}": 3}
    )
    assert refused.status_code == 403

    admin = login(world.users["district_admin"])
    disorder = admin.post("/obligations/ladders/", {**form, f"step-{steps['circular']}": 30})
    assert disorder.status_code == 400 and 'value="30"' in disorder.content.decode()
    assert policy.steps.get(action="circular").offset_days == 7

    assert admin.post("/obligations/ladders/", {**form, f"step-{steps['circular']}": 3}).status_code == 302
    obligation_sweep()
    assert list(late.escalations.values_list("action", "status")) == [
        ("warn", "applied"),
        ("circular", "proposed"),
    ]


def test_member_home_shows_their_branch_not_obligation_sections(world, login):
    page = login(world.users["member"]).get("/")
    text = page.content.decode()
    assert page.status_code == 200 and world.b1.name in text and "待我确认" not in text


def test_refused_report_through_the_page_stores_no_file(world, login, settings):
    from pathlib import Path

    ob = world.obligations["b1"]
    response = login(world.users["auditor"]).post(
        f"/obligations/{ob.pk}/complete/",
        {"note": "x", "files": [SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")]},
    )
    assert response.status_code == 403
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
