"""Input shape of the curation and writing forms only: the rules on titles and statements (bidi
controls, length), on findings (same run, not merged, members of the finding) and on an entry's
sources live in the services, whose translated errors the views show next to the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tashawur.core.errors import DomainError
from tashawur.core.forms import IdListField, IdModelChoiceField, ids_shown
from tashawur.core.validation import id_list_text_parse
from tashawur.diagnosis.models import DiagnosisDimension, Finding


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
    target = IdModelChoiceField(
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


class FindingSplitForm(forms.Form):
    # Whether they are members of the finding is the service's to say, with the numbers at fault.
    contributions = IdListField(label=_("Contributions that form the new finding"), required=False)
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
        return ids_shown(self["contributions"].value())


class DiagnosisEntryForm(forms.Form):
    dimension = forms.ChoiceField(
        label=_("Dimension"),
        choices=DiagnosisDimension.choices,
        error_messages={
            "required": _("Choose potential, specificity, challenge or proposal."),
            "invalid_choice": _("Choose potential, specificity, challenge or proposal."),
        },
    )
    statement_ar = forms.CharField(
        label=_("Statement in Arabic"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"dir": "rtl", "lang": "ar", "rows": 3}),
    )
    statement_fr = forms.CharField(
        label=_("Statement in French"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"dir": "ltr", "lang": "fr", "rows": 3}),
    )
    # Whether the findings are of this consultation, of the latest run and shown is the
    # service's to say, with the keys at fault.
    findings = IdListField(label=_("Findings it rests on"), required=False)
    contributions = forms.CharField(
        label=_("Contributions it rests on"),
        required=False,
        help_text=_("Contribution numbers, separated by spaces or commas: 12, 15"),
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}),
    )

    def clean_contributions(self) -> list[int]:
        try:
            return id_list_text_parse(self.cleaned_data["contributions"], field="contributions")
        except DomainError as error:
            if error.code == "id_invalid":
                # Said for this field: the separators matter as much as the digits.
                raise forms.ValidationError(
                    _("Write contribution numbers separated by spaces or commas."),
                    code="contributions_invalid",
                ) from None
            raise forms.ValidationError(error.message, code=error.code) from None

    @property
    def chosen_findings(self) -> set[int]:
        """The finding ids ticked (posted, or those of the entry being edited)."""
        if self.is_bound:
            return ids_shown(self["findings"].value())
        return ids_shown(self.initial.get("findings", []))


class DiagnosisEntryMoveForm(forms.Form):
    direction = forms.ChoiceField(
        choices=[("up", "up"), ("down", "down")],
        error_messages={
            "required": _("Choose to move the entry up or down."),
            "invalid_choice": _("Choose to move the entry up or down."),
        },
    )


class CarryOverDecisionForm(forms.Form):
    """A decision on what a new run could not carry over: a successor finding, or dismiss."""

    successor = IdModelChoiceField(
        label=_("Give it to"),
        queryset=Finding.objects.none(),
        required=False,
        empty_label=_("Choose a finding"),
        error_messages={"invalid_choice": _("Choose a finding from the list.")},
    )
    decision = forms.ChoiceField(
        choices=[("pick", "pick"), ("dismiss", "dismiss")],
        error_messages={
            "required": _("Choose a finding, or dismiss."),
            "invalid_choice": _("Choose a finding, or dismiss."),
        },
    )
    # Where to go back: the diagnosis page or the editor.
    back = forms.ChoiceField(
        choices=[("", ""), ("editor", "editor")], required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, findings: QuerySet[Finding], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = findings  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "pick" and not cleaned.get("successor"):
            self.add_error("successor", _("Choose the finding that takes this curation over."))
        return cleaned
