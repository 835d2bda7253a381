"""The site's header, rendered once per language and kind of reader and kept in the cache.

Every page draws it (``base.html``): the links, the reader's name, the sign-out and language
forms cost about 1 ms of CPU a page to render (issue 15, item 1), the same for every reader but
for their name, the address they are on and their CSRF token. Those are rendered as
placeholders, the HTML is cached under what else it shows (the language, signed in or not,
administrator or not, a workspace or not) and the reader's own put in on each request; a
renamed reader or a changed role shows at once (the name is put in, the roles are the key).
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.template.defaultfilters import urlencode
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from tashawur.consultations import rules
from tashawur.core.caching import cached_build, version_key

register = template.Library()

HEADER_TEMPLATE = "web/_site_header.html"
# Bumped when the header's template changes.
_HEADER_VERSION = 1
_CSRF_INPUT = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(")')
# Left as they are by escaping and by |urlencode, so that they come out of the template whole.
_USERNAME, _PATH, _QUERY, _TOKEN = (
    "TASHAWUR_HEADER_USERNAME",
    "TASHAWUR_HEADER_PATH",
    "TASHAWUR_HEADER_QUERY",
    "TASHAWUR_HEADER_CSRF",
)
_PLACEHOLDERS = re.compile("|".join((_USERNAME, _PATH, _QUERY, _TOKEN)))


@register.simple_tag(takes_context=True)
def site_header(context: template.Context) -> SafeString:
    """The header for this reader (``web/_site_header.html``), from the cache."""
    request = context.get("request")
    user = context.get("user")
    language = context.get("LANGUAGE_CODE") or get_language()
    if request is None or user is None:
        # An error page rendered without its request: no reader, no token, nothing to cache.
        html = get_template(HEADER_TEMPLATE).render(
            {"user": user, "LANGUAGE_CODE": language, "next_path": "", "next_query": ""}
        )
        return mark_safe(html)  # noqa: S308 - the template engine's output
    signed_in = bool(user.is_authenticated)
    workspace = rules.can_use_workspace(user)
    key = version_key(
        "site-header", _HEADER_VERSION, language, signed_in, bool(user.is_superuser), workspace
    )

    def render() -> str:
        html = get_template(HEADER_TEMPLATE).render(
            {
                "user": user,
                "uses_workspace": workspace,
                "username": _USERNAME,
                "next_path": _PATH,
                "next_query": _QUERY,
                "LANGUAGE_CODE": language,
            },
            request,
        )
        return _CSRF_INPUT.sub(rf"\g<1>{_TOKEN}\g<2>", html)

    html = cached_build(key, render, timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS))
    path = request.get_full_path()
    own: dict[str, Any] = {
        _USERNAME: escape(user.get_username()) if signed_in else "",
        _PATH: escape(path),
        _QUERY: escape(urlencode(path)),
        _TOKEN: get_token(request),
    }
    # One pass: what is put in is never read again for a placeholder.
    # Escaped above, the rest rendered by the template engine.
    return mark_safe(_PLACEHOLDERS.sub(lambda match: str(own[match.group(0)]), html))  # noqa: S308
