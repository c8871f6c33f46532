"""The API of transfers, dues, sweeps, findings (with the due process, refused out of order) and duplicate pairs,
each scoped as the pages are."""

from datetime import date

from luoshi.accounts.models import Role
from luoshi.accounts.services import role_grant
from luoshi.members.models import Member

from .test_duplicates import twice  # noqa: F401 — the fixture
from .test_register import register


def test_transfer_and_dues_through_the_api(world, api):
    register(world)
    member = Member.objects.filter(organization=world.b1).first()
    secretary = api(world.users["branch_secretary"])
    bad = secretary.post("/api/members/transfers/", {"member": member.pk, "reason": "搬家"}, format="json")
    assert bad.status_code == 400  # nowhere to go
    sent = secretary.post(
        "/api/members/transfers/",
        {"member": member.pk, "to_organization": world.b3.pk, "reason": "搬家"},
        format="json",
    )
    assert sent.status_code == 201 and sent.json()["status"] == "issued"
    letter = sent.json()["id"]
    assert secretary.post(f"/api/members/transfers/{letter}/receive/").status_code == 403  # not the receiver
    officer = api(world.users["org_officer"])
    assert (
        officer.post(f"/api/members/transfers/{letter}/receive/", {"note": "已报到"}).json()["status"]
        == "received"
    )
    # dues: only the dues keeper and the offices above
    other = Member.objects.filter(organization=world.b1).exclude(pk=member.pk).first()
    payment = {"member": other.pk, "month": "2026-01-01", "amount": "0.20", "paid_on": "2026-01-05"}
    assert secretary.post("/api/members/dues/", payment, format="json").status_code == 403
    role_grant(
        by=None,
        user=world.users["branch_secretary"],
        role=Role.objects.get(code="dues_keeper"),
        organization=world.b1,
    )
    assert secretary.post("/api/members/dues/", payment, format="json").status_code == 201
    assert api(world.users["street_secretary"]).get("/api/members/dues/").json()["count"] == 0
    assert officer.get("/api/members/dues/").json()["count"] == 1


def test_a_sweep_and_its_due_process_through_the_api(world, api, committed):
    register(world)
    lost = Member.objects.get(name="张伟")
    Member.objects.filter(pk=lost.pk).update(lost_contact=True, lost_contact_since=date(2025, 1, 1))
    officer = api(world.users["org_officer"])
    with committed():
        opened = officer.post("/api/members/sweeps/", {"organization": world.district.pk}, format="json")
    assert opened.status_code == 201, opened.content.decode()
    sweep = opened.json()["id"]
    report = officer.get(f"/api/members/sweeps/{sweep}/report/").json()
    assert report["total"] == 1 and world.district.name in report["sentence"]
    finding = officer.get(f"/api/members/findings/?sweep={sweep}&rule=lost_contact").json()["results"][0]
    url = f"/api/members/findings/{finding['id']}/"
    secretary = api(world.users["branch_secretary"])  # 张伟 is kept by B1
    refused = secretary.post(url + "outcome/", {"outcome": "remove"}, format="json")
    assert refused.status_code == 400  # the facts come first
    secretary.post(url + "answer/", {"answer": "多方联系未果"}, format="json")
    secretary.post(url + "outcome/", {"outcome": "remove"}, format="json")
    assert (
        secretary.post(
            url + "meeting/", {"decision": "同意", "held_on": "2026-11-20"}, format="json"
        ).status_code
        == 400
    )
    secretary.post(url + "statement/", {"declined": "true"}, format="json")
    secretary.post(url + "meeting/", {"decision": "支部大会同意除名", "held_on": "2026-11-20"}, format="json")
    assert secretary.post(url + "approve/", {"approval": "自批"}, format="json").status_code == 403
    done = officer.post(url + "approve/", {"approval": "江组〔2026〕9号"}, format="json").json()
    assert done["status"] == "closed" and Member.objects.get(pk=lost.pk).archived_at is not None


def test_duplicate_pairs_through_the_api(world, twice, api):  # noqa: F811
    from luoshi.members import duplicates

    duplicates.search(by=world.users["org_officer"], organization=world.district)
    officer = api(world.users["org_officer"])
    pairs = officer.get("/api/members/duplicates/").json()
    assert pairs["count"] == 1
    pair = pairs["results"][0]
    assert pair["comparisons"]["national_id"][0] == "One character off, check digit fails"
    assert api(world.users["branch_secretary"]).get("/api/members/duplicates/").json()["count"] == 0
    assert (
        officer.post(f"/api/members/duplicates/{pair['id']}/merge/", {"keep": 0, "reason": "x"}).status_code
        == 400
    )
    merged = officer.post(
        f"/api/members/duplicates/{pair['id']}/merge/", {"keep": pair["member_l"], "reason": "与本人核实"}
    ).json()
    assert merged["status"] == "merged"
