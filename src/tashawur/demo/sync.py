"""What the demo loader's parts share: bulk synchronisation of rows by natural key, lookups
that name the file and key at fault, and the meeting's local time."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from typing import Any, TypeVar

from django.db.models import Model
from django.utils import timezone

from tashawur.demo.files import DemoDataError

M = TypeVar("M", bound=Model)

TIME_ZONE = zoneinfo.ZoneInfo("Africa/Casablanca")


def sync_by_key(
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


def lookup(mapping: Mapping[str, M], key: str, what: str, where: str) -> M:
    try:
        return mapping[key]
    except KeyError:
        raise DemoDataError(f"{where}: unknown {what} {key!r}") from None


def local_datetime(day: dt.date, time: str) -> dt.datetime:
    hours, minutes = (int(part) for part in time.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=TIME_ZONE)
