"""The public pages that compose several apps, and the participant's "My data" pages.
Thin: parse → authorise → selectors → render (STYLE.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from tashawur.actors.selectors import participant_get_for_export
from tashawur.consultations import attendance as meeting_attendance
from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Consultation, Strategy
from tashawur.consultations.selectors import consultation_get_for_user, meeting_get_for_user
from tashawur.contributions import rules as contribution_rules
from tashawur.contributions import selectors as contribution_selectors
from tashawur.core.errors import DomainError
from tashawur.core.page_cache import anonymous_page
from tashawur.programmes.selectors import programme_visible_for
from tashawur.web import exports, page_versions
from tashawur.web.content_cache import content_cached

MY_DATA_PAGE = "web/my_data.html"
NOT_FOUND = 404


# -- consultations, meetings ---------------------------------------------------------------------


@require_safe
@anonymous_page(page_versions.home_page_versions)
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        # The list is everyone's: its HTML is cached, the frame (name, menu) is the reader's.
        content = content_cached(
            "home",
            page_versions.home_page_versions(request),
            lambda: render_to_string("web/home.html#content", _home_context(), request),
        )
        return render(request, "web/home.html", {"content": content})
    return render(request, "web/home.html", _home_context())


def _home_context() -> dict[str, object]:
    consultations = contribution_selectors.consultation_list_with_cached_counts()
    # The strategies the regional consultations feed, each with its national picture (/s/).
    strategies = (
        Strategy.objects.exclude(status=Strategy.Status.DRAFT)
        .annotate(
            regions_consulted=Count(
                "consultations__region",
                filter=~Q(consultations__status=Consultation.Status.DRAFT),
                distinct=True,
            )
        )
        .filter(regions_consulted__gt=0)
        .order_by("-created_at")
    )
    return {"consultations": consultations, "strategies": strategies}


@require_safe
@anonymous_page(page_versions.consultation_page_versions)
def consultation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = consultation_get_for_user(slug=slug, user=request.user)
    # A link to the action programme, when this reader may follow it (the exports block's
    # programme files too), and to the moderation queue, for its managers and its workshops'
    # facilitators: all that the page's body shows of its reader.
    programme = programme_visible_for(consultation=consultation, user=request.user)
    versions: tuple[object, ...] = ()
    facilitates = None
    if request.user.is_authenticated:
        # Whether the reader facilitates one of its round tables: counted with their version.
        versions, facilitates = page_versions.consultation_page_versions_for_reader(
            request, consultation
        )
    may_moderate = contribution_rules.can_moderate_consultation(
        request.user, consultation, facilitates=facilitates
    )

    def context() -> dict[str, object]:
        # What the cards show, no more: no count nor theme of the round tables (issue 15).
        meetings = consultation.meetings.prefetch_related("workshops").order_by("starts_at")
        counts = next(
            iter(contribution_selectors.consultation_list_with_cached_counts(pk=consultation.pk)),
            None,
        )
        return {
            "consultation": consultation,
            "meetings": meetings,
            "counts": counts,
            "programme": programme,
            "may_moderate": may_moderate,
        }

    if request.user.is_authenticated:
        # The body cached under the page's versions and what it shows of the reader.
        content = content_cached(
            "consultation",
            (*versions, programme is not None, may_moderate),
            lambda: render_to_string("web/consultation.html#content", context(), request),
        )
        page = {"consultation": consultation, "content": content}
        return render(request, "web/consultation.html", page)
    return render(request, "web/consultation.html", context())


@require_safe
def meeting_detail(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = meeting_get_for_user(slug=slug, user=request.user)
    workshops = (
        meeting.workshops.select_related("theme", "facilitator")
        .annotate(contributions_count=Count("contributions", distinct=True))
        .order_by("position")
    )
    participant = getattr(request.user, "participant", None)
    registration = meeting_attendance.registration_of(meeting=meeting, participant=participant)
    response = render(
        request,
        "web/meeting.html",
        {
            "meeting": meeting,
            "agenda_items": meeting.agenda_items.order_by("position"),
            "workshops": workshops,
            # The reader's own registration (register, waiting list, badge, cancel).
            "participant": participant,
            "registration": registration,
            "waitlist_position": (
                meeting_attendance.waitlist_position(registration=registration)
                if registration
                else None
            ),
            # Links to the door and the attendance sheet, for the meeting's staff.
            "is_meeting_staff": consultation_rules.is_meeting_staff(request.user, meeting),
            # Counts only, for everyone: how many registered, came, and seats left.
            "door": meeting_attendance.meeting_door_counts(meeting=meeting),
        },
    )
    if request.user.is_authenticated:
        patch_cache_control(response, private=True)
    return response


# -- "My data" -----------------------------------------------------------------------------------


def _nothing_to_export(request: HttpRequest, error: DomainError, *, status: int) -> HttpResponse:
    return render(request, MY_DATA_PAGE, {"unavailable": error.message}, status=status)


def _download(content: bytes, *, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    # Personal data: no shared or browser cache keeps a copy.
    patch_cache_control(response, no_store=True, private=True)
    return response


@require_safe
@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    try:
        participant = participant_get_for_export(user=request.user)
    except DomainError as error:
        return _nothing_to_export(request, error, status=200)
    response = render(request, MY_DATA_PAGE, {"participant": participant})
    patch_cache_control(response, private=True)
    return response


@require_safe
@login_required
def my_data_json(request: HttpRequest) -> HttpResponse:
    try:
        participant = participant_get_for_export(user=request.user)
    except DomainError as error:
        return _nothing_to_export(request, error, status=NOT_FOUND)
    now = timezone.now()
    document = exports.participant_data_export(participant=participant, at=now)
    return _download(
        exports.export_json(document),
        content_type="application/json; charset=utf-8",
        file_name=exports.export_file_name(day=timezone.localdate(now), extension="json"),
    )


@require_safe
@login_required
def my_data_csv(request: HttpRequest) -> HttpResponse:
    try:
        participant = participant_get_for_export(user=request.user)
    except DomainError as error:
        return _nothing_to_export(request, error, status=NOT_FOUND)
    now = timezone.now()
    day = timezone.localdate(now)
    document = exports.participant_data_export(participant=participant, at=now)
    return _download(
        exports.export_csv_zip(document, day=day),
        content_type="application/zip",
        file_name=exports.export_file_name(day=day, extension="zip"),
    )
