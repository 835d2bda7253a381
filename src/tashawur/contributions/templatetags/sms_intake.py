"""``{% sms_number as number %}``: the number people text a round table's keyword to
(``TASHAWUR_SMS_NUMBER``; empty when unset)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def sms_number() -> str:
    return str(getattr(settings, "TASHAWUR_SMS_NUMBER", "") or "")
