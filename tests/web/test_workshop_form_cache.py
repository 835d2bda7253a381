"""The workshop page's blank contribution form comes from the cache
(``contributions.views.contribution_form_cached``): each reader still gets their own CSRF token
and a fresh idempotency key, the dimension they filtered by and their language."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tashawur.contributions.models import Contribution
from tests.actors.factories import ParticipantFactory, UserFactory

from .world import World

pytestmark = pytest.mark.django_db


def _form(html: str) -> str:
    found = re.search(r'<form id="contribution-form".*?</form>', html, re.S)
    assert found is not None, "no contribution form"
    return found.group(0)


def _field(form: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', form)
    assert found is not None, f"no {name}"
    return found.group(1)


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _reader(username: str) -> Client:
    reader = ParticipantFactory(user=UserFactory(username=username), consented=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader.user)
    return client


def test_a_cached_form_carries_the_readers_own_token_and_a_fresh_key(world: World) -> None:
    cache.clear()
    url = f"/w/{world.workshop.pk}/"
    first = _form(_page(_reader("first-reader"), url))  # cached as the first reader has it
    client = _reader("second-reader")
    form = _form(_page(client, url))
    again = _form(_page(client, url))
    key = _field(form, "idempotency_key")

    assert key not in {_field(first, "idempotency_key"), _field(again, "idempotency_key")}
    assert "tashawur-idempotency-key" not in form
    response = client.post(
        f"/w/{world.workshop.pk}/contribute/",
        {
            "csrfmiddlewaretoken": _field(form, "csrfmiddlewaretoken"),
            "idempotency_key": key,
            "text": "Un marché hebdomadaire pour les coopératives de la province.",
            "dimension": "proposal",
        },
    )

    assert response.status_code == 302  # accepted (no JavaScript: back to the page)
    assert Contribution.objects.filter(
        idempotency_key=key, text__startswith="Un marché hebdomadaire"
    ).exists()


def test_a_cached_form_checks_the_dimension_filtered_by(
    world: World, participant_client: Client
) -> None:
    cache.clear()
    url = f"/w/{world.workshop.pk}/"
    filtered = _form(_page(participant_client, f"{url}?dimension=proposal"))
    unfiltered = _form(_page(participant_client, url))

    checked = r'name="dimension" value="(\w+)"[^>]* checked'
    assert re.findall(checked, filtered) == ["proposal"]
    assert re.findall(checked, unfiltered) == []


def test_a_cached_form_is_in_the_readers_language(world: World, participant_client: Client) -> None:
    cache.clear()
    arabic = _form(_page(participant_client, f"/w/{world.workshop.pk}/"))
    french = _form(_page(participant_client, f"/fr/w/{world.workshop.pk}/"))

    assert 'action="/fr/w/' in french
    assert 'action="/fr/w/' not in arabic
    assert "Votre contribution" in french
    assert "Votre contribution" not in arabic


def _answer_form_rendered(workshop: object, contribution: Contribution, language: str) -> str:
    """The fresh form of a contribution's answer as the template renders it, uncached."""
    from django.template.loader import get_template
    from django.test import RequestFactory
    from django.utils import translation

    from tashawur.contributions.forms import ContributionForm

    with translation.override(language):
        return str(
            get_template("contributions/workshop.html#contribution-form").render(
                {
                    "workshop": workshop,
                    "form": ContributionForm(initial={"idempotency_key": "KEY"}),
                    "records_for_table": False,
                    "may_suggest": True,
                    "recorded_message": None,
                    "contribution": contribution,
                    "created": True,
                },
                RequestFactory().post("/"),
            )
        )


def _tokens_out(form: str) -> str:
    form = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*"', r'\1"', form)
    return re.sub(r'(name="idempotency_key" value=")[^"]*"', r'\1"', form)


@pytest.mark.parametrize("moderation", ["post", "pre"])
@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_form_of_a_contributions_answer_is_the_templates_with_the_readers_tokens(
    world: World,
    htmx_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    moderation: str,
    language: str,
) -> None:
    """A participant's contribution is answered with a fresh form rendered once per process
    (``views._created_form_cached``): the template's, with the thanks that fits what was
    stored, each reader's CSRF token and a new idempotency key each time."""
    from django.middleware.csrf import _unmask_cipher_token

    from tashawur.contributions import views
    from tashawur.contributions.forms import ContributionForm

    blank_forms_built: list[str] = []
    build = ContributionForm.__init__

    def counted(form: ContributionForm, *args: object, **kwargs: object) -> None:
        build(form, *args, **kwargs)  # type: ignore[arg-type]
        if not form.is_bound:
            blank_forms_built.append(request_path)

    request_path = ""
    monkeypatch.setattr(ContributionForm, "__init__", counted)
    monkeypatch.setattr(views, "_page_fragments", views._Fragments())
    cache.clear()
    world.consultation.moderation = moderation
    world.consultation.save()
    prefix = "" if language == "ar" else f"/{language}"
    keys = set()
    one, two = (_reader(f"answer-{n}-{moderation}-{language}") for n in (1, 2))
    for number, client in enumerate([one, two, two]):
        client.get(f"{prefix}/w/{world.workshop.pk}/")  # the CSRF cookie
        secret = client.cookies["csrftoken"].value
        key = f"answer-{number}-{moderation}-{language}"
        request_path = "contribute"
        response = client.post(
            f"{prefix}/w/{world.workshop.pk}/contribute/",
            {
                "idempotency_key": key,
                "text": f"Des pépinières communales pour la province, numéro {number}.",
                "dimension": "proposal",
            },
            headers={**htmx_headers, "X-CSRFToken": secret},
        )
        request_path = ""
        assert response.status_code == 200
        form = _form(response.content.decode())
        contribution = Contribution.objects.get(idempotency_key=key)
        assert contribution.moderation_status == ("pending" if moderation == "pre" else "published")
        assert _tokens_out(form) == _tokens_out(
            _form(_answer_form_rendered(world.workshop, contribution, language))
        )
        assert _unmask_cipher_token(_field(form, "csrfmiddlewaretoken")) == secret
        keys.add(_field(form, "idempotency_key"))
        assert "tashawur" not in form
    assert len(keys) == 3 and not keys & {"KEY"}
    # Rendered for the first answer only (then from the cache), in this language and thanks.
    assert blank_forms_built.count("contribute") == 1
