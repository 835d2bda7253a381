"""Writes of the programme workspace (``/c/<slug>/programme/edit/``) that the first slice, built
for the admin, lacked: the programme's own fields, a measure's place among its siblings, deleting
a measure, its links to findings, changing an indicator and recording its values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.diagnosis.models import Finding
from tashawur.programmes.models import Indicator, Measure, Programme, ProgressUpdate
from tashawur.programmes.selectors import code_sort_key
from tashawur.programmes.services.checks import (
    TITLE_MAX_LENGTH,
    period_check,
    programme_check_open,
    text_clean,
)
from tashawur.programmes.services.progress import indicator_fields_clean, progress_record

# --- the programme ---------------------------------------------------------------------------


@transaction.atomic
def programme_update(
    *,
    programme: Programme,
    title_ar: str,
    title_fr: str,
    starts_on: dt.date,
    ends_on: dt.date,
) -> Programme:
    """Change a programme's titles and period; the period still holds every measure's dates."""
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    programme_check_open(locked)
    title_ar = text_clean(title_ar, field="title_ar", required=True, max_length=TITLE_MAX_LENGTH)
    title_fr = text_clean(title_fr, field="title_fr", required=True, max_length=TITLE_MAX_LENGTH)
    period_check(starts_on, ends_on, field="ends_on")
    outside = sorted(
        code
        for code, start, end in locked.measures.values_list("code", "starts_on", "ends_on")
        if (start is not None and not starts_on <= start <= ends_on)
        or (end is not None and not starts_on <= end <= ends_on)
    )
    if outside:
        raise DomainError(
            _(
                "From %(start)s to %(end)s the period would leave out the dates of these "
                "measures: %(codes)s."
            )
            % {
                "start": date_format(starts_on, "DATE_FORMAT"),
                "end": date_format(ends_on, "DATE_FORMAT"),
                "codes": ", ".join(outside),
            },
            code="measures_outside_period",
            field="ends_on",
        )
    locked.title_ar, locked.title_fr = title_ar, title_fr
    locked.starts_on, locked.ends_on = starts_on, ends_on
    locked.save(update_fields=["title_ar", "title_fr", "starts_on", "ends_on", "updated_at"])
    return locked


# --- a measure's place and its removal -------------------------------------------------------


@transaction.atomic
def measure_shift(*, measure: Measure, direction: str) -> Measure:
    """Move a measure one place up or down among its siblings (``direction`` "up" or "down");
    at either end it stays where it is. The siblings are renumbered 0, 1, 2… in their order."""
    if direction not in ("up", "down"):
        raise DomainError(
            _("A measure moves up or down."), code="direction_invalid", field="direction"
        )
    locked = Programme.objects.select_for_update().get(pk=measure.programme_id)
    programme_check_open(locked)
    siblings = sorted(
        Measure.objects.filter(programme=locked, parent_id=measure.parent_id),
        key=lambda m: (m.position, code_sort_key(m.code)),
    )
    index = next(i for i, m in enumerate(siblings) if m.pk == measure.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position", "updated_at"])
    return siblings[other if 0 <= other < len(siblings) else index]


@transaction.atomic
def measure_delete(*, measure: Measure) -> None:
    """Delete a measure entered by mistake: one without sub-measures and without progress
    recorded (its funding lines and indicators go with it)."""
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    programme_check_open(locked.programme)
    if locked.children.exists():
        raise DomainError(
            _("This measure has sub-measures: delete or move them first."),
            code="measure_has_children",
        )
    if ProgressUpdate.objects.filter(measure=locked).exists():
        raise DomainError(
            _("Progress is recorded for this measure: it can be cancelled, not deleted."),
            code="measure_has_progress",
        )
    locked.delete()


# --- links to findings -----------------------------------------------------------------------


def _finding_check(measure: Measure, finding: Finding) -> None:
    if finding.run.consultation_id != measure.programme.consultation_id:
        raise DomainError(
            _("A measure can only answer findings of its own consultation's diagnosis."),
            code="finding_other_consultation",
            field="findings",
        )


@transaction.atomic
def measure_finding_link(*, measure: Measure, finding: Finding) -> Measure:
    """Say that the measure answers ``finding`` (of the same consultation's diagnosis)."""
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    programme_check_open(locked.programme)
    _finding_check(locked, finding)
    locked.findings.add(finding)
    return locked


@transaction.atomic
def measure_finding_unlink(*, measure: Measure, finding: Finding) -> Measure:
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    programme_check_open(locked.programme)
    locked.findings.remove(finding)
    return locked


# --- indicators ------------------------------------------------------------------------------


@transaction.atomic
def indicator_update(
    *,
    indicator: Indicator,
    name_ar: str,
    name_fr: str,
    baseline: Decimal | int | str,
    target: Decimal | int | str,
    unit: str = "",
    direction: str = Indicator.Direction.UP,
) -> Indicator:
    """Change an indicator, with the checks of ``indicator_add``; its recorded values stay."""
    name_ar, name_fr, unit, checked_baseline, checked_target = indicator_fields_clean(
        name_ar=name_ar,
        name_fr=name_fr,
        unit=unit,
        baseline=baseline,
        target=target,
        direction=direction,
    )
    Measure.objects.select_for_update().get(pk=indicator.measure_id)
    locked = Indicator.objects.select_related("measure__programme").get(pk=indicator.pk)
    programme_check_open(locked.measure.programme)
    locked.name_ar, locked.name_fr, locked.unit = name_ar, name_fr, unit
    locked.baseline, locked.target, locked.direction = (
        checked_baseline,
        checked_target,
        direction,
    )
    locked.save()
    return locked


def indicator_value_record(
    *,
    indicator: Indicator,
    on: dt.date,
    value: Decimal | int | str,
    recorded_by: User | None,
    idempotency_key: str | None = None,
) -> ProgressUpdate:
    """Record an indicator's value on a date: a progress update of its measure that keeps the
    measure's latest percentage (0 before any), so recording a value moves no progress."""
    measure = indicator.measure
    latest = (
        ProgressUpdate.objects.filter(measure=measure)
        .order_by("-on", "-created_at", "-id")
        .values_list("percent", flat=True)
        .first()
    )
    return progress_record(
        measure=measure,
        on=on,
        percent=latest or 0,
        recorded_by=recorded_by,
        indicator=indicator,
        indicator_value=value,
        idempotency_key=idempotency_key,
    )
