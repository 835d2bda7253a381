"""Helpers for models that carry their own labels in Arabic, French and English."""

from __future__ import annotations

from django.utils.translation import get_language


def pick_label(*, ar: str, fr: str, en: str = "") -> str:
    """The label in the active language, falling back to Arabic (the default), then French."""
    lang = (get_language() or "ar").split("-")[0]
    chosen = {"ar": ar, "fr": fr, "en": en}.get(lang) or ""
    return chosen or ar or fr or en
