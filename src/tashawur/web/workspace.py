"""The staff workspace, ``/manage/``: consultations, meetings and their agenda, workshops and
invitation links, scoped by role and territory (``consultations.rules``); and the public
invitation landing ``/i/<token>/``. Thin: parse → authorise (a selector) → one service →
redirect or render (STYLE.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from tashawur.actors.models import Organisation
from tashawur.consultations import rules
from tashawur.consultations import selectors as consultation_selectors
from tashawur.consultations.models import Consultation, Meeting, Registration, Workshop
from tashawur.consultations.services import (
    INVITATION_LIFETIME,
    consultation_create,
    consultation_update,
    invitation_create,
    invitation_usable,
    invitation_withdraw,
    meeting_create,
    meeting_update,
    workshop_create,
    workshop_update,
)
from tashawur.contributions import rules as contribution_rules
from tashawur.core.errors import DomainError
from tashawur.core.validation import id_parse
from tashawur.web.workspace_forms import (
    AgendaFormSet,
    ConsultationForm,
    InvitationForm,
    MeetingForm,
    WorkshopForm,
    agenda_initial,
    agenda_specs,
)

UNPROCESSABLE = 422
GONE = 410
#: The session key that remembers which invitation brought a person to the sign-up page.
INVITATION_SESSION_KEY = "tashawur_invitation"


def _staff_only(request: HttpRequest) -> None:
    if not rules.can_use_workspace(request.user):
        raise PermissionDenied


def _private(response: HttpResponse) -> HttpResponse:
    # Staff pages show names: no shared cache keeps a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _url_or_none(name: str, *args: Any) -> str | None:
    """A link to a page another part of the site may not provide yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _error_to_form(form: Any, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# -- the dashboard -------------------------------------------------------------------------------


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    user = request.user
    workshops = Workshop.objects.select_related("theme", "facilitator", "rapporteur").annotate(
        contributions_count=Count("contributions", distinct=True)
    )
    meetings = (
        Meeting.objects.select_related("territory")
        .annotate(
            registrations_count=Count(
                "registrations",
                filter=Q(registrations__status=Registration.Status.REGISTERED),
                distinct=True,
            )
        )
        .prefetch_related(Prefetch("workshops", queryset=workshops.order_by("position")))
        .order_by("starts_at")
    )
    consultations = list(
        consultation_selectors.consultations_for_workspace(user=user).prefetch_related(
            Prefetch("meetings", queryset=meetings)
        )
    )
    for consultation in consultations:
        consultation.may_manage = rules.can_manage_consultation(user, consultation)  # type: ignore[attr-defined]
        consultation.may_moderate = contribution_rules.can_moderate_consultation(  # type: ignore[attr-defined]
            user, consultation
        )
        consultation.may_analyse = consultation.may_manage or rules.is_consultation_analyst(  # type: ignore[attr-defined]
            user, consultation
        )
        for meeting in consultation.meetings.all():
            meeting.checkin_url = _url_or_none("web:meeting_checkin", meeting.slug)  # type: ignore[attr-defined]
            meeting.attendance_url = _url_or_none(  # type: ignore[attr-defined]
                "web:meeting_attendance_xlsx", meeting.slug
            )
    own = list(
        consultation_selectors.workshops_for_staff(user=user).annotate(
            contributions_count=Count("contributions", distinct=True)
        )
    )
    for workshop in own:
        workshop.may_open = rules.can_open_workshop(user, workshop)  # type: ignore[attr-defined]
        workshop.may_close = rules.can_close_workshop(user, workshop)  # type: ignore[attr-defined]
    context = {
        "consultations": consultations,
        "own_workshops": own,
        "may_create": rules.can_create_consultation(user),
        "may_issue_tokens": rules.can_issue_device_tokens(user),
    }
    return _private(render(request, "web/manage/dashboard.html", context))


# -- consultations -------------------------------------------------------------------------------


def _consultation_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "strategy": data["strategy"],
        "region": data["region"],
        "title_ar": data["title_ar"],
        "title_fr": data["title_fr"],
        "status": data["status"],
        "moderation": data["moderation"],
        "coordinators": list(data["coordinators"]),
        "analysts": list(data["analysts"]),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def consultation_new(request: HttpRequest) -> HttpResponse:
    if not rules.can_create_consultation(request.user):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = ConsultationForm(request.POST)
        status = UNPROCESSABLE
        if form.is_valid():
            try:
                consultation = consultation_create(**_consultation_fields(form.cleaned_data))
            except DomainError as error:
                _error_to_form(form, error)
            else:
                messages.success(request, _("The consultation is created."))
                return HttpResponseRedirect(
                    reverse("web:manage_consultation", args=[consultation.slug])
                )
    else:
        form = ConsultationForm(
            initial={
                "status": Consultation.Status.DRAFT,
                "moderation": Consultation.Moderation.POST,
            }
        )
    context = {"form": form, "consultation": None}
    return _private(render(request, "web/manage/consultation_form.html", context, status=status))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def consultation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = consultation_selectors.consultation_get_for_manager(slug=slug, user=request.user)
    initial = {
        "strategy": consultation.strategy_id,
        "region": consultation.region_id,
        "title_ar": consultation.title_ar,
        "title_fr": consultation.title_fr,
        "status": consultation.status,
        "moderation": consultation.moderation,
        "coordinators": list(consultation.coordinators.values_list("pk", flat=True)),
        "analysts": list(consultation.analysts.values_list("pk", flat=True)),
    }
    scope_fixed = not rules.can_create_consultation(request.user)
    status = 200
    if request.method == "POST":
        form = ConsultationForm(request.POST, initial=initial, scope_fixed=scope_fixed)
        status = UNPROCESSABLE
        if form.is_valid():
            try:
                consultation_update(
                    consultation=consultation, **_consultation_fields(form.cleaned_data)
                )
            except DomainError as error:
                _error_to_form(form, error)
            else:
                messages.success(request, _("The consultation is saved."))
                return HttpResponseRedirect(reverse("web:manage_consultation", args=[slug]))
    else:
        form = ConsultationForm(initial=initial, scope_fixed=scope_fixed)
    context = {"form": form, "consultation": consultation}
    return _private(render(request, "web/manage/consultation_form.html", context, status=status))


# -- meetings and their agenda -------------------------------------------------------------------


def _meeting_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: data[key]
        for key in (
            "title_ar",
            "title_fr",
            "starts_at",
            "ends_at",
            "venue_ar",
            "venue_fr",
            "territory",
            "capacity",
        )
    }


def _meeting_page(
    request: HttpRequest,
    *,
    consultation: Consultation,
    meeting: Meeting | None,
) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = MeetingForm(request.POST, consultation=consultation)
        agenda = AgendaFormSet(request.POST, prefix="agenda")
        status = UNPROCESSABLE
        if form.is_valid() and agenda.is_valid():
            fields = _meeting_fields(form.cleaned_data)
            try:
                if meeting is None:
                    meeting = meeting_create(
                        consultation=consultation, agenda_items=agenda_specs(agenda), **fields
                    )
                    messages.success(request, _("The meeting is created."))
                else:
                    meeting_update(meeting=meeting, agenda_items=agenda_specs(agenda), **fields)
                    messages.success(request, _("The meeting is saved."))
            except DomainError as error:
                _error_to_form(form, error)
            else:
                return HttpResponseRedirect(reverse("web:manage_meeting", args=[meeting.slug]))
    elif meeting is None:
        form = MeetingForm(consultation=consultation)
        agenda = AgendaFormSet(prefix="agenda")
    else:
        form = MeetingForm(
            consultation=consultation,
            initial={
                "title_ar": meeting.title_ar,
                "title_fr": meeting.title_fr,
                "starts_at": timezone.localtime(meeting.starts_at),
                "ends_at": timezone.localtime(meeting.ends_at),
                "venue_ar": meeting.venue_ar,
                "venue_fr": meeting.venue_fr,
                "territory": meeting.territory_id,
                "capacity": meeting.capacity,
            },
        )
        agenda = AgendaFormSet(prefix="agenda", initial=agenda_initial(meeting))
    workshops = (
        meeting.workshops.select_related("theme", "facilitator", "rapporteur").order_by("position")
        if meeting is not None and meeting.pk
        else []
    )
    context = {
        "form": form,
        "agenda": agenda,
        "consultation": consultation,
        "meeting": meeting,
        "workshops": workshops,
    }
    return _private(render(request, "web/manage/meeting_form.html", context, status=status))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def meeting_new(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = consultation_selectors.consultation_get_for_manager(slug=slug, user=request.user)
    return _meeting_page(request, consultation=consultation, meeting=None)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def meeting_edit(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = consultation_selectors.meeting_get_for_manager(slug=slug, user=request.user)
    return _meeting_page(request, consultation=meeting.consultation, meeting=meeting)


# -- workshops -----------------------------------------------------------------------------------


def _workshop_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: data[key]
        for key in (
            "theme",
            "position",
            "title_ar",
            "title_fr",
            "question_ar",
            "question_fr",
            "room",
            "facilitator",
            "rapporteur",
            "sms_keyword",
        )
    }


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def workshop_new(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = consultation_selectors.meeting_get_for_manager(slug=slug, user=request.user)
    status = 200
    if request.method == "POST":
        form = WorkshopForm(request.POST)
        status = UNPROCESSABLE
        if form.is_valid():
            try:
                workshop = workshop_create(meeting=meeting, **_workshop_fields(form.cleaned_data))
            except DomainError as error:
                _error_to_form(form, error)
            else:
                messages.success(request, _("The round table is created."))
                return HttpResponseRedirect(reverse("web:manage_workshop", args=[workshop.pk]))
    else:
        last = meeting.workshops.order_by("-position").values_list("position", flat=True).first()
        form = WorkshopForm(initial={"position": (last or 0) + 1})
    context = {"form": form, "meeting": meeting, "workshop": None}
    return _private(render(request, "web/manage/workshop_form.html", context, status=status))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def workshop_edit(request: HttpRequest, pk: int) -> HttpResponse:
    workshop = consultation_selectors.workshop_get_for_manager(workshop_id=pk, user=request.user)
    status = 200
    if request.method == "POST":
        form = WorkshopForm(request.POST)
        status = UNPROCESSABLE
        if form.is_valid():
            try:
                workshop_update(workshop=workshop, **_workshop_fields(form.cleaned_data))
            except DomainError as error:
                _error_to_form(form, error)
            else:
                messages.success(request, _("The round table is saved."))
                return HttpResponseRedirect(reverse("web:manage_workshop", args=[pk]))
    else:
        form = WorkshopForm(
            initial={
                "theme": workshop.theme_id,
                "position": workshop.position,
                "title_ar": workshop.title_ar,
                "title_fr": workshop.title_fr,
                "question_ar": workshop.question_ar,
                "question_fr": workshop.question_fr,
                "room": workshop.room,
                "facilitator": workshop.facilitator_id,
                "rapporteur": workshop.rapporteur_id,
                "sms_keyword": workshop.sms_keyword or "",
            }
        )
    context = {"form": form, "meeting": workshop.meeting, "workshop": workshop}
    return _private(render(request, "web/manage/workshop_form.html", context, status=status))


# -- invitations ---------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def invitations(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = consultation_selectors.consultation_get_for_manager(slug=slug, user=request.user)
    page = reverse("web:manage_invitations", args=[slug])
    status = 200
    form = InvitationForm(consultation=consultation)
    if request.method == "POST" and "withdraw" in request.POST:
        try:
            invitation_id = id_parse(request.POST["withdraw"], field="withdraw")
            invitation = consultation_selectors.invitation_get_for_manager(
                consultation=consultation, invitation_id=invitation_id
            )
            invitation_withdraw(invitation=invitation)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The invitation is withdrawn: its link no longer works."))
        return HttpResponseRedirect(page)
    if request.method == "POST":
        form = InvitationForm(request.POST, consultation=consultation)
        status = UNPROCESSABLE
        if form.is_valid():
            data = form.cleaned_data
            try:
                invitation_create(
                    consultation=consultation,
                    created_by=request.user,
                    label=data["label"],
                    meeting=data["meeting"],
                    organisation=data["organisation"],
                    actor_type=data["actor_type"],
                    territory=data["territory"],
                    expires_at=data["expires_at"],
                )
            except DomainError as error:
                _error_to_form(form, error)
            else:
                messages.success(request, _("The invitation is created: copy its link below."))
                return HttpResponseRedirect(page)
    now = timezone.now()
    rows = [
        {
            "invitation": invitation,
            "usable": invitation_usable(invitation, at=now),
            "link": request.build_absolute_uri(reverse("web:invitation", args=[invitation.token])),
        }
        for invitation in consultation.invitations.select_related(
            "meeting", "actor_type", "territory"
        ).order_by("-created_at")
    ]
    context = {
        "consultation": consultation,
        "form": form,
        "rows": rows,
        "lifetime_days": INVITATION_LIFETIME.days,
    }
    return _private(render(request, "web/manage/invitations.html", context, status=status))


@require_safe
def invitation_landing(request: HttpRequest, token: str) -> HttpResponse:
    """Where an invitation link leads: to the sign-up page, pre-filled with where the person
    belongs (never who they are), then on to the meeting's registration when there is one."""
    invitation = consultation_selectors.invitation_get_by_token(token=token)
    if not invitation_usable(invitation):
        response = render(
            request, "web/manage/invitation_gone.html", {"invitation": invitation}, status=GONE
        )
        patch_cache_control(response, private=True, no_store=True)
        return response
    request.session[INVITATION_SESSION_KEY] = invitation.pk
    query: dict[str, Any] = {}
    if invitation.territory_id:
        query["territory"] = invitation.territory_id
    if invitation.actor_type_id:
        query["actor_type"] = invitation.actor_type_id
    if invitation.organisation:
        organisation = Organisation.objects.filter(name=invitation.organisation).first()
        if organisation is not None:
            query["organisation"] = organisation.pk
    if invitation.meeting is not None:
        query["next"] = _url_or_none("web:meeting_register", invitation.meeting.slug) or reverse(
            "web:meeting", args=[invitation.meeting.slug]
        )
    else:
        query["next"] = reverse("web:consultation", args=[invitation.consultation.slug])
    response = HttpResponseRedirect(f"{reverse('web:signup')}?{urlencode(query)}")
    patch_cache_control(response, private=True, no_store=True)
    return response
