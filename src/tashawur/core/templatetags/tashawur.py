"""Small presentation helpers shared by the pages: pictograms and query-string links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.html import format_html

from tashawur.core.text import text_direction

register = template.Library()

_DIMENSIONS = frozenset(
    {"potential", "specificity", "challenge", "proposal", "question", "coordination"}
)


@register.simple_tag
def dimension_icon(dimension: str) -> str:
    """A pictogram for a dimension, for people who read little; the label sits next to it."""
    if dimension not in _DIMENSIONS:
        return ""
    return format_html(
        '<svg class="icon" aria-hidden="true" focusable="false"><use href="#dim-{}"/></svg>',
        dimension,
    )


@register.simple_tag
def icon(name: str) -> str:
    return format_html(
        '<svg class="icon" aria-hidden="true" focusable="false"><use href="#i-{}"/></svg>', name
    )


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters replaced (``None`` or "" drops one)."""
    request: HttpRequest = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def vote_of(votes: dict[int, int] | None, contribution_id: int) -> int | None:
    """The participant's current vote on a statement (1, -1, 0), or None."""
    return (votes or {}).get(contribution_id)


@register.filter
def lookup(mapping: Mapping[Any, Any] | None, key: Any) -> Any:
    """``mapping[key]`` in a template, or None when absent."""
    return (mapping or {}).get(key)


@register.filter
def text_dir(text: Any) -> str:
    """ "rtl" or "ltr" for a print template, where WeasyPrint ignores ``dir="auto"``
    (``core.text.text_direction``)."""
    return text_direction(text)
