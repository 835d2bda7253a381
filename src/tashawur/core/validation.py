"""Checks that every service applies to what people type, with the same translated messages."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tashawur.core.errors import DomainError
from tashawur.core.text import clean_user_text, contains_bidi_controls


def user_text_clean(text: str, *, field: str, max_length: int, required: bool = False) -> str:
    """Return ``text`` sanitised (``clean_user_text``), or raise a `DomainError` on ``field``.

    Refused: invisible direction-control characters (they can disguise what a text says), a
    text longer than ``max_length`` once cleaned, and, when ``required``, an empty one.
    """
    if contains_bidi_controls(text):
        raise DomainError(
            _(
                "The text contains invisible direction-control characters (such as U+202E) "
                "that can disguise what it says; remove them and send it again."
            ),
            code="text_bidi_controls",
            field=field,
        )
    cleaned = clean_user_text(text)
    if len(cleaned) > max_length:
        raise DomainError(
            ngettext(
                "The text is too long: %(length)s character, at most %(max)s.",
                "The text is too long: %(length)s characters, at most %(max)s.",
                len(cleaned),
            )
            % {"length": len(cleaned), "max": max_length},
            code="text_too_long",
            field=field,
        )
    if required and not cleaned:
        raise DomainError(_("This field is required."), code="text_empty", field=field)
    return cleaned


#: What a client may send as an idempotency key: 1 to 64 letters, digits, ``._:-``.
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def idempotency_key_clean(key: str | None) -> str | None:
    """Return the stripped key (``None`` when absent or blank), or raise a `DomainError`."""
    key = key.strip() if key else None
    if key is not None and not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise DomainError(
            _(
                "The idempotency key must be 1 to 64 letters, digits, dots, colons, "
                "hyphens or underscores."
            ),
            code="idempotency_key_invalid",
            field="idempotency_key",
        )
    return key
