"""API tokens: only a hash is stored, the key is shown once, revoked or expired opens nothing,
and last use moves at most once a minute."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tashawur.core.errors import DomainError
from tashawur.core.models import ApiToken
from tashawur.core.tokens import (
    api_token_authenticate,
    api_token_check,
    api_token_create,
    api_token_revoke,
)
from tests.actors.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_stores_only_the_hash_and_a_prefix() -> None:
    user = UserFactory()
    token, key = api_token_create(user=user, name="  my   phone ", created_by=user)
    assert key.startswith("tsh_") and len(key) == 4 + 43
    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    assert token.name == "my phone"
    assert key not in {getattr(token, f.attname) for f in ApiToken._meta.concrete_fields}
    assert api_token_authenticate(key) == user


def test_two_keys_differ() -> None:
    user = UserFactory()
    keys = {api_token_create(user=user, name="t", created_by=None)[1] for _ in range(5)}
    assert len(keys) == 5


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"name": " "}, "token_name_required"),
        ({"name": "x" * 101}, "token_name_too_long"),
        ({"name": "t", "kind": "robot"}, "token_kind_invalid"),
        ({"name": "t", "expires_at": timezone.now() - timedelta(days=1)}, "token_expiry_past"),
    ],
)
def test_create_refuses(kwargs: dict, code: str) -> None:
    with pytest.raises(DomainError) as raised:
        api_token_create(user=UserFactory(), created_by=None, **kwargs)
    assert raised.value.code == code


def test_revoked_expired_inactive_and_unknown_keys_open_nothing() -> None:
    user = UserFactory()
    revoked, revoked_key = api_token_create(user=user, name="a", created_by=None)
    first = api_token_revoke(token=revoked).revoked_at
    assert api_token_revoke(token=revoked).revoked_at == first
    expired, expired_key = api_token_create(
        user=user, name="b", created_by=None, expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    other = UserFactory(is_active=False)
    _token, inactive_key = api_token_create(user=UserFactory(), name="c", created_by=None)
    ApiToken.objects.filter(key_hash=_token.key_hash).update(user=other)

    assert api_token_check(revoked_key).code == "token_revoked"
    assert api_token_check(expired_key).code == "token_expired"
    assert api_token_check(inactive_key).code == "not_authenticated"
    assert api_token_check("tsh_unknown").code == "not_authenticated"
    assert api_token_check("not-a-key").code == "not_authenticated"
    assert api_token_check("tsh_" + "x" * 1000).code == "not_authenticated"
    assert api_token_authenticate(revoked_key) is None


def test_last_used_moves_at_most_once_a_minute() -> None:
    user = UserFactory()
    token, key = api_token_create(user=user, name="t", created_by=None)
    api_token_authenticate(key)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    api_token_authenticate(key)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api_token_authenticate(key)
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


def test_the_command_prints_the_key_once() -> None:
    user = UserFactory(username="tablet-owner")
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token",
        "tablet-owner",
        "--name",
        "tablet 3",
        "--kind",
        "device",
        stdout=out,
        stderr=err,
    )
    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.kind) == (user, "tablet 3", "device")
    assert api_token_authenticate(key) == user
    assert key not in err.getvalue()
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=StringIO(), stderr=StringIO())
