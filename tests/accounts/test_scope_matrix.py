"""Scope matrix: for every persona and every endpoint of the foundation, a record inside the persona's scope
is visible, and a record in a sibling street or branch (or another district) answers 404 — never 403."""

import pytest

# persona -> (an organization inside its scope, organizations outside it)
MATRIX = {
    "district_admin": ("b3", ["x", "other_district"]),
    "org_officer": ("b3", ["x"]),
    "discipline_officer": ("b1", ["x"]),
    "publicity_officer": ("s2", ["x"]),
    "auditor": ("c2", ["x"]),
    "inspector": ("b2", ["s2", "b3"]),
    "street_secretary": ("b2", ["s2", "b3", "district"]),
    "branch_secretary": ("b1", ["b2", "b3", "s1"]),
    "member": ("b1", ["b2", "b3"]),
    "outsider": ("b3", ["s1", "b1", "b2"]),
}
CASES = [(persona, inside, outside) for persona, (inside, outs) in MATRIX.items() for outside in outs]


@pytest.mark.parametrize("persona,inside,outside", CASES)
def test_web_org_page(world, login, persona, inside, outside):
    client = login(world.users[persona])
    assert client.get(f"/orgs/{world.orgs[inside].pk}/").status_code == 200
    assert client.get(f"/orgs/{world.orgs[outside].pk}/").status_code == 404


@pytest.mark.parametrize("persona,inside,outside", CASES)
def test_api_org_detail_and_list(world, api, persona, inside, outside):
    client = api(world.users[persona])
    assert client.get(f"/api/orgs/{world.orgs[inside].pk}/").status_code == 200
    assert client.get(f"/api/orgs/{world.orgs[outside].pk}/").status_code == 404
    listed = {row["id"] for row in client.get("/api/orgs/?limit=500").json()["results"]}
    assert world.orgs[inside].pk in listed
    assert world.orgs[outside].pk not in listed


@pytest.mark.parametrize("persona,inside,outside", CASES)
def test_api_positions(world, api, persona, inside, outside):
    client = api(world.users[persona])
    assert client.get(f"/api/positions/?organization={world.orgs[inside].pk}").json()["count"] == 1
    assert client.get(f"/api/positions/?organization={world.orgs[outside].pk}").json()["count"] == 0


OBLIGATION_MATRIX = {
    "district_admin": ("b3", "x"),
    "org_officer": ("b1", "x"),
    "discipline_officer": ("s1", "x"),
    "auditor": ("c1", "x"),
    "street_secretary": ("b2", "b3"),
    "branch_secretary": ("b1", "b2"),
    "outsider": ("b3", "b1"),
    "inspector": ("b1", "b3"),
    "publicity_officer": ("b3", "x"),
}


@pytest.mark.parametrize("persona", sorted(OBLIGATION_MATRIX))
def test_obligations_web_and_api(world, login, api, persona):
    inside, outside = OBLIGATION_MATRIX[persona]
    ok, hidden = world.obligations[inside], world.obligations[outside]
    web = login(world.users[persona])
    assert web.get(f"/obligations/{ok.pk}/").status_code == 200
    assert web.get(f"/obligations/{hidden.pk}/").status_code == 404
    assert web.post(f"/obligations/{hidden.pk}/waive/", {"reason": "x"}).status_code == 404
    rest = api(world.users[persona])
    assert rest.get(f"/api/obligations/{ok.pk}/").status_code == 200
    assert rest.get(f"/api/obligations/{hidden.pk}/").status_code == 404
    assert rest.post(f"/api/obligations/{hidden.pk}/complete/", {"note": "x"}).status_code == 404
    listed = {row["id"] for row in rest.get("/api/obligations/?limit=500").json()["results"]}
    assert ok.pk in listed and hidden.pk not in listed


def test_member_sees_own_branch_but_not_its_obligations(world, login, api):
    """A member's role shows the organization, not the branch's supervision items."""
    client = login(world.users["member"])
    assert client.get(f"/orgs/{world.b1.pk}/").status_code == 200
    assert client.get(f"/obligations/{world.obligations['b1'].pk}/").status_code == 404


def test_inbox_is_private(world, api):
    from luoshi.core.notifications import notify

    [note] = notify([world.users["branch_secretary"]], title="only mine")
    assert api(world.users["branch_secretary"]).get(f"/api/inbox/{note.pk}/").status_code == 200
    assert api(world.users["outsider"]).get(f"/api/inbox/{note.pk}/").status_code == 404
    assert api(world.users["district_admin"]).post(f"/api/inbox/{note.pk}/read/").status_code == 404


def test_history_needs_audit_right_inside_scope(world, login):
    auditor = login(world.users["auditor"])
    assert auditor.get(f"/history/organization/{world.b3.pk}/").status_code == 200
    assert auditor.get(f"/history/organization/{world.x.pk}/").status_code == 404
    branch = login(world.users["branch_secretary"])
    assert branch.get(f"/history/organization/{world.b1.pk}/").status_code == 404


def test_unknown_ids_and_garbage_are_404(world, login, api):
    client = login(world.users["district_admin"])
    assert client.get("/orgs/999999/").status_code == 404
    assert client.get("/obligations/?org=999999").status_code == 404
    assert api(world.users["district_admin"]).get("/api/orgs/?parent=abc").json()["count"] == 0
