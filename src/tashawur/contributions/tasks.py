"""Background entry points: they take ids, load objects and call a service."""

from __future__ import annotations

from django_tasks import task

from tashawur.contributions.models import Contribution
from tashawur.contributions.services import contribution_language_identify


@task()
def contribution_identify_language(contribution_id: int) -> str | None:
    """Identify the language of a contribution stored without one; returns the language
    (``None`` when the contribution has gone since it was queued)."""
    contribution = Contribution.objects.filter(pk=contribution_id).first()
    if contribution is None:
        return None
    return contribution_language_identify(contribution=contribution)
