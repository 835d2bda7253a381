"""A contribution's own page, ``/s/<pk>/``: the contribution by its number, its round table,
and what became of it — its finding, the published statement citing it, the measure answering
it with its latest progress. Public for a published contribution; a pending or rejected one is
its author's (a 404 for others). Never the author's name (Law 09-08)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tashawur.contributions.models import ModerationStatus
from tashawur.diagnosis.models import Finding
from tashawur.programmes.chain import contribution_chain, contribution_chains
from tashawur.programmes.models import Programme

from .chain import FINDING_AR, FINDING_FR, MEASURE_FR, STATEMENT_AR, STATEMENT_FR, build_chain
from .world import World

NAMES = ("فاطمة أ.", "Ahmed B.")


@pytest.fixture
def chain(world: World):  # type: ignore[no-untyped-def]
    return build_chain(world)


def _page(client: Client, pk: int, lang: str = "") -> str:
    prefix = f"/{lang}" if lang else ""
    response = client.get(f"{prefix}/s/{pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_address_is_the_contributions_own(chain) -> None:  # type: ignore[no-untyped-def]
    assert reverse("web:contribution", args=[chain.mine.pk]) == f"/s/{chain.mine.pk}/"


def test_a_published_contribution_shows_its_chain_to_anyone(chain, client: Client) -> None:  # type: ignore[no-untyped-def]
    html = _page(client, chain.mine.pk)

    assert chain.mine.text in html
    assert f"المساهمة رقم {chain.mine.pk}" in html
    # Its round table, its finding, the published statement, the measure and its progress.
    assert f'href="/w/{chain.world.workshop.pk}/#c-{chain.mine.pk}"' in html
    assert (
        f'href="/c/{chain.world.consultation.slug}/diagnosis/findings/{chain.finding.pk}/' in html
    )
    assert FINDING_AR in html
    assert STATEMENT_AR in html
    assert (
        f'href="/c/{chain.world.consultation.slug}/programme/#measure-{chain.measure.pk}"' in html
    )
    assert "45" in html  # the latest update's percent, not the first one's
    assert "20%" not in html
    assert 'class="badge own"' not in html


def test_the_page_names_no_author(chain, client: Client) -> None:  # type: ignore[no-untyped-def]
    for lang in ("", "fr"):
        html = _page(client, chain.mine.pk, lang)
        for name in NAMES:
            assert name not in html, (lang, name)
    author = Client()
    author.force_login(chain.world.participant_user)
    html = _page(author, chain.mine.pk)
    # The author is told it is theirs, not by their name on the page's content.
    assert 'class="badge own"' in html
    main = html.split("<main", 1)[-1]
    assert "فاطمة أ." not in main


def test_the_chain_reads_in_french(chain, client: Client) -> None:  # type: ignore[no-untyped-def]
    html = _page(client, chain.mine.pk, "fr")

    assert '<html lang="fr" dir="ltr">' in html
    assert FINDING_FR in html
    assert STATEMENT_FR in html
    assert MEASURE_FR in html
    assert f'href="/fr/c/{chain.world.consultation.slug}/programme/#measure-' in html


@pytest.mark.parametrize("status", [ModerationStatus.PENDING, ModerationStatus.REJECTED])
def test_an_unpublished_contribution_is_its_authors_only(chain, client: Client, status) -> None:  # type: ignore[no-untyped-def]
    chain.mine.moderation_status = status
    chain.mine.save(update_fields=["moderation_status"])

    assert client.get(f"/s/{chain.mine.pk}/").status_code == 404
    other = Client()
    other.force_login(chain.world.facilitator)
    # The facilitator moderates the round table: they may see it (the moderation queue does).
    assert other.get(f"/s/{chain.mine.pk}/").status_code == 200
    author = Client()
    author.force_login(chain.world.participant_user)
    response = author.get(f"/s/{chain.mine.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert chain.mine.text in html
    # Not published: no chain, and no shared cache keeps it.
    assert f"#measure-{chain.measure.pk}" not in html
    assert "private" in response["Cache-Control"]


def test_a_stranger_who_signed_in_gets_a_404_for_a_rejected_one(chain) -> None:  # type: ignore[no-untyped-def]
    chain.mine.moderation_status = ModerationStatus.REJECTED
    chain.mine.save(update_fields=["moderation_status"])
    from tashawur.core.models import User

    stranger = User.objects.create_user(username="stranger", password="x-1-password-y")
    client = Client()
    client.force_login(stranger)
    assert client.get(f"/s/{chain.mine.pk}/").status_code == 404


def test_an_unknown_number_is_a_404(world: World, client: Client) -> None:
    assert client.get("/s/999999/").status_code == 404


def test_a_draft_programme_is_left_out_for_the_public(chain, client: Client) -> None:  # type: ignore[no-untyped-def]
    Programme.objects.filter(pk=chain.programme.pk).update(
        status=Programme.Status.DRAFT, adopted_at=None
    )
    html = _page(client, chain.mine.pk)
    assert f"#measure-{chain.measure.pk}" not in html
    assert STATEMENT_AR in html


def test_a_merged_finding_leads_to_what_it_was_merged_into(chain) -> None:  # type: ignore[no-untyped-def]
    target = Finding.objects.create(
        run=chain.run,
        key="F8",
        theme_key="T1",
        label_ar="مواكبة التعاونيات",
        size=3,
        dimension="proposal",
        position=2,
    )
    Finding.objects.filter(pk=chain.finding.pk).update(
        status=Finding.Status.MERGED, merged_into=target
    )
    followed = contribution_chain(contribution=chain.mine, user=chain.world.participant_user)

    assert followed.finding == target
    # The measure cited the merged finding: it now answers what it was merged into.
    assert [m.measure for m in followed.measures] == [chain.measure]
    # The publication is a snapshot: it still cites the finding as it was.
    assert [e.statement for e in followed.entries] == [STATEMENT_AR]


def test_a_contribution_no_run_read_has_an_empty_chain(chain) -> None:  # type: ignore[no-untyped-def]
    followed = contribution_chains(
        contributions=[chain.world.challenge], user=chain.world.participant_user
    )[chain.world.challenge.pk]
    assert followed.is_empty
    assert followed.programme == chain.programme


def test_the_chains_of_many_contributions_take_a_few_queries(
    chain, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    contributions = [chain.mine, chain.world.proposal, chain.world.challenge, chain.world.tifinagh]
    with django_assert_max_num_queries(10):
        chains = contribution_chains(contributions=contributions, user=chain.world.participant_user)
    assert [len(chains[c.pk].measures) for c in contributions] == [1, 1, 0, 0]


def test_the_finding_and_workshop_pages_link_to_the_contribution_page(
    chain, client: Client
) -> None:  # type: ignore[no-untyped-def]
    slug = chain.world.consultation.slug
    finding = client.get(f"/c/{slug}/diagnosis/findings/{chain.finding.pk}/").content.decode()
    workshop = client.get(f"/w/{chain.world.workshop.pk}/").content.decode()

    assert f'href="/s/{chain.mine.pk}/"' in finding
    assert f'href="/s/{chain.mine.pk}/"' in workshop
