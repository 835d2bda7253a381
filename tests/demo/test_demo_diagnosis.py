"""The demo's written diagnosis from a run that succeeded before the demo loads (``load_demo``
publishes it), and what is said and stored when it cannot be published. The shipped demo, with a
real run, is in test_demo_diagnosis_shipped.py."""

import datetime as dt
from pathlib import Path

import pytest

from tashawur.consultations.models import Consultation
from tashawur.demo.command import _diagnosis_publish
from tashawur.demo.loader import demo_load
from tashawur.diagnosis.models import (
    CurationEvent,
    Diagnosis,
    DiagnosisEntry,
    DiagnosisPublication,
    Finding,
    FindingContribution,
    SynthesisRun,
)
from tests.demo.keys import demo_contribution

FIXTURES = Path(__file__).parent / "fixtures"


def _succeeded_run() -> SynthesisRun:
    at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    return SynthesisRun.objects.create(
        consultation=Consultation.objects.get(),
        status=SynthesisRun.Status.SUCCEEDED,
        started_at=at,
        finished_at=at,
        result={},
    )


def _finding(run, key, position, keys, *, dimension, label_ar="", label_fr=""):
    finding = Finding.objects.create(
        run=run,
        key=key,
        theme_key="t",
        size=len(keys),
        dimension=dimension,
        position=position,
        label_ar=label_ar,
        label_fr=label_fr,
    )
    for k in keys:
        contribution = demo_contribution(k)
        FindingContribution.objects.create(run=run, finding=finding, contribution=contribution)
    return finding


@pytest.fixture
def loaded(db):
    demo_load(data_dir=FIXTURES)


def test_demo_load_publishes_from_a_run_that_succeeded_before(loaded):
    run = _succeeded_run()
    window = _finding(run, "F1", 1, ["e-3", "e-4"], dimension="proposal", label_fr="guichet")
    women = _finding(run, "F2", 2, ["e-1"], dimension="potential", label_ar="العيالات")
    mixed = _finding(run, "F3", 3, ["f-1", "e-2"], dimension="challenge", label_fr="mêlé")

    summary = demo_load(data_dir=FIXTURES)

    assert summary.diagnosis == (
        "published diagnosis version 1, 2 entries "
        "(potential 1, specificity 0, challenge 0, proposal 1)"
    )
    for finding in (window, women, mixed):
        finding.refresh_from_db()
    assert [(f.key, f.status) for f in (window, women, mixed)] == [
        ("F1", "accepted"),
        ("F2", "accepted"),
        ("F3", "proposed"),
    ]
    # Each statement is a member's words (the analyst titles a finding with its quotes: MSA
    # before Darija, French before a Tifinagh text's translation), not the key-phrase label.
    assert sorted(DiagnosisEntry.objects.values_list("statement_ar", "statement_fr")) == [
        (
            "اقترح المشاركون إحداث شباك موحد للتعاونيات.",
            "Créer un guichet unique pour les coopératives dans chaque province.",
        ),
        ("العيالات هوما اللي هازين التعاونيات.", ""),
    ]
    assert DiagnosisPublication.objects.get().published_by.username == "analyst"


def test_demo_load_says_why_no_diagnosis_is_published_and_stores_none(loaded):
    run = _succeeded_run()
    _finding(run, "F1", 1, ["e-1", "e-2"], dimension="potential", label_ar="نصف")

    summary = demo_load(data_dir=FIXTURES)

    assert summary.diagnosis == (
        f"diagnosis not published: no finding of synthesis run #{run.pk} is mostly about one "
        "demo idea: nothing to write the diagnosis from"
    )
    assert str(summary).endswith(f"programme measures; {summary.diagnosis}")
    assert not Diagnosis.objects.exists()
    assert not CurationEvent.objects.exists()


def test_demo_load_undoes_the_curation_when_publishing_is_refused(loaded):
    # Mostly about idea i3, but a question: the diagnosis has no place for it, so nothing is
    # proposed and nothing can be published (the accept and the title are undone too).
    run = _succeeded_run()
    finding = _finding(run, "F1", 1, ["e-3", "e-4"], dimension="question")

    summary = demo_load(data_dir=FIXTURES)

    assert summary.diagnosis == (
        "diagnosis not published: Write at least one entry before publishing the diagnosis."
    )
    finding.refresh_from_db()
    assert finding.status == Finding.Status.PROPOSED
    assert not CurationEvent.objects.exists()
    assert not DiagnosisPublication.objects.exists()


def test_first_start_says_why_the_diagnosis_was_not_published(loaded, capsys):
    run = _succeeded_run()

    _diagnosis_publish(run)

    assert capsys.readouterr().out == (
        f"The diagnosis was not published (no finding of synthesis run #{run.pk} is mostly "
        "about one demo idea: nothing to write the diagnosis from).\n"
    )
