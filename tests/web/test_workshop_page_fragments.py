"""The round table's page is put together from parts kept in the process
(``contributions.views._page_fragments``: its head, its filters, the blank form) under what
they show, and its forms share one CSRF token (``core.csrf.response_token``): a change to what
a part shows reads at once, staff still get their own head, and the parts cost no form built
nor a token masked per part (issue 15, item 1)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tashawur.actors.models import Organisation, Participant
from tashawur.consultations.models import Attendance
from tashawur.contributions import views
from tashawur.contributions.forms import ContributionForm
from tashawur.core.models import User

from .world import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    cache.clear()
    monkeypatch.setattr(views, "_page_fragments", views._Fragments())


def _page(client: Client, world: World, query: str = "") -> str:
    response = client.get(f"/w/{world.workshop.pk}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def _part(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found is not None, pattern
    return found.group(0)


def _roster(html: str) -> str:
    return _part(html, r'<details class="roster-box">.*?</details>')


def _filters(html: str) -> str:
    return _part(html, r'<h2 id="contributions-title">.*?</ul>')


def test_the_head_shows_a_renamed_round_table_at_once(
    world: World, participant_client: Client
) -> None:
    assert "<h1><bdi>الحصول على علامات الجودة</bdi></h1>" in _page(participant_client, world)
    world.workshop.title_ar = "علامات الجودة للتعاونيات"
    world.workshop.save(update_fields=["title_ar"])

    html = _page(participant_client, world)

    assert "<h1><bdi>علامات الجودة للتعاونيات</bdi></h1>" in html
    assert "الحصول على علامات الجودة" not in html


def test_the_head_counts_a_new_person_at_the_table_at_once(
    world: World, participant_client: Client, settings: Any
) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 2  # the cooperatives named before and after

    def newcomer(name: str) -> None:
        person = Participant.objects.create(display_name=name)
        person.organisations.add(Organisation.objects.get())
        Attendance.objects.create(workshop=world.workshop, participant=person)

    for name in ("Youssef C.", "Khadija D."):
        newcomer(name)
    before = _roster(_page(participant_client, world))
    newcomer("Omar E.")

    after = _roster(_page(participant_client, world))

    assert "<span>4</span>" in before
    assert "<span>5</span>" in after
    assert "<span>4</span>" not in after


def test_the_facilitator_reads_their_own_head_after_a_participant(
    world: World, participant_client: Client
) -> None:
    _page(participant_client, world)  # the head kept as a participant reads it
    facilitator = Client()
    facilitator.force_login(world.facilitator)

    html = _page(facilitator, world)

    assert f'href="/w/{world.workshop.pk}/close/"' in html
    assert f'href="/w/{world.workshop.pk}/close/"' not in _page(participant_client, world)


def test_the_filters_count_a_contribution_moved_to_another_dimension_at_once(
    world: World, participant_client: Client
) -> None:
    before = _filters(_page(participant_client, world))
    moved = world.challenge.dimension
    world.challenge.dimension = "proposal"
    world.challenge.save(update_fields=["dimension"])

    after = _filters(_page(participant_client, world))

    def count(part: str, dimension: str) -> int:
        found = re.search(rf'href="\?dimension={dimension}".*?<span>(\d+)</span>', part)
        assert found is not None, dimension
        return int(found.group(1))

    assert count(after, "proposal") == count(before, "proposal") + 1
    assert count(after, moved) == count(before, moved) - 1


def test_the_filters_mark_the_dimension_read(world: World, participant_client: Client) -> None:
    _page(participant_client, world)

    filtered = _filters(_page(participant_client, world, "?dimension=proposal"))

    assert re.findall(r'href="([^"]*)" aria-current="page"', filtered) == ["?dimension=proposal"]


def test_the_blank_form_is_built_only_to_render_it(
    world: World, participant_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[bool] = []
    build = ContributionForm.__init__

    def counted(form: ContributionForm, *args: object, **kwargs: object) -> None:
        build(form, *args, **kwargs)  # type: ignore[arg-type]
        built.append(form.is_bound)

    monkeypatch.setattr(ContributionForm, "__init__", counted)
    first, again = _page(participant_client, world), _page(participant_client, world)

    assert built == [False]
    assert 'id="contribution-form"' in first
    assert 'id="contribution-form"' in again


def test_the_page_carries_one_csrf_token_that_its_forms_accept(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.participant_user)
    _page(client, world)  # the CSRF cookie, as a browser has it
    html = _page(client, world)
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)

    # The header's two forms, the contribution form and each card's vote and report forms.
    assert len(tokens) >= 4
    assert len(set(tokens)) == 1
    response = client.post(
        f"/s/{world.proposal.pk}/vote/", {"value": "1", "csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302  # accepted (no JavaScript: back to the page)


def test_a_staff_head_is_never_kept(world: World) -> None:
    moderator = Client()
    moderator.force_login(User.objects.get(username="facilitator"))
    _page(moderator, world)

    assert not [key for key in views._page_fragments.kept if key[0] == "head"]
