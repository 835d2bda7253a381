from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tashawur.contributions.models import Contribution, Vote


@admin.register(Contribution)
class ContributionAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "workshop",
        "dimension",
        "language",
        "channel",
        "moderation_status",
        "agree_count",
        "disagree_count",
        "pass_count",
        "created_at",
    )
    list_filter = ("moderation_status", "dimension", "language", "channel", "consultation")
    search_fields = ("text", "translation_fr", "author__display_name")
    autocomplete_fields = (
        "consultation",
        "workshop",
        "theme",
        "territory",
        "author",
        "recorded_by",
    )
    date_hierarchy = "created_at"
    # Counters move only with votes (F() in vote_cast); the key only comes from the client.
    readonly_fields = (
        "agree_count",
        "disagree_count",
        "pass_count",
        "idempotency_key",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contribution]:
        return super().get_queryset(request).select_related("workshop")


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("contribution", "value", "created_at", "updated_at")
    list_filter = ("value",)
    # Votes are stored apart from identity: the list shows no participant names (DESIGN.md §6).
    readonly_fields = ("contribution", "participant", "value", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
