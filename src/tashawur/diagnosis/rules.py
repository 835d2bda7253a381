"""Who may run the synthesis, curate its findings and write the diagnosis (STYLE.md predicates).

The national coordinator, the consultation's regional coordinators and its assigned analysts;
scope comes from ``consultations.rules``.
"""

from __future__ import annotations

from typing import Any

from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Consultation, Workshop


def can_run_synthesis(user: Any, workshop: Workshop) -> bool:
    return can_run_consultation_synthesis(user, workshop.meeting.consultation)


def can_run_consultation_synthesis(user: Any, consultation: Consultation) -> bool:
    """The national coordinator, the consultation's regional coordinators and its analysts."""
    return consultation_rules.can_manage_consultation(
        user, consultation
    ) or consultation_rules.is_consultation_analyst(user, consultation)


def can_curate_findings(user: Any, consultation: Consultation) -> bool:
    """Curating findings (rename, accept, reject, merge, split) is part of running the
    synthesis: the same people may do it."""
    return can_run_consultation_synthesis(user, consultation)


def can_write_diagnosis(user: Any, consultation: Consultation) -> bool:
    """Writing and publishing the diagnosis rests on the curated findings: those who curate
    them write it. Its publications are read by whoever may see the consultation."""
    return can_curate_findings(user, consultation)
