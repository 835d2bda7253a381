"""The signed-in user of a request, read at the cost of one plain statement.

Every signed-in request reads its user's row (Django's ``ModelBackend.get_user``), and building
that query through the ORM costs some 0.3 ms of CPU of the ~0.45 ms the whole read takes (a
sixth of the bare view's ~1.6 ms: issue 15, item 1, the floor under every budget). Here the
``SELECT`` is written once per database alias and its row turned into a ``User`` directly.
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
from django.db import connections, router
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from tashawur.core.models import User

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
_MODEL_BACKEND = ModelBackend()

# (database alias, vendor) -> (SELECT by primary key, attribute names, converters per column)
_STATEMENTS: dict[tuple[str, str], tuple[str, list[str], list[tuple[Any, list[Any]]]]] = {}


def _statement(alias: str) -> tuple[str, list[str], list[tuple[Any, list[Any]]]]:
    connection = connections[alias]
    key = (alias, connection.vendor)
    statement = _STATEMENTS.get(key)
    if statement is None:
        meta = User._meta
        quote = connection.ops.quote_name
        table = meta.db_table
        fields = list(meta.concrete_fields)
        # Names from the model, never from input: the user's id is the statement's parameter.
        columns = ", ".join(f"{quote(table)}.{quote(str(field.column))}" for field in fields)
        pk_column = quote(str(meta.pk.column))
        sql = f"SELECT {columns} FROM {quote(table)} WHERE {quote(table)}.{pk_column} = %s"  # noqa: S608
        # The converters the ORM's compiler applies to each column (SQLite's dates and booleans).
        converters = []
        for field in fields:
            column = field.get_col(table)
            converters.append(
                (
                    column,
                    connection.ops.get_db_converters(column) + column.get_db_converters(connection),
                )
            )
        statement = (sql, [field.attname for field in fields], converters)
        _STATEMENTS[key] = statement
    return statement


def user_row_get(user_id: Any) -> User | None:
    """The user of this primary key, as ``User.objects.get(pk=...)`` reads it; None if none."""
    alias = router.db_for_read(User)
    sql, names, converters = _statement(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, (column, functions) in enumerate(converters):
        for function in functions:
            values[index] = function(values[index], column, connection)
    return User.from_db(alias, names, values)


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
