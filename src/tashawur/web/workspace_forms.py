"""The shapes of the staff workspace's forms. Whether what is typed is acceptable (a meeting
that ends after it starts, a free position, a province of the region) is the services' to say
(``consultations.services.workspace``), with their translated messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from tashawur.actors.models import ActorType
from tashawur.consultations.models import (
    AgendaItem,
    Consultation,
    Meeting,
    Strategy,
    Theme,
)
from tashawur.consultations.services import AgendaItemSpec
from tashawur.core.errors import DomainError
from tashawur.core.forms import IdModelChoiceField
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.core.validation import ids_parse
from tashawur.territories.models import Territory

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class _Choice(IdModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class _Choices(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Ticked people, each id read by `ids_parse` before any query (Django's would send "٣" or
    a 10,000-digit number to the database)."""

    widget = forms.CheckboxSelectMultiple

    def clean(self, value: Any) -> Any:
        if value and isinstance(value, list | tuple):
            try:
                value = [str(n) for n in ids_parse([str(v) for v in value], field="")]
            except DomainError as error:
                raise ValidationError(error.message, code=error.code) from None
        return super().clean(value)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


def _datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "dir": "ltr"}, format=DATETIME_FORMAT
        ),
    )


def _time_field(label: Any, *, required: bool = True) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=required,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time", "dir": "ltr"}, format="%H:%M"),
    )


def _staff(role: str) -> Any:
    return User.objects.filter(role=role, is_active=True).order_by("username")


class ConsultationForm(forms.Form):
    strategy = _Choice(label=_("Strategy"), queryset=Strategy.objects.none())
    region = _Choice(label=_("Region"), queryset=Territory.objects.none())
    title_ar = forms.CharField(
        label=_("Title (Arabic)"), max_length=300, widget=forms.TextInput(attrs={"dir": "rtl"})
    )
    title_fr = forms.CharField(
        label=_("Title (French)"), max_length=300, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    status = forms.ChoiceField(label=_("Status"), choices=Consultation.Status.choices)
    moderation = forms.ChoiceField(
        label=_("Moderation"),
        choices=Consultation.Moderation.choices,
        widget=forms.RadioSelect,
    )
    coordinators = _Choices(
        label=_("Regional coordinators"), queryset=User.objects.none(), required=False
    )
    analysts = _Choices(label=_("Analysts"), queryset=User.objects.none(), required=False)

    #: What only the national coordinator sets: a regional coordinator runs the consultation
    #: but does not move it to another strategy or region, nor choose who coordinates it.
    SCOPE_FIELDS = ("strategy", "region", "coordinators")

    def __init__(self, *args: Any, scope_fixed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.SCOPE_FIELDS if scope_fixed else ():
            self.fields[name].disabled = True
        self.fields["strategy"].queryset = Strategy.objects.order_by("slug")  # type: ignore[attr-defined]
        self.fields["region"].queryset = Territory.objects.filter(  # type: ignore[attr-defined]
            level=Territory.Level.REGION
        ).order_by("code")
        self.fields["coordinators"].queryset = _staff(Role.REGIONAL_COORDINATOR)  # type: ignore[attr-defined]
        self.fields["analysts"].queryset = _staff(Role.ANALYST)  # type: ignore[attr-defined]


class MeetingForm(forms.Form):
    title_ar = forms.CharField(
        label=_("Title (Arabic)"), max_length=300, widget=forms.TextInput(attrs={"dir": "rtl"})
    )
    title_fr = forms.CharField(
        label=_("Title (French)"), max_length=300, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    starts_at = _datetime_field(_("Starts at"))
    ends_at = _datetime_field(_("Ends at"))
    venue_ar = forms.CharField(
        label=_("Venue (Arabic)"), max_length=300, widget=forms.TextInput(attrs={"dir": "rtl"})
    )
    venue_fr = forms.CharField(
        label=_("Venue (French)"), max_length=300, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    territory = _Choice(label=_("Province"), queryset=Territory.objects.none())
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=100_000,
        required=False,
        help_text=_("Leave empty for no limit; beyond it, people wait on a list."),
    )

    def __init__(self, *args: Any, consultation: Consultation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["territory"].queryset = Territory.objects.filter(  # type: ignore[attr-defined]
            parent=consultation.region
        ).order_by("code")


class AgendaItemForm(forms.Form):
    position = forms.IntegerField(label=_("Position"), min_value=1, max_value=999)
    starts_at = _time_field(_("Starts at"))
    ends_at = _time_field(_("Ends at"), required=False)
    # A blank first choice: an untouched extra row must read as empty, not as an "opening".
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *AgendaItem.Kind.choices])
    title_ar = forms.CharField(
        label=_("Title (Arabic)"), max_length=300, widget=forms.TextInput(attrs={"dir": "rtl"})
    )
    title_fr = forms.CharField(
        label=_("Title (French)"), max_length=300, widget=forms.TextInput(attrs={"dir": "ltr"})
    )


#: A few blank rows, so that items can be added without JavaScript. At most 60 rows, and no more
#: built: Django would otherwise build up to 1,060 forms for any ``TOTAL_FORMS`` a post claims
#: (seconds of CPU for one request) before refusing it.
AGENDA_MAX_ROWS = 60


class _AgendaRows(forms.BaseFormSet[AgendaItemForm]):
    default_error_messages = {
        "too_many_forms": ngettext_lazy(
            "An agenda holds at most %(num)d item.", "An agenda holds at most %(num)d items.", "num"
        )
    }


AgendaFormSet = forms.formset_factory(
    AgendaItemForm,
    formset=_AgendaRows,
    extra=3,
    can_delete=True,
    max_num=AGENDA_MAX_ROWS,
    absolute_max=AGENDA_MAX_ROWS,
    validate_max=True,
)


def agenda_specs(formset: Any) -> list[AgendaItemSpec]:
    """The rows that say something and are not ticked for removal, as the service takes them."""
    specs = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        specs.append(
            AgendaItemSpec(
                position=data["position"],
                starts_at=data["starts_at"],
                ends_at=data.get("ends_at"),
                kind=data["kind"],
                title_ar=data["title_ar"],
                title_fr=data["title_fr"],
            )
        )
    return specs


def agenda_initial(meeting: Meeting) -> list[dict[str, Any]]:
    return [
        {
            "position": item.position,
            "starts_at": item.starts_at,
            "ends_at": item.ends_at,
            "kind": item.kind,
            "title_ar": item.title_ar,
            "title_fr": item.title_fr,
        }
        for item in meeting.agenda_items.order_by("position")
    ]


class WorkshopForm(forms.Form):
    theme = _Choice(label=_("Theme"), queryset=Theme.objects.none())
    position = forms.IntegerField(label=_("Position"), min_value=1, max_value=999)
    title_ar = forms.CharField(
        label=_("Title (Arabic)"), max_length=300, widget=forms.TextInput(attrs={"dir": "rtl"})
    )
    title_fr = forms.CharField(
        label=_("Title (French)"), max_length=300, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    question_ar = forms.CharField(
        label=_("Question put to the table (Arabic)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "rtl"}),
    )
    question_fr = forms.CharField(
        label=_("Question put to the table (French)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
    )
    room = forms.CharField(label=_("Room"), max_length=200, required=False)
    facilitator = _Choice(label=_("Facilitator"), queryset=User.objects.none(), required=False)
    rapporteur = _Choice(label=_("Rapporteur"), queryset=User.objects.none(), required=False)
    sms_keyword = forms.CharField(
        label=_("SMS keyword"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto", "autocomplete": "off"}),
        help_text=_(
            "One word (2 to 16 letters or digits, such as TAR3) that people send first in an "
            "SMS to contribute to this round table. Leave empty for no SMS."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.order_by("position", "slug")  # type: ignore[attr-defined]
        self.fields["facilitator"].queryset = _staff(Role.FACILITATOR)  # type: ignore[attr-defined]
        self.fields["rapporteur"].queryset = _staff(Role.RAPPORTEUR)  # type: ignore[attr-defined]


class InvitationForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=200,
        help_text=_("Whom it is for, as staff will recognise it."),
    )
    meeting = _Choice(
        label=_("Meeting"),
        queryset=Meeting.objects.none(),
        required=False,
        help_text=_("With a meeting, the link leads on to its registration."),
    )
    organisation = forms.CharField(label=_("Organisation"), max_length=300, required=False)
    actor_type = _Choice(label=_("Actor type"), queryset=ActorType.objects.none(), required=False)
    territory = _Choice(label=_("Province"), queryset=Territory.objects.none(), required=False)
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "dir": "ltr"}, format=DATETIME_FORMAT
        ),
        help_text=_("Leave empty for 30 days."),
    )

    def __init__(self, *args: Any, consultation: Consultation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = consultation.meetings.order_by("starts_at")  # type: ignore[attr-defined]
        self.fields["actor_type"].queryset = ActorType.objects.filter(parent__isnull=True)  # type: ignore[attr-defined]
        self.fields["territory"].queryset = Territory.objects.filter(  # type: ignore[attr-defined]
            parent=consultation.region
        ).order_by("code")
