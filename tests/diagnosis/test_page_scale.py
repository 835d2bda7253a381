"""The public diagnosis at scale: the overview reads only the findings and statements it shows,
a dimension shows its findings a page at a time (links that work without JavaScript), and the
number of queries of either does not grow with the run (issue 15).

The runs here are stored as real runs are (``storing.result_store``), with as many findings as a
test asks for: one per contribution, so that each finding's place is known.
"""

from __future__ import annotations

import re
from array import array
from types import SimpleNamespace

import numpy as np
import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tashawur.consultations.models import Consultation, Dimension
from tashawur.contributions.models import Channel, Contribution, Language, ModerationStatus
from tashawur.diagnosis.models import SynthesisRun
from tashawur.diagnosis.pages import FINDINGS_PER_DIMENSION, FINDINGS_PER_PAGE
from tashawur.diagnosis.services import storing
from tashawur.synthesis import SynthesisResult
from tashawur.synthesis._types import Finding as LibraryFinding
from tests.actors.factories import UserFactory
from tests.consultations.factories import WorkshopFactory

pytestmark = pytest.mark.django_db


def consultation_with_findings(per_dimension: dict[str, int]) -> Consultation:
    """A consultation whose run has ``per_dimension`` findings of each dimension, one
    contribution each ("Constat <dimension> <n>", n from 1 in position order), and an opinion
    map over its proposals."""
    workshop = WorkshopFactory()
    consultation = workshop.meeting.consultation
    recorder = UserFactory()
    planned = [(d, n) for d, count in per_dimension.items() for n in range(1, count + 1)]
    contributions = Contribution.objects.bulk_create(
        Contribution(
            consultation=consultation,
            workshop=workshop,
            text=f"Texte {d} {n}",
            language=Language.FRENCH,
            dimension=d,
            channel=Channel.FACILITATOR,
            recorded_by=recorder,
            moderation_status=ModerationStatus.PUBLISHED,
        )
        for d, n in planned
    )
    findings = [
        LibraryFinding(
            id=f"F{i}",
            theme="T0",
            # Heavier first within a dimension: position follows n.
            size=1,
            label_ar="",
            label_fr=f"Constat {d} {n}",
            key_phrases_ar=[],
            key_phrases_fr=[],
            representative_ids=[str(c.pk)],
            member_ids=[str(c.pk)],
            profiles={},
            title_fr=f"Constat {d} {n}",
        )
        for i, ((d, n), c) in enumerate(zip(planned, contributions, strict=True))
    ]
    result = SynthesisResult(
        assignments=[],
        findings=findings,
        themes=[],
        duplicates=[],
        warnings=[],
        parameters={},
        timings={},
        engine_version="test",
    )
    proposals = [c.pk for c in contributions if c.dimension == Dimension.PROPOSAL]
    s = len(proposals)
    votes = np.arange(2 * s).reshape(2, s) % 7
    opinions = SimpleNamespace(
        statement_ids_=[str(pk) for pk in proposals],
        n_groups_=2,
        representatives_={
            g: [
                SimpleNamespace(
                    statement=j,
                    repful_for="agree",
                    n_success=3,
                    n_trials=4,
                    p_success=0.7,
                    repness=1.5,
                )
                for j in range(min(s, 3))
            ]
            for g in range(2)
        },
        statements_=SimpleNamespace(
            consensus=np.linspace(0.1, 0.9, s),
            divisiveness=np.linspace(0.9, 0.1, s),
            agree=votes,
            disagree=votes // 2,
            passes=votes // 3,
        ),
        labels_=np.asarray([0, 1, 0, 1]),
        embedding_=np.asarray([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.2, 0.1]]),
    )
    run = SynthesisRun.objects.create(
        consultation=consultation, status=SynthesisRun.Status.RUNNING, started_at=timezone.now()
    )
    inputs = storing.RunInputs(
        records=[{}] * len(contributions),
        dimensions={c.pk: c.dimension for c in contributions},
        votes=storing.VoteColumns(array("q"), array("q"), array("b", bytes(8)), array("d")),
    )
    with transaction.atomic():
        storing.result_store(run, inputs, result, opinions)  # type: ignore[arg-type]
    return consultation


def titles(html: str, dimension: str) -> list[int]:
    return [int(n) for n in re.findall(rf"Constat {dimension} (\d+)<", html)]


def section(html: str, dimension: str) -> str:
    """The list of a dimension's findings (not the glance above it, which repeats a few)."""
    match = re.search(
        rf'<section aria-labelledby="dimension-{dimension}">(.*?)</section>', html, re.S
    )
    assert match is not None
    return match.group(1)


def get(path: str) -> str:
    response = Client().get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_dimension_shows_its_findings_a_page_at_a_time() -> None:
    consultation = consultation_with_findings({Dimension.CHALLENGE: 2 * FINDINGS_PER_PAGE + 3})
    url = f"/fr/c/{consultation.slug}/diagnosis/?dimension=challenge"

    first = get(url)
    second = get(f"{url}&page=2")

    assert titles(first, "challenge") == list(range(1, FINDINGS_PER_PAGE + 1))
    assert titles(second, "challenge") == list(
        range(FINDINGS_PER_PAGE + 1, 2 * FINDINGS_PER_PAGE + 1)
    )
    assert "Page 2 sur 3" in second
    assert 'href="?dimension=challenge&amp;page=3" rel="next"' in second
    assert 'href="?dimension=challenge&amp;page=1" rel="prev"' in second
    assert f'start="{FINDINGS_PER_PAGE + 1}"' in second


def test_a_page_past_the_last_shows_the_last() -> None:
    consultation = consultation_with_findings({Dimension.CHALLENGE: FINDINGS_PER_PAGE + 2})

    html = get(f"/fr/c/{consultation.slug}/diagnosis/?dimension=challenge&page=99")

    assert titles(html, "challenge") == [FINDINGS_PER_PAGE + 1, FINDINGS_PER_PAGE + 2]
    assert "Page 2 sur 2" in html


def test_a_page_that_is_not_a_number_is_refused_in_the_readers_language() -> None:
    consultation = consultation_with_findings({Dimension.CHALLENGE: 3})

    response = Client().get(f"/fr/c/{consultation.slug}/diagnosis/?dimension=challenge&page=٣")

    assert response.status_code == 400
    assert "page" in response.content.decode().lower()


def test_the_overview_shows_the_heaviest_of_each_dimension_and_no_pager() -> None:
    consultation = consultation_with_findings(
        {Dimension.CHALLENGE: FINDINGS_PER_DIMENSION + 4, Dimension.PROPOSAL: 3}
    )

    html = get(f"/fr/c/{consultation.slug}/diagnosis/")

    assert titles(section(html, "challenge"), "challenge") == list(
        range(1, FINDINGS_PER_DIMENSION + 1)
    )
    assert f"Constat challenge {FINDINGS_PER_DIMENSION + 1}<" not in html
    assert titles(section(html, "proposal"), "proposal") == [1, 2, 3]
    assert 'class="pager"' not in html
    assert f"Les {FINDINGS_PER_DIMENSION + 4} constats de cette dimension" in html


def count_queries(path: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        get(path)
    return len(queries)


@pytest.mark.parametrize("query", ["", "?dimension=proposal", "?dimension=proposal&page=2"])
def test_the_diagnosis_issues_as_many_queries_for_a_large_run_as_for_a_small_one(
    query: str,
) -> None:
    small = consultation_with_findings({Dimension.CHALLENGE: 6, Dimension.PROPOSAL: 22})
    large = consultation_with_findings({Dimension.CHALLENGE: 60, Dimension.PROPOSAL: 140})

    assert count_queries(f"/fr/c/{small.slug}/diagnosis/{query}") == count_queries(
        f"/fr/c/{large.slug}/diagnosis/{query}"
    )


def test_the_overview_reads_only_the_rows_it_shows() -> None:
    consultation = consultation_with_findings({Dimension.CHALLENGE: 30, Dimension.PROPOSAL: 30})
    cache.clear()

    with CaptureQueriesContext(connection) as queries:
        get(f"/fr/c/{consultation.slug}/diagnosis/")

    # Whole findings (their breakdowns) and statement statistics are read a few at a time:
    # every such query is limited, none reads the run's all.
    reads = [
        q["sql"]
        for q in queries
        if '"diagnosis_finding"."profiles"' in q["sql"]
        or 'FROM "diagnosis_statementstat"' in q["sql"]
    ]
    assert reads
    assert all("LIMIT" in sql for sql in reads), reads
