"""What the programme's public page reads (the programme, its measures with their owners,
partners, budgets and cited findings, their funding lines, indicators and progress updates)
bumps the consultation's ``pages`` generation (``contributions.generations``), under which the
page's versions are kept (``selectors.programme_page_versions``): a cached page's hit reads them
from the cache, and a writer's change gives a new version at once.

Rows saved or deleted one by one (services, the admin, the import, the demo) bump through the
signals connected in ``ProgrammesConfig.ready``, the partners and findings of a measure through
``m2m_changed``; the funding lines, written with ``bulk_create`` (no signal), bump in
``measure_set_funding``. An organisation renamed (an owner or partner) bumps every
consultation's ``all`` generation, which the versions are kept under too.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from tashawur.contributions.generations import consultation_pages_changed
from tashawur.programmes.models import FundingLine, Indicator, Measure, Programme, ProgressUpdate


def programme_measure_changed(measure: Measure) -> None:
    """Something of ``measure`` changed: its consultation's pages (one query unless its
    programme is loaded)."""
    if Measure.programme.is_cached(measure):
        consultation_pages_changed(measure.programme.consultation_id)
    else:
        _programme_changed(measure.programme_id)


def _programme_changed(programme_id: int | None) -> None:
    if programme_id is None:
        return
    consultation_pages_changed(
        Programme.objects.filter(pk=programme_id).values_list("consultation_id", flat=True).first()
    )


def _measure_id_changed(measure_id: int | None) -> None:
    if measure_id is None:
        return
    consultation_pages_changed(
        Measure.objects.filter(pk=measure_id)
        .values_list("programme__consultation_id", flat=True)
        .first()
    )


def _programme_saved(sender: Any, instance: Programme, **kwargs: Any) -> None:
    consultation_pages_changed(instance.consultation_id)


def _measure_saved(sender: Any, instance: Measure, **kwargs: Any) -> None:
    programme_measure_changed(instance)


def _measure_part_saved(
    sender: Any, instance: FundingLine | Indicator | ProgressUpdate, **kwargs: Any
) -> None:
    # Deleted with its measure (a cascade): the measure's own signal has bumped already.
    if type(instance).measure.is_cached(instance):
        programme_measure_changed(instance.measure)
    else:
        _measure_id_changed(instance.measure_id)


def _measure_relations_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, Measure):
        programme_measure_changed(instance)
    else:  # seen from the organisation's or the finding's side: each measure named
        for measure_id in kwargs.get("pk_set") or ():
            _measure_id_changed(measure_id)
        if action == "post_clear":  # the measures are gone from the rows: every programme
            consultation_pages_changed(
                *Programme.objects.values_list("consultation_id", flat=True).distinct()
            )


def signals_connect() -> None:
    uid = "tashawur.programmes.generations"
    for signal in (post_save, post_delete):
        signal.connect(_programme_saved, sender=Programme, dispatch_uid=f"{uid}.p{signal}")
        signal.connect(_measure_saved, sender=Measure, dispatch_uid=f"{uid}.m{signal}")
        for part in (FundingLine, Indicator, ProgressUpdate):
            signal.connect(
                _measure_part_saved, sender=part, dispatch_uid=f"{uid}.{part.__name__}{signal}"
            )
    for relation in (Measure.partners.through, Measure.findings.through):
        m2m_changed.connect(
            _measure_relations_changed,
            sender=relation,
            dispatch_uid=f"{uid}.{relation.__name__}",
        )
