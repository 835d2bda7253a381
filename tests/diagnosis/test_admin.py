"""The admin of synthesis runs, findings and the curation record: readable, never changed there
(curation goes through the services, which record it)."""

from __future__ import annotations

import pytest
from django.test import Client

from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.diagnosis.services import synthesis_run_execute
from tests.actors.factories import UserFactory
from tests.consultations.factories import analyst_of

from .conftest import Corpus, votes_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(corpus: Corpus) -> Client:
    votes_cast(corpus)
    run = SynthesisRun.objects.create(consultation=corpus.consultation)
    synthesis_run_execute(run_id=run.pk)
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model", ["synthesisrun", "finding", "opiniongroup", "statementstat", "curationevent"]
)
def test_admin_lists_each_model(admin_client: Client, model: str) -> None:
    response = admin_client.get(f"/admin/diagnosis/{model}/")

    assert response.status_code == 200


def test_admin_finding_page_shows_its_citations(admin_client: Client) -> None:
    finding = Finding.objects.order_by("position").first()

    response = admin_client.get(f"/admin/diagnosis/finding/{finding.pk}/change/")

    assert response.status_code == 200
    assert f"/admin/contributions/contribution/{finding.citations.first().contribution_id}/" in (
        response.content.decode()
    )


def test_admin_cannot_add_a_run(admin_client: Client) -> None:
    assert admin_client.get("/admin/diagnosis/synthesisrun/add/").status_code == 403


def test_admin_does_not_curate_findings_behind_the_services_back(admin_client: Client) -> None:
    finding = Finding.objects.order_by("position").first()
    other = Finding.objects.order_by("position")[1]

    response = admin_client.post(
        f"/admin/diagnosis/finding/{finding.pk}/change/",
        {
            "title_override_fr": "Accès à l'eau",
            "status": "merged",
            "merged_into": other.pk,
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 403
    finding.refresh_from_db()
    assert (finding.title_override_fr, finding.status, finding.merged_into) == (
        "",
        "proposed",
        None,
    )


def test_admin_reads_the_curation_record_and_cannot_change_it(admin_client: Client) -> None:
    from tashawur.diagnosis.models import CurationEvent
    from tashawur.diagnosis.services import finding_status_set

    finding = Finding.objects.order_by("position").first()
    finding_status_set(
        finding=finding, user=analyst_of(finding.run.consultation), status="accepted"
    )
    event = CurationEvent.objects.get()

    page = admin_client.get(f"/admin/diagnosis/curationevent/{event.pk}/change/")
    posted = admin_client.post(
        f"/admin/diagnosis/curationevent/{event.pk}/change/", {"action": "reject"}
    )

    assert page.status_code == 200
    assert posted.status_code == 403
    assert admin_client.get("/admin/diagnosis/curationevent/add/").status_code == 403
    event.refresh_from_db()
    assert event.action == "accept"


def test_admin_reads_the_written_diagnosis_and_cannot_change_a_publication(
    admin_client: Client, corpus: Corpus
) -> None:
    from tashawur.diagnosis.models import DiagnosisPublication
    from tashawur.diagnosis.services import diagnosis_entry_create, diagnosis_publish

    analyst = analyst_of(corpus.consultation)
    diagnosis_entry_create(
        consultation=corpus.consultation,
        user=analyst,
        dimension="challenge",
        statement_ar="ندرة الماء",
        finding_ids=[Finding.objects.order_by("position").first().pk],
    )
    publication = diagnosis_publish(consultation=corpus.consultation, user=analyst)
    base = "/admin/diagnosis/diagnosispublication"

    assert admin_client.get("/admin/diagnosis/diagnosis/").status_code == 200
    assert admin_client.get(f"{base}/").status_code == 200
    page = admin_client.get(f"/admin/diagnosis/diagnosis/{publication.diagnosis_id}/change/")
    assert "ندرة الماء" in page.content.decode()
    assert admin_client.post(f"{base}/{publication.pk}/change/", {"version": 7}).status_code == 403
    assert admin_client.post(f"{base}/{publication.pk}/delete/", {"post": "yes"}).status_code == 403
    assert DiagnosisPublication.objects.get().version == 1
