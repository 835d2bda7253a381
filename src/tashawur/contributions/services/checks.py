"""Checks shared by the contribution services."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tashawur.actors.models import Participant
from tashawur.core.errors import DomainError


def participant_check_not_erased(participant: Participant, *, field: str | None = None) -> None:
    if participant.erased_at is not None:
        raise DomainError(
            _("This participant's data has been erased."), code="participant_erased", field=field
        )
