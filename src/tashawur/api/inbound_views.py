"""``POST /api/inbound/<gateway>``: SMS and messaging intake (``contributions.inbound``).

404 when the gateway is unknown or its secret is not set (off by default), 403 when the request
is not signed by the gateway (nothing stored), 400 when it carries no message id or sender,
405 for any method but POST. Otherwise 200 with the reply in the gateway's format, whether the
message was accepted or refused (a refusal is answered to the sender, not retried).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from tashawur.api.errors import error_response
from tashawur.contributions.inbound import gateway_get
from tashawur.contributions.services import inbound_message_receive
from tashawur.core.errors import DomainError


# A gateway posts without a CSRF token; its signature or shared secret stands for it.
@csrf_exempt
def inbound(request: HttpRequest, gateway: str) -> HttpResponse:
    adapter = gateway_get(gateway)
    if adapter is None:
        return error_response(
            request, 404, "gateway_unknown", _("No messaging gateway is set up at this address.")
        )
    if request.method != "POST":
        response = error_response(
            request, 405, "method_not_allowed", _("This address only answers POST.")
        )
        response["Allow"] = "POST"
        return response
    if not adapter.verify(request):
        return error_response(
            request, 403, "signature_invalid", _("The request is not signed by the gateway.")
        )
    message = adapter.parse(request)
    if message is None:
        return error_response(
            request, 400, "message_invalid", _("The message has no id or no sender.")
        )
    try:
        result = inbound_message_receive(
            gateway=adapter.name,
            message_id=message.message_id,
            sender=message.sender,
            text=message.text,
        )
    except DomainError as error:
        return error_response(request, 400, error.code, error.message)
    return adapter.reply(result.reply)
