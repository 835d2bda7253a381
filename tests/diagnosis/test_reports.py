"""The diagnosis as files: the published diagnosis as a PDF (Arabic and French, read back with
poppler's ``pdftotext``), the current run's findings and breakdowns as XLSX workbooks
(formula-escaped, no one named, small cells suppressed), and the block that links them."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from tashawur.actors.models import Participant
from tashawur.consultations.models import Consultation, Dimension
from tashawur.contributions.models import Contribution
from tashawur.core import printing
from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.diagnosis.services import (
    diagnosis_entry_create,
    diagnosis_publish,
    finding_rename,
)
from tests.actors.factories import UserFactory
from tests.consultations.factories import analyst_of
from tests.contributions.factories import ContributionFactory

from .conftest import Corpus

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="needs poppler's pdftotext")
#: Bidi controls pdftotext writes around runs (LRM, RLM, embeddings, isolates).
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
#: The statement, as a reader's tools get it back from the PDF's text layer: whole words, dotted
#: letters included (the print font's glyphs are whole letters: ``core.printing``).
STATEMENT_AR = "ندرة الماء تعيق التعاونيات في جهة سوس ماسة"
FRENCH_NOTE = "Un comité régional se réunit chaque trimestre."


def pdftotext(content: bytes) -> str:
    result = subprocess.run(  # noqa: S603 - a fixed command on bytes the test made
        [str(PDFTOTEXT), "-", "-"], input=content, capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode().translate(_BIDI_CONTROLS)


def url(corpus: Corpus, tail: str, prefix: str = "") -> str:
    return f"{prefix}/c/{corpus.consultation.slug}/diagnosis/{tail}"


def _publish(corpus: Corpus, run: SynthesisRun) -> tuple[Finding, Contribution]:
    analyst = analyst_of(corpus.consultation)
    first = run.findings.order_by("position").first()
    assert first is not None
    note = ContributionFactory(
        workshop=corpus.workshops[0], text=FRENCH_NOTE, language="fr", dimension="challenge"
    )
    diagnosis_entry_create(
        consultation=corpus.consultation,
        user=analyst,
        dimension="challenge",
        statement_ar=STATEMENT_AR,
        statement_fr="La rareté de l'eau freine les coopératives du Souss-Massa.",
        finding_ids=[first.pk],
        contribution_ids=[note.pk, corpus.by_key["jobs-fr"].pk],
    )
    diagnosis_publish(consultation=corpus.consultation, user=analyst)
    return first, note


def _cited_numbers(first: Finding, note: Contribution, corpus: Corpus) -> set[int]:
    quotes = set(
        first.citations.filter(is_representative=True).values_list("contribution_id", flat=True)
    )
    return quotes | {note.pk, corpus.by_key["jobs-fr"].pk}


# -- the published diagnosis as PDF ---------------------------------------------------------------


@needs_pdftotext
def test_the_arabic_pdf_prints_every_statement_with_its_contribution_numbers(
    corpus: Corpus, run: SynthesisRun, client: Client
) -> None:
    first, note = _publish(corpus, run)

    response = client.get(url(corpus, "published/pdf/"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="diagnosis-{corpus.consultation.slug}-v1-ar.pdf"'
    )
    assert response["Cache-Control"] == "public, max-age=300"
    text = pdftotext(response.content)
    lines = [line.strip() for line in text.splitlines()]
    # Joined, in reading order: the statement reads back whole, word after word.
    assert STATEMENT_AR in " ".join(text.split())
    # A French quote inside the Arabic page keeps its full stop at its end.
    assert FRENCH_NOTE in lines
    assert f".{FRENCH_NOTE[:-1]}" not in text
    assert f"F{first.key.lstrip('F')}" in text
    numbers = {int(token) for token in text.split() if token.isdigit()}
    assert _cited_numbers(first, note, corpus) <= numbers


@needs_pdftotext
def test_the_french_pdf_reads_back_whole(corpus: Corpus, run: SynthesisRun, client: Client) -> None:
    first, note = _publish(corpus, run)

    response = client.get(url(corpus, "published/pdf/", prefix="/fr"))

    assert response["Content-Disposition"].endswith('-v1-fr.pdf"')
    text = " ".join(pdftotext(response.content).split())
    assert "Diagnostic publié" in text or "Published diagnosis" in text
    assert "La rareté de l'eau freine les coopératives du Souss-Massa." in text
    for number in _cited_numbers(first, note, corpus):
        assert f"Contribution n° {number}" in text, number
    assert f"{first.key} · " in text


@needs_pdftotext
def test_the_pdf_names_no_participant(corpus: Corpus, run: SynthesisRun, client: Client) -> None:
    _publish(corpus, run)
    html_names = [
        name
        for p in Participant.objects.select_related("user")
        for name in (p.display_name, p.user.username if p.user else "")
        if name
    ]
    assert html_names

    text = pdftotext(client.get(url(corpus, "published/pdf/", prefix="/fr")).content)

    for name in html_names:
        assert name not in text


def test_the_pdf_is_laid_out_once_per_publication(
    corpus: Corpus, run: SynthesisRun, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _note = _publish(corpus, run)
    layouts: list[str] = []
    real = printing.html_to_pdf

    def counted(html: str) -> bytes:
        layouts.append(html)
        return real(html)

    monkeypatch.setattr(printing, "html_to_pdf", counted)

    one = client.get(url(corpus, "published/pdf/")).content
    again = client.get(url(corpus, "published/pdf/")).content
    assert len(layouts) == 1 and one == again
    client.get(url(corpus, "published/pdf/", prefix="/fr"))
    assert len(layouts) == 2  # another language, another layout

    analyst = analyst_of(corpus.consultation)
    finding_rename(finding=first, user=analyst, title_fr="Titre de la version 2")
    diagnosis_publish(consultation=corpus.consultation, user=analyst)
    client.get(url(corpus, "published/pdf/", prefix="/fr"))
    assert len(layouts) == 3
    assert "Titre de la version 2" in layouts[-1]


def test_no_pdf_before_a_first_publication(corpus: Corpus, client: Client) -> None:
    assert client.get(url(corpus, "published/pdf/")).status_code == 404


def test_a_draft_consultations_pdf_is_private_to_its_managers(
    corpus: Corpus, run: SynthesisRun, client: Client
) -> None:
    _publish(corpus, run)
    Consultation.objects.filter(pk=corpus.consultation.pk).update(status="draft")

    assert client.get(url(corpus, "published/pdf/")).status_code == 403
    client.force_login(UserFactory(role="national_coordinator"))
    response = client.get(url(corpus, "published/pdf/"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


# -- the findings as XLSX ------------------------------------------------------------------------


def _sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    finally:
        book.close()


def test_findings_xlsx_lists_the_shown_findings_escaped(
    corpus: Corpus, run: SynthesisRun, client: Client
) -> None:
    analyst = analyst_of(corpus.consultation)
    first, *rest = run.findings.order_by("position")
    finding_rename(finding=first, user=analyst, title_fr='=HYPERLINK("http://x.example","go")')

    response = client.get(url(corpus, "findings.xlsx", prefix="/fr"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="findings-{corpus.consultation.slug}-'
    )
    rows = _sheets(response.content)["findings"]
    header, *body = rows
    assert header[:3] == ("Number", "Key", "Dimension") or header[1] in ("Clé", "Key")
    shown = [f for f in [first, *rest] if f.is_visible]
    assert [row[1] for row in body] == [f.key for f in shown]
    row = body[0]
    assert row[4] == '\'=HYPERLINK("http://x.example","go")'
    assert row[5] == first.size and row[6] == first.size - first.duplicate_count
    cited = sorted(
        first.citations.filter(contribution__in=Contribution.objects.published()).values_list(
            "contribution_id", flat=True
        )
    )
    assert row[10] == " ".join(map(str, cited))


def test_the_workbooks_name_no_participant(
    corpus: Corpus, run: SynthesisRun, client: Client
) -> None:
    names = [
        name
        for p in Participant.objects.select_related("user")
        for name in (p.display_name, *((p.user.username, p.user.email) if p.user else ()))
        if name
    ]
    assert names
    for tail in ("findings.xlsx", "breakdowns.xlsx"):
        cells = [
            str(value)
            for rows in _sheets(client.get(url(corpus, tail)).content).values()
            for row in rows
            for value in row
            if value is not None
        ]
        for name in names:
            assert all(name not in cell for cell in cells), (tail, name)


# -- the breakdowns as XLSX ----------------------------------------------------------------------


def _authors_by_actor_type(run: SynthesisRun) -> dict[str, tuple[int, set[Hashable]]]:
    """Worked out here from the shown findings' published contributions, not with the
    selectors' code: contributions and authors per actor type."""
    contributions: dict[str, set[int]] = defaultdict(set)
    authors: dict[str, set[Hashable]] = defaultdict(set)
    for finding in run.findings.exclude(status__in=("rejected", "merged")):
        for citation in finding.citations.select_related("contribution__author"):
            c = citation.contribution
            if c.moderation_status != "published" or c.author is None:
                continue
            organisation = c.author.organisations.order_by("name", "pk").first()
            if organisation is None:
                continue
            kind = organisation.actor_type.parent or organisation.actor_type
            contributions[kind.label_fr].add(c.pk)
            authors[kind.label_fr].add(c.author_id)
    return {label: (len(contributions[label]), authors[label]) for label in contributions}


def test_breakdowns_count_actor_types_when_enough_authors(
    corpus: Corpus, run: SynthesisRun, client: Client, settings: Any
) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 2
    expected = _authors_by_actor_type(run)
    assert expected

    sheets = _sheets(client.get(url(corpus, "breakdowns.xlsx", prefix="/fr")).content)

    by_label = {row[0]: row[1:] for row in sheets["actor-type"][1:]}
    assert set(by_label) == set(expected)
    for label, (count, authors) in expected.items():
        if len(authors) >= 2:
            assert by_label[label] == (count, len(authors))
        else:
            assert by_label[label] == ("<2", "<2")


def test_breakdowns_suppress_every_cell_under_k(
    corpus: Corpus, run: SynthesisRun, client: Client, settings: Any
) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 1000

    sheets = _sheets(client.get(url(corpus, "breakdowns.xlsx")).content)

    counts = [
        value
        for title in ("dimension-theme", "actor-type", "province")
        for row in sheets[title][1:]
        for value in row[1:]
    ]
    assert counts, "the corpus has contributions to count"
    assert set(counts) <= {"<1000", 0}
    assert "<1000" in counts
    assert len(sheets["dimension-theme"][0]) == 1 + len(Dimension.choices)


def test_workbooks_before_any_run_are_empty_but_readable(corpus: Corpus, client: Client) -> None:
    findings = _sheets(client.get(url(corpus, "findings.xlsx")).content)
    assert len(findings["findings"]) == 1  # the header alone


# -- the block that links them -------------------------------------------------------------------


def test_pages_link_their_open_data_and_exports(
    corpus: Corpus, run: SynthesisRun, client: Client
) -> None:
    _publish(corpus, run)
    slug = corpus.consultation.slug
    for page in (f"/c/{slug}/", url(corpus, ""), url(corpus, "published/")):
        html = client.get(page).content.decode()
        assert f'href="/api/consultations/{slug}/open-data.zip"' in html, page
        assert f'href="/c/{slug}/diagnosis/published/pdf/"' in html, page
        assert f'href="/fr/c/{slug}/diagnosis/published/pdf/"' in html, page
        assert f'href="/c/{slug}/diagnosis/findings.xlsx"' in html, page
        assert f'href="/c/{slug}/diagnosis/breakdowns.xlsx"' in html, page
        assert "programme/pdf/" not in html, page  # this consultation has no programme


def test_the_block_leaves_out_what_does_not_exist(corpus: Corpus, client: Client) -> None:
    html = client.get(url(corpus, "published/")).content.decode()

    assert "open-data.zip" in html
    assert "published/pdf/" not in html
    assert "findings.xlsx" not in html
