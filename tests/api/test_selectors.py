"""Which contributions open data publishes, and how it pseudonymises their authors."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.http import Http404
from django.utils import timezone

from tashawur.actors.models import ConsentText, Participant
from tashawur.actors.services import consent_record, consent_withdraw
from tashawur.api.selectors import (
    author_pseudonym,
    open_data_author_profiles,
    open_data_build,
    open_data_consultation_get,
    open_data_contributions,
    open_data_k,
)
from tashawur.consultations.models import Consultation
from tashawur.contributions.models import Channel, ModerationStatus
from tashawur.contributions.services import participant_erase
from tests.actors.factories import ActorTypeFactory, ConsentTextFactory, UserFactory
from tests.consultations.factories import WorkshopFactory
from tests.contributions.factories import ContributionFactory

from .conftest import Site, author

pytestmark = pytest.mark.django_db


def _published_ids(site: Site) -> set[int]:
    return set(open_data_contributions(consultation=site.consultation).values_list("pk", flat=True))


# --- consultation ----------------------------------------------------------------------------


def test_a_public_consultation_is_found(site: Site) -> None:
    assert open_data_consultation_get(slug="souss-massa-2018") == site.consultation


def test_a_draft_consultation_is_not_found(site: Site) -> None:
    Consultation.objects.filter(pk=site.consultation.pk).update(status="draft")
    with pytest.raises(Http404):
        open_data_consultation_get(slug="souss-massa-2018")


def test_an_unknown_consultation_is_not_found(site: Site) -> None:
    with pytest.raises(Http404):
        open_data_consultation_get(slug="nowhere")


# --- which contributions ---------------------------------------------------------------------


def test_publishes_a_consenting_authors_published_contribution(site: Site) -> None:
    kept = ContributionFactory(workshop=site.workshop, author=author())
    assert _published_ids(site) == {kept.pk}


@pytest.mark.parametrize("status", [ModerationStatus.PENDING, ModerationStatus.REJECTED])
def test_leaves_out_what_moderation_has_not_published(site: Site, status: str) -> None:
    ContributionFactory(workshop=site.workshop, author=author(), moderation_status=status)
    assert _published_ids(site) == set()


# The participation text people agree to says that after a withdrawal or an erasure "my
# contributions stay published, with no link to my identity": kept, without a pseudonym.


def _unlinked(site: Site, contribution_id: int, person: Participant) -> bool:
    profiles = open_data_author_profiles(consultation=site.consultation)
    return contribution_id in _published_ids(site) and person.pk not in profiles


def test_keeps_an_erased_authors_contributions_unlinked(site: Site) -> None:
    erased = author()
    kept = ContributionFactory(workshop=site.workshop, author=erased)
    participant_erase(participant=erased)
    assert _unlinked(site, kept.pk, erased)


def test_unlinks_an_erased_author_even_with_a_consent_left_active(site: Site) -> None:
    # Erasure withdraws consents; the rule must not rest on that alone.
    erased = author()
    kept = ContributionFactory(workshop=site.workshop, author=erased)
    Participant.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    assert _unlinked(site, kept.pk, erased)


def test_a_linked_author_has_a_profile(site: Site) -> None:
    person = author()
    kept = ContributionFactory(workshop=site.workshop, author=person)
    assert kept.pk in _published_ids(site)
    assert person.pk in open_data_author_profiles(consultation=site.consultation)


def test_leaves_out_an_author_who_never_consented(site: Site) -> None:
    # The import channel does not ask for consent at submission: the export must.
    ContributionFactory(workshop=site.workshop, author=author(consented=False), channel="import")
    assert _published_ids(site) == set()


def test_keeps_the_contributions_of_an_author_who_withdrew_consent_unlinked(site: Site) -> None:
    person = author()
    kept = ContributionFactory(workshop=site.workshop, author=person)
    consent_withdraw(participant=person, purpose=ConsentText.Purpose.PARTICIPATION)
    assert _unlinked(site, kept.pk, person)


def test_leaves_out_an_author_who_declined(site: Site) -> None:
    person = author(consented=False)
    consent_record(participant=person, granted=False, method="paper")
    ContributionFactory(workshop=site.workshop, author=person, channel="facilitator")
    assert _published_ids(site) == set()


def test_unlinks_an_author_who_has_not_answered_the_current_consent_text(site: Site) -> None:
    person = author()
    kept = ContributionFactory(workshop=site.workshop, author=person)  # consented to version 1
    ConsentTextFactory(version=2, published_at=dt.datetime(2019, 1, 1, tzinfo=dt.UTC))
    assert _unlinked(site, kept.pk, person)


def test_a_consent_to_another_purpose_does_not_cover_publication(site: Site) -> None:
    person = author(consented=False)
    ConsentTextFactory(purpose=ConsentText.Purpose.CONTACT)
    consent_record(
        participant=person, granted=True, method="web", purpose=ConsentText.Purpose.CONTACT
    )
    ContributionFactory(workshop=site.workshop, author=person)
    assert _published_ids(site) == set()


def test_publishes_what_a_facilitator_recorded_for_the_room(site: Site) -> None:
    kept = ContributionFactory(
        workshop=site.workshop,
        author=None,
        recorded_by=UserFactory(),
        channel=Channel.FACILITATOR,
    )
    assert _published_ids(site) == {kept.pk}


def test_leaves_out_other_consultations(site: Site) -> None:
    ContributionFactory(author=author())
    assert _published_ids(site) == set()


# --- pseudonyms ------------------------------------------------------------------------------


def test_pseudonym_is_a_prefixed_truncated_keyed_hash() -> None:
    assert re.fullmatch(r"p_[0-9a-f]{16}", author_pseudonym(consultation_id=1, participant_id=7))


def test_pseudonym_is_stable_within_a_consultation(site: Site) -> None:
    person = author()
    ContributionFactory(workshop=site.workshop, author=person)
    ContributionFactory(workshop=site.workshop, author=person)
    rows = open_data_build(consultation=site.consultation).contributions
    assert len(rows) == 2
    assert rows[0]["author_pseudonym"] == rows[1]["author_pseudonym"]
    assert rows[0]["author_pseudonym"] == author_pseudonym(
        consultation_id=site.consultation.pk, participant_id=person.pk
    )


def test_pseudonym_differs_across_consultations(site: Site) -> None:
    person = author()
    other = WorkshopFactory()
    assert other.meeting.consultation_id != site.consultation.pk
    ContributionFactory(workshop=site.workshop, author=person)
    ContributionFactory(workshop=other, author=person)
    here = open_data_build(consultation=site.consultation).contributions[0]["author_pseudonym"]
    there = open_data_build(consultation=other.meeting.consultation).contributions[0][
        "author_pseudonym"
    ]
    assert here != there
    assert str(person.pseudonym) not in {here, there}


def test_pseudonym_depends_on_the_secret_key(settings: object) -> None:
    before = author_pseudonym(consultation_id=1, participant_id=7)
    settings.SECRET_KEY = "another-secret-" + "y" * 40  # type: ignore[attr-defined]
    assert author_pseudonym(consultation_id=1, participant_id=7) != before


# --- small cells -----------------------------------------------------------------------------


def _authors(site: Site, n: int, **kwargs: object) -> list[int]:
    people = [author(**kwargs) for _ in range(n)]
    for person in people:
        ContributionFactory(workshop=site.workshop, author=person)
    return [p.pk for p in people]


def test_shows_actor_type_and_province_shared_by_k_authors(site: Site) -> None:
    five = _authors(site, 5, actor_type=site.cooperative, province=site.agadir)
    profiles = open_data_author_profiles(consultation=site.consultation)
    assert {(profiles[pk].actor_type, profiles[pk].province) for pk in five} == {
        ("cooperative", "09.001")
    }


def test_drops_actor_type_and_province_shared_by_fewer_than_k_authors(site: Site) -> None:
    _authors(site, 5, actor_type=site.cooperative, province=site.agadir)
    four = _authors(site, 4, actor_type=site.association, province=site.tiznit)
    # The same actor type in the other province does not make the Tiznit cell bigger.
    _authors(site, 1, actor_type=site.association, province=site.agadir)
    profiles = open_data_author_profiles(consultation=site.consultation)
    assert {(profiles[pk].actor_type, profiles[pk].province) for pk in four} == {("", "")}
    assert all(profiles[pk].pseudonym.startswith("p_") for pk in four)


def test_k_defaults_to_five() -> None:
    assert open_data_k() == 5


def test_k_is_a_setting(site: Site, settings: object) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 4  # type: ignore[attr-defined]
    four = _authors(site, 4, actor_type=site.association, province=site.tiznit)
    profiles = open_data_author_profiles(consultation=site.consultation)
    assert {(profiles[pk].actor_type, profiles[pk].province) for pk in four} == {
        ("association", "09.811")
    }


def test_k_counts_only_published_authors(site: Site) -> None:
    five = _authors(site, 5, actor_type=site.cooperative, province=site.agadir)
    participant_erase(participant=Participant.objects.get(pk=five[0]))
    # An author of the same cell whose only contribution awaits moderation does not count.
    waiting = author(actor_type=site.cooperative, province=site.agadir)
    ContributionFactory(
        workshop=site.workshop, author=waiting, moderation_status=ModerationStatus.PENDING
    )
    profiles = open_data_author_profiles(consultation=site.consultation)
    assert set(profiles) == set(five[1:])
    assert {(profiles[pk].actor_type, profiles[pk].province) for pk in five[1:]} == {("", "")}


def test_a_subtype_is_generalised_to_its_type(site: Site) -> None:
    subtype = ActorTypeFactory(slug="cooperative-argan", parent=site.cooperative)
    five = _authors(site, 3, actor_type=subtype, province=site.agadir)
    five += _authors(site, 2, actor_type=site.cooperative, province=site.agadir)
    profiles = open_data_author_profiles(consultation=site.consultation)
    assert {profiles[pk].actor_type for pk in five} == {"cooperative"}
