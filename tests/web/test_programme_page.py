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
from tashawur.programmes.templatetags.programmes import mad, text_dir
from tests.actors.factories import OrganisationFactory, UserFactory
from tests.programmes.factories import (
    IndicatorFactory,
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
    # Its coordinators edit it in the programme workspace, not in the admin.
    assert 'href="/c/draft-one/programme/edit/"' in html
    assert f"/admin/programmes/programme/{programme.pk}/" not in html


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
    IndicatorFactory(measure=programme.measures.get(code="1.1"))
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
            indicator = IndicatorFactory(measure=child)
            ProgressUpdate.objects.create(
                measure=child,
                on=dt.date(2021, 1, 1),
                percent=k,
                indicator=indicator,
                indicator_value=Decimal(20 + k),
            )
    with CaptureQueriesContext(connection) as large:
        html = client.get("/c/souss-massa/programme/").content.decode()
    assert html.count('class="card measure"') == 3 + 5 * 4
    # Consultation, programme, measures with owners and latest updates, partners, funding lines,
    # indicators and their values, findings, the current runs and the findings they resolve
    # to, totals by source, and the files the page links (one query); before them, the three of
    # the versions the anonymous page's cache is keyed by (views.programme_detail: the
    # programme's counts, funding lines and indicators), read once for the whole page's cache
    # too (core.page_cache), which reads the consultation and the programme before the view
    # and, in one query, the run shown, its curation and the diagnosis's latest publication.
    assert len(large.captured_queries) == len(small.captured_queries) == 12 + 3 + 3


def test_amounts_keep_their_centimes_only_when_they_have_some() -> None:
    with translation.override("ar"):
        assert (mad(Decimal("1500000.00")), mad(Decimal("2500.5"))) == ("1.500.000", "2.500,50")
    with translation.override("fr"):
        assert mad(Decimal("1234567.25")) == "1\xa0234\xa0567,25"
    assert mad(None) == ""


# --- accountability at a glance: totals, indicators, findings by title ---------------------

MIXED_NOTE = "Un comité régional, avec l'université."


def accountable_programme() -> Programme:
    """Axis 1 (1,000,000 MAD of its own) with one action, 1.1 (18,000,000 MAD), which has an
    indicator reported three times; 1.1 answers a finding the analyst titled and one that has
    no label. The axis's description is in French only, so the Arabic page falls back on it."""
    programme = ProgrammeFactory(
        status=Programme.Status.ADOPTED,
        adopted_at=timezone.now(),
        consultation__slug="accounts",
        starts_on=dt.date(2019, 1, 1),
        ends_on=dt.date(2023, 12, 31),
    )
    axis = MeasureFactory(
        programme=programme,
        code="1",
        title_ar="حكامة الاقتصاد الاجتماعي",
        title_fr="Gouvernance de l'ESS",
        description_ar="",
        description_fr=MIXED_NOTE,
        budget=Decimal("1000000"),
        starts_on=dt.date(2019, 8, 1),
        ends_on=dt.date(2023, 12, 31),
    )
    FundingLine.objects.create(measure=axis, source="ministry", amount=Decimal("500000"))
    committee = MeasureFactory(
        programme=programme,
        parent=axis,
        code="1.1",
        title_ar="لجنة جهوية للتنسيق",
        title_fr="Comité régional de coordination",
        budget=Decimal("18000000"),
        starts_on=dt.date(2019, 9, 1),
        ends_on=dt.date(2022, 12, 20),
    )
    FundingLine.objects.create(
        measure=committee, source="regional_council", amount=Decimal("12000000")
    )
    FundingLine.objects.create(measure=committee, source="indh_p3", amount=Decimal("3000000"))
    indicator = IndicatorFactory(
        measure=committee,
        name_ar="اجتماعات اللجنة الجهوية المنعقدة",
        name_fr="Réunions du comité régional tenues",
        unit="réunions",
        baseline=Decimal(0),
        target=Decimal(10),
    )
    for on, percent, value in (
        (dt.date(2020, 8, 15), 30, 3),
        (dt.date(2021, 9, 30), 60, 6),
        (dt.date(2022, 12, 20), 90, 9),
    ):
        ProgressUpdate.objects.create(
            measure=committee,
            on=on,
            percent=percent,
            indicator=indicator,
            indicator_value=Decimal(value),
        )
    titled = finding_make(
        programme.consultation,
        label_ar="غياب التنسيق بين المتدخلين",
        label_fr="Les acteurs ne se coordonnent pas",
    )
    titled.title_override_ar = "تنسيق ضعيف بين المتدخلين"
    titled.title_override_fr = "Une coordination faible"
    titled.save()
    unlabelled = finding_make(programme.consultation, label_ar="")
    committee.findings.add(titled, unlabelled)
    return programme


def test_totals_roll_up_the_tree(client: Client) -> None:
    programme = accountable_programme()
    axis = programme.measures.get(code="1")

    html = client.get("/c/accounts/programme/").content.decode()

    card = measure_card(html, axis)
    assert "الميزانية الخاصة" in card
    assert "1.000.000 درهم" in card  # its own envelope
    assert "الميزانية مع الإجراءات الفرعية" in card
    assert '<dd class="total">19.000.000 درهم</dd>' in card  # with 1.1's 18,000,000
    assert '<dd class="total">15.500.000 درهم</dd>' in card  # funded: 500,000 + 15,000,000
    summary = html[html.index('id="summary-title"') : html.index('class="measures"')]
    assert "19.000.000 درهم" in summary
    assert "15.500.000 درهم" in summary
    assert "(82% من الميزانية)" in summary

    french = measure_card(client.get("/fr/c/accounts/programme/").content.decode(), axis)
    assert "Budget avec ses sous-mesures" in french
    assert "19\xa0000\xa0000 MAD" in french
    # Spending is not tracked: the page says nothing about it.
    assert "dépens" not in french


def test_funding_by_source_is_drawn_as_bars_with_their_amounts(client: Client) -> None:
    accountable_programme()

    html = client.get("/c/accounts/programme/").content.decode()

    table = html[html.index('<table class="funding">') : html.index("</table>")]
    # The largest source's bar is full; right to left, bars grow from the right.
    assert 'x="0" y="0" width="100" height="6" fill="#0b6e4f"' in table  # regional council
    assert 'x="75" y="0" width="25" height="6" fill="#0b6e4f"' in table  # INDH, 3 of 12
    assert "12.000.000 درهم" in table
    french = client.get("/fr/c/accounts/programme/").content.decode()
    assert 'x="0" y="0" width="25" height="6" fill="#0b6e4f"' in french
    assert "style=" not in html  # the Content-Security-Policy forbids style attributes


def test_each_indicator_has_a_chart_and_its_text_equivalent(client: Client) -> None:
    programme = accountable_programme()
    committee = programme.measures.get(code="1.1")

    card = measure_card(client.get("/c/accounts/programme/").content.decode(), committee)

    assert "<h4>المؤشرات</h4>" in card
    assert "اجتماعات اللجنة الجهوية المنعقدة" in card
    chart = card[card.index('<svg class="indicator-chart"') : card.index("</svg>")]
    assert 'aria-hidden="true"' in chart
    # The baseline at the programme's start, then the three values by date.
    points = chart.split('<polyline points="')[1].split('"')[0].split()
    assert len(points) == 4
    ys = [float(p.split(",")[1]) for p in points]
    assert ys == sorted(ys, reverse=True)  # rising values climb up the chart
    assert chart.count("<circle") == 1 + 3  # the target and each value
    # Coordinates are written as SVG reads them, whatever the language's decimal comma.
    assert '<line x1="5" y1="59.0" x2="235" y2="59.0"' in chart  # the baseline, at the bottom
    assert '<circle cx="235.0" cy="5.0"' in chart  # the target, at the top, at the period's end
    # The same in words: baseline, latest value with its date, target, direction.
    values = card[
        card.index('<dl class="indicator-values">') : card.index(
            "</dl>", card.index('<dl class="indicator-values">')
        )
    ]
    assert "القيمة المرجعية</dt><dd>0</dd>" in values
    assert 'آخر قيمة</dt><dd>9 <span class="muted">إلى غاية 20 دجنبر، 2022</span>' in values
    assert "الهدف</dt><dd>10</dd>" in values
    assert "الارتفاع أفضل · قُطع 90% من الطريق نحو الهدف" in values
    assert "القيم عبر الزمن" in card  # every value in a table, behind a disclosure
    assert "15 غشت، 2020" in card and "30 شتنبر، 2021" in card  # Moroccan month names

    french = measure_card(client.get("/fr/c/accounts/programme/").content.decode(), committee)
    assert "Valeur de référence</dt><dd>0</dd>" in french
    assert "au 20 décembre 2022" in french
    assert "Plus haut est mieux · 90 % du chemin vers la cible" in french


def test_an_indicator_without_values_shows_its_baseline_and_target() -> None:
    from tashawur.programmes import selectors

    programme = accountable_programme()
    lone = IndicatorFactory(
        measure=programme.measures.get(code="1"),
        baseline=Decimal(5),
        target=Decimal(1),
        direction="down",
    )
    report = selectors.programme_report(programme=programme)
    series = next(s for s in report.roots[0].indicators if s.indicator == lone)
    assert series.latest is None and series.percent_of_way is None
    assert series.chart.values == ()
    assert series.chart.target_y > series.chart.baseline_y  # lower is better: the target is below


def test_findings_are_cited_by_their_title_then_their_number(client: Client) -> None:
    programme = accountable_programme()
    committee = programme.measures.get(code="1.1")
    titled, unlabelled = committee.findings.order_by("position")

    card = measure_card(client.get("/c/accounts/programme/").content.decode(), committee)

    link = f'<a href="/c/accounts/diagnosis/findings/{titled.pk}/">'
    assert (
        f'{link}<bdi dir="rtl">تنسيق ضعيف بين المتدخلين</bdi> '
        f'<span class="finding-number">· <span dir="ltr">{titled.key}</span></span></a>'
    ) in card
    assert "غياب التنسيق بين المتدخلين" not in card  # the analyst's title wins
    # A finding with no label in any language is named as such, with its number.
    assert (
        f'<a href="/c/accounts/diagnosis/findings/{unlabelled.pk}/">الخلاصة '
        f'<span dir="ltr">{unlabelled.key}</span></a>'
    ) in card
    assert f">{titled.key}</a>" not in card  # never a bare number

    french = measure_card(client.get("/fr/c/accounts/programme/").content.decode(), committee)
    assert '<bdi dir="ltr">Une coordination faible</bdi>' in french


def test_a_french_description_on_the_arabic_page_is_set_left_to_right(client: Client) -> None:
    programme = accountable_programme()

    card = measure_card(
        client.get("/c/accounts/programme/").content.decode(), programme.measures.get(code="1")
    )

    assert '<p dir="ltr">Un comité régional, avec l&#x27;université.</p>' in card


def test_a_texts_direction_is_that_of_its_first_strong_letter() -> None:
    assert text_dir("Un comité, avec l'université.") == "ltr"
    assert text_dir("«2021» لجنة جهوية، Comité régional") == "rtl"
    assert text_dir("2021 - 2023") == ""  # no letter: the element follows its parent
    assert text_dir(None) == ""
