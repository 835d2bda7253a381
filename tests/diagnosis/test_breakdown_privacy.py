"""The "who says it" breakdowns show the public no group of fewer than k authors
(``TASHAWUR_OPEN_DATA_K``, as open data); those who curate the diagnosis see every group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.diagnosis.pages import diagnosis_page, finding_page
from tests.actors.factories import UserFactory

from .conftest import Corpus


def _authors_by_value(finding: Finding) -> dict[str, dict[str, set[Hashable]]]:
    """Worked out here from the cited contributions, not with the selector's code: who
    (an author, or the table of a contribution without one) carries each value."""
    out: dict[str, dict[str, set[Hashable]]] = defaultdict(lambda: defaultdict(set))
    for citation in finding.citations.select_related("contribution__author", "contribution__theme"):
        c = citation.contribution
        who: Hashable = c.author_id if c.author_id else ("table", c.workshop_id)
        out["dimension"][c.dimension].add(who)
        out["language"][c.language].add(who)
        out["channel"][c.channel].add(who)
        if c.theme is not None:
            out["theme"][c.theme.slug].add(who)
        if c.author is not None:
            organisation = c.author.organisations.order_by("name").first()
            if organisation is not None:
                out["actor_type"][organisation.actor_type.slug].add(who)
    return out


def _public_cells(run: SynthesisRun, corpus: Corpus) -> list[tuple[Finding, str, str, int]]:
    cells = []
    for finding in run.findings.order_by("position"):
        page = finding_page(
            slug=corpus.consultation.slug, finding_id=finding.pk, user=AnonymousUser()
        )
        for breakdown in page.breakdowns:
            for value in breakdown.values:
                cells.append((finding, breakdown.field, value.value, breakdown.hidden))
    return cells


def test_no_public_breakdown_cell_holds_fewer_than_k_authors(
    run: SynthesisRun, corpus: Corpus, settings: Any
) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 2
    shown = _public_cells(run, corpus)
    profiled = sum(
        len(groups) for f in run.findings.all() for groups in (f.profiles or {}).values()
    )

    assert shown, "some groups hold two authors or more"
    assert len(shown) < profiled, "some groups hold a single author"
    for finding, field, value, _hidden in shown:
        authors = _authors_by_value(finding)[field][value]
        assert len(authors) >= 2, (finding.key, field, value, authors)


def test_public_finding_page_says_small_groups_are_not_shown(
    run: SynthesisRun, corpus: Corpus, client: Client, settings: Any
) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 1000
    finding = run.findings.order_by("position").first()
    assert finding is not None and finding.profiles

    html = client.get(f"/fr/c/{corpus.consultation.slug}/diagnosis/findings/{finding.pk}/")

    body = html.content.decode()
    who = body.split("<summary>Qui le dit</summary>")[1].split("</details>")[0]
    assert "les groupes de moins de 1000 auteurs ne sont pas affichés" in who
    assert "Coopérative" not in who and "Association" not in who
    assert not _public_cells(run, corpus)


def test_curators_see_every_group(run: SynthesisRun, corpus: Corpus, settings: Any) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 1000
    coordinator = UserFactory(role="national_coordinator")
    finding = run.findings.order_by("position").first()
    assert finding is not None

    page = finding_page(slug=corpus.consultation.slug, finding_id=finding.pk, user=coordinator)

    assert sum(len(b.values) for b in page.breakdowns) == sum(
        len(groups) for groups in finding.profiles.values()
    )
    assert all(b.hidden == 0 for b in page.breakdowns)


@pytest.mark.parametrize("k", [1, 1000])
def test_diagnosis_overview_shows_over_represented_groups_only_from_k_authors(
    run: SynthesisRun, corpus: Corpus, settings: Any, k: int
) -> None:
    settings.TASHAWUR_OPEN_DATA_K = k
    diagnosis = diagnosis_page(slug=corpus.consultation.slug, user=AnonymousUser())

    shown = [
        (item.finding, b.field, v.value)
        for section in diagnosis.sections
        for item in section.findings
        for b in item.breakdowns
        for v in b.values
    ]
    flagged = [
        (item.finding, name, str(g["value"]))
        for section in diagnosis.sections
        for item in section.findings
        for name, groups in item.finding.profiles.items()
        for g in groups
        if g["over_represented"]
    ]
    if k == 1:
        assert sorted((f.pk, n, v) for f, n, v in shown) == sorted(
            (f.pk, n, v) for f, n, v in flagged
        )
    else:
        assert shown == []
