"""Admin for action programmes: the way coordinators build a programme in this first slice.

The admin writes rows directly, so the rules the services apply and the database cannot hold on
its own are checked again here: a measure's funding lines within its budget. Adoption goes
through ``services.programme_adopt`` (an action on the list of programmes).
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tashawur.core.errors import DomainError
from tashawur.programmes import rules
from tashawur.programmes.models import FundingLine, Indicator, Measure, Programme, ProgressUpdate
from tashawur.programmes.services import (
    measure_check_takes_progress,
    measure_placement_check,
    programme_adopt,
    progress_check,
)


def _add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


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
                _add_domain_error(self, error)
        return data


class MeasureInline(admin.TabularInline):
    model = Measure
    form = MeasureAdminForm
    extra = 0
    fields = ("code", "title_ar", "parent", "owner", "budget", "weight", "status")
    autocomplete_fields = ("owner",)
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("title_ar", "title_fr", "consultation", "status", "starts_on", "ends_on")
    list_filter = ("status",)
    search_fields = ("title_ar", "title_fr", "consultation__title_ar", "consultation__title_fr")
    autocomplete_fields = ("consultation",)
    readonly_fields = ("status", "adopted_at")
    inlines = [MeasureInline]
    actions = ["adopt"]

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
    model = FundingLine
    formset = FundingLineFormSet
    extra = 0


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ("name_ar", "name_fr", "unit", "baseline", "target", "direction")


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    form = MeasureAdminForm
    list_display = ("code", "title_ar", "programme", "owner", "budget", "weight", "status")
    list_filter = ("status", "programme")
    search_fields = ("code", "title_ar", "title_fr")
    list_select_related = ("programme", "owner")
    autocomplete_fields = ("programme", "parent", "owner", "partners", "findings")
    inlines = [FundingLineInline, IndicatorInline]


@admin.register(FundingLine)
class FundingLineAdmin(admin.ModelAdmin):
    list_display = ("measure", "source", "amount")
    list_filter = ("source", "measure__programme")
    list_select_related = ("measure",)
    autocomplete_fields = ("measure",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Added on the measure's page, where the total is checked against the budget.
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("name_ar", "name_fr", "measure", "unit", "baseline", "target", "direction")
    list_select_related = ("measure",)
    search_fields = ("name_ar", "name_fr")
    autocomplete_fields = ("measure",)


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
                _add_domain_error(self, error)
        return data


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    form = ProgressUpdateAdminForm
    list_display = ("measure", "on", "percent", "indicator", "indicator_value", "recorded_by")
    list_filter = ("measure__programme",)
    list_select_related = ("measure", "indicator", "recorded_by")
    autocomplete_fields = ("measure", "indicator")
    readonly_fields = ("recorded_by", "created_at")
    date_hierarchy = "on"

    def save_model(
        self, request: HttpRequest, obj: ProgressUpdate, form: object, change: bool
    ) -> None:
        if not change:
            obj.recorded_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
