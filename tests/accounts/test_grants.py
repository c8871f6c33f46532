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


def test_admin_creates_a_user_then_grants_a_role(world, login):
    admin = login(world.users["district_admin"])
    weak = admin.post(
        "/accounts/grants/", {"new_username": "zhangsan", "display_name": "张三", "password": "12345678901"}
    )
    assert weak.status_code == 400 and 'value="zhangsan"' in weak.content.decode()
    made = admin.post(
        "/accounts/grants/",
        {"new_username": "zhangsan", "display_name": "张三", "password": "支部书记的初始密码2026"},
    )
    assert made.status_code == 302 and made.url.endswith("?username=zhangsan")
    page = admin.get(made.url)
    assert 'value="zhangsan"' in page.content.decode()  # the grant form is ready for the new user
    taken = admin.post(
        "/accounts/grants/",
        {"new_username": "ZhangSan", "display_name": "x", "password": "另一个足够长的密码"},
    )
    assert taken.status_code == 400
    assert (
        login(world.users["street_secretary"])
        .post(
            "/accounts/grants/",
            {"new_username": "lisi", "display_name": "李四", "password": "足够长的初始密码2026"},
        )
        .status_code
        == 404
    )
