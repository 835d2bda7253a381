"""The signed-in user is read at every request without the ORM's query building (core.auth),
and every session check of Django's still holds, at once: signing out, a password change, an
erased or deactivated participant, a removed backend, a retired secret key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tashawur.contributions.services.erasure import participant_erase
from tashawur.core.auth import MODEL_BACKEND, user_row_get
from tashawur.core.models import User
from tests.actors.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db

ME = "/me/"  # signed in: 200; anonymous: sent to the sign-in page


class OtherBackend(ModelBackend):
    """A second backend, to show that its sessions go through Django's own reading."""


OTHER_BACKEND = f"{__name__}.OtherBackend"


def _signed_in(user: User, backend: str = MODEL_BACKEND) -> Client:
    client = Client()
    client.force_login(user, backend=backend)
    return client


def _is_signed_in(client: Client, user: User) -> bool:
    response = client.get(ME)
    if response.status_code == 302:
        assert response["Location"].startswith("/login/")
        assert not response.wsgi_request.user.is_authenticated
        return False
    assert response.status_code == 200
    assert response.wsgi_request.user == user
    return True


def test_user_row_get_reads_what_the_orm_reads() -> None:
    user = UserFactory(first_name="سعاد", last_name="Tazi", email="s@example.org")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now(), is_staff=True)

    read = user_row_get(user.pk)
    expected = User.objects.get(pk=user.pk)

    assert read is not None
    assert type(read) is User
    assert not read._state.adding
    assert read._state.db == "default"
    for field in User._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(expected, field.attname), field.name
    # Converted as the ORM converts them (SQLite gives text and integers).
    assert isinstance(read.last_login, dt.datetime)
    assert read.is_staff is True
    assert read.is_active is True


def test_user_row_get_of_no_such_user_is_none() -> None:
    assert user_row_get(10**9) is None


def test_the_user_is_read_in_one_query_of_core_auth() -> None:
    user = UserFactory()
    client = _signed_in(user)
    client.get(ME)  # the session is in the cache now
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/login/")
        assert response.wsgi_request.user == user
    user_reads = [q["sql"] for q in queries.captured_queries if "core_user" in q["sql"]]
    # The statement core.auth writes (fully qualified columns and ``= %s``), not the ORM's.
    assert len(user_reads) == 1
    assert "LIMIT" not in user_reads[0].upper()


def test_a_signed_in_participant_is_recognised() -> None:
    user = UserFactory()
    assert _is_signed_in(_signed_in(user), user)


def test_signing_out_ends_the_session_at_once_for_every_copy_of_its_cookie() -> None:
    user = UserFactory()
    client = _signed_in(user)
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert _is_signed_in(copy, user)

    client.post("/logout/")

    assert not _is_signed_in(copy, user)


def test_a_password_change_signs_out_the_other_sessions_at_once() -> None:
    user = UserFactory()
    phone, laptop = _signed_in(user), _signed_in(user)
    assert _is_signed_in(phone, user)
    session_key = laptop.cookies[settings.SESSION_COOKIE_NAME].value

    user.set_password("another-password-2026")
    user.save()

    assert not _is_signed_in(phone, user)
    assert not _is_signed_in(laptop, user)
    # As Django does: the session that no longer matches is flushed, not only refused.
    assert not Session.objects.filter(session_key=session_key).exists()


def test_an_erased_participant_loses_access_at_once() -> None:
    participant = ParticipantFactory(user=UserFactory())
    client = _signed_in(participant.user)
    assert _is_signed_in(client, participant.user)

    participant_erase(participant=participant)

    assert not _is_signed_in(client, participant.user)


def test_a_user_deactivated_behind_the_models_back_loses_access_at_once() -> None:
    user = UserFactory()
    client = _signed_in(user)
    assert _is_signed_in(client, user)

    User.objects.filter(pk=user.pk).update(is_active=False)  # no save(), no signal

    assert not _is_signed_in(client, user)


def test_a_deleted_user_loses_access_at_once() -> None:
    user = UserFactory()
    client = _signed_in(user)
    assert _is_signed_in(client, user)

    User.objects.filter(pk=user.pk).delete()

    assert not _is_signed_in(client, user)


def test_a_session_of_a_backend_no_longer_listed_is_anonymous(settings) -> None:
    user = UserFactory()
    client = _signed_in(user)

    settings.AUTHENTICATION_BACKENDS = [
        backend for backend in settings.AUTHENTICATION_BACKENDS if backend != MODEL_BACKEND
    ]

    assert not _is_signed_in(client, user)


def test_a_session_without_its_hash_is_flushed() -> None:
    user = UserFactory()
    client = _signed_in(user)
    session = client.session
    del session[HASH_SESSION_KEY]
    session.save()

    assert not _is_signed_in(client, user)
    assert not Session.objects.filter(session_key=session.session_key).exists()


def test_a_session_of_a_retired_secret_key_stays_signed_in_under_a_new_key(settings) -> None:
    settings.SECRET_KEY = "the-retired-secret-key-" + "r" * 40
    user = UserFactory()
    client = _signed_in(user)
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value

    settings.SECRET_KEY = "the-new-secret-key-" + "n" * 40
    settings.SECRET_KEY_FALLBACKS = ["the-retired-secret-key-" + "r" * 40]

    assert _is_signed_in(client, user)
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key  # Django cycles the session
    assert client.session[HASH_SESSION_KEY] == user.get_session_auth_hash()
    assert _is_signed_in(client, user)


def test_a_session_of_a_secret_key_neither_current_nor_retired_is_flushed(settings) -> None:
    settings.SECRET_KEY = "a-forgotten-secret-key-" + "f" * 40
    user = UserFactory()
    client = _signed_in(user)

    settings.SECRET_KEY = "the-new-secret-key-" + "n" * 40
    settings.SECRET_KEY_FALLBACKS = []

    assert not _is_signed_in(client, user)


def test_a_session_of_another_backend_is_read_by_django(settings) -> None:
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, OTHER_BACKEND]
    user = UserFactory()
    client = _signed_in(user, backend=OTHER_BACKEND)
    assert client.session[BACKEND_SESSION_KEY] == OTHER_BACKEND

    assert _is_signed_in(client, user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert not _is_signed_in(client, user)
