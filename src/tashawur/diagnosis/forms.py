"""Input shape of the curation forms only: the rules on titles (bidi controls, length) and on
findings (same run, not merged, members of the finding) live in the services, whose translated
errors the views show next to the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tashawur.diagnosis.models import Finding


class FindingRenameForm(forms.Form):
    title_ar = forms.CharField(
        label=_("Title in Arabic"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
    )
    title_fr = forms.CharField(
        label=_("Title in French"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "lang": "fr"}),
    )


class FindingStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Finding.Status.ACCEPTED, _("Accept")),
            (Finding.Status.REJECTED, _("Reject")),
            (Finding.Status.PROPOSED, _("Back to proposed")),
        ],
        error_messages={
            "required": _("Choose accept, reject or back to proposed."),
            "invalid_choice": _("Choose accept, reject or back to proposed."),
        },
    )
    # Where to go back after a change without JavaScript: the finding's page or the diagnosis.
    back = forms.ChoiceField(
        choices=[("", ""), ("diagnosis", "diagnosis")], required=False, widget=forms.HiddenInput
    )


class FindingMergeForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Merge this finding into"),
        queryset=Finding.objects.none(),
        empty_label=_("Choose a finding"),
        error_messages={
            "required": _("Choose the finding to merge this one into."),
            "invalid_choice": _("Choose a finding from the list."),
        },
    )

    def __init__(self, *args: Any, targets: QuerySet[Finding] | None = None, **kwargs: Any) -> None:
        """``targets``: the findings this one may be merged into (those the list offers). The
        service checks the run and the statuses again, under a lock."""
        super().__init__(*args, **kwargs)
        if targets is not None:
            field = self.fields["target"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = targets


class _ContributionIds(forms.TypedMultipleChoiceField):
    """Contribution ids as posted: whether they are members of the finding is the service's
    to say, with the numbers at fault."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


class FindingSplitForm(forms.Form):
    contributions = _ContributionIds(
        label=_("Contributions that form the new finding"),
        coerce=int,
        required=False,
        error_messages={"invalid_choice": _("Choose contributions among this finding's members.")},
    )
    title_ar = forms.CharField(
        label=_("Title of the new finding in Arabic"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
    )
    title_fr = forms.CharField(
        label=_("Title of the new finding in French"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "lang": "fr"}),
    )

    @property
    def chosen(self) -> set[int]:
        """The contribution ids ticked in the posted form (to tick them again on an error)."""
        if not self.is_bound:
            return set()
        return {int(v) for v in self["contributions"].value() or [] if str(v).isdigit()}
