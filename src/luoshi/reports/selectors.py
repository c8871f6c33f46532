"""The district cockpit (驾驶舱): one period's figures over one organization's subtree, computed from the other
apps' selectors. Everything returned is plain data (dicts, lists, strings, numbers), so it caches and goes into
JSON as it is; every figure carries the URL of the list behind it.

A fixed number of queries whatever the size of the tree (tests/reports/test_cockpit.py holds it)."""

from datetime import date
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from luoshi.accountability.selectors import supervision_figures
from luoshi.assessment.models import GradeBand, Result, RunStatus
from luoshi.assessment.selectors import latest_grades, runs_visible
from luoshi.duty.selectors import work_summary
from luoshi.orgs.models import Organization, OrgKind
from luoshi.orgs.selectors import kind_counts_in_subtree, obligation_counts_by_subtree
from luoshi.orgs.tree import subtree_q

LEVELS = 3  # the tree shows the root and three levels below it (district → streets → communities → branches)
MAX_NODES = 1500  # beyond this the deepest level is left out: a chart of more sectors is unreadable
NO_GRADE = "#b8c0c8"
# best → worst; a grade's colour is taken at its position in its scheme's bands (0 best, 1 worst)
GRADE_STOPS = ["#1a7f37", "#7cb342", "#f2b01e", "#e8710a", "#c62828"]
ATTENTION = 0.5  # units graded in the worse half of their scheme's bands are named under the chart
ATTENTION_LIST = 12


def period_of(year: int, today: date) -> tuple[date, date]:
    """The year to date (a past year: the whole year)."""
    return date(year, 1, 1), min(today, date(year, 12, 31))


def year_from(text, today: date) -> int:
    try:
        year = int(text)
    except (TypeError, ValueError):
        return today.year
    return year if 2000 <= year <= today.year else today.year


# --- grades and their colours ----------------------------------------------------------------------------


def _mix(position: float) -> str:
    """The colour at `position` (0..1) along GRADE_STOPS."""
    position = min(max(position, 0.0), 1.0) * (len(GRADE_STOPS) - 1)
    i = min(int(position), len(GRADE_STOPS) - 2)
    t = position - i
    a, b = GRADE_STOPS[i], GRADE_STOPS[i + 1]
    rgb = [round(int(a[k : k + 2], 16) * (1 - t) + int(b[k : k + 2], 16) * t) for k in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def latest_runs(user) -> list:
    """The newest published run of each kind of organization that the user may see: the runs whose grades
    `assessment.selectors.latest_grades` reports (same order: latest period first, then latest published)."""
    published = [r for r in runs_visible(user) if r.status == RunStatus.PUBLISHED]
    published.sort(key=lambda r: (r.until, r.published_at), reverse=True)
    out, kinds = [], set()
    for run in published:
        if run.scheme.kind not in kinds:
            kinds.add(run.scheme.kind)
            out.append(run)
    return out


def grade_scale(runs) -> list[dict]:
    """The distinct grade names of the runs' schemes, best first, each with its colour: a grade's place in
    its own scheme's bands (GradeBand.order, best first) decides the colour, so any number of bands, and
    schemes with different names for them, share one scale from green to red."""
    bands: dict[int, list[str]] = {}
    for scheme_id, name in (
        GradeBand.objects.filter(scheme_id__in=[run.scheme_id for run in runs])
        .order_by("scheme_id", "order", "-minimum")
        .values_list("scheme_id", "name")
    ):
        bands.setdefault(scheme_id, []).append(name)
    positions: dict[str, float] = {}
    for run in runs:  # the newest run's scheme decides a name's place when two schemes share it
        names = bands.get(run.scheme_id, [])
        for i, name in enumerate(names):
            positions.setdefault(name, i / (len(names) - 1) if len(names) > 1 else 0.0)
    ordered = sorted(positions.items(), key=lambda item: (item[1], item[0]))
    return [{"name": name, "color": _mix(position), "position": position} for name, position in ordered]


# --- the tree --------------------------------------------------------------------------------------------


def tree_rows(root: Organization) -> tuple[list[dict], bool]:
    """The root and up to LEVELS levels below it (active organizations), shallowest first, and whether levels
    were left out: at most MAX_NODES rows, and never part of a level."""
    rows = list(
        Organization.objects.subtree(root.path)
        .active()
        .filter(depth__lte=root.depth + LEVELS)
        .order_by("depth", "path")
        .values("id", "name", "kind", "path", "parent_id", "depth")[: MAX_NODES + 1]
    )
    if len(rows) > MAX_NODES:
        deepest = rows[-1]["depth"]
        return [row for row in rows if row["depth"] < deepest], True
    return rows, False


def _result_ids(runs, org_ids) -> dict[int, int]:
    """Organization id → its result in the runs (for the link to the result page)."""
    out: dict[int, int] = {}
    if not runs or not org_ids:
        return out
    order = {run.pk: i for i, run in enumerate(runs)}
    rows = Result.objects.filter(run__in=[run.pk for run in runs], organization_id__in=org_ids).values_list(
        "organization_id", "pk", "run_id"
    )
    # read in the order latest_grades reads the runs, so that the link goes with the grade shown (an
    # organization has one kind, so it has a result in one of the runs only, but for a unit whose kind changed)
    for org_id, pk, _run in sorted(rows, key=lambda row: order[row[2]]):
        out[org_id] = pk
    return out


def grade_tree(root: Organization, runs) -> dict:
    """The subtree as nested nodes for the chart (name, colour by grade, link), the same as a flat list for
    the table, the legend with counts, and the units per kind in the whole subtree."""
    rows, truncated = tree_rows(root)
    ids = [row["id"] for row in rows]
    grades = latest_grades(ids, runs=runs)
    results = _result_ids(runs, ids)
    scale = grade_scale(runs)
    colors = {band["name"]: band["color"] for band in scale}
    counts: dict[str, int] = {}
    nodes: dict[int, dict] = {}
    for row in rows:
        grade, rank = grades.get(row["id"], ("", None))
        color = colors.get(grade, NO_GRADE) if grade else NO_GRADE
        if grade and grade not in colors:  # a grade of a scheme whose bands were not read: still shown
            colors[grade] = color
            scale.append({"name": grade, "color": color, "position": 0.0})
        counts[grade] = counts.get(grade, 0) + 1
        url = (
            reverse("assessment:result", args=[results[row["id"]]])
            if row["id"] in results
            else reverse("orgs:node", args=[row["id"]])
        )
        nodes[row["id"]] = {
            "id": row["id"],
            "name": row["name"],
            "kind": str(OrgKind(row["kind"]).label) if row["kind"] in OrgKind.values else row["kind"],
            "grade": grade,
            "rank": rank,
            "url": url,
            "depth": row["depth"] - root.depth,
            "itemStyle": {"color": color},
        }
    for row in rows:
        parent = nodes.get(row["parent_id"]) if row["id"] != root.pk else None
        if parent is not None:
            parent.setdefault("children", []).append(nodes[row["id"]])
    for node in nodes.values():
        if "children" not in node:
            node["value"] = 1  # a sector's size: the units at the edge of the tree below it
    legend = [{**band, "count": counts.get(band["name"], 0)} for band in scale]
    legend.append({"name": "", "color": NO_GRADE, "count": counts.get("", 0), "position": None})
    position = {band["name"]: band["position"] for band in scale}
    attention = sorted(
        (node for node in nodes.values() if node["grade"] and position.get(node["grade"], 0) >= ATTENTION),
        key=lambda node: (-position[node["grade"]], -(node["rank"] or 0), node["name"]),
    )
    kinds = kind_counts_in_subtree(root)
    return {
        "data": [nodes[root.pk]] if root.pk in nodes else [],
        # each organization followed by those below it, as a reader expects a tree
        "rows": [nodes[row["id"]] for row in sorted(rows, key=lambda row: row["path"])],
        "legend": legend,
        "attention": attention[:ATTENTION_LIST],
        "attention_more": max(len(attention) - ATTENTION_LIST, 0),
        "kinds": [
            {"label": str(label), "count": kinds[value]}
            for value, label in OrgKind.choices
            if kinds.get(value)
        ],
        "truncated": truncated,
    }


# --- obligations per street ----------------------------------------------------------------------------


def _obligation_row(unit: Organization, c: dict, drill: bool) -> dict:
    base = reverse("core:obligations")
    return {
        "id": unit.pk,
        "name": unit.name,
        # the selector's "overdue" counts every active obligation past due, escalated ones included; the
        # obligation list's "overdue" filter leaves the escalated out (they have their own filter), and
        # escalation comes only after the due date: the difference is exactly what that list shows
        "overdue": max(c["overdue"] - c["escalated"], 0),
        "escalated": c["escalated"],
        "overdue_url": f"{base}?{urlencode({'state': 'overdue', 'org': unit.pk})}",
        "escalated_url": f"{base}?{urlencode({'state': 'escalated', 'org': unit.pk})}",
        "drill_url": f"{reverse('reports:cockpit')}?{urlencode({'org': unit.pk})}" if drill else "",
    }


def obligations_per_unit(root: Organization, children: list[Organization], today: date) -> dict:
    """For each unit right below the root: obligations past their due date and not escalated, and escalated
    ones, over its whole subtree, with the lists behind them; the same for the root's whole subtree (its own
    obligations included)."""
    counts = obligation_counts_by_subtree(children, today=today)
    whole = obligation_counts_by_subtree([root], today=today)[root.pk]
    return {
        "rows": [_obligation_row(unit, counts[unit.pk], True) for unit in children],
        "total": _obligation_row(root, whole, False),
    }


# --- assessment runs -------------------------------------------------------------------------------------


def run_summaries(root: Organization, runs, scale: list[dict]) -> list[dict]:
    """Each newest published run with its results in the root's subtree counted per grade, best first."""
    if not runs:
        return []
    colors = {band["name"]: band["color"] for band in scale}
    rank = {band["name"]: i for i, band in enumerate(scale)}
    per_run: dict[int, dict[str, int]] = {}
    for run_id, grade, n in (
        Result.objects.filter(
            subtree_q([root.path], field="organization__path"), run__in=[r.pk for r in runs]
        )
        .values("run_id", "grade")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("run_id", "grade", "n")
    ):
        per_run.setdefault(run_id, {})[grade] = n
    out = []
    for run in runs:
        grades = per_run.get(run.pk, {})
        total = sum(grades.values())
        kind = run.scheme.kind
        out.append(
            {
                "id": run.pk,
                "name": run.scheme.name,
                "kind": str(OrgKind(kind).label) if kind in OrgKind.values else kind,
                "since": run.since,
                "until": run.until,
                "url": reverse("assessment:run", args=[run.pk]),
                "total": total,
                "grades": [
                    {
                        "name": name,
                        "count": n,
                        "color": colors.get(name, NO_GRADE),
                        "share": round(100 * n / total, 1) if total else 0,
                    }
                    for name, n in sorted(grades.items(), key=lambda item: (rank.get(item[0], 99), item[0]))
                ],
            }
        )
    return out


# --- everything on the page ------------------------------------------------------------------------------


def cockpit_figures(user, root: Organization, *, year: int, today: date) -> dict:
    """Every figure of the cockpit for `root`'s subtree and the year to date, with the URL behind each."""
    since, until = period_of(year, today)
    period = urlencode({"since": since.isoformat(), "until": until.isoformat()})
    ledger = reverse("duty:ledger")

    runs = latest_runs(user)
    tree = grade_tree(root, runs)
    children = list(Organization.objects.filter(parent=root).active().order_by("path"))
    duty = work_summary(user, since=since, until=until, under=root)
    within = f"{period}&{urlencode({'under': root.pk})}"  # the ledger, narrowed to the unit's subtree
    supervision = supervision_figures(user, since=since, until=until, under=root)
    statistics = f"{reverse('accountability:statistics')}?{period}&{urlencode({'unit': root.pk})}"
    streets = obligations_per_unit(root, children, today)
    scale = [band for band in tree["legend"] if band["name"]]
    return {
        "since": since,
        "until": until,
        "computed_at": timezone.now(),
        "tree": tree,
        "duty": {
            "letters_signed": duty.letters_signed,
            "tasks_issued": duty.tasks_issued,
            "assignments": duty.assignments,
            "on_time": duty.on_time,
            "late": duty.late,
            "reminders": duty.reminders,
            "links": {
                "letters_signed": reverse("duty:letters"),
                "tasks_issued": reverse("duty:plans"),
                "assignments": f"{ledger}?{within}",
                "on_time": f"{ledger}?state=on_time&{within}",
                "late": f"{ledger}?state=late&{within}",
                "reminders": f"{ledger}?state=reminded&{within}",
                "summary": f"{reverse('duty:summary')}?{period}",
            },
        },
        "supervision": {
            **supervision,
            "links": {
                "statistics": statistics,
                "inspections": reverse("inspections:index"),
                "accountability": reverse("accountability:index"),
            },
        },
        "obligations": streets,
        "chart": {
            "names": [row["name"] for row in streets["rows"]],
            "overdue": [row["overdue"] for row in streets["rows"]],
            "escalated": [row["escalated"] for row in streets["rows"]],
            "overdue_urls": [row["overdue_url"] for row in streets["rows"]],
            "escalated_urls": [row["escalated_url"] for row in streets["rows"]],
        },
        "runs": run_summaries(root, runs, scale),
    }


def chart_labels() -> dict:
    """The words the charts' script shows (translated here: the script has no catalogue)."""
    return {
        "grade": gettext("Grade"),
        "rank": gettext("Rank"),
        "no_grade": gettext("No grade yet"),
        "overdue": gettext("Overdue"),
        "escalated": gettext("Escalated"),
    }
