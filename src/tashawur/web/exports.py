"""The participant's "My data" export (Law 09-08): everything the platform holds on them, as one
plain document (dicts, lists, strings, numbers, booleans), and its two renderers, JSON and a ZIP
of CSVs. One document feeds both, so the two always say the same thing.

It lives on the top floor because it reads every app that holds personal data: actors
(profile, organisations, consents), consultations (registrations, attendance) and
contributions (contributions, votes, reports).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language

from tashawur.actors.models import Participant
from tashawur.consultations.models import Attendance, Registration
from tashawur.contributions.models import Contribution, ContributionFlag, ModerationStatus, Vote
from tashawur.core.text import escape_formula

# Raised when a change would make an earlier export read differently (a key renamed, a section
# removed); adding a key or a section keeps the version.
EXPORT_FORMAT_VERSION = 1

# Every section of the export and its columns, in order: CSV headers come from here, so that a
# section with no rows still says what it would hold.
EXPORT_SECTIONS: dict[str, tuple[str, ...]] = {
    "participant": (
        "display_name",
        "pseudonym",
        "username",
        "first_name",
        "last_name",
        "email",
        "date_joined",
        "last_login",
        "territory",
        "actor_type",
        "gender",
        "gender_label",
        "age_band",
        "age_band_label",
        "preferred_language",
        "reads",
        "created_at",
        "updated_at",
    ),
    "organisations": (
        "name",
        "name_fr",
        "actor_type",
        "territory",
        "sector",
        "sector_label",
    ),
    "consents": (
        "purpose",
        "purpose_label",
        "version",
        "text_ar",
        "text_fr",
        "published_at",
        "granted",
        "method",
        "method_label",
        "recorded_at",
        "withdrawn_at",
    ),
    "registrations": (
        "meeting",
        "starts_at",
        "venue",
        "status",
        "status_label",
        "registered_at",
    ),
    "attendances": (
        "workshop",
        "meeting",
        "recorded_at",
    ),
    "contributions": (
        "id",
        "consultation",
        "workshop",
        "text",
        "translation_fr",
        "language",
        "language_label",
        "dimension",
        "dimension_label",
        "theme",
        "territory",
        "channel",
        "channel_label",
        "moderation_status",
        "moderation_status_label",
        "has_voice_note",
        "created_at",
        "updated_at",
    ),
    "votes": (
        "contribution_id",
        "statement",
        "workshop",
        "value",
        "value_label",
        "created_at",
        "updated_at",
    ),
    # Reports the person made on others' contributions (what they reported, why, whether a
    # moderator has decided since).
    "reports": (
        "contribution_id",
        "statement",
        "workshop",
        "reason",
        "reason_label",
        "resolved_at",
        "created_at",
    ),
}


def _when(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, in the platform's time zone (Morocco's)."""
    return timezone.localtime(value).isoformat() if value is not None else None


def participant_data_export(
    *, participant: Participant, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Everything the platform holds on ``participant``, section by section (``EXPORT_SECTIONS``).

    Names of meetings, workshops and themes come in the active language; the consent texts come
    in both, since the person agreed to both. A statement someone else wrote appears in ``votes``
    only while it is published. The number of queries does not grow with the data.
    """
    person = Participant.objects.select_related("user", "territory", "actor_type").get(
        pk=participant.pk
    )
    user = person.user
    profile = {
        "display_name": person.display_name,
        "pseudonym": str(person.pseudonym),
        "username": user.get_username() if user else None,
        "first_name": user.first_name if user else None,
        "last_name": user.last_name if user else None,
        "email": user.email if user else None,
        "date_joined": _when(user.date_joined) if user else None,
        "last_login": _when(user.last_login) if user else None,
        "territory": person.territory.name if person.territory else None,
        "actor_type": person.actor_type.label if person.actor_type else None,
        "gender": person.gender,
        "gender_label": person.get_gender_display(),
        "age_band": person.age_band,
        "age_band_label": person.get_age_band_display(),
        "preferred_language": person.preferred_language,
        "reads": person.reads,
        "created_at": _when(person.created_at),
        "updated_at": _when(person.updated_at),
    }
    organisations = [
        {
            "name": organisation.name,
            "name_fr": organisation.name_fr,
            "actor_type": organisation.actor_type.label,
            "territory": organisation.territory.name,
            "sector": organisation.sector,
            "sector_label": organisation.get_sector_display(),
        }
        for organisation in person.organisations.select_related("actor_type", "territory")
    ]
    consents = [
        {
            "purpose": consent.consent_text.purpose,
            "purpose_label": consent.consent_text.get_purpose_display(),
            "version": consent.consent_text.version,
            "text_ar": consent.consent_text.text_ar,
            "text_fr": consent.consent_text.text_fr,
            "published_at": _when(consent.consent_text.published_at),
            "granted": consent.granted,
            "method": consent.method,
            "method_label": consent.get_method_display(),
            "recorded_at": _when(consent.recorded_at),
            "withdrawn_at": _when(consent.withdrawn_at),
        }
        for consent in person.consents.select_related("consent_text").order_by("recorded_at", "pk")
    ]
    registrations = [
        {
            "meeting": registration.meeting.title,
            "starts_at": _when(registration.meeting.starts_at),
            "venue": registration.meeting.venue,
            "status": registration.status,
            "status_label": registration.get_status_display(),
            "registered_at": _when(registration.created_at),
        }
        for registration in Registration.objects.filter(participant=person)
        .select_related("meeting")
        .order_by("meeting__starts_at", "pk")
    ]
    attendances = [
        {
            "workshop": attendance.workshop.title,
            "meeting": attendance.workshop.meeting.title,
            "recorded_at": _when(attendance.recorded_at),
        }
        for attendance in Attendance.objects.filter(participant=person)
        .select_related("workshop__meeting")
        .order_by("recorded_at", "pk")
    ]
    contributions = [
        {
            "id": contribution.pk,
            "consultation": contribution.consultation.title,
            "workshop": contribution.workshop.title if contribution.workshop else None,
            "text": contribution.text,
            "translation_fr": contribution.translation_fr,
            "language": contribution.language,
            "language_label": contribution.get_language_display(),
            "dimension": contribution.dimension,
            "dimension_label": contribution.get_dimension_display(),
            "theme": contribution.theme.label if contribution.theme else None,
            "territory": contribution.territory.name if contribution.territory else None,
            "channel": contribution.channel,
            "channel_label": contribution.get_channel_display(),
            "moderation_status": contribution.moderation_status,
            "moderation_status_label": contribution.get_moderation_status_display(),
            "has_voice_note": bool(contribution.audio),
            "created_at": _when(contribution.created_at),
            "updated_at": _when(contribution.updated_at),
        }
        for contribution in Contribution.objects.filter(author=person)
        .select_related("consultation", "workshop", "theme", "territory")
        .order_by("created_at", "pk")
    ]
    votes = [
        {
            "contribution_id": vote.contribution_id,
            "statement": vote.contribution.text
            if vote.contribution.moderation_status == ModerationStatus.PUBLISHED
            or vote.contribution.author_id == person.pk
            else None,
            "workshop": vote.contribution.workshop.title if vote.contribution.workshop else None,
            "value": vote.value,
            "value_label": vote.get_value_display(),
            "created_at": _when(vote.created_at),
            "updated_at": _when(vote.updated_at),
        }
        for vote in Vote.objects.filter(participant=person)
        .select_related("contribution__workshop")
        .order_by("created_at", "pk")
    ]
    reports = [
        {
            "contribution_id": flag.contribution_id,
            "statement": flag.contribution.text
            if flag.contribution.moderation_status == ModerationStatus.PUBLISHED
            else None,
            "workshop": flag.contribution.workshop.title if flag.contribution.workshop else None,
            "reason": flag.reason,
            "reason_label": flag.get_reason_display(),
            "resolved_at": _when(flag.resolved_at),
            "created_at": _when(flag.created_at),
        }
        for flag in ContributionFlag.objects.filter(participant=person)
        .select_related("contribution__workshop")
        .order_by("created_at", "pk")
    ]
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": _when(at or timezone.now()),
        "language": get_language(),
        "participant": profile,
        "organisations": organisations,
        "consents": consents,
        "registrations": registrations,
        "attendances": attendances,
        "contributions": contributions,
        "votes": votes,
        "reports": reports,
    }


# -- the files -----------------------------------------------------------------------------------

# Excel opens a CSV as UTF-8 (and so shows Arabic) only when it starts with a byte order mark.
CSV_ENCODING = "utf-8-sig"
FILE_STEM = "tashawur-my-data"


def export_file_name(*, day: dt.date, extension: str) -> str:
    return f"{FILE_STEM}-{day.isoformat()}.{extension}"


def export_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape_formula(str(value))


def export_csv(document: dict[str, Any], section: str) -> bytes:
    """One section as CSV, formula-escaped, in UTF-8 with a byte order mark."""
    rows = document[section]
    if isinstance(rows, dict):  # the participant's own record is a single row
        rows = [rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = EXPORT_SECTIONS[section]
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue().encode(CSV_ENCODING)


def export_csv_zip(document: dict[str, Any], *, day: dt.date) -> bytes:
    """A ZIP holding one CSV per section, in a folder named like the ZIP itself."""
    folder = f"{FILE_STEM}-{day.isoformat()}"
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for section in EXPORT_SECTIONS:
            info = zipfile.ZipInfo(f"{folder}/{section}.csv", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, export_csv(document, section))
    return buffer.getvalue()
