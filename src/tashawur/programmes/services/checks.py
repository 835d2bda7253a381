"""Constants and checks shared by the programme services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from tashawur.core.errors import DomainError
from tashawur.core.validation import user_text_clean
from tashawur.programmes.models import (
    Programme,
)

TITLE_MAX_LENGTH = 300
NOTE_MAX_LENGTH = 5_000
#: The largest amount a money field stores (14 digits, 2 after the point).
MONEY_MAX = Decimal("999999999999.99")


# --- checks shared by the services ------------------------------------------------------------


def text_clean(value: str, *, field: str, required: bool, max_length: int) -> str:
    return user_text_clean(value, field=field, max_length=max_length, required=required)


def decimal_clean(value: Decimal | int | str, *, field: str) -> Decimal:
    """A finite Decimal; floats are refused, since money must not go through binary floats."""
    if isinstance(value, float | bool):
        raise DomainError(_("Enter a number."), code="number_invalid", field=field)
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Enter a number."), code="number_invalid", field=field) from None
    if not number.is_finite():
        raise DomainError(_("Enter a number."), code="number_invalid", field=field)
    return number


def amount_clean(value: Decimal | int | str, *, field: str) -> Decimal:
    amount = decimal_clean(value, field=field)
    if amount < 0:
        raise DomainError(_("An amount cannot be negative."), code="amount_negative", field=field)
    if amount > MONEY_MAX or amount != amount.quantize(Decimal("0.01")):
        raise DomainError(
            _("Enter an amount in dirhams with at most two decimals, below one trillion."),
            code="amount_invalid",
            field=field,
        )
    return amount


def programme_check_open(programme: Programme) -> None:
    if programme.status == Programme.Status.CLOSED:
        raise DomainError(
            _("This action programme is closed: it can no longer be changed."),
            code="programme_closed",
        )


def period_check(starts_on: dt.date | None, ends_on: dt.date | None, *, field: str) -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise DomainError(
            _("The end date must not come before the start date."),
            code="dates_reversed",
            field=field,
        )
