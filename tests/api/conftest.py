"""A public consultation with one open workshop, and helpers to add authors to it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tashawur.actors.models import ActorType, Participant
from tashawur.consultations.models import Consultation, Workshop
from tashawur.territories.models import Territory
from tests.actors.factories import (
    ActorTypeFactory,
    ConsentTextFactory,
    OrganisationFactory,
    ParticipantFactory,
)
from tests.consultations.factories import WorkshopFactory
from tests.territories.factories import ProvinceFactory


@dataclass
class Site:
    consultation: Consultation
    workshop: Workshop
    cooperative: ActorType
    association: ActorType
    agadir: Territory
    tiznit: Territory


@pytest.fixture
def site(db: object) -> Site:
    ConsentTextFactory()  # participation v1, published in 2018: the current text
    workshop = WorkshopFactory(meeting__consultation__slug="souss-massa-2018")
    return Site(
        consultation=workshop.meeting.consultation,
        workshop=workshop,
        cooperative=ActorTypeFactory(slug="cooperative"),
        association=ActorTypeFactory(slug="association"),
        agadir=ProvinceFactory(code="09.001", name_fr="Agadir Ida-Outanane"),
        tiznit=ProvinceFactory(code="09.811", name_fr="Tiznit"),
    )


def author(
    *,
    actor_type: ActorType | None = None,
    province: Territory | None = None,
    consented: bool = True,
    **kwargs: object,
) -> Participant:
    """A participant with a standing participation consent (unless told otherwise), a province
    and, when ``actor_type`` is given, an organisation of that type."""
    participant = ParticipantFactory(territory=province, consented=consented, **kwargs)
    if actor_type is not None:
        participant.organisations.add(OrganisationFactory(actor_type=actor_type))
    return participant


def response_bytes(response: object) -> bytes:
    """The whole body of a response, streamed (the ZIP) or not; a streamed one is closed."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)  # type: ignore[attr-defined]
