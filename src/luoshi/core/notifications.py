"""Notifications: an inbox row per recipient; e-mail and the group-robot webhook go out from the task queue."""

import json
import logging
import urllib.request

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

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


def render(message, values: dict | None, language: str) -> str:
    """A (lazy) message with its %-placeholders filled, in `language`; lazy values are translated too."""
    with translation.override(language):
        text = str(message)
        if values:
            text = text % {key: str(value) for key, value in values.items()}
    return text


def notify(
    recipients, *, title, body="", values: dict | None = None, obligation=None, url: str = ""
) -> list[Notification]:
    """Put a message in each recipient's inbox — in the recipient's own language — then (after commit) send
    the e-mails and one message to the group robot. `title` and `body` are (lazy) translatable strings with
    %(name)s placeholders filled from `values`."""
    users = {user.pk: user for user in recipients}.values()
    return notify_many([(user, title, body, values, obligation, url) for user in users])


def notify_many(messages) -> list[Notification]:
    """Many messages at once (a task sent to every branch): one insert, one delivery job. Each message is
    (recipient, title, body, values, obligation, url), rendered in the recipient's language."""
    rows, first = [], None
    for user, title, body, values, obligation, url in messages:
        if obligation is not None and not url:
            url = reverse("core:obligation", args=[obligation.pk])
        language = user.language or settings.LANGUAGE_CODE
        rows.append(
            Notification(
                recipient=user,
                title=render(title, values, language)[:200],
                body=render(body, values, language),
                url=url,
                obligation=obligation,
            )
        )
        if first is None:
            first = (title, body, values)
    rows = Notification.objects.bulk_create(rows, batch_size=2000)
    if rows:
        from luoshi.core import tasks

        ids = [row.pk for row in rows if row.pk]
        title, body, values = first
        text = (
            f"{render(title, values, settings.LANGUAGE_CODE)}\n{render(body, values, settings.LANGUAGE_CODE)}"
        )
        distinct = {(row.title, row.body) for row in rows}
        if len(distinct) > 1:
            text += f"\n(+{len(distinct) - 1})"
        transaction.on_commit(lambda: tasks.deliver_notifications(ids, text.strip()))
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
    # A refusal raises (urllib raises on 4xx/5xx), so the task queue retries the delivery later.
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 — URL comes from settings
        return 200 <= response.status < 300
