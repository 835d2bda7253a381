"""A small consultation for the web and browser tests: one region, one meeting, an open and a
closed round table, a participant who has consented, and the round table's facilitator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from tashawur.actors.models import ActorType, ConsentText, Organisation, Participant
from tashawur.actors.services import consent_record
from tashawur.consultations.models import (
    AgendaItem,
    Attendance,
    Consultation,
    Dimension,
    Meeting,
    Strategy,
    Theme,
    Workshop,
)
from tashawur.contributions.models import Channel, Contribution, Language, Vote
from tashawur.contributions.services import contribution_submit, vote_cast
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.territories.models import Territory

PASSWORD = "a-test-password-1"


@dataclass
class World:
    consultation: Consultation
    meeting: Meeting
    workshop: Workshop
    closed_workshop: Workshop
    participant: Participant
    participant_user: User
    facilitator: User
    proposal: Contribution
    challenge: Contribution
    tifinagh: Contribution


def _user(username: str, role: str, **extra: object) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=role, **extra)


def build_world() -> World:
    country = Territory.objects.create(
        level="country", kind="country", code="MA", name_ar="المغرب", name_fr="Maroc"
    )
    region = Territory.objects.create(
        level="region",
        kind="region",
        code="09",
        parent=country,
        name_ar="سوس ماسة",
        name_fr="Souss-Massa",
        name_zgh="ⵙⵓⵙ ⵎⴰⵙⵙⴰ",
    )
    province = Territory.objects.create(
        level="province",
        kind="province",
        code="09.531",
        parent=region,
        name_ar="تارودانت",
        name_fr="Taroudant",
    )
    strategy = Strategy.objects.create(
        slug="ess-2028",
        title_ar="الاستراتيجية الوطنية للاقتصاد الاجتماعي والتضامني",
        title_fr="Stratégie nationale de l'ESS",
        territory=country,
        status=Strategy.Status.ACTIVE,
    )
    consultation = Consultation.objects.create(
        strategy=strategy,
        region=region,
        slug="souss-massa-2018",
        title_ar="التشاور الجهوي سوس ماسة",
        title_fr="Concertation régionale Souss-Massa",
        status=Consultation.Status.OPEN,
    )
    starts = timezone.make_aware(dt.datetime(2018, 8, 4, 9, 30))
    meeting = Meeting.objects.create(
        consultation=consultation,
        slug="taroudant-2018-08-04",
        title_ar="اللقاء الجهوي بتارودانت",
        title_fr="Rencontre régionale de Taroudant",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=8),
        venue_ar="دار التنمية البشرية، تارودانت",
        venue_fr="Dar INDH, Taroudant",
        territory=province,
        status=Meeting.Status.OPEN,
    )
    AgendaItem.objects.create(
        meeting=meeting,
        position=1,
        starts_at=dt.time(9, 30),
        ends_at=dt.time(10, 30),
        kind=AgendaItem.Kind.OPENING,
        title_ar="الجلسة الافتتاحية",
        title_fr="Séance d'ouverture",
    )
    AgendaItem.objects.create(
        meeting=meeting,
        position=2,
        starts_at=dt.time(11, 0),
        ends_at=dt.time(13, 0),
        kind=AgendaItem.Kind.WORKSHOPS,
        title_ar="الموائد المستديرة",
        title_fr="Tables rondes",
    )
    theme = Theme.objects.create(
        slug="quality-labels",
        label_ar="علامات الجودة",
        label_fr="Labels de qualité",
        label_en="Quality labels",
    )
    facilitator = _user("facilitator", Role.FACILITATOR, first_name="Samira")
    workshop = Workshop.objects.create(
        meeting=meeting,
        theme=theme,
        position=1,
        title_ar="الحصول على علامات الجودة",
        title_fr="Obtenir des labels de qualité",
        question_ar="ما الذي يعيق حصول التعاونيات على علامات الجودة؟",
        question_fr="Qu'est-ce qui freine l'accès des coopératives aux labels ?",
        facilitator=facilitator,
        status=Workshop.Status.OPEN,
        opened_at=starts,
    )
    closed_workshop = Workshop.objects.create(
        meeting=meeting,
        theme=theme,
        position=2,
        title_ar="التربية المالية",
        title_fr="Éducation financière",
        status=Workshop.Status.CLOSED,
        opened_at=starts,
        closed_at=starts + dt.timedelta(hours=2),
    )
    cooperative = ActorType.objects.create(
        slug="cooperative",
        category="ess",
        label_ar="تعاونية",
        label_fr="Coopérative",
        label_en="Cooperative",
    )
    organisation = Organisation.objects.create(
        name="تعاونية أركان تيوت",
        slug="cooperative-argan-tiout",
        actor_type=cooperative,
        territory=province,
        sector=Organisation.Sector.ARGAN,
    )
    participant_user = _user("participant", Role.PARTICIPANT)
    participant = Participant.objects.create(display_name="فاطمة أ.", user=participant_user)
    participant.organisations.add(organisation)
    other = Participant.objects.create(display_name="Ahmed B.")
    other.organisations.add(organisation)
    for person in (participant, other):
        Attendance.objects.create(workshop=workshop, participant=person)
    ConsentText.objects.create(
        purpose=ConsentText.Purpose.PARTICIPATION,
        version=1,
        text_ar="أوافق على المشاركة.",
        text_fr="J'accepte de participer.",
        published_at=starts - dt.timedelta(days=30),
    )
    for person in (participant, other):
        consent_record(participant=person, granted=True, method="web")

    def said(text: str, dimension: str, language: str, author: Participant) -> Contribution:
        return contribution_submit(
            workshop=workshop,
            text=text,
            dimension=dimension,
            channel=Channel.WEB,
            author=author,
            language=language,
        ).contribution

    challenge = said(
        "الحصول على شهادة الجودة مكلف جدا بالنسبة للتعاونيات الصغيرة",
        Dimension.CHALLENGE,
        Language.MSA,
        other,
    )
    tifinagh = said("ⴰⵔⴳⴰⵏ ⵏ ⵜⵉⵡⵓⵜ", Dimension.POTENTIAL, Language.AMAZIGH, other)
    proposal = said(
        "Créer un guichet unique pour accompagner les coopératives vers l'IGP",
        Dimension.PROPOSAL,
        Language.FRENCH,
        other,
    )
    vote_cast(contribution=proposal, participant=other, value=Vote.Value.AGREE)
    proposal.refresh_from_db()
    return World(
        consultation=consultation,
        meeting=meeting,
        workshop=workshop,
        closed_workshop=closed_workshop,
        participant=participant,
        participant_user=participant_user,
        facilitator=facilitator,
        proposal=proposal,
        challenge=challenge,
        tifinagh=tifinagh,
    )
