"""The consultations' rows as the public pages read them (a consultation with its region and
strategy: titles, names, status), versioned by one generation for all (``core.caching``):
``consultations_generation``, under which ``selectors.consultation_get_for_reader`` keeps an
anonymous reader's look-up, so that a cached page's hit reads no row from the database.

Bumped by the signals connected in ``ConsultationsConfig.ready`` on every save and delete of a
consultation, a strategy or a territory (a rename in the admin, a service's change of status):
rare writes, so one generation for all rather than a query per bump to find the consultations
a renamed region holds. The reference territories loaded in bulk (no signal) show within
``TASHAWUR_PAGE_CACHE_SECONDS``.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from tashawur.consultations.models import Consultation, Strategy
from tashawur.core.caching import generation, generation_bump
from tashawur.territories.models import Territory

CONSULTATIONS = "consultations:rows"


def consultations_generation() -> str:
    """The version of every consultation's row, region and strategy (one cache read)."""
    return generation(CONSULTATIONS)


def consultations_changed() -> None:
    """A consultation, a strategy or a territory was saved or deleted."""
    generation_bump(CONSULTATIONS)


def _saved(sender: Any, **kwargs: Any) -> None:
    consultations_changed()


def signals_connect() -> None:
    uid = "tashawur.consultations.generations"
    for signal in (post_save, post_delete):
        for model in (Consultation, Strategy, Territory):
            signal.connect(_saved, sender=model, dispatch_uid=f"{uid}.{model.__name__}{signal}")
