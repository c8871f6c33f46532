"""一表通 — the quarterly organizational-life table a street reports to the district, as a workbook derived from
the records (selectors.quarter_table): one row per branch with its street and community, a total per community
(and per street when the table spans several), and a grand total. No branch fills anything for it."""

import io
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from luoshi.orglife.models import MeetingKind
from luoshi.orglife.periods import period_of
from luoshi.orglife.selectors import TableRow, quarter_table
from luoshi.orgs.models import Organization, OrgKind
from luoshi.orgs.tree import ancestor_paths, subtree_q

HEAD_FILL = PatternFill("solid", fgColor="F2DCDB")
TOTAL_FILL = PatternFill("solid", fgColor="EDEDED")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, horizontal="center", vertical="center")
RATE_FORMAT = "0.0%"
HEADER_ROW = 3  # under the title and the note
# street, community, branch, code | a column per kind | roll, present, rate, theme days, compliant
WIDTHS = [20, 20, 24, 14] + [11] * len(MeetingKind.values) + [11, 11, 10, 11, 13]


@dataclass
class _Sum:
    """The figures of a row: one branch's, or a total's."""

    held: dict = field(default_factory=lambda: dict.fromkeys(MeetingKind.values, 0))
    roll: int = 0
    present: int = 0
    theme_days: int = 0
    compliant: int = 0

    def add(self, row: TableRow) -> None:
        for kind in MeetingKind.values:
            self.held[kind] += row.held.get(kind, 0)
        self.roll += row.roll
        self.present += row.present
        self.theme_days += row.theme_days
        self.compliant += row.compliant

    def values(self) -> list:
        rate = self.present / self.roll if self.roll else None  # no meeting held: no rate, rather than 0 %
        return [
            *(self.held[k] for k in MeetingKind.values),
            self.roll,
            self.present,
            rate,
            self.theme_days,
            self.compliant,
        ]


def quarter_workbook(organization: Organization, start: date, end: date) -> bytes:
    """The table of every branch under `organization` for [start, end] (normally a quarter, periods.quarter) as
    .xlsx bytes, streamed row by row (write-only) so a province's table fits in memory. The caller checks that
    the user may see `organization`."""
    rows = quarter_table(organization, start, end)
    units = _units_above(organization, rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(gettext("Organizational life")[:31])
    for n, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.freeze_panes = f"E{HEADER_ROW + 1}"  # the header rows and the branch's columns stay in view
    ws.append([_styled(ws, _title(organization, start, end), Font(bold=True, size=14))])
    ws.append(
        [
            gettext(
                "Derived from the meetings the branches recorded. Attendance rate: members present ÷ members "
                "on the roll, summed over the meetings held. Compliant: theme days meeting all six "
                "unifications (六个统一)."
            )
        ]
    )
    ws.append([_styled(ws, text, BOLD, HEAD_FILL, WRAP) for text in _headers()])
    levels = (OrgKind.COMMUNITY, OrgKind.STREET)  # the inner total first
    open_sums = {kind: _Sum() for kind in levels}
    grand = _Sum()
    for i, row in enumerate(rows):
        above = _nearest(units, row.branch.path)
        figures = _Sum()
        figures.add(row)
        ws.append(_line(ws, above, row.branch.name, row.branch.code, figures))
        grand.add(row)
        after = _nearest(units, rows[i + 1].branch.path) if i + 1 < len(rows) else {}
        for kind in levels:
            unit = above.get(kind)
            # a total of the organization itself (or of one above it) would only repeat the grand total
            if unit is None or organization.path.startswith(unit.path):
                continue
            open_sums[kind].add(row)
            if after.get(kind) != unit:
                label = gettext("Total of %(unit)s") % {"unit": unit.name}
                shown = {OrgKind.STREET: above.get(OrgKind.STREET)}
                if kind == OrgKind.COMMUNITY:
                    shown[OrgKind.COMMUNITY] = unit
                ws.append(_line(ws, shown, label, None, open_sums[kind], total=True))
                open_sums[kind] = _Sum()
    ws.append(_line(ws, {}, gettext("Grand total"), None, grand, total=True))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _title(organization, start: date, end: date) -> str:
    if period_of("quarter", start) == (start, end):
        period = gettext("Q%(quarter)d %(year)d") % {"quarter": (start.month + 2) // 3, "year": start.year}
    else:
        period = gettext("%(start)s to %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    return gettext("%(organization)s: organizational life, %(period)s (一表通)") % {
        "organization": organization.name,
        "period": period,
    }


def _headers() -> list[str]:
    return [
        gettext("Street"),
        gettext("Community"),
        gettext("Branch"),
        gettext("Organization code"),
        *(str(label) for _kind, label in MeetingKind.choices),
        gettext("Members expected (person-times)"),
        gettext("Members present (person-times)"),
        gettext("Attendance rate"),
        gettext("Theme days held"),
        gettext("Theme days meeting all six unifications"),
    ]


def _units_above(organization, rows: list[TableRow]) -> dict[str, Organization]:
    """path -> the streets and communities above the table's branches: one range scan of the organization's
    subtree and its own ancestors (no list of paths, whatever the number of branches)."""
    if not rows:
        return {}
    scope = subtree_q([organization.path]) | Q(path__in=ancestor_paths(organization.path))
    return {
        unit.path: unit
        for unit in Organization.objects.filter(scope, kind__in=[OrgKind.STREET, OrgKind.COMMUNITY]).only(
            "path", "name", "kind"
        )
    }


def _nearest(units: dict, path: str) -> dict:
    """kind -> the nearest street and community above the organization at `path`."""
    out = {}
    for ancestor in reversed(ancestor_paths(path)):
        unit = units.get(ancestor)
        if unit is not None:
            out.setdefault(unit.kind, unit)
    return out


def _line(ws, above: dict, name: str, code: str | None, figures: _Sum, *, total: bool = False) -> list:
    street, community = above.get(OrgKind.STREET), above.get(OrgKind.COMMUNITY)
    values = [street.name if street else None, community.name if community else None, name, code]
    values += figures.values()
    rate_at = len(values) - 3
    font, fill = (BOLD, TOTAL_FILL) if total else (None, None)
    cells = [_styled(ws, value, font, fill) for value in values]
    cells[rate_at].number_format = RATE_FORMAT
    return cells


def _styled(ws, value, font=None, fill=None, alignment=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell
