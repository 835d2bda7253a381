"""Importing a programme's measures from a file's rows (``programmes.measure_files``): all or
nothing.

Each row adds the measure of its code, or changes the programme's measure of that code (codes
are matched within the programme); measures the file does not name are left as they are, and so
are the findings, funding lines, indicators and progress of those it names.
``measures_import_check`` reads every row and says, row by row, what it would do or what is
wrong; ``measures_import`` writes the rows only when none is wrong, in one transaction, parents
before their sub-measures.

An empty cell clears the measure's description, owner, partners, budget or date; an empty
weight, status or position keeps the measure's own (100, planned and 0 for a new measure).
The checks are those of adding and changing a measure by hand (``services.measures``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from tashawur.actors.models import Organisation
from tashawur.core.errors import DomainError
from tashawur.programmes.measure_files import PARTNER_SEPARATOR, Row
from tashawur.programmes.models import MEASURE_CODE_PATTERN, Measure, Programme
from tashawur.programmes.services.checks import (
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    amount_clean,
    decimal_clean,
    programme_check_open,
    text_clean,
)
from tashawur.programmes.services.measures import MEASURE_LEVELS, measure_placement_check

#: The largest position a measure stores (a PositiveSmallIntegerField).
POSITION_MAX = 32_767
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


@dataclass
class RowResult:
    """What one row does ("new", "changed", "unchanged") or, when ``errors``, why it cannot."""

    number: int
    code: str
    title: str
    action: str = ""
    errors: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPlan:
    programme: Programme
    rows: list[RowResult]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def refused(self) -> list[RowResult]:
        return [row for row in self.rows if not row.ok]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.ok and row.action == action)

    @property
    def new(self) -> int:
        return self.count("new")

    @property
    def changed(self) -> int:
        return self.count("changed")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")


class MeasuresImportRefused(DomainError):
    """At least one row is wrong: nothing was written. ``plan`` says row by row why."""

    def __init__(self, plan: ImportPlan) -> None:
        first = plan.refused[0] if plan.refused else None
        if first is None:
            message = _("The file has no measure rows.")
        else:
            message = _("Row %(row)s: %(reason)s") % {
                "row": first.number,
                "reason": first.errors[0],
            }
        super().__init__(message, code="import_refused", field="file")
        self.plan = plan


# --- reading one row ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise DomainError(
        _("“%(value)s” is not a date: write it as 2024-03-31.") % {"value": text[:40]},
        code="date_invalid",
    )


def _number(value: Any) -> str:
    """A number's text: spaces between thousands and a decimal comma are accepted."""
    if isinstance(value, float):
        return repr(value)
    text = _text(value)
    for space in (" ", "\u00a0", "\u202f"):
        text = text.replace(space, "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    return text


def _status(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    lowered = text.lower()
    for choice in Measure.Status:
        if lowered in {choice.value, str(choice.label).lower()}:
            return choice.value
    raise DomainError(
        _("“%(value)s” is not a measure status; use one of: %(statuses)s.")
        % {"value": text[:40], "statuses": ", ".join(Measure.Status.values)},
        code="measure_status_invalid",
    )


def _position(value: Any) -> int | None:
    text = _number(value)
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or int(text) > POSITION_MAX:
        raise DomainError(
            _("The position is a whole number from 0 to %(max)s.") % {"max": POSITION_MAX},
            code="position_invalid",
        )
    return int(text)


class _Organisations:
    """Organisations by slug, or by their exact Arabic or French name when that is unique."""

    def __init__(self, references: set[str]) -> None:
        found = Organisation.objects.filter(
            Q(slug__in=references) | Q(name__in=references) | Q(name_fr__in=references)
        ).only("pk", "slug", "name", "name_fr")
        self.by_slug: dict[str, Organisation] = {}
        self.by_name: dict[str, list[Organisation]] = {}
        for organisation in found:
            self.by_slug[organisation.slug] = organisation
            for name in {organisation.name, organisation.name_fr} - {""}:
                self.by_name.setdefault(name, []).append(organisation)

    def get(self, reference: str) -> Organisation:
        if reference in self.by_slug:
            return self.by_slug[reference]
        named = self.by_name.get(reference, [])
        if len(named) == 1:
            return named[0]
        if named:
            raise DomainError(
                _("Several organisations are named “%(name)s”: give its identifier instead.")
                % {"name": reference[:80]},
                code="organisation_ambiguous",
            )
        raise DomainError(
            _("No organisation has the identifier or name “%(name)s”.") % {"name": reference[:80]},
            code="organisation_unknown",
        )


def _partner_references(value: Any) -> list[str]:
    return [part.strip() for part in _text(value).split(PARTNER_SEPARATOR) if part.strip()]


def _check(result: RowResult, column: str, check: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one check; a broken rule becomes the row's error "column: message"."""
    try:
        return check(*args, **kwargs)
    except DomainError as error:
        result.errors.append(f"{column}: {error.message}")
        return None


def _read_row(row: Row, *, programme: Programme, organisations: _Organisations) -> RowResult:
    cells = row.cells
    code = _text(cells.get("code"))
    result = RowResult(number=row.number, code=code, title=_text(cells.get("title_ar")))
    values = result.values
    if not MEASURE_CODE_PATTERN.fullmatch(code):
        result.errors.append(
            "code: " + _("A measure's code is numbers joined by dots, such as 2 or 2.1.")
        )
    parent_code = _text(cells.get("parent_code"))
    if parent_code and not MEASURE_CODE_PATTERN.fullmatch(parent_code):
        result.errors.append(
            "parent_code: " + _("A measure's code is numbers joined by dots, such as 2 or 2.1.")
        )
    values["parent_code"] = parent_code
    for column, required, max_length in (
        ("title_ar", True, TITLE_MAX_LENGTH),
        ("title_fr", True, TITLE_MAX_LENGTH),
        ("description_ar", False, NOTE_MAX_LENGTH),
        ("description_fr", False, NOTE_MAX_LENGTH),
    ):
        values[column] = _check(
            result,
            column,
            text_clean,
            _text(cells.get(column)),
            field=column,
            required=required,
            max_length=max_length,
        )
    owner = _text(cells.get("owner"))
    values["owner"] = _check(result, "owner", organisations.get, owner) if owner else None
    values["partners"] = [
        _check(result, "partners", organisations.get, reference)
        for reference in _partner_references(cells.get("partners"))
    ]
    budget = _number(cells.get("budget"))
    values["budget"] = (
        _check(result, "budget", amount_clean, budget, field="budget") if budget else None
    )
    values["starts_on"] = _check(result, "starts_on", _date, cells.get("starts_on"))
    values["ends_on"] = _check(result, "ends_on", _date, cells.get("ends_on"))
    if not any(error.startswith(("starts_on", "ends_on")) for error in result.errors):
        # The dates in order, within the programme's period (no parent: checked below).
        try:
            measure_placement_check(
                programme=programme,
                measure=None,
                parent=None,
                starts_on=values["starts_on"],
                ends_on=values["ends_on"],
            )
        except DomainError as error:
            result.errors.append(f"{error.field or 'ends_on'}: {error.message}")
    weight = _number(cells.get("weight"))
    values["weight"] = None
    if weight:
        checked = _check(result, "weight", decimal_clean, weight, field="weight")
        if checked is not None and not Decimal(0) <= checked <= Decimal(100):
            result.errors.append(
                "weight: " + _("The weight is a share of the parent measure, from 0 to 100.")
            )
        elif checked is not None and checked != checked.quantize(Decimal("0.01")):
            result.errors.append("weight: " + _("Enter a number."))
        else:
            values["weight"] = checked
    values["status"] = _check(result, "status", _status, cells.get("status"))
    values["position"] = _check(result, "position", _position, cells.get("position"))
    return result


# --- the whole file -----------------------------------------------------------------------------


def _same(
    measure: Measure, values: dict[str, Any], parent_code: str, codes: dict[int, str]
) -> bool:
    partners = {p.pk for p in values["partners"]}
    current_parent = codes.get(measure.parent_id) if measure.parent_id else ""
    return (
        current_parent == parent_code
        and measure.title_ar == values["title_ar"]
        and measure.title_fr == values["title_fr"]
        and measure.description_ar == values["description_ar"]
        and measure.description_fr == values["description_fr"]
        and measure.owner_id == (values["owner"].pk if values["owner"] else None)
        and {p.pk for p in measure.partners.all()} == partners
        and measure.budget == values["budget"]
        and measure.starts_on == values["starts_on"]
        and measure.ends_on == values["ends_on"]
        and (values["weight"] is None or measure.weight == values["weight"])
        and (values["status"] is None or measure.status == values["status"])
        and (values["position"] is None or measure.position == values["position"])
    )


def measures_import_check(*, programme: Programme, rows: Sequence[Row]) -> ImportPlan:
    """What importing ``rows`` would do, row by row, and every row's errors; writes nothing.
    A closed programme refuses the file at once (``DomainError``)."""
    programme_check_open(programme)
    existing = {
        measure.code: measure
        for measure in Measure.objects.filter(programme=programme).prefetch_related("partners")
    }
    codes_by_pk = {measure.pk: code for code, measure in existing.items()}
    references = set()
    for row in rows:
        references.add(_text(row.cells.get("owner")))
        references.update(_partner_references(row.cells.get("partners")))
    organisations = _Organisations(references - {""})
    funded = dict(
        Measure.objects.filter(programme=programme, funding_lines__isnull=False)
        .order_by()
        .values_list("code")
        .annotate(total=Sum("funding_lines__amount"))
    )
    results = [_read_row(row, programme=programme, organisations=organisations) for row in rows]

    first_row: dict[str, int] = {}
    for result in results:
        if result.code in first_row:
            result.errors.append(
                "code: "
                + _("The code %(code)s is already on row %(row)s of the file.")
                % {"code": result.code, "row": first_row[result.code]}
            )
        elif result.code:
            first_row[result.code] = result.number

    # The tree once imported: the file's parents over the programme's.
    parent_of = {
        code: codes_by_pk[m.parent_id] if m.parent_id else "" for code, m in existing.items()
    }
    for result in results:
        if result.code and first_row.get(result.code) == result.number:
            parent_of[result.code] = result.values["parent_code"]
    for result in results:
        parent_code = result.values["parent_code"]
        if not parent_code:
            continue
        if parent_code not in parent_of:
            result.errors.append(
                "parent_code: "
                + _("No measure has the code %(code)s, in the file or in the programme.")
                % {"code": parent_code}
            )
            continue
        seen = {result.code}
        current = parent_code
        while current:
            if current in seen:
                result.errors.append(
                    "parent_code: "
                    + _("A measure cannot sit under itself or under one of its own sub-measures.")
                )
                break
            seen.add(current)
            current = parent_of.get(current, "")

    # Too deep: a row's own measure, or one of the programme's that a row moves down with it.
    rows_by_code = {r.code: r for r in results if r.code and first_row.get(r.code) == r.number}
    too_deep: set[int] = set()
    for code in parent_of:
        if _depth(code, parent_of) < MEASURE_LEVELS:
            continue
        current, steps = code, 0
        while current and current not in rows_by_code and steps <= len(parent_of):
            current, steps = parent_of.get(current, ""), steps + 1
        if current in rows_by_code and not rows_by_code[current].errors:
            too_deep.add(rows_by_code[current].number)
    for result in results:
        if result.number in too_deep:
            result.errors.append(
                "parent_code: "
                + _(
                    "A programme has three levels (axis, measure, action): "
                    "nothing goes under an action."
                )
            )

    for result in results:
        measure = existing.get(result.code)
        budget = result.values.get("budget")
        total = funded.get(result.code)
        budget_read = not any(error.startswith("budget:") for error in result.errors)
        if measure is not None and total and budget_read and (budget is None or total > budget):
            result.errors.append(
                "budget: "
                + _("The funding (%(total)s MAD) exceeds the measure's budget (%(budget)s MAD).")
                % {"total": f"{total:.2f}", "budget": f"{budget or 0:.2f}"}
            )
        if result.errors:
            continue
        if measure is None:
            result.action = "new"
        elif _same(measure, result.values, result.values["parent_code"], codes_by_pk):
            result.action = "unchanged"
        else:
            result.action = "changed"
    return ImportPlan(programme=programme, rows=results)


def _depth(code: str, parent_of: dict[str, str]) -> int:
    depth = 0
    current = parent_of.get(code, "")
    while current and depth <= len(parent_of):
        depth += 1
        current = parent_of.get(current, "")
    return depth


@transaction.atomic
def measures_import(*, programme: Programme, rows: Sequence[Row]) -> ImportPlan:
    """Import ``rows`` into the programme, all of them or none: any wrong row raises
    ``MeasuresImportRefused`` (its ``plan`` lists every row's errors) and nothing is written."""
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    locked.consultation = programme.consultation
    programme_check_open(locked)
    # The programme's measures stay as read while the file is checked and written.
    list(Measure.objects.select_for_update().filter(programme=locked).values_list("pk"))
    plan = measures_import_check(programme=locked, rows=rows)
    if not plan.ok:
        raise MeasuresImportRefused(plan)
    measures = {m.code: m for m in Measure.objects.filter(programme=locked)}
    parent_of = dict.fromkeys(measures, "")
    by_pk = {m.pk: code for code, m in measures.items()}
    for code, measure in measures.items():
        parent_of[code] = by_pk.get(measure.parent_id, "") if measure.parent_id else ""
    for result in plan.rows:
        parent_of[result.code] = result.values["parent_code"]
    todo = sorted(
        (r for r in plan.rows if r.action != "unchanged"),
        key=lambda r: (_depth(r.code, parent_of), r.number),
    )
    for result in todo:
        values = result.values
        parent = measures[values["parent_code"]] if values["parent_code"] else None
        measure = measures.get(result.code) or Measure(programme=locked, code=result.code)
        measure.parent = parent
        for name in ("title_ar", "title_fr", "description_ar", "description_fr"):
            setattr(measure, name, values[name])
        measure.owner = values["owner"]
        measure.budget = values["budget"]
        measure.starts_on = values["starts_on"]
        measure.ends_on = values["ends_on"]
        for name in ("weight", "status", "position"):
            if values[name] is not None:
                setattr(measure, name, values[name])
        if measure.pk is None and values["position"] is None:
            # A new measure without a position comes after its siblings.
            siblings = [
                m.position for m in measures.values() if m.parent_id == (parent and parent.pk)
            ]
            measure.position = max(siblings, default=-1) + 1
        measure.save()
        measure.partners.set(values["partners"])
        measures[result.code] = measure
    return plan
