"""Assigning one task to every branch: run.py starts this in a child process whose environment
(LUOSHI_VAR_DIR, DATABASE_URL) names the benchmark database; it prints one JSON object on its last line.

As org_officer, on the district root: create a work plan and a task due in 30 days through the services
(duty.services.plan_create, task_create), collect every active organization of kind "branch" under the root
(orgs.selectors.organizations_of_kind_under, what the task page's "send to a level" form uses), then time
duty.services.task_assign end to end, once: the wall clock of the call, which includes the scope check, the
obligations (with their history rows and inbox messages), the assignments (with history), the obligations'
subjects, and the commit with its on-commit hooks (cache invalidation, the notification tasks queued).

This WRITES to the database it is given. run.py gives it a copy of the benchmark database (and throws the
copy away afterwards), so the pages and queries are measured on the database as built. With --rollback
everything happens inside one transaction that is rolled back instead: the database is left as it was, but
the commit and the on-commit hooks are then not part of the time.

The phases (inclusive wall times of a few functions task_assign calls, wrapped in this process only) say
where the time goes; what no phase covers (building the assignment objects, the 'already assigned'
query, the commit with PostgreSQL's deferred foreign-key checks, the hooks) is 'other'.
"""

import argparse
import functools
import json
import os
import resource
import sys
import time
from collections import defaultdict
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

import luoshi.core.obligations as engine  # noqa: E402
import luoshi.orgs.selectors as org_selectors  # noqa: E402
from luoshi.core.models import Notification, Obligation  # noqa: E402
from luoshi.duty import services  # noqa: E402
from luoshi.duty.models import Assignment  # noqa: E402
from luoshi.orgs.models import Organization, OrgKind  # noqa: E402

USER = "org_officer"
DEADLINE_DAYS = 30

# (module, attribute, label): wrapped to time the phases. Inclusive times: obligations_create_many contains
# sitting_secretaries and notify; the two bulk_create_with_history entries are the assignments' insert
# (services) and the obligations' insert (engine) respectively.
PHASES = (
    (services, "_check_below", "scope check (_check_below)"),
    (engine, "obligations_create_many", "obligations (obligations_create_many)"),
    (org_selectors, "sitting_secretaries", "  of which: secretaries lookup"),
    (engine, "bulk_create_with_history", "  of which: obligations insert + history"),
    (engine, "notify", "  of which: inbox messages (notify)"),
    (services, "bulk_create_with_history", "assignments insert + history"),
    (engine, "obligations_subject_set", "obligations' subject set (obligations_subject_set)"),
)


class Phases:
    def __init__(self):
        self.seconds = defaultdict(float)
        self.calls = defaultdict(int)
        self._saved = []

    def __enter__(self):
        for module, name, label in PHASES:
            original = getattr(module, name)
            self._saved.append((module, name, original))
            setattr(module, name, self._wrap(original, label))
        return self

    def _wrap(self, fn, label):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started
                self.calls[label] += 1

        return timed

    def __exit__(self, *exc):
        for module, name, original in reversed(self._saved):
            setattr(module, name, original)
        return False

    def result(self, total_s: float) -> dict:
        rows = {
            label: {"s": round(self.seconds[label], 3), "calls": self.calls[label]} for *_m, label in PHASES
        }
        top = sum(self.seconds[label] for _m, name, label in PHASES if not label.startswith(" "))
        rows["other (assignment objects built, commit, on-commit hooks)"] = {
            "s": round(max(total_s - top, 0.0), 3),
            "calls": None,
        }
        return rows


class QueryCounter:
    """Counts the statements sent to the database (without keeping them, unlike CaptureQueriesContext)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class Rollback(Exception):
    pass


def run(rollback: bool) -> dict:
    user = get_user_model().objects.get(username=USER)
    root = Organization.objects.get(parent=None, kind=OrgKind.DISTRICT)
    today = timezone.localdate()
    before = {
        "obligations": Obligation.objects.count(),
        "notifications": Notification.objects.count(),
        "obligation_history": Obligation.history.count(),
        "assignment_history": Assignment.history.count(),
    }
    result = {
        "vendor": connection.vendor,
        "database": str(connection.settings_dict["NAME"]),
        "mode": "rolled back" if rollback else "committed (on a copy)",
        "organizations": Organization.objects.count(),
        "root": {"id": root.pk, "path": root.path, "name": root.name},
    }

    started = time.perf_counter()
    plan = services.plan_create(by=user, organization=root, year=today.year, title="Benchmark work plan")
    task = services.task_create(
        by=user,
        plan=plan,
        spec=services.TaskSpec(
            title="Benchmark task for every branch", deadline=today + timedelta(DEADLINE_DAYS)
        ),
    )
    result["plan_and_task_s"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    branches = org_selectors.organizations_of_kind_under(root, OrgKind.BRANCH)
    result["collect_s"] = round(time.perf_counter() - started, 3)
    result["branches"] = len(branches)

    counter = QueryCounter()
    rusage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_started = time.process_time()
    with Phases() as phases, connection.execute_wrapper(counter):
        started = time.perf_counter()
        rows = services.task_assign(by=user, task=task, organizations=branches)
        assign_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    result.update(
        {
            "assign_s": round(assign_s, 3),
            "assignments": len(rows),
            "per_s": round(len(rows) / assign_s, 1) if assign_s else None,
            "queries": counter.count,
            # this process only; on PostgreSQL the server's own work is not in it
            "cpu_s": round(cpu_s, 3),
            "max_rss_mb_before": round(rusage.ru_maxrss / 1024, 1),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "phases": phases.result(assign_s),
        }
    )
    # What was written (inside the transaction when rolling back): one assignment and one obligation per
    # branch, their history rows, inbox messages for the units whose secretary has a login.
    result["written"] = {
        "assignments": Assignment.objects.filter(task=task).count(),
        "obligations": Obligation.objects.count() - before["obligations"],
        # of the first 1,000 obligations, how many point at their assignment (should be all)
        "sample_pointing_at_assignment": Obligation.objects.filter(
            pk__in=[row.obligation_id for row in rows[:1000]],
            subject_id__in=[str(row.pk) for row in rows[:1000]],
        ).count(),
        "obligation_history": Obligation.history.count() - before["obligation_history"],
        "assignment_history": Assignment.history.count() - before["assignment_history"],
        "notifications": Notification.objects.count() - before["notifications"],
    }
    if result["written"]["assignments"] != len(branches):
        result["mismatch"] = f"{len(branches)} branches but {result['written']['assignments']} assignments"
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rollback", action="store_true", help="roll everything back (commit not timed)")
    args = parser.parse_args()
    if args.rollback:
        holder = {}
        try:
            with transaction.atomic():
                holder["result"] = run(rollback=True)
                raise Rollback
        except Rollback:
            pass
        result = holder["result"]
    else:
        result = run(rollback=False)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
