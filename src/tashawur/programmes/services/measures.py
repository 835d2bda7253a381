"""Writes to a programme and its measures: create, adopt, add, move, update, fund."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tashawur.actors.models import Organisation
from tashawur.consultations.models import Consultation
from tashawur.core.errors import DomainError
from tashawur.diagnosis.models import Finding
from tashawur.programmes.generations import programme_measure_changed
from tashawur.programmes.models import (
    MEASURE_CODE_PATTERN,
    FundingLine,
    FundingSource,
    Measure,
    Programme,
)
from tashawur.programmes.services.checks import (
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    amount_clean,
    decimal_clean,
    period_check,
    programme_check_open,
    text_clean,
)

# --- programme -------------------------------------------------------------------------------


@transaction.atomic
def programme_create(
    *,
    consultation: Consultation,
    title_ar: str,
    title_fr: str,
    starts_on: dt.date,
    ends_on: dt.date,
) -> Programme:
    """Start a consultation's action programme, as a draft; a consultation has one programme."""
    title_ar = text_clean(title_ar, field="title_ar", required=True, max_length=TITLE_MAX_LENGTH)
    title_fr = text_clean(title_fr, field="title_fr", required=True, max_length=TITLE_MAX_LENGTH)
    period_check(starts_on, ends_on, field="ends_on")
    if Programme.objects.filter(consultation=consultation).exists():
        raise DomainError(
            _("This consultation already has an action programme."),
            code="programme_exists",
        )
    try:
        with transaction.atomic():
            return Programme.objects.create(
                consultation=consultation,
                title_ar=title_ar,
                title_fr=title_fr,
                starts_on=starts_on,
                ends_on=ends_on,
            )
    except IntegrityError:
        # Created by a concurrent request between our check and our insert.
        raise DomainError(
            _("This consultation already has an action programme."),
            code="programme_exists",
        ) from None


@transaction.atomic
def programme_adopt(*, programme: Programme) -> Programme:
    """Adopt a draft programme: it then shows on the public accountability page.

    Every measure must have a lead owner and a budget by then. Adoption freezes nothing else:
    measures, funding and progress keep moving while the programme runs.
    """
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    if locked.status != Programme.Status.DRAFT:
        raise DomainError(
            _("Only a draft action programme can be adopted."), code="programme_not_draft"
        )
    measures = list(locked.measures.order_by("code").values_list("code", "owner_id", "budget"))
    if not measures:
        raise DomainError(
            _("Add at least one measure before adopting the action programme."),
            code="programme_empty",
        )
    no_owner = [code for code, owner_id, _budget in measures if owner_id is None]
    if no_owner:
        raise DomainError(
            _("Every measure needs a lead owner before adoption; missing for: %(codes)s.")
            % {"codes": ", ".join(no_owner)},
            code="measure_owner_missing",
        )
    no_budget = [code for code, _owner, budget in measures if budget is None]
    if no_budget:
        raise DomainError(
            _("Every measure needs a budget before adoption; missing for: %(codes)s.")
            % {"codes": ", ".join(no_budget)},
            code="measure_budget_missing",
        )
    locked.status = Programme.Status.ADOPTED
    locked.adopted_at = timezone.now()
    locked.save(update_fields=["status", "adopted_at", "updated_at"])
    return locked


# --- measures --------------------------------------------------------------------------------

#: How deep the measure tree goes: axis → measure → action.
MEASURE_LEVELS = 3


def measure_depth(measure: Measure) -> int:
    """0 for a top-level measure (an axis), 1 under it, 2 for an action."""
    parents = dict(
        Measure.objects.filter(programme_id=measure.programme_id).values_list("pk", "parent_id")
    )
    depth, current = 0, parents.get(measure.pk)
    while current is not None and depth <= len(parents):
        depth, current = depth + 1, parents.get(current)
    return depth


def _too_deep() -> DomainError:
    return DomainError(
        _("A programme has three levels (axis, measure, action): nothing goes under an action."),
        code="measure_too_deep",
        field="parent",
    )


def _subtree_height(measure: Measure) -> int:
    """0 for a measure without sub-measures, 1 with children only, and so on."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Measure.objects.filter(programme_id=measure.programme_id).values_list(
        "pk", "parent_id"
    ):
        children.setdefault(parent_id, []).append(pk)

    def height(pk: int, seen: int) -> int:
        if seen > len(children) + 1:
            return 0
        return max((1 + height(child, seen + 1) for child in children.get(pk, [])), default=0)

    return height(measure.pk, 0)


def _parent_check(*, programme: Programme, parent: Measure | None, measure: Measure | None) -> None:
    if parent is None:
        return
    if parent.programme_id != programme.pk:
        raise DomainError(
            _("The parent measure belongs to another action programme."),
            code="parent_other_programme",
            field="parent",
        )
    if measure is None:
        return
    # Walk up from the new parent: meeting the measure itself would close a loop.
    parents = dict(Measure.objects.filter(programme=programme).values_list("pk", "parent_id"))
    current: int | None = parent.pk
    while current is not None:
        if current == measure.pk:
            raise DomainError(
                _("A measure cannot sit under itself or under one of its own sub-measures."),
                code="parent_cycle",
                field="parent",
            )
        current = parents.get(current)


def measure_placement_check(
    *,
    programme: Programme,
    measure: Measure | None,
    parent: Measure | None,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    findings: Iterable[Finding] = (),
) -> None:
    """Where a measure (None for a new one) may sit: under a parent of the same programme and
    not under itself, dated within the programme's period, answering findings of the same
    consultation. The admin's measure form runs it too."""
    _parent_check(programme=programme, parent=parent, measure=measure)
    period_check(starts_on, ends_on, field="ends_on")
    for day, field in ((starts_on, "starts_on"), (ends_on, "ends_on")):
        if day is not None and not programme.starts_on <= day <= programme.ends_on:
            raise DomainError(
                _("The measure's dates must lie within the programme: %(start)s to %(end)s.")
                % {
                    "start": date_format(programme.starts_on, "DATE_FORMAT"),
                    "end": date_format(programme.ends_on, "DATE_FORMAT"),
                },
                code="dates_outside_programme",
                field=field,
            )
    consultations = {f.run.consultation_id for f in findings}
    if consultations - {programme.consultation_id}:
        raise DomainError(
            _("A measure can only answer findings of its own consultation's diagnosis."),
            code="finding_other_consultation",
            field="findings",
        )


@dataclass(frozen=True)
class _MeasureFields:
    code: str
    title_ar: str
    title_fr: str
    description_ar: str
    description_fr: str
    budget: Decimal | None
    weight: Decimal


def _measure_fields_clean(
    *,
    code: str,
    title_ar: str,
    title_fr: str,
    description_ar: str,
    description_fr: str,
    budget: Decimal | int | str | None,
    weight: Decimal | int | str,
) -> _MeasureFields:
    """A measure's own fields, checked as adding and changing a measure both check them."""
    code = code.strip()
    if not MEASURE_CODE_PATTERN.fullmatch(code):
        raise DomainError(
            _("A measure's code is numbers joined by dots, such as 2 or 2.1."),
            code="code_invalid",
            field="code",
        )
    title_ar = text_clean(title_ar, field="title_ar", required=True, max_length=TITLE_MAX_LENGTH)
    title_fr = text_clean(title_fr, field="title_fr", required=True, max_length=TITLE_MAX_LENGTH)
    description_ar = text_clean(
        description_ar, field="description_ar", required=False, max_length=NOTE_MAX_LENGTH
    )
    description_fr = text_clean(
        description_fr, field="description_fr", required=False, max_length=NOTE_MAX_LENGTH
    )
    checked_budget = None if budget is None else amount_clean(budget, field="budget")
    checked_weight = decimal_clean(weight, field="weight")
    if not Decimal(0) <= checked_weight <= Decimal(100):
        raise DomainError(
            _("The weight is a share of the parent measure, from 0 to 100."),
            code="weight_invalid",
            field="weight",
        )
    return _MeasureFields(
        code=code,
        title_ar=title_ar,
        title_fr=title_fr,
        description_ar=description_ar,
        description_fr=description_fr,
        budget=checked_budget,
        weight=checked_weight,
    )


@transaction.atomic
def measure_add(
    *,
    programme: Programme,
    code: str,
    title_ar: str,
    title_fr: str,
    description_ar: str = "",
    description_fr: str = "",
    parent: Measure | None = None,
    owner: Organisation | None = None,
    partners: Iterable[Organisation] = (),
    budget: Decimal | int | str | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    weight: Decimal | int | str = Decimal(100),
    findings: Iterable[Finding] = (),
) -> Measure:
    """Add a measure to the programme, under ``parent`` when given.

    Its dates lie within the programme's period; its weight is its share of its parent (0–100);
    the findings it answers come from the same consultation's diagnosis.
    """
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    programme_check_open(locked)
    fields = _measure_fields_clean(
        code=code,
        title_ar=title_ar,
        title_fr=title_fr,
        description_ar=description_ar,
        description_fr=description_fr,
        budget=budget,
        weight=weight,
    )
    code, checked_budget, checked_weight = fields.code, fields.budget, fields.weight
    chosen = list(findings)
    measure_placement_check(
        programme=locked,
        measure=None,
        parent=parent,
        starts_on=starts_on,
        ends_on=ends_on,
        findings=chosen,
    )
    if parent is not None and measure_depth(parent) + 1 >= MEASURE_LEVELS:
        raise _too_deep()
    if Measure.objects.filter(programme=locked, code=code).exists():
        raise DomainError(
            _("Another measure of this programme already has the code %(code)s.") % {"code": code},
            code="code_taken",
            field="code",
        )
    siblings = Measure.objects.filter(programme=locked, parent=parent)
    last = siblings.order_by("-position").values_list("position", flat=True).first()
    measure = Measure.objects.create(
        programme=locked,
        parent=parent,
        position=0 if last is None else last + 1,
        code=code,
        title_ar=fields.title_ar,
        title_fr=fields.title_fr,
        description_ar=fields.description_ar,
        description_fr=fields.description_fr,
        owner=owner,
        budget=checked_budget,
        starts_on=starts_on,
        ends_on=ends_on,
        weight=checked_weight,
    )
    partner_list = list(partners)
    if partner_list:
        measure.partners.set(partner_list)
    if chosen:
        measure.findings.set(chosen)
    return measure


@transaction.atomic
def measure_move(*, measure: Measure, parent: Measure | None) -> Measure:
    """Put a measure under another parent of the same programme (or at the top)."""
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    programme_check_open(locked.programme)
    _parent_check(programme=locked.programme, parent=parent, measure=locked)
    if parent is not None and measure_depth(parent) + 1 + _subtree_height(locked) >= MEASURE_LEVELS:
        raise _too_deep()
    locked.parent = parent
    locked.save(update_fields=["parent", "updated_at"])
    return locked


@transaction.atomic
def measure_update(
    *,
    measure: Measure,
    code: str,
    title_ar: str,
    title_fr: str,
    description_ar: str = "",
    description_fr: str = "",
    owner: Organisation | None = None,
    partners: Iterable[Organisation] = (),
    budget: Decimal | int | str | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    weight: Decimal | int | str = Decimal(100),
    status: str = Measure.Status.PLANNED,
    findings: Iterable[Finding] = (),
) -> Measure:
    """Change a measure's own fields, with the checks of ``measure_add``; its place in the tree
    moves with ``measure_move`` and its funding with ``measure_set_funding``.

    The budget never drops below the funding already set: lower the funding first.
    """
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    programme = locked.programme
    programme_check_open(programme)
    fields = _measure_fields_clean(
        code=code,
        title_ar=title_ar,
        title_fr=title_fr,
        description_ar=description_ar,
        description_fr=description_fr,
        budget=budget,
        weight=weight,
    )
    code, checked_budget, checked_weight = fields.code, fields.budget, fields.weight
    if status not in Measure.Status.values:
        raise DomainError(
            _("“%(status)s” is not a measure status.") % {"status": status},
            code="measure_status_invalid",
            field="status",
        )
    chosen = list(findings)
    measure_placement_check(
        programme=programme,
        measure=locked,
        parent=locked.parent,
        starts_on=starts_on,
        ends_on=ends_on,
        findings=chosen,
    )
    if Measure.objects.filter(programme=programme, code=code).exclude(pk=locked.pk).exists():
        raise DomainError(
            _("Another measure of this programme already has the code %(code)s.") % {"code": code},
            code="code_taken",
            field="code",
        )
    funded = sum(locked.funding_lines.values_list("amount", flat=True), Decimal(0))
    if funded and checked_budget is None:
        raise DomainError(
            _("Set the measure's budget before its funding."),
            code="budget_missing",
            field="budget",
        )
    if checked_budget is not None and funded > checked_budget:
        raise DomainError(
            _("The funding (%(total)s MAD) exceeds the measure's budget (%(budget)s MAD).")
            % {"total": f"{funded:.2f}", "budget": f"{checked_budget:.2f}"},
            code="funding_over_budget",
            field="budget",
        )
    locked.code = code
    locked.title_ar = fields.title_ar
    locked.title_fr = fields.title_fr
    locked.description_ar = fields.description_ar
    locked.description_fr = fields.description_fr
    locked.owner = owner
    locked.budget = checked_budget
    locked.starts_on = starts_on
    locked.ends_on = ends_on
    locked.weight = checked_weight
    locked.status = status
    locked.save()
    locked.partners.set(list(partners))
    locked.findings.set(chosen)
    return locked


@dataclass(frozen=True)
class FundingTerms:
    """One source's line with the terms of the call it comes from: the call's name, its
    co-financing rate (the share of the measure's budget, in %, the source may cover) and its
    cap (the most it pays, in MAD)."""

    amount: Decimal | int | str
    call: str = ""
    cofinancing_rate: Decimal | int | str | None = None
    cap: Decimal | int | str | None = None


#: A call's name, as long as ``FundingLine.call`` holds.
CALL_MAX_LENGTH = 200


def _terms_clean(source: str, value: Decimal | int | str | FundingTerms) -> FundingLine | None:
    """The line for one source, checked against its own terms; None for a zero amount."""
    terms = value if isinstance(value, FundingTerms) else FundingTerms(amount=value)
    amount = amount_clean(terms.amount, field="amount")
    if amount == 0:
        return None
    call = text_clean(terms.call, field="call", required=False, max_length=CALL_MAX_LENGTH)
    rate = None
    if terms.cofinancing_rate not in (None, ""):
        rate = decimal_clean(terms.cofinancing_rate, field="cofinancing_rate")
        if not Decimal(0) < rate <= Decimal(100) or rate != rate.quantize(Decimal("0.01")):
            raise DomainError(
                _("The co-financing rate is a percentage above 0 and at most 100."),
                code="cofinancing_rate_invalid",
                field="cofinancing_rate",
            )
    cap = None
    if terms.cap not in (None, ""):
        cap = amount_clean(terms.cap, field="cap")
    if cap is not None and amount > cap:
        raise DomainError(
            _("%(source)s: %(amount)s MAD is above the call's cap of %(cap)s MAD.")
            % {
                "source": FundingSource(source).label,
                "amount": f"{amount:.2f}",
                "cap": f"{cap:.2f}",
            },
            code="funding_over_cap",
            field="amount",
        )
    return FundingLine(source=source, amount=amount, call=call, cofinancing_rate=rate, cap=cap)


@transaction.atomic
def measure_set_funding(
    *, measure: Measure, lines: Mapping[str, Decimal | int | str | FundingTerms]
) -> list[FundingLine]:
    """Replace the measure's funding lines with ``lines`` (source → amount in MAD, or
    source → ``FundingTerms``).

    Each line stays within its cap and within its co-financing rate of the measure's budget;
    together they stay within the budget. The measure row is locked first, so two concurrent
    settings cannot together exceed the budget; a source with a zero amount is left out.
    """
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    programme_check_open(locked.programme)
    checked: dict[str, FundingLine] = {}
    for source, value in lines.items():
        if source not in FundingSource.values:
            raise DomainError(
                _("“%(source)s” is not a funding source.") % {"source": source},
                code="funding_source_invalid",
                field="source",
            )
        line = _terms_clean(source, value)
        if line is not None:
            checked[source] = line
    total = sum((line.amount for line in checked.values()), Decimal(0))
    if checked and locked.budget is None:
        raise DomainError(
            _("Set the measure's budget before its funding."),
            code="budget_missing",
            field="budget",
        )
    for source, line in checked.items():
        if line.cofinancing_rate is None or locked.budget is None:
            continue
        share = (locked.budget * line.cofinancing_rate / Decimal(100)).quantize(Decimal("0.01"))
        if line.amount > share:
            raise DomainError(
                _(
                    "%(source)s: %(amount)s MAD is above its co-financing rate of %(rate)s%% "
                    "of the budget (%(share)s MAD)."
                )
                % {
                    "source": FundingSource(source).label,
                    "amount": f"{line.amount:.2f}",
                    "rate": f"{line.cofinancing_rate:.2f}",
                    "share": f"{share:.2f}",
                },
                code="funding_over_rate",
                field="amount",
            )
    if locked.budget is not None and total > locked.budget:
        raise DomainError(
            _("The funding (%(total)s MAD) exceeds the measure's budget (%(budget)s MAD).")
            % {"total": f"{total:.2f}", "budget": f"{locked.budget:.2f}"},
            code="funding_over_budget",
            field="amount",
        )
    FundingLine.objects.filter(measure=locked).delete()
    for line in checked.values():
        line.measure = locked
    created = FundingLine.objects.bulk_create([checked[source] for source in sorted(checked)])
    # bulk_create sends no signal: the programme's page versions are bumped here.
    programme_measure_changed(locked)
    return created
