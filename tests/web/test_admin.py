"""The Django admin speaks Arabic and runs right to left by default."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.utils.html import escape

from tashawur.core.models import User

from .world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_ar(world: World) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="x-admin-password"))
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/consultations/workshop/",
        "/admin/consultations/meeting/",
        "/admin/contributions/contribution/",
        "/admin/actors/participant/",
    ],
)
def test_admin_pages_render_right_to_left(admin_client_ar: Client, path: str) -> None:
    response = admin_client_ar.get(path)
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in response.content.decode()


def test_admin_index_uses_the_arabic_product_name(admin_client_ar: Client) -> None:
    assert "إدارة تشاور" in admin_client_ar.get("/admin/").content.decode()


def test_meeting_change_page_has_agenda_and_workshop_inlines(
    admin_client_ar: Client, world: World
) -> None:
    html = admin_client_ar.get(f"/admin/consultations/meeting/{world.meeting.pk}/change/")
    text = html.content.decode()
    assert "الجلسة الافتتاحية" in text
    assert "الحصول على علامات الجودة" in text


def test_a_contribution_is_read_not_edited(admin_client_ar: Client, world: World) -> None:
    """People voted on its words: the admin shows them and moderates, never rewrites."""
    page = f"/admin/contributions/contribution/{world.proposal.pk}/change/"
    text = admin_client_ar.get(page).content.decode()
    posted = admin_client_ar.post(page, {"text": "نص آخر", "agree_count": "99"})

    assert escape(world.proposal.text) in text
    assert 'name="agree_count"' not in text
    assert 'name="text"' not in text
    assert posted.status_code == 403
    world.proposal.refresh_from_db()
    assert world.proposal.agree_count != 99


def test_admin_in_french_is_left_to_right(admin_client_ar: Client) -> None:
    html = admin_client_ar.get("/fr/admin/").content.decode()
    assert '<html lang="fr" dir="ltr">' in html


def test_every_registered_admin_page_renders(admin_client_ar: Client, world: World) -> None:
    """Each model's list (with an Arabic search), add and change pages: a wrong field name in
    list_display, search_fields or an inline fails here."""
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username="root")
    failures = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        pages = [base, f"{base}?q=%D8%B3"]
        if model_admin.has_add_permission(request):
            pages.append(f"{base}add/")
        first = model._default_manager.first()
        if first is not None:
            pages.append(f"{base}{first.pk}/change/")
        for page in pages:
            status = admin_client_ar.get(page).status_code
            if status != 200:
                failures.append((page, status))
    assert failures == []


def _action(client: Client, path: str, action: str, pks: list[int]) -> str:
    response = client.post(
        path, {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True
    )
    return response.content.decode()


def test_reject_action_goes_through_moderation(admin_client_ar: Client, world: World) -> None:
    html = _action(
        admin_client_ar, "/admin/contributions/contribution/", "reject", [world.challenge.pk]
    )
    world.challenge.refresh_from_db()
    assert world.challenge.moderation_status == "rejected"
    assert "رُفضت مساهمة واحدة." in html


def test_close_action_needs_a_closing_report(admin_client_ar: Client, world: World) -> None:
    html = _action(
        admin_client_ar, "/admin/consultations/workshop/", "close_workshops", [world.workshop.pk]
    )
    world.workshop.refresh_from_db()
    assert world.workshop.status == "open"
    assert "اكتب التقرير الختامي قبل إغلاق الورشة." in html


def test_close_action_closes_with_the_report(admin_client_ar: Client, world: World) -> None:
    world.workshop.closing_report = "توصيات المائدة: شباك وحيد للتعاونيات."
    world.workshop.save(update_fields=["closing_report"])
    html = _action(
        admin_client_ar, "/admin/consultations/workshop/", "close_workshops", [world.workshop.pk]
    )
    world.workshop.refresh_from_db()
    assert world.workshop.status == "closed"
    assert "أُغلقت ورشة واحدة." in html


@pytest.mark.parametrize("superuser", [False, True])
def test_the_back_office_opens_to_superusers_only(db, superuser: bool) -> None:
    """A staff flag alone (a coordinator given it by mistake) opens nothing: each staff task has
    its page on the site."""
    from tashawur.core.roles import Role

    user = User.objects.create_user(
        username="staff",
        password="a-test-password-1",
        role=Role.NATIONAL_COORDINATOR,
        is_staff=True,
        is_superuser=superuser,
    )
    client = Client()
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == (200 if superuser else 302)
    assert ("Administration" in client.get("/fr/").content.decode()) is superuser
