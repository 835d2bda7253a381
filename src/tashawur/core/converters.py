"""Path converters: an id in an address is read by the same check as an id in a form."""

from __future__ import annotations

from tashawur.core.errors import DomainError
from tashawur.core.validation import ID_MAX_DIGITS, id_parse


class IdConverter:
    """``<id:pk>``: 1 to ``ID_MAX`` in ASCII digits; anything else is no match (404), where
    Django's ``<int:…>`` would take any length (and ``int`` refuses more than 4,300 digits)."""

    regex = f"[0-9]{{1,{ID_MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        try:
            return id_parse(value, field="pk")
        except DomainError as error:
            raise ValueError(error.code) from None

    def to_url(self, value: int | str) -> str:
        return str(int(value))
