"""Who reaches which staff and participant page, as one table: every address of the workspace,
the meeting's door (registration, badge, check-in, attendance sheet), the round table's
lifecycle and moderation, for each role, on this region's objects and on another region's.

``test_every_route_is_in_the_matrix`` keeps the table whole: a new address of the site's pages
fails it until its row is written here. Each app's own tests check what the pages do; this one
checks only who gets in (200), who is sent to sign in (302 to /login/), and who is refused
(403, or 404 where the object is not theirs to know of).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tashawur.actors.models import Participant
from tashawur.consultations.models import Consultation, Invitation, Meeting, Workshop
from tashawur.consultations.services import meeting_register
from tashawur.contributions.models import Channel, Contribution
from tashawur.contributions.services import contribution_submit
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.programmes.models import Indicator, Measure, Programme, ProgressUpdate
from tashawur.programmes.services import progress_record
from tashawur.territories.models import Territory

from .world import PASSWORD, World

pytestmark = pytest.mark.django_db

OK, LOGIN, NO, CONSENT = "ok", "login", "refused", "consent first"
ROLES = (
    "anonymous",
    "participant",
    "other_participant",
    "facilitator",
    "rapporteur",
    "analyst",
    "coordinator",
    "neighbour_facilitator",
    "other_facilitator",
    "other_coordinator",
    "national",
)


@dataclass
class Place:
    """One region's consultation, meeting and round table."""

    consultation: Consultation
    meeting: Meeting
    workshop: Workshop


@dataclass
class Matrix:
    here: Place
    elsewhere: Place
    #: Another round table of the same meeting, with its own facilitator.
    neighbour: Workshop
    users: dict[str, User | None]
    invitation: Invitation


def _user(username: str, role: str) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=role)


@pytest.fixture
def matrix(world: World) -> Matrix:
    users: dict[str, User | None] = {"anonymous": None}
    users["participant"] = world.participant_user
    other = _user("other-participant", Role.PARTICIPANT)
    Participant.objects.create(display_name="Autre personne", user=other)
    users["other_participant"] = other
    users["facilitator"] = world.facilitator
    users["rapporteur"] = _user("rapporteur", Role.RAPPORTEUR)
    Workshop.objects.filter(pk=world.workshop.pk).update(rapporteur=users["rapporteur"])
    users["analyst"] = _user("analyst", Role.ANALYST)
    world.consultation.analysts.add(users["analyst"])
    users["coordinator"] = _user("coordinator", Role.REGIONAL_COORDINATOR)
    world.consultation.coordinators.add(users["coordinator"])
    users["national"] = _user("national", Role.NATIONAL_COORDINATOR)

    region = Territory.objects.create(
        level="region",
        kind="region",
        code="08",
        parent=world.consultation.region.parent,
        name_ar="درعة تافيلالت",
        name_fr="Drâa-Tafilalet",
    )
    province = Territory.objects.create(
        level="province", kind="province", code="08.301", parent=region,
        name_ar="ورزازات", name_fr="Ouarzazate",
    )  # fmt: skip
    elsewhere = Consultation.objects.create(
        strategy=world.consultation.strategy,
        region=region,
        slug="draa-tafilalet",
        title_ar="التشاور الجهوي درعة تافيلالت",
        title_fr="Concertation Drâa-Tafilalet",
        status=Consultation.Status.OPEN,
    )
    users["other_coordinator"] = _user("other-coordinator", Role.REGIONAL_COORDINATOR)
    elsewhere.coordinators.add(users["other_coordinator"])
    users["other_facilitator"] = _user("other-facilitator", Role.FACILITATOR)
    starts = timezone.now() - dt.timedelta(hours=1)
    far_meeting = Meeting.objects.create(
        consultation=elsewhere,
        slug="ouarzazate",
        title_ar="لقاء ورزازات",
        title_fr="Rencontre de Ouarzazate",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=8),
        venue_ar="القاعة",
        venue_fr="La salle",
        territory=province,
        status=Meeting.Status.OPEN,
    )
    far_workshop = Workshop.objects.create(
        meeting=far_meeting,
        theme=world.workshop.theme,
        position=1,
        title_ar="مائدة ورزازات",
        title_fr="Table de Ouarzazate",
        facilitator=users["other_facilitator"],
        status=Workshop.Status.OPEN,
        opened_at=starts,
    )
    users["neighbour_facilitator"] = _user("neighbour-facilitator", Role.FACILITATOR)
    neighbour = Workshop.objects.create(
        meeting=world.meeting,
        theme=world.workshop.theme,
        position=world.workshop.position + 10,
        title_ar="المائدة المجاورة",
        title_fr="La table voisine",
        facilitator=users["neighbour_facilitator"],
        status=Workshop.Status.OPEN,
        opened_at=starts,
    )
    # The participant is registered here (their badge exists); nobody is, over there.
    meeting_register(meeting=world.meeting, participant=world.participant)
    invitation = Invitation.objects.create(
        consultation=world.consultation,
        meeting=world.meeting,
        token="an-invitation-token-for-the-matrix",
        label="Coopératives de Taroudant",
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    return Matrix(
        here=Place(world.consultation, world.meeting, world.workshop),
        elsewhere=Place(elsewhere, far_meeting, far_workshop),
        neighbour=neighbour,
        users=users,
        invitation=invitation,
    )


def _roles(default: str, **exceptions: str) -> dict[str, str]:
    table = dict.fromkeys(ROLES, default)
    table["anonymous"] = LOGIN
    table.update(exceptions)
    return table


# Managing a consultation: its coordinators and the national coordinator.
MANAGES_HERE = _roles(NO, coordinator=OK, national=OK)
MANAGES_ELSEWHERE = _roles(NO, other_coordinator=OK, national=OK)
# A meeting's door (check-in, attendance sheet): its managers and its round tables' staff.
DOOR_HERE = _roles(
    NO, coordinator=OK, national=OK, facilitator=OK, rapporteur=OK, neighbour_facilitator=OK
)
DOOR_ELSEWHERE = _roles(NO, other_coordinator=OK, national=OK, other_facilitator=OK)
# The moderation queue: the managers and the facilitators of its round tables.
QUEUE_HERE = _roles(NO, coordinator=OK, national=OK, facilitator=OK, neighbour_facilitator=OK)
QUEUE_ELSEWHERE = _roles(NO, other_coordinator=OK, national=OK, other_facilitator=OK)
# Closing an open round table: its facilitator, its rapporteur and the managers.
CLOSE_HERE = _roles(NO, coordinator=OK, national=OK, facilitator=OK, rapporteur=OK)
CLOSE_ELSEWHERE = DOOR_ELSEWHERE
# The table next door, in the same meeting: its own facilitator, not this table's staff.
CLOSE_NEIGHBOUR = _roles(NO, coordinator=OK, national=OK, neighbour_facilitator=OK)
SPEAKERS_NEIGHBOUR = _roles(NO, neighbour_facilitator=OK)
# Searching speakers: those who record for others at that table.
SPEAKERS_HERE = _roles(NO, facilitator=OK, rapporteur=OK)
SPEAKERS_ELSEWHERE = _roles(NO, other_facilitator=OK)
# "Already said" suggestions while typing: participants who may contribute at that table (not
# its staff, who record for others: an "I agree" would be their own vote).
SIMILAR = _roles(NO, participant=OK, other_participant=OK)
SIGNED_IN = _roles(OK)
# Offline capture of a round table: its facilitator and rapporteur, and participants.
CAPTURE_HERE = _roles(NO, participant=OK, other_participant=OK, facilitator=OK, rapporteur=OK)
CAPTURE_ELSEWHERE = _roles(NO, participant=OK, other_participant=OK, other_facilitator=OK)
CAPTURE_NEIGHBOUR = _roles(NO, participant=OK, other_participant=OK, neighbour_facilitator=OK)
# Voice notes: transcribed by the round table's facilitator and rapporteur and the managers;
# heard by them and the note's author, 404 (never "sign in") for everyone else.
TRANSCRIBE_HERE = _roles(NO, coordinator=OK, national=OK, facilitator=OK, rapporteur=OK)
TRANSCRIBE_ELSEWHERE = _roles(NO, other_coordinator=OK, national=OK, other_facilitator=OK)
HEAR_HERE = {**TRANSCRIBE_HERE, "anonymous": NO, "participant": OK}
HEAR_ELSEWHERE = {**TRANSCRIBE_ELSEWHERE, "anonymous": NO}

Row = tuple[str, Callable[[Matrix], str], dict[str, str]]


# The programme workspace's pages: (route name, address under /c/<slug>/programme/edit/).
PROGRAMME_EDIT_PAGES = [
    ("programmes:edit", ""),
    ("programmes:edit_measure_new", "measures/new/"),
    ("programmes:edit_measure", "measures/{measure}/"),
    ("programmes:edit_funding", "measures/{measure}/funding/"),
    ("programmes:edit_findings", "measures/{measure}/findings/?q=F1"),
    ("programmes:edit_indicator_new", "measures/{measure}/indicators/new/"),
    ("programmes:edit_progress", "measures/{measure}/progress/"),
    ("programmes:edit_indicator", "indicators/{indicator}/"),
]


def _programme_url(m: Matrix, place: str, tail: str) -> str:
    """An address of the place's action programme, made on first use: a draft with one
    measure, its indicator and a progress update with private evidence."""
    consultation = getattr(m, place).consultation
    programme, _created = Programme.objects.get_or_create(
        consultation=consultation,
        defaults={
            "title_ar": "برنامج العمل",
            "title_fr": "Programme d'action",
            "starts_on": dt.date(2019, 1, 1),
            "ends_on": dt.date(2025, 12, 31),
        },
    )
    measure, _created = Measure.objects.get_or_create(
        programme=programme, code="1", defaults={"title_ar": "محور", "title_fr": "Axe"}
    )
    indicator, _created = Indicator.objects.get_or_create(
        measure=measure,
        defaults={"name_ar": "مؤشر", "name_fr": "Indicateur", "baseline": 1, "target": 2},
    )
    update = ProgressUpdate.objects.filter(measure=measure).first() or progress_record(
        measure=measure,
        on=dt.date(2020, 1, 1),
        percent=10,
        recorded_by=None,
        evidence=SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
    )
    address = f"/c/{consultation.slug}/programme/edit/" + tail.format(
        measure=measure.pk, indicator=indicator.pk, update=update.pk
    )
    return address.replace("/edit/../", "/")


def _voice_note_url(m: Matrix, place: str) -> str:
    """The address of a voice note of the place's round table, made on first use: the
    participant's own here, one recorded by the facilitator over there."""
    workshop = getattr(m, place).workshop
    note = Contribution.objects.filter(workshop=workshop).exclude(audio="").first()
    if note is None:
        here = place == "here"
        note = contribution_submit(
            workshop=workshop,
            text="",
            dimension="proposal",
            channel=Channel.WEB if here else Channel.FACILITATOR,
            author=m.users["participant"].participant if here else None,  # type: ignore[union-attr]
            recorded_by=None if here else workshop.facilitator,
            audio=SimpleUploadedFile("note.ogg", b"OggS" + b"\x00" * 60),
        ).contribution
    return f"/s/{note.pk}/audio"


@pytest.fixture(autouse=True)
def _private_media(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Evidence files written by the rows go to a temporary folder."""
    field = ProgressUpdate._meta.get_field("evidence")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path / "private"))


ROWS: list[Row] = [
    ("web:manage", lambda m: "/manage/", _roles(OK, participant=NO, other_participant=NO)),
    ("web:manage_consultation_new", lambda m: "/manage/c/new/", _roles(NO, national=OK)),
    # The strategy's national picture and its regions side by side: public.
    (
        "web:strategy",
        lambda m: f"/s/{m.here.consultation.strategy.slug}/",
        _roles(OK, anonymous=OK),
    ),
    (
        "web:strategy_compare",
        lambda m: f"/s/{m.here.consultation.strategy.slug}/compare/?r=09&r=08",
        _roles(OK, anonymous=OK),
    ),
    # The national roll-up as a PDF: public (test_strategy_pdf.py).
    (
        "web:strategy_pdf",
        lambda m: f"/s/{m.here.consultation.strategy.slug}/pdf/",
        _roles(OK, anonymous=OK),
    ),
    *[
        row
        for place, manages in (("here", MANAGES_HERE), ("elsewhere", MANAGES_ELSEWHERE))
        for row in [
            (
                "web:manage_consultation",
                lambda m, p=place: f"/manage/c/{getattr(m, p).consultation.slug}/",
                manages,
            ),
            (
                "web:manage_meeting_new",
                lambda m, p=place: f"/manage/c/{getattr(m, p).consultation.slug}/meetings/new/",
                manages,
            ),
            (
                "web:manage_invitations",
                lambda m, p=place: f"/manage/c/{getattr(m, p).consultation.slug}/invitations/",
                manages,
            ),
            (
                "web:manage_meeting",
                lambda m, p=place: f"/manage/m/{getattr(m, p).meeting.slug}/",
                manages,
            ),
            (
                "web:manage_workshop_new",
                lambda m, p=place: f"/manage/m/{getattr(m, p).meeting.slug}/workshops/new/",
                manages,
            ),
            (
                "web:manage_workshop",
                lambda m, p=place: f"/manage/w/{getattr(m, p).workshop.pk}/",
                manages,
            ),
        ]
    ],
    *[
        row
        for place, door, queue, close, speakers in (
            ("here", DOOR_HERE, QUEUE_HERE, CLOSE_HERE, SPEAKERS_HERE),
            ("elsewhere", DOOR_ELSEWHERE, QUEUE_ELSEWHERE, CLOSE_ELSEWHERE, SPEAKERS_ELSEWHERE),
        )
        for row in [
            (
                "web:meeting_checkin",
                lambda m, p=place: f"/m/{getattr(m, p).meeting.slug}/checkin/",
                door,
            ),
            (
                "web:meeting_attendance_xlsx",
                lambda m, p=place: f"/m/{getattr(m, p).meeting.slug}/attendance.xlsx",
                door,
            ),
            (
                "web:meeting_attendance_pdf",
                lambda m, p=place: f"/m/{getattr(m, p).meeting.slug}/attendance.pdf",
                door,
            ),
            (
                "contributions:moderation",
                lambda m, p=place: f"/c/{getattr(m, p).consultation.slug}/moderation/",
                queue,
            ),
            (
                "contributions:workshop_close",
                lambda m, p=place: f"/w/{getattr(m, p).workshop.pk}/close/",
                close,
            ),
            (
                "contributions:workshop_speakers",
                lambda m, p=place: f"/w/{getattr(m, p).workshop.pk}/speakers/?speaker_q=a",
                speakers,
            ),
            # Importing the round table's notes: those who close it.
            (
                "contributions:workshop_import",
                lambda m, p=place: f"/w/{getattr(m, p).workshop.pk}/import/",
                close,
            ),
            (
                "contributions:workshop_import_template",
                lambda m, p=place: f"/w/{getattr(m, p).workshop.pk}/import/template/",
                close,
            ),
        ]
    ],
    ("contributions:workshop_close", lambda m: f"/w/{m.neighbour.pk}/close/", CLOSE_NEIGHBOUR),
    *[
        row
        for place, transcribe, hear in (
            ("here", TRANSCRIBE_HERE, HEAR_HERE),
            ("elsewhere", TRANSCRIBE_ELSEWHERE, HEAR_ELSEWHERE),
        )
        for row in [
            (
                "contributions:voice_notes",
                lambda m, p=place: f"/w/{getattr(m, p).workshop.pk}/voice/",
                transcribe,
            ),
            ("contributions:audio", lambda m, p=place: _voice_note_url(m, p), hear),
        ]
    ],
    ("contributions:workshop_import", lambda m: f"/w/{m.neighbour.pk}/import/", CLOSE_NEIGHBOUR),
    (
        "contributions:workshop_speakers",
        lambda m: f"/w/{m.neighbour.pk}/speakers/?speaker_q=a",
        SPEAKERS_NEIGHBOUR,
    ),
    ("contributions:similar", lambda m: f"/w/{m.here.workshop.pk}/similar/?text=a", SIMILAR),
    ("contributions:similar", lambda m: f"/w/{m.elsewhere.workshop.pk}/similar/?text=a", SIMILAR),
    # Offline capture: the list for everyone signed in; a round table's capture page for its
    # staff and the participants who may contribute to it (test_capture_pages.py).
    ("contributions:capture", lambda m: "/capture/", SIGNED_IN),
    ("contributions:capture_workshop", lambda m: f"/capture/w/{m.here.workshop.pk}/", CAPTURE_HERE),
    (
        "contributions:capture_workshop",
        lambda m: f"/capture/w/{m.elsewhere.workshop.pk}/",
        CAPTURE_ELSEWHERE,
    ),
    (
        "contributions:capture_workshop",
        lambda m: f"/capture/w/{m.neighbour.pk}/",
        CAPTURE_NEIGHBOUR,
    ),
    # One's own registration and badge: every signed-in person sees the registration page (a
    # participant who has not accepted the terms is asked to first); the badge is the registered
    # person's alone.
    (
        "web:meeting_register",
        lambda m: f"/m/{m.here.meeting.slug}/register/",
        _roles(OK, other_participant=CONSENT),
    ),
    (
        "web:meeting_badge",
        lambda m: f"/m/{m.here.meeting.slug}/badge.pdf",
        _roles(NO, participant=OK),
    ),
    ("web:me", lambda m: "/me/", SIGNED_IN),
    ("web:me_consent", lambda m: "/me/consent/", SIGNED_IN),
    # API tokens: one's own; device tokens for the staff of the coordinator's round tables.
    ("web:me_tokens", lambda m: "/me/tokens/", SIGNED_IN),
    (
        "web:manage_tokens",
        lambda m: "/manage/tokens/",
        _roles(NO, coordinator=OK, other_coordinator=OK, national=OK),
    ),
    # The programme workspace: the consultation's managers; its private evidence is 404 (not
    # a sign-in page) for everyone else, since a public one is for anyone.
    *[
        row
        for place, manages in (("here", MANAGES_HERE), ("elsewhere", MANAGES_ELSEWHERE))
        for row in [
            *[
                (name, lambda m, p=place, t=tail: _programme_url(m, p, t), manages)
                for name, tail in PROGRAMME_EDIT_PAGES
            ],
            (
                "programmes:evidence",
                lambda m, p=place: _programme_url(m, p, "../evidence/{update}/"),
                {**manages, "anonymous": NO},
            ),
        ]
    ],
]

# Addresses that are not a page for a role (public, or POST only), with where they are tested.
NOT_IN_THE_MATRIX = {
    # public pages: test_pages.py
    "web:home", "web:consultation", "web:meeting", "contributions:workshop",
    # public pages: test_contribution_page.py (a contribution's own page and its chain)
    "web:contribution",
    # POST only, the national coordinator's: test_strategy_pages.py
    "web:strategy_rollup_run",
    # for those without an account: test_signup.py; the invitation: its own test below
    "web:signup", "web:invitation",
    # one's own data, no object in the address: test_my_data*.py, test_signup.py
    "web:me_erase", "web:my_data", "web:my_data_json", "web:my_data_csv",
    # POST only: test_contribute.py, test_vote.py, test_moderation.py, the open matrix of
    # test_workshop_lifecycle.py
    "contributions:submit", "contributions:vote", "contributions:flag",
    "contributions:workshop_open", "contributions:moderate",
    # the capture page's service worker and manifest, public: test_capture_pages.py
    "contributions:capture_sw", "contributions:capture_manifest",
    # public pages: test_programme_page.py, test_programme_pdf.py
    "programmes:programme", "programmes:programme_pdf",
    # POST only: test_programme_edit.py (each role refused, nothing written)
    "programmes:edit_adopt", "programmes:edit_measure_move", "programmes:edit_measure_delete",
    "programmes:edit_indicator_value",
    # the measures as files (export, template, import): test_programme_files.py
    "programmes:measures_export", "programmes:measures_export_csv",
    "programmes:measures_template", "programmes:measures_import",
    # an import left to the worker, for those who may import: test_workshop_import.py
    "contributions:workshop_import_status",
}  # fmt: skip


def _outcome(response) -> str:  # type: ignore[no-untyped-def]
    if response.status_code == 200:
        return OK
    if response.status_code == 302 and "/login/" in response["Location"]:
        return LOGIN
    if response.status_code == 302 and "/me/consent/" in response["Location"]:
        return CONSENT
    if response.status_code in (403, 404):
        return NO
    return f"unexpected {response.status_code} {response.get('Location', '')}"


@pytest.mark.parametrize(
    ("name", "url", "table"),
    ROWS,
    ids=[f"{name}-{index}" for index, (name, _, _) in enumerate(ROWS)],
)
def test_who_gets_in(matrix: Matrix, name: str, url, table: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """One route, asked for by every role in turn (each with its own client), against its row:
    one world per route, not per route and role, and a page cached for one reader must not
    answer another."""
    address = url(matrix)
    wrong = []
    for role in ROLES:
        client = Client()
        user = matrix.users[role]
        if user is not None:
            client.force_login(user)
        response = client.get(address)
        if response.streaming:  # a file (evidence): read to its end, the client then closes it
            b"".join(response.streaming_content)
        if (outcome := _outcome(response)) != table[role]:
            wrong.append(f"{role} on {address} ({name}): {outcome}, expected {table[role]}")
    assert wrong == []


def test_invitation_is_public_and_leads_to_sign_up(matrix: Matrix) -> None:
    response = Client().get(f"/i/{matrix.invitation.token}/")
    assert response.status_code == 302 and "/signup/" in response["Location"]


def _route_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _route_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_route_is_in_the_matrix() -> None:
    routes = {
        name
        for name in _route_names(get_resolver())
        if name.startswith(("web:", "contributions:", "programmes:"))
    }
    in_matrix = {name for name, _, _ in ROWS}
    assert routes - in_matrix - NOT_IN_THE_MATRIX == set()
    assert (in_matrix | NOT_IN_THE_MATRIX) - routes == set()
