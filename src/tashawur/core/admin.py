"""The admin's site settings, the user accounts, and what every admin that writes shares.

The admin is a superuser's back office; it writes only through the services the pages call
(STYLE.md). An admin whose saves call a service derives from ``ServiceWritesAdmin``: a
``DomainError`` raised there rolls the whole save back and shows the form again with the
service's message, on the field at fault. The decision for every registered admin (through
which service, or read-only) is pinned by ``tests/web/test_admin_writes.py``.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from tashawur.core.errors import DomainError
from tashawur.core.forms import AdminSignInForm
from tashawur.core.models import User

admin.site.site_header = _("Tashawur administration")
admin.site.site_title = _("Tashawur")
admin.site.index_title = _("Consultations, people and contributions")
# The user name's length checked on the server, as on the site's sign-in (core.forms).
admin.site.login_form = AdminSignInForm


def _superusers_only(request: HttpRequest) -> bool:
    """The back office opens to active superusers only: a staff flag alone opens nothing, and
    every staff task (workspace, check-in, moderation, closing) has its page on the site."""
    user = request.user
    return bool(user.is_active and user.is_superuser)


admin.site.has_permission = _superusers_only  # type: ignore[method-assign]


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


def domain_error_add(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's refusal on the form: on its field when the form has it."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


_REFUSAL = "_tashawur_service_refusal"


class ServiceWritesAdmin(admin.ModelAdmin):
    """An admin whose ``save_model``, ``save_related`` or ``save_formset`` call services.

    The add and change views run in one transaction (Django's); a ``DomainError`` from a service
    leaves it, so nothing of the save is kept, and the form is shown again, bound to the same
    data, carrying the service's message.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            setattr(request, _REFUSAL, error)
            # The form now fails validation with the refusal, so this pass saves nothing.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form: type[forms.ModelForm] = super().get_form(request, obj, change, **kwargs)
        error: DomainError | None = getattr(request, _REFUSAL, None)
        if error is None:
            return form

        def clean(self: forms.ModelForm) -> dict[str, Any]:
            data: dict[str, Any] = form.clean(self) or {}
            domain_error_add(self, error)
            return data

        return type(form.__name__, (form,), {"clean": clean})


def object_adopt(target: Any, saved: Any) -> None:
    """Make the admin's unsaved instance ``target`` stand for the row a service created, so the
    inlines and the redirect that follow find it."""
    target.pk = saved.pk
    target._state.adding = False
    target._state.db = saved._state.db


def formset_written_by_service(formset: forms.BaseFormSet) -> None:
    """Mark an inline formset as written (by a service, not ``formset.save()``), so the
    admin's history message, which reads what ``save()`` records, finds its lists."""
    formset.new_objects = []  # type: ignore[attr-defined]
    formset.changed_objects = []  # type: ignore[attr-defined]
    formset.deleted_objects = []  # type: ignore[attr-defined]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read here, written elsewhere through the services (or never written after the fact)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on their parent's page, written elsewhere through the services."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
