"""Voice notes on the site: sent with the contribution form, streamed only to those who may hear
them (404 for everyone else), transcribed on the round table's own page, never on public pages."""

from __future__ import annotations

import io
import re
import wave

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from tashawur.actors.models import Participant
from tashawur.consultations.models import Consultation, Workshop
from tashawur.contributions.models import Channel, Contribution, ModerationStatus
from tashawur.contributions.services import contribution_submit
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.territories.models import Territory

from .world import PASSWORD, World

pytestmark = pytest.mark.django_db


def wav_bytes(seconds: float = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(b"\x00\x00" * int(seconds * 8000))
    return buffer.getvalue()


def _arabic(message: str) -> str:
    """The message as the Arabic pages read it (the catalogue, once compiled)."""
    with translation.override("ar"):
        return translation.gettext(message)


def _file(content: bytes, name: str = "note.wav") -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


@pytest.fixture
def people(world: World) -> dict[str, User | None]:
    rapporteur = User.objects.create_user("rapporteur", password=PASSWORD, role=Role.RAPPORTEUR)
    Workshop.objects.filter(pk=world.workshop.pk).update(rapporteur=rapporteur)
    coordinator = User.objects.create_user(
        "coordinator", password=PASSWORD, role=Role.REGIONAL_COORDINATOR
    )
    world.consultation.coordinators.add(coordinator)
    region = Territory.objects.create(
        level="region",
        kind="region",
        code="08",
        parent=world.consultation.region.parent,
        name_ar="درعة تافيلالت",
        name_fr="Drâa-Tafilalet",
    )
    elsewhere = Consultation.objects.create(
        strategy=world.consultation.strategy,
        region=region,
        slug="elsewhere",
        title_ar="تشاور آخر",
        title_fr="Une autre concertation",
        status=Consultation.Status.OPEN,
    )
    other_coordinator = User.objects.create_user(
        "other-coordinator", password=PASSWORD, role=Role.REGIONAL_COORDINATOR
    )
    elsewhere.coordinators.add(other_coordinator)
    other_participant = User.objects.create_user(
        "other-participant", password=PASSWORD, role=Role.PARTICIPANT
    )
    Participant.objects.create(display_name="Autre", user=other_participant)
    return {
        "anonymous": None,
        "author": world.participant_user,
        "other_participant": other_participant,
        "facilitator": world.facilitator,
        "rapporteur": rapporteur,
        "coordinator": coordinator,
        "other_coordinator": other_coordinator,
    }


@pytest.fixture
def note(world: World) -> Contribution:
    """The participant's voice note, not yet transcribed."""
    return contribution_submit(
        workshop=world.workshop,
        text="",
        dimension="proposal",
        channel=Channel.WEB,
        author=world.participant,
        audio=SimpleUploadedFile("x.wav", wav_bytes(), content_type="audio/wav"),
    ).contribution


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


HEARS = {"author", "facilitator", "rapporteur", "coordinator"}
TRANSCRIBES = {"facilitator", "rapporteur", "coordinator"}
ROLES = [
    "anonymous",
    "author",
    "other_participant",
    "facilitator",
    "rapporteur",
    "coordinator",
    "other_coordinator",
]


@pytest.mark.parametrize("role", ROLES)
def test_the_voice_note_streams_only_to_its_author_and_the_round_table_staff(
    people: dict[str, User | None], note: Contribution, role: str
) -> None:
    response = _client(people[role]).get(f"/s/{note.pk}/audio")
    if role in HEARS:
        assert response.status_code == 200
        assert response["Content-Type"] == "audio/wav"
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == wav_bytes()
    else:
        # Never "sign in" nor "forbidden": nobody else learns that a voice note exists.
        assert response.status_code == 404
    response.close()


def test_a_contribution_without_voice_note_answers_404_even_to_staff(
    people: dict[str, User | None], world: World
) -> None:
    response = _client(people["facilitator"]).get(f"/s/{world.proposal.pk}/audio")
    assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_transcription_page_is_for_the_round_table_staff_and_managers(
    people: dict[str, User | None], note: Contribution, world: World, role: str
) -> None:
    response = _client(people[role]).get(f"/w/{world.workshop.pk}/voice/")
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif role in TRANSCRIBES:
        assert response.status_code == 200
        html = response.content.decode()
        assert f'src="/s/{note.pk}/audio"' in html
        assert "فاطمة أ." in html  # staff page: the author's name is shown to the staff
    else:
        assert response.status_code == 403


def test_participant_sends_a_voice_note_without_text(
    world: World, participant_client: Client
) -> None:
    response = participant_client.post(
        f"/w/{world.workshop.pk}/contribute/",
        {"text": "", "dimension": "proposal", "audio": _file(wav_bytes(), "فاطمة.wav")},
    )
    stored = Contribution.objects.exclude(audio="").get()
    assert response.status_code == 302
    assert (stored.author, stored.text) == (world.participant, "")
    assert stored.moderation_status == ModerationStatus.PENDING
    page = participant_client.get(response["Location"]).content.decode()
    assert (
        _arabic(
            "Thank you: your voice note is recorded. It will be published once it is transcribed."
        )
        in page
    )
    # Its author hears it on their card; the public page never links it.
    assert f'src="/s/{stored.pk}/audio"' in page
    public = Client().get(f"/w/{world.workshop.pk}/").content.decode()
    assert "/audio" not in public


def test_a_file_that_is_not_audio_is_refused_next_to_the_field(
    world: World, participant_client: Client
) -> None:
    response = participant_client.post(
        f"/w/{world.workshop.pk}/contribute/",
        {"text": "", "dimension": "proposal", "audio": _file(b"\x89PNG\r\n\x1a\n" * 8, "a.mp3")},
    )
    assert response.status_code == 422
    assert "contributions/audio" not in str(list(Contribution.objects.values("audio")))
    assert not Contribution.objects.exclude(audio="").exists()
    errors = re.findall(r'<div class="field voice-note has-error">.*?<li>([^<]+)</li>',
                        response.content.decode(), flags=re.DOTALL)  # fmt: skip
    assert errors and "WebM" in errors[0]


def test_a_voice_note_over_the_size_limit_is_not_kept(
    world: World, participant_client: Client, settings
) -> None:
    settings.TASHAWUR_VOICE_MAX_BYTES = 64 * 1024
    response = participant_client.post(
        f"/w/{world.workshop.pk}/contribute/",
        {"text": "", "dimension": "proposal", "audio": _file(wav_bytes(seconds=5))},
    )
    assert response.status_code == 422
    assert not Contribution.objects.exclude(audio="").exists()
    message = "This voice note is too large: at most %(megabytes)s MB."
    with translation.override("ar"):
        expected = translation.ngettext(message, message, 1) % {"megabytes": 1}
    assert expected in response.content.decode()


def test_the_rapporteur_transcribes_and_the_item_is_published(
    people: dict[str, User | None], note: Contribution, world: World
) -> None:
    client = _client(people["rapporteur"])
    response = client.post(
        f"/w/{world.workshop.pk}/voice/",
        {
            "contribution": note.pk,
            "text": "نقترح مواكبة التعاونيات",
            "dimension": "proposal",
            "language": "ar",
        },
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.text == "نقترح مواكبة التعاونيات"
    assert note.moderation_status == ModerationStatus.PUBLISHED
    assert note.transcribed_by == people["rapporteur"]
    public = Client().get(f"/w/{world.workshop.pk}/").content.decode()
    assert "نقترح مواكبة التعاونيات" in public
    assert "/audio" not in public
    # Nothing is left to transcribe.
    page = client.get(f"/w/{world.workshop.pk}/voice/").content.decode()
    assert f'src="/s/{note.pk}/audio"' not in page


def test_an_empty_transcription_is_shown_next_to_its_field(
    people: dict[str, User | None], note: Contribution, world: World
) -> None:
    response = _client(people["rapporteur"]).post(
        f"/w/{world.workshop.pk}/voice/",
        {"contribution": note.pk, "text": " ", "dimension": "proposal", "language": ""},
    )
    assert response.status_code == 422
    note.refresh_from_db()
    assert note.text == ""
    assert "has-error" in response.content.decode()


def test_another_workshops_voice_note_cannot_be_transcribed_here(
    people: dict[str, User | None], note: Contribution, world: World
) -> None:
    response = _client(people["rapporteur"]).post(
        f"/w/{world.closed_workshop.pk}/voice/",
        {"contribution": note.pk, "text": "نص", "dimension": "proposal"},
    )
    assert response.status_code == 403
    note.refresh_from_db()
    assert note.text == ""
