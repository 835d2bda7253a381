"""Voice notes as files: what kind of audio a file is, read from its first bytes (never from its
name or the type its sender declared), and how long it lasts, read from its container where the
container says so cheaply.

Phones record WebM/Opus (Chrome, Firefox), MP4/M4A with AAC (Safari, iOS, Android's recorder),
3GP/AMR (older Android), Ogg, MP3 or WAV.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from typing import IO

#: Bytes enough to tell every accepted format apart.
SNIFF_BYTES = 16


@dataclass(frozen=True)
class AudioKind:
    content_type: str
    extension: str


WEBM = AudioKind("audio/webm", ".webm")
OGG = AudioKind("audio/ogg", ".ogg")
MP4 = AudioKind("audio/mp4", ".m4a")
THREE_GP = AudioKind("audio/3gpp", ".3gp")
MPEG = AudioKind("audio/mpeg", ".mp3")
AAC = AudioKind("audio/aac", ".aac")
WAV = AudioKind("audio/wav", ".wav")
AMR = AudioKind("audio/amr", ".amr")
AMR_WB = AudioKind("audio/amr-wb", ".awb")
FLAC = AudioKind("audio/flac", ".flac")


def audio_sniff(head: bytes) -> AudioKind | None:
    """The kind of audio whose file starts with ``head`` (its first ``SNIFF_BYTES`` bytes), or
    ``None`` for anything else (an image, a document, a script renamed ``.mp3``)."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska / WebM
        return WEBM
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"#!AMR-WB\n"):
        return AMR_WB
    if head.startswith(b"#!AMR\n"):
        return AMR
    if head.startswith(b"fLaC"):
        return FLAC
    if head[4:8] == b"ftyp":  # ISO base media: the brand says 3GP or MP4/M4A
        return THREE_GP if head[8:11] in (b"3gp", b"3g2") else MP4
    if head.startswith(b"ID3"):
        return MPEG
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # A frame sync: layer bits 00 are AAC's ADTS, anything else MPEG audio (MP3).
        return AAC if head[1] & 0x06 == 0 else MPEG
    return None


def audio_seconds(file: IO[bytes], kind: AudioKind) -> float | None:
    """How long the audio in ``file`` lasts, in seconds, or ``None`` when its container does
    not say so cheaply: WebM as MediaRecorder writes it carries no duration, nor does AMR, and
    a damaged file says nothing. ``file`` is read from the start and left there."""
    file.seek(0)
    try:
        if kind is WAV:
            with wave.open(file, "rb") as reader:
                rate = reader.getframerate()
                return reader.getnframes() / rate if rate else None
        if kind in (WEBM, AMR, AMR_WB):
            return None
        import mutagen  # imported late: only voice notes need it

        parsed = mutagen.File(file)
        length = getattr(getattr(parsed, "info", None), "length", None)
        return float(length) if length else None
    except Exception:  # a damaged container says nothing: the size limit holds
        return None
    finally:
        file.seek(0)
