"""Taking a contribution in: submit (web, facilitator, API), then identify its language in the
background."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from tashawur.actors.models import Consent, Participant
from tashawur.actors.services import (
    consent_record,
    participant_consent_answer,
    participant_consent_answer_sql,
)
from tashawur.consultations.models import Consultation, Dimension, Theme, Workshop
from tashawur.consultations.selectors import workshop_speakers
from tashawur.consultations.services import (
    workshop_not_open_error,
    workshop_status_and_moderation_locked_with,
)
from tashawur.contributions import rules
from tashawur.contributions.generations import consultation_data_added
from tashawur.contributions.models import (
    TEXT_MAX_LENGTH,
    Channel,
    Contribution,
    Language,
    ModerationStatus,
)
from tashawur.contributions.services.checks import participant_check_not_erased
from tashawur.contributions.services.voice import voice_note_check
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.raw_insert import ModelInsert
from tashawur.core.task_queue import task_enqueue
from tashawur.core.validation import idempotency_key_clean, user_text_clean
from tashawur.territories.models import Territory


@dataclass(frozen=True)
class Submission:
    contribution: Contribution
    created: bool


def _text_clean(text: str, *, field: str) -> str:
    return user_text_clean(text, field=field, max_length=TEXT_MAX_LENGTH)


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


def _replay_sql(
    *, idempotency_key: str | None, author: Participant | None, recorded_by: User | None
) -> tuple[str, list[Any]] | None:
    """The query of the id of the contribution this sender already stored under
    ``idempotency_key`` (one column, one row at most), or ``None`` when there is nothing to
    look for (no key; no sender: ``_author_check`` refuses it).

    Keys are unique per sender (the recording user, else the author: whoever sends the
    request), as the database constraints say: another sender's key is never looked at, so a
    reused key neither drops this sender's text nor tells them the key exists.
    """
    if idempotency_key is None:
        return None
    if recorded_by is not None:
        sent_by, sender = "recorded_by_id = %s", recorded_by.pk
    elif author is not None:
        sent_by, sender = "author_id = %s AND recorded_by_id IS NULL", author.pk
    else:
        return None
    # The id alone: a new key (nearly every request) costs no whole row, nor the ORM's query
    # building (1 ms), for nothing (issue 15, item 1); one row at most per sender and key
    # (unique), so no ORDER BY.
    return (
        f"SELECT id FROM {connection.ops.quote_name(Contribution._meta.db_table)} "  # noqa: S608
        f"WHERE {sent_by} AND idempotency_key = %s LIMIT 1",
        [sender, idempotency_key],
    )


def _replayed(pk: int, *, workshop: Workshop) -> Submission:
    """The contribution ``pk`` found under the sender's key, for a replay at ``workshop``."""
    contribution = Contribution.objects.get(pk=pk)
    if contribution.workshop_id != workshop.pk:
        raise DomainError(
            _("This idempotency key was already used for another workshop."),
            code="idempotency_key_conflict",
            field="idempotency_key",
        )
    return Submission(contribution=contribution, created=False)


def _replay(
    *,
    idempotency_key: str | None,
    workshop: Workshop,
    author: Participant | None,
    recorded_by: User | None,
) -> Submission | None:
    """The contribution this sender already stored under ``idempotency_key``, if any
    (``_replay_sql``)."""
    query = _replay_sql(idempotency_key=idempotency_key, author=author, recorded_by=recorded_by)
    if query is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(*query)
        found = cursor.fetchone()
    return None if found is None else _replayed(found[0], workshop=workshop)


# The contribution's row in one INSERT (the ORM's create, its savepoint and its signal cost
# 1.2 ms a contribution: issue 15, item 1).
_contribution_insert = ModelInsert(Contribution, conflict_ignored=True)


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
    audio: File[Any] | None = None,
    said_at: dt.datetime | None = None,
    workshop_locked: tuple[str, str] | None = None,
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
    ``audio``, a voice note, is checked (``voice_note_check``) and stored privately; with no
    text it waits in moderation for its transcription (``contribution_transcribe``), whatever
    the consultation's moderation.
    ``said_at`` is when it was said, when that is not now (a notes file, an offline capture):
    not in the future, not more than a day before the meeting began.
    ``workshop_locked`` is the workshop's status and its consultation's moderation as
    ``workshop_status_and_moderation_locked`` read them, when the caller already holds that lock
    in the current transaction (an import of many rows takes it once, not once a row).
    """
    language = language or None
    idempotency_key = idempotency_key.strip() if idempotency_key else None
    _submission_inputs_check(
        dimension=dimension, channel=channel, language=language, idempotency_key=idempotency_key
    )
    cleaned = _text_clean(text, field="text")
    voice_note = voice_note_check(audio=audio) if audio is not None else None
    if not cleaned and voice_note is None:
        raise DomainError(
            _("The contribution is empty: write or record something first."),
            code="text_empty",
            field="text",
        )
    cleaned_translation = _text_clean(translation_fr, field="translation_fr")

    consent: bool | _Unread | None = _UNREAD
    if workshop_locked is not None:
        replay = _replay(
            idempotency_key=idempotency_key,
            workshop=workshop,
            author=author,
            recorded_by=recorded_by,
        )
        if replay is not None:
            return replay
        status, moderation = workshop_locked
    else:
        # The sender's key, the round table's status (locked) and the author's consent, in
        # one query (three cost 0.5 ms more: issue 15, item 1); the replay still comes first.
        replay_read = _replay_sql(
            idempotency_key=idempotency_key, author=author, recorded_by=recorded_by
        )
        consent_read = (
            participant_consent_answer_sql(participant_id=author.pk)
            if author is not None
            and _rules_of(channel, recorded_by) in (Channel.WEB, Channel.FACILITATOR)
            else None
        )
        status, moderation, values = workshop_status_and_moderation_locked_with(
            workshop_id=workshop.pk, reads=[r for r in (replay_read, consent_read) if r]
        )
        if replay_read is not None and (replayed := values.pop(0)) is not None:
            return _replayed(replayed, workshop=workshop)
        if consent_read is not None:
            consent = None if values[0] is None else bool(values[0])
    if status != Workshop.Status.OPEN:
        raise workshop_not_open_error(status)
    if theme is not None and theme.pk != workshop.theme_id and theme.parent_id != workshop.theme_id:
        raise DomainError(
            _("This theme is not the workshop's theme or one of its sub-themes."),
            code="theme_invalid",
            field="theme",
        )
    _author_check(
        author=author, recorded_by=recorded_by, channel=channel, workshop=workshop, consent=consent
    )
    _said_at_check(said_at, workshop=workshop)
    moderation_status = _moderation_status_initial(
        workshop=workshop, moderation=moderation, recorded_by=recorded_by
    )
    if not cleaned:
        moderation_status = ModerationStatus.PENDING  # a voice note awaiting its transcription

    contribution = Contribution(
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
        audio=voice_note.file if voice_note is not None else "",
        audio_seconds=voice_note.seconds if voice_note is not None else None,
        said_at=said_at,
    )
    # One statement, no savepoint: a unique key already taken (the same sender's key, committed
    # by a concurrent request between our check and our insert) writes nothing.
    if not _contribution_insert.insert(contribution):
        replay = _replay(
            idempotency_key=idempotency_key,
            workshop=workshop,
            author=author,
            recorded_by=recorded_by,
        )
        if replay is None:
            raise IntegrityError("contribution: a unique constraint kept the row out")
        return replay
    # What the model's post_save signal (not sent by the plain insert) says to the caches; on
    # commit only, when this transaction is ours: nothing below reads them.
    consultation_data_added(contribution.consultation_id, on_commit_only=True)

    if language is None and cleaned:
        # robust: a queue that is down must not turn a stored contribution into an error page.
        transaction.on_commit(
            lambda: task_enqueue(contribution_identify_language, contribution.pk), robust=True
        )
    return Submission(contribution=contribution, created=True)


#: How far a device's clock may run ahead of the server's.
SAID_AT_CLOCK_SKEW = dt.timedelta(minutes=10)


def _said_at_check(said_at: dt.datetime | None, *, workshop: Workshop) -> None:
    if said_at is None:
        return
    if timezone.is_naive(said_at):
        raise DomainError(
            _("The time it was said must carry its time zone."),
            code="said_at_invalid",
            field="said_at",
        )
    if said_at > timezone.now() + SAID_AT_CLOCK_SKEW:
        raise DomainError(
            _("The time it was said is in the future."), code="said_at_invalid", field="said_at"
        )
    if said_at < workshop.meeting.starts_at - dt.timedelta(days=1):
        raise DomainError(
            _("The time it was said is before the meeting began."),
            code="said_at_invalid",
            field="said_at",
        )


def _moderation_status_initial(
    *, workshop: Workshop, moderation: str, recorded_by: User | None
) -> str:
    """Under pre-moderation (the consultation's ``moderation``, read with the workshop's
    status) a new contribution waits for a moderator, unless one of the workshop's moderators
    recorded it; under post-moderation it is published at once."""
    if moderation != Consultation.Moderation.PRE:
        return ModerationStatus.PUBLISHED
    if recorded_by is not None and rules.can_moderate(recorded_by, workshop):
        return ModerationStatus.PUBLISHED
    return ModerationStatus.PENDING


class _Unread:
    """The author's consent was not read beforehand (``_author_check`` reads it)."""


_UNREAD = _Unread()


def _rules_of(channel: str, recorded_by: User | None) -> str:
    """Whose rules a contribution keeps: the API and offline capture keep the rules of whoever
    sends, a recorder's (facilitator channel) when they record for others, the author's own
    (web channel) otherwise; the others (a notes file, SMS) their own."""
    if channel in (Channel.API, Channel.OFFLINE):
        return Channel.FACILITATOR if recorded_by is not None else Channel.WEB
    return channel


def _author_check(
    *,
    author: Participant | None,
    recorded_by: User | None,
    channel: str,
    workshop: Workshop,
    consent: bool | _Unread | None = _UNREAD,
) -> None:
    """``consent``: the author's answer (``participant_consent_answer``) when the caller read
    it already, in the same transaction."""
    rules_of = _rules_of(channel, recorded_by)

    def answer() -> bool | None:
        assert author is not None
        if isinstance(consent, _Unread):
            return participant_consent_answer(participant=author)
        return consent

    # On the facilitator channel the author is chosen in the form: errors about them show there.
    field = "author" if rules_of == Channel.FACILITATOR else None
    if author is not None:
        participant_check_not_erased(author, field=field)
    if rules_of == Channel.WEB:
        if author is None:
            raise DomainError(_("Sign in as a participant to contribute."), code="author_required")
        if answer() is not True:
            raise DomainError(
                _(
                    "Before contributing, please accept the participation terms "
                    "(consent to take part and to publish your contributions)."
                ),
                code="consent_required",
            )
    elif rules_of == Channel.FACILITATOR:
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
        given = None if author is None else answer()
        if given is False:
            raise DomainError(
                _(
                    "This participant declined to take part: their words cannot be recorded "
                    "unless they give their consent."
                ),
                code="consent_declined",
                field=field,
            )
        if author is not None and given is None:
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
    if Contribution.objects.filter(pk=contribution.pk, language=Language.UNDETERMINED).update(
        language=language
    ):
        consultation_data_added(contribution.consultation_id)
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
