"""The demo's field-channel rows come in through those channels' own code (issue: "the demo's
``import`` and ``offline`` rows are produced by the real code paths"): the notes import and the
offline outbox's sync, not rows written by the loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from tashawur.actors.models import Consent
from tashawur.consultations.models import Workshop
from tashawur.contributions.models import Channel, Contribution
from tashawur.demo import field_capture
from tashawur.demo.loader import demo_load
from tashawur.demo.sync import TIME_ZONE
from tests.demo.keys import demo_contribution

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def loaded(db):
    return demo_load(data_dir=FIXTURES)


def test_the_imported_note_is_keyed_by_its_reference_and_recorded_by_the_importer(loaded):
    note = demo_contribution("f-4")

    assert note.channel == Channel.IMPORT
    assert note.idempotency_key == f"import:{note.workshop_id}:ref:f-4"
    assert note.recorded_by.username == "facilitator"
    # The speaker column named the participant by their registered name: matched, and their
    # oral consent recorded by the importer, as the import does for one never asked.
    assert note.author is not None
    assert note.said_at is not None
    assert note.created_at > note.said_at  # typed up and imported in the evening
    assert Consent.objects.filter(participant=note.author).exists()


def test_the_offline_item_is_synced_with_its_key_and_when_it_was_said(loaded):
    item = demo_contribution("f-2")

    assert (item.channel, item.idempotency_key) == (Channel.OFFLINE, "demo-f-2")
    assert item.recorded_by.username == "facilitator" and item.author is not None
    said = item.said_at.astimezone(TIME_ZONE)
    assert said.date().isoformat() == "2018-08-04"
    assert item.created_at > item.said_at  # synced after the session


def test_the_round_tables_are_closed_again_after_the_replay(loaded):
    assert set(Workshop.objects.values_list("status", flat=True)) <= {
        Workshop.Status.CLOSED,
        Workshop.Status.OPEN,
    }
    closed_before = dict(Workshop.objects.values_list("pk", "status"))
    demo_load(data_dir=FIXTURES)
    assert dict(Workshop.objects.values_list("pk", "status")) == closed_before


def test_a_second_load_imports_and_syncs_nothing(loaded, monkeypatch):
    calls = []
    monkeypatch.setattr(field_capture, "contributions_import", lambda **kw: calls.append(kw))
    monkeypatch.setattr(field_capture, "contribution_submit", lambda **kw: calls.append(kw))
    before = Contribution.objects.count()

    demo_load(data_dir=FIXTURES)

    assert calls == []
    assert Contribution.objects.count() == before


def test_the_loader_writes_no_field_row_itself(db, monkeypatch):
    """Without the channels' code the field rows are missing, and the loader says so."""
    monkeypatch.setattr(field_capture, "contributions_import", lambda **kw: None)
    monkeypatch.setattr(field_capture, "contribution_submit", lambda **kw: None)

    with pytest.raises(field_capture.DemoDataError, match="not stored by its channel"):
        demo_load(data_dir=FIXTURES)
