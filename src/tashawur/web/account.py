"""A person's own pages: sign-up, "Me" (profile, consents, erasure) and the consent page.
Thin: parse → authorise → one service → redirect or render (STYLE.md). No participant id in
these addresses: each signed-in person reaches only their own data."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tashawur.actors.models import Consent, ConsentText, Participant
from tashawur.actors.services import (
    consent_record,
    consent_text_current,
    consent_withdraw,
    participant_consent_answer,
    participant_sign_up,
)
from tashawur.consultations.services import invitation_sign_up_count
from tashawur.contributions.services import participant_erase
from tashawur.core.errors import DomainError
from tashawur.core.views import account_rate_refusal
from tashawur.programmes.chain import contribution_chains
from tashawur.web.forms import ConsentForm, ErasureForm, SignUpForm
from tashawur.web.workspace import INVITATION_SESSION_KEY

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
UNPROCESSABLE = 422
#: A longer ``next`` is no page of this site (and Django refuses to redirect past 16 KiB).
_NEXT_MAX = 2000
_SIGN_UP_FIELDS = frozenset(SignUpForm.base_fields)
#: What an invitation link (``/signup/?organisation=12``) may pre-fill: no personal data.
_INVITE_FIELDS = ("territory", "actor_type", "organisation")
#: How many of a person's latest contributions "Me" follows (the rest: "My data").
MY_CONTRIBUTIONS_SHOWN = 50


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go next: the ``next`` the page was given, if it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target
        and len(target) <= _NEXT_MAX
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


def _own_participant(request: HttpRequest) -> Participant | None:
    participant: Participant | None = getattr(request.user, "participant", None)
    if participant is None or participant.erased_at is not None:
        return None
    return participant


def _current_texts() -> list[ConsentText]:
    return [
        text
        for purpose in ConsentText.Purpose.values
        if (text := consent_text_current(purpose=purpose)) is not None
    ]


def _private(response: HttpResponse) -> HttpResponse:
    # Personal data: no shared cache keeps a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response


# -- sign-up -------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    me = reverse("web:me")
    if request.user.is_authenticated:
        return HttpResponseRedirect(_next_url(request, me))
    participation = consent_text_current(purpose=ConsentText.Purpose.PARTICIPATION)
    status = 200
    if request.method == "POST":
        form = SignUpForm(request.POST)
        refusal = account_rate_refusal(request)
        if refusal is not None:
            return refusal
        status = UNPROCESSABLE
        if form.is_valid():
            data = form.cleaned_data
            try:
                sign_up = participant_sign_up(
                    display_name=data["display_name"],
                    password=data["password"],
                    phone=data["phone"],
                    email=data["email"],
                    territory=data["territory"],
                    actor_type=data["actor_type"],
                    organisation=data["organisation"],
                    consent_texts=[participation]
                    if data["consent"] and participation is not None
                    else [],
                    preferred_language=get_language() or "",
                )
            except DomainError as error:
                form.add_error(
                    error.field if error.field in _SIGN_UP_FIELDS else None, error.message
                )
            else:
                # Came through an invitation link (``web.workspace.invitation_landing``): count it.
                invitation_id = request.session.pop(INVITATION_SESSION_KEY, None)
                if isinstance(invitation_id, int):
                    invitation_sign_up_count(invitation_id=invitation_id)
                login(request, sign_up.participant.user, backend=MODEL_BACKEND)
                messages.success(request, _("Welcome: your account is ready."))
                return HttpResponseRedirect(_next_url(request, me))
    else:
        # An invitation link pre-fills where the person belongs, never who they are.
        form = SignUpForm(
            initial={key: request.GET[key] for key in _INVITE_FIELDS if key in request.GET}
        )
    context = {"form": form, "participation": participation, "next": _next_url(request, "")}
    return _private(render(request, "web/signup.html", context, status=status))


# -- "Me" ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@login_required
def me(request: HttpRequest) -> HttpResponse:
    participant = _own_participant(request)
    consents = (
        Consent.objects.filter(participant=participant)
        .select_related("consent_text")
        .order_by("-recorded_at")
        if participant is not None
        else Consent.objects.none()
    )
    context = {
        "participant": participant,
        "consents": consents,
        "organisations": participant.organisations.all() if participant is not None else [],
        # "What became of my contributions": the latest ones, each with its fate.
        "chains": list(
            contribution_chains(
                contributions=participant.contributions.select_related("workshop").order_by(
                    "-created_at", "-id"
                )[:MY_CONTRIBUTIONS_SHOWN],
                user=request.user,
            ).values()
        )
        if participant is not None
        else [],
    }
    return _private(render(request, "web/me.html", context))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def me_consent(request: HttpRequest) -> HttpResponse:
    participant = _own_participant(request)
    if request.method == "POST" and participant is not None:
        form = ConsentForm(request.POST)
        if form.is_valid():
            purpose = form.cleaned_data["purpose"]
            try:
                if form.cleaned_data["action"] == "accept":
                    consent_record(
                        participant=participant,
                        granted=True,
                        method=Consent.Method.WEB,
                        purpose=purpose,
                        recorded_by=request.user,  # type: ignore[arg-type]
                    )
                    messages.success(request, _("Thank you: your consent is recorded."))
                else:
                    consent_withdraw(participant=participant, purpose=purpose)
                    messages.success(request, _("Your consent is withdrawn."))
            except DomainError as error:
                messages.error(request, error.message)
            return HttpResponseRedirect(_next_url(request, reverse("web:me_consent")))
        messages.error(request, _("This answer could not be read: choose one of the buttons."))
        return HttpResponseRedirect(reverse("web:me_consent"))
    texts = [
        {
            "text": text,
            "answer": participant_consent_answer(participant=participant, purpose=text.purpose)
            if participant is not None
            else None,
        }
        for text in _current_texts()
    ]
    context = {"participant": participant, "texts": texts, "next": _next_url(request, "")}
    return _private(render(request, "web/me_consent.html", context))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def me_erase(request: HttpRequest) -> HttpResponse:
    participant = _own_participant(request)
    status = 200
    if request.method == "POST" and participant is not None:
        form = ErasureForm(request.POST)
        if form.is_valid() and form.cleaned_data["confirm"]:
            try:
                participant_erase(participant=participant)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                logout(request)
                messages.success(
                    request,
                    _(
                        "Your personal data is erased and your account closed. What you said "
                        "stays, without your name."
                    ),
                )
                return HttpResponseRedirect(reverse("web:home"))
        else:
            form.add_error("confirm", _("Tick the box to confirm the erasure."))
        status = UNPROCESSABLE
    else:
        form = ErasureForm()
    context = {"participant": participant, "form": form}
    return _private(render(request, "web/me_erase.html", context, status=status))
