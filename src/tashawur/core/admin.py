from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from tashawur.core.forms import AdminSignInForm
from tashawur.core.models import User

admin.site.site_header = _("Tashawur administration")
admin.site.site_title = _("Tashawur")
admin.site.index_title = _("Consultations, people and contributions")
# The user name's length checked on the server, as on the site's sign-in (core.forms).
admin.site.login_form = AdminSignInForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_staff", "is_active")
    list_filter = ("role", "is_staff", "is_superuser", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Role in the consultations"), {"fields": ("role",)}),
    )
    add_fieldsets = (
        *(DjangoUserAdmin.add_fieldsets or ()),
        (_("Role in the consultations"), {"fields": ("role",)}),
    )
