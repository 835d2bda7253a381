"""The demo's contributions that reached the platform through the field channels come in
through the code that takes them in the field, not as rows written by the loader.

- ``import``: each round table's typed-up notes become the CSV file a secretary would have
  made from the template (``contributions.note_files``: text, dimension, language, speaker by
  their registered name, said_at, and the note's own ``reference``, its key in
  ``contributions.yaml``), imported by ``contributions_import`` as the facilitator, exactly as
  ``/w/<pk>/import/`` does after its preview;
- ``offline``: the facilitator's phone outbox, the items ``capture.js`` queues (channel
  ``offline``, the speaker with their oral consent, ``said_at``, the idempotency key
  ``demo-<key>``), synced through ``contribution_submit`` as the write API does.

The loader replays the day: a round table whose field rows are not stored yet is open while
its notes are imported and its phone syncs (inside the loader's transaction, so nobody sees it
open), then closed again as it was. Once stored, a later load finds every row by its key and
imports nothing: both paths are idempotent by construction (the references, the keys).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

from tashawur.actors.models import Participant
from tashawur.consultations.models import Workshop
from tashawur.contributions.models import Channel, Contribution
from tashawur.contributions.note_files import COLUMNS
from tashawur.contributions.services import (
    contribution_submit,
    contributions_import,
    note_reference_key,
)
from tashawur.contributions.services.importing import NOTE_REFERENCE_MARK
from tashawur.core.models import User
from tashawur.demo.files import CONTRIBUTION_KEY_PREFIX, DemoDataError
from tashawur.demo.sync import TIME_ZONE, lookup

FIELD_CHANNELS = (Channel.IMPORT, Channel.OFFLINE)


def demo_file_key(idempotency_key: str | None) -> str | None:
    """The ``contributions.yaml`` key of a demo contribution from its idempotency key: ``demo-``
    and the key, or an imported row's reference; ``None`` for any other contribution."""
    key = idempotency_key or ""
    if key.startswith(CONTRIBUTION_KEY_PREFIX):
        return key.removeprefix(CONTRIBUTION_KEY_PREFIX)
    if key.startswith("import:") and NOTE_REFERENCE_MARK in key:
        return key.rsplit(NOTE_REFERENCE_MARK, 1)[1]
    return None


def demo_field_key(row: Mapping[str, Any], workshop: Workshop) -> str:
    """The idempotency key the contribution of ``row`` is stored under."""
    if row["channel"] == Channel.IMPORT:
        return note_reference_key(workshop, str(row["key"]))
    return CONTRIBUTION_KEY_PREFIX + str(row["key"])


def _notes_file(
    rows: Iterable[Mapping[str, Any]],
    participants: Mapping[str, Participant],
    said: Mapping[str, dt.datetime],
) -> bytes:
    """The round table's notes as the template's CSV (UTF-8 with a byte order mark)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        author_key = row.get("author")
        author = participants[author_key] if author_key else None
        writer.writerow(
            {
                "text": str(row["text"]).strip(),
                "dimension": row["dimension"],
                "language": row["language"],
                "speaker": author.display_name if author is not None else "",
                "organisation": "",
                "said_at": said[row["key"]].astimezone(TIME_ZONE).strftime("%H:%M"),
                "reference": row["key"],
            }
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sync_outbox(
    workshop: Workshop,
    rows: Iterable[Mapping[str, Any]],
    participants: Mapping[str, Participant],
    said: Mapping[str, dt.datetime],
    facilitator: User,
) -> None:
    for row in rows:
        author_key = row.get("author")
        author = participants[author_key] if author_key else None
        contribution_submit(
            workshop=workshop,
            text=str(row["text"]),
            dimension=row["dimension"],
            language=row["language"],
            translation_fr=str(row.get("translation_fr") or ""),
            channel=Channel.OFFLINE,
            author=author,
            recorded_by=facilitator,
            idempotency_key=CONTRIBUTION_KEY_PREFIX + str(row["key"]),
            said_at=said[row["key"]],
        )


def demo_field_capture_sync(
    groups: list[dict[str, Any]],
    workshops: Mapping[str, Workshop],
    participants: Mapping[str, Participant],
    facilitator: User,
    said: Mapping[str, dt.datetime],
) -> dict[str, Contribution]:
    """Bring in the rows of the field channels that are not stored yet; returns every field
    row's contribution by its ``contributions.yaml`` key. ``said`` gives each row's moment."""
    found: dict[str, Contribution] = {}
    for group in groups:
        workshop = lookup(workshops, group["theme"], "workshop theme", "contributions.yaml")
        rows = [row for row in group["contributions"] if row["channel"] in FIELD_CHANNELS]
        if not rows:
            continue
        keys = {row["key"]: demo_field_key(row, workshop) for row in rows}
        stored = _stored(workshop, keys)
        missing = [row for row in rows if row["key"] not in stored]
        if missing:
            _capture(workshop, missing, participants, said, facilitator)
            stored = _stored(workshop, keys)
        for key in keys:
            if key not in stored:
                raise DemoDataError(f"contributions.yaml {key}: not stored by its channel")
            found[key] = stored[key]
    return found


def _stored(workshop: Workshop, keys: Mapping[str, str]) -> dict[str, Contribution]:
    """The field rows stored already, by file key: under their channel's key, or under
    ``demo-<key>`` as demos loaded before the channels were replayed wrote them."""
    legacy = {CONTRIBUTION_KEY_PREFIX + key: key for key in keys}
    current = {value: key for key, value in keys.items()}
    stored: dict[str, Contribution] = {}
    # Oldest first wins: a visitor of the demo may have sent one of its keys since.
    for contribution in Contribution.objects.filter(
        workshop=workshop, idempotency_key__in=[*legacy, *current]
    ).order_by("-pk"):
        key = current.get(contribution.idempotency_key or "") or legacy.get(
            contribution.idempotency_key or ""
        )
        if key is not None:
            stored[key] = contribution
    return stored


def _capture(
    workshop: Workshop,
    rows: list[Mapping[str, Any]],
    participants: Mapping[str, Participant],
    said: Mapping[str, dt.datetime],
    facilitator: User,
) -> None:
    was = Workshop.objects.values_list("status", "closed_at").get(pk=workshop.pk)
    if was[0] != Workshop.Status.OPEN:
        Workshop.objects.filter(pk=workshop.pk).update(
            status=Workshop.Status.OPEN, updated_at=timezone.now()
        )
    imported = [row for row in rows if row["channel"] == Channel.IMPORT]
    if imported:
        contributions_import(
            workshop=workshop,
            data=_notes_file(imported, participants, said),
            filename=f"notes-{workshop.pk}.csv",
            by=facilitator,
        )
    offline = [row for row in rows if row["channel"] == Channel.OFFLINE]
    _sync_outbox(workshop, offline, participants, said, facilitator)
    if was[0] != Workshop.Status.OPEN:
        Workshop.objects.filter(pk=workshop.pk).update(status=was[0], closed_at=was[1])
