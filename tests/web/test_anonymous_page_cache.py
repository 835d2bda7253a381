"""The public pages are cached whole for anonymous readers (``core.page_cache``): a hit renders
nothing and reads only the versions of what the page shows; a new run, a publication, a
takedown, a programme change, a new meeting or contribution is on the next request at once;
each reader gets their own CSRF token; a signed-in reader, a reader with a message waiting, an
address with a query the page does not read are never served the stored page.

A change written behind the services' back (a raw ``update``, which records no version) is what
shows that a page came from the cache: the stored page still shows the old state.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from tashawur.consultations.models import Consultation
from tashawur.contributions.models import ModerationStatus
from tashawur.contributions.services import contribution_moderate
from tashawur.core.page_cache import CSRF_PLACEHOLDER
from tashawur.diagnosis.models import Finding, FindingContribution, SynthesisRun
from tashawur.diagnosis.services import diagnosis_entry_create, diagnosis_publish, finding_rename
from tashawur.programmes.models import Programme
from tests.actors.factories import UserFactory
from tests.consultations.factories import MeetingFactory, analyst_of
from tests.contributions.factories import ContributionFactory

# The diagnosis tests' autouse fixtures, used here too: the language put back after each
# test, the fast lexical embedder.
from tests.diagnosis.conftest import (  # noqa: F401
    Corpus,
    corpus_build,
    language_kept,
    lexical_embedder,
    run_now,
)
from tests.programmes.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def corpus() -> Corpus:
    return corpus_build()


def get(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def diagnosis_url(corpus: Corpus) -> str:
    return f"/fr/c/{corpus.consultation.slug}/diagnosis/"


def finding_url(corpus: Corpus, finding: Finding) -> str:
    return f"/fr/c/{corpus.consultation.slug}/diagnosis/findings/{finding.pk}/"


def first_finding(run: SynthesisRun) -> Finding:
    finding = run.findings.order_by("position").first()
    assert finding is not None
    return finding


def quietly_retitle(finding: Finding, title: str) -> None:
    Finding.objects.filter(pk=finding.pk).update(title_override_fr=title)


def queries_of(client: Client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        html = get(client, url)
    return html, len(queries)


# -- a hit ---------------------------------------------------------------------------------------


def test_a_diagnosis_hit_reads_only_its_versions(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)
    finding = first_finding(run)
    url = diagnosis_url(corpus)
    _, missed = queries_of(client, url)
    quietly_retitle(finding, "Titre posé en douce")

    again, hit = queries_of(client, url)

    assert "Titre posé en douce" not in again
    assert f'id="finding-{finding.key}"' in again
    # The consultation, the last run, the run shown and its curation, the publication, the
    # programme's status: nothing of the page's frame (its exports block, its run look-ups).
    assert hit <= 6 < missed
    # A dimension's page is a page of its own, stored apart.
    _, missed = queries_of(client, f"{url}?dimension=challenge&page=1")
    _, hit = queries_of(client, f"{url}?dimension=challenge&page=1")
    assert hit <= 6 < missed


def test_a_finding_page_is_cached_and_a_rename_shows_at_once(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    finding = first_finding(run)
    url = finding_url(corpus, finding)
    _, missed = queries_of(client, url)
    quietly_retitle(finding, "Titre posé en douce")
    cached, hit = queries_of(client, url)
    assert "Titre posé en douce" not in cached
    assert hit <= 6 < missed

    finding_rename(
        finding=finding, user=analyst_of(corpus.consultation), title_fr="Eau potable partout"
    )

    assert "Eau potable partout" in get(client, url)


def test_a_takedown_of_a_quote_leaves_the_finding_page_at_once(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    quoted = (
        FindingContribution.objects.filter(run=run, is_representative=True)
        .select_related("contribution", "finding")
        .first()
    )
    assert quoted is not None
    url = finding_url(corpus, quoted.finding)
    text = escape(quoted.contribution.text)
    shown = get(client, url).count(text)
    assert shown

    contribution_moderate(
        contribution=quoted.contribution, status=ModerationStatus.REJECTED, reason="spam"
    )

    # Once less (a contribution of the same text by another author may stay cited).
    assert get(client, url).count(text) == shown - 1


def test_a_new_run_and_a_publication_show_at_once(corpus: Corpus, client: Client) -> None:
    url = diagnosis_url(corpus)
    assert 'id="finding-' not in get(client, url)
    run = run_now(corpus)
    assert f'id="finding-{first_finding(run).key}"' in get(client, url)
    with translation.override("fr"):
        published_pdf = reverse("diagnosis:published_pdf", args=[corpus.consultation.slug])
    assert published_pdf not in get(client, url)

    analyst = analyst_of(corpus.consultation)
    diagnosis_entry_create(
        consultation=corpus.consultation,
        user=analyst,
        dimension="challenge",
        statement_ar="نص",
        finding_ids=[first_finding(run).pk],
    )
    diagnosis_publish(consultation=corpus.consultation, user=analyst)

    html = get(client, url)
    assert "Version 1" in html
    # The exports block (the page's frame) links the published diagnosis at once.
    assert published_pdf in html


def test_a_programme_adopted_shows_in_the_exports_block_at_once(
    corpus: Corpus, client: Client
) -> None:
    run_now(corpus)
    url = diagnosis_url(corpus)
    with translation.override("fr"):
        programme_pdf = reverse("programmes:programme_pdf", args=[corpus.consultation.slug])
    programme = ProgrammeFactory(consultation=corpus.consultation, status=Programme.Status.DRAFT)
    assert programme_pdf not in get(client, url)

    programme.status = Programme.Status.ADOPTED
    programme.adopted_at = timezone.now()
    programme.save()

    assert programme_pdf in get(client, url)


# -- per reader ----------------------------------------------------------------------------------


def test_each_reader_gets_their_own_csrf_token_and_may_switch_language(corpus: Corpus) -> None:
    run_now(corpus)
    url = diagnosis_url(corpus)
    get(Client(), url)  # stored
    readers = [Client(enforce_csrf_checks=True) for _ in range(2)]
    tokens = []
    for reader in readers:
        html = get(reader, url)
        assert CSRF_PLACEHOLDER.decode() not in html
        found = set(CSRF_INPUT.findall(html))
        assert len(found) == 1
        tokens.append(found.pop())
        assert "csrftoken" in reader.cookies

    assert tokens[0] != tokens[1]
    for reader, token in zip(readers, tokens, strict=True):
        response = reader.post(
            "/i18n/setlang/",
            {"language": "ar", "next": url, "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302
    # One reader's token is refused with another reader's cookie.
    stranger = Client(enforce_csrf_checks=True)
    get(stranger, url)
    refused = stranger.post(
        "/i18n/setlang/", {"language": "ar", "next": url, "csrfmiddlewaretoken": "x" * 64}
    )
    assert refused.status_code == 403


@pytest.mark.parametrize("who", ["analyst", "participant"])
def test_a_signed_in_reader_is_never_served_the_stored_page(
    corpus: Corpus, client: Client, who: str
) -> None:
    run = run_now(corpus)
    finding = first_finding(run)
    slug = corpus.consultation.slug
    urls = [diagnosis_url(corpus), finding_url(corpus, finding), "/fr/", f"/fr/c/{slug}/"]
    for url in urls:
        get(client, url)  # stored for the anonymous
    quietly_retitle(finding, "Titre posé en douce")
    user = analyst_of(corpus.consultation) if who == "analyst" else UserFactory()

    client.force_login(user)
    for url in urls:
        assert f"<bdi>{user.get_username()}</bdi>" in get(client, url)
    assert "Titre posé en douce" in get(client, diagnosis_url(corpus))
    client.logout()
    assert "Titre posé en douce" not in get(client, diagnosis_url(corpus))


def test_a_reader_with_a_message_waiting_is_served_a_fresh_page(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    finding = first_finding(run)
    # The finding's page: the diagnosis's body has a cache of its own.
    url = finding_url(corpus, finding)
    get(client, url)
    quietly_retitle(finding, "Titre posé en douce")
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies["messages"] = storage._encode([Message(constants.INFO, "Bonjour la file")])

    html = get(client, url)

    assert "Bonjour la file" in html
    assert "Titre posé en douce" in html
    # The message is read: the next request is served the stored page again.
    assert "Titre posé en douce" not in get(client, url)


def test_a_query_the_page_does_not_read_is_not_cached(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)
    finding = first_finding(run)
    # The finding's page: the diagnosis's body has a cache of its own.
    url = finding_url(corpus, finding)
    get(client, url)
    quietly_retitle(finding, "Titre posé en douce")

    assert "Titre posé en douce" in get(client, f"{url}?utm_source=sms")
    assert "Titre posé en douce" not in get(client, url)


# -- the home page and the consultation's page ---------------------------------------------------


def test_the_consultation_page_is_cached_and_a_new_meeting_shows_at_once(
    corpus: Corpus, client: Client
) -> None:
    url = f"/fr/c/{corpus.consultation.slug}/"
    _, missed = queries_of(client, url)
    Consultation.objects.filter(pk=corpus.consultation.pk).update(title_fr="Titre posé en douce")
    cached, hit = queries_of(client, url)
    assert "Titre posé en douce" not in cached
    assert hit < missed

    MeetingFactory(consultation=corpus.consultation, title_fr="Rencontre de Tiznit")

    html = get(client, url)
    assert "Rencontre de Tiznit" in html


def test_the_home_page_counts_a_new_contribution_at_once(corpus: Corpus, client: Client) -> None:
    def contributions(html: str) -> str:
        return re.findall(r"(\d+) contributions?", html)[0]

    _, missed = queries_of(client, "/fr/")
    before, hit = queries_of(client, "/fr/")
    assert hit < missed

    ContributionFactory(workshop=corpus.workshops[0])

    assert int(contributions(get(client, "/fr/"))) == int(contributions(before)) + 1
