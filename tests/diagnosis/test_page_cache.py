"""The public diagnosis page is cached for anonymous readers under the versions of what it shows
(``core.caching``): the next request after a new run, a curation action, a publication or a
moderation takedown shows it at once, and a signed-in reader is never served the cached page.

A change written behind the services' back (a raw ``update``, which records no version) is what
shows that a page came from the cache: the cached page still shows the old state.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat
from django.utils.html import escape
from django.utils.timezone import localtime

from tashawur.contributions.models import ModerationStatus
from tashawur.contributions.services import contribution_moderate
from tashawur.diagnosis.models import Finding, FindingContribution, SynthesisRun
from tashawur.diagnosis.services import (
    diagnosis_entry_create,
    diagnosis_publish,
    finding_rename,
)
from tests.actors.factories import UserFactory
from tests.consultations.factories import analyst_of

from .conftest import Corpus, run_now, votes_cast

pytestmark = pytest.mark.django_db


def page(client: Client, corpus: Corpus, prefix: str = "/fr") -> str:
    response = client.get(f"{prefix}/c/{corpus.consultation.slug}/diagnosis/")
    assert response.status_code == 200
    return response.content.decode()


def first_finding(run: SynthesisRun) -> Finding:
    finding = run.findings.order_by("position").first()
    assert finding is not None
    return finding


def quietly_retitle(finding: Finding, title: str) -> None:
    """A change no version records (a raw update): only an uncached page shows it."""
    Finding.objects.filter(pk=finding.pk).update(title_override_fr=title)


def test_the_second_anonymous_request_is_served_from_the_cache(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    finding = first_finding(run)
    with CaptureQueriesContext(connection) as first:
        html = page(client, corpus)
    quietly_retitle(finding, "Titre posé en douce")

    with CaptureQueriesContext(connection) as second:
        again = page(client, corpus)

    assert "Titre posé en douce" not in again
    assert f'id="finding-{finding.key}"' in html
    assert f'id="finding-{finding.key}"' in again
    # The versions (six small queries) and the consultation, not the page's forty or so.
    assert len(second) <= 12 < len(first)


def test_the_stored_result_is_not_read_whole_by_the_page(corpus: Corpus, client: Client) -> None:
    run_now(corpus)
    with CaptureQueriesContext(connection) as queries:
        page(client, corpus)

    sql = [q["sql"] for q in queries if 'FROM "diagnosis_synthesisrun"' in q["sql"]]
    assert sql
    # Selected as a column: the whole result decoded (tens of MB at 100,000 contributions).
    whole = re.compile(r'(SELECT |, )"diagnosis_synthesisrun"\."result"(,| FROM)')
    assert not [s for s in sql if whole.search(s)]
    # Only the opinion map's points are read out of it, in the database.
    assert [s for s in sql if "opinion_map" in s]


def test_the_opinion_map_is_drawn_from_its_key_alone(corpus: Corpus, client: Client) -> None:
    votes_cast(corpus)
    run = run_now(corpus)
    assert run.result is not None
    assert run.result["opinion_map"]["points"]

    html = page(client, corpus)

    opinion_map = html.split('class="opinion-map', 1)[1].split("</figure>", 1)[0]
    assert "<circle" in opinion_map


def test_a_new_run_is_shown_at_once(corpus: Corpus, client: Client) -> None:
    assert 'id="finding-' not in page(client, corpus)

    run = run_now(corpus)

    assert f'id="finding-{first_finding(run).key}"' in page(client, corpus)
    newer = run_now(corpus)
    html = page(client, corpus)
    assert f'id="finding-{first_finding(newer).key}"' in html
    assert f'<time datetime="{dateformat.format(localtime(newer.finished_at), "c")}">' in html


def test_a_curation_rename_is_shown_at_once(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)
    finding = first_finding(run)
    assert "Eau potable partout" not in page(client, corpus)

    finding_rename(
        finding=finding, user=analyst_of(corpus.consultation), title_fr="Eau potable partout"
    )

    assert "<bdi>Eau potable partout</bdi>" in page(client, corpus)


def test_a_publication_is_shown_at_once(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)
    analyst = analyst_of(corpus.consultation)
    assert "Version 1" not in page(client, corpus)

    diagnosis_entry_create(
        consultation=corpus.consultation,
        user=analyst,
        dimension="challenge",
        statement_ar="نص",
        finding_ids=[first_finding(run).pk],
    )
    diagnosis_publish(consultation=corpus.consultation, user=analyst)

    assert "Version 1" in page(client, corpus)


def test_a_takedown_of_a_quoted_contribution_is_shown_at_once(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    quoted = (
        FindingContribution.objects.filter(run=run, is_representative=True)
        .select_related("contribution")
        .first()
    )
    assert quoted is not None
    text = f"{escape(quoted.contribution.text)}</blockquote>"
    assert text in page(client, corpus)

    contribution_moderate(
        contribution=quoted.contribution, status=ModerationStatus.REJECTED, reason="spam"
    )

    assert text not in page(client, corpus)


def test_each_language_has_its_own_page(corpus: Corpus, client: Client) -> None:
    run_now(corpus)
    assert '<html lang="fr"' in page(client, corpus, "/fr")
    html = page(client, corpus, "")
    assert '<html lang="ar" dir="rtl">' in html
    assert "Diagnostic" not in html.split("<main", 1)[1]


@pytest.mark.parametrize("who", ["analyst", "participant"])
def test_a_signed_in_reader_is_never_served_the_cached_page(
    corpus: Corpus, client: Client, who: str
) -> None:
    run = run_now(corpus)
    finding = first_finding(run)
    page(client, corpus)  # cached for the anonymous
    quietly_retitle(finding, "Titre posé en douce")
    user: Any = analyst_of(corpus.consultation)
    if who == "participant":
        user = UserFactory(role="participant")

    client.force_login(user)
    html = page(client, corpus)

    assert "<bdi>Titre posé en douce</bdi>" in html
    if who == "analyst":
        assert 'id="run-again"' in html
    client.logout()
    assert "Titre posé en douce" not in page(client, corpus)


# -- the glance's parts that only the run shows, cached per run (issue 15) -------------------------


def glance_of(html: str) -> str:
    """The top of the page that only the run shows: the heaviest findings and the themes."""
    return html.split('id="glance-title"', 1)[1].split('id="chart-participation"', 1)[0]


def quietly_relabel(finding: Finding, label: str) -> None:
    """The synthesis's own label changed behind the services' back: no version records it,
    and a new run does not carry it over (only titles are)."""
    Finding.objects.filter(pk=finding.pk).update(label_fr=label, title_override_fr="")


def test_the_glance_of_a_run_is_rendered_once_for_every_reader(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    finding = first_finding(run)
    page(client, corpus)
    quietly_relabel(finding, "Libellé posé en douce")

    # A signed-in reader never gets the cached page, but shares the run's cached glance.
    client.force_login(UserFactory(role="participant"))
    html = page(client, corpus)

    assert f'id="finding-{finding.key}"' in html
    assert "<bdi>Libellé posé en douce</bdi>" in html.split('id="glance"', 1)[1]
    assert "Libellé posé en douce" not in glance_of(html)


def test_a_curation_rename_changes_the_cached_glance_at_once(
    corpus: Corpus, client: Client
) -> None:
    run = run_now(corpus)
    finding = first_finding(run)
    assert f'href="#finding-{finding.key}"' in glance_of(page(client, corpus))

    finding_rename(finding=finding, user=analyst_of(corpus.consultation), title_fr="Eau partout")

    assert "<bdi>Eau partout</bdi>" in glance_of(page(client, corpus))


def test_a_new_run_changes_the_cached_glance_at_once(corpus: Corpus, client: Client) -> None:
    votes_cast(corpus, per_camp=3)
    run = run_now(corpus)
    quietly_relabel(first_finding(run), "Libellé de la première synthèse")
    html = page(client, corpus)
    assert "Libellé de la première synthèse" in glance_of(html)
    assert "6 participants placés" in html
    votes_cast(corpus, per_camp=2)

    newer = run_now(corpus)

    html = page(client, corpus)
    assert "Libellé de la première synthèse" not in glance_of(html)
    assert f"<bdi>{escape(first_finding(newer).label)}</bdi>" in glance_of(html)
    assert "10 participants placés" in html


def test_a_lost_generation_never_brings_back_an_old_page(corpus: Corpus, client: Client) -> None:
    from django.core.cache import cache

    from tashawur.core.caching import _generation_key

    finding = first_finding(run_now(corpus))
    page(client, corpus)
    quietly_retitle(finding, "Titre posé en douce")
    assert "Titre posé en douce" not in page(client, corpus)  # cached

    # The cache lost the contributions' token (culled, restarted) but kept the page.
    cache.delete(_generation_key(f"consultation:{corpus.consultation.pk}:data"))

    assert "Titre posé en douce" in page(client, corpus)


def test_an_author_profile_change_is_shown_at_once(corpus: Corpus, client: Client) -> None:
    finding = first_finding(run_now(corpus))
    page(client, corpus)
    quietly_retitle(finding, "Titre posé en douce")
    assert "Titre posé en douce" not in page(client, corpus)  # cached
    contribution = finding.contributions.exclude(author=None).first()
    assert contribution is not None

    person = contribution.author
    person.gender = "female" if person.gender != "female" else "male"
    person.save()

    assert "Titre posé en douce" in page(client, corpus)
