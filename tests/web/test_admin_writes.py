"""The admin writes only through the services the pages call, or not at all (STYLE.md).

Each admin that writes is listed below with the services it calls; any other is read-only. A
service's refusal comes back on the admin's form, with its message, and nothing is stored.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin, ModelAdmin
from django.contrib.auth.models import Group
from django.db.models import Model
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.utils import timezone

from tashawur.actors.models import (
    ActorType,
    Consent,
    ConsentText,
    Organisation,
    Participant,
    QualitySign,
)
from tashawur.consultations.models import (
    AgendaItem,
    Attendance,
    Consultation,
    Meeting,
    Registration,
    Strategy,
    Theme,
    Workshop,
)
from tashawur.contributions.models import Contribution
from tashawur.core.models import User
from tashawur.diagnosis.models import SynthesisRun
from tashawur.programmes.models import (
    FundingLine,
    Indicator,
    Measure,
    Programme,
    ProgressUpdate,
)
from tashawur.territories.models import Territory
from tests.actors.factories import (
    ConsentFactory,
    OrganisationFactory,
    ParticipantFactory,
)
from tests.consultations.factories import ConsultationFactory, MeetingFactory, WorkshopFactory
from tests.contributions.factories import VoteFactory
from tests.programmes.factories import IndicatorFactory, MeasureFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

#: The admins that write, and through which services. Every other admin is read-only.
THROUGH_SERVICES: dict[type[Model], str] = {
    Programme: "programme_create (add); programme_adopt (action)",
    Measure: "measure_add, measure_update, measure_move, measure_set_funding, indicator_add",
    Indicator: "indicator_add (add)",
    ProgressUpdate: "progress_record (add)",
    Registration: "meeting_register (add); registration_cancel (action)",
    Workshop: "workshop_open, workshop_close (actions); attendance_record (roster)",
    Participant: "consent_record (consents); the profile is plain, never after erasure",
    Contribution: "contribution_moderate (actions)",
}
#: Reference and setup data, plainly editable: no service writes it and the database holds its
#: rules (Django's own accounts included). Deleting is refused by PROTECT where rows hang off.
PLAIN: dict[type[Model], str] = {
    User: "Django's accounts",
    Group: "Django's accounts",
    AccessAttempt: "django-axes: deleting an attempt unlocks the account",
    AccessLog: "django-axes' own admin",
    AccessFailureLog: "django-axes' own admin",
    Territory: "reference (territories_load_reference)",
    ActorType: "reference (actor_types_load_reference)",
    QualitySign: "reference (quality_signs_load_reference)",
    Organisation: "directory, no service",
    ConsentText: "a new version is added; a published one is read-only",
    Theme: "reference (themes_load_reference)",
    Strategy: "setup, no service",
    Consultation: "setup, no service",
    Meeting: "setup, no service",
    AgendaItem: "setup, no service",
}
#: Fields only a service writes: no admin form, page or inline, may offer them.
SERVICE_OWNED: dict[type[Model], set[str]] = {
    Programme: {"status", "adopted_at"},
    Workshop: {"status", "opened_at", "closed_at"},
    Registration: {"status"},
    Attendance: {"recorded_by"},
    Contribution: {"moderation_status", "agree_count", "disagree_count", "pass_count"},
    Consent: {"withdrawn_at", "recorded_by"},
    Participant: {"pseudonym", "erased_at"},
    ProgressUpdate: {"recorded_by"},
}

SAVE_HOOKS = ("save_model", "save_related", "save_formset")


@pytest.fixture
def root() -> User:
    return User.objects.create_superuser("root", password="x-admin-password")


@pytest.fixture
def client(root: User) -> Client:
    client = Client()
    client.force_login(root)
    return client


def _request(user: User) -> HttpRequest:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _overrides(model_admin: ModelAdmin[Any], names: tuple[str, ...]) -> bool:
    return any(getattr(type(model_admin), n) is not getattr(ModelAdmin, n) for n in names)


def _read_only(
    admin_or_inline: ModelAdmin[Any] | InlineModelAdmin[Any, Any], request: HttpRequest
) -> bool:
    if isinstance(admin_or_inline, InlineModelAdmin):
        adds = admin_or_inline.has_add_permission(request, None)
    else:
        adds = admin_or_inline.has_add_permission(request)
    changes = admin_or_inline.has_change_permission(request, None)
    return not (adds or changes or admin_or_inline.has_delete_permission(request, None))


def test_every_admin_is_read_only_or_writes_through_services(root: User) -> None:
    """A new admin, or a new inline, fails here until someone decides: read-only, or through
    which services."""
    request = _request(root)
    undecided, deleting, unhooked, inlines = [], [], [], []
    for model, model_admin in admin.site._registry.items():
        name = model.__name__
        if model in THROUGH_SERVICES:
            if model_admin.has_delete_permission(request, None):
                deleting.append(name)
            actions = set(model_admin.get_actions(request)) - {"delete_selected"}
            if not _overrides(model_admin, SAVE_HOOKS) and not actions:
                unhooked.append(name)
        elif model not in PLAIN and not _read_only(model_admin, request):
            undecided.append(name)
        for inline in model_admin.get_inline_instances(request, None):
            if _read_only(inline, request) or _overrides(model_admin, SAVE_HOOKS[1:]):
                continue
            # Written as plain rows: only where the row's own admin is decided the same way
            # (a workshop's setup fields from its meeting; service-owned fields are checked
            # below).
            if inline.model not in PLAIN and inline.model not in THROUGH_SERVICES:
                inlines.append(f"{name}.{type(inline).__name__}")
    assert (undecided, deleting, unhooked, inlines) == ([], [], [], [])


def test_the_lists_name_registered_admins_that_write(root: User) -> None:
    request = _request(root)
    registered = admin.site._registry
    assert set(THROUGH_SERVICES) <= set(registered)
    assert (set(PLAIN) - {AgendaItem}) <= set(registered)  # AgendaItem: an inline only
    assert [m.__name__ for m in THROUGH_SERVICES if _read_only(registered[m], request)] == [
        "Contribution"  # read-only but for the moderation actions
    ]


def test_no_admin_form_offers_a_field_a_service_owns(root: User) -> None:
    request = _request(root)
    offered = []
    for model, model_admin in admin.site._registry.items():
        forms = [(model, model_admin.get_form(request, None, change=False))]
        for inline in model_admin.get_inline_instances(request, None):
            forms.append((inline.model, inline.get_formset(request, None).form))
        for form_model, form in forms:
            owned = SERVICE_OWNED.get(form_model, set()) & set(form.base_fields)
            offered += [f"{form_model.__name__}.{field}" for field in sorted(owned)]
    assert offered == []


# --- action programmes -----------------------------------------------------------------------

CLOSED_AR = "برنامج العمل هذا مختتم: لم يعد بالإمكان تغييره."


def _closed_programme() -> Programme:
    return ProgrammeFactory(status=Programme.Status.CLOSED, adopted_at=timezone.now())


def _progress_form(measure: Measure) -> dict[str, str]:
    return {
        "measure": str(measure.pk),
        "on": "2020-05-01",
        "percent": "30",
        "note": "",
        "indicator": "",
        "indicator_value": "",
    }


def test_progress_on_a_closed_programme_is_refused(client: Client) -> None:
    measure = MeasureFactory(programme=_closed_programme())

    response = client.post("/admin/programmes/progressupdate/add/", _progress_form(measure))

    assert response.status_code == 200
    html = response.content.decode()
    assert CLOSED_AR in html
    assert 'name="percent" value="30"' in html  # the form comes back as it was sent
    assert not ProgressUpdate.objects.exists()


def test_progress_is_recorded_by_the_service(client: Client) -> None:
    measure = MeasureFactory()

    response = client.post("/admin/programmes/progressupdate/add/", _progress_form(measure))

    assert response.status_code == 302
    update = ProgressUpdate.objects.get()
    assert (update.measure, update.percent, update.recorded_by.username) == (measure, 30, "root")
    # Recorded once: the history is not rewritten, nor deleted, in the admin.
    page = f"/admin/programmes/progressupdate/{update.pk}/"
    assert (
        client.post(f"{page}change/", {**_progress_form(measure), "percent": "90"}).status_code
        == 403
    )
    assert client.post(f"{page}delete/", {"post": "yes"}).status_code == 403
    update.refresh_from_db()
    assert update.percent == 30


def _measure_form(measure: Measure, **changes: str) -> dict[str, str]:
    data = {
        "programme": str(measure.programme_id),
        "code": measure.code,
        "title_ar": measure.title_ar,
        "title_fr": measure.title_fr,
        "owner": str(measure.owner_id),
        "budget": str(measure.budget),
        "weight": "100",
        "status": measure.status,
        "funding_lines-TOTAL_FORMS": "0",
        "funding_lines-INITIAL_FORMS": "0",
        "indicators-TOTAL_FORMS": "0",
        "indicators-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_a_measure_of_a_closed_programme_is_not_changed(client: Client) -> None:
    measure = MeasureFactory(programme=_closed_programme())

    response = client.post(
        f"/admin/programmes/measure/{measure.pk}/change/",
        _measure_form(measure, status="done", title_ar="عنوان جديد"),
    )

    assert response.status_code == 200
    assert CLOSED_AR in response.content.decode()
    measure.refresh_from_db()
    assert measure.status == "planned"
    assert measure.title_ar != "عنوان جديد"


def test_a_measure_is_not_added_to_a_closed_programme(client: Client) -> None:
    programme = _closed_programme()
    data = _measure_form(MeasureFactory.build(programme=programme, code="7"))
    data.update(owner=str(OrganisationFactory().pk))
    data.pop("status")

    response = client.post("/admin/programmes/measure/add/", data)

    assert response.status_code == 200
    assert CLOSED_AR in response.content.decode()
    assert not Measure.objects.filter(programme=programme).exists()


def test_an_indicator_is_not_added_to_a_closed_programme(client: Client) -> None:
    measure = MeasureFactory(programme=_closed_programme())

    response = client.post(
        "/admin/programmes/indicator/add/",
        {
            "measure": str(measure.pk),
            "name_ar": "عدد التعاونيات",
            "name_fr": "Coopératives",
            "unit": "",
            "baseline": "10",
            "target": "50",
            "direction": "up",
        },
    )

    assert response.status_code == 200
    assert CLOSED_AR in response.content.decode()
    assert not Indicator.objects.exists()


def _programme_page_with_a_new_measure(owner: Organisation) -> dict[str, str]:
    return {
        "measures-TOTAL_FORMS": "1",
        "measures-INITIAL_FORMS": "0",
        "measures-0-code": "9",
        "measures-0-title_ar": "إجراء جديد",
        "measures-0-title_fr": "Nouvelle mesure",
        "measures-0-parent": "",
        "measures-0-owner": str(owner.pk),
        "measures-0-budget": "1000",
        "measures-0-weight": "100",
    }


@pytest.mark.parametrize("closed", [True, False])
def test_the_programme_page_adds_measures_through_the_service(client: Client, closed: bool) -> None:
    programme = _closed_programme() if closed else ProgrammeFactory()

    response = client.post(
        f"/admin/programmes/programme/{programme.pk}/change/",
        _programme_page_with_a_new_measure(OrganisationFactory()),
    )

    added = list(programme.measures.values_list("code", "title_fr", "status"))
    if closed:
        assert response.status_code == 200
        assert CLOSED_AR in response.content.decode()
        assert added == []
    else:
        assert response.status_code == 302
        assert added == [("9", "Nouvelle mesure", "planned")]


def test_a_measure_changes_through_the_services(client: Client) -> None:
    """Status and budget by measure_update, the lines by measure_set_funding, a new indicator
    by indicator_add; budget and funding lowered together, in the order that keeps both in
    bounds."""
    measure = MeasureFactory(budget=Decimal("1000"))
    FundingLine.objects.create(measure=measure, source="odco", amount=Decimal("900"))
    line = FundingLine.objects.get()
    data = _measure_form(
        measure,
        status="in_progress",
        budget="500",
        **{
            "funding_lines-TOTAL_FORMS": "1",
            "funding_lines-INITIAL_FORMS": "1",
            "funding_lines-0-id": str(line.pk),
            "funding_lines-0-measure": str(measure.pk),
            "funding_lines-0-source": "odco",
            "funding_lines-0-amount": "400",
            "indicators-TOTAL_FORMS": "1",
            "indicators-0-name_ar": "عدد التعاونيات",
            "indicators-0-name_fr": "Coopératives",
            "indicators-0-unit": "",
            "indicators-0-baseline": "10",
            "indicators-0-target": "50",
            "indicators-0-direction": "up",
        },
    )

    response = client.post(f"/admin/programmes/measure/{measure.pk}/change/", data)

    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.status, measure.budget) == ("in_progress", Decimal("500"))
    assert list(measure.funding_lines.values_list("source", "amount")) == [("odco", Decimal("400"))]
    assert measure.indicators.get().name_fr == "Coopératives"


def test_a_budget_below_its_funding_is_refused_by_the_service(client: Client) -> None:
    measure = MeasureFactory(budget=Decimal("1000"))
    FundingLine.objects.create(measure=measure, source="odco", amount=Decimal("900"))

    response = client.post(
        f"/admin/programmes/measure/{measure.pk}/change/", _measure_form(measure, budget="")
    )

    assert response.status_code == 200
    assert "حدّد ميزانية الإجراء قبل تمويله." in response.content.decode()
    measure.refresh_from_db()
    assert measure.budget == Decimal("1000")


def test_a_programme_is_created_by_the_service(client: Client) -> None:
    consultation = ConsultationFactory()
    data = {
        "consultation": str(consultation.pk),
        "title_ar": "برنامج العمل",
        "title_fr": "Programme d'action",
        "starts_on": "2019-01-01",
        "ends_on": "2023-12-31",
        "measures-TOTAL_FORMS": "0",
        "measures-INITIAL_FORMS": "0",
    }

    refused = client.post(
        "/admin/programmes/programme/add/", {**data, "title_fr": "Programme \u202e d'action"}
    )
    created = client.post("/admin/programmes/programme/add/", data)

    assert refused.status_code == 200
    assert "يحتوي النص على رموز خفية للتحكم في اتجاه الكتابة" in refused.content.decode()
    assert created.status_code == 302
    programme = Programme.objects.get()
    assert (programme.title_fr, programme.status) == ("Programme d'action", "draft")
    assert (
        client.post(
            f"/admin/programmes/programme/{programme.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )


# --- workshops, registrations, participants ---------------------------------------------------


def _workshop_form(workshop: Workshop, participant: Participant) -> dict[str, str]:
    return {
        "meeting": str(workshop.meeting_id),
        "theme": str(workshop.theme_id),
        "position": str(workshop.position),
        "title_ar": workshop.title_ar,
        "title_fr": workshop.title_fr,
        "question_ar": "",
        "question_fr": "",
        "room": "",
        "facilitator": "",
        "rapporteur": "",
        "closing_report": workshop.closing_report,
        "attendances-TOTAL_FORMS": "1",
        "attendances-INITIAL_FORMS": "0",
        "attendances-0-participant": str(participant.pk),
    }


def test_attendance_on_a_closed_workshop_is_refused(client: Client) -> None:
    workshop = WorkshopFactory(status=Workshop.Status.CLOSED, closing_report="تقرير")

    response = client.post(
        f"/admin/consultations/workshop/{workshop.pk}/change/",
        _workshop_form(workshop, ParticipantFactory()),
    )

    assert response.status_code == 200
    assert "هذه الورشة مغلقة: لم يعد بالإمكان تغيير قائمة الحاضرين." in response.content.decode()
    assert not Attendance.objects.exists()


def test_attendance_is_recorded_by_the_service(client: Client, root: User) -> None:
    workshop = WorkshopFactory()
    walk_in = ParticipantFactory()

    response = client.post(
        f"/admin/consultations/workshop/{workshop.pk}/change/", _workshop_form(workshop, walk_in)
    )

    assert response.status_code == 302
    attendance = Attendance.objects.get()
    assert (attendance.participant, attendance.recorded_by) == (walk_in, root)
    # attendance_record registers a walk-in to the meeting.
    assert Registration.objects.get().participant == walk_in
    page = f"/admin/consultations/workshop/{workshop.pk}/delete/"
    assert client.post(page, {"post": "yes"}).status_code == 403


def test_the_open_action_opens_through_the_service(client: Client) -> None:
    workshop = WorkshopFactory(
        status=Workshop.Status.PLANNED, meeting=MeetingFactory(status=Meeting.Status.PLANNED)
    )

    response = client.post(
        "/admin/consultations/workshop/",
        {"action": "open_workshops", "_selected_action": [str(workshop.pk)]},
        follow=True,
    )

    assert "فُتحت ورشة واحدة." in response.content.decode()
    workshop.refresh_from_db()
    workshop.meeting.refresh_from_db()
    # workshop_open stamps the opening and starts the meeting.
    assert (workshop.status, workshop.meeting.status) == ("open", "open")
    assert workshop.opened_at is not None


def test_a_registration_to_a_full_meeting_waits_on_the_list(client: Client) -> None:
    meeting = MeetingFactory(capacity=1)
    Registration.objects.create(meeting=meeting, participant=ParticipantFactory())
    late = ParticipantFactory()

    response = client.post(
        "/admin/consultations/registration/add/",
        {"participant": str(late.pk), "meeting": str(meeting.pk)},
    )

    assert response.status_code == 302
    assert Registration.objects.get(participant=late).status == "waitlisted"


def test_registrations_are_made_and_cancelled_by_the_services(client: Client) -> None:
    meeting = MeetingFactory(capacity=1)
    participant = ParticipantFactory()

    added = client.post(
        "/admin/consultations/registration/add/",
        {"participant": str(participant.pk), "meeting": str(meeting.pk)},
    )
    registration = Registration.objects.get()
    cancelled = client.post(
        "/admin/consultations/registration/",
        {"action": "cancel_registrations", "_selected_action": [str(registration.pk)]},
        follow=True,
    )

    assert added.status_code == 302
    assert "أُلغي تسجيل واحد." in cancelled.content.decode()
    registration.refresh_from_db()
    assert registration.status == "cancelled"


def _participant_form(participant: Participant, text: ConsentText) -> dict[str, str]:
    return {
        "display_name": participant.display_name,
        "user": "",
        "territory": str(participant.territory_id),
        "gender": participant.gender,
        "age_band": participant.age_band,
        "preferred_language": "",
        "reads": "on",
        "consents-TOTAL_FORMS": "2",
        "consents-INITIAL_FORMS": "1",
        "consents-0-id": str(participant.consents.get().pk),
        "consents-0-participant": str(participant.pk),
        "consents-1-consent_text": str(text.pk),
        "consents-1-method": "paper",
    }


def test_a_consent_is_recorded_by_the_service(client: Client, root: User) -> None:
    """consent_record withdraws the earlier answer to the same text; nothing is deleted."""
    earlier = ConsentFactory()
    participant = earlier.participant

    response = client.post(
        f"/admin/actors/participant/{participant.pk}/change/",
        _participant_form(participant, earlier.consent_text),
    )

    assert response.status_code == 302
    earlier.refresh_from_db()
    latest = participant.consents.get(withdrawn_at__isnull=True)
    assert earlier.withdrawn_at is not None
    assert (latest.granted, latest.method, latest.recorded_by) == (False, "paper", root)


def test_an_erased_participant_is_neither_edited_nor_deleted(client: Client) -> None:
    participant = ParticipantFactory(erased_at=timezone.now())
    page = f"/admin/actors/participant/{participant.pk}/"

    changed = client.post(f"{page}change/", {"display_name": "سلمى"})
    deleted = client.post(f"{page}delete/", {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    participant.refresh_from_db()
    assert participant.display_name != "سلمى"


# --- read-only ---------------------------------------------------------------------------------


def test_what_the_services_own_is_never_deleted_in_the_admin(client: Client) -> None:
    vote = VoteFactory()
    run = SynthesisRun.objects.create(consultation=vote.contribution.consultation)
    line = FundingLine.objects.create(
        measure=IndicatorFactory().measure, source="odco", amount=Decimal(1)
    )
    rows = [vote, vote.contribution, run, line]

    statuses = {
        type(row).__name__: client.post(
            f"/admin/{row._meta.app_label}/{row._meta.model_name}/{row.pk}/delete/",
            {"post": "yes"},
        ).status_code
        for row in rows
    }

    assert statuses == {"Vote": 403, "Contribution": 403, "SynthesisRun": 403, "FundingLine": 403}
    assert all(type(row).objects.filter(pk=row.pk).exists() for row in rows)
