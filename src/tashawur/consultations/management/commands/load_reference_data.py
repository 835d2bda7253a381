from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from tashawur.actors.services import (
    actor_types_load_reference,
    consent_texts_load_reference,
    quality_signs_load_reference,
)
from tashawur.consultations.services import themes_load_reference
from tashawur.territories.services import territories_load_reference


class Command(BaseCommand):
    help = (
        "Load the product's reference data shipped in the package: territories, actor types, "
        "quality signs, consent texts and themes. Safe to run again: it only writes changes."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        steps = [
            ("territories", territories_load_reference),
            ("actor types", actor_types_load_reference),
            ("quality signs", quality_signs_load_reference),
            ("consent texts", consent_texts_load_reference),
            ("themes", themes_load_reference),
        ]
        with transaction.atomic():
            for name, load in steps:
                result = load()
                self.stdout.write(
                    f"{name}: {result.created} created, {result.updated} updated, "
                    f"{result.unchanged} unchanged"
                )
