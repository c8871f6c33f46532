"""Indicator sources: how an app offers a figure of its records to assessment (考核), without assessment
knowing the app and without the app importing assessment.

A source declares, once, in its app's `indicators.py` (imported from the app's `ready()`):

    @indicator_source("duty.tasks_on_time", mode=SHARE, label=_("Tasks done on time"),
                      rule=_("points × tasks accepted as done by their deadline ÷ tasks due in the period"))
    def tasks_on_time(period, scope, params) -> dict[int, Measure]: ...
    @tasks_on_time.records
    def _(period, organization, params) -> list[Record]: ...

`measure` answers for every organization of `scope.kind` under `scope.path` at once — one grouped query, so
a province's 78,000 branches cost what a district's 300 do — as {organization id: Measure(num, den)}.
An organization without records is absent. `records` lists, for one organization, the records behind its
numbers (what the explanation page shows), each with the part it played.

How a Measure becomes points is the source's mode (assessment applies it with the indicator's weight):
  share    weight × num ÷ den; nothing due (den = 0) earns the full weight
  average  weight × (num ÷ den) ÷ 100, for scores out of 100; nothing measured earns the full weight
  count    a penalty: weight − per_item × num, never below 0
  veto     a red line: any num > 0 breaches it (一票否决) and the indicator earns 0
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

SHARE, AVERAGE, COUNT, VETO = "share", "average", "count", "veto"
MODES = (SHARE, AVERAGE, COUNT, VETO)


@dataclass(frozen=True)
class Period:
    since: date
    until: date


@dataclass(frozen=True)
class Scope:
    """Every organization of `kind` in the subtree at `path`."""

    kind: str
    path: str


@dataclass(frozen=True)
class Measure:
    num: float = 0
    den: float = 0


@dataclass(frozen=True)
class Record:
    """One record behind a number: what it is, where it opens, and whether it counted for or against."""

    label: str
    url: str = ""
    counts: bool = True
    note: str = ""
    subject: object = None  # the record itself, so that its link is shown only to who may open it


def records_for(user, records: list[Record]) -> list[Record]:
    """The records with the link dropped where the user may not open the subject (its model's own scope,
    `Model.objects.visible_to`): a result's reader may see the numbers without seeing every record."""
    by_model: dict[type, set] = {}
    for record in records:
        if record.subject is not None and record.url:
            by_model.setdefault(type(record.subject), set()).add(record.subject.pk)
    openable = {
        model: set(model.objects.visible_to(user).filter(pk__in=pks).values_list("pk", flat=True))
        for model, pks in by_model.items()
    }
    return [
        replace(r, url="")
        if r.subject is not None and r.url and r.subject.pk not in openable[type(r.subject)]
        else r
        for r in records
    ]


@dataclass
class Source:
    code: str
    mode: str
    label: object
    rule: object
    measure: Callable
    params: tuple = ()
    list_records: Callable | None = field(default=None, repr=False)
    explain_params: Callable | None = field(default=None, repr=False)

    def records(self, func: Callable) -> Callable:
        """Decorator: the function that lists the records behind one organization's numbers."""
        self.list_records = func
        return func

    def describes_params(self, func: Callable) -> Callable:
        """Decorator: the function that says an indicator's options (`params`) as people know them, one
        phrase each (the standard's name, not its code) — the one place a source's options are shown."""
        self.explain_params = func
        return func

    def params_text(self, params: dict) -> list[str]:
        if not params:
            return []
        if self.explain_params is not None:
            return [str(phrase) for phrase in self.explain_params(params)]
        return [f"{key}: {value}" for key, value in params.items()]


SOURCES: dict[str, Source] = {}


def indicator_source(code: str, *, mode: str, label, rule, params: tuple = ()):
    """Declare a source (see the module's docstring). `params` names the options an indicator may set,
    e.g. ("standard",) for the inspection standard whose scores are averaged."""
    assert mode in MODES, mode

    def register(func: Callable) -> Source:
        source = Source(code=code, mode=mode, label=label, rule=rule, measure=func, params=params)
        SOURCES[code] = source
        return source

    return register


def source_get(code: str) -> Source | None:
    return SOURCES.get(code)


def in_scope(scope: Scope, field: str = "organization"):
    """A Q for rows whose `field` organization is of the scope's kind and in its subtree."""
    from django.db.models import Q

    from luoshi.orgs.tree import subtree_q

    return Q(**{f"{field}__kind": scope.kind}) & subtree_q([scope.path], field=f"{field}__path")


def grouped(qs, scope: Scope, *, num, den, field: str = "organization") -> dict[int, Measure]:
    """{organization id: Measure} for the rows of `qs` in the scope: one grouped query. `num` and `den` are
    aggregate expressions (e.g. Count("id", filter=Q(on_time=True)) and Count("id"))."""
    rows = (
        qs.filter(in_scope(scope, field))
        .values(f"{field}_id")
        .annotate(num=num, den=den)
        .order_by()
        .values_list(f"{field}_id", "num", "den")
    )
    return {org: Measure(float(n or 0), float(d or 0)) for org, n, d in rows}
