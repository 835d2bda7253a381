"""Form fields that read ids with the shared check of ``core.validation`` (ASCII digits only,
bounded, within a 64-bit id), so that "٣" is refused rather than read as 3; sign-in forms that
refuse an over-long user name before it reaches authentication."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from tashawur.core.errors import DomainError
from tashawur.core.validation import ID_LIST_MAX, id_parse, ids_parse


def ids_shown(values: Iterable[object] | None) -> set[int]:
    """The valid ids among ``values`` (posted or initial), to tick them again on a page shown
    with errors; the others are dropped, never read."""
    shown = set()
    for value in values or []:
        try:
            shown.add(id_parse(str(value), field=""))
        except DomainError:
            continue
    return shown


class IdListField(forms.MultipleChoiceField):
    """A list of ids as posted (``name=1&name=2``), read by `ids_parse`: whether each id is
    one the user may choose is the service's to say, with the numbers at fault."""

    def __init__(self, *args: Any, max_count: int = ID_LIST_MAX, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_count = max_count

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        try:
            return ids_parse([str(v) for v in value], field="", max_count=self.max_count)
        except DomainError as error:
            raise ValidationError(error.message, code=error.code) from None

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class IdModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A ``ModelChoiceField`` whose posted id is read by `id_parse` first: Django's would take
    "٣" for 3 (``int`` reads every script's digits)."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        model = self.queryset.model if self.queryset is not None else None
        if (model is not None and isinstance(value, model)) or self.to_field_name:
            return super().to_python(value)
        try:
            number = id_parse(str(value), field="")
        except DomainError:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": ""},
            ) from None
        return super().to_python(str(number))


def _username_bounded(form: AuthenticationForm) -> None:
    # Django sets the user name's max_length after the field is built, so only the browser
    # enforces it: a 10,000-character name would reach authentication, and django-axes would
    # record it in a 255-character column (a 500 on PostgreSQL).
    field = form.fields["username"]
    assert isinstance(field, forms.CharField)
    if field.max_length is not None:
        field.validators.append(MaxLengthValidator(field.max_length))


class SignInForm(AuthenticationForm):
    """The site's sign-in form: Django's, with the user name's length checked on the server."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _username_bounded(self)


class AdminSignInForm(AdminAuthenticationForm):
    """The admin's sign-in form, with the same check."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _username_bounded(self)
