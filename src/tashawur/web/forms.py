"""The shapes of the account pages' forms: sign-up, consent, erasure. Whether what is typed
is acceptable (a phone number, a password, a consent) is the service's to say
(``actors.services.participant_sign_up``), with its translated messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tashawur.actors.models import ActorType, ConsentText, Organisation
from tashawur.core.forms import IdModelChoiceField
from tashawur.territories.models import Territory


class _Choice(IdModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class SignUpForm(forms.Form):
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        help_text=_("As you want the facilitators to call you; never shown to the public."),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "dir": "ltr"}),
    )
    email = forms.CharField(
        label=_("E-mail address"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email", "dir": "ltr"}),
        help_text=_("Needed to reset a forgotten password."),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    territory = _Choice(label=_("Province"), queryset=Territory.objects.none(), empty_label="")
    actor_type = _Choice(label=_("You take part as"), queryset=ActorType.objects.none())
    organisation = _Choice(
        label=_("Your organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("None, or not in the list"),
    )
    consent = forms.BooleanField(label=_("I accept these terms"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provinces = Territory.objects.filter(level=Territory.Level.PROVINCE).order_by(
            "parent__code", "code"
        )
        self.fields["territory"].queryset = provinces  # type: ignore[attr-defined]
        self.fields["actor_type"].queryset = ActorType.objects.filter(  # type: ignore[attr-defined]
            parent__isnull=True
        )
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")  # type: ignore[attr-defined]


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(choices=ConsentText.Purpose.choices)
    action = forms.ChoiceField(choices=[("accept", "accept"), ("withdraw", "withdraw")])


class ErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my data will be erased and that this cannot be undone."),
        required=False,
    )
