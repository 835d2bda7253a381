"""Reads of contributions and votes that need rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tashawur.actors.models import ActorType, Consent, ConsentText, Participant
from tashawur.actors.selectors import participants_actor_type
from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Consultation, Dimension, Meeting, Workshop
from tashawur.contributions import rules
from tashawur.contributions.citations import ReportPart, report_citations, report_parts
from tashawur.contributions.generations import (
    consultation_data_generation,
    consultations_votes_generations,
)
from tashawur.contributions.models import (
    Contribution,
    ContributionFlag,
    ModerationEvent,
    ModerationReason,
    ModerationStatus,
    Vote,
)
from tashawur.core.caching import cached_build, cached_many, version_key
from tashawur.core.errors import DomainError
from tashawur.core.privacy import anonymity_k, groups_shown
from tashawur.core.raw_rows import ModelColumns
from tashawur.territories.models import Territory


def _is_own(user: Any, contribution: Contribution) -> bool:
    participant = getattr(user, "participant", None) if user.is_authenticated else None
    return participant is not None and contribution.author_id == participant.pk


def contribution_get_for_user(*, contribution_id: int, user: Any) -> Contribution:
    """A contribution the user may see: published ones where the workshop is visible; pending
    or rejected ones only for their author and those who moderate the workshop."""
    # What the rules and the callers read (its workshop's consultation, its consultation's
    # slug); no more: each related table joined costs every vote CPU (issue 15, item 1).
    # get(), not first(): no ORDER BY to compile for a primary key (a vote's CPU).
    try:
        contribution = Contribution.objects.select_related(
            "workshop__meeting__consultation", "consultation"
        ).get(pk=contribution_id)
    except Contribution.DoesNotExist:
        raise Http404 from None
    workshop = contribution.workshop
    if workshop is not None and not consultation_rules.can_view_workshop(user, workshop):
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
    pending and rejected ones, and authors their own. ``dimension`` (``""`` or ``None`` for
    all) must be a dimension."""
    if not consultation_rules.can_view_workshop(user, workshop):
        raise PermissionDenied
    contributions = Contribution.objects.filter(workshop=workshop).select_related(
        "theme", "author", "territory"
    )
    if not rules.can_moderate(user, workshop):
        # Authors also see their own pending and rejected contributions, with their status.
        participant = getattr(user, "participant", None) if user.is_authenticated else None
        visible = Q(moderation_status=ModerationStatus.PUBLISHED)
        if participant is not None:
            visible |= Q(author=participant)
        contributions = contributions.filter(visible)
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


def _workshop_visible_where(workshop: Workshop, user: Any) -> tuple[str, list[Any]]:
    """The WHERE clause of ``workshop_contributions`` (no dimension) on the alias ``c``."""
    if not consultation_rules.can_view_workshop(user, workshop):
        raise PermissionDenied
    where = "c.workshop_id = %s"
    params: list[Any] = [workshop.pk]
    if not rules.can_moderate(user, workshop):
        participant = getattr(user, "participant", None) if user.is_authenticated else None
        if participant is None:
            where += " AND c.moderation_status = %s"
            params.append(ModerationStatus.PUBLISHED.value)
        else:
            where += " AND (c.moderation_status = %s OR c.author_id = %s)"
            params += [ModerationStatus.PUBLISHED.value, participant.pk]
    return where, params


def workshop_contributions_counted(*, workshop: Workshop, user: Any) -> dict[str, int]:
    """``{dimension: how many}`` of ``workshop_contributions`` (dimensions with none absent),
    in hand-written SQL: the ORM's build of the same filters cost the round table's page more
    than the query (issue 15, item 1)."""
    where, params = _workshop_visible_where(workshop, user)
    table = connection.ops.quote_name(Contribution._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.dimension, COUNT(*) FROM {table} c WHERE {where} "  # noqa: S608
            "GROUP BY c.dimension",
            params,
        )
        return dict(cursor.fetchall())


_CONTRIBUTION_COLUMNS = ModelColumns(Contribution, "c")


def workshop_contributions_slice(
    *, workshop: Workshop, user: Any, dimension: str | None, offset: int, limit: int
) -> list[Contribution]:
    """``workshop_contributions(...)[offset:offset + limit]`` (``dimension`` already checked),
    its rows alone (no related row), in hand-written SQL as ``workshop_contributions_counted``."""
    where, params = _workshop_visible_where(workshop, user)
    if dimension:
        where += " AND c.dimension = %s"
        params.append(dimension)
    table = connection.ops.quote_name(Contribution._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_CONTRIBUTION_COLUMNS.sql()} FROM {table} c WHERE {where} "  # noqa: S608
            "ORDER BY c.created_at DESC, c.id DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        rows = cursor.fetchall()
    return [c for row in rows if (c := _CONTRIBUTION_COLUMNS.build(row)) is not None]


@dataclass(frozen=True)
class ReaderMarks:
    """What a round table's page shows of its reader beside the cards (``reader_marks``)."""

    #: ``{contribution id: vote value}`` of the reader's votes on the cards.
    votes: dict[int, int]
    #: The cards the reader reported.
    flagged: set[int]
    #: Whether the reader stands by the participation text in force (``None``: not asked).
    consents: bool | None
    #: The participation text in force (``None``: none published yet).
    consent_text_id: int | None


def reader_marks(
    *,
    participant: Participant | None,
    contribution_ids: list[int],
    votes: bool,
    flags: bool,
    consent: bool,
) -> ReaderMarks:
    """In one query: the participant's votes on ``contribution_ids`` (``votes``), those they
    reported (``flags``), whether they consent to the participation text in force
    (``consent``: ``participant_has_active_consent``) and that text's id — four queries of the
    round table's page before (issue 15, item 1)."""
    quote = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    current = (
        f"SELECT t.id FROM {quote(ConsentText._meta.db_table)} t "  # noqa: S608
        "WHERE t.purpose = %s AND t.published_at <= %s ORDER BY t.version DESC LIMIT 1"
    )
    purpose = ConsentText.Purpose.PARTICIPATION.value
    # Typed NULLs: PostgreSQL matches each column's type across the branches.
    none = "CAST(NULL AS INTEGER)"
    parts = [f"SELECT 't', ({current}), {none}"]
    params: list[Any] = [purpose, now]
    if participant is not None and consent:
        parts.append(
            "SELECT 'c', (SELECT CASE WHEN a.granted THEN 1 ELSE 0 END "  # noqa: S608
            f"FROM {quote(Consent._meta.db_table)} a WHERE a.participant_id = %s "
            f"AND a.consent_text_id = ({current}) AND a.withdrawn_at IS NULL "
            f"ORDER BY a.id LIMIT 1), {none}"
        )
        params += [participant.pk, purpose, now]
    ids = [int(pk) for pk in contribution_ids]
    if participant is not None and ids:
        among = ", ".join(["%s"] * len(ids))
        if votes:
            parts.append(
                "SELECT 'v', v.contribution_id, CAST(v.value AS INTEGER) "  # noqa: S608
                f"FROM {quote(Vote._meta.db_table)} v "
                f"WHERE v.participant_id = %s AND v.contribution_id IN ({among})"
            )
            params += [participant.pk, *ids]
        if flags:
            parts.append(
                f"SELECT 'f', f.contribution_id, {none} "  # noqa: S608
                f"FROM {quote(ContributionFlag._meta.db_table)} f "
                f"WHERE f.participant_id = %s AND f.contribution_id IN ({among})"
            )
            params += [participant.pk, *ids]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    found_votes: dict[int, int] = {}
    flagged: set[int] = set()
    consents: bool | None = None
    consent_text_id: int | None = None
    for kind, key, value in rows:
        if kind == "t":
            consent_text_id = key
        elif kind == "c":
            consents = None if key is None else bool(key)
        elif kind == "v":
            found_votes[key] = value
        else:
            flagged.add(key)
    return ReaderMarks(
        votes=found_votes, flagged=flagged, consents=consents, consent_text_id=consent_text_id
    )


def _count(queryset: QuerySet[Any], outer: str) -> Coalesce:
    """An exact count as a correlated subquery: joining several one-to-many relations in one
    query would multiply rows (and the counts with them)."""
    counted = (
        queryset.filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _votes_counted(outer: str) -> Coalesce:
    """The votes on the published contributions, summed from the counters each contribution
    keeps (``vote_cast`` moves them in the vote's transaction): a walk over the
    consultation's contributions, by index, rather than over every one of its votes."""
    counted = (
        Contribution.objects.published()
        .filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(n=Sum(F("agree_count") + F("disagree_count") + F("pass_count")))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def consultation_list_with_counts() -> QuerySet[Consultation]:
    """Consultations open to the public, with exact counts of meetings, workshops, published
    contributions and votes on them (the votes from the contributions' counters)."""
    return (
        Consultation.objects.exclude(status=Consultation.Status.DRAFT)
        .select_related("region", "strategy")
        .annotate(
            meetings_count=_count(Meeting.objects.all(), "consultation"),
            workshops_count=_count(Workshop.objects.all(), "meeting__consultation"),
            contributions_count=_count(Contribution.objects.published(), "consultation"),
            votes_count=_votes_counted("consultation"),
        )
        .order_by("region__code", "pk")
    )


def consultation_list_with_cached_counts(*, pk: int | None = None) -> list[Consultation]:
    """``consultation_list_with_counts`` (or the consultation ``pk`` alone, if public) without
    reading the contributions on each request: the published contributions and their votes are
    counted once per generation of each consultation's contributions and vote counters
    (``contributions.generations``) and cached; the meetings and round tables are counted
    live (a few rows)."""
    consultations = (
        Consultation.objects.exclude(status=Consultation.Status.DRAFT)
        .select_related("region", "strategy")
        .annotate(
            meetings_count=_count(Meeting.objects.all(), "consultation"),
            workshops_count=_count(Workshop.objects.all(), "meeting__consultation"),
        )
        .order_by("region__code", "pk")
    )
    if pk is not None:
        consultations = consultations.filter(pk=pk)
    rows: list[Consultation] = list(consultations)
    tokens = consultations_votes_generations(c.pk for c in rows)
    keys = {c.pk: version_key("consultation-counts", c.pk, *tokens[c.pk]) for c in rows}

    def count(ids: list[int]) -> dict[int, tuple[int, int]]:
        counted = dict.fromkeys(ids, (0, 0))
        for consultation_id, n, votes in (
            Contribution.objects.published()
            .filter(consultation_id__in=ids)
            .order_by()
            .values("consultation_id")
            .annotate(
                n=Count("pk"), counted=Sum(F("agree_count") + F("disagree_count") + F("pass_count"))
            )
            .values_list("consultation_id", "n", "counted")
        ):
            counted[consultation_id] = (n, votes or 0)
        return counted

    counts = cached_many(keys, count)
    for consultation in rows:
        consultation.contributions_count, consultation.votes_count = counts[consultation.pk]  # type: ignore[attr-defined]
    return rows


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


def contributions_rejections(
    *, contributions: Iterable[Contribution]
) -> dict[int, ModerationEvent]:
    """``{contribution id: its latest rejection}`` for the rejected ones among
    ``contributions`` (what their authors and moderators read: the reason and the note)."""
    ids = [c.pk for c in contributions if c.moderation_status == ModerationStatus.REJECTED]
    if not ids:
        return {}
    latest: dict[int, ModerationEvent] = {}
    events = ModerationEvent.objects.filter(
        contribution__in=ids, action=ModerationEvent.Action.REJECT
    ).order_by("contribution_id", "-at", "-id")
    for event in events:
        latest.setdefault(event.contribution_id, event)
    return latest


def participant_flagged(
    *, participant: Participant | None, contributions: Iterable[Contribution]
) -> set[int]:
    """The ids of ``contributions`` that the participant has reported."""
    if participant is None:
        return set()
    ids = [c.pk for c in contributions]
    return set(
        ContributionFlag.objects.filter(participant=participant, contribution__in=ids).values_list(
            "contribution_id", flat=True
        )
    )


# -- the moderation queue ------------------------------------------------------------------------

#: The queue's status filters: what needs a decision (pending or reported) by default.
QUEUE_FILTERS = ("to_review", "pending", "flagged", "published", "rejected", "all")


def consultation_get_for_moderator(*, slug: str, user: Any) -> Consultation:
    """The consultation whose queue the user may open (404 for none, 403 for a non-moderator)."""
    consultation = Consultation.objects.select_related("region").filter(slug=slug).first()
    if consultation is None:
        raise Http404
    if not rules.can_moderate_consultation(user, consultation):
        raise PermissionDenied
    return consultation


def moderation_workshops(*, consultation: Consultation, user: Any) -> QuerySet[Workshop]:
    """The consultation's workshops whose contributions the user moderates: all for its
    managers, their own for facilitators."""
    workshops = Workshop.objects.filter(meeting__consultation=consultation).select_related(
        "meeting"
    )
    if not consultation_rules.can_manage_consultation(user, consultation):
        workshops = (
            workshops.filter(facilitator=user) if user.is_authenticated else workshops.none()
        )
    return workshops.order_by("meeting__starts_at", "position", "pk")


def moderation_queue(
    *,
    consultation: Consultation,
    user: Any,
    workshop_id: int | None = None,
    status: str = "to_review",
) -> QuerySet[Contribution]:
    """The contributions the user moderates in ``consultation``, each with ``open_flags`` (its
    reports not yet resolved): pending ones first (oldest first), then the most reported.
    ``workshop_id`` must be one of the user's ``moderation_workshops``; ``status`` one of
    ``QUEUE_FILTERS``."""
    if status not in QUEUE_FILTERS:
        raise DomainError(
            _("“%(status)s” is not a filter of the moderation queue.") % {"status": status},
            code="queue_filter_invalid",
            field="status",
        )
    workshops = moderation_workshops(consultation=consultation, user=user)
    scope = Q(workshop__in=workshops)
    if consultation_rules.can_manage_consultation(user, consultation):
        scope |= Q(workshop__isnull=True)  # imports, outside any workshop
    if workshop_id is not None:
        if not workshops.filter(pk=workshop_id).exists():
            raise DomainError(
                _("You do not moderate this workshop, or it is not part of this consultation."),
                code="queue_workshop_invalid",
                field="workshop",
            )
        scope = Q(workshop_id=workshop_id)
    open_flags = ContributionFlag.objects.filter(resolved_at__isnull=True)
    contributions = (
        Contribution.objects.filter(scope, consultation=consultation)
        .select_related("workshop", "theme")
        .annotate(open_flags=_count(open_flags, "contribution"))
    )
    pending = Q(moderation_status=ModerationStatus.PENDING)
    flagged = Q(moderation_status=ModerationStatus.PUBLISHED, open_flags__gt=0)
    filters = {
        "to_review": pending | flagged,
        "pending": pending,
        "flagged": flagged,
        "published": Q(moderation_status=ModerationStatus.PUBLISHED),
        "rejected": Q(moderation_status=ModerationStatus.REJECTED),
        "all": Q(),
    }
    return contributions.filter(filters[status]).order_by(
        Case(When(pending, then=0), default=1),
        "-open_flags",
        "created_at",
        "pk",
    )


def flags_by_reason(*, contributions: Iterable[Contribution]) -> dict[int, list[tuple[str, int]]]:
    """``{contribution id: [(reason label, count), …]}`` of the open reports on them."""
    ids = [c.pk for c in contributions]
    rows = (
        ContributionFlag.objects.filter(contribution__in=ids, resolved_at__isnull=True)
        .values_list("contribution_id", "reason")
        .annotate(n=Count("pk"))
        .order_by("contribution_id", "-n", "reason")
    )
    labels = dict(ModerationReason.choices)
    result: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for contribution_id, reason, n in rows:
        result[contribution_id].append((str(labels.get(reason, reason)), n))
    return dict(result)


def contribution_get_for_moderation(
    *, consultation: Consultation, contribution_id: int, user: Any
) -> Contribution:
    """A contribution of ``consultation`` that the user moderates (404 when it belongs to
    another consultation or does not exist, 403 when another workshop's)."""
    contribution = (
        Contribution.objects.select_related("workshop__meeting__consultation", "consultation")
        .filter(pk=contribution_id, consultation=consultation)
        .first()
    )
    if contribution is None:
        raise Http404
    if not rules.can_moderate_contribution(user, contribution):
        raise PermissionDenied
    return contribution


# -- who may be described in public -------------------------------------------------------------


def _participation_consent_current_id() -> Subquery:
    return Subquery(
        ConsentText.objects.filter(
            purpose=ConsentText.Purpose.PARTICIPATION, published_at__lte=timezone.now()
        )
        .order_by("-version")
        .values("pk")[:1]
    )


def consultation_contributions_public(*, consultation: Consultation) -> QuerySet[Contribution]:
    """The contributions of ``consultation`` that may be published, oldest first: published by
    moderation, and either without an author (recorded for the room) or by an author who once
    granted the participation consent (the import, offline and API channels do not ask)."""
    consented_once = Consent.objects.filter(
        participant=OuterRef("author"),
        consent_text__purpose=ConsentText.Purpose.PARTICIPATION,
        granted=True,
    )
    return (
        Contribution.objects.published()
        .filter(consultation=consultation)
        .filter(Q(author__isnull=True) | Exists(consented_once))
        .order_by("created_at", "pk")
    )


def consultation_contributions_linked(*, consultation: Consultation) -> QuerySet[Contribution]:
    """The public contributions whose author may still be described (by a pseudonym, an actor
    type, a province): not erased, standing by their consent to the current participation text.
    That text says that after a withdrawal or an erasure "my contributions stay published, with
    no link to my identity"."""
    consented = Consent.objects.filter(
        participant=OuterRef("author"),
        consent_text=_participation_consent_current_id(),
        granted=True,
        withdrawn_at__isnull=True,
    )
    return (
        consultation_contributions_public(consultation=consultation)
        .filter(author__isnull=False, author__erased_at__isnull=True)
        .filter(Exists(consented))
    )


@dataclass(frozen=True)
class AuthorCell:
    """What the public may read about an author: their actor type (a slug) and province (a
    territory code), both empty when fewer than k authors of the consultation share them."""

    actor_type: str
    province: str

    def __bool__(self) -> bool:
        return bool(self.actor_type or self.province)


def consultation_author_cells(
    *, consultation: Consultation, k: int | None = None
) -> dict[int, AuthorCell]:
    """Actor type and province of every author of ``consultation`` who may be described
    (``consultation_contributions_linked``), by participant id, in two queries whatever the
    number of authors. When fewer than ``k`` (default ``anonymity_k()``) of these authors share
    an (actor type, province) combination, both are dropped for each of them: open data and the
    public pages read this one answer."""
    author_ids = consultation_contributions_linked(consultation=consultation).values("author_id")
    provinces = dict(
        Participant.objects.filter(pk__in=author_ids).values_list("pk", "territory__code")
    )
    actor_types = participants_actor_type(author_ids)
    combination = {
        pk: (actor_types.get(pk, ""), province or "") for pk, province in provinces.items()
    }
    members: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, cell in combination.items():
        members[cell].append(pk)
    shown = groups_shown(members, k=anonymity_k() if k is None else k)
    return {
        pk: AuthorCell(*cell) if cell in shown else AuthorCell("", "")
        for pk, cell in combination.items()
    }


@dataclass(frozen=True)
class AuthorDescription:
    """An author as a public page may describe them: labels, in the active language."""

    actor_type: str
    province: str


def contributions_authors_described(
    *,
    consultation: Consultation,
    contributions: Iterable[Contribution],
    consent_text_in_force: list[int] | None = None,
) -> dict[int, AuthorDescription]:
    """By contribution id, the actor type and province of its author that the public may read
    (``consultation_author_cells``: none when fewer than k authors of the consultation share
    them, nor for an author who is erased or withdrew consent). Contributions whose author may
    not be described are absent. A few queries, whatever the number of contributions; cached
    under the consultation's data generation (its contributions, their authors' profiles,
    consents and erasures), the participation text in force, k and the language, so that a
    page of cards does not read every author of the consultation again (issue 15, item 1)."""
    # The author of each: one author's change bumps the generation, but which contributions
    # are on the page (and whose they are) is the caller's.
    authored = tuple((c.pk, c.author_id) for c in contributions)
    if not authored:
        return {}
    data, everywhere = consultation_data_generation(consultation.pk)
    # The text in force moves with time alone when a new one was published ahead of its date
    # (``consent_text_in_force``: its id as the caller read it just now, ``reader_marks``;
    # ``[]``: none published).
    in_force = (
        list(
            ConsentText.objects.filter(
                purpose=ConsentText.Purpose.PARTICIPATION, published_at__lte=timezone.now()
            )
            .order_by("-version")
            .values_list("pk", flat=True)[:1]
        )
        if consent_text_in_force is None
        else consent_text_in_force
    )
    key = version_key(
        "authors-described",
        consultation.pk,
        data,
        everywhere,
        in_force,
        anonymity_k(),
        get_language(),
        authored,
    )
    return cached_build(
        key,
        lambda: _contributions_authors_described(consultation, authored),
        timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS),
    )


def _contributions_authors_described(
    consultation: Consultation, authored: tuple[tuple[int, int | None], ...]
) -> dict[int, AuthorDescription]:
    cells = consultation_author_cells(consultation=consultation)
    described = {
        pk: cells[author_id]
        for pk, author_id in authored
        if author_id is not None and cells.get(author_id)
    }
    actor_types = {
        t.slug: t.label
        for t in ActorType.objects.filter(slug__in={cell.actor_type for cell in described.values()})
    }
    provinces = {
        t.code: t.name
        for t in Territory.objects.filter(code__in={cell.province for cell in described.values()})
    }
    return {
        pk: AuthorDescription(
            actor_type=actor_types.get(cell.actor_type, ""),
            province=provinces.get(cell.province, ""),
        )
        for pk, cell in described.items()
    }


@dataclass(frozen=True)
class WorkshopReport:
    """A closed workshop's report as the page shows it: its text cut into parts, each
    citation linked where it names a contribution the public may read, and those
    contributions, in the order the report first cites them."""

    parts: list[ReportPart]
    linked: frozenset[int]
    cited: list[Contribution]


def workshop_report(*, workshop: Workshop) -> WorkshopReport | None:
    """The closing report of a closed workshop (``None`` before it closes or without one)."""
    if workshop.status != Workshop.Status.CLOSED or not workshop.closing_report:
        return None
    numbers = [c.number for c in report_citations(workshop.closing_report) if c.number]
    # A contribution rejected after the close is no longer quoted nor linked.
    by_id = Contribution.objects.published().filter(workshop=workshop).in_bulk(numbers)
    return WorkshopReport(
        parts=report_parts(workshop.closing_report),
        linked=frozenset(by_id),
        cited=[by_id[number] for number in numbers if number in by_id],
    )


# -- voice notes ---------------------------------------------------------------------------------


def workshop_get_for_transcriber(*, workshop_id: int, user: Any) -> Workshop:
    """The round table whose voice notes the user transcribes (404 for none, 403 otherwise)."""
    workshop = (
        Workshop.objects.select_related("meeting__consultation").filter(pk=workshop_id).first()
    )
    if workshop is None:
        raise Http404
    if not rules.can_transcribe(user, workshop):
        raise PermissionDenied
    return workshop


def workshop_voice_notes_awaiting(*, workshop: Workshop) -> QuerySet[Contribution]:
    """The round table's voice notes still without their text, oldest first."""
    return (
        Contribution.objects.filter(workshop=workshop, text="")
        .exclude(audio="")
        .select_related("author", "recorded_by")
        .order_by("created_at", "id")
    )


def contribution_voice_note_get_for_user(*, contribution_id: int, user: Any) -> Contribution:
    """A contribution whose voice note the user may hear; 404 for everyone else, so that
    nobody learns that a voice note exists."""
    contribution = (
        Contribution.objects.select_related("workshop__meeting__consultation", "consultation")
        .filter(pk=contribution_id)
        .exclude(audio="")
        .first()
    )
    if contribution is None or not rules.can_hear_voice_note(user, contribution):
        raise Http404
    return contribution


#: The most round tables the capture page lists for a participant.
CAPTURE_WORKSHOPS_SHOWN = 30


def capture_workshops(*, user: Any) -> tuple[list[Workshop], list[Workshop]]:
    """The open round tables of the offline capture page: ``(recorded, contributed)``, those
    the user records for as facilitator or rapporteur, then, for a participant, the others
    they may contribute to (public consultations), latest meeting first."""
    if not consultation_rules.is_signed_in(user):
        return [], []
    open_tables = Workshop.objects.filter(status=Workshop.Status.OPEN).select_related(
        "meeting__consultation", "theme"
    )
    recorded = list(
        open_tables.filter(Q(facilitator=user) | Q(rapporteur=user)).order_by(
            "-meeting__starts_at", "position"
        )
    )
    contributed: list[Workshop] = []
    participant = getattr(user, "participant", None)
    if participant is not None and participant.erased_at is None:
        contributed = list(
            open_tables.exclude(pk__in=[w.pk for w in recorded])
            .exclude(meeting__consultation__status=Consultation.Status.DRAFT)
            .order_by("-meeting__starts_at", "position")[:CAPTURE_WORKSHOPS_SHOWN]
        )
    return recorded, contributed
