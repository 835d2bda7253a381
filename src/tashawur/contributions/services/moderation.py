"""Moderation: publish, reject with a reason, restore; participants' reports.

Every decision is recorded as a ``ModerationEvent``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tashawur.actors.models import Participant
from tashawur.contributions import rules
from tashawur.contributions.generations import consultation_data_added, consultation_data_changed
from tashawur.contributions.models import (
    NOTE_MAX_LENGTH,
    Contribution,
    ContributionFlag,
    ModerationEvent,
    ModerationReason,
    ModerationStatus,
)
from tashawur.contributions.services.checks import participant_check_not_erased
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.validation import user_text_clean


def _moderation_action(old: str, new: str, *, open_flags: bool) -> str | None:
    """The event a move from ``old`` to ``new`` records; ``None`` when nothing changes."""
    if new == ModerationStatus.REJECTED:
        return ModerationEvent.Action.REJECT  # again: the moderator gives another reason
    if new == ModerationStatus.PENDING:
        return None if old == new else ModerationEvent.Action.HOLD
    if old == ModerationStatus.REJECTED:
        return ModerationEvent.Action.RESTORE
    if old == ModerationStatus.PENDING:
        return ModerationEvent.Action.PUBLISH
    return ModerationEvent.Action.KEEP if open_flags else None


@transaction.atomic
def contribution_moderate(
    *,
    contribution: Contribution,
    status: str,
    actor: User | None = None,
    reason: str = "",
    note: str = "",
) -> Contribution:
    """Publish, reject (with a reason) or hold a contribution, and record the decision.

    The contribution's row is locked while its current status is read, so that two moderators
    acting at once record two events in order. A rejection needs a ``reason``; a decision on a
    reported contribution resolves its open reports (publishing a published one that was
    reported is "kept"). Nothing changes and nothing is recorded when the status is already
    the one asked for and there is nothing to resolve. ``actor``, when given, must be allowed
    to moderate the contribution (the admin and the pages pass the signed-in user). Votes and
    their counters stay: only published statements' votes are read.
    """
    if status not in ModerationStatus.values:
        raise DomainError(
            _("“%(status)s” is not a moderation status.") % {"status": status},
            code="moderation_status_invalid",
        )
    if reason and reason not in ModerationReason.values:
        raise DomainError(
            _("“%(reason)s” is not a moderation reason.") % {"reason": reason},
            code="moderation_reason_invalid",
            field="reason",
        )
    if status == ModerationStatus.REJECTED and not reason:
        raise DomainError(
            _("Choose the reason for rejecting this contribution: its author will read it."),
            code="moderation_reason_required",
            field="reason",
        )
    cleaned_note = user_text_clean(note, field="note", max_length=NOTE_MAX_LENGTH)
    # No select_related: PostgreSQL cannot lock the nullable side of an outer join (workshop).
    locked = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if actor is not None and not rules.can_moderate_contribution(actor, locked):
        raise DomainError(_("You may not moderate this contribution."), code="moderation_forbidden")
    if status == ModerationStatus.PUBLISHED and not locked.text:
        # An untranscribed voice note: nothing the synthesis or the public could read yet.
        raise DomainError(
            _("This voice note is awaiting its transcription: transcribe it before publishing."),
            code="voice_note_untranscribed",
        )
    open_flags = ContributionFlag.objects.filter(contribution=locked, resolved_at__isnull=True)
    action = _moderation_action(locked.moderation_status, status, open_flags=open_flags.exists())
    if action is not None:
        now = timezone.now()
        Contribution.objects.filter(pk=locked.pk).update(moderation_status=status, updated_at=now)
        if status == ModerationStatus.PUBLISHED:
            consultation_data_added(locked.consultation_id)
        else:  # a takedown: no cached open data may show it again (api.archives)
            consultation_data_changed(locked.consultation_id)
        ModerationEvent.objects.create(
            contribution=locked,
            action=action,
            reason=reason if action == ModerationEvent.Action.REJECT else "",
            note=cleaned_note,
            actor=actor,
            at=now,
        )
        if status != ModerationStatus.PENDING:
            open_flags.update(resolved_at=now)
    contribution.refresh_from_db()
    return contribution


@dataclass(frozen=True)
class Report:
    flag: ContributionFlag
    created: bool


@transaction.atomic
def contribution_flag(
    *, contribution: Contribution, participant: Participant, reason: str
) -> Report:
    """Record a participant's report of a published contribution, once: a second report by the
    same participant returns the first (``created`` false), even when two race each other (the
    unique constraint decides, inside a savepoint)."""
    if reason not in ModerationReason.values:
        raise DomainError(
            _("Choose why you report this contribution."),
            code="flag_reason_invalid",
            field="reason",
        )
    participant_check_not_erased(participant)
    existing = ContributionFlag.objects.filter(
        contribution=contribution, participant=participant
    ).first()
    if existing is not None:
        return Report(flag=existing, created=False)
    contribution.refresh_from_db(fields=["moderation_status"])
    if contribution.moderation_status != ModerationStatus.PUBLISHED:
        raise DomainError(
            _("This contribution is not published: there is nothing to report."),
            code="flag_not_published",
        )
    try:
        with transaction.atomic():
            flag = ContributionFlag.objects.create(
                contribution=contribution, participant=participant, reason=reason
            )
    except IntegrityError:
        return Report(
            flag=ContributionFlag.objects.get(contribution=contribution, participant=participant),
            created=False,
        )
    return Report(flag=flag, created=True)
