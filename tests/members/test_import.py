"""Imports of the register, as an organization officer does them on the web: checked in the background, a
preview, all or nothing, idempotent by national ID, the error sheet round trip, GBK CSV, a worker killed in the
middle of a commit, and the scope of who imports where."""

import io
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from luoshi.core.errors import ServiceError
from luoshi.members import services
from luoshi.members.models import ImportStatus, Member, MemberImport

from .sheets import csv_bytes, row, xlsx


@pytest.fixture
def upload(committed):
    def _upload(client, world, file, org="district"):
        with committed():
            response = client.post("/members/imports/", {"organization": world.orgs[org].code, "file": file})
        return _job(response)

    return _upload


def _job(response):
    assert response.status_code == 302, response.content.decode()[-2000:]
    return MemberImport.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def test_check_preview_commit_and_the_same_file_again(world, login, upload):
    officer = login(world.users["org_officer"])
    rows = [row(n, world.b1.code if n % 2 else world.b3.code) for n in range(6)]
    job = upload(officer, world, xlsx(rows))
    assert (job.status, job.valid_rows, job.error_rows, job.created_count) == ("checked", 6, 0, 6)
    page = officer.get(job.get_absolute_url()).content.decode()
    assert "<b>6</b>" in page and f"/members/imports/{job.pk}/commit/" in page
    assert not Member.objects.exists()  # nothing before the commit
    assert officer.post(f"/members/imports/{job.pk}/commit/").status_code == 302
    job.refresh_from_db()
    assert job.status == "committed" and Member.objects.count() == 6
    first = Member.objects.get(national_id=rows[0][3])
    assert (first.name, first.organization, first.initials) == ("张伟", world.b3, "zw")
    created = first.history.get()
    assert (
        created.history_user == world.users["org_officer"]
        and "党员名册.xlsx" in created.history_change_reason
    )
    history_rows = Member.history.count()
    # the same file again: six unchanged, and committing it writes nothing
    again = upload(officer, world, xlsx(rows))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 6)
    officer.post(f"/members/imports/{again.pk}/commit/")
    assert Member.objects.count() == 6 and Member.history.count() == history_rows
    # a changed phone is a change, kept in the member's history
    rows[0][11] = "13700000000"
    changed = upload(officer, world, xlsx(rows))
    assert (changed.created_count, changed.updated_count) == (0, 1)
    officer.post(f"/members/imports/{changed.pk}/commit/")
    first.refresh_from_db()
    assert first.phone == "13700000000" and first.history.count() == 2
    # committing twice changes nothing
    assert services.import_commit(by=world.users["org_officer"], job=changed).status == "committed"
    assert Member.history.count() == history_rows + 1


def test_one_bad_row_imports_nothing_and_the_error_sheet_round_trip(world, login, upload):
    officer = login(world.users["org_officer"])
    rows = [row(n, world.b1.code) for n in range(5)]
    rows[2][3] = rows[2][3][:-1] + ("0" if rows[2][3][-1] != "0" else "1")  # a wrong check digit
    rows[4][11] = "1380000"  # a short phone
    job = upload(officer, world, xlsx(rows))
    assert (job.status, job.valid_rows, job.error_rows) == ("refused", 3, 2)
    assert set(job.errors) == {"4", "6"}  # the header is row 1
    page = officer.get(job.get_absolute_url()).content.decode()
    assert "公民身份号码" in page and "手机号码" in page and "import-errors" in page
    with pytest.raises(ServiceError):
        services.import_commit(by=world.users["org_officer"], job=job)
    assert not Member.objects.exists()
    # download the refused rows, fix them in "Excel", upload the sheet again
    sheet = officer.get(f"/members/imports/{job.pk}/errors.xlsx")
    assert sheet.status_code == 200
    wb = load_workbook(io.BytesIO(sheet.content))
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert header[-1] == "错误" and ws.max_row == 3
    assert "公民身份号码" in ws.cell(row=2, column=len(header)).value
    ws.cell(row=2, column=4).value = row(2, world.b1.code)[3]
    ws.cell(row=3, column=12).value = "13800000000"
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "错误-党员名册.xlsx"
    fixed = upload(officer, world, out)
    assert (fixed.status, fixed.valid_rows) == ("checked", 2)
    officer.post(f"/members/imports/{fixed.pk}/commit/")
    assert Member.objects.count() == 2


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_a_csv_saved_by_excel(world, login, upload, encoding):
    officer = login(world.users["org_officer"])
    job = upload(officer, world, csv_bytes([row(n, world.b2.code) for n in range(3)], encoding))
    assert (job.status, job.valid_rows) == ("checked", 3)
    officer.post(f"/members/imports/{job.pk}/commit/")
    assert set(Member.objects.values_list("name", flat=True)) == {"张伟", "王芳", "李娜"}


def test_unreadable_and_misshapen_files_are_refused_with_a_reason(world, login, upload):
    officer = login(world.users["org_officer"])
    empty = io.BytesIO(b"\xef\xbb\xbf")
    empty.name = "空.csv"
    job = upload(officer, world, empty)
    assert job.status == "refused" and job.errors["0"]
    wb = load_workbook(xlsx([row(0, world.b1.code)]))
    wb.active["A1"], wb.active["B1"] = "性别", "姓名"  # two columns swapped
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "换列.xlsx"
    job = upload(officer, world, out)
    assert job.status == "refused" and "姓名" in " ".join(job.errors["0"])
    assert not Member.objects.exists()


def test_a_worker_killed_in_the_middle_of_a_commit_leaves_nothing_and_the_job_runs_again(world, committed):
    officer = world.users["org_officer"]
    with committed():
        job = services.import_start(
            by=officer, organization=world.district, upload=xlsx([row(n, world.b1.code) for n in range(4)])
        )
    job.refresh_from_db()
    assert job.status == "checked"
    with mock.patch("luoshi.members.services.bulk_create_with_history", side_effect=SystemExit("killed")):
        with pytest.raises(SystemExit):
            services.import_commit(by=officer, job=job)
    job.refresh_from_db()
    assert job.status == "committing" and not Member.objects.exists()
    assert services.imports_resume() == 0  # not yet stale
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert services.imports_resume() == 1
    job.refresh_from_db()
    assert job.status == "committed" and Member.objects.count() == 4


def test_who_imports_where(world, login, upload):
    # a street secretary keeps no register; a branch imports its own members only
    assert login(world.users["street_secretary"]).get("/members/imports/").status_code == 404
    branch = login(world.users["branch_secretary"])
    job = upload(branch, world, xlsx([row(0, world.b1.code), row(1, world.b2.code)]), org="b1")
    assert job.status == "refused" and list(job.errors) == ["3"]  # B2 is not the branch's
    refused = branch.post(
        "/members/imports/", {"organization": world.district.code, "file": xlsx([row(0, world.b1.code)])}
    )
    assert refused.status_code == 400  # the district is outside the branch's scope
    other = login(world.users["org_officer"])
    assert other.get(job.get_absolute_url()).status_code == 200  # the office above sees the branch's import
    assert login(world.users["outsider"]).get(job.get_absolute_url()).status_code == 404


def test_the_progress_part_polls_while_the_check_runs(world, login):
    officer = login(world.users["org_officer"])
    job = MemberImport.objects.create(
        organization=world.district,
        filename="x.xlsx",
        sha256="0" * 64,
        created_by=world.users["org_officer"],
        status=ImportStatus.CHECKING,
        total_rows=10_000,
        checked_rows=4_000,
    )
    part = officer.get(f"/members/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in part.content.decode() and 'value="40"' in part.content.decode()
    assert "HX-Refresh" not in part
    MemberImport.objects.filter(pk=job.pk).update(status=ImportStatus.REFUSED)
    done = officer.get(f"/members/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_a_probationary_member_owes_the_branch_a_decision_at_one_year(world, login, upload):
    from luoshi.core.models import Obligation
    from luoshi.orgs.services import add_years

    officer = login(world.users["org_officer"])
    today = timezone.localdate()
    rows = [row(n, world.b1.code) for n in range(2)]
    rows[1][6], rows[1][8], rows[1][9] = "预备党员", today - timedelta(days=200), None
    job = upload(officer, world, xlsx(rows))
    officer.post(f"/members/imports/{job.pk}/commit/")
    owed = Obligation.objects.get(policy__kind="members.full_membership")
    member = Member.objects.get(national_id=rows[1][3])
    assert (owed.organization, owed.due_date, owed.subject_id) == (
        world.b1,
        add_years(rows[1][8], 1),
        str(member.pk),
    )
    assert member.name in owed.title
    # the branch decided and the register says so: the obligation closes
    rows[1][6], rows[1][9] = "正式党员", add_years(rows[1][8], 1)
    with time_machine.travel(timezone.now() + timedelta(days=200)):
        officer = login(world.users["org_officer"])  # the session of 200 days ago has expired
        job = upload(officer, world, xlsx(rows))
        assert job.status == "checked", job.errors
        officer.post(f"/members/imports/{job.pk}/commit/")
    owed.refresh_from_db()
    assert (
        owed.state == "done"
        and Obligation.objects.filter(policy__kind="members.full_membership").count() == 1
    )


def test_too_large_a_file_and_too_many_rows_are_refused_with_a_reason(
    world, login, upload, settings, monkeypatch
):
    officer = login(world.users["org_officer"])
    settings.UPLOAD_MAX_BYTES = 2_000  # the real limit is 20 MB; a sheet of two rows is ~5 kB
    big = officer.post(
        "/members/imports/", {"organization": world.district.code, "file": xlsx([row(0, world.b1.code)])}
    )
    assert big.status_code == 400 and "MB" in big.content.decode() and not MemberImport.objects.exists()
    settings.UPLOAD_MAX_BYTES = 20 * 2**20
    monkeypatch.setattr(services, "MAX_ROWS", 3)
    job = upload(officer, world, xlsx([row(n, world.b1.code) for n in range(5)]))
    assert job.status == "refused" and "3" in job.errors["0"][0] and not Member.objects.exists()
