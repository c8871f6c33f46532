import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.accounts.models import Role
from luoshi.core.attachments import attachment_add, blob_path
from luoshi.core.errors import NotPermitted, ServiceError
from luoshi.core.models import Attachment, Obligation, ProtectedRead, RecordsAreNotDeleted
from luoshi.core.notifications import notify
from luoshi.core.obligations import obligation_complete
from luoshi.orgs.models import Organization

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def test_every_change_keeps_who_when_and_previous_values(world, login):
    ob = world.obligations["b1"]
    obligation_complete(obligation=ob, user=world.users["branch_secretary"], note="完成")
    versions = list(Obligation.history.filter(id=ob.pk).order_by("history_date"))
    assert [v.state for v in versions] == ["open", "done"]
    page = login(world.users["auditor"]).get(f"/history/obligation/{ob.pk}/")
    assert page.status_code == 200
    [newest, created] = page.context["versions"]
    assert created.kind == "created"
    changed = {str(label): (old, new) for label, old, new in newest.changes}
    assert changed["状态"] == ("进行中", "已完成")  # labels the user knows, not stored codes
    assert "last_step_order" not in str(changed)  # bookkeeping fields are not shown


def test_history_records_the_web_user(world, login):
    client = login(world.users["district_admin"])
    client.post(
        "/accounts/grants/",
        {"username": "member", "role": Role.objects.get(code="inspector").pk, "organization": world.b2.code},
    )
    grant = world.users["member"].grants.get(organization=world.b2)
    assert grant.history.first().history_user == world.users["district_admin"]


def test_records_are_not_deleted(world):
    with pytest.raises(RecordsAreNotDeleted):
        world.b1.delete()
    with pytest.raises(RecordsAreNotDeleted):
        Organization.objects.filter(pk=world.b1.pk).delete()
    with pytest.raises(RecordsAreNotDeleted):
        world.obligations["b1"].delete()
    assert Organization.objects.filter(pk=world.b1.pk).exists()


def test_protected_read_log_is_append_only(world):
    read = ProtectedRead.objects.create(
        user=world.users["discipline_officer"],
        subject_type=ContentType.objects.get_for_model(Organization),
        subject_id=str(world.b1.pk),
        field="reporter",
        purpose="核查",
    )
    with pytest.raises(RecordsAreNotDeleted):
        read.delete()


def test_attachment_is_stored_once_by_sha256_and_typed_by_content(world):
    user = world.users["branch_secretary"]
    first = attachment_add(
        upload=SimpleUploadedFile("photo.jpg", PNG), user=user, subject=world.obligations["b1"]
    )
    second = attachment_add(
        upload=SimpleUploadedFile("again.png", PNG), user=user, subject=world.obligations["b1"]
    )
    assert first.blob == second.blob and first.blob.content_type == "image/png"  # the name said jpg
    assert blob_path(first.blob.sha256).read_bytes() == PNG
    assert Attachment.objects.count() == 2


def test_attachment_refuses_disguised_executable_and_oversize(world, settings):
    user = world.users["branch_secretary"]
    with pytest.raises(ServiceError):
        attachment_add(
            upload=SimpleUploadedFile("invoice.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100), user=user
        )
    settings.UPLOAD_MAX_BYTES = 10
    with pytest.raises(ServiceError):
        attachment_add(upload=SimpleUploadedFile("big.png", PNG), user=user)
    assert not Attachment.objects.exists()


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 — the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def robot(settings):
    """A local stand-in for a WeCom/DingTalk group robot on 127.0.0.1."""
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=test"
    yield _Receiver.received
    server.shutdown()


def test_notification_goes_to_inbox_email_and_group_robot(world, robot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify([world.users["branch_secretary"]], title="逾期：报送总结", body="请尽快报送")
    assert world.users["branch_secretary"].notifications.filter(title="逾期：报送总结").exists()
    assert [m.to for m in mail.outbox if m.subject == "逾期：报送总结"] == [["branch_secretary@example.org"]]
    assert robot == [{"msgtype": "text", "text": {"content": "逾期：报送总结\n请尽快报送"}}]


def test_refused_report_stores_no_file(world, settings):
    from pathlib import Path

    with pytest.raises(NotPermitted):
        obligation_complete(
            obligation=world.obligations["b1"],
            user=world.users["outsider"],
            note="x",
            uploads=[SimpleUploadedFile("a.png", PNG)],
        )
    assert not Attachment.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(media.rglob("*"))


def test_each_recipient_reads_the_message_in_their_language(world):
    from django.utils.translation import gettext_lazy as _

    from luoshi.core.notifications import render

    english = world.users["street_secretary"]
    english.language = "en"
    english.save()
    notes = notify(
        [english, world.users["branch_secretary"]],
        title=_("Overdue: %(title)s"),
        values={"title": "报送总结"},
    )
    titles = {n.recipient.username: n.title for n in notes}
    assert titles == {"street_secretary": "Overdue: 报送总结", "branch_secretary": "逾期：报送总结"}
    assert render(_("Overdue: %(title)s"), {"title": "x"}, "zh-hans") == "逾期：x"


def test_refused_webhook_raises_so_the_queue_retries(world, settings):
    import urllib.error

    from luoshi.core.notifications import post_webhook

    class Refuse(_Receiver):
        def do_POST(self):  # noqa: N802
            self.send_response(503)
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(urllib.error.HTTPError):
            post_webhook("x", url=f"http://127.0.0.1:{server.server_port}/")
    finally:
        server.shutdown()


def test_history_names_related_records_in_a_fixed_number_of_queries(world, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from luoshi.orgs.models import Person, PositionKind
    from luoshi.orgs.services import position_assign

    ob = world.obligations["b1"]
    client = login(world.users["auditor"])
    position_assign(
        organization=world.b1,
        person=Person.objects.create(name="接任书记甲"),
        kind=PositionKind.SECRETARY,
        start_date=ob.due_date,
    )
    with CaptureQueriesContext(connection) as few:
        page = client.get(f"/history/obligation/{ob.pk}/")
    assert "接任书记甲" in page.content.decode()  # the responsible person by name, not by id
    for name in ("接任书记乙", "接任书记丙", "接任书记丁"):
        position_assign(
            organization=world.b1,
            person=Person.objects.create(name=name),
            kind=PositionKind.SECRETARY,
            start_date=ob.due_date,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(f"/history/obligation/{ob.pk}/")
    assert len(many.captured_queries) == len(few.captured_queries)
