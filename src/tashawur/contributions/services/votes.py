"""Votes on statements and the counters kept beside each contribution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tashawur.actors.models import Participant
from tashawur.consultations.models import Workshop
from tashawur.consultations.services import workshop_not_open_error
from tashawur.contributions.generations import consultation_votes_changed, everything_changed
from tashawur.contributions.models import (
    Contribution,
    ModerationStatus,
    Vote,
)
from tashawur.contributions.services.checks import participant_check_not_erased
from tashawur.core.errors import DomainError

_COUNTER_FIELD = {
    Vote.Value.AGREE: "agree_count",
    Vote.Value.DISAGREE: "disagree_count",
    Vote.Value.PASS: "pass_count",
}


@dataclass(frozen=True)
class Ballot:
    vote: Vote
    created: bool
    previous_value: int | None


# --- votes -----------------------------------------------------------------------------------


def _vote_value_check(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in Vote.Value.values:
        raise DomainError(
            _("A vote is agree (1), disagree (-1) or pass (0)."),
            code="vote_value_invalid",
            field="value",
        )
    return value


_COUNTERS = ("agree_count", "disagree_count", "pass_count")


def _statement_refresh(contribution: Contribution) -> str | None:
    """Read what the rules depend on afresh (the caller's object may predate a moderation),
    and the vote counters, and return the status of the statement's workshop (``None``: it has
    none), in one query.

    The workshop's row takes the shared lock of ``workshop_status_locked`` (PostgreSQL
    ``FOR SHARE``; SQLite's writing transaction is exclusive), so no vote lands in a workshop
    after it has closed."""
    if contribution.workshop_id is None:
        contribution.refresh_from_db(fields=["dimension", "moderation_status", *_COUNTERS])
        return None
    row: tuple[Any, ...] | None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.dimension, c.moderation_status, c.agree_count, c.disagree_count, "  # noqa: S608
                f"c.pass_count, w.status FROM {Contribution._meta.db_table} c "
                f"JOIN {Workshop._meta.db_table} w ON w.id = c.workshop_id "
                "WHERE c.id = %s FOR SHARE OF w",
                [contribution.pk],
            )
            row = cursor.fetchone()
    else:
        row = (
            Contribution.objects.filter(pk=contribution.pk, workshop__isnull=False)
            .values_list("dimension", "moderation_status", *_COUNTERS, "workshop__status")
            .first()
        )
    if row is None:
        raise Contribution.DoesNotExist
    (
        contribution.dimension,
        contribution.moderation_status,
        contribution.agree_count,
        contribution.disagree_count,
        contribution.pass_count,
        status,
    ) = row
    return str(status)


def _counters_move(contribution: Contribution, *, add: int, remove: int | None = None) -> None:
    """Count a vote of value ``add`` (and uncount one of value ``remove``) in one UPDATE that
    returns the new counters (PostgreSQL, and SQLite since 3.35), kept on ``contribution``:
    the vote's answer shows them without reading the row again."""
    quote = connection.ops.quote_name
    deltas = {_COUNTER_FIELD[Vote.Value(add)]: 1}
    if remove is not None:
        deltas[_COUNTER_FIELD[Vote.Value(remove)]] = -1
    assignments = ", ".join(
        f"{quote(field)} = {quote(field)} {'+' if delta > 0 else '-'} 1"
        for field, delta in deltas.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Contribution._meta.db_table)} SET {assignments} "  # noqa: S608
            f"WHERE id = %s RETURNING {', '.join(quote(field) for field in _COUNTERS)}",
            [contribution.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Contribution.DoesNotExist
    contribution.agree_count, contribution.disagree_count, contribution.pass_count = row
    consultation_votes_changed(contribution.consultation_id)


@transaction.atomic
def vote_cast(*, contribution: Contribution, participant: Participant, value: int) -> Ballot:
    """Record one participant's vote on one proposal; a second vote replaces the first.

    The counters on the contribution move in the same transaction, and ``contribution``
    carries their new values on return (no need to read it again). Two votes by
    the same participant racing each other end as one row: the loser of the insert hits the
    unique constraint (inside a savepoint), then updates the winner's row.
    """
    value = _vote_value_check(value)
    participant_check_not_erased(participant)
    status = _statement_refresh(contribution)
    if not contribution.is_votable:
        raise DomainError(_("Only proposals are put to the vote."), code="statement_not_votable")
    if contribution.moderation_status != ModerationStatus.PUBLISHED:
        raise DomainError(
            _("This statement is not published, so it cannot be voted on."),
            code="statement_not_published",
        )
    if status is not None and status != Workshop.Status.OPEN:
        raise workshop_not_open_error(status)

    for _attempt in range(3):
        # One row at most (unique together): no ORDER BY to compile, as first() would add.
        existing = next(
            iter(
                Vote.objects.select_for_update().filter(
                    contribution=contribution, participant=participant
                )[:1]
            ),
            None,
        )
        if existing is not None:
            previous = existing.value
            if previous != value:
                existing.value = value
                existing.save(update_fields=["value", "updated_at"])
                _counters_move(contribution, add=value, remove=previous)
            return Ballot(vote=existing, created=False, previous_value=previous)
        try:
            with transaction.atomic():
                vote = Vote.objects.create(
                    contribution=contribution, participant=participant, value=value
                )
                _counters_move(contribution, add=value)
            return Ballot(vote=vote, created=True, previous_value=None)
        except IntegrityError:
            continue  # a concurrent first vote by the same participant won: update it instead
    raise RuntimeError("vote_cast: the vote row kept changing under us")  # pragma: no cover


def contribution_vote_counters_recompute(*, contribution_ids: list[int] | None = None) -> int:
    """Recount agree/disagree/pass from the votes (after a bulk load); returns rows updated."""
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    def counted(vote_value: int) -> Coalesce:
        votes = (
            Vote.objects.filter(contribution=OuterRef("pk"), value=vote_value)
            .values("contribution")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(votes), 0)

    rows = Contribution.objects.all()
    if contribution_ids is not None:
        rows = rows.filter(Q(pk__in=contribution_ids))
    updated = rows.update(
        agree_count=counted(Vote.Value.AGREE),
        disagree_count=counted(Vote.Value.DISAGREE),
        pass_count=counted(Vote.Value.PASS),
    )
    everything_changed()
    return updated
