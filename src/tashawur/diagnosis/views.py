"""The diagnosis pages of a consultation. Thin: parse → selector or service → render (STYLE.md)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from tashawur.consultations.models import Dimension
from tashawur.consultations.selectors import consultation_get_for_reader, consultation_get_for_user
from tashawur.core.caching import cached_page, version_key
from tashawur.core.errors import DomainError
from tashawur.core.htmx import HtmxHttpRequest
from tashawur.core.page_cache import anonymous_page, page_versions
from tashawur.core.validation import page_number_parse
from tashawur.diagnosis import pages, rules, selectors, services, written_pages
from tashawur.diagnosis.forms import (
    CarryOverDecisionForm,
    DiagnosisEntryForm,
    DiagnosisEntryMoveForm,
    FindingMergeForm,
    FindingRenameForm,
    FindingSplitForm,
    FindingStatusForm,
)
from tashawur.diagnosis.models import CarryOverIssue, DiagnosisEntry, Finding, SynthesisRun
from tashawur.diagnosis.services import synthesis_run_request

#: While a run is queued or running, the page reloads itself this often (seconds; no script).
PENDING_REFRESH_SECONDS = 5
CONSULTATION_PAGE = "diagnosis/consultation.html"
FINDING_PAGE = "diagnosis/finding.html"
EDITOR_PAGE = "diagnosis/editor.html"
UNPROCESSABLE = 422


def _diagnosis_cached(
    request: HttpRequest, slug: str, dimension: str | None, page: int
) -> HttpResponse | None:
    """The diagnosis page for an anonymous reader, its body cached as HTML under the versions
    of what it shows (``selectors.diagnosis_page_versions``): a new run, a curation action, a
    publication, a contribution or a moderation decision gives a new key at once. ``None``
    while a run is pending (the page then looks after it, uncached)."""
    consultation = consultation_get_for_user(slug=slug, user=request.user)
    # Read already when the whole page was looked for in the cache (``core.page_cache``).
    whole = page_versions(request)
    versions = whole[0] if whole else selectors.diagnosis_page_versions(consultation)
    if versions is None:
        return None
    if dimension not in Dimension.values:
        dimension = None
    # The overview has no pages: one key for it, whatever page was asked.
    page = 1 if dimension is None else page
    key = version_key("diagnosis-page", get_language(), dimension, page, *versions)

    def build() -> str:
        diagnosis = pages.diagnosis_page(
            slug=slug, user=request.user, dimension=dimension, page=page
        )
        return render_to_string(
            f"{CONSULTATION_PAGE}#body",
            {"diagnosis": diagnosis, "consultation": diagnosis.consultation},
            request=request,
        )

    # The template's own rendering, kept as a SafeString (pickled as one): not escaped again.
    body = cached_page(key, build)
    return render(request, CONSULTATION_PAGE, {"consultation": consultation, "body": body})


def _diagnosis_versions(request: HttpRequest, slug: str, **kwargs: Any) -> tuple[Any, ...] | None:
    """The versions an anonymous reader's diagnosis page or finding page is cached under
    (``core.page_cache``): the path and query are in the key already. Cache reads only."""
    consultation = consultation_get_for_reader(slug=slug, user=request.user)
    return selectors.diagnosis_whole_page_versions(consultation)


@require_safe
@anonymous_page(_diagnosis_versions, params=("dimension", "page"))
def consultation_diagnosis(request: HttpRequest, slug: str) -> HttpResponse:
    dimension = request.GET.get("dimension") or None
    # "٣" or "²" is refused (a translated 400), not read as 3; past the last: the last page.
    page = page_number_parse(request.GET.get("page"))
    # Signed-in readers may see more (curation, the run button): never a cached page.
    if not request.user.is_authenticated:
        cached = _diagnosis_cached(request, slug, dimension, page)
        if cached is not None:
            return cached
    diagnosis = pages.diagnosis_page(slug=slug, user=request.user, dimension=dimension, page=page)
    # The page reloads itself while a run is pending: each look tells a run whose worker has
    # stopped, which then shows failed, with the button to run the synthesis again.
    if (
        diagnosis.pending
        and services.synthesis_runs_recover(consultation=diagnosis.consultation).failed
    ):
        diagnosis = pages.diagnosis_page(
            slug=slug, user=request.user, dimension=dimension, page=page
        )
    return render(
        request,
        CONSULTATION_PAGE,
        {
            "diagnosis": diagnosis,
            "consultation": diagnosis.consultation,
            "refresh_seconds": PENDING_REFRESH_SECONDS,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def run_request(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: what a new run will carry over of the curation, and the button that confirms it.
    POST: queue the run; once a run has succeeded (there is curation to carry over), only
    with ``confirm=1``, else back to the confirmation."""
    consultation = consultation_get_for_user(slug=slug, user=request.user)
    if not rules.can_run_consultation_synthesis(request.user, consultation):
        raise PermissionDenied
    current = SynthesisRun.objects.current_for(consultation)
    if request.method != "POST":
        return render(
            request,
            "diagnosis/run_confirm.html",
            {
                "consultation": consultation,
                "preview": pages.carry_over_preview(current) if current else None,
            },
        )
    if current is not None and request.POST.get("confirm") != "1":
        return HttpResponseRedirect(reverse("diagnosis:run", args=[consultation.slug]))
    try:
        synthesis_run_request(consultation=consultation, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("The synthesis is queued: this page shows its findings once it has run."),
        )
    return HttpResponseRedirect(reverse("diagnosis:consultation", args=[consultation.slug]))


def _finding_context(request: HttpRequest, slug: str, pk: int, **forms: Any) -> dict[str, Any]:
    """The finding page's context, with fresh curation forms unless bound ones are given."""
    page = pages.finding_page(slug=slug, finding_id=pk, user=request.user)
    finding = page.finding
    context: dict[str, Any] = {
        "page": page,
        "consultation": page.consultation,
        "finding": finding,
        "rename_form": FindingRenameForm(
            initial={"title_ar": finding.title_override_ar, "title_fr": finding.title_override_fr}
        ),
        "status_form": FindingStatusForm(),
        # The page lists page.merge_targets itself; the form only parses what is posted.
        "merge_form": FindingMergeForm(),
        "split_form": FindingSplitForm(),
    }
    context.update(forms)
    return context


@require_safe
@anonymous_page(_diagnosis_versions)
def finding_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return render(request, FINDING_PAGE, _finding_context(request, slug, pk))


def _finding_url(slug: str, pk: int) -> str:
    return reverse("diagnosis:finding", args=[slug, pk])


def _add_domain_error(form: forms.Form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _invalid(
    request: HtmxHttpRequest, slug: str, pk: int, *, partial: str, **forms: Any
) -> HttpResponse:
    """The page again with the errors next to the fields (or, for HTMX, the part of it that
    holds the form), as 422."""
    template = f"{FINDING_PAGE}#{partial}" if request.htmx else FINDING_PAGE
    response = render(
        request, template, _finding_context(request, slug, pk, **forms), status=UNPROCESSABLE
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _changed(
    request: HtmxHttpRequest, slug: str, pk: int, message: str, *, location: str | None = None
) -> HttpResponse:
    """After a change: HTMX gets the page's head again; without JavaScript, back to the page
    (or ``location``) with a message."""
    if request.htmx and location is None:
        response = render(request, f"{FINDING_PAGE}#head", _finding_context(request, slug, pk))
    else:
        messages.success(request, message)
        url = location or _finding_url(slug, pk)
        response = HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@login_required
def finding_rename(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_curation(slug=slug, finding_id=pk, user=request.user)
    form = FindingRenameForm(request.POST)
    if form.is_valid():
        try:
            services.finding_rename(
                finding=finding,
                user=request.user,
                title_ar=form.cleaned_data["title_ar"],
                title_fr=form.cleaned_data["title_fr"],
            )
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            return _changed(request, slug, pk, gettext("The finding's title is saved."))
    return _invalid(request, slug, pk, partial="head", rename_form=form)


@require_POST
@login_required
def finding_status(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_curation(slug=slug, finding_id=pk, user=request.user)
    form = FindingStatusForm(request.POST)
    if form.is_valid():
        try:
            changed = services.finding_status_set(
                finding=finding, user=request.user, status=form.cleaned_data["status"]
            )
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            if changed.status == Finding.Status.ACCEPTED:
                message = gettext("The finding is accepted.")
            elif changed.status == Finding.Status.REJECTED:
                message = gettext(
                    "The finding is rejected: the public diagnosis no longer shows it."
                )
            else:
                message = gettext("The finding is proposed again.")
            location = None
            if form.cleaned_data["back"] == "diagnosis":
                url = reverse("diagnosis:consultation", args=[slug])
                location = f"{url}#finding-{changed.key}"
            return _changed(request, slug, pk, message, location=location)
    return _invalid(request, slug, pk, partial="head", status_form=form)


@require_POST
@login_required
def finding_merge(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_curation(slug=slug, finding_id=pk, user=request.user)
    # Any finding of the consultation parses; the service refuses those of another run, merged
    # or rejected ones with its own message.
    form = FindingMergeForm(
        request.POST, targets=Finding.objects.filter(run__consultation=finding.run.consultation)
    )
    if form.is_valid():
        target = form.cleaned_data["target"]
        try:
            services.findings_merge(target=target, sources=[finding], user=request.user)
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            return _changed(
                request,
                slug,
                pk,
                gettext("The finding is merged: this finding now cites its contributions."),
                location=_finding_url(slug, target.pk),
            )
    return _invalid(request, slug, pk, partial="head", merge_form=form)


@require_POST
@login_required
def finding_split(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_curation(slug=slug, finding_id=pk, user=request.user)
    form = FindingSplitForm(request.POST)
    if form.is_valid():
        try:
            new = services.finding_split(
                finding=finding,
                user=request.user,
                contribution_ids=form.cleaned_data["contributions"],
                title_ar=form.cleaned_data["title_ar"],
                title_fr=form.cleaned_data["title_fr"],
            )
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            return _changed(
                request,
                slug,
                pk,
                gettext("The chosen contributions now form this new finding."),
                location=_finding_url(slug, new.pk),
            )
    return _invalid(request, slug, pk, partial="members", split_form=form)


@require_POST
@login_required
def carry_over_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Decide what a new run could not carry over: give it to a finding, or dismiss it."""
    consultation = consultation_get_for_user(slug=slug, user=request.user)
    if not rules.can_curate_findings(request.user, consultation):
        raise PermissionDenied
    issue = (
        CarryOverIssue.objects.select_related("run__consultation")
        .filter(pk=pk, run__consultation=consultation)
        .first()
    )
    if issue is None:
        raise Http404
    form = CarryOverDecisionForm(
        request.POST,
        findings=Finding.objects.filter(run=issue.run).exclude(status=Finding.Status.MERGED),
    )
    back = (
        _editor_url(slug)
        if request.POST.get("back") == "editor"
        else reverse("diagnosis:consultation", args=[slug])
    )
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0]))
        return HttpResponseRedirect(f"{back}#carry-over")
    try:
        services.carry_over_issue_resolve(
            issue=issue,
            user=request.user,
            successor=form.cleaned_data["successor"],
            dismiss=form.cleaned_data["decision"] == "dismiss",
        )
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(f"{back}#carry-over")
    if form.cleaned_data["decision"] == "dismiss":
        messages.success(request, gettext("Dismissed: this curation is left behind."))
    else:
        messages.success(request, gettext("The chosen finding takes this curation over."))
    return HttpResponseRedirect(f"{back}#carry-over")


# -- writing the diagnosis ----------------------------------------------------------------------


def _entry_initial(entry: DiagnosisEntry) -> dict[str, Any]:
    return {
        "dimension": entry.dimension,
        "statement_ar": entry.statement_ar,
        "statement_fr": entry.statement_fr,
        "findings": [f.pk for f in entry.findings.all()],
        "contributions": ", ".join(str(c.pk) for c in entry.contributions.order_by("pk")),
    }


def _editor_context(
    request: HttpRequest,
    slug: str,
    *,
    editing: DiagnosisEntry | None = None,
    form: DiagnosisEntryForm | None = None,
    action_error: str = "",
    notice: str = "",
) -> dict[str, Any]:
    editor = written_pages.diagnosis_editor_page(slug=slug, user=request.user)
    if form is None:
        form = DiagnosisEntryForm(initial=_entry_initial(editing) if editing else None)
    return {
        "editor": editor,
        "consultation": editor.consultation,
        "form": form,
        "editing": editing,
        "action_error": action_error,
        "notice": notice,
    }


def _editor_url(slug: str) -> str:
    return reverse("diagnosis:editor", args=[slug])


def _editor_changed(request: HtmxHttpRequest, slug: str, message: str) -> HttpResponse:
    """After a change: HTMX gets the editor again, with the message; without JavaScript, back
    to the editor with the message."""
    if request.htmx:
        response = render(
            request, f"{EDITOR_PAGE}#editor", _editor_context(request, slug, notice=message)
        )
    else:
        messages.success(request, message)
        response = HttpResponseRedirect(_editor_url(slug))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _editor_invalid(request: HtmxHttpRequest, slug: str, **context: Any) -> HttpResponse:
    """The editor again with the errors next to the fields (HTMX: the editor part), as 422."""
    template = f"{EDITOR_PAGE}#editor" if request.htmx else EDITOR_PAGE
    response = render(
        request, template, _editor_context(request, slug, **context), status=UNPROCESSABLE
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
@login_required
def diagnosis_editor(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, EDITOR_PAGE, _editor_context(request, slug))


@require_safe
@login_required
def diagnosis_entry_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    entry = selectors.diagnosis_entry_get_for_writing(slug=slug, entry_id=pk, user=request.user)
    return render(request, EDITOR_PAGE, _editor_context(request, slug, editing=entry))


def _entry_fields(form: DiagnosisEntryForm) -> dict[str, Any]:
    """What the entry form gives the create and update services."""
    data = form.cleaned_data
    return {
        "dimension": data["dimension"],
        "statement_ar": data["statement_ar"],
        "statement_fr": data["statement_fr"],
        "finding_ids": data["findings"],
        "contribution_ids": data["contributions"],
    }


@require_POST
@login_required
def diagnosis_entry_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    consultation = selectors.diagnosis_consultation_for_writing(slug=slug, user=request.user)
    form = DiagnosisEntryForm(request.POST)
    if form.is_valid():
        try:
            services.diagnosis_entry_create(
                consultation=consultation,
                user=request.user,
                **_entry_fields(form),
            )
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            return _editor_changed(request, slug, gettext("The entry is added to the draft."))
    return _editor_invalid(request, slug, form=form)


@require_POST
@login_required
def diagnosis_entry_update(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    entry = selectors.diagnosis_entry_get_for_writing(slug=slug, entry_id=pk, user=request.user)
    form = DiagnosisEntryForm(request.POST)
    if form.is_valid():
        try:
            services.diagnosis_entry_update(
                entry=entry,
                user=request.user,
                **_entry_fields(form),
            )
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            return _editor_changed(request, slug, gettext("The entry is saved."))
    return _editor_invalid(request, slug, form=form, editing=entry)


@require_POST
@login_required
def diagnosis_entry_move(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    entry = selectors.diagnosis_entry_get_for_writing(slug=slug, entry_id=pk, user=request.user)
    form = DiagnosisEntryMoveForm(request.POST)
    if form.is_valid():
        try:
            services.diagnosis_entry_move(
                entry=entry, user=request.user, direction=form.cleaned_data["direction"]
            )
        except DomainError as error:
            return _editor_invalid(request, slug, action_error=error.message)
        return _editor_changed(request, slug, gettext("The entry is moved."))
    return _editor_invalid(request, slug, action_error=form.errors["direction"][0])


@require_POST
@login_required
def diagnosis_entry_delete(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    entry = selectors.diagnosis_entry_get_for_writing(slug=slug, entry_id=pk, user=request.user)
    try:
        services.diagnosis_entry_delete(entry=entry, user=request.user)
    except DomainError as error:
        return _editor_invalid(request, slug, action_error=error.message)
    return _editor_changed(request, slug, gettext("The entry is deleted from the draft."))


@require_POST
@login_required
def diagnosis_propose(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    consultation = selectors.diagnosis_consultation_for_writing(slug=slug, user=request.user)
    try:
        created = services.diagnosis_entries_propose(consultation=consultation, user=request.user)
    except DomainError as error:
        return _editor_invalid(request, slug, action_error=error.message)
    if created:
        message = ngettext(
            "%(count)s entry is proposed from the accepted findings: check its wording.",
            "%(count)s entries are proposed from the accepted findings: check their wording.",
            len(created),
        ) % {"count": len(created)}
    else:
        message = gettext("Every accepted finding already has its entry: nothing to propose.")
    return _editor_changed(request, slug, message)


@require_POST
@login_required
def diagnosis_publish(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    consultation = selectors.diagnosis_consultation_for_writing(slug=slug, user=request.user)
    try:
        publication = services.diagnosis_publish(consultation=consultation, user=request.user)
    except DomainError as error:
        return _editor_invalid(request, slug, action_error=error.message)
    return _editor_changed(
        request,
        slug,
        gettext("Version %(version)s of the diagnosis is published.")
        % {"version": publication.version},
    )


@require_safe
def diagnosis_published(request: HttpRequest, slug: str) -> HttpResponse:
    page = written_pages.diagnosis_publication_page(slug=slug, user=request.user)
    return render(
        request,
        "diagnosis/published.html",
        {"page": page, "consultation": page.consultation},
    )
