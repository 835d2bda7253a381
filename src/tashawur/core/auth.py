"""The signed-in user of a request, read at the cost of one plain statement.

Every signed-in request reads its user's row (Django's ``ModelBackend.get_user``), and building
that query through the ORM costs some 0.3 ms of CPU of the ~0.45 ms the whole read takes (a
sixth of the bare view's ~1.6 ms: issue 15, item 1, the floor under every budget). Here the
``SELECT``'s column list is written once (``core.raw_rows.ModelColumns``) and its row turned
into a ``User`` directly.
Nothing is cached between requests: each request still reads the row, so a sign-out, a password
change (the session's hash no longer matches) or an erased participant (inactive) takes effect
at the next request, exactly as with Django's own middleware.

``AuthenticationMiddleware`` replaces Django's in ``MIDDLEWARE``; sessions signed in through any
backend other than ``ModelBackend`` (none today) go through Django's ``auth.get_user`` unchanged.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from tashawur.core.models import User
from tashawur.core.raw_rows import ModelColumns

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
_MODEL_BACKEND = ModelBackend()

#: The user's columns, turned into a ``User`` as the ORM turns them (``core.raw_rows``).
_USER_COLUMNS: ModelColumns[User] = ModelColumns(User, "u")


def user_row_get(user_id: Any) -> User | None:
    """The user of this primary key, as ``User.objects.get(pk=...)`` reads it; None if none."""
    quote = connection.ops.quote_name
    # Names from the model, never from input: the user's id is the statement's parameter.
    sql = (
        f"SELECT {_USER_COLUMNS.sql()} FROM {quote(User._meta.db_table)} u "  # noqa: S608
        f"WHERE u.{quote(str(User._meta.pk.column))} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    return None if row is None else _USER_COLUMNS.build(row)


def session_user_get(request: HttpRequest) -> Any:
    """Django 5.2's ``auth.get_user``, with ``ModelBackend``'s read of the row done by
    ``user_row_get``: the same session checks (the backend still listed, the user active, the
    session's hash matching the password's, a fallback secret's hash cycling the session) and
    the same outcome (the session flushed and an anonymous user when a check fails)."""
    session = request.session
    try:
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path != MODEL_BACKEND:
        return auth.get_user(request)
    try:
        user_id = auth._get_user_session_key(request)  # type: ignore[attr-defined]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    user = user_row_get(user_id)
    if user is None or not _MODEL_BACKEND.user_can_authenticate(user):
        return AnonymousUser()
    session_hash = session.get(HASH_SESSION_KEY)
    session_auth_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, session_auth_hash):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback_hash)
        for fallback_hash in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[HASH_SESSION_KEY] = session_auth_hash
        return user
    session.flush()
    return AnonymousUser()


def _request_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_user_get(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with ``request.user`` read by ``session_user_get``."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _request_user(request))  # type: ignore[assignment]
