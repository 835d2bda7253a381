"""Admin for the actors: reference data, participants and their consents.

Actor types, quality signs and organisations are reference data with no service and no rule
the database does not hold: editable here. A consent text, once published, is never edited (a
change is a new version). A participant's profile is edited here, but never after erasure, and
a participant is never deleted (erasure is ``participant_erase``: votes and contributions stay).
Consents are recorded through ``consent_record``; the history is read, never rewritten.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tashawur.actors.models import (
    ActorType,
    Consent,
    ConsentText,
    Organisation,
    Participant,
    QualitySign,
)
from tashawur.actors.services import consent_record
from tashawur.core.admin import ServiceWritesAdmin, formset_written_by_service


@admin.register(ActorType)
class ActorTypeAdmin(admin.ModelAdmin):
    list_display = ("slug", "label_ar", "label_fr", "category", "parent", "needs_verification")
    list_filter = ("category", "needs_verification")
    search_fields = ("slug", "label_ar", "label_fr", "label_en")
    autocomplete_fields = ("parent",)


@admin.register(QualitySign)
class QualitySignAdmin(admin.ModelAdmin):
    list_display = ("name", "sign_type", "product", "year", "status")
    list_filter = ("sign_type",)
    search_fields = ("name", "product", "holder", "region_text")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "name_fr", "actor_type", "sector", "territory")
    list_filter = ("sector", "actor_type")
    search_fields = ("name", "name_fr", "slug")
    autocomplete_fields = ("actor_type", "territory", "quality_signs")
    prepopulated_fields = {"slug": ("name_fr",)}


class ConsentInline(admin.TabularInline):
    """New answers go through ``consent_record`` (``ParticipantAdmin.save_formset``), which
    withdraws an earlier answer to the same text; recorded ones are read only."""

    model = Consent
    extra = 0
    can_delete = False
    fields = ("consent_text", "granted", "method", "recorded_by", "recorded_at", "withdrawn_at")
    readonly_fields = ("recorded_by", "recorded_at", "withdrawn_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_PARTICIPANT_READ_ONLY = ("pseudonym", "erased_at", "created_at", "updated_at")


@admin.register(Participant)
class ParticipantAdmin(ServiceWritesAdmin):
    list_display = ("display_name", "territory", "gender", "age_band", "reads", "erased_at")
    list_filter = ("gender", "age_band", "reads", "territory")
    search_fields = ("display_name", "user__username")
    autocomplete_fields = ("user", "organisations", "territory")
    readonly_fields = _PARTICIPANT_READ_ONLY
    inlines = [ConsentInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.erased_at is not None:
            return False  # erased (Law 09-08): nothing may lead back to the person again
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Erasure keeps what the person said and voted, anonymous (participant_erase).
        return False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset_written_by_service(formset)
        for row in formset.forms:
            data = row.cleaned_data
            if data and row.instance.pk is None:
                consent_record(
                    participant=form.instance,
                    granted=data["granted"],
                    method=data["method"],
                    consent_text=data["consent_text"],
                    recorded_by=request.user,  # type: ignore[arg-type]
                )


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ("purpose", "version", "published_at")
    list_filter = ("purpose",)
    search_fields = ("text_ar", "text_fr")

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # A published version is never edited: a change is a new version.
        if obj is not None:
            return ("purpose", "version", "text_ar", "text_fr", "published_at")
        return ()
