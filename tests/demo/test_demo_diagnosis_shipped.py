"""The shipped demo's written diagnosis after ``tashawur demo``'s first synthesis: curated and
published by the demo's analyst through the diagnosis services; never twice.

One real synthesis run (a few seconds) serves the whole module; the cases that need no real run
are in test_demo_diagnosis.py."""

import contextlib
import io
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils.html import escape

from tashawur.demo.command import (
    _logins_text,
    _published_path,
    _synthesis_run_first,
)
from tashawur.demo.loader import CONSULTATION_SLUG, default_data_dir, demo_load
from tashawur.diagnosis.models import (
    CurationEvent,
    Diagnosis,
    DiagnosisEntry,
    DiagnosisPublication,
    Finding,
    FindingContribution,
    SynthesisRun,
)
from tests.demo.keys import file_key

FIXTURES = Path(__file__).parent / "fixtures"
DIMENSIONS = ("potential", "specificity", "challenge", "proposal")
PUBLISHED = f"/c/{CONSULTATION_SLUG}/diagnosis/published/"


@dataclass(frozen=True)
class FirstStart:
    returned: tuple[str, bool]
    out: str


@pytest.fixture(scope="module")
def first_start(django_db_setup, django_db_blocker):
    """The shipped demo after ``tashawur demo``'s first synthesis, run here with the demo's own
    encoder: one real run for the whole module, kept in a transaction that is rolled back after
    the module's last test (each test runs in a savepoint inside it)."""
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(TASHAWUR_SYNTHESIS_EMBEDDER=None),
    ):
        call_command("load_reference_data", verbosity=0)
        demo_load()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            returned = _synthesis_run_first()
        yield FirstStart(returned, out.getvalue())
        transaction.set_rollback(True)


@pytest.fixture
def started(first_start, db):
    return first_start


def _latest_run() -> SynthesisRun:
    return SynthesisRun.objects.get(status=SynthesisRun.Status.SUCCEEDED)


def _mostly_about_one_idea(run: SynthesisRun) -> set[int]:
    """Worked out here from contributions.yaml, not with the demo's code."""
    idea_of = {
        row["key"]: row["idea"]
        for group in yaml.safe_load(
            default_data_dir().joinpath("contributions.yaml").read_text(encoding="utf-8")
        )["workshops"]
        for row in group["contributions"]
    }
    held: dict[int, Counter[str | None]] = {}
    for finding_id, key in FindingContribution.objects.filter(run=run).values_list(
        "finding_id", "contribution__idempotency_key"
    ):
        held.setdefault(finding_id, Counter())[idea_of.get(file_key(key) or "")] += 1
    return {
        finding_id
        for finding_id, ideas in held.items()
        if any(idea and Fraction(n, ideas.total()) > Fraction(1, 2) for idea, n in ideas.items())
    }


def test_first_start_publishes_version_1_as_the_analyst(started):
    diagnosis = Diagnosis.objects.get(consultation__slug=CONSULTATION_SLUG)
    publication = DiagnosisPublication.objects.get()

    assert started.returned == (f"/c/{CONSULTATION_SLUG}/diagnosis/", True)
    assert (diagnosis.status, diagnosis.version) == ("published", 1)
    assert (publication.version, publication.published_by.username) == (1, "analyst")
    assert len(publication.snapshot["entries"]) == DiagnosisEntry.objects.count()


def test_first_start_gives_each_dimension_at_least_two_entries(started):
    counts = Counter(DiagnosisEntry.objects.values_list("dimension", flat=True))
    published = Counter(
        e["dimension"] for e in DiagnosisPublication.objects.get().snapshot["entries"]
    )

    assert all(counts[dimension] >= 2 for dimension in DIMENSIONS), counts
    assert published == counts


def test_analyst_accepts_the_findings_mostly_about_one_idea_through_curation(started):
    run = _latest_run()
    accepted = set(
        Finding.objects.filter(run=run, status=Finding.Status.ACCEPTED).values_list("pk", flat=True)
    )
    events = CurationEvent.objects.filter(run=run)
    accepts = events.filter(action="accept")

    assert accepted == _mostly_about_one_idea(run)
    assert sorted(accepts.values_list("finding_id", flat=True)) == sorted(accepted)
    # Each accepted finding is also titled with its own quotes (one rename event each).
    assert set(events.filter(action="rename").values_list("finding_id", flat=True)) <= accepted
    assert set(events.values_list("action", "actor__username")) == {
        ("accept", "analyst"),
        ("rename", "analyst"),
    }


def test_every_entry_cites_accepted_findings_of_the_latest_run(started):
    run = _latest_run()

    for entry in DiagnosisEntry.objects.prefetch_related("findings", "contributions"):
        findings = list(entry.findings.all())
        assert findings or list(entry.contributions.all()), entry.pk
        for finding in findings:
            assert (finding.run_id, finding.status) == (run.pk, Finding.Status.ACCEPTED)


def test_every_statement_is_what_a_member_of_its_finding_said(started):
    # The analyst titles each accepted finding with its own quotes; the entry's statement is
    # that title, or, in a language no quote fits, the finding's title in its members' words:
    # words a participant said (or a Tifinagh text's recorded translation), whole or a
    # contiguous part of them.
    for entry in DiagnosisEntry.objects.prefetch_related("findings__contributions"):
        (finding,) = entry.findings.all()
        said = []
        for contribution in finding.contributions.all():
            said += [" ".join(contribution.text.split()), contribution.translation_fr]
        assert entry.statement_ar or entry.statement_fr, entry.pk
        for statement in (entry.statement_ar, entry.statement_fr):
            words = " ".join(statement.split()).removesuffix("…").strip()
            assert not statement or any(words in text for text in said), statement
        # The finding's titles, or nothing in a language whose title says another idea.
        assert entry.statement_ar in {finding.title_override_ar or finding.label_ar, ""}
        assert entry.statement_fr in {finding.title_override_fr or finding.label_fr, ""}
        assert entry.dimension == finding.dimension


def test_a_second_start_publishes_nothing_more(started):
    entries = DiagnosisEntry.objects.count()
    events = CurationEvent.objects.count()
    snapshot = DiagnosisPublication.objects.get().snapshot
    out = io.StringIO()

    with contextlib.redirect_stdout(out):
        summary = demo_load()
        returned = _synthesis_run_first()

    assert returned == started.returned
    assert out.getvalue() == ""
    assert summary.diagnosis.startswith("published diagnosis version 1, ")
    assert Diagnosis.objects.get().version == 1
    assert list(DiagnosisPublication.objects.values_list("version", flat=True)) == [1]
    assert DiagnosisPublication.objects.get().snapshot == snapshot
    assert (DiagnosisEntry.objects.count(), CurationEvent.objects.count()) == (entries, events)


def test_published_page_shows_every_statement_and_its_sources(started, client):
    response = client.get(PUBLISHED)

    assert response.status_code == 200
    page = response.content.decode()
    for entry in DiagnosisEntry.objects.prefetch_related("findings"):
        assert escape(entry.statement_ar or entry.statement_fr) in page
        for finding in entry.findings.all():
            assert f'href="/c/{CONSULTATION_SLUG}/diagnosis/findings/{finding.pk}/"' in page


def test_startup_text_says_what_was_published_and_where(started):
    counts = Counter(DiagnosisEntry.objects.values_list("dimension", flat=True))
    accepted = Finding.objects.filter(status=Finding.Status.ACCEPTED).count()
    text = _logins_text(
        "http://127.0.0.1:8000/",
        started.returned[0],
        ready=True,
        published_path=_published_path(),
    )

    assert (
        f"The analyst accepted {accepted} findings and published the diagnosis: version 1, "
        f"{counts.total()} entries (potential {counts['potential']}, specificity "
        f"{counts['specificity']}, challenge {counts['challenge']}, proposal "
        f"{counts['proposal']}).\n"
    ) in started.out
    assert f"Its published diagnosis: http://127.0.0.1:8000{PUBLISHED}\n" in text


def test_each_statement_says_the_same_thing_in_arabic_and_french(started):
    # Issue 11: an entry's Arabic and French said different things (each a quote of another
    # idea of its finding). Both are now words of contributions carrying the same idea.
    idea_of = {
        row["key"]: row["idea"]
        for group in yaml.safe_load(
            default_data_dir().joinpath("contributions.yaml").read_text(encoding="utf-8")
        )["workshops"]
        for row in group["contributions"]
    }
    both = 0
    for entry in DiagnosisEntry.objects.prefetch_related("findings__contributions"):
        if not (entry.statement_ar and entry.statement_fr):
            continue
        both += 1
        (finding,) = entry.findings.all()
        ideas_ar, ideas_fr = set(), set()
        for contribution in finding.contributions.all():
            idea = idea_of.get(file_key(contribution.idempotency_key) or "")
            # Whole quotes, or a title in the members' words (a contiguous part of them).
            ar = " ".join(entry.statement_ar.split()).removesuffix("…").strip()
            fr = " ".join(entry.statement_fr.split()).removesuffix("…").strip()
            if ar in " ".join(contribution.text.split()):
                ideas_ar.add(idea)
            if fr in contribution.text or fr in contribution.translation_fr:
                ideas_fr.add(idea)
        assert ideas_ar & ideas_fr - {None}, (entry.statement_ar, entry.statement_fr)
    assert both >= 8


def test_the_demo_participant_follows_a_proposal_to_a_measure_with_progress(started, client):
    # Issue 11: the demo shows a participant whose proposal leads to a measure with progress,
    # on their own page ("What became of my contributions") and the contribution's page.
    from tashawur.core.models import User
    from tashawur.programmes.chain import contribution_chains

    user = User.objects.get(username="participant")
    chains = contribution_chains(contributions=user.participant.contributions.all(), user=user)
    followed = [
        chain
        for chain in chains.values()
        if any(m.percent is not None for m in chain.measures) and chain.entries
    ]
    assert followed, [(c.contribution.pk, c.finding, c.measures) for c in chains.values()]
    client.force_login(user)
    me = client.get("/me/").content.decode()
    assert f'href="/s/{followed[0].contribution.pk}/"' in me
    page = client.get(f"/s/{followed[0].contribution.pk}/").content.decode()
    assert f"#measure-{followed[0].measures[0].measure.pk}" in page
