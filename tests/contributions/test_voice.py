"""Voice notes: the kind of a recording read from its first bytes, its size checked before it
is read, its length from its container; a voice note without text waits for its transcription,
which then follows the consultation's moderation; erasure takes the voice away."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from mutagen.ogg import OggPage

from tashawur.consultations.models import Consultation, Dimension
from tashawur.contributions.audio import audio_seconds, audio_sniff
from tashawur.contributions.models import Channel, Contribution, Language, ModerationStatus
from tashawur.contributions.services import (
    contribution_moderate,
    contribution_submit,
    contribution_transcribe,
    participant_erase,
    voice_note_check,
)
from tashawur.core.errors import DomainError
from tashawur.core.roles import Role
from tests.actors.factories import ConsentTextFactory, ParticipantFactory, UserFactory
from tests.consultations.factories import WorkshopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def consent_text():
    return ConsentTextFactory()


def wav_bytes(seconds: float = 2, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def ogg_opus_bytes(seconds: int) -> bytes:
    """A tiny Ogg Opus stream whose last page says it lasts ``seconds``."""

    def page(packets: list[bytes], sequence: int, position: int, **flags: bool) -> bytes:
        ogg = OggPage()
        ogg.serial, ogg.sequence, ogg.position, ogg.packets = 1, sequence, position, packets
        ogg.first, ogg.last = flags.get("first", False), flags.get("last", False)
        return ogg.write()

    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    return (
        page([head], 0, 0, first=True)
        + page([tags], 1, 0)
        + page([b"\xf8\xff\xfe"], 2, 312 + 48000 * seconds, last=True)
    )


def upload(content: bytes, name: str = "note.bin", content_type: str = "audio/mpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def workshop():
    return WorkshopFactory(
        facilitator=UserFactory(role=Role.FACILITATOR),
        rapporteur=UserFactory(role=Role.RAPPORTEUR),
    )


@pytest.fixture
def author():
    return ParticipantFactory(consented=True, user=UserFactory())


def send_voice_note(workshop, author, *, text: str = "", content: bytes | None = None):
    return contribution_submit(
        workshop=workshop,
        text=text,
        dimension=Dimension.PROPOSAL,
        channel=Channel.WEB,
        author=author,
        audio=upload(content if content is not None else wav_bytes(), name="ahmed.mp3"),
    ).contribution


def set_moderation(workshop, mode: str) -> None:
    Consultation.objects.filter(pk=workshop.meeting.consultation_id).update(moderation=mode)


def assert_refused(code: str, message: str, call, **kwargs) -> None:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert (caught.value.code, caught.value.message) == (code, message)


# --- the kind of a recording, from its first bytes ----------------------------------------------


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", "audio/webm"),
        (b"OggS\x00\x02" + b"\x00" * 10, "audio/ogg"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", "audio/mp4"),
        (b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00", "audio/3gpp"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\x00\x00", "audio/mpeg"),
        (b"\xff\xf1\x50\x80\x00\x1f", "audio/aac"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"#!AMR\n\x3c\x00\x00", "audio/amr"),
        (b"#!AMR-WB\n\x00", "audio/amr-wb"),
    ],
)
def test_audio_sniff_reads_the_kind_from_the_first_bytes(head: bytes, content_type: str) -> None:
    kind = audio_sniff(head[:16])
    assert kind is not None and kind.content_type == content_type


@pytest.mark.parametrize(
    "head",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3",
        b"<script>alert(1)",
        b"RIFF\x24\x00\x00\x00AVI LIST",
        b"",
    ],
)
def test_audio_sniff_refuses_what_is_not_audio(head: bytes) -> None:
    assert audio_sniff(head) is None


def test_audio_seconds_reads_a_wav_header_and_an_ogg_stream() -> None:
    wav = io.BytesIO(wav_bytes(seconds=3))
    ogg = io.BytesIO(ogg_opus_bytes(seconds=4))
    assert audio_seconds(wav, audio_sniff(wav.read(16))) == 3.0
    assert audio_seconds(ogg, audio_sniff(ogg.read(16))) == 4.0


def test_audio_seconds_of_a_webm_recording_is_unknown() -> None:
    head = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\x00" * 64
    assert audio_seconds(io.BytesIO(head), audio_sniff(head[:16])) is None


# --- voice_note_check: size before reading, kind, length ----------------------------------------


class Unreadable(SimpleUploadedFile):
    """An upload that says its size and fails the test if a byte of it is read."""

    def __init__(self, size: int) -> None:
        super().__init__("big.webm", b"", content_type="audio/webm")
        self.size = size

    def read(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the voice note was read before its size was checked")


def test_voice_note_check_refuses_a_large_file_before_reading_it(settings) -> None:
    settings.TASHAWUR_VOICE_MAX_BYTES = 1024 * 1024
    assert_refused(
        "audio_too_large",
        "This voice note is too large: at most 1 MB.",
        voice_note_check,
        audio=Unreadable(1024 * 1024 + 1),
    )


def test_voice_note_check_refuses_a_recording_longer_than_the_limit(settings) -> None:
    settings.TASHAWUR_VOICE_MAX_SECONDS = 60
    assert_refused(
        "audio_too_long",
        "This voice note is too long: at most 1 minute.",
        voice_note_check,
        audio=upload(ogg_opus_bytes(seconds=61), name="long.ogg"),
    )


def test_voice_note_check_refuses_a_picture_named_like_a_recording() -> None:
    assert_refused(
        "audio_type_invalid",
        "This file is not a recording this platform can play. Record again, or send a WebM, "
        "Ogg, M4A, MP3, WAV, 3GP or AMR file.",
        voice_note_check,
        audio=upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, name="note.mp3"),
    )


def test_voice_note_check_accepts_a_webm_whose_length_is_unknown() -> None:
    note = voice_note_check(audio=upload(b"\x1a\x45\xdf\xa3" + b"\x00" * 64, name="x.wav"))
    assert (note.kind.content_type, note.seconds, note.file.name) == (
        "audio/webm",
        None,
        "voice.webm",
    )


# --- a voice note without text waits for its transcription ---------------------------------------


def test_voice_note_without_text_is_stored_pending_under_post_moderation(workshop, author):
    set_moderation(workshop, Consultation.Moderation.POST)
    contribution = send_voice_note(workshop, author)

    contribution.refresh_from_db()
    assert contribution.text == ""
    assert contribution.moderation_status == ModerationStatus.PENDING
    assert contribution.audio_seconds == 2
    assert not Contribution.objects.published().filter(pk=contribution.pk).exists()
    # Stored privately under a random name with the sniffed extension, not the uploaded name.
    name = contribution.audio.name
    assert name.startswith("contributions/audio/") and name.endswith(".wav")
    assert "ahmed" not in name
    assert Path(contribution.audio.path).read_bytes() == wav_bytes()


def test_voice_note_with_text_follows_the_consultation_moderation(workshop, author):
    set_moderation(workshop, Consultation.Moderation.POST)
    contribution = send_voice_note(workshop, author, text="نقترح شباكا موحدا")
    assert contribution.moderation_status == ModerationStatus.PUBLISHED
    assert contribution.audio


def test_an_untranscribed_voice_note_cannot_be_published_by_moderation(workshop, author):
    contribution = send_voice_note(workshop, author)
    assert_refused(
        "voice_note_untranscribed",
        "This voice note is awaiting its transcription: transcribe it before publishing.",
        contribution_moderate,
        contribution=contribution,
        status=ModerationStatus.PUBLISHED,
        actor=workshop.facilitator,
    )


# --- contribution_transcribe --------------------------------------------------------------------


def test_transcription_publishes_at_once_under_post_moderation(workshop, author):
    set_moderation(workshop, Consultation.Moderation.POST)
    note = send_voice_note(workshop, author)

    saved = contribution_transcribe(
        contribution=note,
        text="  خاصنا شباك واحد للتعاونيات ",
        by=workshop.rapporteur,
        language=Language.DARIJA,
        dimension=Dimension.CHALLENGE,
    )

    assert saved.text == "خاصنا شباك واحد للتعاونيات"
    assert (saved.language, saved.dimension) == (Language.DARIJA, Dimension.CHALLENGE)
    assert saved.moderation_status == ModerationStatus.PUBLISHED
    assert saved.transcribed_by == workshop.rapporteur
    assert saved.transcribed_at is not None
    assert saved.audio  # the voice stays with its author's data until they erase it


def test_transcription_waits_for_a_moderator_under_pre_moderation(workshop, author):
    set_moderation(workshop, Consultation.Moderation.PRE)
    note = send_voice_note(workshop, author)

    saved = contribution_transcribe(contribution=note, text="نص", by=workshop.rapporteur)

    assert saved.moderation_status == ModerationStatus.PENDING
    assert saved.text == "نص"


def test_transcription_by_the_facilitator_under_pre_moderation_publishes(workshop, author):
    # The facilitator moderates the round table: what they have just written down, they have read.
    set_moderation(workshop, Consultation.Moderation.PRE)
    note = send_voice_note(workshop, author)

    saved = contribution_transcribe(contribution=note, text="نص", by=workshop.facilitator)

    assert saved.moderation_status == ModerationStatus.PUBLISHED


def test_transcription_is_refused_to_someone_outside_the_round_table(workshop, author):
    note = send_voice_note(workshop, author)
    assert_refused(
        "transcription_forbidden",
        "You may not transcribe the voice notes of this round table.",
        contribution_transcribe,
        contribution=note,
        text="نص",
        by=author.user,
    )


def test_a_voice_note_is_transcribed_once(workshop, author):
    note = send_voice_note(workshop, author)
    contribution_transcribe(contribution=note, text="الأول", by=workshop.rapporteur)
    assert_refused(
        "transcription_not_awaited",
        "This voice note is no longer awaiting its transcription.",
        contribution_transcribe,
        contribution=note,
        text="الثاني",
        by=workshop.facilitator,
    )
    note.refresh_from_db()
    assert note.text == "الأول"


def test_an_empty_transcription_is_refused(workshop, author):
    note = send_voice_note(workshop, author)
    assert_refused(
        "text_empty",
        "The transcription is empty: write what the voice note says.",
        contribution_transcribe,
        contribution=note,
        text="   ",
        by=workshop.rapporteur,
    )


# --- erasure ------------------------------------------------------------------------------------


def test_erasure_deletes_untranscribed_voice_notes_and_the_voice_of_transcribed_ones(
    workshop, author, django_capture_on_commit_callbacks
):
    untranscribed = send_voice_note(workshop, author)
    transcribed = send_voice_note(workshop, author)
    contribution_transcribe(contribution=transcribed, text="نص", by=workshop.rapporteur)
    paths = [Path(untranscribed.audio.path), Path(transcribed.audio.path)]
    assert all(path.exists() for path in paths)

    with django_capture_on_commit_callbacks(execute=True):
        participant_erase(participant=author)

    assert not Contribution.objects.filter(pk=untranscribed.pk).exists()
    transcribed.refresh_from_db()
    assert (transcribed.text, transcribed.audio.name) == ("نص", "")
    assert not any(path.exists() for path in paths)
