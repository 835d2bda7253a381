"""The demo's start-up draws the national roll-up after the regional syntheses, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tashawur.consultations.models import Consultation
from tashawur.demo.command import _rollup_run_first
from tashawur.demo.loader import CONSULTATION_SLUG, demo_load
from tashawur.diagnosis.models import RollupRun

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def demo(db, settings):
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "lexical"
    demo_load(data_dir=FIXTURES)


def test_the_rollup_runs_at_start_up_then_not_again(demo, capsys) -> None:
    strategy = Consultation.objects.get(slug=CONSULTATION_SLUG).strategy

    assert _rollup_run_first() == f"/s/{strategy.slug}/"

    out = capsys.readouterr().out
    assert out.startswith("Running the national roll-up…\nNational roll-up done in ")
    run = RollupRun.objects.get()
    assert run.status == RollupRun.Status.SUCCEEDED
    assert run.contributions_count > 0

    assert _rollup_run_first() == f"/s/{strategy.slug}/"
    assert capsys.readouterr().out == ""
    assert RollupRun.objects.count() == 1


def test_a_failed_rollup_does_not_stop_the_demo(demo, settings, capsys) -> None:
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "nonexistent"

    assert _rollup_run_first() is None

    assert "The national roll-up failed (embedder_invalid:" in capsys.readouterr().out
