"""The "My data" document: what the export holds, whose, and at what cost in queries."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from tashawur.consultations.models import Attendance, Registration
from tashawur.contributions.models import (
    Contribution,
    ContributionFlag,
    ModerationReason,
    ModerationStatus,
)
from tashawur.web.exports import EXPORT_FORMAT_VERSION, EXPORT_SECTIONS, participant_data_export
from tests.actors.factories import (
    ConsentFactory,
    OrganisationFactory,
    ParticipantFactory,
    UserFactory,
)
from tests.consultations.factories import WorkshopFactory
from tests.contributions.factories import ContributionFactory, VoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _add_data(participant, *, times: int = 1) -> None:
    """An organisation, a consent, a registration, an attendance, a contribution and a vote,
    ``times`` over."""
    for n in range(times):
        participant.organisations.add(OrganisationFactory())
        ConsentFactory(participant=participant, consent_text__version=100 + n)
        workshop = WorkshopFactory()
        Registration.objects.create(meeting=workshop.meeting, participant=participant)
        Attendance.objects.create(workshop=workshop, participant=participant)
        ContributionFactory(author=participant, workshop=workshop)
        VoteFactory(participant=participant)
        ContributionFlag.objects.create(
            contribution=ContributionFactory(workshop=workshop),
            participant=participant,
            reason=ModerationReason.SPAM,
        )


def test_export_holds_the_participants_own_contributions_votes_and_consents():
    participant = ParticipantFactory(user=UserFactory(email="fatima@example.org"))
    ConsentFactory(participant=participant)
    mine = ContributionFactory(author=participant, text="نقترح شباكا موحدا")
    statement = ContributionFactory(text="Créer un guichet unique")
    VoteFactory(participant=participant, contribution=statement, value=-1)
    other = ParticipantFactory()
    ConsentFactory(participant=other, granted=False)
    ContributionFactory(author=other, text="ما يقوله شخص آخر")
    VoteFactory(participant=other, contribution=mine)

    export = participant_data_export(participant=participant)

    assert export["participant"]["email"] == "fatima@example.org"
    assert [c["text"] for c in export["contributions"]] == ["نقترح شباكا موحدا"]
    assert [(v["statement"], v["value"], v["value_label"]) for v in export["votes"]] == [
        ("Créer un guichet unique", -1, "Disagree")
    ]
    assert [(c["granted"], c["text_ar"], c["text_fr"]) for c in export["consents"]] == [
        (True, "أوافق على المشاركة.", "J'accepte de participer.")
    ]


def test_export_has_a_version_a_date_and_every_section_with_its_columns():
    participant = ParticipantFactory()
    _add_data(participant)
    at = dt.datetime(2026, 11, 29, 22, 0, tzinfo=dt.UTC)

    export = participant_data_export(participant=participant, at=at)

    assert export["format_version"] == EXPORT_FORMAT_VERSION
    assert export["exported_at"] == timezone.localtime(at).isoformat()
    assert set(EXPORT_SECTIONS) <= set(export)
    assert list(export["participant"]) == list(EXPORT_SECTIONS["participant"])
    for section, columns in EXPORT_SECTIONS.items():
        if section != "participant":
            assert len(export[section]) == 1, section
            assert list(export[section][0]) == list(columns), section


def test_export_holds_the_reports_the_person_made_and_their_fate():
    participant, other = ParticipantFactory(), ParticipantFactory()
    kept = ContributionFactory(text="Un marché hebdomadaire des coopératives")
    rejected = ContributionFactory(text="نص حذفه الإشراف")
    ContributionFlag.objects.create(
        contribution=kept, participant=participant, reason=ModerationReason.OFF_TOPIC
    )
    ContributionFlag.objects.create(
        contribution=rejected,
        participant=participant,
        reason=ModerationReason.INSULT,
        resolved_at=timezone.now(),
    )
    ContributionFlag.objects.create(
        contribution=kept, participant=other, reason=ModerationReason.SPAM
    )
    Contribution.objects.filter(pk=rejected.pk).update(moderation_status=ModerationStatus.REJECTED)

    with translation.override("en"):
        reports = participant_data_export(participant=participant)["reports"]

    assert [
        (r["contribution_id"], r["statement"], r["reason"], r["resolved_at"] is not None)
        for r in reports
    ] == [
        (kept.pk, "Un marché hebdomadaire des coopératives", "off_topic", False),
        (rejected.pk, None, "insult", True),
    ]
    assert list(reports[0]) == list(EXPORT_SECTIONS["reports"])


def test_export_hides_the_text_of_someone_elses_unpublished_statement():
    participant = ParticipantFactory()
    rejected = ContributionFactory(moderation_status=ModerationStatus.REJECTED)
    VoteFactory(participant=participant, contribution=rejected)

    export = participant_data_export(participant=participant)

    assert [(v["contribution_id"], v["statement"]) for v in export["votes"]] == [
        (rejected.pk, None)
    ]


def test_export_queries_do_not_grow_with_the_data(django_assert_max_num_queries):
    small, large = ParticipantFactory(user=UserFactory()), ParticipantFactory(user=UserFactory())
    _add_data(small)
    _add_data(large, times=6)

    with django_assert_max_num_queries(8) as small_queries:
        participant_data_export(participant=small)
    with django_assert_max_num_queries(8) as large_queries:
        export = participant_data_export(participant=large)

    assert len(export["contributions"]) == len(export["votes"]) == len(export["reports"]) == 6
    assert len(large_queries.captured_queries) == len(small_queries.captured_queries)
