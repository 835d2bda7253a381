"""Voice notes: the round table's transcription page and the streamed recording.

The recording is personal data: it streams only to those who may hear it (its author, the round
table's rapporteur and facilitator, the consultation's managers), never cached, and answers 404
to everyone else so that nobody learns it exists. Thin: parse → selector or service → render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_safe

from tashawur.contributions import selectors
from tashawur.contributions.forms import TranscriptionForm
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.contributions.services import contribution_transcribe
from tashawur.contributions.services.voice import voice_note_kind
from tashawur.core.errors import DomainError
from tashawur.core.models import User

UNPROCESSABLE = 422
_VISIBLE_FIELDS = frozenset({"text", "dimension", "language"})


def _form_for(contribution: Contribution, data: object = None) -> TranscriptionForm:
    return TranscriptionForm(
        data,  # type: ignore[arg-type]
        initial={"dimension": contribution.dimension},
        auto_id=f"id_n{contribution.pk}_%s",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def voice_notes(request: HttpRequest, pk: int) -> HttpResponse:
    """The round table's voice notes awaiting their transcription, each with its player and
    its form; a saved transcription becomes the contribution's text."""
    user = request.user
    assert isinstance(user, User)  # login_required
    workshop = selectors.workshop_get_for_transcriber(workshop_id=pk, user=user)
    awaiting = list(selectors.workshop_voice_notes_awaiting(workshop=workshop))
    bound: TranscriptionForm | None = None
    bound_id: int | None = None
    status = 200
    if request.method == "POST":
        chosen = request.POST.get("contribution", "")
        note = next((c for c in awaiting if str(c.pk) == chosen), None)
        if note is None:
            messages.error(
                request, gettext("This voice note is no longer awaiting its transcription.")
            )
            return HttpResponseRedirect(reverse("contributions:voice_notes", args=[workshop.pk]))
        bound, bound_id = _form_for(note, request.POST), note.pk
        if bound.is_valid():
            try:
                saved = contribution_transcribe(
                    contribution=note,
                    text=bound.cleaned_data["text"],
                    by=user,
                    language=bound.cleaned_data["language"] or None,
                    dimension=bound.cleaned_data["dimension"],
                )
            except DomainError as error:
                field = error.field if error.field in _VISIBLE_FIELDS else None
                bound.add_error(field, error.message)
            else:
                messages.success(
                    request,
                    gettext("Transcribed: contribution #%(number)s is published.")
                    % {"number": saved.pk}
                    if saved.moderation_status == ModerationStatus.PUBLISHED
                    else gettext(
                        "Transcribed: contribution #%(number)s will be published once a "
                        "moderator has read it."
                    )
                    % {"number": saved.pk},
                )
                return HttpResponseRedirect(
                    reverse("contributions:voice_notes", args=[workshop.pk])
                )
        status = UNPROCESSABLE
    notes = [
        {
            "contribution": note,
            "form": bound if note.pk == bound_id and bound is not None else _form_for(note),
        }
        for note in awaiting
    ]
    context = {
        "workshop": workshop,
        "meeting": workshop.meeting,
        "consultation": workshop.meeting.consultation,
        "notes": notes,
    }
    return render(request, "contributions/voice_notes.html", context, status=status)


@require_safe
def audio(request: HttpRequest, pk: int) -> FileResponse:
    """The voice note itself, with the type its first bytes say; 404 unless the user may hear
    it (``rules.can_hear_voice_note``)."""
    contribution = selectors.contribution_voice_note_get_for_user(
        contribution_id=pk, user=request.user
    )
    try:
        kind = voice_note_kind(contribution=contribution)
        file = contribution.audio.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    if kind is None:
        file.close()
        raise Http404
    response = FileResponse(file, content_type=kind.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    # A recording is not a page of the site: nothing in it may run or be framed.
    response["X-Content-Type-Options"] = "nosniff"
    return response
