"""Read what a synthesis run analyses, and store what it found: the findings (each citing its
contributions) and the opinion map, in the run's one transaction (``runs.synthesis_run_execute``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connections, router
from django.db.models import JSONField, Model
from django.utils import timezone

from tashawur.actors.selectors import participants_actor_type
from tashawur.consultations.models import Consultation, Dimension
from tashawur.contributions.models import Contribution, Language, Vote
from tashawur.diagnosis.generations import diagnosis_run_changed
from tashawur.diagnosis.models import (
    Finding,
    FindingContribution,
    OpinionGroup,
    StatementStat,
    SynthesisRun,
)
from tashawur.territories.models import Territory

if TYPE_CHECKING:
    from tashawur.synthesis import ProfileGroup, SynthesisResult
    from tashawur.synthesis.opinions import OpinionMap

#: The opinion map needs at least this many voters and voted statements to be worth drawing.
OPINION_MIN_PARTICIPANTS = 4
OPINION_MIN_STATEMENTS = 2
_DIMENSION_ORDER = {value: index for index, value in enumerate(Dimension.values)}


class SynthesisRunError(Exception):
    """A run cannot go on; ``code`` is stored with the run and the page explains it."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RunInputs:
    """What a run analyses: the published contributions as the library reads them, their
    dimensions by id, and the votes on them."""

    records: list[dict[str, Any]]
    dimensions: dict[int, str]
    votes: VoteColumns


@dataclass(frozen=True)
class VoteColumns:
    """The votes as four columns, one entry per vote (compact arrays, no object per vote): the
    opinion map builds its sparse matrix from them without copying (``np.frombuffer``)."""

    participants: array[int]
    statements: array[int]
    values: array[int]
    timestamps: array[float]

    def __len__(self) -> int:
        return len(self.values)

    @classmethod
    def read(cls, rows: Iterable[tuple[int, int, int, dt.datetime]]) -> VoteColumns:
        """Columns of ``(participant, statement, value, updated_at)`` rows, read in one pass."""
        columns = cls(array("q"), array("q"), array("b"), array("d"))
        participant, statement = columns.participants.append, columns.statements.append
        value, timestamp = columns.values.append, columns.timestamps.append
        for p, c, v, at in rows:
            participant(p)
            statement(c)
            value(v)
            timestamp(at.timestamp())
        return columns


def _province_code(territory: Territory | None) -> str:
    while territory is not None and territory.level == Territory.Level.COMMUNE:
        territory = territory.parent
    if territory is None or territory.level != Territory.Level.PROVINCE:
        return ""
    return territory.code


def _actor_types(participant_ids: set[int]) -> dict[int, str]:
    """Each author's actor type (the type, not the subtype) from their first organisation, as
    open data and the public pages read it."""
    return participants_actor_type(participant_ids)


def inputs_read(consultation: Consultation) -> RunInputs:
    """The consultation's published contributions and the votes on them, as the run reads them.

    Raises ``SynthesisRunError`` (``no_contributions``) when none is published.
    """
    # Columns, not instances: at national scale the instances (and the territories and
    # authors joined to each) were most of the reading.
    rows = list(
        Contribution.objects.published()
        .filter(consultation=consultation)
        .order_by("pk")
        .values_list(
            "pk",
            "text",
            "translation_fr",
            "dimension",
            "theme__slug",
            "author_id",
            "territory_id",
            "author__territory_id",
            "channel",
            "language",
        )
    )
    if not rows:
        raise SynthesisRunError(
            "the consultation has no published contribution", code="no_contributions"
        )
    actor_types = _actor_types({row[5] for row in rows if row[5]})
    territory_ids = {row[6] or row[7] for row in rows} - {None}
    province_of = {
        pk: _province_code(territory)
        for pk, territory in Territory.objects.select_related("parent")
        .in_bulk(territory_ids)
        .items()
    }
    records: list[dict[str, Any]] = []
    dimensions: dict[int, str] = {}
    for pk, text, translation, dimension, theme, author_id, own, authors, channel, lang in rows:
        territory = own or authors
        record: dict[str, Any] = {
            "id": str(pk),
            "text": text,
            "translation": translation or None,
            "dimension": dimension,
            "theme": theme or "",
            "actor_type": actor_types.get(author_id or 0, ""),
            "province": province_of.get(territory, "") if territory else "",
            "channel": channel,
        }
        if lang != Language.UNDETERMINED:
            # A language a person set or the language task found; the library's own guess
            # profiles the others.
            record["language"] = lang
        records.append(record)
        dimensions[pk] = dimension
    votes = VoteColumns.read(
        Vote.objects.on_published()
        .filter(contribution__consultation=consultation)
        .order_by("pk")
        .values_list("participant_id", "contribution_id", "value", "updated_at")
        .iterator(chunk_size=10_000)
    )
    return RunInputs(records=records, dimensions=dimensions, votes=votes)


def _key_order(key: str) -> tuple[str, int]:
    """Library keys in number order: "F9" before "F10"."""
    match = re.fullmatch(r"([A-Za-z]*)(\d+)", key)
    return (match.group(1), int(match.group(2))) if match else (key, 0)


def dominant_dimension(counts: Mapping[str, int]) -> str:
    return min(counts, key=lambda d: (-counts[d], _DIMENSION_ORDER.get(d, len(_DIMENSION_ORDER))))


def result_store(
    run: SynthesisRun, inputs: RunInputs, result: SynthesisResult, opinions: OpinionMap | None
) -> SynthesisRun:
    """Write the findings, their citations and the opinion map, close the run, and carry the
    curation of the run shown until now over to it (``carry_over.curation_carry_over``)."""
    # Imported here: the carry-over replays curation, whose module imports this one.
    from tashawur.diagnosis.services.carry_over import curation_carry_over

    previous = (
        SynthesisRun.objects.filter(consultation_id=run.consultation_id)
        .shown_first()
        .exclude(pk=run.pk)
        # Its result is read only if the carry-over has a successor to find.
        .defer("result")
        .first()
    )
    themes = {t.id: t for t in result.themes}
    # A theme is named by the title of its heaviest finding, in its members' own words, where
    # the engine gives titles (its own theme labels are key phrases, which read poorly).
    theme_titles: dict[str, tuple[str, str]] = {}
    for f in sorted(result.findings, key=lambda f: (-f.size, f.id)):
        if f.theme not in theme_titles and (f.title_ar or f.title_fr):
            theme_titles[f.theme] = (f.title_ar, f.title_fr)
    canonical_of: dict[str, str] = {}
    for group in result.duplicates:
        for duplicate in group.duplicate_ids:
            canonical_of[duplicate] = group.canonical_id
    duplicates_of: dict[str, list[str]] = defaultdict(list)
    for duplicate, canonical in canonical_of.items():
        duplicates_of[canonical].append(duplicate)

    planned = []
    for f in result.findings:
        cited = [int(i) for i in f.member_ids]
        cited += [int(d) for m in f.member_ids for d in duplicates_of.get(m, [])]
        counts = Counter(inputs.dimensions[c] for c in cited)
        if len(cited) != f.size:
            raise SynthesisRunError(
                f"finding {f.id} has size {f.size} but cites {len(cited)} contributions",
                code="result_inconsistent",
            )
        planned.append((f, dict(counts), dominant_dimension(counts)))
    # The diagnosis reads by dimension, then by weight: the most carried finding first.
    planned.sort(key=lambda p: (_DIMENSION_ORDER[p[2]], -p[0].size, _key_order(p[0].id)))
    profiles_json = _ProfilesJson()

    _rows_insert(
        Finding,
        (
            {
                "run_id": run.pk,
                "key": f.id,
                "theme_key": f.theme,
                # The titles in the members' words when the library gives them (engines before
                # it gave key phrases only); the key phrases stay in their own fields.
                "label_ar": (f.title_ar if f.title_ar or f.title_fr else f.label_ar)[:500],
                "label_fr": (f.title_fr if f.title_ar or f.title_fr else f.label_fr)[:500],
                "title_borrowed_from": (f.title_borrowed_from or "")[:32],
                "title_sources": {
                    language: source
                    for language, source in (("ar", f.title_ar_source), ("fr", f.title_fr_source))
                    if source
                },
                "theme_label_ar": _theme_label(f.theme, themes, theme_titles, "ar"),
                "theme_label_fr": _theme_label(f.theme, themes, theme_titles, "fr"),
                "key_phrases_ar": list(f.key_phrases_ar),
                "key_phrases_fr": list(f.key_phrases_fr),
                "size": f.size,
                "duplicate_count": f.duplicate_count,
                "dimension": dimension,
                "dimension_counts": counts,
                "profiles": profiles_json(f.profiles),
                "position": position,
            }
            for position, (f, counts, dimension) in enumerate(planned, start=1)
        ),
    )
    finding_pk = dict(Finding.objects.filter(run=run).values_list("key", "pk"))
    _rows_insert(FindingContribution, _citations(run, planned, finding_pk, duplicates_of))

    warnings = list(result.warnings)
    votes_count = len(inputs.votes)
    stored = result.to_dict(assignments=False)
    if opinions is not None:
        _opinions_store(run, opinions)
        stored[OPINION_MAP_KEY] = opinion_map_points(opinions)
    elif inputs.votes:
        warnings.append(
            "too few votes for an opinion map: at least "
            f"{OPINION_MIN_PARTICIPANTS} voters on {OPINION_MIN_STATEMENTS} statements"
        )
    now = timezone.now()
    closed = SynthesisRun.objects.filter(pk=run.pk, status=SynthesisRun.Status.RUNNING).update(
        status=SynthesisRun.Status.SUCCEEDED,
        engine_version=result.engine_version,
        parameters=dict(result.parameters),
        timings=dict(result.timings),
        warnings=warnings,
        result=stored,
        contributions_count=len(inputs.records),
        votes_count=votes_count,
        finished_at=now,
        updated_at=now,
    )
    if not closed:
        # Taken for abandoned (and marked failed) while it ran: its findings go with it.
        raise SynthesisRunError("the run was marked failed while it was running", code="abandoned")
    diagnosis_run_changed(run_id=run.pk, consultation_id=run.consultation_id)
    # The run is now the one the diagnosis shows (in this transaction): its curation is replayed
    # on it before anyone else sees it.
    curation_carry_over(run=run, previous=previous)
    return run


def _citations(
    run: SynthesisRun,
    planned: list[tuple[Any, dict[str, int], str]],
    finding_pk: dict[str, int],
    duplicates_of: dict[str, list[str]],
) -> Iterator[dict[str, Any]]:
    """The citations of the run's findings: each member (a quote with its rank) and each of its
    duplicates."""
    for f, _counts, _dimension in planned:
        finding = finding_pk[f.id]
        rank = {cid: k for k, cid in enumerate(f.representative_ids, start=1)}
        for member in f.member_ids:
            yield {
                "run_id": run.pk,
                "finding_id": finding,
                "contribution_id": int(member),
                "is_representative": member in rank,
                "rank": rank.get(member),
            }
            for duplicate in duplicates_of.get(member, ()):
                yield {
                    "run_id": run.pk,
                    "finding_id": finding,
                    "contribution_id": int(duplicate),
                    "duplicate_of_id": int(member),
                }


def _rows_insert(model: type[Model], rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` (by attribute name; a field left out takes its default) into ``model``'s
    table without making a model instance of each: ``COPY`` on PostgreSQL, one prepared
    ``INSERT`` run for every row elsewhere. Return how many.

    For the run's findings and citations (tens of thousands of rows at national scale), where
    ``bulk_create`` spent most of its time building instances and SQL. No signal is sent and no
    primary key is returned (read them back by a unique key). The database's constraints still
    check every row.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    connection = connections[router.db_for_write(model)]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    # Per column: its attribute, its default, and whether (and with which encoder) it is JSON.
    spec = [
        (f.attname, defaults[f.attname], isinstance(f, JSONField), getattr(f, "encoder", None))
        for f in fields
    ]

    pairs = [(name, default) for name, default, _, _ in spec]
    json_at = [(k, encoder) for k, (_, _, is_json, encoder) in enumerate(spec) if is_json]

    def prepared(row: dict[str, Any]) -> list[Any]:
        get = row.get
        values = [get(name, default) for name, default in pairs]
        for k, encoder in json_at:
            value = values[k]
            if value is not None:
                # Written as JSON text: the column's type (jsonb, or text on SQLite) parses it.
                values[k] = (
                    str(value) if type(value) is JsonText else json.dumps(value, cls=encoder)
                )
        return values

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(prepared(row))
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(fields))
        # Names from the model's metadata, quoted; values as parameters.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        batch: list[list[Any]] = []
        for row in rows:
            batch.append(prepared(row))
            if len(batch) == 2000:
                cursor.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


#: Where the stored result keeps the opinion map's picture, beside the library's result (which
#: its schema closes: ``runs._previous_result`` takes it out before the library reads it back).
OPINION_MAP_KEY = "opinion_map"


def _theme_label(
    theme: str, themes: dict[str, Any], titles: dict[str, tuple[str, str]], language: str
) -> str:
    """A theme's label in ``language``: its heaviest finding's title when the engine gave
    titles (either language, so that an Arabic-only theme still has a name), else the
    engine's own label."""
    if theme in titles:
        ar, fr = titles[theme]
        return ((ar or fr) if language == "ar" else (fr or ar))[:500]
    if theme in themes:
        return str(getattr(themes[theme], f"label_{language}"))[:500]
    return ""


def opinion_map_points(opinions: OpinionMap) -> dict[str, Any]:
    """Every participant of the opinion map as a point on its two principal components, with
    their group (None: not clustered), for the diagnosis's picture (``charts.opinion_picture``).

    Pseudonymous points: no participant id, and in the order of the points, not of the
    participants, so that nothing ties a point to a person."""
    points = sorted(
        (
            round(float(x), 3),
            round(float(y), 3),
            int(group) if group >= 0 else None,
        )
        for (x, y), group in zip(
            opinions.embedding_[:, :2].tolist(), opinions.labels_.tolist(), strict=True
        )
    )
    return {"points": [list(p) for p in points]}


class JsonText(str):
    """A JSON field's value already written as JSON text: ``_rows_insert`` writes it as it is."""


class _ProfilesJson:
    """A finding's profiles as the JSON text ``json.dumps`` gives the ``_profile_group`` form
    (same separators and escapes), each shared ``ProfileGroup`` encoded once: most findings
    are small, and their cells alike share one group (the library's ``HypergeometricProfiler``).
    For one store: the groups are kept alive by the result meanwhile, so their ids are stable."""

    def __init__(self) -> None:
        self._encoded: dict[int, str] = {}
        self._keep: list[ProfileGroup] = []

    def __call__(self, profiles: Mapping[str, Iterable[ProfileGroup]]) -> JsonText:
        encoded = self._encoded
        parts = []
        for field, groups in profiles.items():
            cells = []
            for group in groups:
                text = encoded.get(id(group))
                if text is None:
                    text = encoded[id(group)] = json.dumps(_profile_group(group))
                    self._keep.append(group)  # its id stays its own while encoded holds it
                cells.append(text)
            parts.append(f"{json.dumps(field)}: [{', '.join(cells)}]")
        return JsonText("{" + ", ".join(parts) + "}")


def _profile_group(group: ProfileGroup) -> dict[str, Any]:
    return {
        "value": group.value,
        "count": group.count,
        "share": group.share,
        "overall_share": group.overall_share,
        "lift": group.lift,
        "p_value": group.p_value,
        "over_represented": group.over_represented,
    }


def _opinions_store(run: SynthesisRun, opinions: OpinionMap) -> None:
    statement_ids = [int(s) for s in opinions.statement_ids_]
    n_groups = int(opinions.n_groups_)
    if n_groups >= 2:
        groups = []
        for g in range(n_groups):
            representatives = opinions.representatives_.get(g, [])
            groups.append(
                OpinionGroup(
                    run=run,
                    key=g,
                    size=int((opinions.labels_ == g).sum()),
                    representative_statement_ids=[
                        statement_ids[r.statement] for r in representatives
                    ],
                    representatives=[
                        {
                            "id": statement_ids[r.statement],
                            "repful_for": r.repful_for,
                            "n_success": r.n_success,
                            "n_trials": r.n_trials,
                            "p_success": round(r.p_success, 4),
                            "repness": round(r.repness, 4),
                        }
                        for r in representatives
                    ],
                )
            )
        OpinionGroup.objects.bulk_create(groups)
    if n_groups < 1:
        return
    stats = opinions.statements_
    rows = []
    for j, statement in enumerate(statement_ids):
        consensus = float(stats.consensus[j])
        divisiveness = float(stats.divisiveness[j])
        if math.isnan(consensus) or math.isnan(divisiveness):
            continue
        per_group = [
            [int(stats.agree[g, j]), int(stats.disagree[g, j]), int(stats.passes[g, j])]
            for g in range(n_groups)
        ]
        rows.append(
            StatementStat(
                run=run,
                contribution_id=statement,
                consensus=consensus,
                divisiveness=divisiveness,
                agree=sum(p[0] for p in per_group),
                disagree=sum(p[1] for p in per_group),
                passes=sum(p[2] for p in per_group),
                per_group=per_group,
            )
        )
    StatementStat.objects.bulk_create(rows, batch_size=1000)
