"""Background work on the task queue (huey): embedded SQLite by default, Redis when REDIS_URL is set."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from luoshi.core import notifications

log = logging.getLogger(__name__)


@db_task(retries=5, retry_delay=60)
def deliver_notifications(notification_ids, text):
    notifications.send_emails(notification_ids)
    notifications.post_webhook(text)


@db_periodic_task(crontab(minute="*/15"))
def sweep_obligations():
    """Every quarter hour; the sweep is idempotent, so a missed or doubled run does no harm."""
    from luoshi.core.db import refresh_statistics
    from luoshi.core.obligations import obligation_sweep, run_syncs

    run_syncs()
    result = obligation_sweep()
    refresh_statistics()
    log.info("obligation sweep: %s", result)
    return str(result)
