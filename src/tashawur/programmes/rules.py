"""Who may do what with a consultation's action programme: small predicates (STYLE.md).

Editing follows the consultation's management (``consultations.rules``): the national
coordinator and the consultation's regional coordinators. Anyone may read an adopted (or closed)
programme of a consultation that is public; a draft is for those who edit it.
"""

from __future__ import annotations

from typing import Any

from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Consultation
from tashawur.programmes.models import Programme


def can_edit_programme(user: Any, consultation: Consultation) -> bool:
    return consultation_rules.can_manage_consultation(user, consultation)


def is_programme_public(programme: Programme) -> bool:
    """Adopted (or closed), of a consultation that is public."""
    return (
        programme.status != Programme.Status.DRAFT
        and programme.consultation.status != Consultation.Status.DRAFT
    )


def can_view_programme(user: Any, programme: Programme) -> bool:
    if is_programme_public(programme):
        return True
    return can_edit_programme(user, programme.consultation)
