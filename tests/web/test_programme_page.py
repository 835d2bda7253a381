"""The public accountability page of a consultation's action programme."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from tashawur.core.roles import Role
from tashawur.diagnosis.models import Finding
from tashawur.programmes.models import FundingLine, Measure, Programme, ProgressUpdate
from tashawur.programmes.templatetags.programmes import mad
from tests.actors.factories import OrganisationFactory, UserFactory
from tests.programmes.factories import (
    MeasureFactory,
    ProgrammeFactory,
    finding_in,
    finding_make,
    run_make,
)

pytestmark = pytest.mark.django_db


def adopted_programme() -> Programme:
    """Axis 1 (weight 100) with two actions: 1.1 (weight 30) at 80 %, 1.2 (weight 10) at 20 %,
    so the axis and the programme stand at 65 %; 1.2 is past its end date."""
    programme = ProgrammeFactory(
        status=Programme.Status.ADOPTED,
        adopted_at=timezone.now(),
        consultation__slug="souss-massa",
    )
    owner = OrganisationFactory(name="مجلس جهة سوس ماسة", name_fr="Conseil régional")
    finding = finding_make(
        programme.consultation,
        label_ar="صعوبة تسويق منتجات التعاونيات",
        label_fr="Les coopératives peinent à vendre",
    )
    axis = MeasureFactory(
        programme=programme, code="1", title_ar="تسويق المنتوج التضامني", owner=owner
    )
    fair = MeasureFactory(
        programme=programme,
        parent=axis,
        code="1.1",
        title_ar="معرض جهوي دائم",
        title_fr="Salon régional permanent",
        weight=30,
        budget=Decimal("1500000"),
        owner=owner,
    )
    fair.findings.add(finding)
    fair.partners.add(OrganisationFactory(name="مكتب تنمية التعاون"))
    FundingLine.objects.create(measure=fair, source="indh_p3", amount=Decimal("1000000"))
    late = MeasureFactory(
        programme=programme,
        parent=axis,
        code="1.2",
        title_ar="منصة رقمية للبيع",
        weight=10,
        ends_on=dt.date(2020, 12, 31),
    )
    ProgressUpdate.objects.create(measure=fair, on=dt.date(2020, 3, 1), percent=80)
    ProgressUpdate.objects.create(measure=late, on=dt.date(2020, 3, 1), percent=20)
    return programme


def measure_card(html: str, measure: Measure) -> str:
    """The measure's own card, up to the next measure's (its sub-measures' are left out)."""
    start = html.index(f'id="measure-{measure.pk}"')
    end = html.find('class="card measure"', start)
    return html[start : end if end != -1 else len(html)]


def test_the_page_is_arabic_and_right_to_left_by_default(client: Client) -> None:
    programme = adopted_programme()

    html = client.get("/c/souss-massa/programme/").content.decode()

    assert '<html lang="ar" dir="rtl">' in html
    assert "برنامج العمل الجهوي للاقتصاد الاجتماعي والتضامني" in html
    assert '<progress max="100" value="65"' in html
    assert "أُنجز 65%" in html
    assert "مجلس جهة سوس ماسة" in html
    assert "معتمد" in html
    fair = programme.measures.get(code="1.1")
    card = measure_card(html, fair)
    assert '<progress max="100" value="80"' in card
    assert "مكتب تنمية التعاون" in card
    assert "المبادرة الوطنية للتنمية البشرية، البرنامج 3 (الدخل والشباب)" in card


def test_the_page_is_french_and_left_to_right_under_fr(client: Client) -> None:
    adopted_programme()

    html = client.get("/fr/c/souss-massa/programme/").content.decode()

    assert '<html lang="fr" dir="ltr">' in html
    assert "Programme d&#x27;action régional de l&#x27;ESS" in html
    assert "Salon régional permanent" in html
    assert "65 % réalisé" in html
    assert "INDH, programme 3 (revenus et jeunes)" in html
    assert "1\xa0500\xa0000 MAD" in html


def test_each_measure_links_to_the_findings_it_answers(client: Client) -> None:
    programme = adopted_programme()
    finding = programme.measures.get(code="1.1").findings.get()

    html = client.get("/c/souss-massa/programme/").content.decode()

    link = f'href="/c/souss-massa/diagnosis/findings/{finding.pk}/"'
    assert link in measure_card(html, programme.measures.get(code="1.1"))
    assert "صعوبة تسويق منتجات التعاونيات" in html
    # The link leads a reader to the finding's page.
    assert client.get(f"/c/souss-massa/diagnosis/findings/{finding.pk}/").status_code == 200


def test_a_measure_links_to_the_finding_the_diagnosis_now_shows(client: Client) -> None:
    programme = adopted_programme()
    fair = programme.measures.get(code="1.1")
    cited = fair.findings.get()  # key F1 of the first run
    first_run = cited.run
    first_run.started_at = first_run.finished_at = dt.datetime(2020, 3, 1, 10, tzinfo=dt.UTC)
    first_run.save()
    gone = finding_in(first_run, "F7", label_ar="غياب التمويل الأولي")
    rejected = finding_in(first_run, "F8", label_ar="خلاصة مستبعدة", status=Finding.Status.REJECTED)
    fair.findings.add(gone, rejected)
    newer_run = run_make(programme.consultation, finished_at=timezone.now())
    newer = finding_in(newer_run, "F1", label_ar="التسويق ما زال صعبا")
    finding_in(newer_run, "F8", label_ar="خلاصة مستبعدة", status=Finding.Status.REJECTED)

    card = measure_card(client.get("/c/souss-massa/programme/").content.decode(), fair)

    assert f'href="/c/souss-massa/diagnosis/findings/{newer.pk}/"' in card
    assert f'href="/c/souss-massa/diagnosis/findings/{cited.pk}/"' not in card
    assert f'href="/c/souss-massa/diagnosis/findings/{gone.pk}/"' in card
    assert "من عملية توليف سابقة (1 مارس، 2020)" in card
    assert "استبعدها المحلل" in card
    assert list(fair.findings.all()) == [cited, gone, rejected]  # the citation stays as stored

    french = client.get("/fr/c/souss-massa/programme/").content.decode()
    assert "d'une exécution antérieure de la synthèse (1 mars 2020)" in french
    assert "écarté par l'analyste" in french


def test_late_measures_are_flagged(client: Client) -> None:
    programme = adopted_programme()

    html = client.get("/c/souss-massa/programme/").content.decode()

    assert 'class="badge late"' in measure_card(html, programme.measures.get(code="1.2"))
    assert 'class="badge late"' not in measure_card(html, programme.measures.get(code="1.1"))
    assert "الإجراءات المتأخرة" in html


def test_the_budget_is_shown_in_dirhams_by_funding_source(client: Client) -> None:
    adopted_programme()

    html = client.get("/c/souss-massa/programme/").content.decode()

    assert "1.500.000 درهم" in html  # budget of 1.1, grouped by thousands
    assert "1.000.000 درهم" in html  # INDH programme 3's share
    assert "التمويل حسب المصدر" in html


def test_a_draft_programme_is_hidden_from_the_public(client: Client) -> None:
    programme = ProgrammeFactory(consultation__slug="draft-one")
    assert client.get("/c/draft-one/programme/").status_code == 403

    coordinator = UserFactory(role=Role.REGIONAL_COORDINATOR)
    programme.consultation.coordinators.add(coordinator)
    client.force_login(coordinator)
    html = client.get("/c/draft-one/programme/").content.decode()
    assert "برنامج العمل هذا مسودة" in html
    # The programme is edited in the back office, which opens to superusers only (its own
    # page for coordinators is issue 11's): the link shows to those who may enter it.
    edit = f"/admin/programmes/programme/{programme.pk}/change/"
    assert edit not in html
    coordinator.is_staff = True
    coordinator.save()
    assert edit not in client.get("/c/draft-one/programme/").content.decode()
    coordinator.is_superuser = True
    coordinator.save()
    assert edit in client.get("/c/draft-one/programme/").content.decode()


def test_a_consultation_without_programme_has_no_page(client: Client) -> None:
    ProgrammeFactory()  # of another consultation
    MeasureFactory(programme__consultation__slug="no-programme").programme.delete()
    assert client.get("/c/no-programme/programme/").status_code == 404


def test_the_consultation_page_links_to_a_programme_the_reader_may_see(client: Client) -> None:
    adopted_programme()
    html = client.get("/c/souss-massa/").content.decode()
    assert 'href="/c/souss-massa/programme/"' in html

    ProgrammeFactory(consultation__slug="drafting")
    assert 'href="/c/drafting/programme/"' not in client.get("/c/drafting/").content.decode()


def test_the_page_takes_the_same_queries_whatever_the_size(client: Client) -> None:
    programme = adopted_programme()
    with CaptureQueriesContext(connection) as small:
        assert client.get("/c/souss-massa/programme/").status_code == 200
    for n in range(2, 7):
        axis = MeasureFactory(programme=programme, code=str(n))
        finding = finding_make(programme.consultation, label_ar=f"خلاصة {n}")
        for k in range(1, 4):
            child = MeasureFactory(programme=programme, parent=axis, code=f"{n}.{k}")
            child.findings.add(finding)
            child.partners.add(child.owner)
            FundingLine.objects.create(measure=child, source="odco", amount=Decimal(5))
            ProgressUpdate.objects.create(measure=child, on=dt.date(2020, 1, 1), percent=k)
    with CaptureQueriesContext(connection) as large:
        html = client.get("/c/souss-massa/programme/").content.decode()
    assert html.count('class="card measure"') == 3 + 5 * 4
    # Consultation, programme, measures with owners and latest updates, partners, funding lines,
    # findings, the current runs and the findings they resolve to, totals by source.
    assert len(large.captured_queries) == len(small.captured_queries) == 9


def test_amounts_keep_their_centimes_only_when_they_have_some() -> None:
    with translation.override("ar"):
        assert (mad(Decimal("1500000.00")), mad(Decimal("2500.5"))) == ("1.500.000", "2.500,50")
    with translation.override("fr"):
        assert mad(Decimal("1234567.25")) == "1\xa0234\xa0567,25"
    assert mad(None) == ""
