"""Reading the reference data shipped inside the package (``<app>/data/``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

import yaml
from django.db.models import Model

M = TypeVar("M", bound=Model)


@dataclass
class ReferenceLoad:
    """How many rows a reference loader created, updated and left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    def __add__(self, other: ReferenceLoad) -> ReferenceLoad:
        return ReferenceLoad(
            self.created + other.created,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


def read_package_text(package: str, name: str) -> str:
    """The text of ``data/<name>`` inside ``package`` (works from a wheel as from a checkout)."""
    return resources.files(package).joinpath("data", name).read_text(encoding="utf-8")


def read_package_csv(package: str, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(read_package_text(package, name).splitlines()))


def read_package_yaml(package: str, name: str) -> Any:
    return yaml.safe_load(read_package_text(package, name))


def upsert(model: type[M], *, defaults: dict[str, Any], **lookup: Any) -> tuple[M, str]:
    """``update_or_create`` that writes only when something changed.

    Returns the object and ``"created"``, ``"updated"`` or ``"unchanged"``, so that loading the
    same reference data twice leaves every row (and its ``updated_at``) as it was.
    """
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **defaults), "created"
    changed = []
    for name, value in defaults.items():
        field = model._meta.get_field(name)
        attname = getattr(field, "attname", name)
        current = getattr(obj, attname)
        new = value.pk if isinstance(value, Model) else value
        if current != new:
            setattr(obj, name, value)
            changed.append(name)
    if not changed:
        return obj, "unchanged"
    if any(f.name == "updated_at" for f in model._meta.get_fields()):
        changed.append("updated_at")
    obj.save(update_fields=changed)
    return obj, "updated"
