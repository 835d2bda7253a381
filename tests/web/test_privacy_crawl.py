"""No participant's name on anything the public can reach (the consent text promises
contributions are published "without my name").

The shipped Souss-Massa demo, after its first synthesis (findings, published diagnosis,
programme linked to findings), is crawled as an anonymous visitor: every same-site link from the
home page in Arabic and in French, the JSON API and its pages, the open-data ZIP (every file in
it) and the programme's PDF (its text, through pypdf). None of the demo participants' names
(Arabic and Latin spellings), nor the name or e-mail of an account linked to a participant, may
appear. One crawl serves the module; it is kept in a transaction rolled back afterwards.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import zipfile
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

import pytest
import yaml
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from openpyxl import load_workbook
from pypdf import PdfReader

from tashawur.actors.models import Participant
from tashawur.demo.command import _synthesis_run_first, _synthesis_run_regions
from tashawur.demo.loader import CONSULTATION_SLUG, default_data_dir, demo_load
from tashawur.demo.regions import demo_region_files

pytestmark = pytest.mark.slow

#: Enough for every page of the demo; a runaway crawl stops here.
MAX_PAGES = 1500
#: Finding pages crawled per language (the demo has about 300): they name contributions by
#: number only, and the diagnosis and published pages quote the same contributions.
FINDING_PAGES = 30
_FINDING = re.compile(r"^(/fr)?/c/[^/]+/diagnosis/findings/\d+/$")
#: Contribution pages crawled in French: every one is crawled in Arabic (the site's language);
#: the French page shows the same fields of the same contribution, in the other language.
FRENCH_CONTRIBUTION_PAGES = 30
_FRENCH_CONTRIBUTION = re.compile(r"^/fr/s/\d+/$")
_HREF = re.compile(r'href="([^"]+)"')
#: Not pages: the admin (staff only, sends to the sign-in page), the language switch (POST),
#: the vendored assets.
_SKIPPED = ("/admin/", "/fr/admin/", "/i18n/", "/static/")


@dataclass
class Crawl:
    texts: dict[str, str] = field(default_factory=dict)  # what a visitor reads, by URL
    statuses: dict[str, int] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)


def _same_site(url: str, base: str) -> str | None:
    url, _fragment = urldefrag(html.unescape(url))
    if url.startswith("?"):
        url = urlsplit(base).path + url  # the pager's links keep the page's path
    parts = urlsplit(url)
    if "dimension=" in parts.query:
        return None  # a filter shows some of the cards an unfiltered page shows
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(_SKIPPED):
        return None
    if parts.path.endswith(("/login/", "/signup/")):
        return parts.path  # one sign-in (sign-up) page, whatever it returns to
    return url


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def _zip_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(
            archive.read(name).decode("utf-8-sig") for name in sorted(archive.namelist())
        )


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def _crawl(client: Client, starts: list[str]) -> Crawl:
    crawl = Crawl()
    queue = deque(starts)
    seen = set(starts)
    sampled: Counter[str] = Counter()
    while queue and len(crawl.texts) < MAX_PAGES:
        url = queue.popleft()
        finding = _FINDING.search(url)
        if finding:
            # Finding pages cost about half a second each: a sample of each language's.
            sampled[f"finding{finding.group(1) or ''}"] += 1
            if sampled[f"finding{finding.group(1) or ''}"] > FINDING_PAGES:
                continue
        if _FRENCH_CONTRIBUTION.search(url):
            sampled["contribution/fr"] += 1
            if sampled["contribution/fr"] > FRENCH_CONTRIBUTION_PAGES:
                continue
        response = client.get(url)
        crawl.statuses[url] = response.status_code
        kind = response.get("Content-Type", "")
        links: list[str] = []
        if response.status_code in (301, 302):
            links.append(response["Location"])
            text = ""
        elif kind.startswith("application/pdf"):
            text = _pdf_text(response.content)
        elif kind.startswith("application/zip"):
            # The open-data ZIP is streamed from its file.
            text = _zip_text(
                b"".join(response.streaming_content) if response.streaming else response.content
            )
        elif kind.startswith("application/vnd.openxmlformats-officedocument.spreadsheetml"):
            text = _xlsx_text(response.content)
        elif kind.startswith("application/json"):
            text = response.content.decode()
            # The API's pages name the next one by absolute URL.
            links.extend(
                urlsplit(value).path
                + (f"?{urlsplit(value).query}" if urlsplit(value).query else "")
                for value in re.findall(r'"next": "([^"]+)"', json.dumps(json.loads(text)))
            )
        else:
            text = response.content.decode()
            links.extend(_HREF.findall(text))
        crawl.texts[url] = text
        for link in links:
            target = _same_site(link, url)
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)
    return crawl


def _demo_names() -> set[str]:
    rows = yaml.safe_load(
        default_data_dir().joinpath("participants.yaml").read_text(encoding="utf-8")
    )
    names = {row["name"] for row in rows} | {row["name_latin"] for row in rows}
    # The demo's other regions (fictional) name their people in one file each.
    for region in demo_region_files(default_data_dir()):
        names |= {p["name"] for p in region["participants"]}
        names |= {p["name_latin"] for p in region["participants"]}
    names |= set(Participant.objects.values_list("display_name", flat=True))
    for first, last, email in Participant.objects.filter(user__isnull=False).values_list(
        "user__first_name", "user__last_name", "user__email"
    ):
        names |= {f"{first} {last}".strip(), email}
    return {name for name in names if name}


@pytest.fixture(scope="module")
def crawl(django_db_setup, django_db_blocker):
    from django.db import connection

    if connection.vendor != "sqlite":
        # What a page shows does not depend on the database, and the crawl's set-up (the whole
        # demo and its synthesis, about a minute) is the suite's heaviest: the SQLite pass runs
        # it; the pages' queries are exercised on PostgreSQL by tests/web and tests/diagnosis.
        pytest.skip(
            "the privacy crawl runs in the SQLite pass (pages do not depend on the database)"
        )
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(TASHAWUR_SYNTHESIS_EMBEDDER="lexical"),
    ):
        call_command("load_reference_data", verbosity=0)
        demo_load()
        with contextlib.redirect_stdout(io.StringIO()):
            _synthesis_run_first()
            _synthesis_run_regions()
        api = f"/api/consultations/{CONSULTATION_SLUG}"
        result = _crawl(
            Client(),
            [
                "/",
                "/fr/",
                "/api/consultations",
                "/api/openapi.json",
                f"{api}/open-data.zip",
                f"{api}/contributions.json",
            ],
        )
        result.names = _demo_names()
        yield result
        transaction.set_rollback(True)


@pytest.fixture
def crawled(crawl: Crawl, db: None) -> Crawl:
    return crawl


def test_crawl_reaches_every_kind_of_public_page(crawled: Crawl) -> None:
    crawl = crawled
    paths = list(crawl.texts)
    for pattern in (
        r"^/w/\d+/$",
        r"^/s/\d+/$",
        r"^/fr/s/\d+/$",
        r"^/fr/w/\d+/\?page=2$",
        r"^/m/",
        r"^/c/[^/]+/$",
        r"/diagnosis/findings/\d+/$",
        r"/diagnosis/published/$",
        r"^/fr/c/[^/]+/programme/$",
        r"/programme/pdf/$",
        r"/open-data\.zip$",
        r"/contributions\.json\?page=2$",
    ):
        assert any(re.search(pattern, p) for p in paths), pattern
    assert len(paths) < MAX_PAGES
    assert not [url for url, status in crawl.statuses.items() if status >= 500]
    assert len(crawl.names) > 200


def test_no_demo_participant_is_named_on_any_public_page(crawled: Crawl) -> None:
    crawl = crawled
    found = sorted(
        (name, url)
        for url, text in crawl.texts.items()
        for name in crawl.names
        if name in text or html.escape(name) in text
    )
    assert found == []


def test_the_names_are_there_for_the_facilitator_who_records(crawled: Crawl) -> None:
    crawl = crawled
    """The check can fail: the speaker picker of a facilitator's workshop page (staff only)
    names the people at the table, with the same spelling the crawl looks for."""
    from tashawur.consultations.models import Workshop
    from tashawur.core.models import User

    # The 2018 round tables are closed in the demo; the first is opened again, so that its
    # page has the picker with the people who sat at it.
    workshop = Workshop.objects.filter(meeting__slug="taroudant-2018").order_by("pk").first()
    assert workshop is not None
    Workshop.objects.filter(pk=workshop.pk).update(status=Workshop.Status.OPEN, closed_at=None)
    client = Client()
    client.force_login(User.objects.get(username="facilitator"))
    page = client.get(f"/w/{workshop.pk}/").content.decode()
    if 'name="author"' not in page:
        pytest.skip("no open round table in the demo: no speaker picker to check against")
    assert any(name in page for name in crawl.names)
