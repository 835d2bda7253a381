"""The diagnosis's loose reactions to the apps below it (connected in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from tashawur.consultations.models import Workshop


def workshop_closed_refresh(sender: Any, *, workshop: Workshop, **kwargs: Any) -> None:
    """A workshop closed: queue a debounced, incremental refresh of its consultation's
    synthesis, if the consultation has one (``runs.synthesis_run_refresh``)."""
    from tashawur.diagnosis.services.runs import synthesis_run_refresh

    consultation_id = (
        Workshop.objects.filter(pk=workshop.pk)
        .values_list("meeting__consultation_id", flat=True)
        .first()
    )
    if consultation_id is not None:
        synthesis_run_refresh(consultation_id=consultation_id)
