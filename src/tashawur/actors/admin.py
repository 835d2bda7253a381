from django.contrib import admin

from tashawur.actors.models import (
    ActorType,
    Consent,
    ConsentText,
    Organisation,
    Participant,
    QualitySign,
)


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
    model = Consent
    extra = 0
    fields = ("consent_text", "granted", "method", "recorded_by", "recorded_at", "withdrawn_at")
    readonly_fields = ("recorded_at",)
    autocomplete_fields = ("recorded_by",)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("display_name", "territory", "gender", "age_band", "reads", "erased_at")
    list_filter = ("gender", "age_band", "reads", "territory")
    search_fields = ("display_name", "user__username")
    autocomplete_fields = ("user", "organisations", "territory")
    readonly_fields = ("pseudonym", "erased_at", "created_at", "updated_at")
    inlines = [ConsentInline]


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
