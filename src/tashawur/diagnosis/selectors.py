"""Reads of the diagnosis: the run it shows, the findings a reader should see for a citation,
who carries a finding's breakdowns, and the objects a page or a service acts on.

Selectors return data; what a page shows is assembled next to the views (``pages``,
``written_pages``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.http import Http404

from tashawur.actors.selectors import participants_actor_type
from tashawur.consultations.models import Consultation, Dimension
from tashawur.consultations.selectors import consultation_get_for_user
from tashawur.contributions.generations import (
    consultation_data_generation,
    consultation_pages_generation,
)
from tashawur.contributions.models import Contribution, Language, ModerationStatus
from tashawur.core.caching import cached_build, version_key
from tashawur.core.privacy import anonymity_k
from tashawur.diagnosis import rules
from tashawur.diagnosis.models import (
    CurationEvent,
    Diagnosis,
    DiagnosisEntry,
    DiagnosisPublication,
    Finding,
    FindingContribution,
    StatementStat,
    SynthesisRun,
)
from tashawur.territories.models import Territory

#: Findings the pages do not show: the analyst set them aside.
FINDINGS_HIDDEN = (Finding.Status.REJECTED, Finding.Status.MERGED)


# -- runs ------------------------------------------------------------------------------------------


def synthesis_runs_shown_and_latest(
    consultation: Consultation,
) -> tuple[SynthesisRun | None, SynthesisRun | None]:
    """The run the diagnosis shows (``SynthesisRun.objects.shown_first``) and the last run
    requested, whatever its status."""
    # The stored result (tens of megabytes at 100,000 contributions) is left out: the page
    # reads only its opinion map (``glance``).
    runs = (
        SynthesisRun.objects.filter(consultation=consultation)
        .select_related("created_by")
        .defer("result")
    )
    latest = runs.order_by("-created_at", "-pk").first()
    return runs.shown_first().first(), latest


def diagnosis_run_versions(consultation: Consultation) -> tuple[Any, ...]:
    """A version of the findings the diagnosis shows, as they read now: the run shown (id,
    end) and its curation (the last event: every rename, status, merge, split and carried
    decision records one). For the caches of the pages that show findings (``core.caching``).
    Two small queries."""
    shown = (
        SynthesisRun.objects.filter(consultation=consultation)
        .shown_first()
        .values_list("pk", "finished_at")
        .first()
    )
    if shown is None:
        return (None,)
    curation = CurationEvent.objects.filter(run_id=shown[0]).aggregate(
        last=Max("pk"), n=Count("pk")
    )
    return (*shown, curation["last"], curation["n"])


@functools.cache
def _page_versions_sql() -> str:
    """The query of ``diagnosis_versions_row``, written once per process: as querysets, the four
    look-ups it replaces (the last run, the run shown, its curation, the latest publication)
    and the programme's status took five queries and ~2 ms of CPU to build on every cached
    request (issue 15, item 1)."""
    q = connections["default"].ops.quote_name

    def column(model: Any, name: str) -> str:
        return q(model._meta.get_field(name).column)

    runs = q(SynthesisRun._meta.db_table)
    run_id, run_consultation = column(SynthesisRun, "id"), column(SynthesisRun, "consultation")
    of_consultation = f"FROM {runs} r WHERE r.{run_consultation} = c.{column(Consultation, 'id')}"
    latest = (
        f"{of_consultation}"
        f" ORDER BY r.{column(SynthesisRun, 'created_at')} DESC, r.{run_id} DESC LIMIT 1"
    )
    # As ``SynthesisRun.objects.shown_first()`` orders them.
    shown = (
        f"{of_consultation} AND r.{column(SynthesisRun, 'status')} = %s"
        f" ORDER BY r.{column(SynthesisRun, 'finished_at')} DESC, r.{run_id} DESC LIMIT 1"
    )
    events = q(CurationEvent._meta.db_table)
    curation = (
        f"FROM {events} e WHERE e.{column(CurationEvent, 'run')} = (SELECT r.{run_id} {shown})"
    )
    publications = q(DiagnosisPublication._meta.db_table)
    diagnoses = q(Diagnosis._meta.db_table)
    publication = (
        f"FROM {publications} p JOIN {diagnoses} d"
        f" ON p.{column(DiagnosisPublication, 'diagnosis')} = d.{column(Diagnosis, 'id')}"
        f" WHERE d.{column(Diagnosis, 'consultation')} = c.{column(Consultation, 'id')}"
        f" ORDER BY p.{column(DiagnosisPublication, 'version')} DESC LIMIT 1"
    )
    # The programmes app reads the diagnosis, not the other way: its model through the relation.
    programme: Any = Consultation._meta.get_field("programmes").related_model
    programmes = q(programme._meta.db_table)
    selected = [
        *(
            f"(SELECT r.{column(SynthesisRun, name)} {latest})"
            for name in ("id", "status", "updated_at")
        ),
        *(f"(SELECT r.{column(SynthesisRun, name)} {shown})" for name in ("id", "finished_at")),
        f"(SELECT MAX(e.{column(CurationEvent, 'id')}) {curation})",
        f"(SELECT COUNT(*) {curation})",
        *(
            f"(SELECT p.{column(DiagnosisPublication, name)} {publication})"
            for name in ("id", "version", "published_at")
        ),
        # One programme at most per consultation (a unique constraint).
        f"(SELECT g.{column(programme, 'status')} FROM {programmes} g"  # noqa: S608
        f" WHERE g.{column(programme, 'consultation')} = c.{column(Consultation, 'id')})",
    ]
    # Only the models' own table and column names, quoted; the values are parameters.
    return (
        f"SELECT {', '.join(selected)} FROM {q(Consultation._meta.db_table)} c"  # noqa: S608
        f" WHERE c.{column(Consultation, 'id')} = %s"
    )


def diagnosis_versions_row(consultation: Consultation) -> tuple[Any, ...]:
    """The last run requested ``(id, status, updated_at)`` or ``None``; the run shown and its
    curation, as ``diagnosis_run_versions``; the latest publication, as
    ``diagnosis_publication_version``; the programme's status, as ``exports_version``.

    Kept in the cache under the consultation's ``pages`` generation (``contributions.
    generations``), which every writer of these rows bumps: two cache reads, and the query only
    the first time after a change (issue 15: a cached page's hit reads no version from the
    database)."""
    tokens = consultation_pages_generation(consultation.pk)
    return cached_build(
        version_key("diagnosis-versions", consultation.pk, *tokens),
        lambda: _diagnosis_versions_row_read(consultation),
        timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS),
    )


def _diagnosis_versions_row_read(consultation: Consultation) -> tuple[Any, ...]:
    """``diagnosis_versions_row`` read from the database. One query."""
    shown_status = SynthesisRun.Status.SUCCEEDED.value
    with connections["default"].cursor() as cursor:
        # The status parameter once per subquery of the run shown: two alone, two in curation.
        cursor.execute(_page_versions_sql(), [shown_status] * 4 + [consultation.pk])
        row = cursor.fetchone()
    latest = None if row[0] is None else (row[0], row[1], row[2])
    shown = (None,) if row[3] is None else (row[3], row[4], row[5], row[6])
    publication = None if row[7] is None else (row[7], row[8], row[9])
    return latest, shown, publication, (row[10],)


def diagnosis_page_versions(
    consultation: Consultation, *, row: tuple[Any, ...] | None = None
) -> tuple[Any, ...] | None:
    """A version of everything the public diagnosis page of ``consultation`` shows, for its
    cache: the consultation (its region and strategy, as ``consultation_get_for_reader`` keeps
    them), the last run requested (its status), the run shown and its
    curation (``diagnosis_run_versions``), the latest publication, and the contributions and
    their authors (a new one, a moderation decision, a profile change: the quotes, statements
    and participation counts read them live; ``contributions_version``, a cache read). ``None``
    while a run is queued or running: the page then reloads and looks after the run, uncached.
    No query (``diagnosis_versions_row``, or ``row`` when read already)."""
    latest, shown, publication, _programme = row or diagnosis_versions_row(consultation)
    if latest is not None and latest[1] in (
        SynthesisRun.Status.QUEUED,
        SynthesisRun.Status.RUNNING,
    ):
        return None
    return (
        consultation.pk,
        consultation.updated_at,
        # Their names head the page (a rename bumps ``consultations.generations``).
        consultation.region.updated_at,
        consultation.strategy.updated_at,
        latest,
        shown,
        publication,
        *contributions_version(consultation),
        anonymity_k(),
    )


def diagnosis_publication_version(consultation: Consultation) -> tuple[Any, ...] | None:
    """A version of the latest publication of the consultation's diagnosis. One query."""
    return (
        DiagnosisPublication.objects.filter(diagnosis__consultation=consultation)
        .order_by("-version")
        .values_list("pk", "version", "published_at")
        .first()
    )


def exports_version(consultation: Consultation) -> tuple[Any, ...]:
    """What the "Open data and exports" block of the consultation's pages reads that
    ``diagnosis_page_versions`` does not cover: its programme's status (who may download the
    programme's files depends on it alone). One small query."""
    return tuple(
        Consultation.objects.filter(pk=consultation.pk).values_list("programmes__status", flat=True)
    )


def diagnosis_whole_page_versions(consultation: Consultation) -> tuple[Any, ...] | None:
    """``(diagnosis_page_versions, exports_version)``: the version of the whole diagnosis
    page and of a finding's page, frame included (the exports block), for the anonymous page
    cache (``core.page_cache``). No query (``diagnosis_versions_row``)."""
    row = diagnosis_versions_row(consultation)
    versions = diagnosis_page_versions(consultation, row=row)
    if versions is None:
        return None
    return (versions, row[3])


def contributions_version(consultation: Consultation) -> tuple[Any, ...]:
    """A version of the consultation's contributions and their authors (a new one, an edit, a
    moderation decision, a profile change, a consent withdrawal or an erasure): their
    generation (``contributions.generations``), one cache read, no query."""
    return consultation_data_generation(consultation.pk)


def diagnosis_publication_latest(
    consultation: Consultation, *, with_snapshot: bool = True
) -> DiagnosisPublication | None:
    """The latest publication of the consultation's diagnosis (what the public reads)."""
    publications = DiagnosisPublication.objects.filter(
        diagnosis__consultation=consultation
    ).order_by("-version")
    if not with_snapshot:
        publications = publications.defer("snapshot")
    return publications.first()


# -- findings --------------------------------------------------------------------------------------


def finding_quotes(findings: Iterable[Finding]) -> dict[int, list[Contribution]]:
    """The quotes of each finding, by rank; a quote moderation has taken down since the run is
    left out."""
    quotes: dict[int, list[Contribution]] = defaultdict(list)
    for citation in (
        FindingContribution.objects.filter(
            finding__in=list(findings),
            is_representative=True,
            contribution__in=Contribution.objects.published(),
        )
        .select_related("contribution")
        .order_by("finding_id", "rank")
    ):
        quotes[citation.finding_id].append(citation.contribution)
    return quotes


def findings_heaviest_per_dimension(
    findings: QuerySet[Finding], per_dimension: dict[str, int], limit: int
) -> dict[str, list[Finding]]:
    """The first ``limit`` of ``findings`` (in position order: the heaviest first) of each
    dimension that ``per_dimension`` counts, in one query: a UNION of one ``LIMIT`` per
    dimension, each a range of ``finding_run_dim_pos_idx``."""
    parts = [
        findings.filter(dimension=value).order_by("position")[:limit]
        for value in Dimension.values
        if per_dimension.get(value)
    ]
    if not parts:
        return {}
    rows: list[Finding] = []
    if len(parts) > 1 and connections[findings.db].features.supports_slicing_ordering_in_compound:
        rows = list(parts[0].union(*parts[1:], all=True))
    else:
        # SQLite allows no LIMIT inside a UNION: one query per dimension (six at most).
        rows = [finding for part in parts for finding in part]
    out: dict[str, list[Finding]] = defaultdict(list)
    for finding in sorted(rows, key=lambda f: f.position):
        out[finding.dimension].append(finding)
    return dict(out)


@dataclass(frozen=True)
class StatementsShown:
    """The statement statistics the diagnosis shows: the most consensual, the most divisive
    (above zero) and the most voted on, of published statements."""

    consensus: list[StatementStat]
    divisive: list[StatementStat]
    voted: list[StatementStat]

    @property
    def all(self) -> list[StatementStat]:
        return [*self.consensus, *self.divisive, *self.voted]


def statement_stats_shown(
    run: SynthesisRun, *, shown: int, voted: int, with_groups: bool
) -> StatementsShown:
    """The first rows of the run's statement statistics by consensus and divisiveness
    (``shown`` each; none without opinion groups) and by votes (``voted``), published
    statements only, in at most three queries that read an index's first rows
    (``StatementStat.Meta.indexes``) rather than sort the run's statistics."""
    standing = run.statement_stats.filter(
        contribution__moderation_status=ModerationStatus.PUBLISHED
    ).order_by()
    consensus: list[StatementStat] = []
    divisive: list[StatementStat] = []
    if with_groups:
        consensus = list(standing.order_by("-consensus", "contribution_id")[:shown])
        divisive = list(
            standing.filter(divisiveness__gt=0).order_by("-divisiveness", "contribution_id")[:shown]
        )
    most_voted = list(
        standing.order_by((F("agree") + F("disagree") + F("passes")).desc(), "contribution_id")[
            :voted
        ]
    )
    return StatementsShown(consensus=consensus, divisive=divisive, voted=most_voted)


#: Who a contribution without an author counts as: the round table it was recorded at (a group,
#: but possibly one voice), or, without a table, one unknown voice for all of them.
_ROOM = "room"


def _province_of(
    level: str | None, code: str | None, parent_level: str | None, parent_code: str | None
) -> str:
    """A territory's province code, as the synthesis reads it (a commune stands for its
    province; a region or the country for none)."""
    if level == Territory.Level.COMMUNE:
        level, code = parent_level, parent_code
    return (code or "") if level == Territory.Level.PROVINCE else ""


#: What a contribution's breakdown values are read from, after the finding it is cited by.
_FACT_FIELDS = (
    "contribution__author_id",
    "contribution__workshop_id",
    "contribution__dimension",
    "contribution__theme__slug",
    "contribution__channel",
    "contribution__language",
    "contribution__territory__level",
    "contribution__territory__code",
    "contribution__territory__parent__level",
    "contribution__territory__parent__code",
    "contribution__author__territory__level",
    "contribution__author__territory__code",
    "contribution__author__territory__parent__level",
    "contribution__author__territory__parent__code",
)


def _facts(fields: tuple[Any, ...], actor_types: dict[int, str]) -> tuple[Hashable, dict[str, str]]:
    """Who carries a contribution (its author, or the round table of a contribution without
    one) and its breakdown values, from the ``_FACT_FIELDS`` of one row."""
    author_id, workshop_id, dimension, theme, channel, language, *places = fields
    who: Hashable = ("author", author_id) if author_id is not None else (_ROOM, workshop_id)
    own, author_place = places[:4], places[4:]
    province = _province_of(*own) if own[0] is not None else _province_of(*author_place)
    return who, {
        "dimension": dimension,
        "theme": theme or "",
        "channel": channel,
        "language": "" if language == Language.UNDETERMINED else language,
        "actor_type": actor_types.get(author_id or 0, ""),
        "province": province,
    }


def finding_breakdown_authors(
    findings: Iterable[Finding],
) -> dict[int, dict[str, dict[str, set[Hashable]]]]:
    """Per finding, breakdown field and value: who carries it among the contributions the
    finding cites (an author, or the round table of a contribution without one), with the values
    the synthesis reads (``services.storing.inputs_read``), read now in two queries. A value the
    synthesis guessed (the language of a text nobody labelled) has no one here: it is
    suppressed, which fails closed."""
    cited = FindingContribution.objects.filter(finding__in=[f.pk for f in findings])
    rows = list(cited.values_list("finding_id", *_FACT_FIELDS))
    # A subquery, not the authors' ids: hundreds of bound parameters cost more to send and
    # plan than the join costs to run.
    actor_types = participants_actor_type(
        cited.filter(contribution__author__isnull=False).values("contribution__author_id")
    )
    out: dict[int, dict[str, dict[str, set[Hashable]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(set))
    )
    for finding_id, *fields in rows:
        who, values = _facts(tuple(fields), actor_types)
        cells = out[finding_id]
        for name, value in values.items():
            if value:
                cells[name][value].add(who)
    return out


@dataclass(frozen=True)
class ContributionFacts:
    """A contribution a run's findings cite: who carries it and its breakdown values."""

    contribution_id: int
    who: Hashable
    values: dict[str, str]


def run_contribution_facts(run: SynthesisRun) -> list[ContributionFacts]:
    """Each published contribution the run's shown findings cite, once, with who carries it
    and its breakdown values as ``finding_breakdown_authors`` reads them (two queries)."""
    rows = list(
        FindingContribution.objects.filter(
            run=run,
            finding__in=run.findings.exclude(status__in=FINDINGS_HIDDEN),
            contribution__in=Contribution.objects.published(),
        )
        .order_by("contribution_id")
        .values_list("contribution_id", *_FACT_FIELDS)
        .distinct()
    )
    actor_types = participants_actor_type({row[1] for row in rows if row[1] is not None})
    facts: dict[int, ContributionFacts] = {}
    for contribution_id, *fields in rows:
        if contribution_id not in facts:
            who, values = _facts(tuple(fields), actor_types)
            facts[contribution_id] = ContributionFacts(contribution_id, who, values)
    return list(facts.values())


def findings_dimension_theme_sizes(run: SynthesisRun) -> list[dict[str, Any]]:
    """Per dimension and theme of the run's visible findings: the contributions they carry
    (their sizes summed) and how many findings, in one query."""
    rows = (
        run.findings.exclude(status__in=FINDINGS_HIDDEN)
        .order_by()
        .values("dimension", "theme_key", "theme_label_ar", "theme_label_fr")
        .annotate(contributions=Sum("size"), findings=Count("pk"))
        .order_by("theme_key", "dimension", "theme_label_ar", "theme_label_fr")
    )
    return [dict(row) for row in rows]


#: The fields the participation of a consultation is counted by.
PARTICIPATION_FIELDS = ("province", "actor_type", "gender")


def consultation_participation(consultation: Consultation) -> dict[str, dict[str, set[int]]]:
    """Per field (``PARTICIPATION_FIELDS``) and value: the authors of the consultation's
    published contributions who carry it (their province as the synthesis reads it, their
    actor type as ``participants_actor_type``, their gender as they gave it), in two queries.
    Contributions without an author (a round table's) are not counted: nobody is behind them
    to count."""
    authored = Contribution.objects.published().filter(
        consultation=consultation, author__isnull=False
    )
    rows = list(
        authored.order_by()
        .values_list(
            "author_id",
            "author__gender",
            "author__territory__level",
            "author__territory__code",
            "author__territory__parent__level",
            "author__territory__parent__code",
        )
        .distinct()
    )
    # A subquery, not the ids: ten thousand bound parameters cost the database more to plan
    # than the join does to run.
    actor_types = participants_actor_type(authored.order_by().values("author_id"))
    out: dict[str, dict[str, set[int]]] = {name: defaultdict(set) for name in PARTICIPATION_FIELDS}
    for author_id, gender, *place in rows:
        values = {
            "province": _province_of(*place),
            "actor_type": actor_types.get(author_id, ""),
            "gender": gender or "",
        }
        for name, value in values.items():
            if value:
                out[name][value].add(author_id)
    return out


def finding_of_consultation(consultation: Consultation, finding_id: int) -> Finding:
    finding = (
        Finding.objects.select_related("run", "merged_into")
        .defer("run__result")
        .filter(pk=finding_id, run__consultation=consultation)
        .first()
    )
    if finding is None:
        raise Http404
    return finding


def finding_get_for_curation(*, slug: str, finding_id: int, user: Any) -> Finding:
    """A finding of the consultation that ``user`` may curate; raises ``Http404`` or
    ``PermissionDenied``. Whether it may still be curated (its run is the current one, it is
    not merged) is the services' to say, with a message."""
    consultation = consultation_get_for_user(slug=slug, user=user)
    finding = finding_of_consultation(consultation, finding_id)
    if not rules.can_curate_findings(user, consultation):
        raise PermissionDenied
    return finding


# -- the written diagnosis -------------------------------------------------------------------------


def diagnosis_consultation_for_writing(*, slug: str, user: Any) -> Consultation:
    """The consultation whose diagnosis ``user`` may write; ``Http404`` or ``PermissionDenied``."""
    consultation = consultation_get_for_user(slug=slug, user=user)
    if not rules.can_write_diagnosis(user, consultation):
        raise PermissionDenied
    return consultation


def diagnosis_entry_get_for_writing(*, slug: str, entry_id: int, user: Any) -> DiagnosisEntry:
    """An entry of the consultation's diagnosis that ``user`` may write."""
    consultation = diagnosis_consultation_for_writing(slug=slug, user=user)
    entry = (
        DiagnosisEntry.objects.select_related("diagnosis__consultation")
        .filter(pk=entry_id, diagnosis__consultation=consultation)
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def _snapshot_contribution_ids(snapshot: dict[str, Any]) -> set[int]:
    return {
        int(c["id"])
        for entry in snapshot.get("entries", [])
        for c in [
            *entry["contributions"],
            *(q for f in entry["findings"] for q in f.get("quotes", [])),
        ]
    }


def publication_withdrawn_ids(snapshot: dict[str, Any]) -> set[int]:
    """The contributions a publication quotes or cites that are no longer published, in one
    query. Asking for the published ones, not the others, fails closed: a contribution that
    is no longer in the database is withdrawn too."""
    ids = _snapshot_contribution_ids(snapshot)
    if not ids:
        return set()
    published = Contribution.objects.published().filter(pk__in=ids).values_list("pk", flat=True)
    return ids - set(published)


# -- the findings a citation leads to --------------------------------------------------------------

#: What a citation of a finding (a programme's measure) shows: labels, key, curation state and
#: the run's date. The heavy JSON (breakdowns, the run's stored result) stays in the database.
_CITATION_FIELDS = (
    "key",
    "label_ar",
    "label_fr",
    "title_override_ar",
    "title_override_fr",
    "status",
    "merged_into",
    "position",
    "run",
    "run__consultation",
    "run__status",
    "run__finished_at",
)


def findings_for_citation() -> QuerySet[Finding]:
    """Findings with what a citation of them shows (``_CITATION_FIELDS``), their run joined."""
    return Finding.objects.select_related("run").only(*_CITATION_FIELDS)


@dataclass(frozen=True)
class ResolvedFinding:
    """A cited finding (a programme's measure cites findings) as a reader should see it now.

    ``cited`` holds the rows cited, as stored (several when they now resolve to the
    same finding); ``shown`` is the finding to show and link to. ``from_earlier_run`` is set
    when the diagnosis has moved on to a newer run that no longer has this idea: ``shown`` is
    then the cited finding (or what it was merged into in its own run).
    """

    shown: Finding
    cited: tuple[Finding, ...]
    from_earlier_run: bool = False

    @property
    def set_aside(self) -> bool:
        """The analyst rejected it: it no longer shows in the diagnosis."""
        return self.shown.status == Finding.Status.REJECTED

    @property
    def run_finished_at(self) -> dt.datetime | None:
        return self.shown.run.finished_at


def _merge_chain(finding: Finding, by_pk: dict[int, Finding]) -> list[Finding]:
    """The finding, what it was merged into, what that was merged into… to the end. Stops on a
    cycle (which only a write bypassing the services could make)."""
    chain = [finding]
    seen = {finding.pk}
    while chain[-1].merged_into_id is not None:
        target = by_pk.get(chain[-1].merged_into_id)
        if target is None or target.pk in seen:
            break
        chain.append(target)
        seen.add(target.pk)
    return chain


def findings_resolve(*, findings: Iterable[Finding]) -> dict[int, ResolvedFinding]:
    """What a reader should see now for each cited finding, by the cited finding's id.

    1. A finding merged away (``merged_into``) shows as the end of its merge chain.
    2. When the consultation's diagnosis now shows a newer successful run, the finding of that
       run with the same stable ``key`` shows instead (its own merge chain followed too); if
       the cited key is gone there, the keys it was merged into are tried, in chain order.
    3. Failing that, the cited finding (or its chain's end) shows, marked as coming from an
       earlier run.

    A rejected finding still shows, marked as set aside (``ResolvedFinding.set_aside``): its
    citers cited it, and a reader should see that the analyst later set that reading
    aside rather than see the citation silently disappear.

    Two queries whatever the number of findings, runs or merges: the current runs, then every
    finding the chains and keys can lead to.
    """
    cited = {f.pk: f for f in findings}
    if not cited:
        return {}
    current = SynthesisRun.objects.current_ids({f.run.consultation_id for f in cited.values()})
    cited_runs = {f.run_id for f in cited.values()}
    runs = cited_runs | set(current.values())
    merged_targets = Finding.objects.filter(run_id__in=runs, merged_into__isnull=False).values(
        "merged_into_id"
    )
    # The keys a cited finding was merged into, for the newer run's lookup (step 2).
    target_keys = Finding.objects.filter(
        pk__in=Finding.objects.filter(run_id__in=cited_runs, merged_into__isnull=False).values(
            "merged_into_id"
        )
    ).values("key")
    candidates = findings_for_citation().filter(
        Q(pk__in=merged_targets)
        | Q(key__in={f.key for f in cited.values()})
        | Q(key__in=target_keys),
        run_id__in=runs,
    )
    by_pk = {f.pk: f for f in candidates}
    by_pk.update(cited)
    by_run_key = {(f.run_id, f.key): f for f in by_pk.values()}

    def resolve(finding: Finding) -> ResolvedFinding:
        chain = _merge_chain(finding, by_pk)
        run_now = current.get(finding.run.consultation_id)
        if run_now is None or run_now == finding.run_id:
            return ResolvedFinding(shown=chain[-1], cited=(finding,))
        for step in chain:
            successor = by_run_key.get((run_now, step.key))
            if successor is not None:
                return ResolvedFinding(shown=_merge_chain(successor, by_pk)[-1], cited=(finding,))
        return ResolvedFinding(shown=chain[-1], cited=(finding,), from_earlier_run=True)

    return {pk: resolve(finding) for pk, finding in cited.items()}
