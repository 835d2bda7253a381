"""The site's header, rendered once per process for each language and kind of reader.

Every page draws it (``base.html``): the links, the reader's name, the sign-out and language
forms cost about 1 ms of CPU a page to render (issue 15, item 1), the same for every reader but
for their name, the address they are on and their CSRF token. Those are rendered as
placeholders, the HTML is kept under what else it shows (the language, the address prefix,
signed in or not, administrator or not, a workspace or not) and the reader's own put in on each
request; a renamed reader or a changed role shows at once (the name is put in, the roles are
the key). Nothing in it comes from the data, so it is kept in the process (a skeleton, as the
vote's in ``contributions.views``) rather than read from the cache on every page; rendered every
time under DEBUG (templates reloaded).
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.conf import settings
from django.template.defaultfilters import urlencode
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from tashawur.consultations import rules
from tashawur.core.csrf import response_token

register = template.Library()

HEADER_TEMPLATE = "web/_site_header.html"
# The header's skeleton by language, address prefix and kind of reader.
_skeletons: dict[tuple[object, ...], str] = {}
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
    key = (language, get_script_prefix(), signed_in, bool(user.is_superuser), workspace)
    skeleton = None if settings.DEBUG else _skeletons.get(key)
    if skeleton is None:
        rendered = get_template(HEADER_TEMPLATE).render(
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
        skeleton = _skeletons[key] = _CSRF_INPUT.sub(rf"\g<1>{_TOKEN}\g<2>", rendered)
    path = request.get_full_path()
    own: dict[str, Any] = {
        _USERNAME: escape(user.get_username()) if signed_in else "",
        _PATH: escape(path),
        _QUERY: escape(urlencode(path)),
        _TOKEN: response_token(request),
    }
    # One pass: what is put in is never read again for a placeholder.
    # Escaped above, the rest rendered by the template engine.
    return mark_safe(_PLACEHOLDERS.sub(lambda match: str(own[match.group(0)]), skeleton))  # noqa: S308
