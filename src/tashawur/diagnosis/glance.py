"""The diagnosis at a glance: what the top of the diagnosis page shows before its full list.

The heaviest findings of each dimension, and charts (``charts``): contributions by theme and
dimension, findings by actor type and by province (authors, suppressed under ``k``, with
significance marks), participation by province, actor type and gender, votes per statement,
and the opinion map as a picture. Assembled for ``pages.diagnosis_page`` from the selectors'
rows and what the page has already read.

What only the run shows (the heaviest findings and the themes' heatmap; the opinion map, drawn
from a sample past ``charts.MAP_POINTS`` participants) is rendered to HTML once per run, its
curation and the language, and cached (``run_fragment``): the page, rebuilt after each new
contribution, then renders only what the contributions and their authors change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils.text import Truncator
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _

from tashawur.actors.models import ActorType, Participant
from tashawur.consultations.models import Consultation, Dimension
from tashawur.core.caching import cached_build, version_key
from tashawur.core.i18n import pick_label
from tashawur.core.privacy import anonymity_k
from tashawur.diagnosis import charts
from tashawur.diagnosis.models import Finding, StatementStat, SynthesisRun
from tashawur.diagnosis.selectors import (
    PARTICIPATION_FIELDS,
    consultation_participation,
    contributions_version,
    diagnosis_run_versions,
    findings_dimension_theme_sizes,
)
from tashawur.diagnosis.services.storing import OPINION_MAP_KEY
from tashawur.territories.models import Territory

#: The heaviest findings shown per dimension at the top of the page.
TOP_FINDINGS = 3
#: Columns a heatmap of findings shows at most (the values carried by the most authors).
HEATMAP_COLUMNS = 8
#: Statements whose votes are charted (the most voted on).
VOTED_STATEMENTS = 10
#: Length of a statement's text in the votes chart (the full text is one link away).
STATEMENT_CHARS = 90


@dataclass(frozen=True)
class TopFinding:
    finding: Finding
    share: int  # percent of the heaviest finding's size

    @property
    def rest(self) -> int:
        return 100 - self.share


@dataclass(frozen=True)
class TopDimension:
    dimension: str
    label: str
    findings: list[TopFinding]


@dataclass(frozen=True)
class Participation:
    field: str
    label: str
    bars: list[charts.Bar]
    hidden: int  # values held by fewer than k authors, not shown


@dataclass(frozen=True)
class VoteRow:
    contribution_id: int
    finding_id: int | None
    text: str
    agree: int
    disagree: int
    passes: int
    segments: list[charts.Segment]


@dataclass
class Glance:
    # What only the run shows, rendered once per run (its curation) and language, and cached
    # (``run_fragment``): the heaviest findings and the themes' heatmap; the opinion map.
    run_charts: str = ""
    opinion_map: str = ""
    # What the contributions and their authors change, computed per page.
    actor_types: charts.Heatmap | None = None
    provinces: charts.Heatmap | None = None
    participation: list[Participation] = field(default_factory=list)
    votes: list[VoteRow] = field(default_factory=list)
    k: int = 0


def _top(by_dimension: dict[str, list[Finding]]) -> list[TopDimension]:
    heaviest = max((f.size for shown in by_dimension.values() for f in shown), default=0)
    return [
        TopDimension(
            dimension=value,
            label=str(label),
            findings=[
                TopFinding(finding=f, share=charts.bar_share(f.size, heaviest))
                for f in by_dimension[value][:TOP_FINDINGS]
            ],
        )
        for value, label in Dimension.choices
        if by_dimension.get(value)
    ]


def _themes(run: SynthesisRun) -> charts.Heatmap | None:
    rows = findings_dimension_theme_sizes(run)
    if not rows:
        return None
    themes: dict[str, str] = {}
    counts: dict[tuple[Hashable, str], int] = {}
    for row in rows:
        themes.setdefault(
            row["theme_key"],
            pick_label(ar=row["theme_label_ar"], fr=row["theme_label_fr"]) or row["theme_key"],
        )
        key = (row["theme_key"], row["dimension"])
        counts[key] = counts.get(key, 0) + int(row["contributions"])
    present = {d for _t, d in counts}
    columns = [(str(v), str(label)) for v, label in Dimension.choices if v in present]
    # Contributions, not people: nothing to suppress (k=1).
    return charts.heatmap(list(themes.items()), columns, counts, k=1)


def _findings_heatmap(
    findings: Sequence[Finding],
    authors: dict[int, dict[str, dict[str, set[Hashable]]]],
    name: str,
    labels: dict[str, str],
    k: int,
) -> charts.Heatmap | None:
    counts: dict[tuple[Hashable, str], int] = {}
    totals: dict[str, int] = {}
    for finding in findings:
        for value, people in authors.get(finding.pk, {}).get(name, {}).items():
            counts[(finding.pk, value)] = len(people)
            totals[value] = totals.get(value, 0) + len(people)
    # A column where no cell reaches k would show nothing but suppressed cells.
    shown = [v for v in totals if any(counts.get((f.pk, v), 0) >= k for f in findings)]
    shown.sort(key=lambda v: (-totals[v], v))
    if not shown:
        return None
    columns = [(v, labels.get(v, v)) for v in shown[:HEATMAP_COLUMNS]]
    return charts.heatmap([(f.pk, f.label) for f in findings], columns, counts, k=k)


def _value_labels(values: dict[str, set[str]]) -> dict[str, dict[str, str]]:
    return {
        "actor_type": {
            t.slug: t.label for t in ActorType.objects.filter(slug__in=values["actor_type"])
        },
        "province": {t.code: t.name for t in Territory.objects.filter(code__in=values["province"])},
        "gender": {str(v): str(label) for v, label in Participant.Gender.choices},
    }


def _votes(
    stats: Sequence[StatementStat], cited: dict[int, tuple[str, int | None]], *, rtl: bool
) -> list[VoteRow]:
    standing = [s for s in stats if s.contribution_id in cited]
    standing.sort(key=lambda s: (-(s.agree + s.disagree + s.passes), s.contribution_id))
    standing = standing[:VOTED_STATEMENTS]
    largest = max((s.agree + s.disagree + s.passes for s in standing), default=0)
    return [
        VoteRow(
            contribution_id=s.contribution_id,
            finding_id=cited[s.contribution_id][1],
            text=Truncator(cited[s.contribution_id][0]).chars(STATEMENT_CHARS),
            agree=s.agree,
            disagree=s.disagree,
            passes=s.passes,
            segments=charts.stacked([s.agree, s.disagree, s.passes], largest, rtl=rtl),
        )
        for s in standing
    ]


def run_fragment(kind: str, versions: tuple[Any, ...], build: Callable[[], str]) -> str:
    """The HTML of a part of the glance that only the run shows, rendered by ``build`` once per
    ``versions`` (the run's, from ``selectors.diagnosis_run_versions``: its id, its end, its
    last curation event) and language, and cached (``core.caching``): a new run or a curation
    action gives a new key at once; a new contribution or vote does not rebuild it."""
    return cached_build(version_key(f"diagnosis-glance-{kind}", get_language(), *versions), build)


def _opinion_points_read(run: SynthesisRun) -> list[list[float | int | None]]:
    """A run whose result was left out of its query (the pages defer it: tens of megabytes at
    100,000 contributions) has only this key read, in the database, rather than the whole
    result decoded."""
    if "result" not in run.get_deferred_fields():
        points = (run.result or {}).get(OPINION_MAP_KEY, {}).get("points", [])
    else:
        points = (
            SynthesisRun.objects.filter(pk=run.pk)
            .values_list(f"result__{OPINION_MAP_KEY}__points", flat=True)
            .first()
        )
    return list(points or [])


def _participation(consultation: Consultation) -> dict[str, dict[str, int]]:
    """How many authors carry each value of each participation field, counted once per
    version of the consultation's contributions and their authors (``contributions_version``)
    and cached: reading every author of 100,000 contributions takes seconds."""

    def count() -> dict[str, dict[str, int]]:
        people = consultation_participation(consultation)
        return {name: {v: len(p) for v, p in values.items()} for name, values in people.items()}

    versions = contributions_version(consultation)
    return cached_build(version_key("participation", consultation.pk, *versions), count)


def _run_charts(run: SynthesisRun, by_dimension: dict[str, list[Finding]]) -> str:
    return render_to_string(
        "diagnosis/_glance_run.html", {"top_dimensions": _top(by_dimension), "themes": _themes(run)}
    )


def _opinion_map(run: SynthesisRun) -> str:
    return render_to_string(
        "diagnosis/_opinion_map.html",
        {"m": charts.opinion_picture(_opinion_points_read(run), limit=charts.MAP_POINTS)},
    )


def diagnosis_glance(
    *,
    consultation: Consultation,
    run: SynthesisRun,
    by_dimension: dict[str, list[Finding]],
    authors: dict[int, dict[str, dict[str, set[Hashable]]]],
    stats: Sequence[StatementStat],
    cited: dict[int, tuple[str, int | None]],
) -> Glance:
    """The top of the diagnosis page.

    ``by_dimension``: the visible findings the overview shows, heaviest first;
    ``authors``: who carries each of them (``selectors.finding_breakdown_authors``);
    ``stats`` and ``cited``: the run's statement statistics and, for each statement still
    published, its text and the finding citing it. The heatmaps and the participation
    suppress, for everyone, the groups of fewer than ``anonymity_k()`` authors.
    """
    k = anonymity_k()
    rtl = get_language_bidi()
    top_findings = [f for shown in by_dimension.values() for f in shown[:TOP_FINDINGS]]
    participation = _participation(consultation)
    wanted: dict[str, set[str]] = {name: set() for name in ("actor_type", "province", "gender")}
    for finding_cells in authors.values():
        for name in ("actor_type", "province"):
            wanted[name].update(finding_cells.get(name, {}))
    for name, values in participation.items():
        wanted[name].update(values)
    labels = _value_labels(wanted)
    names = {
        "province": _("Province"),
        "actor_type": _("Actor type"),
        "gender": _("Gender"),
    }
    versions = (run.pk, *diagnosis_run_versions(consultation))
    glance = Glance(
        run_charts=run_fragment("run-charts", versions, lambda: _run_charts(run, by_dimension)),
        # Curation changes nothing of the opinion map: the run alone.
        opinion_map=run_fragment(
            "opinion-map", (run.pk, run.finished_at), lambda: _opinion_map(run)
        ),
        actor_types=_findings_heatmap(top_findings, authors, "actor_type", labels["actor_type"], k),
        provinces=_findings_heatmap(top_findings, authors, "province", labels["province"], k),
        votes=_votes(stats, cited, rtl=rtl),
        k=k,
    )
    for name in PARTICIPATION_FIELDS:
        people = participation[name]
        kept = [(v, labels[name].get(v, v), n) for v, n in people.items() if n >= k]
        if kept or people:
            glance.participation.append(
                Participation(
                    field=name,
                    label=names[name],
                    bars=charts.bars(kept),
                    hidden=len(people) - len(kept),
                )
            )
    return glance
