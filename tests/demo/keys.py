"""How the tests find a demo contribution by its ``contributions.yaml`` key, written here rather
than with the demo's code: the loader stores most rows under ``demo-<key>``; the imported notes
come in through the notes import, which keys a row by its ``reference`` column (the file key):
``import:<workshop>:ref:<key>``."""

from __future__ import annotations

from django.db.models import Q

from tashawur.contributions.models import Contribution


def file_key(idempotency_key: str | None) -> str | None:
    key = idempotency_key or ""
    if key.startswith("demo-"):
        return key.removeprefix("demo-")
    if key.startswith("import:") and ":ref:" in key:
        return key.rsplit(":ref:", 1)[1]
    return None


def demo_contribution(key: str) -> Contribution:
    return Contribution.objects.get(
        Q(idempotency_key=f"demo-{key}")
        | Q(idempotency_key__startswith="import:", idempotency_key__endswith=f":ref:{key}")
    )
