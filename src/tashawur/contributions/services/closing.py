"""Closing a round table with its rapporteur's report, whose citations are checked."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import ngettext

from tashawur.consultations import services as consultation_services
from tashawur.consultations.models import Workshop
from tashawur.contributions.citations import report_citations
from tashawur.contributions.models import (
    Contribution,
)
from tashawur.core.errors import DomainError

# --- closing a workshop ----------------------------------------------------------------------


def _report_citations_check(*, workshop: Workshop, closing_report: str) -> None:
    citations = report_citations(closing_report)
    numbers = {c.number for c in citations if c.number is not None}
    citable = set(
        Contribution.objects.published()
        .filter(workshop=workshop, pk__in=numbers)
        .values_list("pk", flat=True)
    )
    refused = [c.text for c in citations if c.number not in citable]
    if refused:
        raise DomainError(
            ngettext(
                "The report cites %(numbers)s, which is not a published contribution of this "
                "round table: cite only the numbers shown on its page.",
                "The report cites %(numbers)s, which are not published contributions of this "
                "round table: cite only the numbers shown on its page.",
                len(refused),
            )
            % {"numbers": ", ".join(refused)},
            code="report_citation_invalid",
            field="closing_report",
        )


@transaction.atomic
def workshop_close_with_report(*, workshop: Workshop, closing_report: str) -> Workshop:
    """Close an open workshop with its rapporteur's report, whose citations (``#12``, see
    ``citations``) must each be a published contribution of this workshop.

    Lives here rather than in ``consultations`` because it reads contributions; the close
    itself (and its lock on the workshop row) is ``consultations.services.workshop_close``,
    in the same transaction.
    """
    _report_citations_check(workshop=workshop, closing_report=closing_report)
    return consultation_services.workshop_close(workshop=workshop, closing_report=closing_report)
