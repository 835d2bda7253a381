"""Admin for the consultations' setup and their workshops.

Setup data with no service and no rule the database does not hold stays plainly editable here:
themes, strategies, consultations, meetings and their agendas, a workshop's own fields. What a
service owns goes through it: a workshop opens and closes with ``workshop_open`` and
``workshop_close`` (actions; its status is read-only everywhere), its roster grows with
``attendance_record``, a registration is made with ``meeting_register`` and cancelled with
``registration_cancel``. Workshops, attendances and registrations are never deleted here.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tashawur.consultations import rules
from tashawur.consultations.models import (
    AgendaItem,
    Attendance,
    Consultation,
    Meeting,
    Registration,
    Strategy,
    Theme,
    Workshop,
)
from tashawur.consultations.services import (
    attendance_record,
    meeting_register,
    registration_cancel,
    workshop_close,
    workshop_open,
)
from tashawur.core.admin import ServiceWritesAdmin, formset_written_by_service, object_adopt
from tashawur.core.errors import DomainError


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("slug", "label_ar", "label_fr", "parent", "in_taroudant_2018_workshops")
    list_filter = ("in_taroudant_2018_workshops",)
    search_fields = ("slug", "label_ar", "label_fr", "label_en")
    autocomplete_fields = ("parent",)


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ("title_ar", "title_fr", "territory", "status")
    list_filter = ("status",)
    search_fields = ("slug", "title_ar", "title_fr")
    autocomplete_fields = ("territory",)


class MeetingInline(admin.TabularInline):
    model = Meeting
    extra = 0
    fields = ("title_ar", "starts_at", "venue_ar", "status")
    show_change_link = True


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ("title_ar", "title_fr", "region", "status", "meetings_total", "analysts_names")
    list_filter = ("status", "strategy")
    search_fields = ("slug", "title_ar", "title_fr", "region__name_ar", "region__name_fr")
    autocomplete_fields = ("strategy", "region", "coordinators", "analysts")
    inlines = [MeetingInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Consultation]:
        queryset: QuerySet[Consultation] = super().get_queryset(request)
        return (
            queryset.select_related("region")
            .prefetch_related("analysts")
            .annotate(meetings_total=Count("meetings"))
        )

    @admin.display(description=_("meetings"), ordering="meetings_total")
    def meetings_total(self, obj: Consultation) -> int:
        return int(obj.meetings_total)  # type: ignore[attr-defined]

    @admin.display(description=_("analysts"))
    def analysts_names(self, obj: Consultation) -> str | None:
        """Who may run, curate and write this consultation's diagnosis besides coordinators."""
        names = sorted(user.get_full_name() or user.username for user in obj.analysts.all())
        return ", ".join(names) or None


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ("position", "starts_at", "ends_at", "kind", "title_ar", "title_fr")


class WorkshopInline(admin.TabularInline):
    model = Workshop
    extra = 0
    fields = ("position", "title_ar", "theme", "facilitator", "rapporteur", "status")
    # Opening and closing go through the services (the workshop list's actions), not a field.
    readonly_fields = ("status",)
    autocomplete_fields = ("theme", "facilitator", "rapporteur")
    show_change_link = True
    can_delete = False


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("title_ar", "consultation", "starts_at", "venue_ar", "status")
    list_filter = ("status", "consultation")
    search_fields = ("slug", "title_ar", "title_fr", "venue_ar", "venue_fr")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("consultation", "territory")
    inlines = [AgendaItemInline, WorkshopInline]


class AttendanceInline(admin.TabularInline):
    """New rows go through ``attendance_record`` (``WorkshopAdmin.save_formset``); a roster
    line once recorded is not changed here."""

    model = Attendance
    extra = 0
    can_delete = False
    fields = ("participant", "recorded_at", "recorded_by")
    readonly_fields = ("recorded_at", "recorded_by")
    autocomplete_fields = ("participant",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Workshop)
class WorkshopAdmin(ServiceWritesAdmin):
    list_display = (
        "title_ar",
        "meeting",
        "theme",
        "facilitator",
        "status",
        "contributions_total",
    )
    list_filter = ("status", "meeting", "theme")
    search_fields = ("title_ar", "title_fr", "question_ar", "question_fr")
    autocomplete_fields = ("meeting", "theme", "facilitator", "rapporteur")
    # Opening and closing go through the services (workshop_open, workshop_close), not a field.
    # The rapporteur's report is written on the workshop's close page, where each cited
    # contribution is checked (contributions.services.workshop_close_with_report).
    readonly_fields = (
        "status",
        "opened_at",
        "closed_at",
        "closing_report",
        "contributions_total",
    )
    inlines = [AttendanceInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A workshop is the record of what was said in it: no service removes one.
        return False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Attendance:
            super().save_formset(request, form, formset, change)
            return
        formset_written_by_service(formset)
        for row in formset.forms:
            data = row.cleaned_data
            if data and row.instance.pk is None:
                attendance_record(
                    workshop=form.instance,
                    participant=data["participant"],
                    recorded_by=request.user,  # type: ignore[arg-type]
                )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workshop]:
        queryset: QuerySet[Workshop] = super().get_queryset(request)
        return queryset.select_related("meeting", "theme", "facilitator").annotate(
            contributions_total=Count("contributions")
        )

    @admin.display(description=_("contributions"), ordering="contributions_total")
    def contributions_total(self, obj: Workshop) -> int:
        return getattr(obj, "contributions_total", 0)

    actions = ["open_workshops", "close_workshops"]

    @admin.action(description=_("Open the selected workshops"))
    def open_workshops(self, request: HttpRequest, queryset: QuerySet[Workshop]) -> None:
        opened = 0
        for workshop in queryset:
            if not rules.can_open_workshop(request.user, workshop):
                self.message_user(
                    request,
                    _("You may not open “%(workshop)s”.") % {"workshop": workshop},
                    messages.WARNING,
                )
                continue
            try:
                workshop_open(workshop=workshop)
            except DomainError as error:
                self.message_user(request, f"{workshop}: {error.message}", messages.WARNING)
            else:
                opened += 1
        if opened:
            self.message_user(
                request,
                ngettext("%(count)s workshop opened.", "%(count)s workshops opened.", opened)
                % {"count": opened},
                messages.SUCCESS,
            )

    @admin.action(description=_("Close the selected workshops with their closing report"))
    def close_workshops(self, request: HttpRequest, queryset: QuerySet[Workshop]) -> None:
        closed = 0
        for workshop in queryset:
            if not rules.can_close_workshop(request.user, workshop):
                self.message_user(
                    request,
                    _("You may not close “%(workshop)s”.") % {"workshop": workshop},
                    messages.WARNING,
                )
                continue
            try:
                workshop_close(workshop=workshop, closing_report=workshop.closing_report)
            except DomainError as error:
                self.message_user(request, f"{workshop}: {error.message}", messages.WARNING)
            else:
                closed += 1
        if closed:
            self.message_user(
                request,
                ngettext("%(count)s workshop closed.", "%(count)s workshops closed.", closed)
                % {"count": closed},
                messages.SUCCESS,
            )


@admin.register(Registration)
class RegistrationAdmin(ServiceWritesAdmin):
    list_display = ("participant", "meeting", "status", "created_at")
    list_filter = ("status", "meeting")
    search_fields = ("participant__display_name",)
    autocomplete_fields = ("participant", "meeting")
    fields = ("participant", "meeting", "status")
    readonly_fields = ("status",)
    actions = ["cancel_registrations"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Registered with meeting_register (here: add), cancelled with the action below.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Registration, form: Any, change: bool) -> None:
        data = form.cleaned_data
        created = meeting_register(meeting=data["meeting"], participant=data["participant"])
        object_adopt(obj, created)

    @admin.action(description=_("Cancel the selected registrations"))
    def cancel_registrations(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        cancelled = 0
        for registration in queryset.filter(status=Registration.Status.REGISTERED):
            registration_cancel(registration=registration)
            cancelled += 1
        self.message_user(
            request,
            ngettext(
                "%(count)s registration cancelled.", "%(count)s registrations cancelled.", cancelled
            )
            % {"count": cancelled},
            messages.SUCCESS,
        )
