"""Template helpers of the action programme: money in dirhams, figures, a text's direction and a
finding's title."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import numberformat
from django.utils.formats import get_format

from tashawur.core.i18n import pick_label
from tashawur.core.text import text_direction

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


@register.filter
def figure(value: Decimal | int | None) -> str:
    """An indicator's value, grouped and separated as the active language writes numbers (as
    ``mad``, without the currency)."""
    if value is None:
        return ""
    return mad(Decimal(value))


@register.filter
def text_dir(text: Any) -> str:
    """ "rtl" or "ltr": the text's direction for the print template (``core.text.text_direction``:
    WeasyPrint ignores ``dir="auto"``)."""
    return text_direction(text)


@register.filter
def finding_title(finding: Any) -> str:
    """The title a finding shows in the active language: the analyst's, else the synthesis's
    label (the other language's when this one has none); "" when it has neither, where
    templates name it by its number."""
    return pick_label(
        ar=finding.title_override_ar or finding.label_ar,
        fr=finding.title_override_fr or finding.label_fr,
    )
