"""The shipped demo's day as the issue asks: the 2018 meeting is held, its round tables closed
with their rapporteurs' reports citing their own contributions, its people checked in; and an
online round stays open for visitors. One load of the shipped demo serves the module."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import transaction
from django.utils import timezone

from tashawur.consultations.models import Meeting, Registration, Workshop
from tashawur.contributions.citations import report_parts
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.demo.accounts import ONLINE_ROUND_SLUG
from tashawur.demo.command import _logins_text
from tashawur.demo.loader import demo_load
from tashawur.demo.people import MEETING_SLUG


@pytest.fixture(scope="module")
def shipped(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        summary = demo_load()
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def loaded(shipped, db):
    return shipped


def test_the_2018_meeting_is_held_and_its_round_tables_closed_with_a_report(loaded) -> None:
    meeting = Meeting.objects.get(slug=MEETING_SLUG)
    assert meeting.status == Meeting.Status.CLOSED
    assert meeting.phase == Meeting.Phase.HELD
    workshops = list(meeting.workshops.all())
    assert len(workshops) == 5
    for workshop in workshops:
        assert workshop.status == Workshop.Status.CLOSED
        assert workshop.opened_at < workshop.closed_at <= meeting.ends_at
        cited = [part.number for part in report_parts(workshop.closing_report) if part.number]
        assert len(cited) >= 8, workshop.title_fr
        own = set(workshop.contributions.values_list("pk", flat=True))
        assert set(cited) <= own, f"{workshop.title_fr} cites another table's contributions"
        assert not re.search(r"\{[\w-]+\}", workshop.closing_report)


def test_those_at_the_round_tables_were_checked_in_before_the_opening(loaded) -> None:
    meeting = Meeting.objects.get(slug=MEETING_SLUG)
    registrations = Registration.objects.filter(meeting=meeting)
    checked = registrations.filter(checked_in_at__isnull=False)
    seated = set(meeting.workshops.values_list("attendances__participant_id", flat=True).distinct())
    assert set(checked.values_list("participant_id", flat=True)) == seated
    assert checked.count() >= 100
    for when in checked.values_list("checked_in_at", flat=True):
        assert meeting.starts_at - dt.timedelta(minutes=30) <= when < meeting.starts_at
    codes = list(registrations.values_list("code", flat=True))
    assert len(set(codes)) == len(codes) and all(len(code) == 8 for code in codes)


def test_the_online_round_is_open_now_for_visitors(loaded) -> None:
    online = Meeting.objects.get(slug=ONLINE_ROUND_SLUG)
    assert online.consultation.slug == Meeting.objects.get(slug=MEETING_SLUG).consultation.slug
    assert online.phase == Meeting.Phase.UNDER_WAY
    assert online.starts_at < timezone.now() < online.ends_at - dt.timedelta(days=30)
    open_tables = online.workshops.filter(status=Workshop.Status.OPEN)
    assert open_tables.count() == 3
    assert not Registration.objects.filter(meeting=online).exists()
    # Something to vote on at each table, in the languages people write.
    said = Contribution.objects.filter(workshop__meeting=online)
    assert {c.workshop_id for c in said} == set(open_tables.values_list("pk", flat=True))
    assert all(c.moderation_status == ModerationStatus.PUBLISHED for c in said)
    assert {"ary", "ary-Latn", "fr"} <= {c.language for c in said}


def test_loading_again_the_same_day_changes_nothing(loaded) -> None:
    before = {(w.pk, w.status, w.closing_report, w.updated_at) for w in Workshop.objects.all()}
    registrations = set(
        Registration.objects.values_list("pk", "checked_in_at", "updated_at", "code")
    )
    assert demo_load() == loaded
    assert {
        (w.pk, w.status, w.closing_report, w.updated_at) for w in Workshop.objects.all()
    } == before
    assert (
        set(Registration.objects.values_list("pk", "checked_in_at", "updated_at", "code"))
        == registrations
    )


def test_make_demo_prints_the_workspace_and_the_online_round() -> None:
    text = _logins_text("http://127.0.0.1:8000/")
    assert "http://127.0.0.1:8000/manage/" in text
    assert f"http://127.0.0.1:8000/m/{ONLINE_ROUND_SLUG}/" in text
    assert "http://127.0.0.1:8000/signup/" in text
