"""Sign-up, the person's own page (/me/), the consent page and erasure, password reset."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tashawur.actors.models import ActorType, Consent, ConsentText, Participant
from tashawur.core.models import User
from tashawur.territories.models import Territory

from .world import World

pytestmark = pytest.mark.django_db

SIGNUP, ME, CONSENT, ERASE = "/signup/", "/me/", "/me/consent/", "/me/erase/"
PASSWORD = "argan-tiout-2018"


def _form(**changes: Any) -> dict[str, Any]:
    data = {
        "display_name": "عائشة ب.",
        "phone": "0612345678",
        "email": "aicha@example.ma",
        "password": PASSWORD,
        "territory": Territory.objects.get(code="09.531").pk,
        "actor_type": ActorType.objects.get(slug="cooperative").pk,
        "organisation": "",
        "consent": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _nothing_written() -> None:
    assert not User.objects.filter(username="+212612345678").exists()
    assert not Participant.objects.filter(display_name="عائشة ب.").exists()


def test_sign_up_page_shows_the_consent_text_and_links(world: World, client: Client) -> None:
    page = client.get(SIGNUP).content.decode()
    assert "أوافق على المشاركة." in page
    assert 'name="consent"' in page
    assert 'href="/login/' in page
    assert 'href="/signup/?next=' in client.get("/").content.decode()


def test_sign_up_creates_and_signs_in_then_goes_to_me(world: World, client: Client) -> None:
    response = client.post(SIGNUP, _form())
    assert response.status_code == 302
    assert response["Location"] == ME
    participant = Participant.objects.get(display_name="عائشة ب.")
    assert participant.user is not None
    assert participant.user.email == "aicha@example.ma"
    assert Consent.objects.filter(participant=participant, granted=True).count() == 1
    page = client.get(ME)
    assert page.status_code == 200
    text = page.content.decode()
    assert "عائشة ب." in text and "+212612345678" in text
    assert "تارودانت" in text
    export = client.get("/me/data/export.json").json()
    assert export["participant"]["actor_type"] == "تعاونية"


def test_sign_up_returns_to_a_safe_next_only(world: World, client: Client) -> None:
    workshop = f"/w/{world.workshop.pk}/"
    assert client.post(SIGNUP, _form(next=workshop))["Location"] == workshop
    other = Client()
    response = other.post(SIGNUP, _form(next="https://evil.example/", phone="0622222222", email=""))
    assert response["Location"] == ME


def test_sign_up_without_phone_and_email_is_refused(world: World, client: Client) -> None:
    response = client.post(SIGNUP, _form(phone="", email=""))
    assert response.status_code == 422
    assert "أدخل رقم هاتف أو عنوان بريد إلكتروني (أو كليهما): ستسجّل الدخول به." in (
        response.content.decode()
    )
    _nothing_written()


def test_sign_up_refusals_in_french(world: World, client: Client) -> None:
    response = client.post("/fr" + SIGNUP, _form(consent=None))
    assert response.status_code == 422
    assert "Pour participer, acceptez les conditions de participation." in (
        response.content.decode()
    )
    _nothing_written()


def test_sign_up_with_a_weak_password_is_refused(world: World, client: Client) -> None:
    response = client.post("/fr" + SIGNUP, _form(password="12345678"))
    assert response.status_code == 422
    assert "Ce mot de passe est trop courant." in response.content.decode()
    _nothing_written()


def test_sign_up_with_a_used_phone_is_refused(world: World, client: Client) -> None:
    User.objects.create_user(username="+212612345678", password="x")
    response = client.post(SIGNUP, _form())
    assert response.status_code == 422
    assert "يوجد حساب يستعمل رقم الهاتف هذا: سجّل الدخول بدلًا من ذلك." in (response.content.decode())
    assert not Participant.objects.filter(display_name="عائشة ب.").exists()


def test_sign_up_sent_twice_creates_one_account(world: World) -> None:
    first, second = Client(), Client()
    assert first.post(SIGNUP, _form()).status_code == 302
    assert second.post(SIGNUP, _form()).status_code == 302
    assert Participant.objects.filter(display_name="عائشة ب.").count() == 1


def test_sign_up_is_rate_limited_per_network(
    world: World, client: Client, settings: Any, frozen_rate_windows: None
) -> None:
    settings.TASHAWUR_RATE_ACCOUNTS = "1/m"
    client.post(SIGNUP, _form(phone="", email=""))
    response = client.post(SIGNUP, _form())
    assert response.status_code == 429
    assert response["Retry-After"]
    _nothing_written()


def test_signed_in_person_is_sent_on_from_sign_up(world: World, participant_client: Client) -> None:
    assert participant_client.get(SIGNUP)["Location"] == ME


@pytest.mark.parametrize("url", [ME, CONSENT, ERASE])
def test_anonymous_visitor_is_sent_to_sign_in(world: World, client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_me_lists_consents_with_version_and_links(world: World, participant_client: Client) -> None:
    page = participant_client.get(ME).content.decode()
    assert "الصيغة 1" in page
    assert 'href="/me/data/"' in page
    assert 'href="/me/erase/"' in page
    assert 'href="/me/"' in participant_client.get("/").content.decode()


def test_consent_withdraw_then_accept(world: World, participant_client: Client) -> None:
    participation = ConsentText.Purpose.PARTICIPATION
    response = participant_client.post(CONSENT, {"purpose": participation, "action": "withdraw"})
    assert response["Location"] == CONSENT
    assert not Consent.objects.filter(participant=world.participant, withdrawn_at=None).exists()
    page = participant_client.get(CONSENT).content.decode()
    assert "سُحبت موافقتك." in page
    assert "لم توافق بعدُ على هذه الصيغة." in page
    workshop = participant_client.get(f"/w/{world.workshop.pk}/").content.decode()
    assert 'href="/me/consent/?next=' in workshop

    back = f"/w/{world.workshop.pk}/"
    response = participant_client.post(
        CONSENT, {"purpose": participation, "action": "accept", "next": back}
    )
    assert response["Location"] == back
    consent = Consent.objects.get(participant=world.participant, withdrawn_at=None)
    assert consent.granted and consent.recorded_by == world.participant_user
    assert 'href="/me/consent/' not in participant_client.get(back).content.decode()


def test_erasure_needs_confirmation_then_signs_out(
    world: World, participant_client: Client
) -> None:
    response = participant_client.post(ERASE, {})
    assert response.status_code == 422
    assert "ضع علامة في الخانة لتأكيد المحو." in response.content.decode()
    world.participant.refresh_from_db()
    assert world.participant.erased_at is None

    response = participant_client.post(ERASE, {"confirm": "on"})
    assert response["Location"] == "/"
    world.participant.refresh_from_db()
    assert world.participant.erased_at is not None
    assert world.participant.display_name != "فاطمة أ."
    assert participant_client.get(ME).status_code == 302  # signed out


def test_erasure_is_not_done_by_a_get(world: World, participant_client: Client) -> None:
    assert participant_client.get(ERASE + "?confirm=on").status_code == 200
    world.participant.refresh_from_db()
    assert world.participant.erased_at is None


def test_password_reset_sends_a_link_that_works(world: World, client: Client) -> None:
    client.post(SIGNUP, _form())
    client.post("/logout/")
    response = client.post("/password-reset/", {"email": "aicha@example.ma"})
    assert response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["aicha@example.ma"]
    assert message.subject == "تشاور: اختر كلمة مرور جديدة"
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", message.body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    assert "اختر كلمة مرور جديدة" in form.content.decode()
    new = "another-argan-77"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done["Location"] == "/password-reset/done/"
    assert User.objects.get(username="+212612345678").check_password(new)
    assert client.get(link.group(1), follow=True).context["validlink"] is False  # used once


def test_password_reset_for_an_unknown_address_sends_nothing(world: World, client: Client) -> None:
    response = client.post("/password-reset/", {"email": "nobody@example.ma"})
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_invitation_link_prefills_where_the_person_belongs(world: World, client: Client) -> None:
    organisation = world.participant.organisations.get()
    page = client.get(f"{SIGNUP}?organisation={organisation.pk}&territory=٣").content.decode()
    assert f'<option value="{organisation.pk}" selected>' in page
