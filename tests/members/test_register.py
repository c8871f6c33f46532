"""The register as its users meet it: search by name, pinyin initials and the ID's last digits; the ID and
phone masked unless the role needs them, every full read logged; the history of a member; the API."""

from luoshi.members import services
from luoshi.members.models import Member, SensitiveRead
from luoshi.members.selectors import member_list

from .sheets import row, xlsx


def register(world, n=6):
    job = services.import_start(
        by=world.users["org_officer"],
        organization=world.district,
        upload=xlsx([row(i, (world.b1, world.b2, world.b3)[i % 3].code) for i in range(n)]),
        queue=False,
    )
    job = services.import_check(job.pk)
    services.import_commit(by=world.users["org_officer"], job=job, queue=False)
    return {m.name: m for m in Member.objects.all()}


def test_search_by_name_initials_and_id_digits(world):
    members = register(world)
    officer = world.users["org_officer"]
    assert [m.name for m in member_list(officer, search="张")] == ["张伟"]
    assert [m.name for m in member_list(officer, search="zw")] == ["张伟"]
    assert [m.name for m in member_list(officer, search="LN")] == ["李娜"]
    wang = members["王芳"]
    assert [m.name for m in member_list(officer, search=wang.national_id[-6:])] == ["王芳"]
    assert list(member_list(officer, under=world.s2)) == [
        m for m in members.values() if m.organization == world.b3
    ]


def test_scope_masking_and_the_logged_reveal(world, login):
    members = register(world)
    mine = next(m for m in members.values() if m.organization == world.b1)
    secretary = login(world.users["branch_secretary"])
    listing = secretary.get("/members/").content.decode()
    assert mine.name in listing and mine.national_id not in listing  # masked in the list
    assert mine.national_id[:6] + "********" + mine.national_id[-4:] in listing
    other = next(m for m in members.values() if m.organization == world.b3)
    assert secretary.get(other.get_absolute_url()).status_code == 404  # another street's member
    page = secretary.get(mine.get_absolute_url()).content.decode()
    assert mine.national_id not in page and 'href="?reveal=1"' in page
    revealed = secretary.get(mine.get_absolute_url() + "?reveal=1").content.decode()
    assert mine.national_id in revealed and mine.phone in revealed
    read = SensitiveRead.objects.get()
    assert (read.user, read.member, read.via) == (world.users["branch_secretary"], mine, "page")
    # the discipline office sees the register masked, and asking to reveal changes nothing
    discipline = login(world.users["discipline_officer"])
    page = discipline.get(mine.get_absolute_url() + "?reveal=1").content.decode()
    assert mine.national_id not in page and 'href="?reveal=1"' not in page
    assert SensitiveRead.objects.count() == 1


def test_the_api_masks_and_logs(world, api):
    members = register(world)
    member = next(m for m in members.values() if m.organization == world.b1)
    client = api(world.users["branch_secretary"])
    listed = client.get("/api/members/").json()
    assert listed["count"] == 2 and all("********" in m["national_id"] for m in listed["results"])
    one = client.get(f"/api/members/{member.pk}/?reveal=1").json()
    assert (one["national_id"], one["phone"], one["masked"]) == (member.national_id, member.phone, False)
    assert SensitiveRead.objects.filter(via="api").count() == 1
    auditor = api(world.users["auditor"])
    assert auditor.get("/api/members/").json()["count"] == 6
    assert auditor.get(f"/api/members/{member.pk}/?reveal=1").status_code == 403
    assert SensitiveRead.objects.count() == 1
    assert api(world.users["outsider"]).get(f"/api/members/{member.pk}/").status_code == 404


def test_a_members_history_shows_who_changed_what(world, login):
    members = register(world)
    member = next(m for m in members.values() if m.organization == world.b1)
    services.member_update(
        by=world.users["org_officer"], member=member, values={"post": "退休"}, reason="核对"
    )
    page = login(world.users["org_officer"]).get(member.get_absolute_url()).content.decode()
    assert "社区工作者" in page and "退休" in page and "核对" in page
