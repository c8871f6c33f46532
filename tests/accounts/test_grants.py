import pytest

from luoshi.accounts.models import Role, RoleGrant
from luoshi.accounts.services import role_grant
from luoshi.core.errors import NotPermitted, ServiceError


def test_admin_grants_and_revokes_on_a_subtree(world, login):
    admin = login(world.users["district_admin"])
    inspector = Role.objects.get(code="inspector")
    response = admin.post(
        "/accounts/grants/",
        {"username": "outsider", "role": inspector.pk, "organization": f"{world.c1.name} · {world.c1.code}"},
    )
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=world.users["outsider"], role=inspector)
    assert grant.organization == world.c1 and grant.granted_by == world.users["district_admin"]
    # the new grant widens what the outsider sees at once
    assert login(world.users["outsider"]).get(f"/orgs/{world.b1.pk}/").status_code == 200

    assert admin.post(f"/accounts/grants/{grant.pk}/revoke/", {"reason": ""}).status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is None  # no reason, no revocation
    admin.post(f"/accounts/grants/{grant.pk}/revoke/", {"reason": "借调结束"})
    grant.refresh_from_db()
    assert (
        grant.revoked_at
        and grant.revoked_by == world.users["district_admin"]
        and grant.revoke_reason == "借调结束"
    )
    assert login(world.users["outsider"]).get(f"/orgs/{world.b1.pk}/").status_code == 404


def test_grant_form_keeps_input_and_names_the_problem(world, login):
    admin = login(world.users["district_admin"])
    response = admin.post(
        "/accounts/grants/",
        {"username": "nobody", "role": Role.objects.get(code="member").pk, "organization": "无此组织"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'value="nobody"' in text and 'value="无此组织"' in text


def test_roles_page_is_for_granters_only(world, login):
    assert login(world.users["street_secretary"]).get("/accounts/grants/").status_code == 404
    assert login(world.users["auditor"]).get("/accounts/grants/").status_code == 404


def test_no_grant_outside_scope_or_above_ones_own_rights(world):
    admin_role = Role.objects.get(code="district_admin")
    street_granter = Role.objects.create(
        code="street_granter", name="street granter", permissions=["orgs.view", "roles.grant"]
    )
    role_grant(by=None, user=world.users["street_secretary"], role=street_granter, organization=world.s1)
    with pytest.raises(NotPermitted):
        role_grant(
            by=world.users["street_secretary"],
            user=world.users["member"],
            role=Role.objects.get(code="member"),
            organization=world.b3,
        )
    with pytest.raises(ServiceError):
        role_grant(
            by=world.users["street_secretary"],
            user=world.users["member"],
            role=admin_role,
            organization=world.b1,
        )
    role_grant(
        by=world.users["street_secretary"],
        user=world.users["member"],
        role=Role.objects.get(code="member"),
        organization=world.b2,
    )
