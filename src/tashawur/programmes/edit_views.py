"""The programme workspace, ``/c/<slug>/programme/edit/``: the consultation's regional
coordinators and the national coordinator create and edit the action programme, its measure
tree, funding, links to findings, indicators and progress, without the admin.

Thin: parse → authorise (``edit_selectors``: 404 for what is unknown, 403 for those who may not
edit) → one service → redirect, or the page again with the service's translated refusal (422).
Works without JavaScript: every action is a form that posts and redirects.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tashawur.core.errors import DomainError
from tashawur.core.validation import id_parse
from tashawur.programmes import edit_selectors, rules, selectors
from tashawur.programmes.forms import (
    FindingLinkForm,
    FindingSearchForm,
    FundingLineForm,
    IndicatorForm,
    IndicatorValueForm,
    MeasureForm,
    OrganisationSearchForm,
    ProgrammeForm,
    ProgressForm,
)
from tashawur.programmes.models import (
    FundingLine,
    FundingSource,
    Indicator,
    Measure,
    Programme,
    ProgressUpdate,
)
from tashawur.programmes.services import (
    EVIDENCE_TYPES,
    MEASURE_LEVELS,
    FundingTerms,
    evidence_max_bytes,
    indicator_add,
    indicator_update,
    indicator_value_record,
    measure_add,
    measure_delete,
    measure_finding_link,
    measure_finding_unlink,
    measure_set_funding,
    measure_shift,
    measure_update,
    programme_adopt,
    programme_create,
    programme_update,
    progress_record,
)

UNPROCESSABLE = 422
CONTENT_TOO_LARGE = 413
#: What a progress form carries besides its file (the note, the fields, the multipart frame).
FORM_ALLOWANCE = 64 * 1024
GET_POST = ["GET", "HEAD", "POST"]


_Response = TypeVar("_Response", bound=HttpResponseBase)


def _private(response: _Response) -> _Response:
    # Drafts and private evidence: no shared cache keeps a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _error_to_form(form: Any, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _edit_url(slug: str) -> str:
    return reverse("programmes:edit", args=[slug])


def _measure_url(measure: Measure) -> str:
    return reverse(
        "programmes:edit_measure", args=[measure.programme.consultation.slug, measure.pk]
    )


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    return _private(render(request, f"programmes/edit/{template}", context, status=status))


# -- the programme -------------------------------------------------------------------------------


@require_http_methods(GET_POST)
@login_required
def programme_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """The programme's own fields (or the form that creates it) and its measure tree."""
    consultation, programme = edit_selectors.programme_get_for_editor(slug=slug, user=request.user)
    status = 200
    if programme is None:
        initial: dict[str, Any] = {
            "title_ar": consultation.title_ar,
            "title_fr": consultation.title_fr,
        }
    else:
        initial = {
            "title_ar": programme.title_ar,
            "title_fr": programme.title_fr,
            "starts_on": programme.starts_on,
            "ends_on": programme.ends_on,
        }
    if request.method == "POST":
        form = ProgrammeForm(request.POST)
        status = UNPROCESSABLE
        if form.is_valid():
            try:
                if programme is None:
                    programme_create(consultation=consultation, **form.cleaned_data)
                    messages.success(request, _("The action programme is created."))
                else:
                    programme_update(programme=programme, **form.cleaned_data)
                    messages.success(request, _("The action programme is saved."))
            except DomainError as error:
                _error_to_form(form, error)
            else:
                return HttpResponseRedirect(_edit_url(slug))
    else:
        form = ProgrammeForm(initial=initial)
    roots: list[Any] = []
    if programme is not None:
        roots, _progress = selectors.measure_tree(programme=programme)
    context = {
        "consultation": consultation,
        "programme": programme,
        "form": form,
        "roots": roots,
        "levels": MEASURE_LEVELS,
        "may_change": programme is not None and programme.status != Programme.Status.CLOSED,
    }
    return _page(request, "programme.html", context, status=status)


@require_POST
@login_required
def programme_adopt_view(request: HttpRequest, slug: str) -> HttpResponse:
    _consultation, programme = edit_selectors.programme_get_for_editor(slug=slug, user=request.user)
    if programme is None:
        raise Http404
    try:
        programme_adopt(programme=programme)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The action programme is adopted: it is now public."))
    return HttpResponseRedirect(_edit_url(slug))


# -- measures ------------------------------------------------------------------------------------


def _organisations(request: HttpRequest, measure: Measure | None) -> tuple[Any, Any]:
    """The organisations to choose from: all of them for a posted form (the service takes any
    of the registry), those matching the page's search otherwise, keeping the chosen ones."""
    search = OrganisationSearchForm(request.GET)
    query = search.cleaned_data["org_q"] if search.is_valid() else ""
    if request.method == "POST":
        query = ""
    keep: list[int] = []
    if measure is not None:
        keep = [pk for pk in [measure.owner_id] if pk] + list(
            measure.partners.values_list("pk", flat=True)
        )
    return search, edit_selectors.organisations_for_choice(query=query, keep=keep)


def _measure_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {
        key: data[key]
        for key in (
            "code",
            "title_ar",
            "title_fr",
            "description_ar",
            "description_fr",
            "owner",
            "budget",
            "starts_on",
            "ends_on",
            "weight",
        )
    }
    fields["partners"] = list(data["partners"])
    if "status" in data:
        fields["status"] = data["status"]
    return fields


@require_http_methods(GET_POST)
@login_required
def measure_new(request: HttpRequest, slug: str) -> HttpResponse:
    """A new measure, at the top of the tree or under ``?parent=<id>``."""
    _consultation, programme = edit_selectors.programme_get_for_editor(slug=slug, user=request.user)
    if programme is None:
        raise Http404
    parent = None
    raw_parent = request.GET.get("parent") or request.POST.get("parent")
    if raw_parent:
        try:
            parent_id = id_parse(raw_parent, field="parent")
        except DomainError:
            raise Http404 from None
        parent = edit_selectors.measure_get_for_editor(
            slug=slug, measure_id=parent_id, user=request.user
        )
    search, organisations = _organisations(request, None)
    status = 200
    if request.method == "POST":
        form = MeasureForm(request.POST, organisations=organisations, with_status=False)
        status = UNPROCESSABLE
        if form.is_valid():
            try:
                measure = measure_add(
                    programme=programme, parent=parent, **_measure_fields(form.cleaned_data)
                )
            except DomainError as error:
                _error_to_form(form, error)
            else:
                messages.success(request, _("The measure is added."))
                measure.programme = programme
                return HttpResponseRedirect(_measure_url(measure))
    else:
        code = ""
        if parent is not None:
            code = f"{parent.code}.{parent.children.count() + 1}"
        else:
            code = str(programme.measures.filter(parent=None).count() + 1)
        form = MeasureForm(
            initial={"code": code, "weight": Decimal(100)},
            organisations=organisations,
            with_status=False,
        )
    context = {
        "consultation": programme.consultation,
        "programme": programme,
        "parent": parent,
        "form": form,
        "search": search,
        "measure": None,
    }
    return _page(request, "measure_form.html", context, status=status)


@require_http_methods(GET_POST)
@login_required
def measure_edit(request: HttpRequest, slug: str, measure_id: int) -> HttpResponse:
    """A measure's own fields, with what hangs on it: funding, findings, indicators, progress."""
    measure = edit_selectors.measure_get_for_editor(
        slug=slug, measure_id=measure_id, user=request.user
    )
    search, organisations = _organisations(request, measure)
    status = 200
    if request.method == "POST":
        form = MeasureForm(request.POST, organisations=organisations, with_status=True)
        status = UNPROCESSABLE
        if form.is_valid():
            try:
                measure_update(
                    measure=measure,
                    findings=list(measure.findings.all()),
                    **_measure_fields(form.cleaned_data),
                )
            except DomainError as error:
                _error_to_form(form, error)
            else:
                messages.success(request, _("The measure is saved."))
                return HttpResponseRedirect(_measure_url(measure))
    else:
        form = MeasureForm(
            initial={
                "code": measure.code,
                "title_ar": measure.title_ar,
                "title_fr": measure.title_fr,
                "description_ar": measure.description_ar,
                "description_fr": measure.description_fr,
                "owner": measure.owner_id,
                "partners": list(measure.partners.values_list("pk", flat=True)),
                "budget": measure.budget,
                "starts_on": measure.starts_on,
                "ends_on": measure.ends_on,
                "weight": measure.weight,
                "status": measure.status,
            },
            organisations=organisations,
            with_status=True,
        )
    context = {
        "consultation": measure.programme.consultation,
        "programme": measure.programme,
        "parent": measure.parent,
        "measure": measure,
        "form": form,
        "search": search,
        "funding_lines": list(measure.funding_lines.order_by("source")),
        "findings": list(measure.findings.order_by("position", "pk")),
        "indicators": list(measure.indicators.all()),
        "updates": list(measure.updates.select_related("indicator")[:20]),
    }
    return _page(request, "measure_form.html", context, status=status)


@require_POST
@login_required
def measure_move_view(request: HttpRequest, slug: str, measure_id: int) -> HttpResponse:
    measure = edit_selectors.measure_get_for_editor(
        slug=slug, measure_id=measure_id, user=request.user
    )
    try:
        measure_shift(measure=measure, direction=request.POST.get("direction", ""))
    except DomainError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(f"{_edit_url(slug)}#measure-{measure.pk}")


@require_POST
@login_required
def measure_delete_view(request: HttpRequest, slug: str, measure_id: int) -> HttpResponse:
    measure = edit_selectors.measure_get_for_editor(
        slug=slug, measure_id=measure_id, user=request.user
    )
    try:
        measure_delete(measure=measure)
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(_measure_url(measure))
    messages.success(request, _("The measure is deleted."))
    return HttpResponseRedirect(_edit_url(slug))


# -- funding -------------------------------------------------------------------------------------


@require_http_methods(GET_POST)
@login_required
def funding_edit(request: HttpRequest, slug: str, measure_id: int) -> HttpResponse:
    """One line per funding source: amount, call for projects, co-financing rate, cap."""
    measure = edit_selectors.measure_get_for_editor(
        slug=slug, measure_id=measure_id, user=request.user
    )
    current: dict[str, FundingLine] = {line.source: line for line in measure.funding_lines.all()}
    status = 200
    error_message = ""
    if request.method == "POST":
        forms = [
            (value, label, FundingLineForm(request.POST, prefix=value))
            for value, label in FundingSource.choices
        ]
        status = UNPROCESSABLE
        if all(form.is_valid() for _value, _label, form in forms):
            lines = {
                value: FundingTerms(
                    amount=form.cleaned_data["amount"] or 0,
                    call=form.cleaned_data["call"],
                    cofinancing_rate=form.cleaned_data["cofinancing_rate"],
                    cap=form.cleaned_data["cap"],
                )
                for value, _label, form in forms
            }
            try:
                measure_set_funding(measure=measure, lines=lines)
            except DomainError as error:
                error_message = error.message
            else:
                messages.success(request, _("The funding is saved."))
                return HttpResponseRedirect(_measure_url(measure))
    else:
        forms = []
        for value, label in FundingSource.choices:
            line = current.get(value)
            initial = (
                {
                    "amount": line.amount,
                    "call": line.call,
                    "cofinancing_rate": line.cofinancing_rate,
                    "cap": line.cap,
                }
                if line is not None
                else {}
            )
            forms.append((value, label, FundingLineForm(initial=initial, prefix=value)))
    context = {
        "consultation": measure.programme.consultation,
        "programme": measure.programme,
        "measure": measure,
        "forms": forms,
        "error_message": error_message,
    }
    return _page(request, "funding.html", context, status=status)


# -- findings ------------------------------------------------------------------------------------


@require_http_methods(GET_POST)
@login_required
def findings_edit(request: HttpRequest, slug: str, measure_id: int) -> HttpResponse:
    """Search the current diagnosis's findings (``?q=F12``) and link or unlink them."""
    measure = edit_selectors.measure_get_for_editor(
        slug=slug, measure_id=measure_id, user=request.user
    )
    consultation = measure.programme.consultation
    if request.method == "POST":
        form = FindingLinkForm(request.POST)
        if not form.is_valid():
            raise Http404
        try:
            finding_id = id_parse(form.cleaned_data["finding"], field="finding")
        except DomainError:
            raise Http404 from None
        finding = edit_selectors.finding_get_for_linking(
            consultation=consultation, finding_id=finding_id
        )
        try:
            if form.cleaned_data["action"] == "link":
                measure_finding_link(measure=measure, finding=finding)
                messages.success(request, _("The finding is linked to the measure."))
            else:
                measure_finding_unlink(measure=measure, finding=finding)
                messages.success(request, _("The finding is no longer linked to the measure."))
        except DomainError as error:
            messages.error(request, error.message)
        query = request.POST.get("q", "")[:100]
        url = reverse("programmes:edit_findings", args=[slug, measure.pk])
        return HttpResponseRedirect(f"{url}?{urlencode({'q': query})}" if query else url)
    search = FindingSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    linked = list(measure.findings.select_related("run").order_by("position", "pk"))
    linked_ids = {f.pk for f in linked}
    results = [
        f
        for f in edit_selectors.findings_search(consultation=consultation, query=query)
        if f.pk not in linked_ids
    ]
    context = {
        "consultation": consultation,
        "programme": measure.programme,
        "measure": measure,
        "search": search,
        "query": query,
        "linked": linked,
        "results": results,
    }
    return _page(request, "findings.html", context)


# -- indicators ----------------------------------------------------------------------------------


@require_http_methods(GET_POST)
@login_required
def indicator_new(request: HttpRequest, slug: str, measure_id: int) -> HttpResponse:
    measure = edit_selectors.measure_get_for_editor(
        slug=slug, measure_id=measure_id, user=request.user
    )
    status = 200
    if request.method == "POST":
        form = IndicatorForm(request.POST)
        status = UNPROCESSABLE
        if form.is_valid():
            try:
                indicator = indicator_add(measure=measure, **form.cleaned_data)
            except DomainError as error:
                _error_to_form(form, error)
            else:
                messages.success(request, _("The indicator is added."))
                return HttpResponseRedirect(
                    reverse("programmes:edit_indicator", args=[slug, indicator.pk])
                )
    else:
        form = IndicatorForm(initial={"direction": Indicator.Direction.UP})
    context = {
        "consultation": measure.programme.consultation,
        "programme": measure.programme,
        "measure": measure,
        "indicator": None,
        "form": form,
    }
    return _page(request, "indicator.html", context, status=status)


def _indicator_page(
    request: HttpRequest,
    indicator: Indicator,
    *,
    form: IndicatorForm | None = None,
    value_form: IndicatorValueForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if form is None:
        form = IndicatorForm(
            initial={
                "name_ar": indicator.name_ar,
                "name_fr": indicator.name_fr,
                "unit": indicator.unit,
                "baseline": indicator.baseline,
                "target": indicator.target,
                "direction": indicator.direction,
            }
        )
    measure = indicator.measure
    context = {
        "consultation": measure.programme.consultation,
        "programme": measure.programme,
        "measure": measure,
        "indicator": indicator,
        "form": form,
        "value_form": value_form or IndicatorValueForm(),
        "values": list(indicator.values.order_by("-on", "-created_at", "-id")),
    }
    return _page(request, "indicator.html", context, status=status)


@require_http_methods(GET_POST)
@login_required
def indicator_edit(request: HttpRequest, slug: str, indicator_id: int) -> HttpResponse:
    indicator = edit_selectors.indicator_get_for_editor(
        slug=slug, indicator_id=indicator_id, user=request.user
    )
    if request.method != "POST":
        return _indicator_page(request, indicator)
    form = IndicatorForm(request.POST)
    if form.is_valid():
        try:
            indicator_update(indicator=indicator, **form.cleaned_data)
        except DomainError as error:
            _error_to_form(form, error)
        else:
            messages.success(request, _("The indicator is saved."))
            return HttpResponseRedirect(request.path)
    return _indicator_page(request, indicator, form=form, status=UNPROCESSABLE)


@require_POST
@login_required
def indicator_value(request: HttpRequest, slug: str, indicator_id: int) -> HttpResponse:
    """Record the indicator's value on a date (a progress update of its measure)."""
    indicator = edit_selectors.indicator_get_for_editor(
        slug=slug, indicator_id=indicator_id, user=request.user
    )
    form = IndicatorValueForm(request.POST)
    if form.is_valid():
        try:
            indicator_value_record(
                indicator=indicator,
                on=form.cleaned_data["on"],
                value=form.cleaned_data["value"],
                recorded_by=request.user,  # type: ignore[arg-type]
                idempotency_key=form.cleaned_data["idempotency_key"] or None,
            )
        except DomainError as error:
            _error_to_form(form, error)
        else:
            messages.success(request, _("The value is recorded."))
            return HttpResponseRedirect(
                reverse("programmes:edit_indicator", args=[slug, indicator.pk])
            )
    return _indicator_page(request, indicator, value_form=form, status=UNPROCESSABLE)


# -- progress ------------------------------------------------------------------------------------


def _progress_page(
    request: HttpRequest,
    measure: Measure,
    form: ProgressForm,
    *,
    status: int = 200,
    refusal: str = "",
) -> HttpResponse:
    context = {
        "refusal": refusal,
        "consultation": measure.programme.consultation,
        "programme": measure.programme,
        "measure": measure,
        "form": form,
        "max_bytes": evidence_max_bytes(),
        "updates": list(measure.updates.select_related("indicator")[:20]),
    }
    return _page(request, "progress.html", context, status=status)


@csrf_protect
@require_http_methods(GET_POST)
@login_required
def _progress_edit(request: HttpRequest, slug: str, measure_id: int) -> HttpResponse:
    measure = edit_selectors.measure_get_for_editor(
        slug=slug, measure_id=measure_id, user=request.user
    )
    if request.method != "POST":
        return _progress_page(request, measure, ProgressForm())
    form = ProgressForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            progress_record(
                measure=measure,
                on=data["on"],
                percent=data["percent"],
                note=data["note"],
                recorded_by=request.user,  # type: ignore[arg-type]
                idempotency_key=data["idempotency_key"] or None,
                evidence=data["evidence"],
                evidence_public=data["evidence_public"],
            )
        except DomainError as error:
            _error_to_form(form, error)
        else:
            messages.success(request, _("The progress update is recorded."))
            return HttpResponseRedirect(_measure_url(measure))
    return _progress_page(request, measure, form, status=UNPROCESSABLE)


def _body_too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > evidence_max_bytes() + FORM_ALLOWANCE


@csrf_exempt
def progress_edit(request: HttpRequest, slug: str, measure_id: int) -> HttpResponse:
    """Record a progress update, with its evidence.

    The body's declared size is checked before anything reads it (the CSRF check would parse
    it, writing the file to disk): the check is ``csrf_protect`` on the view behind this one.
    """
    if request.method == "POST" and _body_too_large(request):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        measure = edit_selectors.measure_get_for_editor(
            slug=slug, measure_id=measure_id, user=request.user
        )
        return _progress_page(
            request,
            measure,
            ProgressForm(),
            status=CONTENT_TOO_LARGE,
            refusal=_too_large_message(),
        )
    return _progress_edit(request, slug, measure_id)


def _too_large_message() -> str:
    return _("The evidence file is too large: at most %(size)s.") % {
        "size": filesizeformat(evidence_max_bytes())
    }


# -- evidence ------------------------------------------------------------------------------------


@require_safe
def evidence(request: HttpRequest, slug: str, update_id: int) -> HttpResponseBase:
    """The evidence of a progress update, streamed: to anyone when it is public, else to those
    who edit the programme; 404 for everyone else."""
    update: ProgressUpdate = edit_selectors.evidence_get_for_user(
        slug=slug, update_id=update_id, user=request.user
    )
    name = update.evidence.name or ""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    content_type = EVIDENCE_TYPES.get(suffix)
    if content_type is None:
        raise Http404
    try:
        handle = update.evidence.storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="evidence-{update.pk}{suffix}"'
    response["X-Content-Type-Options"] = "nosniff"
    if update.evidence_public and rules.is_programme_public(update.measure.programme):
        patch_cache_control(response, public=True, max_age=300)
        return response
    return _private(response)
