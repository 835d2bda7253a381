"""Input shape only: the rules on text (empty, length, bidi controls) and on the workshop live in
``contribution_submit`` and ``vote_cast``, which the views call and whose errors they show."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tashawur.actors.models import Participant
from tashawur.consultations.models import Dimension
from tashawur.contributions.models import (
    NOTE_MAX_LENGTH,
    Language,
    ModerationReason,
    ModerationStatus,
    Vote,
)
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
    # A voice note instead of (or with) the text. Without JavaScript a phone records with its own
    # app (capture); the recorder (contributions/voice.js) fills this same field. The service
    # checks size, kind and length (voice_note_check).
    audio = forms.FileField(
        label=_("Or a voice note"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "audio/*", "capture": True}),
    )

    def __init__(
        self, *args: Any, speakers: QuerySet[Participant] | None = None, **kwargs: Any
    ) -> None:
        """``speakers``: whom a facilitator may name as the author (``workshop_speakers``). Only
        a form built with them has the field; a participant's form has none, so a posted
        ``author`` is ignored there."""
        super().__init__(*args, **kwargs)
        minutes = max(1, int(settings.TASHAWUR_VOICE_MAX_SECONDS) // 60)
        self.fields["audio"].help_text = ngettext(
            "Record it, or choose a recording of at most %(minutes)s minute.",
            "Record it, or choose a recording of at most %(minutes)s minutes.",
            minutes,
        ) % {"minutes": minutes}
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
            # Ticked by the facilitator when the speaker agreed aloud (the view requires it
            # whenever someone is named).
            self.fields["oral_consent"] = forms.BooleanField(
                label=_("The speaker agreed aloud to take part and to have their words published."),
                required=False,
            )

    @property
    def names_speaker(self) -> bool:
        return "author" in self.fields

    @property
    def voice_max_seconds(self) -> int:
        """Where the recorder stops by itself."""
        return int(settings.TASHAWUR_VOICE_MAX_SECONDS)


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(
        choices=Vote.Value.choices,
        coerce=int,
        error_messages={"invalid_choice": _("Choose agree, disagree or pass.")},
    )


class FlagForm(forms.Form):
    """A participant's report of a published contribution."""

    reason = forms.ChoiceField(
        label=_("Why do you report it?"),
        choices=ModerationReason.choices,
        error_messages={
            "required": _("Choose why you report this contribution."),
            "invalid_choice": _("Choose why you report this contribution."),
        },
    )


class ModerationForm(forms.Form):
    """A moderator's decision on one contribution of the queue."""

    ACTIONS = {
        "publish": ModerationStatus.PUBLISHED,
        "restore": ModerationStatus.PUBLISHED,
        "reject": ModerationStatus.REJECTED,
    }

    action = forms.ChoiceField(
        choices=[(action, action) for action in ACTIONS],
        error_messages={
            "required": _("Choose to publish, reject or restore."),
            "invalid_choice": _("Choose to publish, reject or restore."),
        },
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason")), *ModerationReason.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose a reason from the list.")},
    )
    note = forms.CharField(
        label=_("Note to the author (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
    )

    @property
    def status(self) -> str:
        return self.ACTIONS[self.cleaned_data["action"]]


class WorkshopCloseForm(forms.Form):
    closing_report = forms.CharField(
        label=_("The rapporteur's report"),
        help_text=_(
            "Cite contributions by their number, as the round table's page shows them: #12."
        ),
        # workshop_close and workshop_close_with_report check emptiness, length and citations
        # with their own translated messages.
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "dir": "auto"}),
    )


class TranscriptionForm(forms.Form):
    """What a voice note says, written down by the rapporteur (or the facilitator)."""

    text = forms.CharField(
        label=_("What the voice note says"),
        # contribution_transcribe checks emptiness and length with its own messages.
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    dimension = forms.ChoiceField(
        label=_("What kind of contribution is it?"),
        choices=Dimension.choices,
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
