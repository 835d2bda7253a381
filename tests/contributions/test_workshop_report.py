"""Closing a workshop with a report that cites its contributions (``#12``)."""

from __future__ import annotations

import pytest
from django.utils import translation

from tashawur.consultations.models import Workshop
from tashawur.contributions.citations import report_citations, report_parts
from tashawur.contributions.models import ModerationStatus
from tashawur.contributions.selectors import workshop_report
from tashawur.contributions.services import workshop_close_with_report
from tashawur.core.errors import DomainError
from tests.consultations.factories import WorkshopFactory
from tests.contributions.factories import ContributionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def workshop():
    return WorkshopFactory(status=Workshop.Status.OPEN)


def test_report_parts_cut_the_text_around_each_citation():
    parts = report_parts("Costs (#12, #١٣) and #x.")
    assert [(p.text, p.number, p.cites) for p in parts] == [
        ("Costs (", None, False),
        ("#12", 12, True),
        (", ", None, False),
        ("#١٣", 13, True),
        (") and #x.", None, False),
    ]


def test_report_citations_count_each_number_once_and_refuse_absurd_ones():
    citations = report_citations("#12 #12 #١٢ #0 #" + "9" * 30)
    assert [(c.text, c.number) for c in citations] == [
        ("#12", 12),
        ("#0", None),
        ("#" + "9" * 30, None),
    ]


def test_close_with_report_stores_it_when_every_citation_is_the_workshops(workshop):
    cited = ContributionFactory(workshop=workshop)
    closed = workshop_close_with_report(
        workshop=workshop, closing_report=f"The table asks for a one-stop shop (#{cited.pk})."
    )
    assert closed.status == Workshop.Status.CLOSED
    assert closed.closing_report == f"The table asks for a one-stop shop (#{cited.pk})."


def test_close_with_report_reads_arabic_indic_digits(workshop):
    cited = ContributionFactory(workshop=workshop)
    arabic = str(cited.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    closed = workshop_close_with_report(workshop=workshop, closing_report=f"انظر #{arabic}")
    assert closed.status == Workshop.Status.CLOSED


def test_close_with_report_refuses_a_contribution_of_another_workshop(workshop):
    own = ContributionFactory(workshop=workshop)
    elsewhere = ContributionFactory()
    with pytest.raises(DomainError) as refused:
        workshop_close_with_report(
            workshop=workshop, closing_report=f"See #{own.pk} and #{elsewhere.pk}."
        )
    assert refused.value.code == "report_citation_invalid"
    assert refused.value.field == "closing_report"
    assert refused.value.message == (
        f"The report cites #{elsewhere.pk}, which is not a published contribution of this "
        "round table: cite only the numbers shown on its page."
    )
    workshop.refresh_from_db()
    assert (workshop.status, workshop.closing_report, workshop.closed_at) == (
        Workshop.Status.OPEN,
        "",
        None,
    )


def test_close_with_report_names_every_bad_number_and_refuses_unpublished_ones(workshop):
    rejected = ContributionFactory(workshop=workshop, moderation_status=ModerationStatus.REJECTED)
    with pytest.raises(DomainError) as refused:
        workshop_close_with_report(
            workshop=workshop, closing_report=f"See #{rejected.pk} and #999999."
        )
    assert refused.value.message == (
        f"The report cites #{rejected.pk}, #999999, which are not published contributions of "
        "this round table: cite only the numbers shown on its page."
    )
    workshop.refresh_from_db()
    assert workshop.status == Workshop.Status.OPEN


def test_close_with_report_keeps_the_close_rules(workshop):
    with pytest.raises(DomainError) as refused:
        workshop_close_with_report(workshop=workshop, closing_report="   ")
    assert refused.value.code == "closing_report_empty"


def test_workshop_report_links_only_what_is_still_published(workshop):
    kept = ContributionFactory(workshop=workshop)
    later_rejected = ContributionFactory(workshop=workshop)
    workshop = workshop_close_with_report(
        workshop=workshop, closing_report=f"#{later_rejected.pk} then #{kept.pk}"
    )
    later_rejected.moderation_status = ModerationStatus.REJECTED
    later_rejected.save()

    report = workshop_report(workshop=workshop)

    assert report is not None
    assert report.linked == {kept.pk}
    assert report.cited == [kept]


def test_workshop_report_is_none_while_the_workshop_is_open(workshop):
    assert workshop_report(workshop=workshop) is None
