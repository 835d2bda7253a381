"""API tokens in pages: a person's own (``/me/tokens/``) and the device tokens coordinators make
for the staff of their round tables (``/manage/tokens/``). A new key is shown once, on the page
that answers the form (never stored, never in an address); lists show name, prefix, kind and
dates. Thin: parse → authorise → one service → render (STYLE.md)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from tashawur.consultations import rules
from tashawur.consultations.selectors import device_token_holders
from tashawur.core.errors import DomainError
from tashawur.core.models import ApiToken, User
from tashawur.core.tokens import NAME_MAX_LENGTH, api_token_create, api_token_revoke
from tashawur.core.validation import id_parse

UNPROCESSABLE = 422


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What is it for?"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("For example: my script, the tablet of round table 3."),
    )


class _HolderField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else str(obj.username)


class DeviceTokenForm(TokenForm):
    def __init__(self, *args: Any, holders: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["holder"] = _HolderField(
            label=_("Who captures with it?"),
            queryset=holders,
            empty_label=_("Choose a person"),
            error_messages={"invalid_choice": _("Choose someone from the list.")},
        )
        self.order_fields(["holder", "name"])


def _private(response: HttpResponse) -> HttpResponse:
    # A page that may show a new key: no cache keeps a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _revoke_target(request: HttpRequest) -> ApiToken | None:
    # A hostile value ("٣", a thousand digits) is a translated 400 (DomainErrorMiddleware).
    pk = id_parse(request.POST.get("revoke"), field="revoke")
    return ApiToken.objects.select_related("user").filter(pk=pk).first()


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def me_tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required
    form = TokenForm()
    key = None
    status = 200
    if request.method == "POST" and "revoke" in request.POST:
        token = _revoke_target(request)
        if token is None or token.user_id != user.pk:
            raise PermissionDenied
        api_token_revoke(token=token)
        messages.success(request, gettext("The token is revoked: it opens nothing any more."))
        return HttpResponseRedirect(reverse("web:me_tokens"))
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                _token, key = api_token_create(
                    user=user, name=form.cleaned_data["name"], created_by=user
                )
            except DomainError as error:
                form.add_error("name" if error.field == "name" else None, error.message)
            else:
                form = TokenForm()
        if key is None:
            status = UNPROCESSABLE
    tokens = ApiToken.objects.filter(user=user).select_related("created_by")
    context = {"form": form, "key": key, "tokens": tokens}
    return _private(render(request, "web/me_tokens.html", context, status=status))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def manage_tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not rules.can_issue_device_tokens(user):
        raise PermissionDenied
    holders = device_token_holders(user=user)
    form = DeviceTokenForm(holders=holders)
    key, holder = None, None
    status = 200
    if request.method == "POST" and "revoke" in request.POST:
        token = _revoke_target(request)
        if (
            token is None
            or token.kind != ApiToken.Kind.DEVICE
            or not rules.can_issue_device_token_for(user, token.user)
        ):
            raise PermissionDenied
        api_token_revoke(token=token)
        messages.success(request, gettext("The token is revoked: it opens nothing any more."))
        return HttpResponseRedirect(reverse("web:manage_tokens"))
    if request.method == "POST":
        form = DeviceTokenForm(request.POST, holders=holders)
        if form.is_valid():
            holder = form.cleaned_data["holder"]
            if not rules.can_issue_device_token_for(user, holder):
                raise PermissionDenied
            try:
                _token, key = api_token_create(
                    user=holder,
                    name=form.cleaned_data["name"],
                    kind=ApiToken.Kind.DEVICE,
                    created_by=user,  # type: ignore[arg-type]
                )
            except DomainError as error:
                form.add_error("name" if error.field == "name" else None, error.message)
            else:
                form = DeviceTokenForm(holders=holders)
        if key is None:
            status = UNPROCESSABLE
    tokens = ApiToken.objects.filter(
        kind=ApiToken.Kind.DEVICE, user__in=holders.values("pk")
    ).select_related("user", "created_by")
    context = {"form": form, "key": key, "holder": holder, "tokens": tokens}
    return _private(render(request, "web/manage/tokens.html", context, status=status))
