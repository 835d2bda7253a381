"""Writes to a measure's indicators and its progress: indicators, progress updates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.validation import idempotency_key_clean
from tashawur.programmes.models import (
    Indicator,
    Measure,
    ProgressUpdate,
)
from tashawur.programmes.services.checks import (
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    decimal_clean,
    programme_check_open,
    text_clean,
)

# --- evidence --------------------------------------------------------------------------------

#: What evidence may be, told by the file's first bytes (its name and declared type are the
#: sender's word): the suffix it is stored under and the type it is served as.
EVIDENCE_TYPES = {
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}


def evidence_max_bytes() -> int:
    return int(getattr(settings, "TASHAWUR_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024))


def evidence_sniff(head: bytes) -> str | None:
    """The stored suffix for a file starting with ``head``, or None when it is none of a JPEG,
    PNG or WebP image or a PDF."""
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    if head.startswith(b"%PDF-"):
        return ".pdf"
    return None


def evidence_check(evidence: File[Any]) -> str:
    """Refuse evidence above the size limit (told by its size, before reading a byte) or of a
    type other than a photo (JPEG, PNG, WebP) or a PDF; returns the suffix to store it under."""
    limit = evidence_max_bytes()
    if evidence.size is None or evidence.size > limit:
        raise DomainError(
            _("The evidence file is too large: at most %(size)s.")
            % {"size": filesizeformat(limit)},
            code="evidence_too_large",
            field="evidence",
        )
    if evidence.size == 0:
        raise DomainError(_("The evidence file is empty."), code="evidence_empty", field="evidence")
    evidence.seek(0)
    suffix = evidence_sniff(evidence.read(16))
    evidence.seek(0)
    if suffix is None:
        raise DomainError(
            _("The evidence must be a photo (JPEG, PNG or WebP) or a PDF."),
            code="evidence_type_invalid",
            field="evidence",
        )
    return suffix


# --- indicators and progress -----------------------------------------------------------------


def indicator_fields_clean(
    *,
    name_ar: str,
    name_fr: str,
    unit: str,
    baseline: Decimal | int | str,
    target: Decimal | int | str,
    direction: str,
) -> tuple[str, str, str, Decimal, Decimal]:
    """An indicator's fields, checked as adding and changing one both check them."""
    name_ar = text_clean(name_ar, field="name_ar", required=True, max_length=TITLE_MAX_LENGTH)
    name_fr = text_clean(name_fr, field="name_fr", required=True, max_length=TITLE_MAX_LENGTH)
    unit = text_clean(unit, field="unit", required=False, max_length=64)
    if direction not in Indicator.Direction.values:
        raise DomainError(
            _("“%(direction)s” is not a direction.") % {"direction": direction},
            code="direction_invalid",
            field="direction",
        )
    checked_baseline = decimal_clean(baseline, field="baseline")
    checked_target = decimal_clean(target, field="target")
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
    return name_ar, name_fr, unit, checked_baseline, checked_target


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
    name_ar, name_fr, unit, checked_baseline, checked_target = indicator_fields_clean(
        name_ar=name_ar,
        name_fr=name_fr,
        unit=unit,
        baseline=baseline,
        target=target,
        direction=direction,
    )
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    programme_check_open(locked.programme)
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
        return decimal_clean(indicator_value, field="indicator_value")
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
    evidence: File[Any] | None = None,
    evidence_public: bool = False,
) -> ProgressUpdate:
    """Record where a measure stands on a date; its latest update is its progress.

    ``evidence`` (a photo or a PDF, ``evidence_check``) is stored on the private storage under
    a random name; ``evidence_public`` lets the public page link to it.

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
    note = text_clean(note, field="note", required=False, max_length=NOTE_MAX_LENGTH)
    suffix = None if evidence is None else evidence_check(evidence)
    locked = Measure.objects.select_for_update().select_related("programme").get(pk=measure.pk)
    programme_check_open(locked.programme)
    measure_check_takes_progress(locked)
    try:
        with transaction.atomic():
            update = ProgressUpdate.objects.create(
                measure=locked,
                on=on,
                percent=percent,
                note=note,
                indicator=indicator,
                indicator_value=value,
                recorded_by=recorded_by,
                idempotency_key=idempotency_key,
                evidence_public=bool(evidence_public and evidence is not None),
            )
    except IntegrityError:
        replay = _replay(idempotency_key=idempotency_key, measure=measure)
        if replay is None:
            raise
        return replay
    if evidence is not None and suffix is not None:
        # After the row: a replayed key stores no second file. The uploaded name is not kept.
        evidence.seek(0)
        update.evidence.save(f"evidence{suffix}", evidence, save=True)
    return update
