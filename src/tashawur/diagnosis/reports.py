"""The diagnosis as files to take away: the published diagnosis as a printed report (its data
here, its layout in ``diagnosis/published_print.html``), and the current run's findings and
breakdowns as spreadsheets.

Everything here is public reading: the report prints the publication's snapshot (which copies
contributions, never their authors), and the spreadsheets count contributions and their authors
without naming anyone. A breakdown cell that fewer than ``core.privacy.anonymity_k()`` authors
carry is suppressed (shown as "<k", never its count), as open data and the pages do.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tashawur.actors.models import ActorType
from tashawur.consultations.models import Consultation, Dimension, Theme
from tashawur.consultations.selectors import consultation_get_for_user
from tashawur.contributions.models import Contribution, Language
from tashawur.core.charts import Bar, bars
from tashawur.core.privacy import anonymity_k, groups_shown
from tashawur.core.tabular import Sheet
from tashawur.diagnosis.models import DiagnosisDimension, Finding, FindingContribution, SynthesisRun
from tashawur.diagnosis.selectors import (
    FINDINGS_HIDDEN,
    finding_breakdown_authors,
    run_contribution_facts,
    synthesis_runs_shown_and_latest,
)
from tashawur.diagnosis.written_pages import PublishedDiagnosis, diagnosis_publication_page
from tashawur.territories.models import Territory


def is_public(consultation: Consultation) -> bool:
    """Its files may be kept by shared caches: anyone may read the consultation."""
    return consultation.status != Consultation.Status.DRAFT


# -- the printed report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryLine:
    """One dimension of the published diagnosis: how many statements, and the findings and
    contributions they cite."""

    dimension: str
    label: str
    statements: int
    findings: int
    contributions: int


@dataclass
class DiagnosisReport:
    page: PublishedDiagnosis
    #: The run the publication's findings come from (the latest of them), if any.
    run: SynthesisRun | None = None
    summary: list[SummaryLine] = field(default_factory=list)
    statements_chart: list[Bar] = field(default_factory=list)
    #: The run's findings and the contributions they group, by dimension (shown findings).
    findings_chart: list[Bar] = field(default_factory=list)
    contributions_chart: list[Bar] = field(default_factory=list)

    @property
    def consultation(self) -> Consultation:
        return self.page.consultation


def diagnosis_report(*, slug: str, user: Any) -> DiagnosisReport:
    """What the printed report of the latest publication shows; ``Http404`` or
    ``PermissionDenied`` as the published page. ``report.page.publication`` is None before a
    first publication."""
    page = diagnosis_publication_page(slug=slug, user=user)
    report = DiagnosisReport(page=page)
    if page.publication is None:
        return report
    entries = page.publication.snapshot.get("entries", [])
    by_dimension: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        by_dimension[entry["dimension"]].append(entry)
    for value, label in DiagnosisDimension.choices:
        found = by_dimension.get(value, [])
        report.summary.append(
            SummaryLine(
                dimension=value,
                label=str(label),
                statements=len(found),
                findings=len({f["id"] for e in found for f in e["findings"]}),
                contributions=len(
                    {c["id"] for e in found for c in e["contributions"]}
                    | {q["id"] for e in found for f in e["findings"] for q in f.get("quotes", [])}
                ),
            )
        )
    report.statements_chart = bars(
        (line.dimension, line.label, line.statements) for line in report.summary
    )
    run_ids = {int(f["run"]) for e in entries for f in e["findings"] if f.get("run")}
    if run_ids:
        report.run = SynthesisRun.objects.filter(pk=max(run_ids)).first()
    if report.run is not None:
        findings = list(
            report.run.findings.exclude(status__in=FINDINGS_HIDDEN).only(
                "dimension", "dimension_counts"
            )
        )
        per_dimension = Counter(f.dimension for f in findings)
        contributions: Counter[str] = Counter()
        for finding in findings:
            contributions.update({k: int(v) for k, v in (finding.dimension_counts or {}).items()})
        report.findings_chart = bars(
            (value, str(label), per_dimension.get(value, 0)) for value, label in Dimension.choices
        )
        report.contributions_chart = bars(
            (value, str(label), contributions.get(value, 0)) for value, label in Dimension.choices
        )
    return report


# -- the spreadsheets ------------------------------------------------------------------------------


@dataclass
class RunExport:
    """The run the diagnosis shows, for the spreadsheets (None before a first success)."""

    consultation: Consultation
    run: SynthesisRun | None


def run_export(*, slug: str, user: Any) -> RunExport:
    """The consultation (as ``consultation_get_for_user`` lets ``user`` see it) and the run its
    diagnosis shows."""
    consultation = consultation_get_for_user(slug=slug, user=user)
    run, _latest = synthesis_runs_shown_and_latest(consultation)
    return RunExport(consultation=consultation, run=run)


def _suppressed(k: int) -> str:
    return f"<{k}"


def findings_sheet(run: SynthesisRun | None) -> Sheet:
    """The run's shown findings, heaviest first within each dimension as the page orders them:
    their number, key, dimension, titles, weight, members, languages (those at least k
    authors wrote in), curation status, and the published contributions they cite."""
    header = [
        _("Number"),
        _("Key"),
        _("Dimension"),
        _("Title (Arabic)"),
        _("Title (French)"),
        _("Weight (contributions)"),
        _("Members (without duplicates)"),
        _("Languages"),
        _("Status"),
        _("Accepted"),
        _("Contributions cited"),
    ]
    if run is None:
        return Sheet(title="findings", header=header, rows=[])
    findings = list(run.findings.exclude(status__in=FINDINGS_HIDDEN).order_by("position"))
    cited: dict[int, list[int]] = defaultdict(list)
    for finding_id, contribution_id in (
        FindingContribution.objects.filter(
            finding__in=findings, contribution__in=Contribution.objects.published()
        )
        .order_by("finding_id", "contribution_id")
        .values_list("finding_id", "contribution_id")
    ):
        cited[finding_id].append(contribution_id)
    authors = finding_breakdown_authors(findings)
    k = anonymity_k()
    languages = dict(Language.choices)
    dimensions = dict(Dimension.choices)
    rows = []
    for finding in findings:
        spoken = groups_shown(authors.get(finding.pk, {}).get("language", {}), k=k)
        rows.append(
            [
                finding.position,
                finding.key,
                str(dimensions.get(finding.dimension, finding.dimension)),
                finding.title_override_ar or finding.label_ar,
                finding.title_override_fr or finding.label_fr,
                finding.size,
                finding.size - finding.duplicate_count,
                ", ".join(str(languages.get(code, code)) for code in sorted(map(str, spoken))),
                finding.get_status_display(),
                _("yes") if finding.status == Finding.Status.ACCEPTED else _("no"),
                " ".join(str(pk) for pk in cited[finding.pk]),
            ]
        )
    return Sheet(title="findings", header=header, rows=rows)


class _Cells:
    """Contributions and the people who carry them, by cell."""

    def __init__(self) -> None:
        # A cell: a value (a slug, a code), or a (theme, dimension) pair.
        self.contributions: Counter[Any] = Counter()
        self.people: dict[Any, set[Hashable]] = defaultdict(set)

    def add(self, cell: Any, who: Hashable) -> None:
        self.contributions[cell] += 1
        self.people[cell].add(who)

    def count(self, cell: Any, k: int) -> int | str:
        """The cell's contributions, or "<k" when fewer than ``k`` people carry it."""
        if not self.contributions[cell]:
            return 0
        return self.contributions[cell] if len(self.people[cell]) >= k else _suppressed(k)

    def authors(self, cell: Any, k: int) -> int | str:
        people = len(self.people[cell])
        return people if people >= k else _suppressed(k)


def breakdown_sheets(run: SynthesisRun | None) -> list[Sheet]:
    """The contributions the run's shown findings cite, counted by dimension and theme, by
    actor type and by province; a cell fewer than k authors carry reads "<k". A contribution
    without an author counts its round table as one author (``selectors._facts``)."""
    k = anonymity_k()
    facts = run_contribution_facts(run) if run is not None else []
    crossed, by_actor, by_province = _Cells(), _Cells(), _Cells()
    for fact in facts:
        values = fact.values
        crossed.add((values["theme"], values["dimension"]), fact.who)
        if values["actor_type"]:
            by_actor.add(values["actor_type"], fact.who)
        if values["province"]:
            by_province.add(values["province"], fact.who)
    themes = {
        t.slug: t.label
        for t in Theme.objects.filter(slug__in={v for v, _d in crossed.contributions})
    }
    actor_types = {
        t.slug: t.label for t in ActorType.objects.filter(slug__in=list(by_actor.contributions))
    }
    provinces = {
        t.code: t.name for t in Territory.objects.filter(code__in=list(by_province.contributions))
    }
    dimensions = list(Dimension.choices)
    theme_rows = sorted({theme for theme, _dimension in crossed.contributions})
    return [
        Sheet(
            title="dimension-theme",
            header=[_("Theme"), *(str(label) for _value, label in dimensions)],
            rows=[
                [
                    themes.get(theme, theme) if theme else _("No theme"),
                    *(crossed.count((theme, value), k) for value, _label in dimensions),
                ]
                for theme in theme_rows
            ],
        ),
        Sheet(
            title="actor-type",
            header=[_("Actor type"), _("Contributions"), _("Authors")],
            rows=[
                [actor_types.get(slug, slug), by_actor.count(slug, k), by_actor.authors(slug, k)]
                for slug in sorted(by_actor.contributions)
            ],
        ),
        Sheet(
            title="province",
            header=[_("Province"), _("Contributions"), _("Authors")],
            rows=[
                [
                    provinces.get(code, code),
                    by_province.count(code, k),
                    by_province.authors(code, k),
                ]
                for code in sorted(by_province.contributions)
            ],
        ),
        Sheet(
            title="about",
            header=[_("About these tables")],
            rows=[
                [
                    _(
                        "Contributions cited by the findings the diagnosis shows, counted once "
                        "each. A cell that fewer than %(k)s authors carry reads “<%(k)s”: its "
                        "count is not given, so that no small group can be recognised."
                    )
                    % {"k": k}
                ],
                [
                    _(
                        "A contribution recorded without an author counts its round table as "
                        "one author."
                    )
                ],
            ],
        ),
    ]
