"""Admin for contributions and votes: read here, written on the pages.

A contribution is submitted through ``contribution_submit`` (on the workshop's page) and is
never edited afterwards: people voted on its words. The admin moderates it through
``contribution_moderate`` (the actions, recorded as moderation events) and otherwise reads
it. Votes move the counters in ``vote_cast``; deleting one here would leave them wrong, so
they are only read, as are moderation events and reports.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tashawur.contributions import rules
from tashawur.contributions.models import (
    Contribution,
    ContributionFlag,
    ModerationEvent,
    ModerationReason,
    ModerationStatus,
    Vote,
)
from tashawur.contributions.services import contribution_moderate
from tashawur.core.admin import ReadOnlyAdmin
from tashawur.core.errors import DomainError
from tashawur.core.models import User


def _moderate(
    request: HttpRequest, queryset: QuerySet[Contribution], status: str
) -> tuple[int, int]:
    """Moderate through the service, one contribution at a time, where the user may."""
    done = refused = 0
    user = request.user
    assert isinstance(user, User)  # the admin's pages need a signed-in user
    # The admin's bulk rejection gives no particular reason: "other", recorded as such.
    reason = ModerationReason.OTHER if status == ModerationStatus.REJECTED else ""
    for contribution in queryset.select_related("workshop__meeting__consultation", "consultation"):
        if not rules.can_moderate_contribution(user, contribution):
            refused += 1
            continue
        try:
            contribution_moderate(
                contribution=contribution, status=status, actor=user, reason=reason
            )
        except DomainError:
            refused += 1
        else:
            done += 1
    return done, refused


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
    actions = ["publish", "reject"]
    readonly_fields = (
        "moderation_status",
        "agree_count",
        "disagree_count",
        "pass_count",
        "idempotency_key",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contribution]:
        queryset: QuerySet[Contribution] = super().get_queryset(request)
        return queryset.select_related("workshop")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Withdrawn by moderation (reject), erased with its author (participant_erase).
        return False

    def _report(self, request: HttpRequest, done: int, refused: int, message: str) -> None:
        if done:
            self.message_user(request, message % {"count": done}, messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)s contribution was left as it was: you may not moderate it.",
                    "%(count)s contributions were left as they were: you may not moderate them.",
                    refused,
                )
                % {"count": refused},
                messages.WARNING,
            )

    @admin.action(description=_("Publish the selected contributions"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Contribution]) -> None:
        done, refused = _moderate(request, queryset, ModerationStatus.PUBLISHED)
        self._report(
            request,
            done,
            refused,
            ngettext(
                "%(count)s contribution published.", "%(count)s contributions published.", done
            ),
        )

    @admin.action(description=_("Reject the selected contributions"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Contribution]) -> None:
        done, refused = _moderate(request, queryset, ModerationStatus.REJECTED)
        self._report(
            request,
            done,
            refused,
            ngettext("%(count)s contribution rejected.", "%(count)s contributions rejected.", done),
        )


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ("contribution", "value", "created_at", "updated_at")
    list_filter = ("value",)
    # Votes are stored apart from identity: the list shows no participant names (DESIGN.md §6).
    readonly_fields = ("contribution", "participant", "value", "created_at", "updated_at")


@admin.register(ModerationEvent)
class ModerationEventAdmin(ReadOnlyAdmin):
    """The record of moderation: written by ``contribution_moderate`` only."""

    list_display = ("contribution", "action", "reason", "actor", "at")
    list_filter = ("action", "reason")
    readonly_fields = ("contribution", "action", "reason", "note", "actor", "at")


@admin.register(ContributionFlag)
class ContributionFlagAdmin(ReadOnlyAdmin):
    """Reports: written by ``contribution_flag``, resolved by ``contribution_moderate``. No
    reporter's name in the list (DESIGN.md §6)."""

    list_display = ("contribution", "reason", "created_at", "resolved_at")
    list_filter = ("reason",)
    readonly_fields = ("contribution", "participant", "reason", "created_at", "resolved_at")
