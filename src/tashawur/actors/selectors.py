"""Reads that need rules: whose data a participant may export ("My data", Law 09-08), and the
actor type that describes a participant in public.

The export itself reaches contributions and consultations, which sit above actors: it is
assembled in ``tashawur.web.exports``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tashawur.actors.models import Participant
from tashawur.core.errors import DomainError


def participants_actor_type(participant_ids: Iterable[int] | QuerySet[Any]) -> dict[int, str]:
    """Each participant's actor type as the diagnosis and open data describe them: that of
    their first organisation by name (as ``Participant.primary_organisation``), generalised from
    subtype to type (finer classes would mostly be suppressed anyway). Participants without an
    organisation are left out. One query."""
    memberships = (
        Participant.organisations.through.objects.filter(participant_id__in=participant_ids)
        .order_by("participant_id", "organisation__name", "organisation_id")
        .values_list(
            "participant_id",
            "organisation__actor_type__slug",
            "organisation__actor_type__parent__slug",
        )
    )
    actor_types: dict[int, str] = {}
    for participant_id, slug, parent_slug in memberships:
        actor_types.setdefault(participant_id, parent_slug or slug or "")
    return actor_types


def participant_get_for_export(*, user: Any) -> Participant:
    """The participant whose data ``user`` may export: only their own, never anyone else's.

    Raises ``DomainError`` (``participant_missing`` or ``participant_erased``) with a message for
    the person when there is nothing to export.
    """
    participant: Participant | None = (
        getattr(user, "participant", None) if user.is_authenticated else None
    )
    if participant is None:
        raise DomainError(
            _(
                "Your account is not linked to a participant: this platform holds no "
                "participation data about you to export."
            ),
            code="participant_missing",
        )
    if participant.erased_at is not None:
        raise DomainError(
            _("Your data has been erased: there is nothing left to export."),
            code="participant_erased",
        )
    return participant
