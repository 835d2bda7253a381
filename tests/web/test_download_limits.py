"""The programme's PDF is laid out once per content and served from the cache while nothing
it shows changes; any change is in the next download at once. Anonymous networks are
throttled with a translated 429 page."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client, override_settings

from tashawur.core import caching, printing
from tashawur.core.roles import Role
from tashawur.programmes.models import Measure, ProgressUpdate
from tests.actors.factories import UserFactory
from tests.contributions.threads import run_concurrently
from tests.programmes.factories import ProgrammeFactory
from tests.web.test_programme_page import adopted_programme

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_rate_windows")]

PDF_URL = "/c/souss-massa/programme/pdf/"


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every HTML WeasyPrint is asked to lay out; the "PDF" is that HTML, so that a test can
    read what a download shows (tests/web/test_programme_pdf.py reads real PDFs)."""
    seen: list[str] = []

    def lay_out(html: str) -> bytes:
        seen.append(html)
        return html.encode()

    monkeypatch.setattr(printing, "html_to_pdf", lay_out)
    return seen


def test_an_unchanged_programme_is_laid_out_once(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    adopted_programme()
    real: Callable[[str], bytes] = printing.html_to_pdf
    calls: list[int] = []

    def counted(html: str) -> bytes:
        calls.append(1)
        return real(html)

    monkeypatch.setattr(printing, "html_to_pdf", counted)

    first = client.get(PDF_URL)
    second = Client().get(PDF_URL)

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second.content.startswith(b"%PDF-")
    assert second["Content-Disposition"] == first["Content-Disposition"]
    assert len(calls) == 1


def test_a_changed_measure_is_in_the_next_pdf_at_once(client: Client, layouts: list[str]) -> None:
    adopted_programme()
    assert "معرض جهوي دائم" in client.get(PDF_URL).content.decode()
    # A bulk update, as an import or a data fix would do it: no save(), no signal.
    Measure.objects.filter(code="1.1").update(title_ar="معرض جهوي متنقل")

    html = client.get(PDF_URL).content.decode()

    assert "معرض جهوي متنقل" in html
    assert "معرض جهوي دائم" not in html
    assert len(layouts) == 2


def test_a_progress_update_is_in_the_next_pdf_at_once(client: Client, layouts: list[str]) -> None:
    adopted_programme()
    before = client.get(PDF_URL).content
    ProgressUpdate.objects.create(
        measure=Measure.objects.get(code="1.2"), on="2021-01-01", percent=100
    )

    after = client.get(PDF_URL).content

    assert after != before
    assert client.get(PDF_URL).content == after  # and that one is cached in turn
    assert len(layouts) == 2


@pytest.mark.django_db(transaction=True)
def test_readers_asking_at_once_for_a_new_pdf_share_one_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    adopted_programme()
    layouts: list[int] = []

    def slow_layout(html: str) -> bytes:
        layouts.append(1)
        time.sleep(0.5)
        return html.encode()

    monkeypatch.setattr(printing, "html_to_pdf", slow_layout)
    monkeypatch.setattr(caching, "POLL_SECONDS", 0.02)

    responses = run_concurrently(lambda i: Client(REMOTE_ADDR=f"10.0.0.{i}").get(PDF_URL), 6)

    assert [r.status_code for r in responses] == [200] * 6
    assert len({r.content for r in responses}) == 1
    assert len(layouts) == 1


def test_each_language_has_its_own_pdf(client: Client, layouts: list[str]) -> None:
    adopted_programme()
    arabic = client.get(PDF_URL).content.decode()
    french = client.get(f"/fr{PDF_URL}").content.decode()
    assert 'lang="ar"' in arabic
    assert 'lang="fr"' in french
    assert len(layouts) == 2


def test_a_draft_laid_out_for_its_coordinator_is_not_served_to_others(
    client: Client, layouts: list[str]
) -> None:
    programme = ProgrammeFactory(consultation__slug="draft-one")
    coordinator = UserFactory(role=Role.REGIONAL_COORDINATOR)
    programme.consultation.coordinators.add(coordinator)
    client.force_login(coordinator)
    assert client.get("/c/draft-one/programme/pdf/").status_code == 200

    assert Client().get("/c/draft-one/programme/pdf/").status_code == 403


@override_settings(TASHAWUR_RATE_DOWNLOADS="3/m")
def test_anonymous_downloads_past_the_rate_get_a_translated_429_page(
    layouts: list[str],
) -> None:
    adopted_programme()
    visitor = Client()
    assert [visitor.get(PDF_URL).status_code for _ in range(3)] == [200] * 3

    response = visitor.get(PDF_URL)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert (
        '<p class="errors" role="alert">تحميلات كثيرة من شبكتك. أعد المحاولة بعد دقيقة واحدة.</p>'
        in html
    )
    assert len(layouts) == 1
    assert Client(REMOTE_ADDR="198.51.100.20").get(PDF_URL).status_code == 200
    french = visitor.get(f"/fr{PDF_URL}").content.decode()
    assert "Trop de téléchargements depuis votre réseau. Réessayez dans 1 minute." in french


@override_settings(TASHAWUR_RATE_DOWNLOADS="1/m")
def test_signed_in_readers_are_not_throttled(client: Client, layouts: list[str]) -> None:
    adopted_programme()
    client.force_login(UserFactory(role=Role.PARTICIPANT))
    assert [client.get(PDF_URL).status_code for _ in range(3)] == [200] * 3
