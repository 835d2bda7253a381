"""The consultation's admin assigns its analysts and lists them (in Arabic, the default: a
request under /fr/ would leave French active for the tests that follow)."""

from __future__ import annotations

import pytest
from django.test import Client

from tashawur.consultations.models import Consultation
from tashawur.core.models import User
from tests.actors.factories import UserFactory
from tests.consultations.factories import ConsultationFactory, analyst_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="x-admin-password"))
    return client


def test_the_list_of_consultations_names_their_analysts(admin_client: Client) -> None:
    consultation = ConsultationFactory()
    analyst_of(consultation, first_name="Nadia", last_name="Analyse")

    html = admin_client.get("/admin/consultations/consultation/").content.decode()

    assert "<span>المحللون</span>" in html
    assert '<td class="field-analysts_names">Nadia Analyse</td>' in html


def test_the_change_form_assigns_analysts_and_offers_only_analysts(admin_client: Client) -> None:
    consultation = ConsultationFactory()
    analyst = UserFactory(role="analyst", username="nadia")
    participant = UserFactory(role="participant", username="salma")
    form_url = f"/admin/consultations/consultation/{consultation.pk}/change/"
    search = "/admin/autocomplete/?app_label=consultations&model_name=consultation"

    html = admin_client.get(form_url).content.decode()
    offered = admin_client.get(f"{search}&field_name=analysts&term=a").json()["results"]

    assert 'name="analysts"' in html
    assert [row["id"] for row in offered] == [str(analyst.pk)]
    assert str(participant.pk) not in {row["id"] for row in offered}
    assert Consultation.objects.get(pk=consultation.pk).analysts.count() == 0
