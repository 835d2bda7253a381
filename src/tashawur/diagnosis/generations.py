"""What the diagnosis writes that the consultation's public pages read (the run shown and the
last one requested, their curation, the latest publication) bumps the consultation's ``pages``
generation (``contributions.generations``), under which the page versions are kept: a cached
page's hit reads them from the cache, and a writer's change gives a new version at once.

Rows saved or deleted one by one (services, the admin, the demo) bump through the signals
connected in ``DiagnosisConfig.ready``; the run's status moves written with ``update`` (claimed,
finished, failed, abandoned) bump in their services (``diagnosis_run_changed``). The findings
and their citations a run stores in bulk are covered by the run's own move to succeeded, and a
curation action on them by the event it records.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from tashawur.contributions.generations import consultation_pages_changed
from tashawur.diagnosis.models import CurationEvent, Diagnosis, DiagnosisPublication, SynthesisRun


def diagnosis_run_changed(*, run_id: int, consultation_id: int | None = None) -> None:
    """A run's status moved (by ``update``): its consultation's pages (one query unless
    ``consultation_id`` is given)."""
    if consultation_id is None:
        consultation_id = (
            SynthesisRun.objects.filter(pk=run_id).values_list("consultation_id", flat=True).first()
        )
    consultation_pages_changed(consultation_id)


def _run_saved(sender: Any, instance: SynthesisRun, **kwargs: Any) -> None:
    consultation_pages_changed(instance.consultation_id)


def _event_saved(sender: Any, instance: CurationEvent, **kwargs: Any) -> None:
    # The services create events with their run at hand: no query then.
    if CurationEvent.run.is_cached(instance):
        consultation_pages_changed(instance.run.consultation_id)
    else:
        diagnosis_run_changed(run_id=instance.run_id)


def _publication_saved(sender: Any, instance: DiagnosisPublication, **kwargs: Any) -> None:
    consultation_id: int | None
    if DiagnosisPublication.diagnosis.is_cached(instance):
        consultation_id = instance.diagnosis.consultation_id
    else:
        consultation_id = (
            Diagnosis.objects.filter(pk=instance.diagnosis_id)
            .values_list("consultation_id", flat=True)
            .first()
        )
    consultation_pages_changed(consultation_id)


def signals_connect() -> None:
    uid = "tashawur.diagnosis.generations"
    for signal in (post_save, post_delete):
        signal.connect(_run_saved, sender=SynthesisRun, dispatch_uid=f"{uid}.r{signal}")
        signal.connect(_event_saved, sender=CurationEvent, dispatch_uid=f"{uid}.e{signal}")
        signal.connect(
            _publication_saved, sender=DiagnosisPublication, dispatch_uid=f"{uid}.p{signal}"
        )
