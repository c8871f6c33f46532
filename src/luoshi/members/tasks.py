"""The register's background work: checking and committing imports, and picking up jobs whose worker died."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

log = logging.getLogger(__name__)


@db_task()
def import_check_task(job_id):
    from luoshi.members.services import import_check

    job = import_check(job_id)
    log.info("member import %s checked: %s valid, %s with errors", job_id, job.valid_rows, job.error_rows)


@db_task()
def import_commit_task(job_id):
    from luoshi.members.services import import_apply

    job = import_apply(job_id)
    log.info("member import %s: %s", job_id, job.status)


@db_periodic_task(crontab(minute="*/2"))
def imports_resume_task():
    """A check or commit whose worker was killed is run again; both give the same result twice."""
    from luoshi.members.services import imports_resume

    resumed = imports_resume()
    if resumed:
        log.info("member imports resumed: %s", resumed)


@db_task()
def sweep_run_task(sweep_id):
    from luoshi.members.sweeps import sweep_run

    sweep = sweep_run(sweep_id)
    log.info("member sweep %s: %s", sweep_id, sweep.summary.get("seconds"))


@db_periodic_task(crontab(minute="*/5"))
def sweeps_resume_task():
    from luoshi.members.sweeps import sweeps_resume

    sweeps_resume()
