"""A meeting's door: a participant registers (or waits, or cancels) and downloads their badge;
the meeting's staff check people in (badge code, scan, photo of the badge, name search, walk-in
with oral consent) and download the attendance sheet. Thin: parse → authorise → one service or
selector → redirect or render (STYLE.md).

Names appear only on the badge (its holder's own) and on the staff's pages and sheet
(``rules.is_meeting_staff``), never on public pages."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe
from openpyxl import Workbook
from openpyxl.styles import Font

from tashawur.actors.models import ActorType, Organisation, Participant
from tashawur.actors.services import participant_has_active_consent
from tashawur.consultations import attendance, rules
from tashawur.consultations.models import Meeting, Registration
from tashawur.consultations.selectors import meeting_get_for_user
from tashawur.consultations.services import (
    badge_code_grouped,
    meeting_register,
    registration_cancel,
    registration_check_in,
    walk_in_register,
)
from tashawur.core.errors import DomainError
from tashawur.core.forms import IdModelChoiceField
from tashawur.core.text import escape_formula
from tashawur.programmes.pdf import font_faces, html_to_pdf
from tashawur.territories.models import Territory

UNPROCESSABLE = 422
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _private(response: HttpResponse) -> HttpResponse:
    # Names and badge codes: no shared or browser cache keeps a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _download(content: bytes, *, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    return _private(response)


def _own_participant(request: HttpRequest) -> Participant | None:
    participant: Participant | None = getattr(request.user, "participant", None)
    if participant is None or participant.erased_at is not None:
        return None
    return participant


# -- registration and badge (the participant) -----------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def meeting_register_page(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = meeting_get_for_user(slug=slug, user=request.user)
    participant = _own_participant(request)
    here = reverse("web:meeting_register", args=[meeting.slug])
    context: dict[str, Any] = {"meeting": meeting, "participant": participant}
    if participant is None:
        return _private(render(request, "web/meeting_register.html", context))
    if not participant_has_active_consent(participant=participant):
        return HttpResponseRedirect(reverse("web:me_consent") + "?" + urlencode({"next": here}))
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                registration = attendance.registration_of(meeting=meeting, participant=participant)
                if registration is not None:
                    registration_cancel(registration=registration)
                messages.success(request, _("Your registration is cancelled."))
            else:
                registration = meeting_register(meeting=meeting, participant=participant)
                if registration.status == Registration.Status.WAITLISTED:
                    messages.info(request, _("The meeting is full: you are on the waiting list."))
                else:
                    messages.success(request, _("You are registered for this meeting."))
            return HttpResponseRedirect(here)
        except DomainError as error:
            context["error"] = error.message
            status = UNPROCESSABLE
    registration = attendance.registration_of(meeting=meeting, participant=participant)
    context["registration"] = registration
    context["waitlist_position"] = (
        attendance.waitlist_position(registration=registration) if registration else None
    )
    return _private(render(request, "web/meeting_register.html", context, status=status))


def badge_qr(code: str) -> segno.QRCode:
    """The badge's QR code: it holds the code and nothing else. A full QR code, never a Micro
    QR (which phones' readers and jsQR do not read), with medium error correction."""
    return segno.make(code, error="m", micro=False)


def _qr_svg(code: str) -> str:
    """The badge's QR code as an inline SVG element, for the print template."""
    buffer = io.BytesIO()
    badge_qr(code).save(buffer, kind="svg", scale=6, border=2, xmldecl=False, svgns=True, nl=False)
    return buffer.getvalue().decode("utf-8")


@require_safe
@login_required
def meeting_badge(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = meeting_get_for_user(slug=slug, user=request.user)
    participant = _own_participant(request)
    registration = attendance.registration_of(meeting=meeting, participant=participant)
    if participant is None or registration is None:
        raise Http404
    if registration.status != Registration.Status.REGISTERED:
        raise Http404
    html = render_to_string(
        "web/meeting_badge_print.html",
        {
            "meeting": meeting,
            "participant": participant,
            "actor_type": participant.actor_type
            or getattr(participant.primary_organisation, "actor_type", None),
            "code_grouped": badge_code_grouped(registration.code),
            # segno's own output, from a code of Crockford characters only.
            "qr_svg": mark_safe(_qr_svg(registration.code)),  # noqa: S308
            "font_faces": font_faces(),
        },
        request=request,
    )
    return _download(
        html_to_pdf(html),
        content_type="application/pdf",
        file_name=f"badge-{meeting.slug}.pdf",
    )


# -- check-in (the meeting's staff) -------------------------------------------------------------


class _Choice(IdModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class WalkInForm(forms.Form):
    display_name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    actor_type = _Choice(
        label=gettext_lazy("Takes part as"),
        queryset=ActorType.objects.none(),
        required=False,
        empty_label="",
    )
    territory = _Choice(
        label=gettext_lazy("Province"),
        queryset=Territory.objects.none(),
        required=False,
        empty_label="",
    )
    gender = forms.ChoiceField(
        label=gettext_lazy("Gender"),
        choices=Participant.Gender.choices,
        initial=Participant.Gender.UNDISCLOSED,
    )
    organisation = _Choice(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=gettext_lazy("None, or not in the list"),
    )
    oral_consent = forms.BooleanField(
        label=gettext_lazy(
            "I read the participation terms to the person and they agreed to them orally."
        ),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor_type"].queryset = ActorType.objects.filter(  # type: ignore[attr-defined]
            parent__isnull=True
        )
        self.fields["territory"].queryset = Territory.objects.filter(  # type: ignore[attr-defined]
            level=Territory.Level.PROVINCE
        ).order_by("parent__code", "code")
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")  # type: ignore[attr-defined]


def _staff_meeting(request: HttpRequest, slug: str) -> Meeting:
    meeting = meeting_get_for_user(slug=slug, user=request.user)
    if not rules.is_meeting_staff(request.user, meeting):
        raise PermissionDenied
    return meeting


def _checked_in_message(request: HttpRequest, result: Any) -> None:
    name = result.registration.participant.display_name
    if result.already_at is not None:
        messages.warning(
            request,
            _("%(name)s was already checked in at %(time)s.")
            % {"name": name, "time": timezone.localtime(result.already_at).strftime("%H:%M")},
        )
    else:
        messages.success(request, _("%(name)s is checked in.") % {"name": name})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def meeting_checkin(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = _staff_meeting(request, slug)
    here = reverse("web:meeting_checkin", args=[meeting.slug])
    query = request.GET.get("q", "").strip()[:200]
    walk_in_form = WalkInForm()
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "code")
        try:
            if action == "walk_in":
                walk_in_form = WalkInForm(request.POST)
                if walk_in_form.is_valid():
                    data = walk_in_form.cleaned_data
                    registration = walk_in_register(
                        meeting=meeting,
                        display_name=data["display_name"],
                        actor_type=data["actor_type"],
                        territory=data["territory"],
                        gender=data["gender"],
                        organisation=data["organisation"],
                        oral_consent=data["oral_consent"],
                        by=request.user,  # type: ignore[arg-type]
                    )
                    messages.success(
                        request,
                        _("%(name)s is registered and checked in.")
                        % {"name": registration.participant.display_name},
                    )
                    return HttpResponseRedirect(here)
                error = _("Check the walk-in form.")
                status = UNPROCESSABLE
            elif action == "registration":
                chosen = Registration.objects.filter(
                    meeting=meeting, pk=_int(request.POST.get("registration"))
                ).first()
                if chosen is None:
                    raise Http404
                result = registration_check_in(
                    meeting=meeting,
                    registration=chosen,
                    by=request.user,  # type: ignore[arg-type]
                )
                _checked_in_message(request, result)
                back = here + ("?" + urlencode({"q": query}) if query else "")
                return HttpResponseRedirect(back)
            else:
                result = registration_check_in(
                    meeting=meeting,
                    code=request.POST.get("code", "")[:64],
                    by=request.user,  # type: ignore[arg-type]
                )
                _checked_in_message(request, result)
                return HttpResponseRedirect(here)
        except DomainError as domain_error:
            error = domain_error.message
            status = UNPROCESSABLE
            if domain_error.field and domain_error.field in walk_in_form.fields:
                walk_in_form.add_error(domain_error.field, domain_error.message)
    context = {
        "meeting": meeting,
        "counts": attendance.meeting_door_counts(meeting=meeting),
        "query": query,
        "results": (
            attendance.meeting_registrations_search(meeting=meeting, query=query) if query else None
        ),
        "walk_in_form": walk_in_form,
        "error": error,
    }
    return _private(render(request, "web/meeting_checkin.html", context, status=status))


def _int(value: str | None) -> int:
    return int(value) if value and value.isascii() and value.isdigit() else 0


# -- attendance sheet (the meeting's staff) -----------------------------------------------------


def _sheet_file_name(meeting: Meeting, extension: str) -> str:
    return f"attendance-{meeting.slug}.{extension}"


@require_safe
@login_required
def meeting_attendance_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = _staff_meeting(request, slug)
    sheet = attendance.meeting_attendance_sheet(meeting=meeting)
    book = Workbook()
    bold = Font(bold=True)

    def cell(value: Any) -> Any:
        return escape_formula(value) if isinstance(value, str) else value

    summary = book.active
    assert summary is not None
    summary.title = _("Totals")[:31]
    summary.sheet_view.rightToLeft = True
    summary.append([cell(meeting.title)])
    summary.append([cell(_("Checked in")), sheet.checked_in])
    for heading, rows in (
        (_("By round table"), [(w.title, n) for w, n in sheet.by_workshop]),
        (_("By actor type"), sheet.by_actor_type),
        (_("By gender"), sheet.by_gender),
    ):
        summary.append([])
        summary.append([cell(heading)])
        summary[summary.max_row][0].font = bold
        for label, count in rows:
            summary.append([cell(label), count])
    people = book.create_sheet(_("People")[:31])
    people.sheet_view.rightToLeft = True
    people.append(
        [
            cell(_("Name")),
            cell(_("Organisation")),
            cell(_("Actor type")),
            cell(_("Province")),
            cell(_("Walk-in")),
            cell(_("Checked in at")),
        ]
    )
    for header in people[1]:
        header.font = bold
    for row in sheet.people:
        people.append(
            [
                cell(row.name),
                cell(row.organisation),
                cell(row.actor_type),
                cell(row.province),
                cell(_("yes") if row.walk_in else _("no")),
                cell(timezone.localtime(row.checked_in_at).strftime("%Y-%m-%d %H:%M")),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return _download(out.getvalue(), content_type=XLSX, file_name=_sheet_file_name(meeting, "xlsx"))


@require_safe
@login_required
def meeting_attendance_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = _staff_meeting(request, slug)
    html = render_to_string(
        "web/meeting_attendance_print.html",
        {
            "meeting": meeting,
            "sheet": attendance.meeting_attendance_sheet(meeting=meeting),
            "font_faces": font_faces(),
            "printed_at": timezone.now(),
        },
        request=request,
    )
    return _download(
        html_to_pdf(html),
        content_type="application/pdf",
        file_name=_sheet_file_name(meeting, "pdf"),
    )
