"""Sign-in lock-out: per account after a few failures (django-axes), per network after many
(a workshop signs in through one hotspot); the refusal is a translated page, and the right
password does not get through it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings

from tashawur.core.models import User
from tashawur.core.roles import Role

from .world import PASSWORD, World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_rate_windows")]

ACCOUNT_LOCKED_AR = (
    "محاولات دخول فاشلة كثيرة لهذا الحساب. تسجيل الدخول متوقف مؤقتًا: أعد المحاولة بعد 15 دقيقة."
)
ACCOUNT_LOCKED_FR = (
    "Trop de tentatives de connexion échouées pour ce compte. La connexion est suspendue : "
    "réessayez dans 15 minutes."
)


def _sign_in(client: Client, username: str, password: str, *, prefix: str = ""):
    return client.post(f"{prefix}/login/", {"username": username, "password": password})


def _alert(html: str) -> str:
    return re.findall(r'<p class="errors" role="alert">([^<]+)</p>', html)[0]


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_forty_wrong_passwords_then_the_right_one_is_refused(world: World, client: Client) -> None:
    for _ in range(40):
        assert not _signed_in(client)
        _sign_in(client, "participant", "wrong-password")

    response = _sign_in(client, "participant", PASSWORD)

    assert response.status_code == 429
    assert 800 < int(response["Retry-After"]) <= 900
    html = response.content.decode()
    assert _alert(html) == ACCOUNT_LOCKED_AR
    assert "<title>تسجيل الدخول متوقف مؤقتًا · تشاور</title>" in html
    assert not _signed_in(client)


def test_the_account_is_locked_at_the_tenth_failure(world: World, client: Client) -> None:
    statuses = [_sign_in(client, "participant", "wrong").status_code for _ in range(10)]
    assert statuses == [200] * 9 + [429]


def test_the_lock_out_page_is_french_under_fr(world: World, client: Client) -> None:
    for _ in range(10):
        _sign_in(client, "participant", "wrong", prefix="/fr")
    response = _sign_in(client, "participant", PASSWORD, prefix="/fr")
    assert response.status_code == 429
    assert _alert(response.content.decode()) == ACCOUNT_LOCKED_FR


def test_the_right_password_works_again_after_the_cool_off(world: World, client: Client) -> None:
    for _ in range(10):
        _sign_in(client, "participant", "wrong")
    assert _sign_in(client, "participant", PASSWORD).status_code == 429
    # Sixteen minutes later (the cool-off is 15)…
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))

    response = _sign_in(client, "participant", PASSWORD)

    assert response.status_code == 302
    assert _signed_in(client)


@override_settings(AXES_COOLOFF_TIME=dt.timedelta(minutes=2))
def test_the_page_says_how_long_is_left(world: World, client: Client) -> None:
    for _ in range(10):
        _sign_in(client, "participant", "wrong")
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=70))
    response = _sign_in(client, "participant", PASSWORD)
    assert _alert(response.content.decode()) == (
        "محاولات دخول فاشلة كثيرة لهذا الحساب. تسجيل الدخول متوقف مؤقتًا: أعد المحاولة بعد "
        "دقيقة واحدة."
    )


def test_a_success_below_the_limit_starts_the_count_again(world: World, client: Client) -> None:
    for _ in range(9):
        _sign_in(client, "participant", "wrong")
    assert _sign_in(client, "participant", PASSWORD).status_code == 302
    client.logout()
    for _ in range(9):
        _sign_in(client, "participant", "wrong")
    assert _sign_in(client, "participant", PASSWORD).status_code == 302


def test_a_locked_account_does_not_lock_its_neighbours_on_the_hotspot(
    world: World, client: Client
) -> None:
    for _ in range(10):
        _sign_in(client, "participant", "wrong")
    neighbour = Client()  # same address, 127.0.0.1

    assert _sign_in(neighbour, "facilitator", PASSWORD).status_code == 302


# A one-minute window, so that the minutes left are known: one.
@override_settings(TASHAWUR_LOGIN_FAILURES_PER_IP=5, TASHAWUR_LOGIN_COOLOFF_MINUTES=1)
def test_a_network_that_fails_too_often_is_refused_even_the_right_password(
    world: World, client: Client
) -> None:
    for n in range(5):
        _sign_in(client, f"someone-{n}", "guess")

    response = _sign_in(client, "facilitator", PASSWORD)

    assert response.status_code == 429
    assert _alert(response.content.decode()) == (
        "محاولات دخول فاشلة كثيرة من شبكتك. تسجيل الدخول منها متوقف مؤقتًا: أعد المحاولة بعد "
        "دقيقة واحدة."
    )
    assert not _signed_in(client)
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert _sign_in(elsewhere, "facilitator", PASSWORD).status_code == 302


def test_a_workshop_mistyping_on_one_hotspot_is_not_refused(world: World) -> None:
    """Forty participants who each mistype once, all through one address, still sign in."""
    users = [
        User.objects.create_user(username=f"p{n}", password=PASSWORD, role=Role.PARTICIPANT)
        for n in range(40)
    ]
    for user in users:
        assert _sign_in(Client(), user.username, "typo").status_code == 200
    assert all(_sign_in(Client(), user.username, PASSWORD).status_code == 302 for user in users)


def test_the_admin_sign_in_is_locked_out_the_same_way(world: World, client: Client) -> None:
    User.objects.create_superuser(username="admin", password=PASSWORD)
    for _ in range(10):
        client.post("/admin/login/", {"username": "admin", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429
    assert _alert(response.content.decode()) == ACCOUNT_LOCKED_AR
    assert "_auth_user_id" not in client.session
