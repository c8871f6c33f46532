"""An organization officer imports a member sheet in a real browser: the file has errors, the refused rows come
back as a sheet, fixed in "Excel" and uploaded again, then imported. Screenshots in test-artifacts/."""

import io

from openpyxl import load_workbook

from luoshi.members.models import Member
from tests.conftest import PASSWORD
from tests.members.sheets import row, xlsx

from .test_branch_secretary import SHOTS, browser, pytestmark  # noqa: F401 — the shared browser fixture


def test_import_with_errors_fixed_through_the_error_sheet(world, live_server, browser, tmp_path):  # noqa: F811
    rows = [row(n, world.b1.code if n % 2 else world.b2.code) for n in range(8)]
    rows[3][3] = rows[3][3][:-1] + ("0" if rows[3][3][-1] != "0" else "1")  # a wrong check digit
    rows[5][9] = rows[5][8]  # 转正 on the day of joining
    first = tmp_path / "党员名册.xlsx"
    first.write_bytes(xlsx(rows).read())
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "org_officer")
    page.fill("#id_password", PASSWORD)
    page.locator("form button").first.click()
    page.wait_for_url(f"{live_server.url}/")
    page.locator("nav.main a[href='/members/']").click()
    page.get_by_role("link", name="从 Excel 导入").click()
    page.fill("#id_organization", world.district.code)
    page.set_input_files("#id_file", str(first))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_selector("#import-errors")
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 2
    assert "公民身份号码" in errors.nth(0).inner_text() and "转正日期" in errors.nth(1).inner_text()
    page.screenshot(path=SHOTS / "members-import-refused-1280px.png", full_page=True)
    assert not Member.objects.exists()

    with page.expect_download() as download:
        page.get_by_role("link", name="下载有错误的行").click()
    sheet = tmp_path / "errors.xlsx"
    download.value.save_as(sheet)
    wb = load_workbook(sheet)
    ws = wb.active
    assert ws.max_row == 3 and ws.cell(row=1, column=ws.max_column).value == "错误"
    ws.cell(row=2, column=4).value = row(3, world.b1.code)[3]  # the ID as it should be
    ws.cell(row=3, column=10).value = row(5, world.b1.code)[9]  # a year after joining
    ws.delete_cols(ws.max_column)  # the error column may stay or go; here it goes
    fixed = tmp_path / "改正后.xlsx"
    out = io.BytesIO()
    wb.save(out)
    fixed.write_bytes(out.getvalue())

    page.get_by_role("link", name="重新上传").click()
    page.fill("#id_organization", world.district.code)
    page.set_input_files("#id_file", str(fixed))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_selector("text=全部行检查通过")
    page.screenshot(path=SHOTS / "members-import-preview-1280px.png", full_page=True)
    page.get_by_role("button", name="导入名册").click()
    page.wait_for_selector("text=已导入：新增 2 名党员")
    assert Member.objects.count() == 2
    page.goto(f"{live_server.url}/members/")
    assert page.locator("#members tbody tr").count() == 2
    page.screenshot(path=SHOTS / "members-register-1280px.png", full_page=True)
    page.context.close()


def test_a_branch_secretary_answers_a_sweep_finding_on_a_phone(world, live_server, browser):  # noqa: F811
    from datetime import date, timedelta

    from luoshi.members import sweeps
    from luoshi.members.models import SweepFinding
    from tests.members.test_register import register

    members = register(world)
    mine = next(m for m in members.values() if m.organization == world.b1)
    Member.objects.filter(pk=mine.pk).update(
        lost_contact=True, lost_contact_since=date.today() - timedelta(days=300)
    )
    sweep = sweeps.sweep_open(by=world.users["org_officer"], organization=world.district, queue=False)
    sweeps.sweep_run(sweep.pk)
    finding = SweepFinding.objects.get(sweep=sweep, member=mine)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "branch_secretary")
    page.fill("#id_password", PASSWORD)
    page.locator("form button").first.click()
    page.wait_for_url(f"{live_server.url}/")
    page.locator("nav.main a[href='/members/']").click()
    page.get_by_role("link", name="集中排查").click()
    page.get_by_role("link", name=sweep.title).click()
    page.get_by_role("link", name=f"{mine.name} · 失去联系6个月以上").click()
    assert "中国共产党党员教育管理工作条例" in page.content()
    page.fill("#id_answer", "支部书记多次电话联系未果，经走访其家属，本人已于今年初外出务工，电话已更换。")
    page.screenshot(path=SHOTS / "members-sweep-finding-390px.png", full_page=True)
    page.get_by_role("button", name="提交核实情况").click()
    page.wait_for_selector("text=已回复，待确定处置")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finding.refresh_from_db()
    assert finding.status == "answered" and "外出务工" in finding.answer
    page.screenshot(path=SHOTS / "members-sweep-answered-390px.png", full_page=True)
    page.context.close()
