"""Input shape only: the rules on text (empty, length, bidi controls) and on the workshop live in
``contribution_submit`` and ``vote_cast``, which the views call and whose errors they show."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tashawur.actors.models import Participant
from tashawur.consultations.models import Dimension
from tashawur.contributions.models import Language, Vote
from tashawur.core.forms import IdModelChoiceField


def new_idempotency_key() -> str:
    # Hex: matches the service's key pattern (a letter or digit first, then [A-Za-z0-9._:-]).
    return secrets.token_hex(16)


class ContributionForm(forms.Form):
    text = forms.CharField(
        label=_("Your contribution"),
        # The service checks length and emptiness with its own translated messages; the form
        # only keeps absurd payloads out before they reach it.
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    dimension = forms.ChoiceField(
        label=_("What kind of contribution is it?"),
        choices=Dimension.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what kind of contribution this is."),
            "invalid_choice": _("Choose what kind of contribution this is."),
        },
    )
    language = forms.ChoiceField(
        label=_("Language (optional)"),
        choices=[("", _("Detect automatically")), *Language.choices],
        required=False,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(
        self, *args: Any, speakers: QuerySet[Participant] | None = None, **kwargs: Any
    ) -> None:
        """``speakers``: whom a facilitator may name as the author (``workshop_speakers``). Only
        a form built with them has the field; a participant's form has none, so a posted
        ``author`` is ignored there."""
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # One key per rendered form: a double submit of the same form stores once.
            self.initial.setdefault("idempotency_key", new_idempotency_key())
        if speakers is not None:
            self.fields["author"] = IdModelChoiceField(
                label=_("Who is speaking?"),
                queryset=speakers,
                required=False,
                empty_label=_("Not named"),
                error_messages={
                    "invalid_choice": _("Choose someone from the list, or leave it not named.")
                },
            )

    @property
    def names_speaker(self) -> bool:
        return "author" in self.fields


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(
        choices=Vote.Value.choices,
        coerce=int,
        error_messages={"invalid_choice": _("Choose agree, disagree or pass.")},
    )
