"""Reads of contributions and votes that need rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from tashawur.actors.models import Participant
from tashawur.consultations import rules
from tashawur.consultations.models import Dimension, Workshop
from tashawur.contributions.models import Contribution, ModerationStatus, Vote
from tashawur.core.errors import DomainError


def _is_own(user: Any, contribution: Contribution) -> bool:
    participant = getattr(user, "participant", None) if user.is_authenticated else None
    return participant is not None and contribution.author_id == participant.pk


def contribution_get_for_user(*, contribution_id: int, user: Any) -> Contribution:
    """A contribution the user may see: published ones where the workshop is visible; pending
    or rejected ones only for their author and those who moderate the workshop."""
    contribution = (
        Contribution.objects.select_related(
            "workshop__meeting__consultation", "consultation", "theme", "author"
        )
        .filter(pk=contribution_id)
        .first()
    )
    if contribution is None:
        raise Http404
    workshop = contribution.workshop
    if workshop is not None and not rules.can_view_workshop(user, workshop):
        raise PermissionDenied
    if contribution.moderation_status != ModerationStatus.PUBLISHED:
        may_moderate = workshop is not None and rules.can_moderate(user, workshop)
        if not (may_moderate or _is_own(user, contribution)):
            raise Http404
    return contribution


def workshop_contributions(
    *, workshop: Workshop, user: Any, dimension: str | None = None
) -> QuerySet[Contribution]:
    """The workshop's contributions the user may read, newest first; moderators also see
    pending and rejected ones. ``dimension`` (``""`` or ``None`` for all) must be a dimension."""
    if not rules.can_view_workshop(user, workshop):
        raise PermissionDenied
    contributions = Contribution.objects.filter(workshop=workshop).select_related(
        "theme", "author", "territory"
    )
    if not rules.can_moderate(user, workshop):
        contributions = contributions.filter(moderation_status=ModerationStatus.PUBLISHED)
    if dimension:
        if dimension not in Dimension.values:
            raise DomainError(
                _("“%(dimension)s” is not a dimension of the diagnosis.")
                % {"dimension": dimension},
                code="dimension_invalid",
                field="dimension",
            )
        contributions = contributions.filter(dimension=dimension)
    return contributions.order_by("-created_at", "-id")


def participant_votes_on(
    *, participant: Participant | None, contributions: Iterable[Contribution] | QuerySet[Any]
) -> dict[int, int]:
    """``{contribution id: vote value}`` for the participant's votes on these contributions."""
    if participant is None:
        return {}
    # Iterating fills a queryset's cache, so the page that renders it next queries nothing more.
    ids = [contribution.pk for contribution in contributions]
    return dict(
        Vote.objects.filter(participant=participant, contribution__in=ids).values_list(
            "contribution_id", "value"
        )
    )
