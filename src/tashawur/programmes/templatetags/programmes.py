"""Template helpers of the action programme: money in dirhams."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import numberformat
from django.utils.formats import get_format

register = template.Library()


@register.filter
def mad(amount: Decimal | None) -> str:
    """An amount in dirhams with the active language's separators, grouped by thousands, without
    centimes when there are none. Django's Arabic formats set no grouping, and a budget of
    millions is unreadable without it, so the grouping is always by three digits."""
    if amount is None:
        return ""
    places = 0 if amount == amount.to_integral_value() else 2
    return numberformat.format(
        amount,
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=places,
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )
