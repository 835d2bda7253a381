"""The "Open data and exports" block of a consultation's pages (the consultation, its diagnosis,
its published diagnosis, its action programme): every file the reader may take away, each
linked only when it exists and the reader may download it.

A template tag of the top floor, because the block names the files of several apps: open data
(``api``), the diagnosis's report and workbooks (``diagnosis``) and the programme's
(``programmes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import translation

from tashawur.consultations.models import Consultation
from tashawur.diagnosis.models import DiagnosisPublication, SynthesisRun
from tashawur.programmes import rules as programme_rules
from tashawur.programmes.models import Programme

register = template.Library()


@dataclass(frozen=True)
class Localised:
    """A file in each of the site's two reading languages."""

    ar: str
    fr: str


@dataclass
class Exports:
    open_data: str = ""
    diagnosis_pdf: Localised | None = None
    findings_xlsx: str = ""
    breakdowns_xlsx: str = ""
    programme_pdf: Localised | None = None
    measures_xlsx: str = ""

    @property
    def any(self) -> bool:
        return bool(
            self.open_data
            or self.diagnosis_pdf
            or self.findings_xlsx
            or self.programme_pdf
            or self.measures_xlsx
        )


def _localised(name: str, slug: str) -> Localised:
    with translation.override("ar"):
        ar = reverse(name, args=[slug])
    with translation.override("fr"):
        fr = reverse(name, args=[slug])
    return Localised(ar=ar, fr=fr)


def consultation_exports(consultation: Consultation, user: Any) -> Exports:
    """The files of ``consultation`` that ``user`` may take away, in one query: whether its
    diagnosis has a publication, a run the diagnosis shows, and its programme's status (who may
    read a programme depends on its status alone, ``programmes.rules``)."""
    slug = consultation.slug
    exports = Exports()
    if consultation.status != Consultation.Status.DRAFT:
        exports.open_data = reverse("api:open-data", kwargs={"slug": slug})
    facts = (
        Consultation.objects.filter(pk=consultation.pk)
        .values_list(
            Exists(DiagnosisPublication.objects.filter(diagnosis__consultation=OuterRef("pk"))),
            Exists(SynthesisRun.objects.filter(consultation=OuterRef("pk")).succeeded()),
            Subquery(Programme.objects.filter(consultation=OuterRef("pk")).values("status")[:1]),
        )
        .first()
    )
    published, has_run, programme_status = facts or (False, False, None)
    if published:
        exports.diagnosis_pdf = _localised("diagnosis:published_pdf", slug)
    if has_run:
        exports.findings_xlsx = reverse("diagnosis:findings_export", args=[slug])
        exports.breakdowns_xlsx = reverse("diagnosis:breakdowns_export", args=[slug])
    if programme_status is not None and programme_rules.can_view_programme(
        user, Programme(consultation=consultation, status=programme_status)
    ):
        exports.programme_pdf = _localised("programmes:programme_pdf", slug)
        exports.measures_xlsx = reverse("programmes:measures_export", args=[slug])
    return exports


@register.inclusion_tag("web/_exports.html", takes_context=True)
def exports_block(context: template.Context, consultation: Consultation) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"exports": consultation_exports(consultation, user)}
