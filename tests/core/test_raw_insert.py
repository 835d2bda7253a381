"""``core.raw_insert.ModelInsert`` writes the row ``Model.objects.create`` writes, in one
statement; with ``conflict_ignored`` a row that breaks a unique constraint is left out, and
only such a row."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tashawur.consultations.models import Dimension
from tashawur.contributions.models import Channel, Contribution, ModerationStatus
from tashawur.core.raw_insert import ModelInsert
from tests.actors.factories import ParticipantFactory
from tests.consultations.factories import WorkshopFactory

pytestmark = pytest.mark.django_db


def _values(contribution: Contribution) -> dict[str, object]:
    stored = Contribution.objects.get(pk=contribution.pk)
    return {
        field.attname: getattr(stored, field.attname)
        for field in Contribution._meta.concrete_fields
        if field.attname not in ("id", "created_at", "updated_at", "idempotency_key")
    }


def _contribution(key: str, **kwargs: object) -> Contribution:
    workshop = kwargs.pop("workshop")
    return Contribution(
        consultation_id=workshop.meeting.consultation_id,  # type: ignore[attr-defined]
        workshop=workshop,
        theme=workshop.theme,  # type: ignore[attr-defined]
        text="نقترح تبسيط المساطر",
        dimension=Dimension.PROPOSAL,
        channel=Channel.WEB,
        idempotency_key=key,
        **kwargs,
    )


def test_a_row_inserted_reads_back_as_the_orms_create() -> None:
    workshop, author = WorkshopFactory(), ParticipantFactory()
    by_orm = _contribution("k-orm", workshop=workshop, author=author)
    by_orm.save()
    plain = _contribution("k-plain", workshop=workshop, author=author)

    assert ModelInsert(Contribution).insert(plain) is True

    assert plain.pk is not None and plain.pk != by_orm.pk
    assert (plain._state.adding, plain._state.db) == (False, "default")
    assert _values(plain) == _values(by_orm)
    stored = Contribution.objects.get(pk=plain.pk)
    # the model's defaults and auto_now fields, as save() fills them in
    assert (stored.moderation_status, stored.agree_count, stored.audio.name) == (
        ModerationStatus.PUBLISHED,
        0,
        "",
    )
    assert stored.created_at == plain.created_at and stored.updated_at == plain.updated_at
    assert stored.created_at >= by_orm.created_at


def test_a_row_whose_unique_key_is_taken_is_left_out_without_an_error() -> None:
    workshop, author = WorkshopFactory(), ParticipantFactory()
    insert = ModelInsert(Contribution, conflict_ignored=True)
    assert insert.insert(_contribution("k-1", workshop=workshop, author=author)) is True

    again = _contribution("k-1", workshop=workshop, author=author)
    assert insert.insert(again) is False

    assert again.pk is None and again._state.adding
    assert Contribution.objects.filter(idempotency_key="k-1").count() == 1
    # the transaction goes on: no savepoint was needed
    assert insert.insert(_contribution("k-2", workshop=workshop, author=author)) is True


def test_a_row_that_breaks_a_check_is_refused_even_with_conflicts_ignored() -> None:
    workshop = WorkshopFactory()
    insert = ModelInsert(Contribution, conflict_ignored=True)
    nobody = _contribution("k-1", workshop=workshop)  # neither author nor recorder

    with pytest.raises(IntegrityError), transaction.atomic():
        insert.insert(nobody)

    assert not Contribution.objects.exists()
