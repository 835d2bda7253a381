"""The action programme as a PDF: the accountability page's content, offline, in the reader's
language, under the page's access rules."""

from __future__ import annotations

import datetime as dt
import io
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation
from pypdf import PdfReader

from tashawur.core.roles import Role
from tashawur.programmes import pdf, selectors
from tests.actors.factories import OrganisationFactory, UserFactory
from tests.programmes.factories import ProgrammeFactory, finding_in, run_make
from tests.web.test_programme_page import MIXED_NOTE, accountable_programme, adopted_programme

pytestmark = pytest.mark.django_db

ARABIC_TITLE = "برنامج العمل الجهوي للاقتصاد الاجتماعي والتضامني"


def read(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def fonts(reader: PdfReader) -> set[str]:
    return {
        str(font.get_object()["/BaseFont"]).split("+", 1)[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


def link_targets(reader: PdfReader) -> list[str]:
    return [
        str(annotation.get_object()["/A"]["/URI"])
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if "/A" in annotation.get_object()
    ]


def test_the_pdf_is_an_arabic_attachment_by_default(client: Client, settings) -> None:
    settings.TASHAWUR_PUBLIC_URL = "http://testserver"
    adopted_programme()

    response = client.get("/c/souss-massa/programme/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="programme-souss-massa-{day}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    reader, text = read(response.content)
    assert reader.metadata is not None
    assert reader.metadata.title == ARABIC_TITLE
    assert reader.trailer["/Root"]["/Lang"] == "ar"
    assert "Cairo" in fonts(reader)  # the vendored font, not the system's
    # Its glyphs are whole letters: the text layer gives the Arabic words back.
    assert "الجهوي" in text.split()
    for code in ("1.1", "1.2"):
        assert code in text
    assert "1.500.000" in text  # budget of 1.1, in dirhams as on the page
    assert "http://testserver/c/souss-massa/programme/" in text  # the footer
    assert "1 / 1" in text  # page numbers


def test_the_pdf_is_french_under_fr(client: Client, settings) -> None:
    settings.TASHAWUR_PUBLIC_URL = "http://testserver"
    adopted_programme()

    response = client.get("/fr/c/souss-massa/programme/pdf/")

    reader, text = read(response.content)
    assert reader.metadata is not None
    assert reader.metadata.title == "Programme d'action régional de l'ESS"
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert "Où en est le programme" in text
    assert "65 % réalisé" in text
    assert "Salon régional permanent" in text
    assert "1 500 000 MAD" in text.replace("\xa0", " ")
    assert "INDH, programme 3 (revenus et jeunes)" in text
    assert "Mesures en retard" in text
    assert "En retard" in text
    assert "Généré le" in text
    assert "http://testserver/fr/c/souss-massa/programme/" in text


def test_the_pdf_lists_each_measures_findings_as_the_page_resolves_them(
    client: Client, settings
) -> None:
    settings.TASHAWUR_PUBLIC_URL = "http://testserver"
    programme = adopted_programme()
    fair = programme.measures.get(code="1.1")
    first_run = fair.findings.get().run
    gone = finding_in(first_run, "F7")
    fair.findings.add(gone)
    newer = finding_in(run_make(programme.consultation, finished_at=timezone.now()), "F1")

    reader, text = read(client.get("/fr/c/souss-massa/programme/pdf/").content)

    assert "Constat F1" in text  # the newer run's finding with the cited key
    assert "Les coopératives peinent à vendre" not in text  # the cited row it replaces
    assert "Constat F7" in text
    assert "d'une exécution antérieure de la synthèse" in text
    assert f"http://testserver/fr/c/souss-massa/diagnosis/findings/{newer.pk}/" in (
        link_targets(reader)
    )


def test_the_pdf_follows_the_page_access_rules(client: Client) -> None:
    programme = ProgrammeFactory(consultation__slug="draft-one")
    assert client.get("/c/draft-one/programme/pdf/").status_code == 403
    assert client.get("/c/no-such-consultation/programme/pdf/").status_code == 404

    coordinator = UserFactory(role=Role.REGIONAL_COORDINATOR)
    programme.consultation.coordinators.add(coordinator)
    client.force_login(coordinator)
    response = client.get("/c/draft-one/programme/pdf/")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert client.post("/c/draft-one/programme/pdf/").status_code == 405


def test_the_page_links_to_its_pdf(client: Client) -> None:
    adopted_programme()
    html = client.get("/c/souss-massa/programme/").content.decode()
    assert 'href="/c/souss-massa/programme/pdf/" download>تحميل ملف PDF</a>' in html


def test_the_fonts_are_the_vendored_files_given_as_file_urls() -> None:
    faces = pdf.font_faces()

    assert [face.family for face in faces] == ["Cairo", "Noto Sans Tifinagh"]
    for face in faces:
        assert face.url.startswith("file:///")
        path = Path(face.url.removeprefix("file://"))
        assert path.is_file()
        assert path.parent.parts[-3:] == ("static", "vendor", "fonts")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/font.woff2",
        "https://example.org/style.css",
        "HTTP://example.org/image.png",
        "ftp://example.org/font.woff2",
        "data:text/css,body{}",
        "file://example.org/etc/passwd",
        "file:///etc/passwd",
    ],
)
def test_the_fetcher_refuses_anything_but_the_font_files(url: str) -> None:
    with pytest.raises(ValueError, match=r"local files|outside the folders"):
        pdf.url_fetcher().fetch(url)


def test_the_fetcher_reads_a_vendored_font() -> None:
    response = pdf.url_fetcher().fetch(pdf.font_faces()[0].url)
    try:
        assert response.read(4) == b"wOF2"
    finally:
        response.close()


def test_rendering_never_fetches_from_the_network(caplog: pytest.LogCaptureFixture) -> None:
    html = (
        '<html><head><link rel="stylesheet" href="http://example.org/x.css"></head>'
        '<body><img src="https://example.org/x.png">تشاور</body></html>'
    )
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        content = pdf.html_to_pdf(html)

    assert content.startswith(b"%PDF-")
    refused = [r.getMessage() for r in caplog.records if "Only local files" in r.getMessage()]
    assert len(refused) == 2


def test_the_print_template_is_right_to_left_in_arabic(rf) -> None:
    programme = adopted_programme()
    request = rf.get("/c/souss-massa/programme/pdf/")
    request.user = UserFactory.build()
    with translation.override("ar"):
        html = render_to_string(
            "programmes/programme_print.html",
            {
                "consultation": programme.consultation,
                "programme": programme,
                "report": selectors.programme_report(programme=programme),
                "generated_at": timezone.now(),
                "page_url": "http://testserver/c/souss-massa/programme/",
                "font_faces": pdf.font_faces(),
            },
            request=request,
        )
    assert '<html lang="ar" dir="rtl">' in html
    assert ARABIC_TITLE in html
    assert '@font-face {\n  font-family: "Cairo";' in html


# --- accountability at a glance, in print ----------------------------------------------------

PDFTOTEXT = shutil.which("pdftotext")
#: Bidi controls pdftotext writes around runs (LRM, RLM, embeddings, isolates).
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def pdftotext(content: bytes) -> str:
    """The PDF's text as poppler's ``pdftotext`` reads it, in reading order."""
    result = subprocess.run(  # noqa: S603 - a fixed command on bytes the test made
        [PDFTOTEXT, "-", "-"], input=content, capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode()


@pytest.mark.skipif(PDFTOTEXT is None, reason="needs poppler's pdftotext")
def test_french_inside_the_arabic_pdf_keeps_its_punctuation_at_its_end(client: Client) -> None:
    programme = accountable_programme()
    partner = OrganisationFactory(name="Conseil régional, Souss-Massa.", name_fr="")
    programme.measures.get(code="1").partners.add(partner)

    text = pdftotext(client.get("/c/accounts/programme/pdf/").content)

    lines = [line.translate(_BIDI_CONTROLS).strip() for line in text.splitlines()]
    assert MIXED_NOTE in lines  # the French description, its full stop at its end
    assert "Conseil régional, Souss-Massa." in text
    for wrong in (".Un comité", ",Un comité", "Un comité régional ,", ".Conseil régional"):
        assert wrong not in text


@pytest.mark.skipif(PDFTOTEXT is None, reason="needs poppler's pdftotext")
def test_the_pdf_footer_names_the_site_not_the_server(client: Client, settings) -> None:
    accountable_programme()

    behind_a_proxy = client.get("/fr/c/accounts/programme/pdf/", HTTP_HOST="127.0.0.1")

    text = pdftotext(behind_a_proxy.content)
    assert "127.0.0.1" not in text
    assert "Tashawur · Généré le" in text
    assert "http" not in text  # no public address is set: the PDF links nowhere
    assert "/c/accounts/" not in "".join(link_targets(read(behind_a_proxy.content)[0]))

    settings.TASHAWUR_SITE_NAME = "Tashawur Souss-Massa"
    settings.TASHAWUR_PUBLIC_URL = "https://tashawur.example"
    response = client.get("/fr/c/accounts/programme/pdf/", HTTP_HOST="127.0.0.1")
    text = pdftotext(response.content)
    assert "Tashawur Souss-Massa · Généré le" in text
    assert "https://tashawur.example/fr/c/accounts/programme/" in "".join(text.split())
    assert "127.0.0.1" not in text
    assert all(
        target.startswith("https://tashawur.example/fr/c/accounts/diagnosis/findings/")
        for target in link_targets(read(response.content)[0])
    )


def test_the_pdf_shows_totals_indicators_and_findings_by_title(client: Client) -> None:
    accountable_programme()

    text = read(client.get("/fr/c/accounts/programme/pdf/").content)[1].replace("\xa0", " ")

    assert "Budget avec ses sous-mesures 19 000 000 MAD" in text
    assert "Financement trouvé avec ses sous-mesures 15 500 000 MAD" in text
    assert "15 500 000 MAD (82 % du budget)" in text
    assert "Réunions du comité régional tenues" in text
    assert "Valeur de référence 0" in text
    assert "Dernière valeur 9 au 20 décembre 2022" in text
    assert "Cible 10" in text
    assert "Une coordination faible · F1" in text  # the analyst's title, then its number
    assert "Constat F2" in text  # a finding without a label, by its number


def test_the_print_template_draws_indicators_as_svg_and_moroccan_months(rf) -> None:
    """What WeasyPrint lays out: the month names, checked in the HTML it prints."""
    programme = accountable_programme()
    request = rf.get("/c/accounts/programme/pdf/")
    request.user = UserFactory.build()
    with translation.override("ar"):
        html = render_to_string(
            "programmes/programme_print.html",
            {
                "consultation": programme.consultation,
                "programme": programme,
                "report": selectors.programme_report(programme=programme),
                "generated_at": dt.datetime(2026, 8, 14, 9, 30, tzinfo=dt.UTC),
                "site_name": "Tashawur",
                "font_faces": pdf.font_faces(),
            },
            request=request,
        )
    assert html.count('<svg class="indicator-chart"') == 1
    assert '<polyline points="5,59 ' in html
    assert "أُنشئ في 14 غشت 2026، 10:30" in html  # the footer's date, in Moroccan Arabic
    for moroccan in ("من 1 غشت، 2019", "من 1 شتنبر، 2019", "إلى 20 دجنبر، 2022"):
        assert moroccan in html
    for mashriq in ("أغسطس", "سبتمبر", "ديسمبر", "آب", "أيلول", "كانون"):
        assert mashriq not in html
    assert '<p dir="ltr">Un comité régional' in html
