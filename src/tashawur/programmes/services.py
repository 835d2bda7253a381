"""Every write to an action programme. Keyword-only, atomic; a broken rule raises a translated
``DomainError`` naming the field at fault (STYLE.md).

Who may call these is the views' and the admin's business (``programmes.rules``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tashawur.actors.models import Organisation
from tashawur.consultations.models import Consultation
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.validation import idempotency_key_clean, user_text_clean
from tashawur.diagnosis.models import Finding
from tashawur.programmes.models import (
    MEASURE_CODE_PATTERN,
    FundingLine,
    FundingSource,
    Indicator,
    Measure,
    Programme,
    ProgressUpdate,
)

TITLE_MAX_LENGTH = 300
NOTE_MAX_LENGTH = 5_000
#: The largest amount a money field stores (14 digits, 2 after the point).
MONEY_MAX = Decimal("999999999999.99")


# --- checks shared by the services -----------------------------------------------------------


def _text(value: str, *, field: str, required: bool, max_length: int) -> str:
    return user_text_clean(value, field=field, max_length=max_length, required=required)


def _decimal(value: Decimal | int | str, *, field: str) -> Decimal:
    """A finite Decimal; floats are refused, since money must not go through binary floats."""
    if isinstance(value, float | bool):
        raise DomainError(_("Enter a number."), code="number_invalid", field=field)
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Enter a number."), code="number_invalid", field=field) from None
    if not number.is_finite():
        raise DomainError(_("Enter a number."), code="number_invalid", field=field)
    return number


def _amount(value: Decimal | int | str, *, field: str) -> Decimal:
    amount = _decimal(value, field=field)
    if amount < 0:
        raise DomainError(_("An amount cannot be negative."), code="amount_negative", field=field)
    if amount > MONEY_MAX or amount != amount.quantize(Decimal("0.01")):
        raise DomainError(
            _("Enter an amount in dirhams with at most two decimals, below one trillion."),
            code="amount_invalid",
            field=field,
        )
    return amount


def _programme_check_open(programme: Programme) -> None:
    if programme.status == Programme.Status.CLOSED:
        raise DomainError(
            _("This action programme is closed: it can no longer be changed."),
            code="programme_closed",
        )


def _period_check(starts_on: dt.date | None, ends_on: dt.date | None, *, field: str) -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise DomainError(
            _("The end date must not come before the start date."),
            code="dates_reversed",
            field=field,
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
    title_ar = _text(title_ar, field="title_ar", required=True, max_length=TITLE_MAX_LENGTH)
    title_fr = _text(title_fr, field="title_fr", required=True, max_length=TITLE_MAX_LENGTH)
    _period_check(starts_on, ends_on, field="ends_on")
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
    _period_check(starts_on, ends_on, field="ends_on")
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
    _programme_check_open(locked)
    code = code.strip()
    if not MEASURE_CODE_PATTERN.fullmatch(code):
        raise DomainError(
            _("A measure's code is numbers joined by dots, such as 2 or 2.1."),
            code="code_invalid",
            field="code",
        )
    title_ar = _text(title_ar, field="title_ar", required=True, max_length=TITLE_MAX_LENGTH)
    title_fr = _text(title_fr, field="title_fr", required=True, max_length=TITLE_MAX_LENGTH)
    description_ar = _text(
        description_ar, field="description_ar", required=False, max_length=NOTE_MAX_LENGTH
    )
    description_fr = _text(
        description_fr, field="description_fr", required=False, max_length=NOTE_MAX_LENGTH
    )
    checked_budget = None if budget is None else _amount(budget, field="budget")
    checked_weight = _decimal(weight, field="weight")
    if not Decimal(0) <= checked_weight <= Decimal(100):
        raise DomainError(
            _("The weight is a share of the parent measure, from 0 to 100."),
            code="weight_invalid",
            field="weight",
        )
    chosen = list(findings)
    measure_placement_check(
        programme=locked,
        measure=None,
        parent=parent,
        starts_on=starts_on,
        ends_on=ends_on,
        findings=chosen,
    )
    if Measure.objects.filter(programme=locked, code=code).exists():
        raise DomainError(
            _("Another measure of this programme already has the code %(code)s.") % {"code": code},
            code="code_taken",
            field="code",
        )
    measure = Measure.objects.create(
        programme=locked,
        parent=parent,
        code=code,
        title_ar=title_ar,
        title_fr=title_fr,
        description_ar=description_ar,
        description_fr=description_fr,
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
    _programme_check_open(locked.programme)
    _parent_check(programme=locked.programme, parent=parent, measure=locked)
    locked.parent = parent
    locked.save(update_fields=["parent", "updated_at"])
    return locked


@transaction.atomic
def measure_set_funding(
    *, measure: Measure, lines: Mapping[str, Decimal | int | str]
) -> list[FundingLine]:
    """Replace the measure's funding lines with ``lines`` (source → amount in MAD).

    The measure row is locked first, so two concurrent settings cannot together exceed the
    budget; a source with a zero amount is left out.
    """
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    _programme_check_open(locked.programme)
    amounts: dict[str, Decimal] = {}
    for source, value in lines.items():
        if source not in FundingSource.values:
            raise DomainError(
                _("“%(source)s” is not a funding source.") % {"source": source},
                code="funding_source_invalid",
                field="source",
            )
        amount = _amount(value, field="amount")
        if amount > 0:
            amounts[source] = amount
    total = sum(amounts.values(), Decimal(0))
    if amounts and locked.budget is None:
        raise DomainError(
            _("Set the measure's budget before its funding."),
            code="budget_missing",
            field="budget",
        )
    if locked.budget is not None and total > locked.budget:
        raise DomainError(
            _("The funding (%(total)s MAD) exceeds the measure's budget (%(budget)s MAD).")
            % {"total": f"{total:.2f}", "budget": f"{locked.budget:.2f}"},
            code="funding_over_budget",
            field="amount",
        )
    FundingLine.objects.filter(measure=locked).delete()
    return FundingLine.objects.bulk_create(
        [
            FundingLine(measure=locked, source=source, amount=amount)
            for source, amount in sorted(amounts.items())
        ]
    )


# --- indicators and progress -----------------------------------------------------------------


@transaction.atomic
def indicator_add(
    *,
    measure: Measure,
    name_ar: str,
    name_fr: str,
    baseline: Decimal | int | str,
    target: Decimal | int | str,
    unit: str = "",
    direction: str = Indicator.Direction.UP,
) -> Indicator:
    name_ar = _text(name_ar, field="name_ar", required=True, max_length=TITLE_MAX_LENGTH)
    name_fr = _text(name_fr, field="name_fr", required=True, max_length=TITLE_MAX_LENGTH)
    unit = _text(unit, field="unit", required=False, max_length=64)
    if direction not in Indicator.Direction.values:
        raise DomainError(
            _("“%(direction)s” is not a direction.") % {"direction": direction},
            code="direction_invalid",
            field="direction",
        )
    checked_baseline = _decimal(baseline, field="baseline")
    checked_target = _decimal(target, field="target")
    if direction == Indicator.Direction.UP and checked_target <= checked_baseline:
        raise DomainError(
            _("For an indicator that should rise, the target must be above the baseline."),
            code="target_not_beyond_baseline",
            field="target",
        )
    if direction == Indicator.Direction.DOWN and checked_target >= checked_baseline:
        raise DomainError(
            _("For an indicator that should fall, the target must be below the baseline."),
            code="target_not_beyond_baseline",
            field="target",
        )
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    _programme_check_open(locked.programme)
    return Indicator.objects.create(
        measure=locked,
        name_ar=name_ar,
        name_fr=name_fr,
        unit=unit,
        baseline=checked_baseline,
        target=checked_target,
        direction=direction,
    )


def _replay(*, idempotency_key: str | None, measure: Measure) -> ProgressUpdate | None:
    if idempotency_key is None:
        return None
    first = ProgressUpdate.objects.filter(idempotency_key=idempotency_key).first()
    if first is None:
        return None
    if first.measure_id != measure.pk:
        raise DomainError(
            _("This idempotency key was already used for another measure."),
            code="idempotency_key_conflict",
            field="idempotency_key",
        )
    return first


def measure_check_takes_progress(measure: Measure) -> None:
    if measure.status == Measure.Status.CANCELLED:
        raise DomainError(
            _("This measure is cancelled: it takes no more progress updates."),
            code="measure_cancelled",
        )


def progress_check(
    *,
    measure: Measure,
    on: dt.date,
    percent: int,
    indicator: Indicator | None,
    indicator_value: Decimal | int | str | None,
) -> Decimal | None:
    """What a progress update must be: a whole percentage from 0 to 100, not dated in the
    future, and an indicator value only with an indicator of the same measure. Returns the
    value as a Decimal. The admin's progress form runs it too."""
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise DomainError(
            _("The progress is a whole percentage from 0 to 100."),
            code="percent_invalid",
            field="percent",
        )
    if on > timezone.localdate():
        raise DomainError(
            _("A progress update cannot be dated in the future."),
            code="date_in_future",
            field="on",
        )
    if indicator is not None:
        if indicator.measure_id != measure.pk:
            raise DomainError(
                _("This indicator belongs to another measure."),
                code="indicator_other_measure",
                field="indicator",
            )
        if indicator_value is None:
            raise DomainError(
                _("Give the indicator's value."),
                code="indicator_value_missing",
                field="indicator_value",
            )
        return _decimal(indicator_value, field="indicator_value")
    if indicator_value is not None:
        raise DomainError(
            _("Choose the indicator this value measures."),
            code="indicator_missing",
            field="indicator",
        )
    return None


@transaction.atomic
def progress_record(
    *,
    measure: Measure,
    on: dt.date,
    percent: int,
    recorded_by: User | None,
    note: str = "",
    indicator: Indicator | None = None,
    indicator_value: Decimal | int | str | None = None,
    idempotency_key: str | None = None,
) -> ProgressUpdate:
    """Record where a measure stands on a date; its latest update is its progress.

    A replayed ``idempotency_key`` returns the first update and records nothing new, even when
    the replay races the original (the unique constraint decides, inside a savepoint).
    """
    idempotency_key = idempotency_key_clean(idempotency_key)
    replay = _replay(idempotency_key=idempotency_key, measure=measure)
    if replay is not None:
        return replay
    value = progress_check(
        measure=measure,
        on=on,
        percent=percent,
        indicator=indicator,
        indicator_value=indicator_value,
    )
    note = _text(note, field="note", required=False, max_length=NOTE_MAX_LENGTH)
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    _programme_check_open(locked.programme)
    measure_check_takes_progress(locked)
    try:
        with transaction.atomic():
            return ProgressUpdate.objects.create(
                measure=locked,
                on=on,
                percent=percent,
                note=note,
                indicator=indicator,
                indicator_value=value,
                recorded_by=recorded_by,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        replay = _replay(idempotency_key=idempotency_key, measure=measure)
        if replay is None:
            raise
        return replay
