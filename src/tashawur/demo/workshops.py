"""What was said and done at the demo's workshops: the contributions and their times, who sat
at which table, and the votes generated from ``votes.yaml``."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from tashawur.actors.models import Participant
from tashawur.consultations.models import Attendance, Dimension, Meeting, Registration, Workshop
from tashawur.contributions.models import (
    TEXT_MAX_LENGTH,
    Channel,
    Contribution,
    Language,
    ModerationStatus,
    Vote,
)
from tashawur.core.models import User
from tashawur.core.text import clean_user_text, contains_bidi_controls
from tashawur.demo.field_capture import FIELD_CHANNELS
from tashawur.demo.files import CONTRIBUTION_KEY_PREFIX, DemoDataError
from tashawur.demo.sync import TIME_ZONE, local_datetime, lookup, sync_by_key

_TABLE_HEADING = re.compile(r"^#\s*-+\s*table\s+\d+\s*:\s*([a-z_]+)")


def _demo_text(value: Any, *, where: str, required: bool) -> str:
    raw = str(value or "")
    if contains_bidi_controls(raw):
        raise DemoDataError(f"{where}: text contains bidi control characters")
    text = clean_user_text(raw)
    if required and not text:
        raise DemoDataError(f"{where}: empty text")
    if len(text) > TEXT_MAX_LENGTH:
        raise DemoDataError(f"{where}: text longer than {TEXT_MAX_LENGTH} characters")
    return text


def demo_contributions_sync(
    groups: list[dict[str, Any]],
    workshops: dict[str, Workshop],
    participants: dict[str, Participant],
    facilitator: User,
) -> tuple[dict[str, Contribution], dict[str, set[str]]]:
    """Returns contributions by file key, and for each participant key the themes they spoke at.
    The rows of the field channels (``import``, ``offline``) are left to
    ``demo.field_capture``; they count among the themes people spoke at."""
    wanted: dict[str, dict[str, Any]] = {}
    authored: dict[str, set[str]] = defaultdict(set)
    for group in groups:
        workshop = lookup(workshops, group["theme"], "workshop theme", "contributions.yaml")
        for row in group["contributions"]:
            where = f"contributions.yaml {row['key']}"
            author_key = row.get("author")
            author = lookup(participants, author_key, "author", where) if author_key else None
            channel = row["channel"]
            if channel not in Channel.values:
                raise DemoDataError(f"{where}: unknown channel {channel!r}")
            if row["language"] not in Language.values:
                raise DemoDataError(f"{where}: unknown language {row['language']!r}")
            if row["dimension"] not in Dimension.values:
                raise DemoDataError(f"{where}: unknown dimension {row['dimension']!r}")
            if author_key:
                authored[author_key].add(group["theme"])
            if channel in FIELD_CHANNELS:
                continue  # brought in by its channel's own code: demo.field_capture
            wanted[CONTRIBUTION_KEY_PREFIX + row["key"]] = {
                "consultation_id": workshop.meeting.consultation_id,
                "workshop": workshop,
                "text": _demo_text(row["text"], where=where, required=True),
                "translation_fr": _demo_text(
                    row.get("translation_fr"), where=where, required=False
                ),
                "language": row["language"],
                "dimension": row["dimension"],
                "theme": workshop.theme,
                "author": author,
                "recorded_by": (
                    facilitator if channel == Channel.FACILITATOR or author is None else None
                ),
                "channel": channel,
                "moderation_status": ModerationStatus.PUBLISHED,
            }
    stored = sync_by_key(Contribution, "idempotency_key", wanted)
    by_key = {key.removeprefix(CONTRIBUTION_KEY_PREFIX): c for key, c in stored.items()}
    return by_key, authored


# Morning round tables take stock; the afternoon ones turn to proposals (meeting.yaml's agenda).
_AFTERNOON_DIMENSIONS = {"proposal", "coordination"}


def demo_contribution_times(
    groups: list[dict[str, Any]], meeting: Meeting, meeting_file: dict[str, Any]
) -> dict[str, dt.datetime]:
    """When each contribution was said: within its round-table session on the day, in file
    order."""
    day = meeting.starts_at.astimezone(TIME_ZONE).date()
    slots = [
        (local_datetime(day, str(item["starts"])), local_datetime(day, str(item["ends"])))
        for item in meeting_file.get("agenda", [])
        if item["kind"] == "workshops" and item.get("ends")
    ] or [(meeting.starts_at, meeting.ends_at)]
    morning, afternoon = slots[0], slots[-1]
    said: dict[str, dt.datetime] = {}
    for group in groups:
        sessions: dict[bool, list[str]] = {False: [], True: []}
        for row in group["contributions"]:
            sessions[row["dimension"] in _AFTERNOON_DIMENSIONS].append(row["key"])
        for later, keys in sessions.items():
            start, end = afternoon if later else morning
            step = (end - start) / (len(keys) + 1)
            for index, key in enumerate(keys, start=1):
                said[key] = start + step * index
    return said


#: When the field channels' rows reached the platform: the phones synced once the session was
#: over; the secretary typed up and imported the notes in the evening.
_OFFLINE_SYNC_DELAY = dt.timedelta(minutes=15)
_IMPORT_DELAY = dt.timedelta(hours=3)


def demo_contribution_times_sync(
    groups: list[dict[str, Any]],
    contributions: dict[str, Contribution],
    meeting: Meeting,
    said: dict[str, dt.datetime],
) -> None:
    """Date each contribution as it reached the platform (the database would otherwise stamp
    them all with the moment of loading): when it was said, a little later for an offline
    capture, in the evening for an imported note (those two keep when they were said in
    ``said_at``, from their channel)."""
    changed = []
    for group in groups:
        for row in group["contributions"]:
            contribution = contributions[row["key"]]
            when = said[row["key"]]
            if row["channel"] == Channel.OFFLINE:
                when = when + _OFFLINE_SYNC_DELAY
            elif row["channel"] == Channel.IMPORT:
                when = meeting.ends_at + _IMPORT_DELAY
            if contribution.created_at != when:
                contribution.created_at = when
                changed.append(contribution)
    Contribution.objects.bulk_update(changed, ["created_at"], batch_size=500)


def demo_tables_from_headings(participants_text: str) -> dict[str, str]:
    """The round table each participant sits at, from the ``# --- table N: theme`` headings."""
    tables: dict[str, str] = {}
    current = None
    for line in participants_text.splitlines():
        heading = _TABLE_HEADING.match(line.strip())
        if heading:
            current = heading.group(1)
            continue
        found = re.search(r"\bkey:\s*([\w-]+)", line)
        if found and current:
            tables[found.group(1)] = current
    return tables


def demo_attendance_sync(
    workshops: dict[str, Workshop],
    rows: list[dict[str, Any]],
    participants: dict[str, Participant],
    authored: dict[str, set[str]],
    tables: dict[str, str],
) -> dict[str, set[str]]:
    """Everyone sits at their table and at every table where they spoke; the others are spread
    over the five tables in turn. Returns theme -> participant keys on the roster."""
    themes = list(workshops)
    roster: dict[str, set[str]] = defaultdict(set)
    for index, row in enumerate(rows):
        key = row["key"]
        sits = set(authored.get(key, set()))
        table = tables.get(key)
        if table in workshops:
            sits.add(table)
        if not sits:
            sits.add(themes[index % len(themes)])
        for theme in sits:
            roster[theme].add(key)
    present = set(
        Attendance.objects.filter(workshop__in=workshops.values()).values_list(
            "workshop_id", "participant_id"
        )
    )
    Attendance.objects.bulk_create(
        [
            Attendance(workshop=workshops[theme], participant=participants[key])
            for theme in themes
            for key in sorted(roster[theme])
            if (workshops[theme].pk, participants[key].pk) not in present
        ]
    )
    return roster


def demo_votes_generate(
    plan: dict[str, Any],
    groups: list[dict[str, Any]],
    personas: Mapping[str, str],
    roster: Mapping[str, set[str]],
    theme_order: list[str] | None = None,
) -> dict[tuple[str, str], int]:
    """Deterministic votes ``{(proposal key, participant key): value}`` (see votes.yaml).

    One ``random.Random(seed)`` for the run. For each workshop (in ``theme_order``, the meeting's
    order) and each of its proposals (file order), each person on that table's roster (key
    order): the author agrees without a draw (as in Pol.is); anyone else votes if a first draw
    falls under ``participation``; a second draw ``r`` then agrees when ``r < p_agree`` (the
    persona's stance on that proposal, else ``default.agree``) and otherwise disagrees or passes
    in the ratio ``default.disagree : default.pass``.
    """
    rng = random.Random(plan["seed"])  # noqa: S311 - reproducible demo data, not security
    participation = float(plan["participation"])
    default = plan["default"]
    default_agree = float(default["agree"])
    d, p = float(default["disagree"]), float(default["pass"])
    share_disagree = d / (d + p) if d + p else 0.0
    stances: dict[str, dict[str, float]] = plan.get("stances") or {}
    proposal_keys = {
        row["key"] for g in groups for row in g["contributions"] if row["dimension"] == "proposal"
    }
    unknown = set(stances) - proposal_keys
    if unknown:
        raise DemoDataError(f"votes.yaml: stances for unknown proposals {sorted(unknown)}")
    order = {theme: index for index, theme in enumerate(theme_order or [])}
    ordered = sorted(groups, key=lambda g: order.get(g["theme"], len(order)))
    votes: dict[tuple[str, str], int] = {}
    for group in ordered:
        for row in group["contributions"]:
            if row["dimension"] != "proposal":
                continue
            author = row.get("author")
            stance = stances.get(row["key"], {})
            for voter in sorted(roster.get(group["theme"], set())):
                if voter == author:
                    votes[(row["key"], voter)] = int(Vote.Value.AGREE)
                    continue
                if rng.random() >= participation:
                    continue
                p_agree = float(stance.get(personas.get(voter, ""), default_agree))
                r = rng.random()
                if r < p_agree:
                    value = Vote.Value.AGREE
                elif (r - p_agree) / (1 - p_agree) < share_disagree:
                    value = Vote.Value.DISAGREE
                else:
                    value = Vote.Value.PASS
                votes[(row["key"], voter)] = int(value)
            if author and (row["key"], author) not in votes:
                votes[(row["key"], author)] = int(Vote.Value.AGREE)  # an author off the roster
    return votes


def demo_votes_sync(
    plan: dict[str, Any],
    groups: list[dict[str, Any]],
    contributions: dict[str, Contribution],
    rows: list[dict[str, Any]],
    participants: dict[str, Participant],
    roster: dict[str, set[str]],
    theme_order: list[str],
) -> int:
    personas = {row["key"]: row.get("persona", "") for row in rows}
    wanted = demo_votes_generate(plan, groups, personas, roster, theme_order)
    existing = {
        (contribution_id, participant_id): (vote_id, value)
        for vote_id, contribution_id, participant_id, value in Vote.objects.filter(
            contribution__in=contributions.values()
        ).values_list("pk", "contribution_id", "participant_id", "value")
    }
    to_create = []
    to_update = []
    now = timezone.now()
    for (contribution_key, participant_key), value in wanted.items():
        pair = (contributions[contribution_key].pk, participants[participant_key].pk)
        current = existing.get(pair)
        if current is None:
            to_create.append(Vote(contribution_id=pair[0], participant_id=pair[1], value=value))
        elif current[1] != value:
            to_update.append(Vote(pk=current[0], value=value, updated_at=now))
    Vote.objects.bulk_create(to_create, batch_size=1000)
    Vote.objects.bulk_update(to_update, ["value", "updated_at"], batch_size=1000)
    return Vote.objects.filter(contribution__in=contributions.values()).count()


_REPORT_CITATION = re.compile(r"\{([\w-]+)\}")


def demo_closing_reports_sync(
    meeting_file: dict[str, Any],
    workshops: dict[str, Workshop],
    contributions: dict[str, Contribution],
) -> int:
    """The rapporteurs' reports of ``meeting.yaml``, their ``{key}`` citations turned into the
    contribution numbers the site shows (``#123``); a key of another round table is refused, as
    the closing page refuses it. Returns how many reports the file gives."""
    written = 0
    for item in meeting_file["workshops"]:
        raw = item.get("closing_report")
        if not raw:
            continue
        workshop = lookup(workshops, item["theme"], "workshop theme", "meeting.yaml")
        where = f"meeting.yaml closing report of {item['theme']}"

        def number(match: re.Match[str], workshop: Workshop = workshop, where: str = where) -> str:
            cited = lookup(contributions, match.group(1), "contribution", where)
            if cited.workshop_id != workshop.pk:
                raise DemoDataError(f"{where}: {match.group(1)} belongs to another round table")
            return f"#{cited.pk}"

        report = _REPORT_CITATION.sub(number, _demo_text(raw, where=where, required=True))
        if workshop.closing_report != report:
            workshop.closing_report = report
            workshop.save(update_fields=["closing_report", "updated_at"])
        written += 1
    return written


def demo_check_ins_sync(
    meeting: Meeting, roster: Mapping[str, set[str]], participants: dict[str, Participant], by: User
) -> None:
    """Everyone on a round table's roster was checked in at the door, in the half hour before
    the opening, in a fixed order; the others registered and did not come."""
    present = sorted({key for keys in roster.values() for key in keys})
    step = dt.timedelta(minutes=30) / max(len(present), 1)
    start = meeting.starts_at - dt.timedelta(minutes=30)
    wanted = {participants[key].pk: start + step * index for index, key in enumerate(present)}
    changed = []
    for registration in Registration.objects.filter(meeting=meeting, participant_id__in=wanted):
        when = wanted[registration.participant_id]
        if registration.checked_in_at != when or registration.checked_in_by_id != by.pk:
            registration.checked_in_at = when
            registration.checked_in_by = by
            changed.append(registration)
    Registration.objects.bulk_update(changed, ["checked_in_at", "checked_in_by"], batch_size=500)
