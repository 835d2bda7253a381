"""Checks that every service applies to what people type, with the same translated messages."""

from __future__ import annotations

import re
from collections.abc import Iterable

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


# --- numbers people or pages send: ids, lists of ids, page numbers ----------------------------
#
# ``str.isdigit()`` and ``int()`` accept every Unicode digit ("²", Arabic-Indic "٣", full-width
# "３"): "٣" would silently become 3 and "²" passes ``isdigit`` only to fail in ``int``. What a
# form or an address carries as a number is therefore read here, once: ASCII digits only, a
# bounded length (``int`` on thousands of digits is slow, then refused past 4,300) and a range
# the database can hold.

#: The largest id a ``BigAutoField`` holds (a signed 64-bit integer).
ID_MAX = 2**63 - 1
#: An id has at most as many digits as ``ID_MAX`` (leading zeros included).
ID_MAX_DIGITS = len(str(ID_MAX))
#: The most ids one list may hold (far more than any form offers).
ID_LIST_MAX = 1000
#: The largest page number a list accepts (a million pages of any list is beyond the data).
PAGE_MAX = 1_000_000
_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)
# What separates the numbers of a typed list: spaces, commas (Latin or Arabic), and "#" signs.
_LIST_SEPARATORS = re.compile(r"[\s,،#]+")


def _digits(raw: object, *, max_digits: int) -> int | None:
    """The whole number ``raw`` spells in ASCII digits, or None (also for what is not a
    string: what reaches here came from text); -1 when it has more than ``max_digits``, so
    that ``int`` never reads thousands of digits."""
    if not isinstance(raw, str) or not _ASCII_DIGITS.fullmatch(raw):
        return None
    return int(raw) if len(raw) <= max_digits else -1


def id_parse(raw: object, *, field: str) -> int:
    """The id ``raw`` (a string of ASCII digits, 1 to ``ID_MAX``), or a `DomainError` on
    ``field``: other digits (``²``, ``٣``, ``３``), signs, spaces, nothing, or a number no row
    can have."""
    number = _digits(raw, max_digits=ID_MAX_DIGITS)
    if number is None:
        raise DomainError(
            _("Write numbers with the digits 0 to 9 only, such as 12."),
            code="id_invalid",
            field=field,
        )
    if not 1 <= number <= ID_MAX:
        raise DomainError(
            _("No item has this number: numbers here go from 1 to %(max)s.") % {"max": ID_MAX},
            code="id_out_of_range",
            field=field,
        )
    return number


def _too_many_ids(max_count: int, *, field: str) -> DomainError:
    return DomainError(
        ngettext("Choose at most %(max)s item.", "Choose at most %(max)s items.", max_count)
        % {"max": max_count},
        code="ids_too_many",
        field=field,
    )


def ids_parse(raws: Iterable[object], *, field: str, max_count: int = ID_LIST_MAX) -> list[int]:
    """The distinct ids of ``raws`` (each read by `id_parse`), in increasing order; at most
    ``max_count`` of them."""
    values = list(raws)
    if len(values) > max_count:
        raise _too_many_ids(max_count, field=field)
    return sorted({id_parse(value, field=field) for value in values})


def id_list_text_parse(text: str, *, field: str, max_count: int = ID_LIST_MAX) -> list[int]:
    """The ids typed in ``text``, separated by spaces, commas (``,`` or ``،``) or ``#``:
    ``"12, 15 #3"`` gives ``[3, 12, 15]``."""
    if len(text) > max_count * (ID_MAX_DIGITS + 2):
        # Longer than any list of max_count ids: refused before it is split.
        raise _too_many_ids(max_count, field=field)
    parts = [part for part in _LIST_SEPARATORS.split(text) if part]
    return ids_parse(parts, field=field, max_count=max_count)


def page_number_parse(raw: str | None, *, field: str = "page", max_value: int = PAGE_MAX) -> int:
    """The page number ``raw`` asks for (1 when absent or blank), or a `DomainError`: ASCII
    digits only, from 1 to ``max_value``. Whether the page exists is the list's to say."""
    if raw is None or raw == "":
        return 1
    number = _digits(raw, max_digits=len(str(max_value)))
    if number is None or not 1 <= number <= max_value:
        raise DomainError(
            _("The page must be a whole number from 1 to %(max)s, written with the digits 0 to 9.")
            % {"max": max_value},
            code="page_invalid",
            field=field,
        )
    return number
