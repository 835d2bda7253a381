"""Synthesis runs and what they store: findings that cite contributions, and opinion groups.

A run is written once, in one transaction, by ``services.synthesis_run_execute``; afterwards only
the analyst's curation fields of a finding change. Every finding cites its contributions through
``FindingContribution`` rows, so the diagnosis can always be traced back to what people said.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tashawur.consultations.models import Dimension
from tashawur.core.i18n import pick_label
from tashawur.core.models import TimeStampedModel


class SynthesisRunQuerySet(models.QuerySet["SynthesisRun"]):
    """The one owner of "which run does the diagnosis show": a consultation's last successful
    run, by finish time (then id)."""

    def succeeded(self) -> SynthesisRunQuerySet:
        return self.filter(status=SynthesisRun.Status.SUCCEEDED)

    def shown_first(self) -> SynthesisRunQuerySet:
        """Successful runs, the one the diagnosis shows first."""
        return self.succeeded().order_by("-finished_at", "-pk")

    def current_for(self, consultation: Any) -> SynthesisRun | None:
        """The run the diagnosis of ``consultation`` shows, or ``None`` before any succeeded;
        its stored result (tens of megabytes at 100,000 contributions) is read on first use."""
        return self.filter(consultation=consultation).shown_first().defer("result").first()

    def current_ids(self, consultation_ids: Iterable[int]) -> dict[int, int]:
        """For each of ``consultation_ids`` that has one, the id of the run its diagnosis
        shows, in one query."""
        current: dict[int, int] = {}
        runs = (
            self.filter(consultation_id__in=list(consultation_ids))
            .succeeded()
            .order_by("consultation_id", "-finished_at", "-pk")
            .values_list("consultation_id", "pk")
        )
        for consultation_id, pk in runs:
            current.setdefault(consultation_id, pk)
        return current


class SynthesisRun(TimeStampedModel):
    """One run of the synthesis library over a consultation's published contributions."""

    objects = SynthesisRunQuerySet.as_manager()

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    consultation = models.ForeignKey(
        "consultations.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="synthesis_runs",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    engine_version = models.CharField(_("engine version"), max_length=64, blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    timings = models.JSONField(_("timings (seconds)"), default=dict, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    # The library's JSON result without per-contribution assignments: the next run reads it
    # to keep finding ids stable (incremental update).
    result = models.JSONField(_("result"), null=True, blank=True, editable=False)
    contributions_count = models.PositiveIntegerField(_("contributions read"), default=0)
    votes_count = models.PositiveIntegerField(_("votes read"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The lease of a running run: the process executing it writes ``heartbeat_at`` every few
    # seconds; a run silent for longer than ``TASHAWUR_RUN_LEASE_SECONDS`` has lost its worker
    # (``services.synthesis_runs_recover``).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    worker = models.CharField(_("worker process"), max_length=128, blank=True)
    # The background task that executes the run: a queued run whose task is lost is queued again.
    task_id = models.CharField(_("background task"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("synthesis run")
        verbose_name_plural = _("synthesis runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="synthesisrun_status_valid",
            ),
            # At most one run waits or works per consultation: a second request joins it.
            models.UniqueConstraint(
                fields=["consultation"],
                condition=Q(status__in=["queued", "running"]),
                name="synthesisrun_one_pending_per_consultation",
            ),
            models.CheckConstraint(
                condition=Q(status="queued") | Q(started_at__isnull=False),
                name="synthesisrun_started_unless_queued",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["succeeded", "failed"]) | Q(finished_at__isnull=False),
                name="synthesisrun_finished_when_done",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="synthesisrun_finishes_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(result__isnull=False),
                name="synthesisrun_succeeded_has_result",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error_code=""),
                name="synthesisrun_failed_has_error",
            ),
        ]
        indexes = [
            models.Index(fields=["consultation", "status"], name="synthesisrun_cons_status_idx")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.consultation} ({self.status})"

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Finding(models.Model):
    """Contributions that say the same thing, as one synthesis run grouped them."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        MERGED = "merged", _("Merged")
        REJECTED = "rejected", _("Rejected")

    run = models.ForeignKey(
        SynthesisRun,
        verbose_name=_("synthesis run"),
        on_delete=models.CASCADE,
        related_name="findings",
    )
    # The library's id ("F12"): stable from one run to the next for the same contributions.
    key = models.CharField(_("finding key"), max_length=32)
    theme_key = models.CharField(_("theme key"), max_length=32)
    label_ar = models.CharField(_("label (Arabic)"), max_length=500, blank=True)
    label_fr = models.CharField(_("label (French)"), max_length=500, blank=True)
    # An Amazigh-only finding's title is borrowed from the nearest finding in another language
    # (through the bridge): that finding's key, shown as such. Empty: its own members' words.
    title_borrowed_from = models.CharField(_("title borrowed from"), max_length=32, blank=True)
    # The contributions the titles were taken from: {"ar": id, "fr": id}.
    title_sources = models.JSONField(_("title sources"), default=dict, blank=True)
    theme_label_ar = models.CharField(_("theme label (Arabic)"), max_length=500, blank=True)
    theme_label_fr = models.CharField(_("theme label (French)"), max_length=500, blank=True)
    key_phrases_ar = models.JSONField(_("key phrases (Arabic)"), default=list, blank=True)
    key_phrases_fr = models.JSONField(_("key phrases (French)"), default=list, blank=True)
    # Contributions carrying the finding: its members plus their duplicates.
    size = models.PositiveIntegerField(_("size"))
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    # The dimension most of its contributions carry (the diagnosis reads by dimension).
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    dimension_counts = models.JSONField(_("contributions per dimension"), default=dict)
    profiles = models.JSONField(_("breakdowns"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"))
    # The analyst's curation (services ``finding_rename``, ``finding_status_set``,
    # ``findings_merge``, ``finding_split``; each recorded as a ``CurationEvent``).
    title_override_ar = models.CharField(
        _("title set by the analyst (Arabic)"), max_length=300, blank=True
    )
    title_override_fr = models.CharField(
        _("title set by the analyst (French)"), max_length=300, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_findings",
    )
    contributions = models.ManyToManyField(
        "contributions.Contribution",
        verbose_name=_("contributions"),
        through="FindingContribution",
        through_fields=("finding", "contribution"),
        related_name="findings",
    )

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="finding_unique_key_per_run"),
            models.UniqueConstraint(
                fields=["run", "position"], name="finding_unique_position_per_run"
            ),
            models.CheckConstraint(condition=Q(size__gte=1), name="finding_not_empty"),
            models.CheckConstraint(
                condition=Q(duplicate_count__lt=F("size")),
                name="finding_has_a_member_besides_duplicates",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "accepted", "merged", "rejected"]),
                name="finding_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="finding_merged_names_its_target",
            ),
        ]
        indexes = [
            # The diagnosis overview's five heaviest findings of a dimension, and a dimension's
            # pages: an index range in position order, stopped at the page's end.
            models.Index(fields=["run", "dimension", "position"], name="finding_run_dim_pos_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.label}"

    @property
    def label(self) -> str:
        """What the page shows, in the active language: the analyst's title, else the label."""
        return (
            pick_label(
                ar=self.title_override_ar or self.label_ar,
                fr=self.title_override_fr or self.label_fr,
            )
            or self.key
        )

    @property
    def label_language(self) -> str:
        """The language of `label` when it is not the page's ("fr" on an Arabic page whose
        finding has only a French title, "ar" the other way round), else ""."""
        ar = self.title_override_ar or self.label_ar
        fr = self.title_override_fr or self.label_fr
        if pick_label(ar="ar", fr="fr") == "fr":
            return "ar" if ar and not fr else ""
        return "fr" if fr and not ar else ""

    @property
    def is_visible(self) -> bool:
        """Shown in the diagnosis to everyone: neither merged into another nor rejected."""
        return self.status not in (self.Status.MERGED, self.Status.REJECTED)

    @property
    def key_phrases(self) -> list[str]:
        """Key phrases in the active language (Arabic, else French), falling back to the other."""
        if pick_label(ar="ar", fr="fr") == "fr" and self.key_phrases_fr:
            return list(self.key_phrases_fr)
        return list(self.key_phrases_ar or self.key_phrases_fr)


class FindingContribution(models.Model):
    """A contribution cited by a finding: a member, a duplicate of one, or a representative quote.

    Within one run a contribution belongs to one finding at most (the findings partition the
    contributions).
    """

    # No index of their own on ``run`` and ``finding``: the unique constraints below begin with
    # each, and serve their look-ups and cascades. A run writes one row per cited contribution
    # (100,000 at a national scale), each through every index (issue 15, item 3).
    run = models.ForeignKey(
        SynthesisRun,
        verbose_name=_("synthesis run"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("finding"),
        on_delete=models.CASCADE,
        related_name="citations",
        db_index=False,
    )
    contribution = models.ForeignKey(
        "contributions.Contribution",
        verbose_name=_("contribution"),
        on_delete=models.PROTECT,
        related_name="finding_citations",
    )
    duplicate_of = models.ForeignKey(
        "contributions.Contribution",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_representative = models.BooleanField(_("representative quote"), default=False)
    rank = models.PositiveSmallIntegerField(_("rank among the quotes"), null=True, blank=True)

    class Meta:
        verbose_name = _("cited contribution")
        verbose_name_plural = _("cited contributions")
        ordering = ["finding", "rank", "contribution"]
        constraints = [
            models.UniqueConstraint(
                fields=["finding", "contribution"], name="findingcontribution_unique"
            ),
            models.UniqueConstraint(
                fields=["run", "contribution"], name="findingcontribution_one_finding_per_run"
            ),
            models.UniqueConstraint(
                fields=["finding", "rank"],
                condition=Q(rank__isnull=False),
                name="findingcontribution_unique_rank",
            ),
            models.CheckConstraint(
                condition=Q(is_representative=True, rank__isnull=False)
                | Q(is_representative=False, rank__isnull=True),
                name="findingcontribution_rank_iff_representative",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | Q(is_representative=False),
                name="findingcontribution_quote_is_not_a_duplicate",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=F("contribution")),
                name="findingcontribution_not_its_own_duplicate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.finding.key} ← #{self.contribution_id}"


class CurationEvent(models.Model):
    """One curation action of an analyst on a run's findings: who, when, what (DESIGN.md §1)."""

    class Action(models.TextChoices):
        RENAME = "rename", _("Renamed")
        ACCEPT = "accept", _("Accepted")
        REJECT = "reject", _("Rejected")
        RESET = "reset", _("Set back to proposed")
        MERGE = "merge", _("Merged")
        SPLIT = "split", _("Split")
        # Replayed on a new run from the run shown before (``services.curation_carry_over``).
        CARRIED = "carried", _("Carried over from the previous run")

    run = models.ForeignKey(
        SynthesisRun,
        verbose_name=_("synthesis run"),
        on_delete=models.CASCADE,
        related_name="curation_events",
    )
    # The finding acted on: the renamed one, the merge's target, the split's source.
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("finding"),
        on_delete=models.CASCADE,
        related_name="curation_events",
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    # What changed: titles before and after, the merged keys and moved contribution ids…
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("curation event")
        verbose_name_plural = _("curation events")
        ordering = ["run", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    action__in=["rename", "accept", "reject", "reset", "merge", "split", "carried"]
                ),
                name="curationevent_action_valid",
            ),
        ]
        indexes = [models.Index(fields=["run", "created_at"], name="curationevent_run_idx")]

    def __str__(self) -> str:
        return f"{self.finding.key} {self.action} ({self.created_at:%Y-%m-%d %H:%M})"


class CarryOverIssue(models.Model):
    """What a new run could not carry over from the curation of the run shown before, left for
    the analyst to decide (``services.curation_carry_over``): a curated finding that vanished
    or split across several new findings, a merge whose findings are gone, two curated findings
    landing in one new finding with different titles or statuses, a written entry whose finding
    has no successor. Resolved by picking a successor finding or by dismissing it."""

    class Kind(models.TextChoices):
        VANISHED = "vanished", _("Finding without a successor")
        SPLIT = "split", _("Split across several findings")
        MERGE = "merge", _("Merge that could not be made again")
        CONFLICT = "conflict", _("Two curated findings in one")
        ENTRY = "entry", _("Written entry without its finding")

    class Resolution(models.TextChoices):
        OPEN = "", _("To decide")
        PICKED = "picked", _("Successor chosen")
        DISMISSED = "dismissed", _("Dismissed")

    run = models.ForeignKey(
        SynthesisRun,
        verbose_name=_("synthesis run"),
        on_delete=models.CASCADE,
        related_name="carry_over_issues",
    )
    # The finding of an earlier run whose curation (or citation) waits for a decision.
    old_finding = models.ForeignKey(
        Finding,
        verbose_name=_("earlier finding"),
        on_delete=models.CASCADE,
        related_name="carry_over_issues",
    )
    old_finding_key = models.CharField(_("earlier finding key"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    entry = models.ForeignKey(
        "DiagnosisEntry",
        verbose_name=_("diagnosis entry"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="carry_over_issues",
    )
    # The curation events it stands for, the candidate successors and what the old finding
    # carried (titles, status).
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    resolution = models.CharField(
        _("decision"), max_length=16, choices=Resolution.choices, default="", blank=True
    )
    successor = models.ForeignKey(
        Finding,
        verbose_name=_("successor chosen"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("curation to decide")
        verbose_name_plural = _("curation to decide")
        ordering = ["run", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["vanished", "split", "merge", "conflict", "entry"]),
                name="carryoverissue_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(resolution="", resolved_at__isnull=True)
                | (Q(resolution__in=["picked", "dismissed"]) & Q(resolved_at__isnull=False)),
                name="carryoverissue_resolved_has_a_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind="entry") | Q(entry__isnull=False),
                name="carryoverissue_entry_kind_names_it",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.old_finding_key} {self.kind}"

    @property
    def is_open(self) -> bool:
        return not self.resolution


class OpinionGroup(models.Model):
    """A group of participants who voted alike (Pol.is), and the statements that set it apart."""

    run = models.ForeignKey(
        SynthesisRun,
        verbose_name=_("synthesis run"),
        on_delete=models.CASCADE,
        related_name="opinion_groups",
    )
    key = models.PositiveSmallIntegerField(_("group"))
    size = models.PositiveIntegerField(_("participants"))
    # Contribution ids, in the library's order (agreements first, then disagreements).
    representative_statement_ids = models.JSONField(_("representative statements"), default=list)
    # Per representative statement: id, repful_for ("agree"/"disagree"), n_success, n_trials,
    # p_success, repness.
    representatives = models.JSONField(_("representativeness"), default=list)

    class Meta:
        verbose_name = _("opinion group")
        verbose_name_plural = _("opinion groups")
        ordering = ["run", "key"]
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="opiniongroup_unique_key_per_run"),
            models.CheckConstraint(condition=Q(size__gte=1), name="opiniongroup_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.size})"

    @property
    def name(self) -> str:
        """Pol.is names groups by letter: A, B, C …"""
        return chr(ord("A") + self.key)


class StatementStat(models.Model):
    """How the opinion groups voted on one statement: consensus and divisiveness (Pol.is)."""

    run = models.ForeignKey(
        SynthesisRun,
        verbose_name=_("synthesis run"),
        on_delete=models.CASCADE,
        related_name="statement_stats",
    )
    contribution = models.ForeignKey(
        "contributions.Contribution",
        verbose_name=_("statement"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    consensus = models.FloatField(_("group-informed consensus"))
    divisiveness = models.FloatField(_("divisiveness"))
    agree = models.PositiveIntegerField(_("agree"))
    disagree = models.PositiveIntegerField(_("disagree"))
    passes = models.PositiveIntegerField(_("pass"))
    # Per group: [agree, disagree, pass] of its members.
    per_group = models.JSONField(_("votes per group"), default=list)

    class Meta:
        verbose_name = _("statement statistics")
        verbose_name_plural = _("statement statistics")
        ordering = ["run", "-consensus"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "contribution"], name="statementstat_unique_per_run"
            ),
            models.CheckConstraint(
                condition=Q(consensus__gte=0, consensus__lte=1), name="statementstat_consensus_0_1"
            ),
            models.CheckConstraint(
                condition=Q(divisiveness__gte=0, divisiveness__lte=1),
                name="statementstat_divisiveness_0_1",
            ),
        ]
        indexes = [
            # The diagnosis's most consensual, most divisive and most voted statements: the
            # first rows of an index, not a sort of the run's tens of thousands.
            models.Index(
                F("run"),
                F("consensus").desc(),
                F("contribution"),
                name="statementstat_consensus_idx",
            ),
            models.Index(
                F("run"),
                F("divisiveness").desc(),
                F("contribution"),
                name="statementstat_divisive_idx",
            ),
            models.Index(
                F("run"),
                (F("agree") + F("disagree") + F("passes")).desc(),
                F("contribution"),
                name="statementstat_votes_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.contribution_id} {self.consensus:.3f}"


class DiagnosisDimension(models.TextChoices):
    """The four parts of a written diagnosis (DESIGN.md §2), with the contributions' values."""

    POTENTIAL = Dimension.POTENTIAL.value, Dimension.POTENTIAL.label
    SPECIFICITY = Dimension.SPECIFICITY.value, Dimension.SPECIFICITY.label
    CHALLENGE = Dimension.CHALLENGE.value, Dimension.CHALLENGE.label
    PROPOSAL = Dimension.PROPOSAL.value, Dimension.PROPOSAL.label


class Diagnosis(TimeStampedModel):
    """The analyst's written reading of a consultation: entries that each name their sources.

    Readers never see the entries themselves: they read the latest ``DiagnosisPublication``,
    a snapshot taken when the diagnosis was published (``services.diagnosis_publish``).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    consultation = models.OneToOneField(
        "consultations.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="written_diagnosis",
    )
    # Draft while the entries differ from the last publication (or none was made yet).
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="diagnosis_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(version=0, published_at__isnull=True)
                | Q(version__gte=1, published_at__isnull=False),
                name="diagnosis_published_has_a_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(version__gte=1),
                name="diagnosis_published_has_a_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation} v{self.version} ({self.status})"


class DiagnosisEntry(models.Model):
    """One statement of the diagnosis, resting on findings and/or contributions (at least one
    source: the services refuse an entry without)."""

    diagnosis = models.ForeignKey(
        Diagnosis, verbose_name=_("diagnosis"), on_delete=models.CASCADE, related_name="entries"
    )
    dimension = models.CharField(_("dimension"), max_length=16, choices=DiagnosisDimension.choices)
    # Order within the dimension; not unique, so that a reorder rewrites it in one pass.
    position = models.PositiveIntegerField(_("position"), default=0)
    statement_ar = models.TextField(_("statement (Arabic)"), blank=True)
    statement_fr = models.TextField(_("statement (French)"), blank=True)
    findings = models.ManyToManyField(
        Finding, verbose_name=_("findings"), blank=True, related_name="diagnosis_entries"
    )
    contributions = models.ManyToManyField(
        "contributions.Contribution",
        verbose_name=_("contributions"),
        blank=True,
        related_name="diagnosis_entries",
    )

    class Meta:
        verbose_name = _("diagnosis entry")
        verbose_name_plural = _("diagnosis entries")
        ordering = ["diagnosis", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dimension__in=["potential", "specificity", "challenge", "proposal"]),
                name="diagnosisentry_dimension_valid",
            ),
            models.CheckConstraint(
                condition=~Q(statement_ar="") | ~Q(statement_fr=""),
                name="diagnosisentry_has_a_statement",
            ),
        ]

    def __str__(self) -> str:
        return self.statement[:80]

    @property
    def statement(self) -> str:
        """The statement in the active language, falling back to the other."""
        return pick_label(ar=self.statement_ar, fr=self.statement_fr)


class DiagnosisPublication(models.Model):
    """What readers read: the entries as they were when published, with their sources' keys,
    labels and quotes copied, so that later curation or runs never change a published text."""

    diagnosis = models.ForeignKey(
        Diagnosis,
        verbose_name=_("diagnosis"),
        on_delete=models.CASCADE,
        related_name="publications",
    )
    version = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # {"entries": [{"dimension", "position", "statement_ar", "statement_fr",
    #   "findings": [{"id", "key", "run", "label_ar", "label_fr",
    #                 "quotes": [{"id", "workshop", "language", "text"}]}],
    #   "contributions": [{"id", "workshop", "language", "text"}]}]}
    snapshot = models.JSONField(_("snapshot"), editable=False)

    class Meta:
        verbose_name = _("diagnosis publication")
        verbose_name_plural = _("diagnosis publications")
        ordering = ["diagnosis", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["diagnosis", "version"], name="diagnosispublication_unique_version"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="diagnosispublication_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.diagnosis.consultation} v{self.version}"


class RollupRunQuerySet(models.QuerySet["RollupRun"]):
    """The one owner of "which roll-up does the strategy page show": the strategy's last
    successful roll-up run, by finish time (then id)."""

    def current_for(self, strategy: Any) -> RollupRun | None:
        return (
            self.filter(strategy=strategy, status=RollupRun.Status.SUCCEEDED)
            .order_by("-finished_at", "-pk")
            .first()
        )


class RollupRun(TimeStampedModel):
    """One run of the synthesis library over the published contributions of every consultation
    of a strategy at once: the national roll-up (``services.rollup``)."""

    objects = RollupRunQuerySet.as_manager()

    Status = SynthesisRun.Status

    strategy = models.ForeignKey(
        "consultations.Strategy",
        verbose_name=_("strategy"),
        on_delete=models.PROTECT,
        related_name="rollup_runs",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    engine_version = models.CharField(_("engine version"), max_length=64, blank=True)
    # The library's parameters and the roll-up's own (thresholds of shared and specific).
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    timings = models.JSONField(_("timings (seconds)"), default=dict, blank=True)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    contributions_count = models.PositiveIntegerField(_("contributions read"), default=0)
    regions_count = models.PositiveSmallIntegerField(_("regions read"), default=0)
    findings_count = models.PositiveIntegerField(_("findings"), default=0)
    shared_count = models.PositiveIntegerField(_("shared findings"), default=0)
    specific_count = models.PositiveIntegerField(_("region-specific findings"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    task_id = models.CharField(_("background task"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("roll-up run")
        verbose_name_plural = _("roll-up runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="rolluprun_status_valid",
            ),
            # At most one roll-up waits or works per strategy: a second request joins it.
            models.UniqueConstraint(
                fields=["strategy"],
                condition=Q(status__in=["queued", "running"]),
                name="rolluprun_one_pending_per_strategy",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["succeeded", "failed"]) | Q(finished_at__isnull=False),
                name="rolluprun_finished_when_done",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error_code=""),
                name="rolluprun_failed_has_error",
            ),
        ]
        indexes = [models.Index(fields=["strategy", "status"], name="rolluprun_strat_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.strategy} ({self.status})"

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class RollupFinding(models.Model):
    """A finding of the national roll-up: contributions from one or several regions that say
    the same thing, shared by several regions or specific to one."""

    class Kind(models.TextChoices):
        SHARED = "shared", _("Shared by several regions")
        SPECIFIC = "specific", _("Specific to one region")
        # Too few voices in any region to say either.
        OTHER = "other", _("Other")

    run = models.ForeignKey(
        RollupRun, verbose_name=_("roll-up run"), on_delete=models.CASCADE, related_name="findings"
    )
    key = models.CharField(_("finding key"), max_length=32)
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # The region a specific finding belongs to; empty for the others.
    region = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    dimension_counts = models.JSONField(_("contributions per dimension"), default=dict)
    # Extractive, from the member texts, as the library labels a regional finding.
    label_ar = models.CharField(_("label (Arabic)"), max_length=500, blank=True)
    label_fr = models.CharField(_("label (French)"), max_length=500, blank=True)
    key_phrases_ar = models.JSONField(_("key phrases (Arabic)"), default=list, blank=True)
    key_phrases_fr = models.JSONField(_("key phrases (French)"), default=list, blank=True)
    size = models.PositiveIntegerField(_("size"))
    authors_count = models.PositiveIntegerField(_("authors"), default=0)
    regions_count = models.PositiveSmallIntegerField(_("regions carrying it"), default=0)

    class Meta:
        verbose_name = _("roll-up finding")
        verbose_name_plural = _("roll-up findings")
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="rollupfinding_unique_key"),
            models.UniqueConstraint(
                fields=["run", "position"], name="rollupfinding_unique_position"
            ),
            models.CheckConstraint(condition=Q(size__gte=1), name="rollupfinding_not_empty"),
            models.CheckConstraint(
                condition=Q(kind__in=["shared", "specific", "other"]),
                name="rollupfinding_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="specific", region__isnull=False)
                | (~Q(kind="specific") & Q(region__isnull=True)),
                name="rollupfinding_specific_names_its_region",
            ),
        ]
        indexes = [models.Index(fields=["run", "kind"], name="rollupfinding_run_kind_idx")]

    def __str__(self) -> str:
        return f"{self.key} {self.label}"

    @property
    def label(self) -> str:
        return pick_label(ar=self.label_ar, fr=self.label_fr) or self.key


class RollupFindingRegion(models.Model):
    """How much of one roll-up finding comes from one region, and whether the region is
    over-represented in it: a one-sided hypergeometric test of its contributions in the
    finding against its share of all the roll-up's contributions, Benjamini–Hochberg corrected
    over every (finding, region) cell of the run."""

    run = models.ForeignKey(
        RollupRun, verbose_name=_("roll-up run"), on_delete=models.CASCADE, related_name="+"
    )
    finding = models.ForeignKey(
        RollupFinding,
        verbose_name=_("roll-up finding"),
        on_delete=models.CASCADE,
        related_name="regions",
    )
    region = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    contributions = models.PositiveIntegerField(_("contributions"))
    authors = models.PositiveIntegerField(_("authors"))
    share = models.FloatField(_("share of the finding"))
    overall_share = models.FloatField(_("share of all contributions"))
    lift = models.FloatField(_("lift"))
    p_value = models.FloatField(_("p-value"))
    q_value = models.FloatField(_("corrected p-value (Benjamini–Hochberg)"))
    over_represented = models.BooleanField(_("over-represented"), default=False)

    class Meta:
        verbose_name = _("roll-up finding in a region")
        verbose_name_plural = _("roll-up findings in a region")
        ordering = ["finding", "-contributions", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["finding", "region"], name="rollupfindingregion_unique"
            ),
            models.CheckConstraint(
                condition=Q(contributions__gte=1), name="rollupfindingregion_not_empty"
            ),
        ]
        indexes = [models.Index(fields=["run", "region"], name="rollupfindingregion_run_idx")]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.region_id} ({self.contributions})"


class RollupCitation(models.Model):
    """A contribution cited by a roll-up finding, with its region (that of its consultation)."""

    run = models.ForeignKey(
        RollupRun, verbose_name=_("roll-up run"), on_delete=models.CASCADE, related_name="+"
    )
    finding = models.ForeignKey(
        RollupFinding,
        verbose_name=_("roll-up finding"),
        on_delete=models.CASCADE,
        related_name="citations",
    )
    contribution = models.ForeignKey(
        "contributions.Contribution",
        verbose_name=_("contribution"),
        on_delete=models.PROTECT,
        related_name="rollup_citations",
    )
    region = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_duplicate = models.BooleanField(_("duplicate"), default=False)
    is_representative = models.BooleanField(_("representative quote"), default=False)
    rank = models.PositiveSmallIntegerField(_("rank among the quotes"), null=True, blank=True)

    class Meta:
        verbose_name = _("roll-up citation")
        verbose_name_plural = _("roll-up citations")
        ordering = ["finding", "rank", "contribution"]
        constraints = [
            # The findings of a run partition its contributions.
            models.UniqueConstraint(
                fields=["run", "contribution"], name="rollupcitation_one_finding_per_run"
            ),
        ]
        indexes = [
            models.Index(fields=["finding", "region"], name="rollupcitation_finding_reg_idx")
        ]

    def __str__(self) -> str:
        return f"{self.finding_id} ← #{self.contribution_id}"


class TextEmbedding(models.Model):
    """A text's sentence vector under one encoder, kept across synthesis runs so that a new run
    embeds only the texts it has not seen (new or edited contributions). Keyed by the library's
    content key (``synthesis.content_key``: a SHA-256 of the model's name and the text), not by
    contribution: identical texts share a vector, an edited text gets a new one, and nothing
    here names a person (an erased contribution's text leaves no vector once it is pruned)."""

    key = models.CharField(_("content key"), max_length=64, unique=True)
    model = models.CharField(_("encoder"), max_length=64)
    dim = models.PositiveSmallIntegerField(_("dimensions"))
    # float32, little-endian, ``dim`` values.
    vector = models.BinaryField(_("vector"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("text embedding")
        verbose_name_plural = _("text embeddings")
        indexes = [models.Index(fields=["model"], name="textembedding_model_idx")]

    def __str__(self) -> str:
        return f"{self.model}:{self.key[:12]}"


class TextLanguage(models.Model):
    """A text's identified language under one version of the language identifier, kept across
    synthesis runs like ``TextEmbedding`` so that a new run identifies only the texts it has not
    seen. Keyed by a SHA-256 of the identifier's version and the text, never by contribution:
    nothing here names a person, and a key no contribution's text produces any more is pruned
    with the vectors (``prune_embeddings``)."""

    key = models.CharField(_("content key"), max_length=64, unique=True)
    identifier = models.CharField(_("identifier"), max_length=64)
    language = models.CharField(_("language"), max_length=16)
    script = models.CharField(_("script"), max_length=8)
    confidence = models.FloatField(_("confidence"))
    mixed = models.BooleanField(_("mixed"), default=False)
    # Every language found, the main one first, comma-separated ("ary,fr"); empty when the
    # guess was made without the segment check.
    languages = models.CharField(_("languages found"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("text language")
        verbose_name_plural = _("text languages")
        indexes = [models.Index(fields=["identifier"], name="textlanguage_identifier_idx")]

    def __str__(self) -> str:
        return f"{self.identifier}:{self.key[:12]}:{self.language}"
