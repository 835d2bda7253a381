"""Load the Souss-Massa 2018 demo from the files in ``demo/data/`` (written for the demo).

``demo_load()`` is idempotent (a second run writes nothing) and transactional (a failure half
way leaves the database as it was). Rows are keyed by natural keys so that a re-run finds them:
slugs, the file's keys (organisations' slugs, participants' pseudonyms derived from their key,
contributions' idempotency keys ``demo-<key>``) and the unique pairs of votes, registrations and
attendance. Votes are generated from ``votes.yaml`` with ``random.Random(seed)``. The regional
action programme of ``programme.yaml`` goes through the programmes services (``demo.programme``);
once a synthesis run has succeeded, its measures cite the findings of the run the diagnosis shows,
and, unless a version is published already, the demo's analyst curates that run's findings and
publishes the written diagnosis (``demo.diagnosis``).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from tashawur.actors.models import (
    ActorType,
    Consent,
    ConsentText,
    Organisation,
    Participant,
    QualitySign,
)
from tashawur.actors.services import (
    actor_subtype_slug,
    actor_types_load_reference,
    consent_text_current,
    consent_texts_load_reference,
    quality_signs_load_reference,
)
from tashawur.consultations.models import (
    AgendaItem,
    Attendance,
    Consultation,
    Dimension,
    Meeting,
    Registration,
    Strategy,
    Theme,
    Workshop,
)
from tashawur.consultations.services import themes_load_reference
from tashawur.contributions.models import (
    TEXT_MAX_LENGTH,
    Channel,
    Contribution,
    Language,
    ModerationStatus,
    Vote,
)
from tashawur.contributions.services import contribution_vote_counters_recompute
from tashawur.core.data import upsert
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.core.text import clean_user_text, contains_bidi_controls
from tashawur.demo.accounts import DEMO_PASSWORD, DEMO_USERS
from tashawur.demo.diagnosis import demo_diagnosis_publish
from tashawur.demo.files import (
    CONTRIBUTION_KEY_PREFIX,
    DemoDataError,
    default_data_dir,
    read_yaml,
)
from tashawur.demo.ideas import demo_ideas_contribution_keys
from tashawur.demo.programme import demo_programme_link_findings, demo_programme_sync
from tashawur.diagnosis.models import SynthesisRun
from tashawur.territories.models import Territory
from tashawur.territories.services import territories_load_reference

M = TypeVar("M", bound=Model)

STRATEGY_SLUG = "ess-national-strategy-2018"
CONSULTATION_SLUG = "souss-massa-2018"
MEETING_SLUG = "taroudant-2018"
# Participants' pseudonyms are derived from their key in the file, so a re-run finds them.
PSEUDONYM_NAMESPACE = uuid.UUID("6f1c3a52-7d0e-4b8a-9a51-2018080409d1")
TIME_ZONE = zoneinfo.ZoneInfo("Africa/Casablanca")

_TABLE_HEADING = re.compile(r"^#\s*-+\s*table\s+\d+\s*:\s*([a-z_]+)")


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

    def __str__(self) -> str:
        text = (
            f"demo: {self.organisations} organisations, {self.participants} participants, "
            f"{self.workshops} workshops, {self.contributions} contributions, {self.votes} votes, "
            f"{self.measures} programme measures"
        )
        return f"{text}; {self.diagnosis}" if self.diagnosis else text


@transaction.atomic
def demo_load(*, data_dir: Traversable | Path | None = None) -> DemoSummary:
    """Load (or bring back) the demo; returns what the demo holds afterwards."""
    data_dir = data_dir or default_data_dir()
    territories_load_reference()
    actor_types_load_reference()
    quality_signs_load_reference()
    consent_texts_load_reference()
    themes_load_reference()

    users = _users_sync()
    meeting_file = read_yaml(data_dir, "meeting.yaml")
    meeting, workshops = _meeting_sync(meeting_file, users)
    organisations = _organisations_sync(read_yaml(data_dir, "organisations.yaml"))
    participants_text = data_dir.joinpath("participants.yaml").read_text(encoding="utf-8")
    participant_rows = yaml.safe_load(participants_text)
    participants = _participants_sync(participant_rows, organisations)
    _participant_user_link(users["participant"], participant_rows, participants)
    _consents_sync(participant_rows, participants, users["facilitator"])
    _registrations_sync(meeting, participants.values())

    contribution_groups = read_yaml(data_dir, "contributions.yaml")["workshops"]
    contributions, authored = _contributions_sync(
        contribution_groups, workshops, participants, users["facilitator"]
    )
    _contribution_times_sync(contribution_groups, contributions, meeting, meeting_file)
    tables = _tables_from_headings(participants_text)
    attendance = _attendance_sync(workshops, participant_rows, participants, authored, tables)
    votes = _votes_sync(
        read_yaml(data_dir, "votes.yaml"),
        contribution_groups,
        contributions,
        participant_rows,
        participants,
        attendance,
        list(workshops),
    )
    contribution_vote_counters_recompute(contribution_ids=[c.pk for c in contributions.values()])
    consultation = meeting.consultation
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
    return DemoSummary(
        organisations=len(organisations),
        participants=len(participants),
        workshops=len(workshops),
        contributions=len(contributions),
        votes=votes,
        measures=measures,
        diagnosis=diagnosis,
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


# --- generic bulk synchronisation ------------------------------------------------------------


def _sync_by_key(
    model: type[M], key_field: str, wanted: Mapping[Any, dict[str, Any]]
) -> dict[Any, M]:
    """Create the missing rows and update the changed ones, in bulk; returns key -> row."""
    manager = model._default_manager
    # Newest first, so that the oldest row of a key wins: idempotency keys are unique per
    # sender only, and a visitor of the demo may send one of the demo's own keys.
    rows = manager.filter(**{f"{key_field}__in": list(wanted)}).order_by("-pk")
    existing = {getattr(o, key_field): o for o in rows}
    has_updated_at = any(f.name == "updated_at" for f in model._meta.concrete_fields)
    now = timezone.now()
    to_create: list[M] = []
    to_update: list[M] = []
    changed_fields: set[str] = set()
    for key, fields in wanted.items():
        obj = existing.get(key)
        if obj is None:
            to_create.append(model(**{key_field: key}, **fields))
            continue
        dirty = False
        for name, value in fields.items():
            attname = model._meta.get_field(name).attname  # type: ignore[union-attr]
            if getattr(obj, attname) != (value.pk if isinstance(value, Model) else value):
                setattr(obj, name, value)
                changed_fields.add(name)
                dirty = True
        if dirty:
            if has_updated_at:
                obj.updated_at = now  # type: ignore[attr-defined]
            to_update.append(obj)
    if to_create:
        manager.bulk_create(to_create, batch_size=500)
    if to_update:
        update_fields = sorted(changed_fields | ({"updated_at"} if has_updated_at else set()))
        manager.bulk_update(to_update, update_fields, batch_size=500)
    return {getattr(o, key_field): o for o in manager.filter(**{f"{key_field}__in": list(wanted)})}


def _lookup(mapping: Mapping[str, M], key: str, what: str, where: str) -> M:
    try:
        return mapping[key]
    except KeyError:
        raise DemoDataError(f"{where}: unknown {what} {key!r}") from None


# --- people and places -----------------------------------------------------------------------


def _users_sync() -> dict[str, User]:
    users: dict[str, User] = {}
    password = None
    for username, (role, first_name, last_name) in DEMO_USERS.items():
        national = role == Role.NATIONAL_COORDINATOR
        user, status = upsert(
            User,
            username=username,
            defaults={
                "role": role,
                "first_name": first_name,
                "last_name": last_name,
                "is_staff": national,
                "is_superuser": national,
                "is_active": True,
            },
        )
        if status == "created":
            # Hashing is slow on purpose; one hash serves the six demo accounts.
            password = password or make_password(DEMO_PASSWORD)
            user.password = password
            user.save(update_fields=["password"])
        users[username] = user
    return users


def _local(day: dt.date, time: str) -> dt.datetime:
    hours, minutes = (int(part) for part in time.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=TIME_ZONE)


def _time(value: str | None) -> dt.time | None:
    if not value:
        return None
    hours, minutes = (int(part) for part in str(value).split(":"))
    return dt.time(hours, minutes)


def _meeting_sync(
    data: dict[str, Any], users: dict[str, User]
) -> tuple[Meeting, dict[str, Workshop]]:
    country = Territory.objects.get(code="MA")
    strategy, _ = upsert(
        Strategy,
        slug=STRATEGY_SLUG,
        defaults={
            "title_ar": data["strategy"]["title_ar"],
            "title_fr": data["strategy"]["title_fr"],
            "description_ar": data["strategy"].get("description_ar", "").strip(),
            "description_fr": data["strategy"].get("description_fr", "").strip(),
            "territory": country,
            "status": Strategy.Status.ACTIVE,
        },
    )
    region = Territory.objects.get(code=str(data["consultation"]["region"]))
    consultation, _ = upsert(
        Consultation,
        slug=CONSULTATION_SLUG,
        defaults={
            "strategy": strategy,
            "region": region,
            "title_ar": data["consultation"]["title_ar"],
            "title_fr": data["consultation"]["title_fr"],
            "status": Consultation.Status.OPEN,
        },
    )
    if not consultation.coordinators.filter(pk=users["regional"].pk).exists():
        consultation.coordinators.add(users["regional"])
    if not consultation.analysts.filter(pk=users["analyst"].pk).exists():
        consultation.analysts.add(users["analyst"])
    info = data["meeting"]
    day = info["date"] if isinstance(info["date"], dt.date) else dt.date.fromisoformat(info["date"])
    meeting, _ = upsert(
        Meeting,
        slug=MEETING_SLUG,
        defaults={
            "consultation": consultation,
            "title_ar": info["title_ar"],
            "title_fr": info["title_fr"],
            "starts_at": _local(day, str(info["starts"])),
            "ends_at": _local(day, str(info["ends"])),
            "venue_ar": info["venue_ar"],
            "venue_fr": info["venue_fr"],
            "territory": Territory.objects.get(code=str(info["province"])),
            "status": Meeting.Status.OPEN,
        },
    )
    for item in data.get("agenda", []):
        upsert(
            AgendaItem,
            meeting=meeting,
            position=item["position"],
            defaults={
                "starts_at": _time(item["starts"]),
                "ends_at": _time(item.get("ends")),
                "kind": item["kind"],
                "title_ar": item["title_ar"],
                "title_fr": item["title_fr"],
            },
        )
    workshops_start = min(
        (_local(day, str(i["starts"])) for i in data.get("agenda", []) if i["kind"] == "workshops"),
        default=meeting.starts_at,
    )
    workshops: dict[str, Workshop] = {}
    for item in data["workshops"]:
        room = " / ".join(r for r in (item.get("room_ar", ""), item.get("room_fr", "")) if r)
        workshop, _ = upsert(
            Workshop,
            meeting=meeting,
            position=item["position"],
            defaults={
                "theme": Theme.objects.get(slug=item["theme"]),
                "title_ar": item["title_ar"],
                "title_fr": item["title_fr"],
                "question_ar": item.get("summary_ar", "").strip(),
                "question_fr": item.get("summary_fr", "").strip(),
                "room": room,
                "facilitator": users["facilitator"],
                "rapporteur": users["rapporteur"],
                # A replay of the day: the round tables are open, so the demo takes input.
                "status": Workshop.Status.OPEN,
                "opened_at": workshops_start,
                "closed_at": None,
                "closing_report": "",
            },
        )
        workshops[item["theme"]] = workshop
    return meeting, workshops


def _organisations_sync(rows: list[dict[str, Any]]) -> dict[str, Organisation]:
    types = {t.slug: t for t in ActorType.objects.all()}
    provinces = {t.code: t for t in Territory.objects.all()}
    signs = {s.name: s for s in QualitySign.objects.all()}
    wanted: dict[str, dict[str, Any]] = {}
    sign_names: dict[str, list[str]] = {}
    for row in rows:
        where = f"organisations.yaml {row['key']}"
        type_slug = (
            actor_subtype_slug(row["actor_type"], row["actor_subtype"])
            if row.get("actor_subtype")
            else row["actor_type"]
        )
        wanted[row["key"]] = {
            "name": row["name"],
            "name_fr": row.get("name_fr", ""),
            "actor_type": _lookup(types, type_slug, "actor type", where),
            "territory": _lookup(provinces, str(row["province"]), "province", where),
            "sector": row["sector"],
        }
        if row["sector"] not in Organisation.Sector.values:
            raise DemoDataError(f"{where}: unknown sector {row['sector']!r}")
        sign_names[row["key"]] = [
            _lookup(signs, name, "quality sign", where).name
            for name in row.get("quality_signs") or []
        ]
    organisations = _sync_by_key(Organisation, "slug", wanted)
    through = Organisation.quality_signs.through
    present = set(
        through.objects.filter(organisation__in=organisations.values()).values_list(
            "organisation_id", "qualitysign_id"
        )
    )
    missing = [
        through(organisation_id=organisations[key].pk, qualitysign_id=signs[name].pk)
        for key, names in sign_names.items()
        for name in names
        if (organisations[key].pk, signs[name].pk) not in present
    ]
    through.objects.bulk_create(missing)
    return organisations


def demo_pseudonym(key: str) -> uuid.UUID:
    return uuid.uuid5(PSEUDONYM_NAMESPACE, key)


def _participants_sync(
    rows: list[dict[str, Any]], organisations: dict[str, Organisation]
) -> dict[str, Participant]:
    provinces = {t.code: t for t in Territory.objects.all()}
    wanted: dict[uuid.UUID, dict[str, Any]] = {}
    memberships: dict[uuid.UUID, Organisation] = {}
    for row in rows:
        where = f"participants.yaml {row['key']}"
        pseudonym = demo_pseudonym(row["key"])
        if row["gender"] not in Participant.Gender.values:
            raise DemoDataError(f"{where}: unknown gender {row['gender']!r}")
        if str(row["age_band"]) not in Participant.AgeBand.values:
            raise DemoDataError(f"{where}: unknown age band {row['age_band']!r}")
        wanted[pseudonym] = {
            "display_name": row["name"],
            "territory": _lookup(provinces, str(row["province"]), "province", where),
            "gender": row["gender"],
            "age_band": str(row["age_band"]),
            "preferred_language": row.get("language", ""),
            "reads": bool(row.get("reads", True)),
        }
        if row.get("organisation"):
            memberships[pseudonym] = _lookup(
                organisations, row["organisation"], "organisation", where
            )
    by_pseudonym = _sync_by_key(Participant, "pseudonym", wanted)
    through = Participant.organisations.through
    present = set(
        through.objects.filter(participant__in=by_pseudonym.values()).values_list(
            "participant_id", "organisation_id"
        )
    )
    through.objects.bulk_create(
        [
            through(participant_id=by_pseudonym[p].pk, organisation_id=org.pk)
            for p, org in memberships.items()
            if (by_pseudonym[p].pk, org.pk) not in present
        ]
    )
    return {row["key"]: by_pseudonym[demo_pseudonym(row["key"])] for row in rows}


def _participant_user_link(
    user: User, rows: list[dict[str, Any]], participants: dict[str, Participant]
) -> None:
    """The ``participant`` login speaks for the first participant who reads and writes."""
    key = next(row["key"] for row in rows if row.get("reads", True))
    participant = participants[key]
    if participant.user_id == user.pk:
        return
    Participant.objects.filter(user=user).exclude(pk=participant.pk).update(user=None)
    participant.user = user
    participant.save(update_fields=["user", "updated_at"])


def _consents_sync(
    rows: list[dict[str, Any]], participants: dict[str, Participant], facilitator: User
) -> None:
    text = consent_text_current(purpose=ConsentText.Purpose.PARTICIPATION)
    assert text is not None  # published by consent_texts_load_reference() above
    consented = set(
        Consent.objects.filter(
            consent_text=text, withdrawn_at__isnull=True, participant__in=participants.values()
        ).values_list("participant_id", flat=True)
    )
    Consent.objects.bulk_create(
        [
            Consent(
                participant=participants[row["key"]],
                consent_text=text,
                granted=True,
                method=Consent.Method.WEB if row.get("reads", True) else Consent.Method.ORAL,
                recorded_by=None if row.get("reads", True) else facilitator,
            )
            for row in rows
            if participants[row["key"]].pk not in consented
        ]
    )


def _registrations_sync(meeting: Meeting, participants: Iterable[Participant]) -> None:
    participants = list(participants)
    existing = dict(
        Registration.objects.filter(meeting=meeting).values_list("participant_id", "status")
    )
    Registration.objects.bulk_create(
        [Registration(meeting=meeting, participant=p) for p in participants if p.pk not in existing]
    )
    cancelled = [p.pk for p in participants if existing.get(p.pk) == Registration.Status.CANCELLED]
    if cancelled:
        Registration.objects.filter(meeting=meeting, participant_id__in=cancelled).update(
            status=Registration.Status.REGISTERED, updated_at=timezone.now()
        )


# --- what was said ---------------------------------------------------------------------------


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


def _contributions_sync(
    groups: list[dict[str, Any]],
    workshops: dict[str, Workshop],
    participants: dict[str, Participant],
    facilitator: User,
) -> tuple[dict[str, Contribution], dict[str, set[str]]]:
    """Returns contributions by file key, and for each participant key the themes they spoke at."""
    wanted: dict[str, dict[str, Any]] = {}
    authored: dict[str, set[str]] = defaultdict(set)
    for group in groups:
        workshop = _lookup(workshops, group["theme"], "workshop theme", "contributions.yaml")
        for row in group["contributions"]:
            where = f"contributions.yaml {row['key']}"
            author_key = row.get("author")
            author = _lookup(participants, author_key, "author", where) if author_key else None
            channel = row["channel"]
            if channel not in Channel.values:
                raise DemoDataError(f"{where}: unknown channel {channel!r}")
            if row["language"] not in Language.values:
                raise DemoDataError(f"{where}: unknown language {row['language']!r}")
            if row["dimension"] not in Dimension.values:
                raise DemoDataError(f"{where}: unknown dimension {row['dimension']!r}")
            if author_key:
                authored[author_key].add(group["theme"])
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
    stored = _sync_by_key(Contribution, "idempotency_key", wanted)
    by_key = {key.removeprefix(CONTRIBUTION_KEY_PREFIX): c for key, c in stored.items()}
    return by_key, authored


# Morning round tables take stock; the afternoon ones turn to proposals (meeting.yaml's agenda).
_AFTERNOON_DIMENSIONS = {"proposal", "coordination"}


def _contribution_times_sync(
    groups: list[dict[str, Any]],
    contributions: dict[str, Contribution],
    meeting: Meeting,
    meeting_file: dict[str, Any],
) -> None:
    """Date each contribution within its round-table session on the day, in file order (the
    database would otherwise stamp them all with the moment of loading)."""
    day = meeting.starts_at.astimezone(TIME_ZONE).date()
    slots = [
        (_local(day, str(item["starts"])), _local(day, str(item["ends"])))
        for item in meeting_file.get("agenda", [])
        if item["kind"] == "workshops" and item.get("ends")
    ] or [(meeting.starts_at, meeting.ends_at)]
    morning, afternoon = slots[0], slots[-1]
    changed = []
    for group in groups:
        sessions: dict[bool, list[str]] = {False: [], True: []}
        for row in group["contributions"]:
            sessions[row["dimension"] in _AFTERNOON_DIMENSIONS].append(row["key"])
        for later, keys in sessions.items():
            start, end = afternoon if later else morning
            step = (end - start) / (len(keys) + 1)
            for index, key in enumerate(keys, start=1):
                contribution = contributions[key]
                when = start + step * index
                if contribution.created_at != when:
                    contribution.created_at = when
                    changed.append(contribution)
    Contribution.objects.bulk_update(changed, ["created_at"], batch_size=500)


def _tables_from_headings(participants_text: str) -> dict[str, str]:
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


def _attendance_sync(
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


# --- votes ---------------------------------------------------------------------------------


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


def _votes_sync(
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
