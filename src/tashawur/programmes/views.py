"""The public accountability page of a consultation's action programme. Thin: parse →
selector → render (STYLE.md)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tashawur.programmes import rules, selectors


@require_safe
def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    programme = selectors.programme_get_for_user(slug=slug, user=request.user)
    report = selectors.programme_report(programme=programme)
    return render(
        request,
        "programmes/programme.html",
        {
            "consultation": programme.consultation,
            "programme": programme,
            "report": report,
            "may_edit": rules.can_edit_programme(request.user, programme.consultation),
        },
    )
