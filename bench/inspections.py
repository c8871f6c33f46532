"""A year of synthetic inspections, then the service-center ranking timed: run.py starts this in a child
process whose environment (LUOSHI_VAR_DIR, DATABASE_URL) names a COPY of the benchmark database; it prints
one JSON object on its last line.

What it writes (bulk inserts, no history rows, no photos or other attachments):

  centers      a ServiceCenter for every community organization that has none (the province demo has none;
               the district demo has its 59), with a floor area, staff and services drawn at random.
  inspections  over the past 365 days, in rounds, each an Inspection (window, team, targets) whose targets
               are all visited within its window, on working days between 8:30 and 17:30 (local time):
                 service-center  per street, quarterly routine rounds of its community centers, as many full
                                 rounds as the size's count allows (at most four); the rest in monthly
                                 surprise rounds by the district office over a sample of all centers;
                 work-style      monthly covert rounds by the discipline office over a sample of communities
                                 and branches;
                 branch-records  per street, rounds over a sample of its branches (routine or surprise), as
                                 many rounds as the street's share of the count needs.
               Counts (visits): district 420 / 380 / 2,200 (≈ 3,000 visits, ≈ 21,000 answers, ≈ 7 per
               visit); province 56,000 / 10,000 / 34,000 (≈ 100,000 visits, four per center and year).
  answers      every item of the shipped standard (version 1) answered, scored by the app's own
               inspections.standards.score_item and total_score; each organization has its own failure rate
               (drawn once, mean ≈ 14 %); a center's floor area and staff are its answers to the area and
               staff items.
  findings     one per failed item whose standard says so, dated at its visit, and each with its
               rectification order (deadline 7–30 days after the visit) and its obligation: past deadlines
               mostly verified (≈ 85 % on time), about one in ten overdue; future ones open or submitted.

Then, as org_officer (who sees the whole tree): list(sites.selectors.centers_ranked(user)) — first run
and median of the others — and the ranking page's own work (Paginator: count and the first 50), first as
loaded (the planner statistics are those of the demo build, from before these rows) and again after
ANALYZE (core.db.refresh_statistics(full=True), what the demo build does after its bulk load); with the
query plan of the ranking. --no-analyze leaves the statistics as loaded (and skips the second timing).
"""

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from django.utils.translation import gettext  # noqa: E402

import luoshi.core.obligations as engine  # noqa: E402
from luoshi.core.cache import data_changed  # noqa: E402
from luoshi.core.db import refresh_statistics  # noqa: E402
from luoshi.core.models import Obligation, ObligationState  # noqa: E402
from luoshi.inspections.models import (  # noqa: E402
    Answer,
    Finding,
    Inspection,
    InspectionKind,
    InspectionTarget,
    InspectionTeam,
    Rectification,
    Standard,
    StandardItem,
    Visit,
)
from luoshi.inspections.obligations import RECTIFICATION  # noqa: E402
from luoshi.inspections.standards import score_item, total_score  # noqa: E402
from luoshi.orgs.models import Organization, OrgKind  # noqa: E402
from luoshi.orgs.selectors import sitting_secretaries  # noqa: E402
from luoshi.orgs.tree import SEGMENT  # noqa: E402
from luoshi.sites.models import ServiceCenter, ServiceOffering  # noqa: E402
from luoshi.sites.selectors import centers_ranked  # noqa: E402
from luoshi.sites.services import CENTER_STANDARD  # noqa: E402

USER = "org_officer"
SEED = 20261125
# visits per standard code and size
COUNTS = {
    "district": {"service-center": 420, "work-style": 380, "branch-records": 2200},
    "province": {"service-center": 56_000, "work-style": 10_000, "branch-records": 34_000},
}
CHUNK = 4000  # visits written per transaction
NOTES = {
    "pass_fail": "现场检查时发现该项不符合要求。",
    "points": "部分内容不完整，需补充完善。",
    "threshold": "实测数值未达到标准。",
}
ROADS = ("幸福路", "民主路", "建设路", "和平街", "解放路", "文化路", "新华街", "人民路", "中山路", "朝阳路")
HOURS = ("工作日 8:30-17:30，周末值班", "周一至周六 9:00-18:00", "工作日 8:30-17:00")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def explicit_created_at(*models):
    """Let bulk_create keep the created_at we give (a year back) instead of auto_now_add's 'now'."""
    fields = [model._meta.get_field("created_at") for model in models]
    saved = [field.auto_now_add for field in fields]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field, value in zip(fields, saved, strict=True):
            field.auto_now_add = value


class Generator:
    def __init__(self, size: str, rng: random.Random):
        self.size = size
        self.rng = rng
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.year_start = self.today - timedelta(days=365)
        users = {u.username: u for u in get_user_model().objects.filter(username__in=self._usernames())}
        self.officer = users["org_officer"]
        self.inspector = users["inspector"]
        self.discipline = users["discipline_officer"]
        self.leader = users["district_admin"]
        self.root = Organization.objects.get(parent=None, kind=OrgKind.DISTRICT)
        low, high = self.root.path, str(int(self.root.path) + 1).zfill(len(self.root.path))
        self.orgs = list(
            Organization.objects.filter(path__gte=low, path__lt=high, archived_at=None)
            .only("id", "name", "kind", "path", "parent_id")
            .order_by("path")
        )
        self.streets = [o for o in self.orgs if o.kind == OrgKind.STREET]
        self.communities = [o for o in self.orgs if o.kind == OrgKind.COMMUNITY]
        self.branches = [o for o in self.orgs if o.kind == OrgKind.BRANCH]
        self.street_of = {s.path: s for s in self.streets}
        self.standards = {s.code: s for s in Standard.objects.filter(version=1)}
        self.items = {
            code: list(
                StandardItem.objects.filter(section__standard=standard).order_by("section__order", "order")
            )
            for code, standard in self.standards.items()
        }
        self.fail_rate = {}  # organization id -> its own failure rate, drawn on first use
        self.counts = Counter()
        self.phases = defaultdict(float)

    @staticmethod
    def _usernames():
        return ("org_officer", "inspector", "discipline_officer", "district_admin")

    def street(self, org):
        return self.street_of.get(org.path[: 2 * SEGMENT])

    # --- centers ----------------------------------------------------------------------------------------

    def centers_ensure(self) -> dict:
        """A center for every community without one; returns organization id -> (area, staff)."""
        rng = self.rng
        have = set(ServiceCenter.objects.values_list("organization_id", flat=True))
        offerings = list(ServiceOffering.objects.filter(archived_at=None).values_list("pk", flat=True))
        missing = [o for o in self.communities if o.pk not in have]
        rows = []
        for org in missing:
            short = org.name.removesuffix("党委").removesuffix("党总支")
            rows.append(
                ServiceCenter(
                    organization=org,
                    name=f"{short}党群服务中心",
                    address=f"{rng.choice(ROADS)}{rng.randint(1, 300)}号",
                    area_m2=rng.choice((180, 240, 300, 320, 360, 420, 500)),
                    opening_hours=rng.choice(HOURS),
                    staff_count=rng.randint(1, 6),
                )
            )
        with transaction.atomic():
            created = ServiceCenter.objects.bulk_create(rows, batch_size=2000)
            if offerings and created:
                through = ServiceCenter.services.through
                links = [
                    through(servicecenter_id=center.pk, serviceoffering_id=offering)
                    for center in created
                    for offering in rng.sample(
                        offerings, k=rng.randint(min(3, len(offerings)), len(offerings))
                    )
                ]
                through.objects.bulk_create(links, batch_size=5000)
        self.counts["centers_added"] = len(created)
        return {
            org_id: (area, staff)
            for org_id, area, staff in ServiceCenter.objects.values_list(
                "organization_id", "area_m2", "staff_count"
            )
        }

    # --- rounds -----------------------------------------------------------------------------------------

    def window(self, index: int, rounds: int, length: int):
        """The index-th of `rounds` windows spread over the past year, each `length` days, ending by today."""
        period = 365 / rounds
        length = max(1, min(length, int(period)))
        start = self.year_start + timedelta(days=int(index * period + self.rng.uniform(0, period - length)))
        start = min(start, self.today - timedelta(days=length))
        return start, length

    def rounds(self, counts: dict) -> list[dict]:
        rng = self.rng
        rounds = []

        def add(code, kind, organizer, title, start, length, targets, by, team):
            if targets:
                rounds.append(
                    dict(
                        code=code,
                        kind=kind,
                        organizer=organizer,
                        title=title,
                        start=start,
                        length=length,
                        targets=targets,
                        by=by,
                        team=team,
                    )
                )

        # service-center: per street, quarterly routine rounds; the rest in monthly surprise rounds.
        wanted = counts["service-center"]
        full = min(4, wanted // max(1, len(self.communities)))
        by_street = defaultdict(list)
        for org in self.communities:
            by_street[org.path[: 2 * SEGMENT]].append(org)
        for path, communities in by_street.items():
            street = self.street_of[path]
            for q in range(full):
                start, length = self.window(q, full, 21)
                add(
                    "service-center",
                    InspectionKind.ROUTINE,
                    street,
                    f"{street.name.removeprefix('中共').removesuffix('工作委员会')}党群服务中心达标检查（{start:%Y年%m月}）",
                    start,
                    length,
                    communities,
                    self.officer,
                    [self.inspector],
                )
        rest = wanted - full * len(self.communities)
        self._sampled_rounds(
            add,
            rest,
            12,
            self.communities,
            "service-center",
            InspectionKind.SURPRISE,
            "党群服务中心突击检查",
            self.officer,
            [self.inspector],
        )
        # work-style: monthly covert rounds over communities and branches.
        self._sampled_rounds(
            add,
            counts["work-style"],
            12,
            self.communities + self.branches,
            "work-style",
            InspectionKind.COVERT,
            "作风纪律暗访",
            self.discipline,
            [self.inspector, self.discipline],
        )
        # branch-records: per street, as many rounds as its share of the count needs.
        wanted = counts["branch-records"]
        by_street = defaultdict(list)
        for org in self.branches:
            by_street[org.path[: 2 * SEGMENT]].append(org)
        total = len(self.branches)
        for path, branches in by_street.items():
            street = self.street_of.get(path)
            if street is None:
                continue
            share = round(wanted * len(branches) / total)
            if not share:
                continue
            n_rounds = math.ceil(share / len(branches))
            sizes = [share // n_rounds + (1 if i < share % n_rounds else 0) for i in range(n_rounds)]
            for i, k in enumerate(sizes):
                start, length = self.window(i, n_rounds, 14)
                kind = InspectionKind.SURPRISE if rng.random() < 0.5 else InspectionKind.ROUTINE
                add(
                    "branch-records",
                    kind,
                    street,
                    f"“三会一课”记录检查（{start:%Y年%m月}）",
                    start,
                    length,
                    rng.sample(branches, k=k),
                    self.officer,
                    [self.inspector],
                )
        return rounds

    def _sampled_rounds(self, add, wanted, n_rounds, pool, code, kind, title, by, team):
        if wanted <= 0 or not pool:
            return
        n_rounds = min(n_rounds, wanted)
        for i in range(n_rounds):
            k = min(len(pool), wanted // n_rounds + (1 if i < wanted % n_rounds else 0))
            start, length = self.window(i, n_rounds, 14)
            add(
                code,
                kind,
                self.root,
                f"{title}（{start:%Y年%m月}）",
                start,
                length,
                self.rng.sample(pool, k=k),
                by,
                team,
            )

    def inspections_create(self, rounds: list[dict]) -> None:
        tz = timezone.get_current_timezone()
        rows = []
        for r in rounds:
            created = datetime.combine(r["start"] - timedelta(days=self.rng.randint(3, 10)), dtime(9, 0))
            rows.append(
                Inspection(
                    kind=r["kind"],
                    title=r["title"],
                    standard=self.standards[r["code"]],
                    organization=r["organizer"],
                    approver=self.leader,
                    starts_on=r["start"],
                    ends_on=r["start"] + timedelta(days=r["length"] - 1),
                    created_by=r["by"],
                    created_at=timezone.make_aware(created, tz),
                )
            )
        with transaction.atomic(), explicit_created_at(Inspection):
            created = Inspection.objects.bulk_create(rows, batch_size=1000)
            team, targets = [], []
            for inspection, r in zip(created, rounds, strict=True):
                r["inspection"] = inspection
                for n, user in enumerate(r["team"]):
                    team.append(InspectionTeam(inspection=inspection, user=user, leader=n == 0))
                targets += [InspectionTarget(inspection=inspection, organization=o) for o in r["targets"]]
            InspectionTeam.objects.bulk_create(team, batch_size=5000)
            InspectionTarget.objects.bulk_create(targets, batch_size=5000)
        self.counts["inspections"] = len(created)
        self.counts["targets"] = len(targets)

    # --- visits -----------------------------------------------------------------------------------------

    def visited_at(self, r) -> datetime:
        day = r["start"] + timedelta(days=self.rng.randrange(r["length"]))
        if day.weekday() >= 5:  # a working day: Saturday to Friday, Sunday to Monday
            day += timedelta(days=-1 if day.weekday() == 5 else 1)
        moment = datetime.combine(day, dtime(8, 30)) + timedelta(minutes=self.rng.randint(0, 540))
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
        return min(moment, self.now - timedelta(hours=2))

    def answer(self, code: str, item, fail: bool, center):
        rng = self.rng
        if item.scoring == "pass_fail":
            return Decimal(0 if fail else 1)
        if item.scoring == "points":
            low, high = (0, item.pass_points - 1) if fail else (item.pass_points, item.max_points)
            return Decimal(rng.randint(low, high))
        if code == CENTER_STANDARD and center and item.code in ("A1", "E1"):
            return Decimal(center[0] if item.code == "A1" else center[1])  # the center's own area, staff
        t = float(item.threshold)
        if item.at_least:
            value = t * (rng.uniform(0.5, 0.95) if fail else rng.uniform(1.0, 1.6))
        else:
            value = t * (rng.uniform(1.1, 2.0) if fail else rng.uniform(0.3, 1.0))
        whole = item.unit in ("次", "项", "人", "分钟")
        return Decimal(round(value)) if whole else Decimal(str(round(value, 1)))

    def visits_write(self, rounds: list[dict], centers: dict) -> None:
        """Visits with their answers, findings and rectifications, CHUNK visits per transaction."""
        plan = [(r, org) for r in rounds for org in r["targets"]]
        self.rng.shuffle(plan)  # rows in no particular order of organization or date, as a year leaves them
        secretaries = sitting_secretaries({org.pk: org for _r, org in plan}.values())
        policy = engine.policy_for(RECTIFICATION)
        steps = engine._steps(policy)
        for first in range(0, len(plan), CHUNK):
            with transaction.atomic(), explicit_created_at(Finding, Rectification, Obligation):
                self._chunk(plan[first : first + CHUNK], centers, secretaries, policy, steps)
            log(f"    {min(first + CHUNK, len(plan)):,} of {len(plan):,} visits written")

    def _chunk(self, plan, centers, secretaries, policy, steps):
        rng = self.rng
        started = time.perf_counter()
        visits, answers_of = [], []
        for r, org in plan:
            code = r["code"]
            rate = self.fail_rate.setdefault(org.pk, min(0.6, rng.betavariate(1.6, 10)))
            at = self.visited_at(r)
            rows, weighted = [], []
            for item in self.items[code]:
                value = self.answer(code, item, rng.random() < rate, centers.get(org.pk))
                scored = score_item(item, value)
                note = NOTES[item.scoring] if scored.failed else ""
                rows.append((item, value, note, scored))
                weighted.append((item.weight, scored.fraction))
            visits.append(
                Visit(
                    inspection=r["inspection"],
                    organization=org,
                    inspector=self.inspector,
                    visited_at=at,
                    score=total_score(weighted),
                    submitted_at=min(at + timedelta(minutes=rng.randint(15, 180)), self.now),
                )
            )
            answers_of.append(rows)
        self.phases["answers computed (score_item, total_score)"] += time.perf_counter() - started

        started = time.perf_counter()
        visits = Visit.objects.bulk_create(visits, batch_size=1000)
        answers, findings = [], []
        for visit, rows in zip(visits, answers_of, strict=True):
            for item, value, note, scored in rows:
                answers.append(
                    Answer(
                        visit=visit,
                        item=item,
                        value=value,
                        note=note,
                        points=(item.weight * scored.fraction).quantize(Decimal("0.001")),
                        failed=scored.failed,
                    )
                )
                if scored.failed and item.failure_is_finding:
                    findings.append(
                        Finding(
                            visit=visit,
                            item=item,
                            organization=visit.organization,
                            description=f"{item.code} {item.text}：{note}",
                            created_by=self.inspector,
                            created_at=visit.submitted_at,
                        )
                    )
        Answer.objects.bulk_create(answers, batch_size=2000)
        findings = Finding.objects.bulk_create(findings, batch_size=2000)
        self.phases["visits, answers, findings inserted"] += time.perf_counter() - started
        self.counts["visits"] += len(visits)
        self.counts["answers"] += len(answers)
        self.counts["answers_failed"] += sum(a.failed for a in answers)
        self.counts["findings"] += len(findings)
        for visit in visits:
            self.counts[f"visits {visit.inspection.standard.code}"] += 1

        started = time.perf_counter()
        self._rectifications(findings, secretaries, policy, steps)
        self.phases["rectifications and their obligations inserted"] += time.perf_counter() - started

    def _rectifications(self, findings, secretaries, policy, steps):
        rng, today, now = self.rng, self.today, self.now
        tz = timezone.get_current_timezone()
        obligations, rects = [], []
        with translation.override(settings.LANGUAGE_CODE):
            template = gettext("Rectify: %(finding)s")
        for finding in findings:
            ordered = finding.created_at + timedelta(hours=rng.randint(1, 48))
            ordered = min(ordered, now)
            deadline = timezone.localtime(finding.visit.visited_at).date() + timedelta(
                days=rng.randint(7, 30)
            )
            verified_at = verified_by = on_time = None
            if deadline >= today:
                state = ObligationState.SUBMITTED if rng.random() < 0.25 else ObligationState.OPEN
            elif rng.random() < 0.9:
                state = ObligationState.DONE
                late = rng.random() >= 0.85
                reported = deadline + timedelta(days=rng.randint(1, 10) if late else -rng.randint(0, 6))
                reported = min(reported, today)
                moment = datetime.combine(reported + timedelta(days=rng.randint(0, 3)), dtime(10, 0))
                verified_at = min(timezone.make_aware(moment, tz), now)
                verified_by, on_time = self.inspector, reported <= deadline
            else:
                state = ObligationState.OVERDUE
            obligation = Obligation(
                policy=policy,
                title=(template % {"finding": finding.description[:150]})[:200],
                organization=finding.organization,
                responsible=secretaries.get(finding.organization_id),
                due_date=deadline,
                state=state,
                created_by=self.inspector,
                created_at=ordered,
                closed_at=verified_at,
                closed_by=verified_by,
                closing_note="已核查验收。" if verified_at else "",
            )
            obligation.next_action_on = engine._next_action_on(obligation, steps, waiting=False)
            obligations.append(obligation)
            rects.append(
                Rectification(
                    finding=finding,
                    organization=finding.organization,
                    responsible=obligation.responsible,
                    deadline=deadline,
                    evidence_required="整改情况说明及相关照片、台账",
                    verified_at=verified_at,
                    verified_by=verified_by,
                    on_time=on_time,
                    created_by=self.inspector,
                    created_at=ordered,
                )
            )
            self.counts[f"rectifications {str(state)}"] += 1
        obligations = Obligation.objects.bulk_create(obligations, batch_size=2000)
        for rect, obligation in zip(rects, obligations, strict=True):
            rect.obligation = obligation
        rects = Rectification.objects.bulk_create(rects, batch_size=2000)
        if rects:  # the app's own two UPDATEs (obligations written before their records)
            pks = [rect.pk for rect in rects]
            engine.obligations_subject_set(Rectification.objects.filter(pk__gte=min(pks), pk__lte=max(pks)))
        self.counts["rectifications"] += len(rects)


# --- timing -------------------------------------------------------------------------------------------------


def timed(fn, repeat: int) -> tuple[dict, object]:
    times, result = [], None
    for _ in range(repeat):
        result = None  # the previous run's rows freed first: not two rankings in memory at once
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    steady = times[1:] or times
    return {
        "first_ms": round(times[0], 1),
        "median_ms": round(statistics.median(steady), 1),
        "min_ms": round(min(steady), 1),
        "max_ms": round(max(steady), 1),
        "runs": len(times),
    }, result


def ranking_plan(user) -> list[str]:
    sql, params = centers_ranked(user).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [f"{row[1]}/{row[2]} {row[3]}" for row in cursor.fetchall()]
        cursor.execute("EXPLAIN " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def ranking_timings(user, repeat: int) -> dict:
    """The ranking as the brief asks (every center, list()), and as the /centers/ page computes it."""
    full, rows = timed(lambda: list(centers_ranked(user)), repeat)

    def page():
        paginator = Paginator(centers_ranked(user), 50)
        first = paginator.get_page(1)
        return paginator.count, list(first.object_list)

    page_t, _ = timed(page, repeat)
    scored = [row.score for row in rows if row.score is not None]
    return {
        "list": full,
        "page": page_t,
        "centers": len(rows),
        "centers_scored": len(scored),
        "worst": float(min(scored)) if scored else None,
        "mean": round(float(statistics.mean(scored)), 1) if scored else None,
        "best": float(max(scored)) if scored else None,
        "below_pass": sum(1 for s in scored if s < 80),
        "plan": ranking_plan(user),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(COUNTS), help="default: province above 20,000 organizations")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each ranking timing (default 5)")
    parser.add_argument("--no-analyze", action="store_true", help="leave the planner statistics as loaded")
    args = parser.parse_args()

    size = args.size or ("province" if Organization.objects.count() > 20_000 else "district")
    result = {"vendor": connection.vendor, "database": str(connection.settings_dict["NAME"]), "size": size}
    before = {
        "visits": Visit.objects.count(),
        "answers": Answer.objects.count(),
        "findings": Finding.objects.count(),
    }
    gen = Generator(size, random.Random(SEED))

    started = time.perf_counter()
    log(f"  {size}: {len(gen.communities):,} communities, {len(gen.branches):,} branches; writing …")
    t = time.perf_counter()
    centers = gen.centers_ensure()
    gen.phases["centers"] = time.perf_counter() - t
    t = time.perf_counter()
    rounds = gen.rounds(COUNTS[size])
    gen.inspections_create(rounds)
    gen.phases["inspections, teams, targets"] = time.perf_counter() - t
    gen.visits_write(rounds, centers)
    data_changed()
    load_s = time.perf_counter() - started

    visits_per_center = Counter(
        Visit.objects.filter(
            submitted_at__isnull=False, inspection__standard__code=CENTER_STANDARD
        ).values_list("organization_id", flat=True)
    )
    per_center = [visits_per_center.get(org_id, 0) for org_id in centers]
    result["load"] = {
        "s": round(load_s, 1),
        "phases": {k: round(v, 1) for k, v in gen.phases.items()},
        "written": dict(sorted(gen.counts.items())),
        "before": before,
        "totals": {
            "organizations": len(gen.orgs),
            "communities": len(gen.communities),
            "branches": len(gen.branches),
            "centers": len(centers),
            "visits": Visit.objects.count(),
            "visits_center_standard": sum(per_center),
            "answers": Answer.objects.count(),
            "findings": Finding.objects.count(),
            "rectifications": Rectification.objects.count(),
            "obligations": Obligation.objects.count(),
        },
        "center_visits_per_center": {
            "mean": round(statistics.mean(per_center), 2) if per_center else None,
            "max": max(per_center, default=0),
            "none": sum(1 for n in per_center if n == 0),
        },
        "visited_from": str(
            Visit.objects.order_by("visited_at").values_list("visited_at", flat=True).first()
        ),
        "visited_until": str(
            Visit.objects.order_by("-visited_at").values_list("visited_at", flat=True).first()
        ),
    }
    log(f"  written in {load_s:.1f} s: {dict(gen.counts)}")

    user = get_user_model().objects.get(username=USER)
    log("  timing the ranking (statistics as loaded) …")
    result["ranking"] = ranking_timings(user, args.repeat)
    if not args.no_analyze:
        started = time.perf_counter()
        refresh_statistics(full=True)
        result["analyze_s"] = round(time.perf_counter() - started, 1)
        log("  … and after ANALYZE")
        result["ranking_analyzed"] = ranking_timings(user, args.repeat)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
