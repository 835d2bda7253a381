"""API tokens: made, checked and revoked here.

A key is ``tsh_`` followed by 43 URL-safe characters (32 random bytes). Only its SHA-256 (hex)
is stored, with its first characters (``prefix``) to name it in lists: the key itself is shown
once, to whoever made it, and cannot be read back. A token acts with its user's rights and no
more; revoked, expired, or its user deactivated, it opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tashawur.core.errors import DomainError
from tashawur.core.models import ApiToken, User

KEY_PREFIX = "tsh_"
#: How many characters of the key name it in lists (``tsh_`` and four more).
PREFIX_LENGTH = 8
#: A key longer than this is no key of ours (checked before hashing anything).
KEY_MAX_LENGTH = 100
#: ``last_used_at`` moves at most this often: one write a minute, not one a request.
LAST_USED_EVERY = timedelta(minutes=1)
NAME_MAX_LENGTH = 100


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    kind: str = ApiToken.Kind.PERSONAL,
    created_by: User | None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns it and its key, which is never stored."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Give the token a name."), code="token_name_required", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError(
            _("A token's name has at most %(max)s characters.") % {"max": NAME_MAX_LENGTH},
            code="token_name_too_long",
            field="name",
        )
    if kind not in ApiToken.Kind.values:
        raise DomainError(_("A token is personal or for a device."), code="token_kind_invalid")
    if not user.is_active:
        raise DomainError(
            _("This account is deactivated: it cannot have a token."), code="user_inactive"
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(
            _("The expiry date must be in the future."),
            code="token_expiry_past",
            field="expires_at",
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        kind=kind,
        prefix=key[:PREFIX_LENGTH],
        key_hash=key_hash(key),
        created_by=created_by,
        expires_at=expires_at,
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke the token now; revoking a revoked token keeps its first date."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


@dataclass(frozen=True)
class TokenCheck:
    """What a presented key is worth: its user when it opens, else why not (``code``:
    ``not_authenticated`` for an unknown key or a deactivated user, ``token_revoked``,
    ``token_expired``)."""

    user: User | None
    token: ApiToken | None
    code: str


def api_token_check(key: str) -> TokenCheck:
    """Check a presented key; when it opens, note its use (at most once a minute)."""
    refused = TokenCheck(user=None, token=None, code="not_authenticated")
    if not key.startswith(KEY_PREFIX) or len(key) > KEY_MAX_LENGTH or not key.isascii():
        return refused
    token = ApiToken.objects.select_related("user").filter(key_hash=key_hash(key)).first()
    if token is None or not token.user.is_active:
        return refused
    now = timezone.now()
    if token.revoked_at is not None:
        return TokenCheck(user=None, token=token, code="token_revoked")
    if token.expires_at is not None and token.expires_at <= now:
        return TokenCheck(user=None, token=token, code="token_expired")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        # One conditional write: concurrent requests of the same minute move it once.
        ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_EVERY).update(
            last_used_at=now
        )
        token.last_used_at = now
    return TokenCheck(user=token.user, token=token, code="ok")


def api_token_authenticate(key: str) -> User | None:
    """The user a key acts for, or ``None`` (unknown, revoked, expired, user deactivated)."""
    return api_token_check(key).user
