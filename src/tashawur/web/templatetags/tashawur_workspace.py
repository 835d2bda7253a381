"""Whether the signed-in person has a staff workspace, for the site's navigation."""

from __future__ import annotations

from typing import Any

from django import template

from tashawur.consultations import rules

register = template.Library()


@register.filter
def uses_workspace(user: Any) -> bool:
    return rules.can_use_workspace(user)
