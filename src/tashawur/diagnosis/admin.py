"""Admin for synthesis runs, their findings, the curation record and the written diagnosis, all
read-only here.

Findings are curated on the diagnosis pages, through the services, which keep the citations a
partition of the run's contributions and record every action; an edit here would do neither
(a status set to merged moves no citation). The diagnosis is written on its own page, whose
services check every entry's sources; a publication is never changed once made. Runs are
requested from the diagnosis page; deleting one would take its findings and their curation
with it, so no delete either."""

from django.contrib import admin

from tashawur.core.admin import ReadOnlyAdmin, ReadOnlyInline
from tashawur.diagnosis.models import (
    CurationEvent,
    Diagnosis,
    DiagnosisEntry,
    DiagnosisPublication,
    Finding,
    FindingContribution,
    OpinionGroup,
    StatementStat,
    SynthesisRun,
)

_RUN_FIELDS = (
    "consultation",
    "status",
    "created_by",
    "engine_version",
    "parameters",
    "timings",
    "warnings",
    "error_code",
    "error_message",
    "contributions_count",
    "votes_count",
    "started_at",
    "finished_at",
    "heartbeat_at",
    "worker",
    "task_id",
)


@admin.register(SynthesisRun)
class SynthesisRunAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "consultation",
        "status",
        "engine_version",
        "contributions_count",
        "votes_count",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "consultation")
    readonly_fields = _RUN_FIELDS
    fields = _RUN_FIELDS
    date_hierarchy = "created_at"


class FindingContributionInline(ReadOnlyInline):
    model = FindingContribution
    fields = ("contribution", "duplicate_of", "is_representative", "rank")
    readonly_fields = fields


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("key", "__str__", "dimension", "size", "status", "run")
    list_filter = ("status", "dimension", "run__consultation")
    search_fields = ("key", "label_ar", "label_fr", "title_override_ar", "title_override_fr")
    list_select_related = ("run__consultation",)
    readonly_fields = (
        "run",
        "key",
        "theme_key",
        "label_ar",
        "label_fr",
        "theme_label_ar",
        "theme_label_fr",
        "key_phrases_ar",
        "key_phrases_fr",
        "size",
        "duplicate_count",
        "dimension",
        "dimension_counts",
        "profiles",
        "position",
        "title_override_ar",
        "title_override_fr",
        "status",
        "merged_into",
    )
    inlines = [FindingContributionInline]


@admin.register(OpinionGroup)
class OpinionGroupAdmin(ReadOnlyAdmin):
    list_display = ("name", "size", "run")
    list_filter = ("run__consultation",)
    readonly_fields = ("run", "key", "size", "representative_statement_ids", "representatives")


@admin.register(StatementStat)
class StatementStatAdmin(ReadOnlyAdmin):
    list_display = ("contribution", "consensus", "divisiveness", "agree", "disagree", "passes")
    list_filter = ("run__consultation",)
    readonly_fields = (
        "run",
        "contribution",
        "consensus",
        "divisiveness",
        "agree",
        "disagree",
        "passes",
        "per_group",
    )


@admin.register(CurationEvent)
class CurationEventAdmin(ReadOnlyAdmin):
    """The curation record is written by the services only: read here, never changed."""

    list_display = ("created_at", "action", "finding", "actor", "run")
    list_filter = ("action", "run__consultation")
    list_select_related = ("finding", "actor", "run__consultation")
    readonly_fields = ("run", "finding", "action", "actor", "created_at", "details")


class DiagnosisEntryInline(ReadOnlyInline):
    model = DiagnosisEntry
    fields = ("dimension", "position", "statement_ar", "statement_fr", "findings", "contributions")
    readonly_fields = fields


@admin.register(Diagnosis)
class DiagnosisAdmin(ReadOnlyAdmin):
    """Written and published on the diagnosis pages, through the services: read here."""

    list_display = ("consultation", "status", "version", "published_at", "published_by")
    list_filter = ("status",)
    list_select_related = ("consultation", "published_by")
    readonly_fields = ("consultation", "status", "version", "published_at", "published_by")
    inlines = (DiagnosisEntryInline,)


@admin.register(DiagnosisPublication)
class DiagnosisPublicationAdmin(ReadOnlyAdmin):
    """What readers read: never changed once published."""

    list_display = ("diagnosis", "version", "published_at", "published_by")
    list_select_related = ("diagnosis__consultation", "published_by")
    readonly_fields = ("diagnosis", "version", "published_at", "published_by", "snapshot")
