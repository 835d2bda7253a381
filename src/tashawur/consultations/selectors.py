"""Reads that need rules. Views call these instead of ``Model.objects.get`` on user input."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from tashawur.actors.models import ActorType, Organisation, Participant
from tashawur.consultations import rules
from tashawur.consultations.models import (
    Attendance,
    Consultation,
    Meeting,
    Registration,
    Workshop,
)


def _consultation_check_visible(user: Any, consultation: Consultation) -> None:
    if consultation.status == Consultation.Status.DRAFT and not rules.can_manage_consultation(
        user, consultation
    ):
        raise PermissionDenied


def consultation_get_for_user(*, slug: str, user: Any) -> Consultation:
    consultation = (
        Consultation.objects.select_related("region", "strategy").filter(slug=slug).first()
    )
    if consultation is None:
        raise Http404
    _consultation_check_visible(user, consultation)
    return consultation


def meeting_get_for_user(*, slug: str, user: Any) -> Meeting:
    meeting = (
        Meeting.objects.select_related(
            "consultation__region", "consultation__strategy", "territory"
        )
        .filter(slug=slug)
        .first()
    )
    if meeting is None:
        raise Http404
    _consultation_check_visible(user, meeting.consultation)
    return meeting


def workshop_get_for_user(*, workshop_id: int, user: Any) -> Workshop:
    workshop = (
        Workshop.objects.select_related(
            "meeting__consultation__region", "theme", "facilitator", "rapporteur"
        )
        .filter(pk=workshop_id)
        .first()
    )
    if workshop is None:
        raise Http404
    if not rules.can_view_workshop(user, workshop):
        raise PermissionDenied
    return workshop


def workshop_roster_by_actor_type(*, workshop: Workshop) -> list[tuple[ActorType, int]]:
    """How many people on the roster belong to each actor type (subtypes count under their
    type), most numerous first. A person with organisations of two types counts once in each;
    a person without an organisation is not counted here."""
    pairs = set(
        Attendance.objects.filter(workshop=workshop)
        .filter(participant__organisations__isnull=False)
        .values_list(
            "participant_id",
            "participant__organisations__actor_type_id",
            "participant__organisations__actor_type__parent_id",
        )
    )
    per_type = {(participant_id, parent or own) for participant_id, own, parent in pairs}
    counts = Counter(type_id for _, type_id in per_type)
    types = ActorType.objects.in_bulk(list(counts))
    return sorted(
        ((types[type_id], n) for type_id, n in counts.items()),
        key=lambda item: (-item[1], item[0].position, item[0].slug),
    )


def workshop_speakers(*, workshop: Workshop) -> QuerySet[Participant]:
    """Whom a facilitator may name as the speaker of a contribution: the people on the
    workshop's roster first, then the others registered for its meeting, by name; erased
    participants are left out. One query, each person once (``attends`` says which group)."""
    attends = Attendance.objects.filter(workshop=workshop, participant=OuterRef("pk"))
    registered = Registration.objects.filter(
        meeting_id=workshop.meeting_id,
        participant=OuterRef("pk"),
        status=Registration.Status.REGISTERED,
    )
    return (
        Participant.objects.filter(erased_at__isnull=True)
        .annotate(attends=Exists(attends))
        .filter(Q(attends=True) | Exists(registered))
        .order_by("-attends", "display_name", "pk")
    )


#: How many speakers the facilitator's picker shows at once: enough for a round table, short
#: enough to read on a phone; a search narrows the rest.
SPEAKERS_SHOWN = 20


def workshop_speakers_search(
    *, workshop: Workshop, query: str = "", limit: int = SPEAKERS_SHOWN, only: int | None = None
) -> list[Participant]:
    """The first ``limit`` of ``workshop_speakers`` whose name, organisation or actor type (the
    person's own or their organisations', in Arabic, French or English) holds every word of
    ``query``; people on the roster first. ``only``: that one person, if they are a speaker.
    Organisations and their actor types are loaded with them, for the picker to show."""
    speakers = workshop_speakers(workshop=workshop)
    if only is not None:
        speakers = speakers.filter(pk=only)
    for word in query.split()[:5]:
        organisations = Organisation.objects.filter(participants=OuterRef("pk")).filter(
            Q(name__icontains=word)
            | Q(name_fr__icontains=word)
            | Q(actor_type__label_ar__icontains=word)
            | Q(actor_type__label_fr__icontains=word)
            | Q(actor_type__label_en__icontains=word)
        )
        speakers = speakers.filter(
            Q(display_name__icontains=word)
            | Q(actor_type__label_ar__icontains=word)
            | Q(actor_type__label_fr__icontains=word)
            | Q(actor_type__label_en__icontains=word)
            | Exists(organisations)
        )
    return list(
        speakers.select_related("actor_type").prefetch_related(
            Prefetch(
                "organisations",
                queryset=Organisation.objects.select_related("actor_type").order_by("name"),
            )
        )[:limit]
    )
