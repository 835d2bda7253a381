"""A busy, full or unreachable database answers a translated 503 with Retry-After (the API's
JSON under /api/), a reading request is tried once more, and no traceback ever shows."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client

from tashawur.contributions.models import Vote
from tashawur.core.unavailable import database_trouble
from tests.web.world import World, build_world

LOCKED_AR = (
    "كاين بزاف ديال الناس كيستعملو الموقع فهاد اللحظة، وداكشي اللي صيفطتي ما تسجّلش. "
    "عاود جرّب من بعد شي ثواني من فضلك."
)
LOCKED_FR = (
    "Beaucoup de personnes utilisent le site en ce moment, et ce que vous avez envoyé n’a pas "
    "été enregistré. Veuillez réessayer dans quelques secondes."
)
FULL_FR = (
    "Le site ne peut pas accéder à ses données pour le moment. Veuillez réessayer dans quelques "
    "minutes."
)


def _raising(message: str, *, times: int = 1_000, then: Any = None) -> Any:
    calls = {"n": 0}

    def fake(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise OperationalError(message)
        return then(*args, **kwargs)

    fake.calls = calls  # type: ignore[attr-defined]
    return fake


def _sqlite_error(name: str, message: str) -> OperationalError:
    cause = sqlite3.OperationalError(message)
    cause.sqlite_errorname = name  # type: ignore[attr-defined]
    error = OperationalError(message)
    error.__cause__ = cause
    return error


class _PostgresCause(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _postgres_error(sqlstate: str) -> OperationalError:
    error = OperationalError("server said no")
    error.__cause__ = _PostgresCause(sqlstate)
    return error


@pytest.mark.parametrize(
    ("error", "trouble"),
    [
        (_sqlite_error("SQLITE_BUSY", "database is locked"), "busy"),
        (_sqlite_error("SQLITE_BUSY_SNAPSHOT", "database is locked"), "busy"),
        (_sqlite_error("SQLITE_FULL", "database or disk is full"), "unavailable"),
        (_sqlite_error("SQLITE_IOERR_WRITE", "disk I/O error"), "unavailable"),
        (_sqlite_error("SQLITE_CANTOPEN", "unable to open database file"), "unavailable"),
        (_postgres_error("53100"), "unavailable"),  # disk_full
        (_postgres_error("53300"), "unavailable"),  # too_many_connections
        (_postgres_error("08006"), "unavailable"),  # connection_failure
        (_postgres_error("57P03"), "unavailable"),  # cannot_connect_now
        (_postgres_error("55P03"), "busy"),  # lock_not_available
        (_postgres_error("40P01"), "busy"),  # deadlock_detected
        (OperationalError("database is locked"), "busy"),
        (OperationalError("no such table: contributions_vote"), None),
        (ValueError("database is locked"), None),
    ],
)
def test_database_trouble_tells_busy_from_unavailable_from_a_bug(error, trouble):
    assert database_trouble(error) == trouble


@pytest.fixture
def world(db: object) -> World:
    return build_world()


@pytest.fixture
def voter(world: World) -> Client:
    client = Client()
    client.force_login(world.participant_user)
    return client


def test_a_vote_on_a_locked_database_answers_503_in_arabic_with_retry_after(
    world, voter, monkeypatch
):
    monkeypatch.setattr(
        "tashawur.contributions.views.vote_cast_quick", _raising("database is locked")
    )

    response = voter.post(f"/s/{world.proposal.pk}/vote/", {"value": "1"})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    html = response.content.decode()
    assert LOCKED_AR in html
    assert 'lang="ar" dir="rtl"' in html
    assert "Traceback" not in html and "OperationalError" not in html


def test_a_vote_is_never_run_twice_and_the_notice_is_in_the_chosen_language(
    world, voter, monkeypatch
):
    fake = _raising("database is locked")
    monkeypatch.setattr("tashawur.contributions.views.vote_cast_quick", fake)

    response = voter.post(
        f"/fr/s/{world.proposal.pk}/vote/", {"value": "1"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 503
    assert response.content.decode().strip() == (f'<p class="errors" role="alert">{LOCKED_FR}</p>')
    assert fake.calls["n"] == 1


def test_a_full_disk_answers_503_with_a_longer_retry_after(world, voter, monkeypatch):
    monkeypatch.setattr(
        "tashawur.contributions.views.vote_cast_quick", _raising("database or disk is full")
    )

    response = voter.post(f"/fr/s/{world.proposal.pk}/vote/", {"value": "1"})

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert FULL_FR in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_page_read_while_the_database_is_busy_is_tried_once_more(monkeypatch):
    from tashawur.contributions import selectors

    fake = _raising(
        "database is locked", times=1, then=selectors.consultation_list_with_cached_counts
    )
    monkeypatch.setattr(selectors, "consultation_list_with_cached_counts", fake)

    response = Client().get("/")

    assert response.status_code == 200
    assert fake.calls["n"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_page_read_still_busy_the_second_time_answers_503(monkeypatch):
    from tashawur.contributions import selectors

    fake = _raising("database is locked")
    monkeypatch.setattr(selectors, "consultation_list_with_cached_counts", fake)

    response = Client().get("/fr/")

    assert response.status_code == 503
    assert fake.calls["n"] == 2
    assert "Beaucoup de personnes utilisent le site en ce moment. Veuillez recharger la page." in (
        response.content.decode()
    )


def test_the_api_answers_its_json_error_when_the_disk_is_full(db, monkeypatch):
    monkeypatch.setattr(
        "tashawur.api.views.consultation_list_with_counts", _raising("database or disk is full")
    )

    response = Client().get("/api/consultations", headers={"Accept-Language": "fr"})

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "error": {"code": "database_unavailable", "message": FULL_FR},
    }


def test_another_database_error_stays_a_server_error(world, voter, monkeypatch):
    monkeypatch.setattr(
        "tashawur.contributions.views.vote_cast_quick",
        _raising("no such table: contributions_vote"),
    )

    with pytest.raises(OperationalError):
        voter.post(f"/s/{world.proposal.pk}/vote/", {"value": "1"})


def test_a_session_that_cannot_be_saved_answers_503_not_500(world, monkeypatch):
    """The session is saved by its middleware, after the view: the error never reaches the
    view's exception handling."""
    from django.contrib.sessions.backends.db import SessionStore

    monkeypatch.setattr(SessionStore, "save", _raising("disk I/O error"))
    client = Client(raise_request_exception=False)

    response = client.post(
        "/fr/login/", {"username": world.participant_user.username, "password": "a-test-password-1"}
    )

    assert response.status_code == 503
    assert FULL_FR in response.content.decode()


@contextlib.contextmanager
def _write_lock_held_elsewhere(world: World) -> Iterator[None]:
    """Another connection holds the write lock (SQLite) or the workshop's row lock
    (PostgreSQL), and this one waits only a tenth of a second for it."""
    released = threading.Event()
    holding = threading.Event()

    def hold() -> None:
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                if other.vendor == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                else:
                    cursor.execute("BEGIN")
                    cursor.execute(
                        "SELECT id FROM consultations_workshop WHERE id = %s FOR UPDATE",
                        [world.workshop.pk],
                    )
                holding.set()
                released.wait(10)
                cursor.execute("ROLLBACK")
        finally:
            other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA busy_timeout = 100")
            else:
                cursor.execute("SET lock_timeout = '100ms'")
        yield
    finally:
        released.set()
        thread.join()
        connection.close()  # the next test connects with the settings' timeout again


@pytest.mark.django_db(transaction=True)
def test_a_vote_while_another_connection_holds_the_lock_answers_503_and_stores_nothing(world):
    client = Client()
    client.force_login(world.participant_user)
    votes_before = Vote.objects.count()

    with _write_lock_held_elsewhere(world):
        response = client.post(f"/s/{world.proposal.pk}/vote/", {"value": "-1"})

    assert response.status_code == 503
    assert LOCKED_AR in response.content.decode()
    assert Vote.objects.count() == votes_before
