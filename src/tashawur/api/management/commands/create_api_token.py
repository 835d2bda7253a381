"""``tashawur manage create_api_token USERNAME [--name N] [--kind device] [--days D]``: make an
API token for a script and print its key, once (only its hash is stored)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tashawur.core.errors import DomainError
from tashawur.core.models import ApiToken, User
from tashawur.core.tokens import api_token_create


class Command(BaseCommand):
    help = "Make an API token for a user and print its key (shown this once only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="script", help="What the token is for.")
        parser.add_argument("--kind", choices=ApiToken.Kind.values, default=ApiToken.Kind.PERSONAL)
        parser.add_argument(
            "--days", type=int, default=None, help="Expires after this many days (default: never)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user is called {options['username']!r}.")
        days = options["days"]
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        try:
            token, key = api_token_create(
                user=user,
                name=options["name"],
                kind=options["kind"],
                created_by=None,
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stderr.write(
            f"Token {token.name!r} ({token.kind}) for {user.username}; the key below is shown "
            "only now:"
        )
        self.stdout.write(key)
