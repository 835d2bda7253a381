"""Voice notes: checking a recording before it is stored, and transcribing it.

A contribution sent as a voice note with no text waits in moderation, whatever the
consultation's mode, until the round table's rapporteur, its facilitator or a manager of the
consultation transcribes it: the synthesis reads text only, and published items only. Once
transcribed, it follows the consultation's moderation like any contribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tashawur.consultations.models import Consultation, Dimension
from tashawur.contributions import rules
from tashawur.contributions.audio import SNIFF_BYTES, AudioKind, audio_seconds, audio_sniff
from tashawur.contributions.models import (
    TEXT_MAX_LENGTH,
    Contribution,
    Language,
    ModerationStatus,
)
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.validation import user_text_clean


@dataclass(frozen=True)
class VoiceNote:
    """A checked recording, ready to store under a name of the platform's choosing."""

    file: File[Any]
    kind: AudioKind
    #: Its length as its container says, rounded up; ``None`` when the container does not say
    #: (WebM from a browser's recorder, AMR): then only the size limit holds.
    seconds: int | None


def voice_max_bytes() -> int:
    return int(settings.TASHAWUR_VOICE_MAX_BYTES)


def voice_max_seconds() -> int:
    return int(settings.TASHAWUR_VOICE_MAX_SECONDS)


def voice_too_large_error() -> DomainError:
    megabytes = max(1, voice_max_bytes() // (1024 * 1024))
    return DomainError(
        ngettext(
            "This voice note is too large: at most %(megabytes)s MB.",
            "This voice note is too large: at most %(megabytes)s MB.",
            megabytes,
        )
        % {"megabytes": megabytes},
        code="audio_too_large",
        field="audio",
    )


def voice_note_check(*, audio: File[Any]) -> VoiceNote:
    """Check a recording: its size first, before a byte of it is read; then its kind, from its
    first bytes; then its length, where its container says it."""
    size = audio.size
    if size is None or size > voice_max_bytes():
        raise voice_too_large_error()
    if size == 0:
        raise DomainError(
            _("This voice note is empty: record it again."), code="audio_empty", field="audio"
        )
    audio.seek(0)
    kind = audio_sniff(audio.read(SNIFF_BYTES))
    audio.seek(0)
    if kind is None:
        raise DomainError(
            _(
                "This file is not a recording this platform can play. Record again, or send "
                "a WebM, Ogg, M4A, MP3, WAV, 3GP or AMR file."
            ),
            code="audio_type_invalid",
            field="audio",
        )
    length = audio_seconds(audio, kind)
    seconds = None if length is None else math.ceil(length)
    if seconds is not None and seconds > voice_max_seconds():
        minutes = max(1, voice_max_seconds() // 60)
        raise DomainError(
            ngettext(
                "This voice note is too long: at most %(minutes)s minute.",
                "This voice note is too long: at most %(minutes)s minutes.",
                minutes,
            )
            % {"minutes": minutes},
            code="audio_too_long",
            field="audio",
        )
    # The stored name is random (audio_upload_to); only the sniffed extension is kept.
    return VoiceNote(file=File(audio, name=f"voice{kind.extension}"), kind=kind, seconds=seconds)


def voice_note_kind(*, contribution: Contribution) -> AudioKind | None:
    """The kind of a stored voice note, sniffed again from its first bytes."""
    if not contribution.audio:
        return None
    with contribution.audio.open("rb") as file:
        return audio_sniff(file.read(SNIFF_BYTES))


def _status_after_transcription(*, contribution: Contribution, by: User) -> str:
    """The consultation's moderation decides, as for a contribution sent with its text:
    published at once under post-moderation; under pre-moderation it waits for a moderator,
    unless the one who transcribed it moderates the round table (they have just read it)."""
    moderation = Consultation.objects.values_list("moderation", flat=True).get(
        pk=contribution.consultation_id
    )
    if moderation != Consultation.Moderation.PRE:
        return ModerationStatus.PUBLISHED
    workshop = contribution.workshop
    if workshop is not None and rules.can_moderate(by, workshop):
        return ModerationStatus.PUBLISHED
    return ModerationStatus.PENDING


@transaction.atomic
def contribution_transcribe(
    *,
    contribution: Contribution,
    text: str,
    by: User,
    language: str | None = None,
    dimension: str | None = None,
) -> Contribution:
    """Write down what a voice note says: the text becomes the contribution's text, read by the
    synthesis once published. Only a voice note still awaiting its transcription may be
    transcribed (the row is locked while that is checked, so two transcribers do not both
    write); ``by`` must transcribe for its round table (``rules.can_transcribe``). Without a
    ``language`` the contribution's language is identified in the background."""
    if language is not None and language not in Language.values:
        raise DomainError(
            _("“%(language)s” is not a language code this platform knows.")
            % {"language": language},
            code="language_invalid",
            field="language",
        )
    if dimension is not None and dimension not in Dimension.values:
        raise DomainError(
            _("“%(dimension)s” is not a dimension of the diagnosis.") % {"dimension": dimension},
            code="dimension_invalid",
            field="dimension",
        )
    cleaned = user_text_clean(text, field="text", max_length=TEXT_MAX_LENGTH)
    if not cleaned:
        raise DomainError(
            _("The transcription is empty: write what the voice note says."),
            code="text_empty",
            field="text",
        )
    # No select_related: PostgreSQL cannot lock the nullable side of an outer join (workshop).
    locked = Contribution.objects.select_for_update().get(pk=contribution.pk)
    workshop = locked.workshop
    if workshop is None or not rules.can_transcribe(by, workshop):
        raise DomainError(
            _("You may not transcribe the voice notes of this round table."),
            code="transcription_forbidden",
        )
    if not locked.audio or locked.text:
        raise DomainError(
            _("This voice note is no longer awaiting its transcription."),
            code="transcription_not_awaited",
        )
    now = timezone.now()
    locked.text = cleaned
    locked.language = language or Language.UNDETERMINED
    if dimension is not None:
        locked.dimension = dimension
    locked.transcribed_by = by
    locked.transcribed_at = now
    locked.moderation_status = _status_after_transcription(contribution=locked, by=by)
    locked.save(
        update_fields=[
            "text",
            "language",
            "dimension",
            "transcribed_by",
            "transcribed_at",
            "moderation_status",
            "updated_at",
        ]
    )
    if language is None:
        # Imported here: submissions imports this module's check.
        from tashawur.contributions.services.submissions import contribution_identify_language

        # robust: a queue that is down must not turn a saved transcription into an error page.
        transaction.on_commit(
            lambda: contribution_identify_language.enqueue(locked.pk), robust=True
        )
    contribution.refresh_from_db()
    return contribution
