"""Votes on statements and the counters kept beside each contribution."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tashawur.actors.models import Participant
from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Consultation, Dimension, Meeting, Workshop
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


# ``Vote.Value.values`` builds its list on every read.
_VALUES = frozenset(Vote.Value.values)


def _vote_value_check(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in _VALUES:
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


@dataclass(frozen=True)
class QuickBallot:
    """A vote cast by ``vote_cast_quick``: the statement's new counters, the vote and the
    vote it replaced. The vote partial reads it as its statement (``c.pk``, ``c.agree_count``…)."""

    pk: int
    workshop_id: int
    value: int
    created: bool
    previous_value: int | None
    agree_count: int
    disagree_count: int
    pass_count: int


@functools.cache
def _quick_read_sql() -> str:
    """What the common case's checks read on SQLite (``_quick_cast``), in one statement: the
    statement, its workshop's and consultation's status, the user's participant and their vote.
    No lock to take: SQLite's writing transaction is exclusive. Written once per process."""
    quote = connection.ops.quote_name
    return (
        "SELECT c.consultation_id, c.dimension, c.moderation_status, c.agree_count, "  # noqa: S608
        "c.disagree_count, c.pass_count, w.id, w.status, k.status, p.id, p.erased_at, "
        f"(SELECT v.value FROM {quote(Vote._meta.db_table)} v "
        "WHERE v.contribution_id = c.id AND v.participant_id = p.id) "
        f"FROM {quote(Contribution._meta.db_table)} c "
        f"JOIN {quote(Workshop._meta.db_table)} w ON w.id = c.workshop_id "
        f"JOIN {quote(Meeting._meta.db_table)} m ON m.id = w.meeting_id "
        f"JOIN {quote(Consultation._meta.db_table)} k ON k.id = m.consultation_id "
        f"LEFT JOIN {quote(Participant._meta.db_table)} p ON p.user_id = %s "
        "WHERE c.id = %s"
    )


def _quick_write(
    *, contribution_id: int, participant_id: int, value: int, previous: int | None
) -> tuple[int, int, int] | None:
    """Insert or change the vote and move the counters (SQLite, whose writing transaction is
    exclusive: no race); the new counters, or ``None`` when the vote was inserted meanwhile."""
    vote_sql, counters_sql = _quick_write_sql(value, previous)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    vote_params: list[Any] = (
        [now, now, contribution_id, participant_id, value]
        if previous is None
        else [value, now, contribution_id, participant_id]
    )
    with connection.cursor() as cursor:
        cursor.execute(vote_sql, vote_params)
        if cursor.rowcount != 1:
            return None
        cursor.execute(counters_sql, [contribution_id])
        row = cursor.fetchone()
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]))


@functools.cache
def _quick_write_sql(value: int, previous: int | None) -> tuple[str, str]:
    """``_quick_write``'s statements for this vote replacing ``previous`` (``None``: a first
    vote): the vote's write, and the counters' UPDATE. Written once per process and pair."""
    quote = connection.ops.quote_name
    votes, statements = quote(Vote._meta.db_table), quote(Contribution._meta.db_table)
    moves = {_COUNTER_FIELD[Vote.Value(value)]: "+"}
    if previous is not None:
        moves[_COUNTER_FIELD[Vote.Value(previous)]] = "-"
    assignments = ", ".join(f"{quote(f)} = {quote(f)} {sign} 1" for f, sign in moves.items())
    returning = ", ".join(quote(field) for field in _COUNTERS)
    if previous is None:
        vote_sql = (
            f"INSERT INTO {votes} (created_at, updated_at, contribution_id, participant_id, value) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (contribution_id, participant_id) DO NOTHING"
        )
    else:
        vote_sql = (
            f"UPDATE {votes} SET value = %s, updated_at = %s "  # noqa: S608
            "WHERE contribution_id = %s AND participant_id = %s"
        )
    return vote_sql, (
        f"UPDATE {statements} SET {assignments} WHERE id = %s "  # noqa: S608
        f"RETURNING {returning}"
    )


@functools.cache
def _quick_cast_sql_postgresql() -> str:
    """The common case's checks and write in one PostgreSQL statement, in autocommit: no BEGIN
    and no COMMIT, one round trip instead of four. Its locks are taken in the order of
    ``vote_cast``'s (the round table shared, the vote, the statement), so neither waits on
    the other in a cycle.

    ``target`` reads the statement, its round table's and consultation's status and the user's
    participant, and takes ``workshop_status_locked``'s shared lock on the round table (a
    closing that commits first is seen: a row locked after a wait is read again as it is now);
    ``eligible`` keeps it when the common case's checks hold. ``old`` locks the participant's
    vote and the statement's row, and reads both as they are once locked: a concurrent vote by
    the same person waits, then reads the value that vote left, with the counters it left.
    ``changed`` replaces the vote when its value differs, ``inserted`` adds a first vote
    (nothing, on a conflict with a concurrent first vote: the caller runs the statement again,
    which finds that vote in ``old``), and ``moved`` moves the counters from those ``old``
    read. Not from the statement's own snapshot of the row: PostgreSQL checks the counters'
    CHECK constraints on the row computed from the snapshot before it finds that another vote
    changed it (and computes it again), so a vote changed meanwhile would be refused as a
    negative counter."""
    quote = connection.ops.quote_name
    votes, statements = quote(Vote._meta.db_table), quote(Contribution._meta.db_table)
    moves = ", ".join(
        f"{quote(field)} = COALESCE((SELECT {quote(field)} FROM old), c.{quote(field)}) "  # noqa: S608
        f"+ CASE WHEN %(value)s = {int(value)} THEN 1 ELSE 0 END "
        f"- CASE WHEN (SELECT previous FROM changed) = {int(value)} THEN 1 ELSE 0 END"
        for value, field in _COUNTER_FIELD.items()
    )
    counters = ", ".join(f"c.{quote(field)}" for field in _COUNTERS)
    return (
        "WITH target AS MATERIALIZED ("  # noqa: S608
        "SELECT c.id, c.consultation_id, c.dimension, c.moderation_status, "
        "w.id AS workshop_id, w.status AS workshop_status, k.status AS consultation_status, "
        "p.id AS participant_id, p.erased_at "
        f"FROM {statements} c "
        f"JOIN {quote(Workshop._meta.db_table)} w ON w.id = c.workshop_id "
        f"JOIN {quote(Meeting._meta.db_table)} m ON m.id = w.meeting_id "
        f"JOIN {quote(Consultation._meta.db_table)} k ON k.id = m.consultation_id "
        f"LEFT JOIN {quote(Participant._meta.db_table)} p ON p.user_id = %(user)s "
        "WHERE c.id = %(statement)s FOR SHARE OF w), "
        "eligible AS MATERIALIZED (SELECT * FROM target "
        "WHERE dimension = %(proposal)s AND moderation_status = %(published)s "
        "AND workshop_status = %(open)s AND consultation_status <> %(draft)s "
        "AND participant_id IS NOT NULL AND erased_at IS NULL), "
        f"old AS MATERIALIZED (SELECT v.id, v.value, {counters} FROM {votes} v "
        "JOIN eligible e ON v.contribution_id = e.id AND v.participant_id = e.participant_id "
        f"JOIN {statements} c ON c.id = v.contribution_id "
        "FOR UPDATE OF v FOR NO KEY UPDATE OF c), "
        f"changed AS (UPDATE {votes} v SET value = %(value)s, updated_at = %(now)s FROM old "
        "WHERE v.id = old.id AND old.value <> %(value)s RETURNING old.value AS previous), "
        f"inserted AS (INSERT INTO {votes} "
        "(created_at, updated_at, contribution_id, participant_id, value) "
        "SELECT %(now)s, %(now)s, e.id, e.participant_id, %(value)s FROM eligible e "
        "WHERE NOT EXISTS (SELECT 1 FROM old) "
        "ON CONFLICT (contribution_id, participant_id) DO NOTHING RETURNING 1), "
        f"moved AS (UPDATE {statements} c SET {moves} WHERE c.id = %(statement)s "
        "AND (EXISTS (SELECT 1 FROM changed) OR EXISTS (SELECT 1 FROM inserted)) "
        f"RETURNING {counters}) "
        "SELECT e.consultation_id, e.workshop_id, "
        f"{', '.join(f'o.{quote(field)}' for field in _COUNTERS)}, "
        "o.value, EXISTS (SELECT 1 FROM inserted), "
        f"{', '.join(f'moved.{quote(field)}' for field in _COUNTERS)} "
        "FROM eligible e LEFT JOIN old o ON TRUE LEFT JOIN moved ON TRUE"
    )


def _quick_cast_postgresql(
    *, contribution_id: int, user_id: int, value: int
) -> tuple[QuickBallot, int] | None:
    params: dict[str, Any] = {
        "user": user_id,
        "statement": contribution_id,
        "value": value,
        "now": timezone.now(),
        "proposal": Dimension.PROPOSAL.value,
        "published": ModerationStatus.PUBLISHED.value,
        "open": Workshop.Status.OPEN.value,
        "draft": Consultation.Status.DRAFT.value,
    }
    sql = _quick_cast_sql_postgresql()
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        consultation_id, workshop_id, *read, previous, created, agree, disagree, passed = row
        if previous == value:
            # Nothing written: the counters as read under the vote's lock.
            agree, disagree, passed = read
        elif agree is None:
            continue  # a concurrent first vote by the same participant won: run it again
        ballot = QuickBallot(
            pk=contribution_id,
            workshop_id=workshop_id,
            value=value,
            created=bool(created),
            previous_value=previous,
            agree_count=int(agree),
            disagree_count=int(disagree),
            pass_count=int(passed),
        )
        return ballot, consultation_id
    raise RuntimeError("vote_cast_quick: the vote row kept changing under us")  # pragma: no cover


def vote_cast_quick(*, contribution_id: int, user: Any, value: int) -> QuickBallot | None:
    """``vote_cast`` for the common case, with the checks of ``contribution_get_for_user`` and
    the vote view read in the same statement: a signed-in user with a participant, not erased,
    votes on a published proposal of an open round table whose consultation is not a draft.
    One statement on PostgreSQL (``_quick_cast_sql_postgresql``: the locks, the checks and the
    write, in autocommit), three in a transaction on SQLite, all raw SQL: a vote is the most
    frequent write of a national event, and building the ORM's queries and the round trips to
    the database cost most of its CPU (issue 15, item 1).

    ``None``, with nothing written, for every other case (no such statement, a draft, a
    moderator's or author's unpublished statement, a closed round table, no participant…):
    the caller then takes the full path (``contribution_get_for_user``, the rules,
    ``vote_cast``), whose rules and messages answer it."""
    value = _vote_value_check(value)
    if not consultation_rules.is_signed_in(user):
        return None
    if connection.vendor == "postgresql":
        cast = _quick_cast_postgresql(contribution_id=contribution_id, user_id=user.pk, value=value)
    else:
        with transaction.atomic():
            cast = _quick_cast(contribution_id=contribution_id, user_id=user.pk, value=value)
    if cast is None:
        return None
    ballot, consultation_id = cast
    if ballot.previous_value != ballot.value:
        # After the commit (in autocommit, one cache round trip instead of two).
        consultation_votes_changed(consultation_id)
    return ballot


def _quick_cast(
    *, contribution_id: int, user_id: int, value: int
) -> tuple[QuickBallot, int] | None:
    """SQLite's ``vote_cast_quick``, inside its transaction."""
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(_quick_read_sql(), [user_id, contribution_id])
            row = cursor.fetchone()
        if row is None:
            return None
        (
            consultation_id,
            dimension,
            moderation_status,
            *counters,
            workshop_id,
            workshop_status,
            consultation_status,
            participant_id,
            erased_at,
            previous,
        ) = row
        if (
            dimension != Dimension.PROPOSAL
            or moderation_status != ModerationStatus.PUBLISHED
            or workshop_status != Workshop.Status.OPEN
            or consultation_status == Consultation.Status.DRAFT
            or participant_id is None
            or erased_at is not None
        ):
            return None
        if previous == value:
            agree, disagree, passed = counters
        else:
            moved = _quick_write(
                contribution_id=contribution_id,
                participant_id=participant_id,
                value=value,
                previous=previous,
            )
            if moved is None:
                continue  # a concurrent first vote by the same participant won: read it again
            agree, disagree, passed = moved
        ballot = QuickBallot(
            pk=contribution_id,
            workshop_id=workshop_id,
            value=value,
            created=previous is None,
            previous_value=previous,
            agree_count=agree,
            disagree_count=disagree,
            pass_count=passed,
        )
        return ballot, consultation_id
    raise RuntimeError("vote_cast_quick: the vote row kept changing under us")  # pragma: no cover


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
