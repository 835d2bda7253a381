"""The demo's people and places: its accounts, the strategy, consultation and meeting with its
workshops, the organisations, the participants with their consents and registrations."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from tashawur.actors.models import (
    ActorType,
    Consent,
    ConsentText,
    Organisation,
    Participant,
    QualitySign,
)
from tashawur.actors.services import actor_subtype_slug, consent_text_current
from tashawur.consultations.models import (
    AgendaItem,
    Consultation,
    Meeting,
    Registration,
    Strategy,
    Theme,
    Workshop,
)
from tashawur.core.data import upsert
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.demo.accounts import DEMO_PASSWORD, DEMO_USERS
from tashawur.demo.files import DemoDataError
from tashawur.demo.sync import local_datetime, lookup, sync_by_key
from tashawur.territories.models import Territory

STRATEGY_SLUG = "ess-national-strategy-2018"
CONSULTATION_SLUG = "souss-massa-2018"
MEETING_SLUG = "taroudant-2018"
#: Participants' pseudonyms derive from their key in participants.yaml (``demo_pseudonym``).
PSEUDONYM_NAMESPACE = uuid.UUID("6f1c3a52-7d0e-4b8a-9a51-2018080409d1")


def demo_users_sync() -> dict[str, User]:
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


def _time(value: str | None) -> dt.time | None:
    if not value:
        return None
    hours, minutes = (int(part) for part in str(value).split(":"))
    return dt.time(hours, minutes)


def demo_meeting_sync(
    data: dict[str, Any],
    users: dict[str, User],
    *,
    consultation_slug: str = CONSULTATION_SLUG,
    meeting_slug: str = MEETING_SLUG,
) -> tuple[Meeting, dict[str, Workshop]]:
    """The strategy (when ``data`` gives it; else the one Souss-Massa's file loaded), the
    consultation, its meeting, agenda and round tables."""
    if "strategy" in data:
        strategy, _ = upsert(
            Strategy,
            slug=STRATEGY_SLUG,
            defaults={
                "title_ar": data["strategy"]["title_ar"],
                "title_fr": data["strategy"]["title_fr"],
                "description_ar": data["strategy"].get("description_ar", "").strip(),
                "description_fr": data["strategy"].get("description_fr", "").strip(),
                "territory": Territory.objects.get(code="MA"),
                "status": Strategy.Status.ACTIVE,
            },
        )
    else:
        strategy = Strategy.objects.get(slug=STRATEGY_SLUG)
    region = Territory.objects.get(code=str(data["consultation"]["region"]))
    consultation, _ = upsert(
        Consultation,
        slug=consultation_slug,
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
    everything_reported = bool(data["workshops"]) and all(
        item.get("closing_report") for item in data["workshops"]
    )
    meeting, _ = upsert(
        Meeting,
        slug=meeting_slug,
        defaults={
            "consultation": consultation,
            "title_ar": info["title_ar"],
            "title_fr": info["title_fr"],
            "starts_at": local_datetime(day, str(info["starts"])),
            "ends_at": local_datetime(day, str(info["ends"])),
            "venue_ar": info["venue_ar"],
            "venue_fr": info["venue_fr"],
            "territory": Territory.objects.get(code=str(info["province"])),
            "status": Meeting.Status.CLOSED if everything_reported else Meeting.Status.OPEN,
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
    sessions = [
        (
            local_datetime(day, str(i["starts"])),
            local_datetime(day, str(i.get("ends") or i["starts"])),
        )
        for i in data.get("agenda", [])
        if i["kind"] == "workshops"
    ]
    workshops_start = min((start for start, _ in sessions), default=meeting.starts_at)
    workshops_end = max((end for _, end in sessions), default=meeting.ends_at)
    # The day is over: a round table whose rapporteur's report the file gives was closed with
    # it at the end of the last session (``demo_closing_reports_sync`` writes the report once
    # the contributions it cites exist); the others stay open, so the demo takes input.
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
                "status": (
                    Workshop.Status.CLOSED if item.get("closing_report") else Workshop.Status.OPEN
                ),
                "opened_at": workshops_start,
                "closed_at": workshops_end if item.get("closing_report") else None,
            },
        )
        workshops[item["theme"]] = workshop
    return meeting, workshops


def demo_organisations_sync(rows: list[dict[str, Any]]) -> dict[str, Organisation]:
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
            "actor_type": lookup(types, type_slug, "actor type", where),
            "territory": lookup(provinces, str(row["province"]), "province", where),
            "sector": row["sector"],
        }
        if row["sector"] not in Organisation.Sector.values:
            raise DemoDataError(f"{where}: unknown sector {row['sector']!r}")
        sign_names[row["key"]] = [
            lookup(signs, name, "quality sign", where).name
            for name in row.get("quality_signs") or []
        ]
    organisations = sync_by_key(Organisation, "slug", wanted)
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


def demo_participants_sync(
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
            "territory": lookup(provinces, str(row["province"]), "province", where),
            "gender": row["gender"],
            "age_band": str(row["age_band"]),
            "preferred_language": row.get("language", ""),
            "reads": bool(row.get("reads", True)),
        }
        if row.get("organisation"):
            memberships[pseudonym] = lookup(
                organisations, row["organisation"], "organisation", where
            )
    by_pseudonym = sync_by_key(Participant, "pseudonym", wanted)
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


def demo_participant_user_link(
    user: User, rows: list[dict[str, Any]], participants: dict[str, Participant]
) -> None:
    """The ``participant`` login speaks for the row marked ``login: participant`` (one whose
    proposal the programme answers, so the demo can follow it to a measure), else for the first
    participant who reads and writes."""
    key = next(
        (row["key"] for row in rows if row.get("login") == "participant"),
        next(row["key"] for row in rows if row.get("reads", True)),
    )
    participant = participants[key]
    if participant.user_id == user.pk:
        return
    Participant.objects.filter(user=user).exclude(pk=participant.pk).update(user=None)
    participant.user = user
    participant.save(update_fields=["user", "updated_at"])


def demo_consents_sync(
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


def demo_registrations_sync(meeting: Meeting, participants: Iterable[Participant]) -> None:
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
