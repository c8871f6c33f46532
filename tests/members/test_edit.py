"""Correcting a member's record by hand: the same checks as an import row, what was typed kept on a refusal,
the reason required, the change in the member's history."""

from luoshi.members.models import Member

from .test_register import register


def test_a_correction_is_checked_and_kept_in_history(world, login):
    register(world)
    member = Member.objects.filter(organization=world.b1).first()
    client = login(world.users["branch_secretary"])
    url = f"/members/{member.pk}/edit/"
    assert url in client.get(member.get_absolute_url()).content.decode()  # the way in, from the member's page
    form = client.get(url).content.decode()
    assert member.national_id in form  # the manager corrects the full record
    fields = {f"c{i}": v for i, v in enumerate(_values(member))}
    bad = client.post(url, {**fields, "c11": "1380000", "reason": "核对"})
    assert bad.status_code == 400 and "1380000" in bad.content.decode() and "手机号码" in bad.content.decode()
    no_reason = client.post(url, {**fields, "c11": "13812345678", "reason": ""})
    assert no_reason.status_code == 400
    ok = client.post(url, {**fields, "c11": "13812345678", "reason": "本人提供新号码"})
    assert ok.status_code == 302
    member.refresh_from_db()
    assert member.phone == "13812345678"
    latest = member.history.first()
    assert (
        latest.history_change_reason == "本人提供新号码"
        and latest.history_user == world.users["branch_secretary"]
    )
    # another street's secretary cannot open it
    assert login(world.users["outsider"]).get(url).status_code == 404


def _values(m):
    return [
        m.name,
        "男" if m.sex == "M" else "女",
        m.ethnicity,
        m.national_id,
        m.birth_date.isoformat(),
        m.education,
        "正式党员" if m.category == "full" else "预备党员",
        m.organization.code,
        m.joined_on.isoformat(),
        m.full_on.isoformat() if m.full_on else "",
        m.post,
        m.phone,
        m.residence,
        "否",
        "否",
        "",
    ]
