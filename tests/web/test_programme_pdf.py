"""The action programme as a PDF: the accountability page's content, offline, in the reader's
language, under the page's access rules."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation
from pypdf import PdfReader

from tashawur.core.roles import Role
from tashawur.programmes import pdf, selectors
from tests.actors.factories import UserFactory
from tests.programmes.factories import ProgrammeFactory, finding_in, run_make
from tests.web.test_programme_page import adopted_programme

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


def test_the_pdf_is_an_arabic_attachment_by_default(client: Client) -> None:
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
    # Noto Sans Arabic draws letters from shared skeletons and dots, so the PDF's glyph-to-text
    # map cannot give Arabic words back exactly; the document's title and language can.
    assert reader.metadata is not None
    assert reader.metadata.title == ARABIC_TITLE
    assert reader.trailer["/Root"]["/Lang"] == "ar"
    assert "Noto-Sans-Arabic" in fonts(reader)  # the vendored font, not the system's
    for code in ("1.1", "1.2"):
        assert code in text
    assert "1.500.000" in text  # budget of 1.1, in dirhams as on the page
    assert "http://testserver/c/souss-massa/programme/" in text  # the footer
    assert "1 / 1" in text  # page numbers


def test_the_pdf_is_french_under_fr(client: Client) -> None:
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


def test_the_pdf_lists_each_measures_findings_as_the_page_resolves_them(client: Client) -> None:
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

    assert [face.family for face in faces] == ["Noto Sans Arabic", "Noto Sans Tifinagh"]
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
    assert '@font-face {\n  font-family: "Noto Sans Arabic";' in html
