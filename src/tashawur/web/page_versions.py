"""The versions of the home page and of a consultation's page as an anonymous reader reads
them, for the anonymous page cache (``core.page_cache``): a change to anything they show gives
a new key at once.

What they show, and what versions it:

- the consultations and strategies (title, status, region): their ``updated_at`` (every service
  saves it; a region's or strategy's name renamed in the admin is a reference label, bounded by
  ``TASHAWUR_PAGE_CACHE_SECONDS``);
- the meetings and round tables (counted on the home page, listed on the consultation's): their
  number and last ``updated_at`` (the services that move a status, even by ``update``, set it),
  and each meeting's phase, which moves with the clock (upcoming, under way, held);
- the contributions and votes counted: the consultations' generations (a cache read);
- the exports block and the programme's link: the latest publication of the diagnosis, the run
  it shows, the programme's status.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q
from django.http import HttpRequest

from tashawur.consultations.models import Consultation, Meeting, Strategy, Workshop
from tashawur.consultations.selectors import consultation_get_for_user
from tashawur.contributions.generations import consultations_votes_generations
from tashawur.diagnosis.selectors import diagnosis_versions_row


def _meeting_phases(meetings: Any) -> list[tuple[Any, ...]]:
    return [
        (pk, updated_at, Meeting(status=status, starts_at=starts_at, ends_at=ends_at).phase)
        for pk, status, starts_at, ends_at, updated_at in meetings.values_list(
            "pk", "status", "starts_at", "ends_at", "updated_at"
        ).order_by("pk")
    ]


_HOME_VERSIONS_SQL: dict[str, str] = {}


def _home_versions_sql() -> str:
    """The home page's versions in one statement: each consultation and strategy (id, status,
    ``updated_at``; a consultation's region and strategy too), then the number of meetings and
    of round tables and their last ``updated_at``; one row each, tagged by its kind."""
    found = _HOME_VERSIONS_SQL.get(connection.vendor)
    if found is None:
        quote = connection.ops.quote_name
        found = _HOME_VERSIONS_SQL[connection.vendor] = (
            "SELECT 'c', c.id, c.status, c.updated_at, c.region_id, c.strategy_id "  # noqa: S608
            f"FROM {quote(Consultation._meta.db_table)} c "
            "UNION ALL SELECT 's', s.id, s.status, s.updated_at, NULL, NULL "
            f"FROM {quote(Strategy._meta.db_table)} s "
            "UNION ALL SELECT 'm', COUNT(*), NULL, MAX(m.updated_at), NULL, NULL "
            f"FROM {quote(Meeting._meta.db_table)} m "
            "UNION ALL SELECT 'w', COUNT(*), NULL, MAX(w.updated_at), NULL, NULL "
            f"FROM {quote(Workshop._meta.db_table)} w "
            "ORDER BY 1, 2"
        )
    return found


def home_page_versions(request: HttpRequest) -> tuple[Any, ...]:
    """The home page's versions. One small query (four before, issue 15 item 1) and one cache
    read. The times are as the database gives them (SQLite's as text): they are only hashed."""
    with connection.cursor() as cursor:
        cursor.execute(_home_versions_sql())
        rows = cursor.fetchall()
    consultations = [tuple(row[1:]) for row in rows if row[0] == "c"]
    strategies = [tuple(row[1:4]) for row in rows if row[0] == "s"]
    meetings, workshops = ((row[1], row[3]) for row in rows if row[0] in ("m", "w"))
    shown = [c[0] for c in consultations if c[1] != Consultation.Status.DRAFT]
    generations = consultations_votes_generations(shown)
    return (
        consultations,
        strategies,
        meetings,
        workshops,
        [generations[pk] for pk in shown],
    )


def consultation_page_versions(
    request: HttpRequest, slug: str, consultation: Consultation | None = None
) -> tuple[Any, ...]:
    """A consultation page's versions (``Http404`` or ``PermissionDenied`` as the page).
    Four small queries and one cache read; three when the caller has read ``consultation``."""
    if consultation is None:
        consultation = consultation_get_for_user(slug=slug, user=request.user)
    return _consultation_versions(consultation)[0]


def consultation_page_versions_for_reader(
    request: HttpRequest, consultation: Consultation
) -> tuple[tuple[Any, ...], bool]:
    """``consultation_page_versions`` and whether the signed-in reader facilitates one of the
    consultation's round tables (what ``can_moderate_consultation`` asks), counted in the same
    query as the round tables' version rather than in one of its own."""
    return _consultation_versions(consultation, facilitator_id=request.user.pk)


def _consultation_versions(
    consultation: Consultation, *, facilitator_id: int | None = None
) -> tuple[tuple[Any, ...], bool]:
    meetings = Meeting.objects.filter(consultation=consultation)
    counted: dict[str, Any] = {"n": Count("pk"), "last": Max("updated_at")}
    if facilitator_id is not None:
        counted["facilitated"] = Count("pk", filter=Q(facilitator_id=facilitator_id))
    workshops = Workshop.objects.filter(meeting__consultation=consultation).aggregate(**counted)
    facilitates = bool(workshops.pop("facilitated", 0))
    versions = (
        consultation.pk,
        consultation.status,
        consultation.updated_at,
        consultation.strategy_id,
        _meeting_phases(meetings),
        tuple(workshops.values()),
        consultations_votes_generations([consultation.pk])[consultation.pk],
        # The latest publication, the run shown and its curation, the programme's status.
        *diagnosis_versions_row(consultation)[1:],
    )
    return versions, facilitates
