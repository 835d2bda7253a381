"""The shapes of the programme workspace's forms. Whether what is typed is acceptable (dates
within the programme, funding within the budget, the cap and the co-financing rate, a target
beyond its baseline, a photo that is a photo) is the services' to say, with their translated
messages (``programmes.services``)."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tashawur.actors.models import Organisation
from tashawur.core.errors import DomainError
from tashawur.core.forms import IdModelChoiceField
from tashawur.core.validation import ids_parse
from tashawur.programmes.models import MONEY_DIGITS, Indicator, Measure

_DATE = {"type": "date", "dir": "ltr"}
_NUMBER = {"dir": "ltr", "inputmode": "decimal"}
_TEXTAREA = forms.Textarea(attrs={"rows": 3})


def new_idempotency_key() -> str:
    return secrets.token_hex(16)


def _date(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs=_DATE, format="%Y-%m-%d"),
    )


def _amount(label: Any, *, required: bool = False, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=MONEY_DIGITS + 2,
        decimal_places=2,
        help_text=help_text,
        widget=forms.TextInput(attrs=_NUMBER),
    )


def _number(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, max_digits=18, widget=forms.TextInput(attrs=_NUMBER)
    )


class _Organisation(IdModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class _Organisations(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Ticked organisations, each id read by ``ids_parse`` before any query."""

    widget = forms.CheckboxSelectMultiple

    def clean(self, value: Any) -> Any:
        if value and isinstance(value, list | tuple):
            try:
                value = [str(n) for n in ids_parse([str(v) for v in value], field="")]
            except DomainError as error:
                raise ValidationError(error.message, code=error.code) from None
        return super().clean(value)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ProgrammeForm(forms.Form):
    title_ar = forms.CharField(label=_("Title (Arabic)"), max_length=300)
    title_fr = forms.CharField(label=_("Title (French)"), max_length=300)
    starts_on = _date(_("Period start"))
    ends_on = _date(_("Period end"))


class MeasureForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("For example 2.1"),
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    title_ar = forms.CharField(label=_("Title (Arabic)"), max_length=300)
    title_fr = forms.CharField(label=_("Title (French)"), max_length=300)
    description_ar = forms.CharField(
        label=_("Description (Arabic)"), required=False, max_length=5000, widget=_TEXTAREA
    )
    description_fr = forms.CharField(
        label=_("Description (French)"), required=False, max_length=5000, widget=_TEXTAREA
    )
    owner = _Organisation(
        label=_("Lead owner"), queryset=Organisation.objects.none(), required=False
    )
    partners = _Organisations(
        label=_("Partners"), queryset=Organisation.objects.none(), required=False
    )
    budget = _amount(
        _("Budget (MAD)"), help_text=_("The measure's own envelope, not counting its sub-measures.")
    )
    starts_on = _date(_("Start"), required=False)
    ends_on = _date(_("End"), required=False)
    weight = _number(_("Weight (%)"))
    status = forms.ChoiceField(label=_("Status"), choices=Measure.Status.choices)

    def __init__(
        self, *args: Any, organisations: QuerySet[Organisation], with_status: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["partners"].queryset = organisations  # type: ignore[attr-defined]
        if not with_status:
            del self.fields["status"]


class OrganisationSearchForm(forms.Form):
    org_q = forms.CharField(label=_("Search the actor registry"), required=False, max_length=100)


class FundingLineForm(forms.Form):
    """One source's line; the page shows one such form per source (its prefix)."""

    amount = _amount(_("Amount (MAD)"))
    call = forms.CharField(label=_("Call for projects"), required=False, max_length=200)
    cofinancing_rate = forms.DecimalField(
        label=_("Co-financing rate (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        widget=forms.TextInput(attrs=_NUMBER),
    )
    cap = _amount(_("Cap (MAD)"))


class FindingSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the findings by number (F12 or 12) or by words"),
        required=False,
        max_length=100,
    )


class FindingLinkForm(forms.Form):
    finding = forms.CharField(max_length=20)
    action = forms.ChoiceField(choices=[("link", "link"), ("unlink", "unlink")])


class IndicatorForm(forms.Form):
    name_ar = forms.CharField(label=_("Name (Arabic)"), max_length=300)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=300)
    unit = forms.CharField(label=_("Unit"), required=False, max_length=64)
    baseline = _number(_("Baseline"))
    target = _number(_("Target"))
    direction = forms.ChoiceField(label=_("Direction"), choices=Indicator.Direction.choices)


class _Idempotent(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # One key per rendered form: a double submit of the same form records once.
            self.initial.setdefault("idempotency_key", new_idempotency_key())


class IndicatorValueForm(_Idempotent):
    on = _date(_("Date"))
    value = _number(_("Value"))


class ProgressForm(_Idempotent):
    on = _date(_("Date"))
    percent = forms.IntegerField(
        label=_("Percent complete"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"dir": "ltr"}),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=5000, widget=_TEXTAREA)
    evidence = forms.FileField(
        label=_("Evidence: a photo (JPEG, PNG, WebP) or a PDF"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )
    evidence_public = forms.BooleanField(
        label=_("Show the evidence on the public page"), required=False
    )
