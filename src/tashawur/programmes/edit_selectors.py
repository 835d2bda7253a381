"""Reads of the programme workspace: the objects an editor asks for by address, checked
(``Http404`` for what does not exist or is not of this programme, ``PermissionDenied`` for
those who may not edit it), and the searches of its forms."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from tashawur.actors.models import Organisation
from tashawur.consultations.models import Consultation
from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.programmes import rules
from tashawur.programmes.models import Indicator, Measure, Programme, ProgressUpdate

#: How many results a search of the workspace shows.
SEARCH_LIMIT = 20
_FINDING_NUMBER = re.compile(r"[Ff]?\s*([0-9]{1,6})", re.ASCII)


def consultation_get_for_programme_editor(*, slug: str, user: Any) -> Consultation:
    consultation = (
        Consultation.objects.select_related("region", "strategy").filter(slug=slug).first()
    )
    if consultation is None:
        raise Http404
    if not rules.can_edit_programme(user, consultation):
        raise PermissionDenied
    return consultation


def programme_get_for_editor(*, slug: str, user: Any) -> tuple[Consultation, Programme | None]:
    """The consultation and its programme (None before it is created) for one who edits it."""
    consultation = consultation_get_for_programme_editor(slug=slug, user=user)
    programme = Programme.objects.filter(consultation=consultation).first()
    if programme is not None:
        programme.consultation = consultation
    return consultation, programme


def _programme_or_404(*, slug: str, user: Any) -> Programme:
    _consultation, programme = programme_get_for_editor(slug=slug, user=user)
    if programme is None:
        raise Http404
    return programme


def measure_get_for_editor(*, slug: str, measure_id: int, user: Any) -> Measure:
    programme = _programme_or_404(slug=slug, user=user)
    measure = (
        Measure.objects.filter(programme=programme, pk=measure_id)
        .select_related("owner", "parent")
        .first()
    )
    if measure is None:
        raise Http404
    measure.programme = programme
    return measure


def indicator_get_for_editor(*, slug: str, indicator_id: int, user: Any) -> Indicator:
    programme = _programme_or_404(slug=slug, user=user)
    indicator = (
        Indicator.objects.filter(measure__programme=programme, pk=indicator_id)
        .select_related("measure")
        .first()
    )
    if indicator is None:
        raise Http404
    indicator.measure.programme = programme
    return indicator


def evidence_get_for_user(*, slug: str, update_id: int, user: Any) -> ProgressUpdate:
    """A progress update's evidence, for anyone when it is marked public and the programme is
    public, else for those who edit the programme; ``Http404`` for everyone else, so a private
    file's existence does not show."""
    update = (
        ProgressUpdate.objects.filter(pk=update_id, measure__programme__consultation__slug=slug)
        .exclude(evidence="")
        .select_related("measure__programme__consultation")
        .first()
    )
    if update is None:
        raise Http404
    programme = update.measure.programme
    if rules.can_edit_programme(user, programme.consultation):
        return update
    if update.evidence_public and rules.is_programme_public(programme):
        return update
    raise Http404


def findings_search(*, consultation: Consultation, query: str) -> list[Finding]:
    """Findings of the run the consultation's diagnosis shows, by number ("F12" or "12") or by
    words of their label or title; the first ``SEARCH_LIMIT``."""
    run = SynthesisRun.objects.current_for(consultation)
    query = query.strip()[:100]
    if run is None or not query:
        return []
    findings = Finding.objects.filter(run=run).exclude(status=Finding.Status.REJECTED)
    number = _FINDING_NUMBER.fullmatch(query)
    if number:
        findings = findings.filter(
            Q(key__iexact=f"F{number.group(1)}") | Q(position=int(number.group(1)))
        )
    else:
        findings = findings.filter(
            Q(label_ar__icontains=query)
            | Q(label_fr__icontains=query)
            | Q(title_override_ar__icontains=query)
            | Q(title_override_fr__icontains=query)
        )
    return list(findings.order_by("position", "pk")[:SEARCH_LIMIT])


def finding_get_for_linking(*, consultation: Consultation, finding_id: int) -> Finding:
    finding = (
        Finding.objects.filter(pk=finding_id, run__consultation=consultation)
        .select_related("run")
        .first()
    )
    if finding is None:
        raise Http404
    return finding


def organisations_for_choice(*, query: str, keep: list[int]) -> QuerySet[Organisation]:
    """Organisations of the actor registry to choose a measure's owner and partners from: those
    whose name matches ``query`` (all when it is empty), and always those already chosen."""
    organisations = Organisation.objects.order_by("name")
    query = query.strip()[:100]
    if not query:
        return organisations
    return organisations.filter(
        Q(name__icontains=query) | Q(name_fr__icontains=query) | Q(pk__in=keep)
    )
