"""Self sign-up (``participant_sign_up``): an account, its participant and their consent in
one transaction, or nothing and a translated reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from tashawur.actors.models import Consent, ConsentText, Participant
from tashawur.actors.services import participant_anonymise, participant_sign_up, phone_normalise
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.actors.factories import ActorTypeFactory, ConsentTextFactory, OrganisationFactory
from tests.territories.factories import ProvinceFactory

pytestmark = pytest.mark.django_db

PASSWORD = "argan-tiout-2018"


@pytest.fixture
def base() -> dict[str, Any]:
    return {
        "display_name": "عائشة ب.",
        "password": PASSWORD,
        "phone": "06 12 34 56 78",
        "email": "",
        "territory": ProvinceFactory(),
        "actor_type": ActorTypeFactory(),
        "consent_texts": [ConsentTextFactory()],
    }


def _refusal(**kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as raised:
        participant_sign_up(**kwargs)
    assert not User.objects.exists()
    assert not Participant.objects.exists()
    assert not Consent.objects.exists()
    return raised.value


def test_sign_up_creates_account_participant_and_consent(base: dict[str, Any]) -> None:
    organisation = OrganisationFactory()
    sign_up = participant_sign_up(**base, organisation=organisation)
    participant = sign_up.participant
    assert sign_up.created
    assert participant.display_name == "عائشة ب."
    assert participant.user is not None
    assert participant.user.username == "+212612345678"
    assert participant.user.role == Role.PARTICIPANT
    assert participant.user.check_password(PASSWORD)
    assert participant.territory == base["territory"]
    assert participant.actor_type == base["actor_type"]
    assert list(participant.organisations.all()) == [organisation]
    consent = Consent.objects.get(participant=participant)
    assert consent.granted and consent.method == Consent.Method.WEB
    assert consent.consent_text == base["consent_texts"][0]


def test_sign_up_with_email_only_signs_in_with_the_email(base: dict[str, Any]) -> None:
    base.update(phone="", email="Aicha@Example.MA")
    user = participant_sign_up(**base).participant.user
    assert user is not None
    assert (user.username, user.email) == ("Aicha@example.ma", "Aicha@example.ma")


def test_sign_up_without_phone_or_email_is_refused(base: dict[str, Any]) -> None:
    base.update(phone="", email=" ")
    error = _refusal(**base)
    assert (error.code, error.field) == ("contact_required", "phone")
    with translation.override("fr"):
        assert _refusal(**base).message == (
            "Indiquez un numéro de téléphone ou une adresse électronique (ou les deux) : "
            "vous vous connecterez avec."
        )


@pytest.mark.parametrize("phone", ["٠٦١٢٣٤٥٦٧٨", "12345", "06 12 34 56 7x", "+212"])
def test_sign_up_refuses_a_phone_that_is_not_one(base: dict[str, Any], phone: str) -> None:
    base["phone"] = phone
    assert _refusal(**base).code == "phone_invalid"


def test_sign_up_refuses_a_bad_email(base: dict[str, Any]) -> None:
    base.update(phone="", email="aicha@")
    assert _refusal(**base).message == "اكتب عنوان بريد إلكتروني مثل name@example.ma."


def test_sign_up_without_the_participation_consent_writes_nothing(base: dict[str, Any]) -> None:
    base["consent_texts"] = []
    error = _refusal(**base)
    assert error.code == "consent_required"
    assert error.message == "للمشاركة، وافق على شروط المشاركة."


def test_sign_up_refuses_an_outdated_consent_text(base: dict[str, Any]) -> None:
    old = base["consent_texts"][0]
    ConsentTextFactory(version=2)
    base["consent_texts"] = [old]
    assert _refusal(**base).code == "consent_required"


def test_sign_up_refuses_a_weak_password(base: dict[str, Any]) -> None:
    base["password"] = "12345678"
    error = _refusal(**base)
    assert (error.code, error.field) == ("password_weak", "password")
    with translation.override("fr"):
        assert "Ce mot de passe est trop courant." in _refusal(**base).message


def test_sign_up_refuses_a_phone_already_used(base: dict[str, Any]) -> None:
    participant_sign_up(**base)
    base.update(password="another-password-77", phone="+212 612 345 678")
    with pytest.raises(DomainError) as raised:
        participant_sign_up(**base)
    assert raised.value.message == "يوجد حساب يستعمل رقم الهاتف هذا: سجّل الدخول بدلًا من ذلك."
    assert User.objects.count() == 1


def test_sign_up_refuses_an_email_already_used(base: dict[str, Any]) -> None:
    User.objects.create_user(username="someone", email="aicha@example.ma")
    base["email"] = "AICHA@example.ma"
    with pytest.raises(DomainError) as raised:
        participant_sign_up(**base)
    assert (raised.value.code, raised.value.field) == ("account_exists", "email")
    assert not Participant.objects.exists()


def test_sign_up_sent_twice_returns_the_first_account(base: dict[str, Any]) -> None:
    first = participant_sign_up(**base)
    again = participant_sign_up(**base)
    assert (again.participant, again.created) == (first.participant, False)
    assert Consent.objects.count() == 1


def test_sign_up_refuses_a_territory_that_is_not_a_province(base: dict[str, Any]) -> None:
    base["territory"] = base["territory"].parent
    assert _refusal(**base).code == "province_invalid"


def test_phone_normalise_reads_moroccan_and_international_forms() -> None:
    assert phone_normalise("0612345678") == "+212612345678"
    assert phone_normalise("00212 6-12.34.56.78") == "+212612345678"
    assert phone_normalise("+33 6 12 34 56 78") == "+33612345678"


def test_consent_text_shows_in_the_active_language() -> None:
    text = ConsentTextFactory()
    assert text.text == "أوافق على المشاركة."
    with translation.override("fr"):
        assert text.text == "J'accepte de participer."
    assert ConsentText.objects.count() == 1


def test_erasure_clears_the_chosen_actor_type(base: dict[str, Any]) -> None:
    participant = participant_sign_up(**base).participant
    participant = participant_anonymise(participant=participant)
    assert participant.actor_type is None
