from django.contrib import admin

from tashawur.territories.models import Territory


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ar", "name_fr", "name_zgh", "level", "parent", "population")
    list_filter = ("level", "kind")
    search_fields = ("code", "name_ar", "name_fr", "name_zgh")
    autocomplete_fields = ("parent",)
    ordering = ("code",)
