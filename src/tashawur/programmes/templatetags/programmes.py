"""Template helpers of the action programme: a link other pages can show, and money."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import numberformat
from django.utils.formats import get_format

from tashawur.programmes.selectors import programme_visible_for

register = template.Library()


@register.simple_tag(takes_context=True)
def visible_programme(context: template.Context, consultation: Any) -> Any:
    """The consultation's action programme if the reader may see it, else None (one query)."""
    return programme_visible_for(consultation=consultation, user=context["request"].user)


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
