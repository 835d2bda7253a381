"""Load the Souss-Massa 2018 demo from the files in ``demo/data/`` (written for the demo).

``demo_load()`` is idempotent (a second run writes nothing) and transactional (a failure half
way leaves the database as it was). Rows are keyed by natural keys so that a re-run finds them:
slugs, the file's keys (organisations' slugs, participants' pseudonyms derived from their key,
contributions' idempotency keys ``demo-<key>``) and the unique pairs of votes, registrations and
attendance. The rows that came in through the field channels (``import``, ``offline``) are
imported and synced by those channels' own code (``demo.field_capture``). Votes are generated
from ``votes.yaml`` with ``random.Random(seed)``. The regional
action programme of ``programme.yaml`` goes through the programmes services (``demo.programme``);
once a synthesis run has succeeded, its measures cite the findings of the run the diagnosis shows,
and, unless a version is published already, the demo's analyst curates that run's findings and
publishes the written diagnosis (``demo.diagnosis``).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path

import yaml
from django.db import transaction

from tashawur.actors.services import (
    actor_types_load_reference,
    consent_texts_load_reference,
    quality_signs_load_reference,
)
from tashawur.consultations.services import themes_load_reference
from tashawur.contributions.generations import everything_changed
from tashawur.contributions.services import contribution_vote_counters_recompute
from tashawur.core.models import User
from tashawur.demo.diagnosis import demo_diagnosis_publish
from tashawur.demo.field_capture import demo_field_capture_sync
from tashawur.demo.files import DemoDataError, default_data_dir, read_yaml
from tashawur.demo.ideas import demo_ideas_contribution_keys
from tashawur.demo.online import demo_online_round_sync
from tashawur.demo.people import (
    CONSULTATION_SLUG,
    demo_consents_sync,
    demo_meeting_sync,
    demo_organisations_sync,
    demo_participant_user_link,
    demo_participants_sync,
    demo_registrations_sync,
    demo_users_sync,
)
from tashawur.demo.programme import demo_programme_link_findings, demo_programme_sync
from tashawur.demo.regions import DemoRegionSummary, demo_regions_sync
from tashawur.demo.workshops import (
    demo_attendance_sync,
    demo_check_ins_sync,
    demo_closing_reports_sync,
    demo_contribution_times,
    demo_contribution_times_sync,
    demo_contributions_sync,
    demo_tables_from_headings,
    demo_votes_sync,
)
from tashawur.diagnosis.models import SynthesisRun
from tashawur.territories.services import territories_load_reference

__all__ = ["CONSULTATION_SLUG", "DemoSummary", "default_data_dir", "demo_load"]


@dataclass(frozen=True)
class DemoSummary:
    organisations: int
    participants: int
    workshops: int
    contributions: int
    votes: int
    measures: int = 0
    #: What became of the published diagnosis, when a synthesis run has succeeded.
    diagnosis: str = ""
    #: The other regional consultations of the strategy (``demo/data/regions/``, fictional).
    regions: tuple[DemoRegionSummary, ...] = ()

    def __str__(self) -> str:
        text = (
            f"demo: {self.organisations} organisations, {self.participants} participants, "
            f"{self.workshops} workshops, {self.contributions} contributions, {self.votes} votes, "
            f"{self.measures} programme measures"
        )
        text = f"{text}; {self.diagnosis}" if self.diagnosis else text
        return "; ".join([text, *(str(region) for region in self.regions)])


@transaction.atomic
def demo_load(*, data_dir: Traversable | Path | None = None) -> DemoSummary:
    """Load (or bring back) the demo; returns what the demo holds afterwards."""
    data_dir = data_dir or default_data_dir()
    territories_load_reference()
    actor_types_load_reference()
    quality_signs_load_reference()
    consent_texts_load_reference()
    themes_load_reference()

    users = demo_users_sync()
    meeting_file = read_yaml(data_dir, "meeting.yaml")
    meeting, workshops = demo_meeting_sync(meeting_file, users)
    organisations = demo_organisations_sync(read_yaml(data_dir, "organisations.yaml"))
    participants_text = data_dir.joinpath("participants.yaml").read_text(encoding="utf-8")
    participant_rows = yaml.safe_load(participants_text)
    participants = demo_participants_sync(participant_rows, organisations)
    demo_participant_user_link(users["participant"], participant_rows, participants)
    demo_consents_sync(participant_rows, participants, users["facilitator"])
    demo_registrations_sync(meeting, participants.values())

    contribution_groups = read_yaml(data_dir, "contributions.yaml")["workshops"]
    contributions, authored = demo_contributions_sync(
        contribution_groups, workshops, participants, users["facilitator"]
    )
    said = demo_contribution_times(contribution_groups, meeting, meeting_file)
    contributions |= demo_field_capture_sync(
        contribution_groups, workshops, participants, users["facilitator"], said
    )
    demo_contribution_times_sync(contribution_groups, contributions, meeting, said)
    tables = demo_tables_from_headings(participants_text)
    attendance = demo_attendance_sync(workshops, participant_rows, participants, authored, tables)
    demo_check_ins_sync(meeting, attendance, participants, users["regional"])
    demo_closing_reports_sync(meeting_file, workshops, contributions)
    votes = demo_votes_sync(
        read_yaml(data_dir, "votes.yaml"),
        contribution_groups,
        contributions,
        participant_rows,
        participants,
        attendance,
        list(workshops),
    )
    contribution_vote_counters_recompute(contribution_ids=[c.pk for c in contributions.values()])
    regions = demo_regions_sync(data_dir=data_dir, users=users)
    consultation = meeting.consultation
    online_workshops, online_contributions = demo_online_round_sync(
        meeting_file, consultation, users, participants
    )
    _programme, measures = demo_programme_sync(
        read_yaml(data_dir, "programme.yaml"),
        consultation=consultation,
        organisations=organisations,
        ideas=demo_ideas_contribution_keys(contribution_groups),
        recorded_by=users["regional"],
    )
    # The run the diagnosis shows, when there is one: the measures cite its findings.
    shown = SynthesisRun.objects.current_for(consultation)
    diagnosis = ""
    if shown is not None:
        demo_programme_link_findings(run=shown, data_dir=data_dir)
        diagnosis = _diagnosis_sync(shown, users["analyst"], data_dir)
    # Much of it is written in bulk (no signal): every cached page's versions at once.
    everything_changed()
    return DemoSummary(
        organisations=len(organisations),
        participants=len(participants),
        workshops=len(workshops) + online_workshops,
        contributions=len(contributions) + online_contributions,
        votes=votes,
        measures=measures,
        diagnosis=diagnosis,
        regions=regions,
    )


def _diagnosis_sync(run: SynthesisRun, analyst: User, data_dir: Traversable | Path) -> str:
    """Publish the diagnosis from ``run`` unless a version is published; a refusal is said in
    the summary and leaves the rest of the demo loaded (``demo_diagnosis_publish`` stores
    nothing then)."""
    try:
        published = demo_diagnosis_publish(run=run, analyst=analyst, data_dir=data_dir)
    except DemoDataError as error:
        return f"diagnosis not published: {error}"
    return f"published diagnosis {published}"
