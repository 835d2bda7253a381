"""The hostile values of issue 8 answer translated 4xx, each where it was a 500 (or was silently
read as another number): the API's JSON error for every refusal under /api/, the diagnosis
editor's and curation's ids, the workshop's page number, the admin's measure code."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from tashawur.api.errors import ApiErrorMiddleware
from tashawur.diagnosis.models import DiagnosisEntry, Finding
from tashawur.programmes.models import Measure
from tashawur.programmes.selectors import code_sort_key
from tests.programmes.factories import MeasureFactory

from .test_hostile_input import MODEL_BACKEND, Site, production_errors, site_build

pytestmark = pytest.mark.django_db

ID_INVALID_AR = "اكتب الأرقام بالأرقام من 0 إلى 9 فقط، مثل 12."
CODE_INVALID_AR = "رمز الإجراء أرقام تفصل بينها نقاط، مثل 2 أو 2.1."


@pytest.fixture
def site(db: object, settings: Any) -> Site:
    production_errors(settings)
    return site_build()


def _as(site: Site, role: str) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(site.users[role], backend=MODEL_BACKEND)
    return client


# --- the API: its JSON error for every 4xx and 5xx ---------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing-here",
        "/api/consultations/no such slug/open-data.zip",
        "/api/consultations/%D9%A3/contributions.json",
    ],
)
def test_an_api_address_that_matches_no_route_answers_the_json_error(path: str) -> None:
    response = Client().get(path, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"code": "not_found", "message": "Aucune ressource de l'API n'a cette adresse."}
    }


def test_a_write_to_the_api_answers_the_json_error_with_allow() -> None:
    response = Client().delete("/api/consultations")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("page", ["1" * 5_000, "٣", "²", "1000001"])
def test_an_open_data_page_of_other_digits_or_thousands_of_them_is_refused(
    site: Site, page: str
) -> None:
    url = reverse("api:contributions", args=[site.world.consultation.slug])
    response = Client().get(url, {"page": page}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "page_invalid",
        "message": "La page doit être un nombre entier de 1 à 1000000, écrit avec les chiffres "
        "0 à 9.",
    }


@pytest.mark.parametrize(
    ("status", "code"),
    [(413, "request_too_large"), (500, "server_error"), (429, "too_many_requests")],
)
def test_an_html_error_under_the_api_becomes_its_json_error(status: int, code: str) -> None:
    middleware = ApiErrorMiddleware(lambda request: HttpResponse("<h1>x</h1>", status=status))
    response = middleware(RequestFactory().get("/api/consultations"))
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert b'"code": "' + code.encode() + b'"' in response.content


def test_an_html_error_outside_the_api_is_left_alone() -> None:
    middleware = ApiErrorMiddleware(lambda request: HttpResponse("<h1>x</h1>", status=404))
    assert middleware(RequestFactory().get("/c/x/")).content == b"<h1>x</h1>"


# --- the site's pages and forms ----------------------------------------------------------------


@pytest.mark.parametrize("page", ["٣", "²", "1" * 10_000])
def test_a_workshop_page_number_of_other_digits_is_a_translated_400(site: Site, page: str) -> None:
    url = reverse("contributions:workshop", args=[site.world.workshop.pk])
    response = Client(raise_request_exception=False).get(url, {"page": page})
    assert response.status_code == 400
    assert "يجب أن تكون الصفحة عددًا صحيحًا من 1 إلى" in response.content.decode()


def test_a_workshop_page_past_the_last_shows_the_last(site: Site) -> None:
    url = reverse("contributions:workshop", args=[site.world.workshop.pk])
    assert Client().get(url, {"page": "999999"}).status_code == 200


@pytest.mark.parametrize("value", ["²", "٣", "1" * 5_000, "99999999999999999999"])
def test_the_editor_refuses_contribution_numbers_of_other_digits(site: Site, value: str) -> None:
    url = reverse("diagnosis:entry_create", args=[site.world.consultation.slug])
    response = _as(site, "national_coordinator").post(
        url, {"dimension": "challenge", "statement_ar": "نص", "contributions": f"12, {value}"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert (
        "اكتب أرقام المساهمات مفصولة بمسافات أو فواصل." in html or "لا يوجد عنصر بهذا الرقم" in html
    )
    assert DiagnosisEntry.objects.count() == 1  # the site's own entry only


@pytest.mark.parametrize("value", ["²", "٣"])
def test_the_editor_refuses_finding_ids_of_other_digits(site: Site, value: str) -> None:
    url = reverse("diagnosis:entry_create", args=[site.world.consultation.slug])
    response = _as(site, "national_coordinator").post(
        url, {"dimension": "challenge", "statement_ar": "نص", "findings": [value]}
    )
    assert response.status_code == 422
    assert ID_INVALID_AR in response.content.decode()


def test_a_merge_target_in_arabic_indic_digits_is_not_read_as_a_number(site: Site) -> None:
    source, target = Finding.objects.order_by("pk")[:2]
    arabic_indic = str(target.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    url = reverse("diagnosis:finding_merge", args=[site.world.consultation.slug, source.pk])
    response = _as(site, "national_coordinator").post(url, {"target": arabic_indic})
    assert response.status_code == 422
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_a_split_with_superscript_ids_is_refused(site: Site) -> None:
    url = reverse("diagnosis:finding_split", args=[site.world.consultation.slug, site.finding.pk])
    response = _as(site, "national_coordinator").post(url, {"contributions": ["1", "²"]})
    assert response.status_code == 422
    assert ID_INVALID_AR in response.content.decode()


@pytest.mark.parametrize("pk", ["%D9%A3", "%C2%B2", "0", "9223372036854775808", "1" * 30])
def test_a_vote_address_with_another_id_is_not_found(site: Site, pk: str) -> None:
    response = _as(site, "participant").post(f"/s/{pk}/vote/", {"value": "1"})
    assert response.status_code == 404


# --- measure codes -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["2.²", "٢.1", "2.", "2..1", "a"])
def test_a_measure_refuses_a_code_that_is_not_ascii_numbers_joined_by_dots(
    site: Site, code: str
) -> None:
    site.measure.code = code
    with pytest.raises(ValidationError) as refused:
        site.measure.full_clean()
    assert refused.value.error_dict["code"][0].code == "code_invalid"


def test_the_admin_refuses_a_superscript_measure_code(site: Site) -> None:
    measure: Measure = site.measure
    data: dict[str, Any] = {
        "programme": str(measure.programme_id),
        "code": "2.²",
        "title_ar": measure.title_ar,
        "title_fr": measure.title_fr,
        "owner": str(measure.owner_id),
        "budget": str(measure.budget),
        "weight": "100",
        "status": "planned",
        "funding_lines-TOTAL_FORMS": "0",
        "funding_lines-INITIAL_FORMS": "0",
        "indicators-TOTAL_FORMS": "0",
        "indicators-INITIAL_FORMS": "0",
    }
    client = _as(site, "national_coordinator")
    response = client.post(f"/admin/programmes/measure/{measure.pk}/change/", data)
    assert response.status_code == 200
    assert CODE_INVALID_AR in response.content.decode()
    measure.refresh_from_db()
    assert measure.code == "1"


def test_the_code_sort_key_is_total_on_any_text() -> None:
    codes = ["2.10", "2.²", "10", "", "2.9", "2..1", "2.a", "1", "٣"]
    assert sorted(codes, key=code_sort_key) == [
        "1",
        "2.9",
        "2.10",
        "2..1",  # an empty part sorts after the numbers, as text
        "2.a",
        "2.²",
        "10",
        "",
        "٣",
    ]


def test_measures_with_a_code_saved_before_the_check_still_sort(site: Site) -> None:
    MeasureFactory(programme=site.programme, code="3")
    Measure.objects.filter(pk=site.measure.pk).update(code="2.²")
    assert sorted(Measure.objects.values_list("code", flat=True), key=code_sort_key) == [
        "2",
        "2.²",
        "3",
    ]


def test_a_megabyte_of_arabic_through_the_csrf_check_gets_the_too_long_page(site: Site) -> None:
    # In production the CSRF middleware reads the body first: the refusal comes from there.
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(site.users["participant"], backend=MODEL_BACKEND)
    workshop = reverse("contributions:workshop", args=[site.world.workshop.pk])
    assert client.get(workshop).status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("contributions:submit", args=[site.world.workshop.pk]),
        {"text": "ب" * 1_000_000, "dimension": "challenge", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "ما أرسلته طويل جدًا" in html
    assert "2000" in html or "2,000" in html or "2 000" in html


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_an_over_long_user_name_is_refused_before_authentication(site: Site, path: str) -> None:
    # Only the browser enforced the 150 characters: django-axes then wrote the name into a
    # 255-character column, a 500 on PostgreSQL.
    client = Client(raise_request_exception=False)
    response = client.post(path, {"username": "ب" * 20_000, "password": "x"})
    assert response.status_code == 200
    assert "150" in response.content.decode()
