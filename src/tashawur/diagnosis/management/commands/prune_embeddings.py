"""``tashawur manage prune_embeddings``: delete the stored sentence vectors and identified
languages that no contribution's text uses any more (edited or erased contributions, older
encoder or identifier versions)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tashawur.diagnosis.services.embeddings import embeddings_prune
from tashawur.diagnosis.services.languages import languages_prune


class Command(BaseCommand):
    help = "Delete the stored sentence vectors and languages no contribution uses any more."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = embeddings_prune()
        self.stdout.write(f"Deleted {deleted} unused stored vector(s).")
        deleted = languages_prune()
        self.stdout.write(f"Deleted {deleted} unused stored language(s).")
