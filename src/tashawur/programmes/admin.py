"""Admin for action programmes: the way coordinators build a programme in this first slice.

Every write goes through the services the rest of the site uses (``ServiceWritesAdmin``): a
programme is created by ``programme_create`` and adopted by ``programme_adopt`` (an action); a
measure is added by ``measure_add`` (on its own page or the programme's), changed by
``measure_update`` and ``measure_move``, funded by ``measure_set_funding``; indicators are
added by ``indicator_add`` and progress recorded by ``progress_record``. Each write to a
measure checks, under a row lock, that the programme is not closed. What no service changes is
read-only here: a programme's own fields once created, an indicator or a progress update once
recorded, and every delete. The forms run the services' checks first, to show their errors on
the field; the services decide.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tashawur.core.admin import (
    ReadOnlyAdmin,
    ServiceWritesAdmin,
    domain_error_add,
    formset_written_by_service,
    object_adopt,
)
from tashawur.core.errors import DomainError
from tashawur.programmes import rules
from tashawur.programmes.models import FundingLine, Indicator, Measure, Programme, ProgressUpdate
from tashawur.programmes.services import (
    indicator_add,
    measure_add,
    measure_check_takes_progress,
    measure_move,
    measure_placement_check,
    measure_set_funding,
    measure_update,
    programme_adopt,
    programme_create,
    progress_check,
    progress_record,
)


class MeasureAdminForm(forms.ModelForm):
    """The placement rules of ``services.measure_add`` and ``measure_move``, for admin edits."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        programme = data.get("programme")
        if programme is None and self.instance.programme_id is not None:
            programme = self.instance.programme  # an inline on the programme's page
        if programme is not None:
            try:
                measure_placement_check(
                    programme=programme,
                    measure=self.instance if self.instance.pk else None,
                    parent=data.get("parent"),
                    starts_on=data.get("starts_on"),
                    ends_on=data.get("ends_on"),
                    findings=list(data.get("findings") or []),
                )
            except DomainError as error:
                domain_error_add(self, error)
        return data


class MeasureInline(admin.TabularInline):
    """New measures go through ``measure_add`` (``ProgrammeAdmin.save_formset``); one added is
    changed on its own page, through the services."""

    model = Measure
    form = MeasureAdminForm
    extra = 0
    can_delete = False
    fields = ("code", "title_ar", "title_fr", "parent", "owner", "budget", "weight", "status")
    readonly_fields = ("status",)
    autocomplete_fields = ("owner",)
    show_change_link = True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_PROGRAMME_FIELDS = ("consultation", "title_ar", "title_fr", "starts_on", "ends_on")


@admin.register(Programme)
class ProgrammeAdmin(ServiceWritesAdmin):
    list_display = ("title_ar", "title_fr", "consultation", "status", "starts_on", "ends_on")
    list_filter = ("status",)
    search_fields = ("title_ar", "title_fr", "consultation__title_ar", "consultation__title_fr")
    autocomplete_fields = ("consultation",)
    readonly_fields = ("status", "adopted_at")
    inlines = [MeasureInline]
    actions = ["adopt"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("status", "adopted_at")
        # No service changes a programme once created (its period bounds its measures'): its
        # page adds measures, and the list adopts it.
        return (*_PROGRAMME_FIELDS, "status", "adopted_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Programme, form: Any, change: bool) -> None:
        if change:
            return  # nothing of the programme's own is editable (see get_readonly_fields)
        data = form.cleaned_data
        created = programme_create(
            consultation=data["consultation"],
            title_ar=data["title_ar"],
            title_fr=data["title_fr"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )
        object_adopt(obj, created)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset_written_by_service(formset)
        for row in formset.forms:
            data = row.cleaned_data
            if not data or row.instance.pk is not None:
                continue
            measure_add(
                programme=form.instance,
                code=data["code"],
                title_ar=data["title_ar"],
                title_fr=data["title_fr"],
                parent=data.get("parent"),
                owner=data.get("owner"),
                budget=data.get("budget"),
                weight=data["weight"],
            )

    @admin.action(description=_("Adopt the selected action programmes"))
    def adopt(self, request: HttpRequest, queryset: QuerySet[Programme]) -> None:
        for programme in queryset.select_related("consultation"):
            if not rules.can_edit_programme(request.user, programme.consultation):
                self.message_user(
                    request,
                    gettext("You may not adopt “%(programme)s”.") % {"programme": programme},
                    messages.WARNING,
                )
                continue
            try:
                programme_adopt(programme=programme)
            except DomainError as error:
                self.message_user(request, f"{programme}: {error.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(programme)s is adopted.") % {"programme": programme},
                    messages.SUCCESS,
                )


class FundingLineFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        budget = self.instance.budget
        total = sum(
            (
                form.cleaned_data.get("amount") or Decimal(0)
                for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ),
            Decimal(0),
        )
        if total and budget is None:
            raise forms.ValidationError(gettext("Set the measure's budget before its funding."))
        if budget is not None and total > budget:
            raise forms.ValidationError(
                gettext(
                    "The funding (%(total)s MAD) exceeds the measure's budget (%(budget)s MAD)."
                )
                % {"total": f"{total:.2f}", "budget": f"{budget:.2f}"}
            )


class FundingLineInline(admin.TabularInline):
    """Saved as a whole by ``measure_set_funding`` (``MeasureAdmin.save_related``)."""

    model = FundingLine
    formset = FundingLineFormSet
    extra = 0


class IndicatorInline(admin.TabularInline):
    """New indicators go through ``indicator_add``; one recorded is not changed here."""

    model = Indicator
    extra = 0
    can_delete = False
    fields = ("name_ar", "name_fr", "unit", "baseline", "target", "direction")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _funding_lines(formset: forms.BaseFormSet) -> dict[str, Decimal]:
    """The funding lines the formset leaves: source → amount."""
    lines: dict[str, Decimal] = {}
    for form in formset.forms:
        data = form.cleaned_data
        if data and not data.get("DELETE"):
            lines[data["source"]] = data["amount"]
    return lines


def _measure_own_fields(data: dict[str, Any]) -> dict[str, Any]:
    """What ``measure_add`` and ``measure_update`` both take from the measure's form."""
    return {
        "code": data["code"],
        "title_ar": data["title_ar"],
        "title_fr": data["title_fr"],
        "description_ar": data.get("description_ar", ""),
        "description_fr": data.get("description_fr", ""),
        "owner": data.get("owner"),
        "partners": data.get("partners") or (),
        "budget": data.get("budget"),
        "starts_on": data.get("starts_on"),
        "ends_on": data.get("ends_on"),
        "weight": data["weight"],
        "findings": data.get("findings") or (),
    }


@admin.register(Measure)
class MeasureAdmin(ServiceWritesAdmin):
    form = MeasureAdminForm
    list_display = ("code", "title_ar", "programme", "owner", "budget", "weight", "status")
    list_filter = ("status", "programme")
    search_fields = ("code", "title_ar", "title_fr")
    list_select_related = ("programme", "owner")
    autocomplete_fields = ("programme", "parent", "owner", "partners", "findings")
    inlines = [FundingLineInline, IndicatorInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A new measure starts planned (measure_add); a measure stays in its programme; its place
        # among its siblings moves in the programme workspace (measure_shift).
        return ("status", "position") if obj is None else ("programme", "position")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Measure, form: Any, change: bool) -> None:
        if change:
            return  # with its funding, in save_related: the order of the two matters
        data = form.cleaned_data
        created = measure_add(
            programme=data["programme"], parent=data.get("parent"), **_measure_own_fields(data)
        )
        object_adopt(obj, created)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Not Django's: form.save_m2m() and formset.save() would write around the services.
        measure: Measure = form.instance
        for formset in formsets:
            formset_written_by_service(formset)
        funding = next(f for f in formsets if f.model is FundingLine)
        lines = _funding_lines(funding)
        if change:
            before = Measure.objects.values("budget", "parent_id").get(pk=measure.pk)
            data = form.cleaned_data
            parent = data.get("parent")
            if (parent.pk if parent else None) != before["parent_id"]:
                measure_move(measure=measure, parent=parent)
            # Lines are checked against the budget stored when they are set, and the budget
            # against the lines stored: set first whichever keeps the other within bounds.
            funding_first = funding.has_changed() and (
                before["budget"] is not None and sum(lines.values(), Decimal(0)) <= before["budget"]
            )
            if funding_first:
                measure_set_funding(measure=measure, lines=lines)
            measure_update(
                measure=measure,
                status=data["status"],
                **_measure_own_fields(data),
            )
            if funding.has_changed() and not funding_first:
                measure_set_funding(measure=measure, lines=lines)
        elif lines:
            measure_set_funding(measure=measure, lines=lines)
        indicators = next(f for f in formsets if f.model is Indicator)
        for indicator_form in indicators.forms:
            data = indicator_form.cleaned_data
            if not data or indicator_form.instance.pk is not None:
                continue
            indicator_add(
                measure=measure,
                name_ar=data["name_ar"],
                name_fr=data["name_fr"],
                baseline=data["baseline"],
                target=data["target"],
                unit=data.get("unit", ""),
                direction=data["direction"],
            )


@admin.register(FundingLine)
class FundingLineAdmin(ReadOnlyAdmin):
    """Read-only: funding is set on the measure's page, through ``measure_set_funding``."""

    list_display = ("measure", "source", "amount")
    list_filter = ("source", "measure__programme")
    list_select_related = ("measure",)


@admin.register(Indicator)
class IndicatorAdmin(ServiceWritesAdmin):
    list_display = ("name_ar", "name_fr", "measure", "unit", "baseline", "target", "direction")
    list_select_related = ("measure",)
    search_fields = ("name_ar", "name_fr")
    autocomplete_fields = ("measure",)
    fields = ("measure", "name_ar", "name_fr", "unit", "baseline", "target", "direction")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # No service changes an indicator: its progress values were measured against it.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Indicator, form: Any, change: bool) -> None:
        data = form.cleaned_data
        created = indicator_add(
            measure=data["measure"],
            name_ar=data["name_ar"],
            name_fr=data["name_fr"],
            baseline=data["baseline"],
            target=data["target"],
            unit=data.get("unit", ""),
            direction=data["direction"],
        )
        object_adopt(obj, created)


class ProgressUpdateAdminForm(forms.ModelForm):
    """The rules of ``services.progress_record``, for updates entered in the admin."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        measure, on, percent = data.get("measure"), data.get("on"), data.get("percent")
        if measure is not None and on is not None and percent is not None:
            try:
                measure_check_takes_progress(measure)
                progress_check(
                    measure=measure,
                    on=on,
                    percent=percent,
                    indicator=data.get("indicator"),
                    indicator_value=data.get("indicator_value"),
                )
            except DomainError as error:
                domain_error_add(self, error)
        return data


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(ServiceWritesAdmin):
    form = ProgressUpdateAdminForm
    list_display = ("measure", "on", "percent", "indicator", "indicator_value", "recorded_by")
    list_filter = ("measure__programme",)
    list_select_related = ("measure", "indicator", "recorded_by")
    autocomplete_fields = ("measure", "indicator")
    fields = (
        "measure",
        "on",
        "percent",
        "note",
        "indicator",
        "indicator_value",
        "recorded_by",
        "created_at",
    )
    readonly_fields = ("recorded_by", "created_at")
    date_hierarchy = "on"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An update is a report made on a date: a new one supersedes it, none rewrites it.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ProgressUpdate, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        created = progress_record(
            measure=data["measure"],
            on=data["on"],
            percent=data["percent"],
            recorded_by=request.user,  # type: ignore[arg-type]
            note=data.get("note", ""),
            indicator=data.get("indicator"),
            indicator_value=data.get("indicator_value"),
        )
        object_adopt(obj, created)
