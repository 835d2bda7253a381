"""Concurrent voters against a running server: seed voter accounts in the demo, drive them over
HTTP from threads (each with its own cookies), then check what the database kept.

``voters_seed`` and ``voters_check`` run where Django is set up on the server's database (the
tests call them in a subprocess: ``python -m tests.demo.voters prepare|seed|check``);
``voters_run`` speaks HTTP only.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

VOTER_PASSWORD = "voter-password-2018"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def voters_seed(*, count: int, logins: int) -> dict[str, Any]:
    """Give ``count`` demo participants an account each. The first ``logins`` sign in through the
    form (a real password check: PBKDF2, about a second of processor each); the others get a
    signed-in session here, as if they had signed in earlier. Returns the accounts, their
    session keys and the published proposals of the first 2018 round table, opened again."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from tashawur.actors.models import Participant
    from tashawur.consultations.models import Dimension, Workshop
    from tashawur.contributions.models import Contribution, ModerationStatus, Vote
    from tashawur.contributions.services import contribution_vote_counters_recompute
    from tashawur.core.models import User

    # The demo's 2018 round tables are closed with their reports; the load is that of a table
    # still open with proposals on it, so the first one is opened again for the run.
    workshop = Workshop.objects.filter(meeting__slug="taroudant-2018").order_by("pk").first()
    assert workshop is not None
    Workshop.objects.filter(pk=workshop.pk).update(status=Workshop.Status.OPEN, closed_at=None)
    proposals = list(
        Contribution.objects.filter(
            workshop=workshop,
            dimension=Dimension.PROPOSAL,
            moderation_status=ModerationStatus.PUBLISHED,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    participants = list(
        Participant.objects.filter(user__isnull=True, erased_at__isnull=True).order_by("pk")[:count]
    )
    assert len(participants) == count, f"only {len(participants)} participants without account"
    # Their votes from the demo are dropped, so that every vote left is one the run cast.
    voted = set(
        Vote.objects.filter(participant__in=participants).values_list("contribution_id", flat=True)
    )
    Vote.objects.filter(participant__in=participants).delete()
    contribution_vote_counters_recompute(contribution_ids=sorted(voted))
    password = make_password(VOTER_PASSWORD)
    voters = []
    for number, participant in enumerate(participants):
        user = User.objects.create(username=f"voter{number:02d}", password=password)
        participant.user = user
        participant.save(update_fields=["user"])
        session = ""
        if number >= logins:
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            session = store.session_key or ""
        voters.append({"username": user.username, "session": session})
    return {"workshop": workshop.pk, "proposals": proposals, "voters": voters}


def voters_check(acknowledged: list[list[Any]]) -> dict[str, Any]:
    """Compare the acknowledged votes ``[username, contribution id, value]`` (the last one per
    pair counts) with the rows stored, and every touched proposal's counters with its votes."""
    from django.db.models import Count

    from tashawur.contributions.models import Contribution, Vote

    expected = {(username, pk): value for username, pk, value in acknowledged}
    stored: dict[tuple[str, int], list[int]] = {}
    for username, pk, value in Vote.objects.filter(
        participant__user__username__startswith="voter"
    ).values_list("participant__user__username", "contribution_id", "value"):
        stored.setdefault((username, pk), []).append(value)
    lost = sorted(key for key in expected if key not in stored)
    wrong = sorted(key for key, value in expected.items() if stored.get(key, [value]) != [value])
    duplicated = sorted(key for key, values in stored.items() if len(values) > 1)
    unasked = sorted(key for key in stored if key not in expected)
    counters_off = []
    for contribution in Contribution.objects.filter(pk__in={pk for _, pk in expected}):
        counted = dict(
            Vote.objects.filter(contribution=contribution)
            .values_list("value")
            .annotate(n=Count("pk"))
            .values_list("value", "n")
        )
        kept = (contribution.agree_count, contribution.disagree_count, contribution.pass_count)
        if kept != (counted.get(1, 0), counted.get(-1, 0), counted.get(0, 0)):
            counters_off.append(contribution.pk)
    return {
        "acknowledged": len(expected),
        "stored": len(stored),
        "lost": lost,
        "wrong": wrong,
        "duplicated": duplicated,
        "unasked": unasked,
        "counters_off": counters_off,
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class VotersResult:
    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    #: [username, contribution id, value] of every vote the server answered 200 to.
    acknowledged: list[list[Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(status >= 500 for status in self.statuses)

    def summary(self) -> str:
        ordered = sorted(self.latencies)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else 0.0
        counts: dict[int, int] = {}
        for status in self.statuses:
            counts[status] = counts.get(status, 0) + 1
        return (
            f"{len(self.statuses)} requests in {self.seconds:.1f} s, "
            f"statuses {dict(sorted(counts.items()))}, "
            f"5xx {self.server_errors}, p50 {statistics.median(ordered) if ordered else 0:.3f} s, "
            f"p95 {p95:.3f} s, max {ordered[-1] if ordered else 0:.3f} s, "
            f"{len(self.acknowledged)} votes acknowledged, {len(self.failures)} failures"
        )


def voters_run(
    base_url: str, seed: dict[str, Any], *, votes_each: int, timeout: float = 120
) -> VotersResult:
    """Each voter (one thread, its own cookies) signs in when it has no session, opens the
    workshop page, then casts ``votes_each`` votes as htmx does; all start together."""
    result = VotersResult()
    lock = threading.Lock()
    voters = seed["voters"]
    proposals = seed["proposals"]
    host = urllib.parse.urlsplit(base_url).hostname or "127.0.0.1"
    barrier = threading.Barrier(len(voters))

    def request(
        opener: Any, path: str, data: dict[str, str] | None = None, **headers: str
    ) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        url = base_url.rstrip("/") + path  # http://127.0.0.1:<port>, the test's own server
        req = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
        started = time.perf_counter()
        try:
            with opener.open(req, timeout=timeout) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode("utf-8", "replace")
        with lock:
            result.statuses.append(status)
            result.latencies.append(time.perf_counter() - started)
        return status, text

    def voter(number: int, account: dict[str, str]) -> None:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        if account["session"]:
            jar.set_cookie(_cookie(host, "sessionid", account["session"]))
        barrier.wait()
        try:
            if not account["session"]:
                status, page = request(opener, "/login/")
                token = _CSRF.search(page)
                if status != 200 or token is None:
                    raise AssertionError(f"login page answered {status}")
                status, _ = request(
                    opener,
                    "/login/",
                    {
                        "csrfmiddlewaretoken": token.group(1),
                        "username": account["username"],
                        "password": VOTER_PASSWORD,
                    },
                )
                if status != 302:
                    raise AssertionError(f"login answered {status}")
            status, page = request(opener, f"/w/{seed['workshop']}/")
            token = _CSRF.search(page)
            if status != 200 or token is None:
                raise AssertionError(f"workshop page answered {status}")
            for turn in range(votes_each):
                pk = proposals[(number + turn) % len(proposals)]
                value = (1, -1, 0)[(number + turn) % 3]
                status, _ = request(
                    opener,
                    f"/s/{pk}/vote/",
                    {"csrfmiddlewaretoken": token.group(1), "value": str(value)},
                    **{"HX-Request": "true", "X-CSRFToken": token.group(1)},
                )
                if status == 200:
                    with lock:
                        result.acknowledged.append([account["username"], pk, value])
        except Exception as error:  # reported, not raised: the other voters go on
            with lock:
                result.failures.append(f"{account['username']}: {error!r}")

    threads = [
        threading.Thread(target=voter, args=(n, account)) for n, account in enumerate(voters)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def _cookie(host: str, name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=host,
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=False,
        expires=None,
        discard=True,
        comment=None,
        comment_url=None,
        rest={"HttpOnly": ""},
    )


def _main(command: str, *args: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    if command == "prepare":  # what `tashawur demo` loads (its first synthesis aside), then seed
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_reference_data", verbosity=0)
        call_command("load_demo", verbosity=0)
        command = "seed"
    if command == "seed":
        return voters_seed(count=int(args[0]), logins=int(args[1]))
    return voters_check(json.load(sys.stdin))


if __name__ == "__main__":
    # Only the JSON on stdout: what the commands say goes to stderr.
    stdout, sys.stdout = sys.stdout, sys.stderr
    answer = _main(*sys.argv[1:])
    stdout.write(json.dumps(answer) + "\n")
