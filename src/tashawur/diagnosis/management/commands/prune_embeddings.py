"""``tashawur manage prune_embeddings``: delete the stored sentence vectors that no
contribution's text uses any more (edited or erased contributions, older encoder versions)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tashawur.diagnosis.services.embeddings import embeddings_prune


class Command(BaseCommand):
    help = "Delete the stored sentence vectors no contribution uses any more."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = embeddings_prune()
        self.stdout.write(f"Deleted {deleted} unused stored vector(s).")
