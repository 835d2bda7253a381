"""``POST /api/inbound/<gateway>``: recorded sample payloads of Twilio and RapidPro, their
signatures, the replies, and the gateways being off unless configured."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse

from tashawur.contributions.inbound import twilio_signature
from tashawur.contributions.models import Channel, Contribution, InboundMessage
from tashawur.core.roles import Role
from tests.actors.factories import ConsentTextFactory, UserFactory
from tests.consultations.factories import WorkshopFactory

pytestmark = pytest.mark.django_db

TOKEN = "12345"
SECRET = "rapidpro-shared-secret-0123456789"
PUBLIC_URL = "https://tashawur.example.ma/api/inbound/twilio"

# An incoming SMS as Twilio posts it (form fields of its Messaging webhook).
TWILIO_SAMPLE = {
    "ToCountry": "MA",
    "ToState": "",
    "SmsMessageSid": "SM8f2c1e0b6a5d4c3b2a1f0e9d8c7b6a5f",
    "NumMedia": "0",
    "ToCity": "",
    "FromZip": "",
    "SmsSid": "SM8f2c1e0b6a5d4c3b2a1f0e9d8c7b6a5f",
    "FromState": "",
    "SmsStatus": "received",
    "FromCity": "",
    "Body": "TAR3 نقترح إحداث مركز صحي في الجماعة",
    "FromCountry": "MA",
    "To": "+212522000000",
    "ToZip": "",
    "NumSegments": "1",
    "MessageSid": "SM8f2c1e0b6a5d4c3b2a1f0e9d8c7b6a5f",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+212612345678",
    "ApiVersion": "2010-04-01",
}

# A RapidPro flow's webhook relaying what its External API channel received.
RAPIDPRO_SAMPLE = {
    "id": "4f1d6a0e-1c52-4b0e-9a8e-0d7c4e5b6a31",
    "from": "+212661000111",
    "text": "tar3 P Créer une coopérative de femmes",
}


def _documented_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's documented steps, written out independently of the code under test."""
    data = url
    for name in sorted(params):
        data += name + params[name]
    return base64.b64encode(
        hmac.new(token.encode(), data.encode("utf-8"), hashlib.sha1).digest()
    ).decode()


def test_the_signature_matches_twilios_documented_example() -> None:
    # Twilio's "Secure webhooks" worked example: auth token 12345, this URL and these
    # parameters sign as GvWf1cFY/Q7PnoempGyD5oXAezc=.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    expected = "GvWf1cFY/Q7PnoempGyD5oXAezc="
    assert twilio_signature("12345", url, {k: [v] for k, v in params.items()}) == expected
    assert _documented_signature("12345", url, params) == expected


def _twiml(response) -> ElementTree.Element:
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own answer, not a peer's


@pytest.fixture
def workshop(settings):
    settings.TASHAWUR_TWILIO_AUTH_TOKEN = TOKEN
    settings.TASHAWUR_TWILIO_WEBHOOK_URL = PUBLIC_URL
    settings.TASHAWUR_RAPIDPRO_SECRET = SECRET
    ConsentTextFactory()
    facilitator = UserFactory()
    facilitator.role = Role.FACILITATOR
    facilitator.save()
    return WorkshopFactory(sms_keyword="TAR3", facilitator=facilitator)


def _twilio(client: Client, payload: dict[str, str], signature: str | None = None):
    if signature is None:
        signature = _documented_signature(TOKEN, PUBLIC_URL, payload)
    return client.post(
        reverse("api:inbound", args=["twilio"]), payload, HTTP_X_TWILIO_SIGNATURE=signature
    )


def test_twilio_sample_with_a_valid_signature_is_taken_in_and_answered_in_twiml(
    client: Client, workshop
) -> None:
    response = _twilio(client, TWILIO_SAMPLE)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = _twiml(response)
    assert root.tag == "Response"
    (message,) = root
    assert message.tag == "Message"
    contribution = Contribution.objects.get()
    assert contribution.channel == Channel.SMS
    assert contribution.text == "نقترح إحداث مركز صحي في الجماعة"
    assert str(contribution.pk) in message.text
    assert InboundMessage.objects.get().message_id == TWILIO_SAMPLE["MessageSid"]


def test_twilio_redelivery_gets_the_same_reply_and_stores_nothing(client: Client, workshop) -> None:
    first = _twilio(client, TWILIO_SAMPLE)
    second = _twilio(client, TWILIO_SAMPLE)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.content == second.content
    assert (Contribution.objects.count(), InboundMessage.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "GvWf1cFY/Q7PnoempGyD5oXAezc=",
        _documented_signature("wrong-token", PUBLIC_URL, TWILIO_SAMPLE),
        _documented_signature(TOKEN, "http://testserver/api/inbound/twilio", TWILIO_SAMPLE),
        _documented_signature(TOKEN, PUBLIC_URL, {**TWILIO_SAMPLE, "Body": "TAR3 autre"}),
    ],
)
def test_twilio_with_a_bad_signature_is_forbidden_and_nothing_stored(
    client: Client, workshop, signature: str
) -> None:
    response = _twilio(client, TWILIO_SAMPLE, signature=signature)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "signature_invalid"
    assert not InboundMessage.objects.exists()
    assert not Contribution.objects.exists()


def test_twilio_signs_the_requested_url_when_no_public_url_is_set(
    client: Client, workshop, settings
) -> None:
    settings.TASHAWUR_TWILIO_WEBHOOK_URL = ""
    settings.TASHAWUR_PUBLIC_URL = ""
    url = "http://testserver/api/inbound/twilio"

    response = _twilio(client, TWILIO_SAMPLE, _documented_signature(TOKEN, url, TWILIO_SAMPLE))

    assert response.status_code == 200


def test_twilio_refusal_is_a_twiml_reply_too(client: Client, workshop) -> None:
    payload = {**TWILIO_SAMPLE, "Body": "XYZ hello", "MessageSid": "SM2", "SmsSid": "SM2"}

    response = _twilio(client, payload)

    assert response.status_code == 200
    assert _twiml(response)[0].text
    assert InboundMessage.objects.get().reason == "keyword_unknown"


def test_twilio_without_message_id_is_a_bad_request(client: Client, workshop) -> None:
    payload = {"From": "+212612345678", "Body": "TAR3 x"}

    assert _twilio(client, payload).status_code == 400


def _rapidpro(client: Client, *, secret: str = SECRET, as_json: bool = False, **data: str):
    payload = {**RAPIDPRO_SAMPLE, **data}
    url = reverse("api:inbound", args=["rapidpro"])
    headers = {"HTTP_AUTHORIZATION": f"Token {secret}"}
    if as_json:
        return client.post(url, json.dumps(payload), content_type="application/json", **headers)
    return client.post(url, payload, **headers)


@pytest.mark.parametrize("as_json", [False, True])
def test_rapidpro_sample_is_taken_in_and_answered_in_json(
    client: Client, workshop, as_json: bool
) -> None:
    response = _rapidpro(client, as_json=as_json)

    assert response.status_code == 200
    contribution = Contribution.objects.get()
    assert contribution.text == "Créer une coopérative de femmes"
    reply = response.json()["reply"]
    assert str(contribution.pk) in reply and len(reply) <= 160


def test_rapidpro_with_a_wrong_secret_is_forbidden(client: Client, workshop) -> None:
    response = _rapidpro(client, secret="guess")

    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("body", ["[1, 2]", "{not json", '{"id": 7}', '{"id": true, "from": "x"}'])
def test_rapidpro_garbage_is_a_bad_request(client: Client, workshop, body: str) -> None:
    response = client.post(
        reverse("api:inbound", args=["rapidpro"]),
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {SECRET}",
    )

    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("gateway", ["twilio", "rapidpro", "kannel"])
def test_a_gateway_without_its_secret_is_not_found(client: Client, settings, gateway) -> None:
    settings.TASHAWUR_TWILIO_AUTH_TOKEN = ""
    settings.TASHAWUR_RAPIDPRO_SECRET = ""

    response = client.post(reverse("api:inbound", args=[gateway]), {"Body": "TAR3 x"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "gateway_unknown"


def test_only_post_is_answered(client: Client, workshop) -> None:
    response = client.get(reverse("api:inbound", args=["twilio"]))

    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("gateway", ["twilio", "rapidpro"])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'--x\r\nContent-Disposition: form-data; name="a\r\n\r\n', "multipart/form-data"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"\x00" * 100, "application/json"),
        (b"Body=%FF%FE&From=%00", "application/x-www-form-urlencoded"),
    ],
)
def test_garbage_gets_a_client_error_never_a_server_error(
    client: Client, workshop, gateway: str, body: bytes, content_type: str
) -> None:
    response = client.generic(
        "POST",
        reverse("api:inbound", args=[gateway]),
        body,
        content_type=content_type,
        HTTP_X_TWILIO_SIGNATURE="x",
        HTTP_AUTHORIZATION=f"Token {SECRET}",
    )

    assert 400 <= response.status_code < 500
    assert not InboundMessage.objects.exists()


def test_twilio_odd_text_is_escaped_in_the_twiml(client: Client, workshop) -> None:
    payload = {**TWILIO_SAMPLE, "Body": 'TAR3 <b>&amp; "quoted" ‎نص‎'}

    response = _twilio(client, payload)

    assert response.status_code == 200
    assert _twiml(response)[0].text


def test_repeated_parameters_sign_by_name_then_value() -> None:
    url = "https://example.ma/hook"
    params = {"b": ["2", "1", "2"], "a": ["z"]}
    data = url + "az" + "b1" + "b2"
    expected = base64.b64encode(hmac.new(b"k", data.encode(), hashlib.sha1).digest()).decode()
    assert twilio_signature("k", url, params) == expected
