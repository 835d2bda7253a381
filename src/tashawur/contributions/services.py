from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from tashawur.actors.models import Consent, Participant
from tashawur.actors.services import (
    consent_record,
    participant_anonymise,
    participant_consent_answer,
    participant_has_active_consent,
)
from tashawur.consultations import services as consultation_services
from tashawur.consultations.models import Consultation, Dimension, Theme, Workshop
from tashawur.consultations.selectors import workshop_speakers
from tashawur.consultations.services import workshop_not_open_error, workshop_status_locked
from tashawur.contributions import rules
from tashawur.contributions.citations import report_citations
from tashawur.contributions.models import (
    NOTE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Channel,
    Contribution,
    ContributionFlag,
    Language,
    ModerationEvent,
    ModerationReason,
    ModerationStatus,
    Vote,
)
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.validation import idempotency_key_clean, user_text_clean
from tashawur.territories.models import Territory

_COUNTER_FIELD = {
    Vote.Value.AGREE: "agree_count",
    Vote.Value.DISAGREE: "disagree_count",
    Vote.Value.PASS: "pass_count",
}


@dataclass(frozen=True)
class Submission:
    contribution: Contribution
    created: bool


@dataclass(frozen=True)
class Ballot:
    vote: Vote
    created: bool
    previous_value: int | None


def _text_clean(text: str, *, field: str) -> str:
    return user_text_clean(text, field=field, max_length=TEXT_MAX_LENGTH)


def _participant_check_not_erased(participant: Participant, *, field: str | None = None) -> None:
    if participant.erased_at is not None:
        raise DomainError(
            _("This participant's data has been erased."), code="participant_erased", field=field
        )


def _submission_inputs_check(
    *, dimension: str, channel: str, language: str | None, idempotency_key: str | None
) -> None:
    if dimension not in Dimension.values:
        raise DomainError(
            _("“%(dimension)s” is not a dimension of the diagnosis.") % {"dimension": dimension},
            code="dimension_invalid",
            field="dimension",
        )
    if channel not in Channel.values:
        raise DomainError(
            _("“%(channel)s” is not a channel.") % {"channel": channel},
            code="channel_invalid",
            field="channel",
        )
    if language is not None and language not in Language.values:
        raise DomainError(
            _("“%(language)s” is not a language code this platform knows.")
            % {"language": language},
            code="language_invalid",
            field="language",
        )
    idempotency_key_clean(idempotency_key)


def _replay(
    *,
    idempotency_key: str | None,
    workshop: Workshop,
    author: Participant | None,
    recorded_by: User | None,
) -> Submission | None:
    """The contribution this sender already stored under ``idempotency_key``, if any.

    Keys are unique per sender (the recording user, else the author: whoever sends the
    request), as the database constraints say: another sender's key is never looked at, so a
    reused key neither drops this sender's text nor tells them the key exists.
    """
    if idempotency_key is None:
        return None
    if recorded_by is not None:
        sent_by = Q(recorded_by=recorded_by)
    elif author is not None:
        sent_by = Q(author=author, recorded_by__isnull=True)
    else:
        return None  # no sender: _author_check refuses it
    first = Contribution.objects.filter(sent_by, idempotency_key=idempotency_key).first()
    if first is None:
        return None
    if first.workshop_id != workshop.pk:
        raise DomainError(
            _("This idempotency key was already used for another workshop."),
            code="idempotency_key_conflict",
            field="idempotency_key",
        )
    return Submission(contribution=first, created=False)


@transaction.atomic
def contribution_submit(
    *,
    workshop: Workshop,
    text: str,
    dimension: str,
    channel: str,
    author: Participant | None = None,
    recorded_by: User | None = None,
    language: str | None = None,
    translation_fr: str = "",
    theme: Theme | None = None,
    territory: Territory | None = None,
    idempotency_key: str | None = None,
) -> Submission:
    """Store what someone said at an open workshop, once.

    A replayed ``idempotency_key`` returns the first contribution and stores nothing new, even
    when the replay races the original (the unique constraint decides, inside a savepoint).
    Keys belong to their sender (``recorded_by`` when given, else ``author``): another sender's
    same key is a different contribution, and the sender's own key replayed at another
    workshop is refused (``idempotency_key_conflict``).
    On the web channel the author must hold an active participation consent; on the facilitator
    channel, a named author must be at the workshop or registered for its meeting, and the
    facilitator's recording stands for their oral consent and is recorded as such. Without a
    ``language`` the contribution is stored as undetermined and a background task identifies it
    after commit.
    """
    language = language or None
    idempotency_key = idempotency_key.strip() if idempotency_key else None
    _submission_inputs_check(
        dimension=dimension, channel=channel, language=language, idempotency_key=idempotency_key
    )
    cleaned = _text_clean(text, field="text")
    if not cleaned:
        raise DomainError(
            _("The contribution is empty: write or record something first."),
            code="text_empty",
            field="text",
        )
    cleaned_translation = _text_clean(translation_fr, field="translation_fr")

    replay = _replay(
        idempotency_key=idempotency_key, workshop=workshop, author=author, recorded_by=recorded_by
    )
    if replay is not None:
        return replay

    status = workshop_status_locked(workshop_id=workshop.pk)
    if status != Workshop.Status.OPEN:
        raise workshop_not_open_error(status)
    if theme is not None and theme.pk != workshop.theme_id and theme.parent_id != workshop.theme_id:
        raise DomainError(
            _("This theme is not the workshop's theme or one of its sub-themes."),
            code="theme_invalid",
            field="theme",
        )
    _author_check(author=author, recorded_by=recorded_by, channel=channel, workshop=workshop)
    moderation_status = _moderation_status_initial(workshop=workshop, recorded_by=recorded_by)

    try:
        with transaction.atomic():
            contribution = Contribution.objects.create(
                consultation_id=workshop.meeting.consultation_id,
                workshop=workshop,
                text=cleaned,
                translation_fr=cleaned_translation,
                language=language or Language.UNDETERMINED,
                dimension=dimension,
                theme=theme or workshop.theme,
                territory=territory,
                author=author,
                recorded_by=recorded_by,
                channel=channel,
                idempotency_key=idempotency_key,
                moderation_status=moderation_status,
            )
    except IntegrityError:
        # The same sender's key committed by a concurrent request between our check and our
        # insert.
        replay = _replay(
            idempotency_key=idempotency_key,
            workshop=workshop,
            author=author,
            recorded_by=recorded_by,
        )
        if replay is None:
            raise
        return replay

    if language is None:
        # robust: a queue that is down must not turn a stored contribution into an error page.
        transaction.on_commit(
            lambda: contribution_identify_language.enqueue(contribution.pk), robust=True
        )
    return Submission(contribution=contribution, created=True)


def _moderation_status_initial(*, workshop: Workshop, recorded_by: User | None) -> str:
    """Under pre-moderation a new contribution waits for a moderator, unless one of the
    workshop's moderators recorded it; under post-moderation it is published at once."""
    moderation = Consultation.objects.values_list("moderation", flat=True).get(
        pk=workshop.meeting.consultation_id
    )
    if moderation != Consultation.Moderation.PRE:
        return ModerationStatus.PUBLISHED
    if recorded_by is not None and rules.can_moderate(recorded_by, workshop):
        return ModerationStatus.PUBLISHED
    return ModerationStatus.PENDING


def _author_check(
    *, author: Participant | None, recorded_by: User | None, channel: str, workshop: Workshop
) -> None:
    # On the facilitator channel the author is chosen in the form: errors about them show there.
    field = "author" if channel == Channel.FACILITATOR else None
    if author is not None:
        _participant_check_not_erased(author, field=field)
    if channel == Channel.WEB:
        if author is None:
            raise DomainError(_("Sign in as a participant to contribute."), code="author_required")
        if not participant_has_active_consent(participant=author):
            raise DomainError(
                _(
                    "Before contributing, please accept the participation terms "
                    "(consent to take part and to publish your contributions)."
                ),
                code="consent_required",
            )
    elif channel == Channel.FACILITATOR:
        if recorded_by is None:
            raise DomainError(
                _("A contribution captured by a facilitator must say who recorded it."),
                code="recorder_required",
            )
        if (
            author is not None
            and not workshop_speakers(workshop=workshop).filter(pk=author.pk).exists()
        ):
            raise DomainError(
                _(
                    "This participant is neither at this round table nor registered for its "
                    "meeting: their words cannot be recorded here."
                ),
                code="author_not_at_workshop",
                field=field,
            )
        answer = None if author is None else participant_consent_answer(participant=author)
        if answer is False:
            raise DomainError(
                _(
                    "This participant declined to take part: their words cannot be recorded "
                    "unless they give their consent."
                ),
                code="consent_declined",
                field=field,
            )
        if author is not None and answer is None:
            consent_record(
                participant=author,
                granted=True,
                method=Consent.Method.ORAL,
                recorded_by=recorded_by,
            )
    elif author is None and recorded_by is None:
        raise DomainError(
            _("A contribution needs its author or the person who recorded it."),
            code="author_required",
        )


def contribution_language_identify(*, contribution: Contribution) -> str:
    """Tag an undetermined contribution with its language; a language set by a person stays.

    Returns the contribution's language afterwards.
    """
    guessed = _language_identify(contribution.text)
    language = guessed if guessed in Language.values else Language.UNDETERMINED
    Contribution.objects.filter(pk=contribution.pk, language=Language.UNDETERMINED).update(
        language=language
    )
    return Contribution.objects.values_list("language", flat=True).get(pk=contribution.pk)


def _language_identify(text: str) -> str:
    """The synthesis library's guess (imported late: loading its detectors takes a moment)."""
    import tashawur.synthesis as synthesis

    identify_language = getattr(synthesis, "identify_language", None)
    if identify_language is None:
        # The library's older entry point: ``identify(text, cleaned)``.
        return str(synthesis.identify(text, synthesis.clean_text(text)).language)
    return str(identify_language(text).language)


@task()
def contribution_identify_language(contribution_id: int) -> str | None:
    """Identify the language of a contribution stored without one; returns the language
    (``None`` when the contribution has gone since it was queued).

    The background task is defined here, next to the service that enqueues it, so that
    ``tasks`` imports the services and never the reverse; the worker finds it in ``tasks``
    too."""
    contribution = Contribution.objects.filter(pk=contribution_id).first()
    if contribution is None:
        return None
    return contribution_language_identify(contribution=contribution)


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
    open_flags = ContributionFlag.objects.filter(contribution=locked, resolved_at__isnull=True)
    action = _moderation_action(locked.moderation_status, status, open_flags=open_flags.exists())
    if action is not None:
        now = timezone.now()
        Contribution.objects.filter(pk=locked.pk).update(moderation_status=status, updated_at=now)
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
    _participant_check_not_erased(participant)
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


# --- votes -----------------------------------------------------------------------------------


def _vote_value_check(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in Vote.Value.values:
        raise DomainError(
            _("A vote is agree (1), disagree (-1) or pass (0)."),
            code="vote_value_invalid",
            field="value",
        )
    return value


@transaction.atomic
def vote_cast(*, contribution: Contribution, participant: Participant, value: int) -> Ballot:
    """Record one participant's vote on one proposal; a second vote replaces the first.

    The counters on the contribution move with ``F()`` in the same transaction. Two votes by
    the same participant racing each other end as one row: the loser of the insert hits the
    unique constraint (inside a savepoint), then updates the winner's row.
    """
    value = _vote_value_check(value)
    _participant_check_not_erased(participant)
    # Read what the rules depend on afresh: the caller's object may predate a moderation.
    contribution.refresh_from_db(fields=["dimension", "moderation_status"])
    if not contribution.is_votable:
        raise DomainError(_("Only proposals are put to the vote."), code="statement_not_votable")
    if contribution.moderation_status != ModerationStatus.PUBLISHED:
        raise DomainError(
            _("This statement is not published, so it cannot be voted on."),
            code="statement_not_published",
        )
    if contribution.workshop_id is not None:
        status = workshop_status_locked(workshop_id=contribution.workshop_id)
        if status != Workshop.Status.OPEN:
            raise workshop_not_open_error(status)

    for _attempt in range(3):
        existing = (
            Vote.objects.select_for_update()
            .filter(contribution=contribution, participant=participant)
            .first()
        )
        if existing is not None:
            previous = existing.value
            if previous != value:
                existing.value = value
                existing.save(update_fields=["value", "updated_at"])
                Contribution.objects.filter(pk=contribution.pk).update(
                    **{
                        _COUNTER_FIELD[Vote.Value(previous)]: F(
                            _COUNTER_FIELD[Vote.Value(previous)]
                        )
                        - 1,
                        _COUNTER_FIELD[Vote.Value(value)]: F(_COUNTER_FIELD[Vote.Value(value)]) + 1,
                    }
                )
            return Ballot(vote=existing, created=False, previous_value=previous)
        try:
            with transaction.atomic():
                vote = Vote.objects.create(
                    contribution=contribution, participant=participant, value=value
                )
                field = _COUNTER_FIELD[Vote.Value(value)]
                Contribution.objects.filter(pk=contribution.pk).update(**{field: F(field) + 1})
            return Ballot(vote=vote, created=True, previous_value=None)
        except IntegrityError:
            continue  # a concurrent first vote by the same participant won: update it instead
    raise RuntimeError("vote_cast: the vote row kept changing under us")  # pragma: no cover


def contribution_vote_counters_recompute(*, contribution_ids: list[int] | None = None) -> int:
    """Recount agree/disagree/pass from the votes (after a bulk load); returns rows updated."""
    from django.db.models import Count, OuterRef, Q, Subquery
    from django.db.models.functions import Coalesce

    def counted(vote_value: int) -> Coalesce:
        votes = (
            Vote.objects.filter(contribution=OuterRef("pk"), value=vote_value)
            .values("contribution")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(votes), 0)

    rows = Contribution.objects.all()
    if contribution_ids is not None:
        rows = rows.filter(Q(pk__in=contribution_ids))
    return rows.update(
        agree_count=counted(Vote.Value.AGREE),
        disagree_count=counted(Vote.Value.DISAGREE),
        pass_count=counted(Vote.Value.PASS),
    )


# --- closing a workshop ----------------------------------------------------------------------


def _report_citations_check(*, workshop: Workshop, closing_report: str) -> None:
    citations = report_citations(closing_report)
    numbers = {c.number for c in citations if c.number is not None}
    citable = set(
        Contribution.objects.published()
        .filter(workshop=workshop, pk__in=numbers)
        .values_list("pk", flat=True)
    )
    refused = [c.text for c in citations if c.number not in citable]
    if refused:
        raise DomainError(
            ngettext(
                "The report cites %(numbers)s, which is not a published contribution of this "
                "round table: cite only the numbers shown on its page.",
                "The report cites %(numbers)s, which are not published contributions of this "
                "round table: cite only the numbers shown on its page.",
                len(refused),
            )
            % {"numbers": ", ".join(refused)},
            code="report_citation_invalid",
            field="closing_report",
        )


@transaction.atomic
def workshop_close_with_report(*, workshop: Workshop, closing_report: str) -> Workshop:
    """Close an open workshop with its rapporteur's report, whose citations (``#12``, see
    ``citations``) must each be a published contribution of this workshop.

    Lives here rather than in ``consultations`` because it reads contributions; the close
    itself (and its lock on the workshop row) is ``consultations.services.workshop_close``,
    in the same transaction.
    """
    _report_citations_check(workshop=workshop, closing_report=closing_report)
    return consultation_services.workshop_close(workshop=workshop, closing_report=closing_report)


# --- erasure ---------------------------------------------------------------------------------


@transaction.atomic
def participant_erase(*, participant: Participant) -> Participant:
    """Erase a participant (Law 09-08): anonymise the person, keep what they said.

    Lives here rather than in ``actors`` because it reaches the participant's contributions:
    their voice notes are personal data and go; the texts and votes stay, attached to an
    anonymous participant.
    """
    participant = participant_anonymise(participant=participant)
    with_audio = Contribution.objects.filter(author=participant).exclude(audio="")
    names = [name for name in with_audio.values_list("audio", flat=True) if name]
    with_audio.update(audio="")
    if names:
        transaction.on_commit(lambda: _storage_delete(names))
    return participant


def _storage_delete(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)
