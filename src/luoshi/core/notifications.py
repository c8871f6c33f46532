"""Notifications: an inbox row per recipient; e-mail and the group-robot webhook go out from the task queue."""

import json
import logging
import urllib.request

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from luoshi.core.models import Notification

log = logging.getLogger(__name__)


def users_holding(perm: str, *, on_paths) -> list:
    """Active users with a grant carrying `perm` on exactly one of the organizations at `on_paths`."""
    from luoshi.accounts.models import Role, RoleGrant

    if not on_paths:
        return []
    role_ids = [role.pk for role in Role.objects.all() if perm in role.permissions]
    user_ids = (
        RoleGrant.objects.active()
        .filter(role_id__in=role_ids, organization__path__in=list(on_paths), user__is_active=True)
        .values_list("user_id", flat=True)
    )
    return list(get_user_model().objects.filter(pk__in=set(user_ids)).order_by("pk"))


def notify(recipients, *, title: str, body: str = "", obligation=None, url: str = "") -> list[Notification]:
    """Put a message in each recipient's inbox, then (after commit) send e-mail and one webhook message."""
    if obligation is not None and not url:
        url = reverse("core:obligation", args=[obligation.pk])
    rows = Notification.objects.bulk_create(
        Notification(recipient=user, title=title[:200], body=body, url=url, obligation=obligation)
        for user in {user.pk: user for user in recipients}.values()
    )
    if rows:
        from luoshi.core import tasks

        ids = [row.pk for row in rows if row.pk]
        text = f"{title}\n{body}".strip()
        transaction.on_commit(lambda: tasks.deliver_notifications(ids, text))
    return rows


def send_emails(notification_ids) -> int:
    sent = 0
    for note in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related(
        "recipient"
    ):
        if not note.recipient.email:
            continue
        send_mail(note.title, f"{note.body}\n\n{note.url}".strip(), None, [note.recipient.email])
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
        sent += 1
    return sent


def post_webhook(text: str, url: str | None = None, timeout: float = 5.0) -> bool:
    """Send one text message in the WeCom / DingTalk group-robot format. Returns whether it was accepted."""
    url = url or settings.WEBHOOK_URL
    if not url:
        return False
    payload = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=payload, headers={"Content-Type": "application/json; charset=utf-8"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 — URL comes from settings
        return 200 <= response.status < 300
