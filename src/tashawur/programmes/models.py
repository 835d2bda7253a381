"""A consultation's regional action programme: measures in a tree, their funding, indicators and
progress updates.

Measures cite the findings of the diagnosis they answer, so the accountability page can lead a
reader from a measure back to what people said (DESIGN.md §6: traceable). Writes go through
``services``; the constraints below hold even for writes that bypass them.
"""

import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tashawur.core.i18n import pick_label
from tashawur.core.models import TimeStampedModel
from tashawur.core.storage import private_storage

#: Amounts in Moroccan dirhams (MAD): below a trillion, to the centime.
MONEY_DIGITS = 14

#: A measure's code, "2", "2.1", "2.1.3": numbers of ASCII digits joined by dots (``isdigit``
#: would also take "²" or "٣", which no sort key can read).
MEASURE_CODE_PATTERN = re.compile(r"[0-9]{1,4}(\.[0-9]{1,4}){0,5}", re.ASCII)
#: The same rule for forms that write a measure directly (the admin).
measure_code_validator = RegexValidator(
    regex=r"\A[0-9]{1,4}(\.[0-9]{1,4}){0,5}\Z",
    message=_("A measure's code is numbers joined by dots, such as 2 or 2.1."),
    code="code_invalid",
)


def evidence_upload_to(instance: Any, filename: str) -> str:
    """A random name under the measure's folder: the uploaded name (which may carry a person's
    name) is not kept on disk."""
    suffix = Path(filename).suffix.lower()[:10]
    return f"programmes/evidence/{instance.measure_id}/{uuid.uuid4().hex}{suffix}"


class Programme(TimeStampedModel):
    """One consultation's action programme."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("programme status", "Draft")
        ADOPTED = "adopted", pgettext_lazy("programme status", "Adopted")
        CLOSED = "closed", pgettext_lazy("programme status", "Closed")

    consultation = models.ForeignKey(
        "consultations.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="programmes",
    )
    title_ar = models.CharField(_("title (Arabic)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    starts_on = models.DateField(_("period start"))
    ends_on = models.DateField(_("period end"))
    adopted_at = models.DateTimeField(_("adopted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("action programme")
        verbose_name_plural = _("action programmes")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["consultation"], name="programme_one_per_consultation"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="programme_ends_after_it_starts"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "adopted", "closed"]),
                name="programme_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(adopted_at__isnull=False),
                name="programme_adopted_has_adopted_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return pick_label(ar=self.title_ar, fr=self.title_fr)


class Measure(TimeStampedModel):
    """A measure of the programme; measures form a tree (axis → measure → action)."""

    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("measure status", "Planned")
        IN_PROGRESS = "in_progress", pgettext_lazy("measure status", "In progress")
        DONE = "done", pgettext_lazy("measure status", "Done")
        DELAYED = "delayed", pgettext_lazy("measure status", "Delayed")
        CANCELLED = "cancelled", pgettext_lazy("measure status", "Cancelled")

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("action programme"),
        on_delete=models.CASCADE,
        related_name="measures",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent measure"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    code = models.CharField(
        _("code"),
        max_length=32,
        help_text=_("For example 2.1"),
        validators=[measure_code_validator],
    )
    title_ar = models.CharField(_("title (Arabic)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    owner = models.ForeignKey(
        "actors.Organisation",
        verbose_name=_("lead owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_measures",
    )
    partners = models.ManyToManyField(
        "actors.Organisation",
        verbose_name=_("partners"),
        blank=True,
        related_name="partnered_measures",
    )
    budget = models.DecimalField(
        _("budget (MAD)"),
        null=True,
        blank=True,
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        help_text=_("The measure's own envelope, not counting its sub-measures."),
    )
    starts_on = models.DateField(_("start"), null=True, blank=True)
    ends_on = models.DateField(_("end"), null=True, blank=True)
    # The measure's share of its parent (or of the programme, for a top-level measure).
    weight = models.DecimalField(
        _("weight (%)"), max_digits=5, decimal_places=2, default=Decimal(100)
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    #: Its place among its siblings (moved up and down in the programme workspace).
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    findings = models.ManyToManyField(
        "diagnosis.Finding",
        verbose_name=_("findings it answers"),
        blank=True,
        related_name="measures",
    )

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["programme_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="measure_unique_code"),
            models.CheckConstraint(condition=~Q(code=""), name="measure_code_not_empty"),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="measure_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="measure_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="measure_weight_0_100"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "in_progress", "done", "delayed", "cancelled"]),
                name="measure_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return pick_label(ar=self.title_ar, fr=self.title_fr)

    @property
    def description(self) -> str:
        return pick_label(ar=self.description_ar, fr=self.description_fr)


class FundingSource(models.TextChoices):
    INDH_PROGRAMME_3 = "indh_p3", _("INDH programme 3 (income and youth)")
    REGIONAL_COUNCIL = "regional_council", _("Regional council")
    MINISTRY = "ministry", _("Ministry")
    ODCO = "odco", _("ODCO")
    PARTNERS = "partners", _("Partners")
    OTHER = "other", pgettext_lazy("funding source", "Other")


class FundingLine(models.Model):
    """What one source puts into a measure; the lines of a measure never exceed its budget
    (``services.measure_set_funding`` checks it under a lock)."""

    measure = models.ForeignKey(
        Measure, verbose_name=_("measure"), on_delete=models.CASCADE, related_name="funding_lines"
    )
    source = models.CharField(_("funding source"), max_length=32, choices=FundingSource.choices)
    amount = models.DecimalField(_("amount (MAD)"), max_digits=MONEY_DIGITS, decimal_places=2)
    #: The call for projects it comes from (an INDH programme call, say), its co-financing rate
    #: (the share of the measure's budget the source may cover) and its cap (the most it pays).
    call = models.CharField(_("call for projects"), max_length=200, blank=True)
    cofinancing_rate = models.DecimalField(
        _("co-financing rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    cap = models.DecimalField(
        _("cap (MAD)"), max_digits=MONEY_DIGITS, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        ordering = ["measure_id", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "source"], name="fundingline_one_per_source"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="fundingline_amount_positive"),
            models.CheckConstraint(
                condition=Q(source__in=[value for value, _label in FundingSource.choices]),
                name="fundingline_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.amount}"


class Indicator(models.Model):
    class Direction(models.TextChoices):
        UP = "up", _("Higher is better")
        DOWN = "down", _("Lower is better")

    measure = models.ForeignKey(
        Measure, verbose_name=_("measure"), on_delete=models.CASCADE, related_name="indicators"
    )
    name_ar = models.CharField(_("name (Arabic)"), max_length=300)
    name_fr = models.CharField(_("name (French)"), max_length=300)
    unit = models.CharField(_("unit"), max_length=64, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=16, decimal_places=2)
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=2)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.UP
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["measure_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction="up", target__gt=F("baseline"))
                | Q(direction="down", target__lt=F("baseline")),
                name="indicator_target_beyond_baseline",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_label(ar=self.name_ar, fr=self.name_fr)


class ProgressUpdate(models.Model):
    """Where a measure stood on a date, as someone reported it; the latest one is its progress."""

    measure = models.ForeignKey(
        Measure, verbose_name=_("measure"), on_delete=models.CASCADE, related_name="updates"
    )
    on = models.DateField(_("date"))
    percent = models.PositiveSmallIntegerField(_("percent complete"))
    note = models.TextField(_("note"), blank=True)
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="values",
    )
    indicator_value = models.DecimalField(
        _("indicator value"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: A file or photo showing the progress; stored outside the public media and served only
    #: through a view that checks ``evidence_public`` or the reader's rights.
    evidence = models.FileField(
        _("evidence"), upload_to=evidence_upload_to, storage=private_storage, blank=True
    )
    evidence_public = models.BooleanField(_("evidence shown in public"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # A double-clicked form or a replayed request records once.
    idempotency_key = models.CharField(  # noqa: DJ001 - NULL means no key; unique only when set
        _("idempotency key"), max_length=64, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["measure_id", "-on", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100), name="progressupdate_percent_0_100"
            ),
            models.CheckConstraint(
                condition=Q(indicator__isnull=True, indicator_value__isnull=True)
                | Q(indicator__isnull=False, indicator_value__isnull=False),
                name="progressupdate_indicator_with_value",
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="progressupdate_unique_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["measure", "-on", "-created_at"], name="progress_measure_latest")
        ]

    def __str__(self) -> str:
        return f"{self.measure.code} {self.on}: {self.percent}%"
