"""The demo's other regional consultations of the same strategy: Drâa-Tafilalet and Oriental,
2018, fictional (``demo/data/regions/``, one file per region; README.md gives the schema).

Each file holds what Souss-Massa spreads over five: the consultation, its meeting, agenda and
round tables (closed with their rapporteur's report), organisations, participants (each with
the ``table`` they sit and speak at), contributions by round table and the vote plan. They go
through the Souss-Massa loader's own functions, so a region is keyed, checked and dated as
Souss-Massa is. No online round, programme or written diagnosis. A province the territories
reference does not hold yet is read as its region (the code's first two digits).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from django.db import transaction

from tashawur.contributions.models import Channel
from tashawur.contributions.services import contribution_vote_counters_recompute
from tashawur.core.models import User
from tashawur.demo.files import DemoDataError, read_yaml
from tashawur.demo.people import (
    demo_consents_sync,
    demo_meeting_sync,
    demo_organisations_sync,
    demo_participants_sync,
    demo_registrations_sync,
)
from tashawur.demo.workshops import (
    demo_attendance_sync,
    demo_check_ins_sync,
    demo_closing_reports_sync,
    demo_contribution_times,
    demo_contribution_times_sync,
    demo_contributions_sync,
    demo_votes_sync,
)
from tashawur.territories.models import Territory

REGIONS_DIR = "regions"
#: The regions' files hold what was said at the table or written on the site, nothing that a
#: field channel (an imported note, an offline capture) would bring in by its own code.
_CHANNELS = {Channel.WEB, Channel.FACILITATOR}


@dataclass(frozen=True)
class DemoRegionSummary:
    consultation: str
    organisations: int
    participants: int
    workshops: int
    contributions: int
    votes: int

    def __str__(self) -> str:
        return (
            f"{self.consultation}: {self.organisations} organisations, {self.participants} "
            f"participants, {self.workshops} workshops, {self.contributions} contributions, "
            f"{self.votes} votes"
        )


def demo_region_files(data_dir: Traversable | Path) -> list[dict[str, Any]]:
    """The regions' files, read, in name order; none where ``data_dir`` has no ``regions/``."""
    folder = data_dir.joinpath(REGIONS_DIR)
    if not folder.is_dir():
        return []
    names = sorted(f.name for f in folder.iterdir() if f.is_file() and f.name.endswith(".yaml"))
    return [read_yaml(folder, name) for name in names]


def demo_region_slugs(data_dir: Traversable | Path) -> list[str]:
    """The regions' consultation slugs, in file order."""
    return [str(data["consultation"]["slug"]) for data in demo_region_files(data_dir)]


@transaction.atomic
def demo_regions_sync(
    *, data_dir: Traversable | Path, users: dict[str, User]
) -> tuple[DemoRegionSummary, ...]:
    """Load (or bring back) every region of ``data_dir/regions/``."""
    return tuple(demo_region_sync(data, users) for data in demo_region_files(data_dir))


def demo_region_sync(data: dict[str, Any], users: dict[str, User]) -> DemoRegionSummary:
    slug = str(data["consultation"]["slug"])
    data = _provinces_as_loaded(data)
    meeting, workshops = demo_meeting_sync(
        data, users, consultation_slug=slug, meeting_slug=str(data["meeting"]["slug"])
    )
    organisations = demo_organisations_sync(data["organisations"])
    rows: list[dict[str, Any]] = data["participants"]
    participants = demo_participants_sync(rows, organisations)
    demo_consents_sync(rows, participants, users["facilitator"])
    demo_registrations_sync(meeting, participants.values())

    groups: list[dict[str, Any]] = data["contributions"]
    for group in groups:
        for row in group["contributions"]:
            if row["channel"] not in _CHANNELS:
                raise DemoDataError(f"{slug} {row['key']}: channel {row['channel']!r} not loaded")
    contributions, authored = demo_contributions_sync(
        groups, workshops, participants, users["facilitator"]
    )
    said = demo_contribution_times(groups, meeting, data)
    demo_contribution_times_sync(groups, contributions, meeting, said)
    tables = {row["key"]: row["table"] for row in rows}
    attendance = demo_attendance_sync(workshops, rows, participants, authored, tables)
    demo_check_ins_sync(meeting, attendance, participants, users["regional"])
    demo_closing_reports_sync(data, workshops, contributions)
    votes = demo_votes_sync(
        data["votes"], groups, contributions, rows, participants, attendance, list(workshops)
    )
    contribution_vote_counters_recompute(contribution_ids=[c.pk for c in contributions.values()])
    return DemoRegionSummary(
        consultation=slug,
        organisations=len(organisations),
        participants=len(participants),
        workshops=len(workshops),
        contributions=len(contributions),
        votes=votes,
    )


def _provinces_as_loaded(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each province the territories reference lacks read as its region."""
    wanted = {str(data["meeting"]["province"])}
    wanted |= {str(row["province"]) for row in [*data["organisations"], *data["participants"]]}
    loaded = set(Territory.objects.filter(code__in=wanted).values_list("code", flat=True))

    def code(value: Any) -> str:
        text = str(value)
        return text if text in loaded else text.split(".", 1)[0]

    return {
        **data,
        "meeting": {**data["meeting"], "province": code(data["meeting"]["province"])},
        "organisations": [{**r, "province": code(r["province"])} for r in data["organisations"]],
        "participants": [{**r, "province": code(r["province"])} for r in data["participants"]],
    }
