"""Adapters for the SMS and messaging gateways that post to ``POST /api/inbound/<gateway>``.

Each reads its gateway's request (`parse`), checks that the gateway sent it (`verify`) and
words the reply the way the gateway sends it back (`reply`). A gateway whose secret is not set
is off (`gateway_get` answers ``None``, the view 404).

``twilio``
    Twilio's incoming-message webhook: a form POST with ``MessageSid``, ``From``, ``To`` and
    ``Body`` (``SmsSid`` in older requests). Signed in ``X-Twilio-Signature``: the base64 of
    HMAC-SHA1, keyed with the account's auth token (``TASHAWUR_TWILIO_AUTH_TOKEN``), of the
    full URL Twilio requested followed by every POST parameter's name and value, sorted by name
    (`twilio_signature`). That URL is ``TASHAWUR_TWILIO_WEBHOOK_URL`` when set, else
    ``TASHAWUR_PUBLIC_URL`` and the request's path, else the URL the request reached. The reply
    is TwiML: ``<Response><Message>…</Message></Response>``.

``rapidpro``
    RapidPro or TextIt, relaying what their channel received (an External API channel's flow
    with a "Call webhook" action): a form or JSON POST with ``id`` (the message id), ``from``
    (the sender's number or URN) and ``text``. Authenticated by the shared secret
    (``TASHAWUR_RAPIDPRO_SECRET``) in ``Authorization: Token <secret>`` (``Bearer`` also read).
    The reply is JSON ``{"reply": "…"}``: the flow sends ``@webhook.json.reply`` back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict


@dataclass(frozen=True)
class Message:
    message_id: str
    sender: str
    text: str


class Gateway(Protocol):
    name: str

    def configured(self) -> bool: ...

    def verify(self, request: HttpRequest) -> bool: ...

    def parse(self, request: HttpRequest) -> Message | None: ...

    def reply(self, text: str) -> HttpResponse: ...


def twilio_signature(auth_token: str, url: str, params: Mapping[str, list[str]]) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(auth token, URL + each parameter's name
    and value, by name; a repeated name's distinct values in order, as Twilio's own helper
    library does))."""
    data = url + "".join(
        name + value for name in sorted(params) for value in sorted(set(params[name]))
    )
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _field(data: Mapping[str, object], *names: str) -> str:
    for name in names:
        value = data.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value)
    return ""


class Twilio:
    name = "twilio"

    def configured(self) -> bool:
        return bool(settings.TASHAWUR_TWILIO_AUTH_TOKEN)

    def webhook_url(self, request: HttpRequest) -> str:
        """The URL Twilio signed: the one it was told to call."""
        if settings.TASHAWUR_TWILIO_WEBHOOK_URL:
            return str(settings.TASHAWUR_TWILIO_WEBHOOK_URL)
        if settings.TASHAWUR_PUBLIC_URL:
            return str(settings.TASHAWUR_PUBLIC_URL) + request.get_full_path()
        return request.build_absolute_uri()

    def verify(self, request: HttpRequest) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            return False
        params: QueryDict = request.POST
        expected = twilio_signature(
            settings.TASHAWUR_TWILIO_AUTH_TOKEN,
            self.webhook_url(request),
            {name: params.getlist(name) for name in params},
        )
        return hmac.compare_digest(expected.encode(), signature.encode())

    def parse(self, request: HttpRequest) -> Message | None:
        data = request.POST.dict()
        message = Message(
            message_id=_field(data, "MessageSid", "SmsSid"),
            sender=_field(data, "From"),
            text=data.get("Body", ""),
        )
        return message if message.message_id and message.sender else None

    def reply(self, text: str) -> HttpResponse:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Response><Message>{escape(text)}</Message></Response>"
        )
        return HttpResponse(body, content_type="text/xml; charset=utf-8")


class RapidPro:
    name = "rapidpro"

    def configured(self) -> bool:
        return bool(settings.TASHAWUR_RAPIDPRO_SECRET)

    def verify(self, request: HttpRequest) -> bool:
        scheme, _space, secret = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() not in {"token", "bearer"} or not secret.strip():
            return False
        expected = str(settings.TASHAWUR_RAPIDPRO_SECRET)
        return hmac.compare_digest(expected.encode(), secret.strip().encode())

    def parse(self, request: HttpRequest) -> Message | None:
        data: Mapping[str, object]
        if request.content_type == "application/json":
            try:
                loaded = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                return None
            if not isinstance(loaded, dict):
                return None
            data = loaded
        else:
            data = request.POST.dict()
        text = data.get("text", "")
        message = Message(
            message_id=_field(data, "id"),
            sender=_field(data, "from"),
            text=text if isinstance(text, str) else "",
        )
        return message if message.message_id and message.sender else None

    def reply(self, text: str) -> HttpResponse:
        return JsonResponse({"reply": text}, json_dumps_params={"ensure_ascii": False})


GATEWAYS: dict[str, Gateway] = {gateway.name: gateway for gateway in (Twilio(), RapidPro())}


def gateway_get(name: str) -> Gateway | None:
    """The adapter for ``name`` if it is known and its secret is set; else ``None``."""
    gateway = GATEWAYS.get(name)
    return gateway if gateway is not None and gateway.configured() else None
