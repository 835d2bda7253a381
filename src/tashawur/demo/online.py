"""The online round that follows the Taroudant meeting (``meeting.yaml``'s ``online_round``):
round tables open on the web for weeks after the day, as consultations run them, so that a
visitor to the demo can sign up, register, contribute and vote. Its dates follow the day the
demo is loaded; loading twice the same day changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tashawur.actors.models import Participant
from tashawur.consultations.models import Consultation, Meeting, Theme, Workshop
from tashawur.core.data import upsert
from tashawur.core.models import User
from tashawur.demo.sync import TIME_ZONE, local_datetime
from tashawur.demo.workshops import demo_contributions_sync
from tashawur.territories.models import Territory


def demo_online_round_sync(
    meeting_file: dict[str, Any],
    consultation: Consultation,
    users: dict[str, User],
    participants: dict[str, Participant],
) -> tuple[int, int]:
    """Returns how many round tables and contributions the round holds."""
    info = meeting_file.get("online_round")
    if not info:
        return 0, 0
    today = timezone.now().astimezone(TIME_ZONE).date()
    starts_at = local_datetime(today - dt.timedelta(days=int(info["opens_days_before"])), "09:00")
    ends_at = local_datetime(today + dt.timedelta(days=int(info["closes_days_after"])), "18:00")
    meeting, _ = upsert(
        Meeting,
        slug=info["slug"],
        defaults={
            "consultation": consultation,
            "title_ar": info["title_ar"],
            "title_fr": info["title_fr"],
            "starts_at": starts_at,
            "ends_at": ends_at,
            "venue_ar": info["venue_ar"],
            "venue_fr": info["venue_fr"],
            "territory": Territory.objects.get(code=str(info["province"])),
            "status": Meeting.Status.OPEN,
        },
    )
    workshops: dict[str, Workshop] = {}
    for item in info["workshops"]:
        workshops[item["theme"]], _ = upsert(
            Workshop,
            meeting=meeting,
            position=item["position"],
            defaults={
                "theme": Theme.objects.get(slug=item["theme"]),
                "title_ar": item["title_ar"],
                "title_fr": item["title_fr"],
                "question_ar": item.get("summary_ar", "").strip(),
                "question_fr": item.get("summary_fr", "").strip(),
                "room": "",
                "facilitator": users["facilitator"],
                "rapporteur": users["rapporteur"],
                "status": Workshop.Status.OPEN,
                "opened_at": starts_at,
                "closed_at": None,
            },
        )
    # What people wrote in the round's first week, so that a visitor finds something to vote on.
    groups = [
        {"theme": item["theme"], "contributions": item["contributions"]}
        for item in info["workshops"]
        if item.get("contributions")
    ]
    contributions, _ = demo_contributions_sync(
        groups, workshops, participants, users["facilitator"]
    )
    return len(workshops), len(contributions)
