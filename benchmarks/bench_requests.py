"""Server CPU per participant request, in process (issue 15, item 1's budgets).

The demo is loaded into a test database (``test_<name>`` of ``DATABASE_URL``; PostgreSQL is what the
figures in docs/benchmarks.md used), then each request type is sent ``--requests`` times through
Django's test client with CSRF enforced, in ``--rounds`` rounds that interleave the request types;
reported: the median over rounds of this process's CPU time per request (``time.process_time``:
Django, its middleware and the database driver, not the PostgreSQL or Redis servers) and the SQL
queries of one request, beside the target. Settings are the demo's (DEBUG off) and the cache is
Redis when ``REDIS_URL`` is set, local memory otherwise. The rate limits are raised so that none
trips, so that each request pays for its check and not for a cheap refusal.

``bare`` is the floor: a view that does nothing, behind the same middleware (session, CSRF,
user, locale, messages, CSP, GZip…), for a signed-in participant, GET and POST; ``x floor`` is
each request's CPU over the floor's in the same rounds (steadier than the figure itself on a
machine shared with other jobs). The client asks for no compression, so GZip passes through.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python benchmarks/bench_requests.py [--requests 300] [--rounds 3] [--keepdb]
        [--only vote,home] [--profile vote]
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src")]

# The demo's settings (DEBUG off), as a server runs them; limits high enough never to trip.
os.environ.setdefault("TASHAWUR_ENV", "demo")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tashawur.config.settings")
for _name in ("TASHAWUR_RATE_VOTES", "TASHAWUR_RATE_CONTRIBUTIONS"):
    os.environ.setdefault(_name, "1000000/m")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import clear_url_caches, path, reverse  # noqa: E402
from django.views.decorators.http import require_http_methods  # noqa: E402

from tashawur.config import urls as project_urls  # noqa: E402

FLOORS = ("bare GET (floor)", "bare POST (floor)", "bare GET, anonymous")
# htmx posts a form without a file as a browser does, URL-encoded (the contribution form,
# which may carry a voice note, is multipart).
URLENCODED = "application/x-www-form-urlencoded"
# target CPU ms per request (issue 15, item 1)
TARGETS = {"vote": 3.0, "contribute": 5.0, "page": 10.0}


@require_http_methods(["GET", "POST"])
def bare(request: HttpRequest) -> HttpResponse:
    """The floor: the middleware and a signed-in user, no work."""
    return HttpResponse("ok" if request.user.is_authenticated else "anonymous")


urlpatterns = [path("bench-bare/", bare, name="bench_bare"), *project_urls.urlpatterns]
handler400 = project_urls.handler400


def _csrf(client: Client) -> str:
    return str(client.cookies["csrftoken"].value)


def _check(response: HttpResponse, expected: int, name: str) -> None:
    if response.status_code != expected:
        raise SystemExit(f"{name}: status {response.status_code}, expected {expected}")


def scenarios() -> dict[str, tuple[str, Callable[[], Callable[[], None]]]]:
    """name -> (target kind, setup returning the request to repeat)."""
    from tashawur.consultations.models import Workshop
    from tashawur.contributions.models import Contribution, ModerationStatus
    from tashawur.core.models import User
    from tashawur.demo.people import CONSULTATION_SLUG

    user = User.objects.get(username="participant")
    open_workshop = Workshop.objects.filter(status=Workshop.Status.OPEN).order_by("pk").first()
    assert open_workshop is not None, "the demo has an open round table"
    closed_workshop = (
        Workshop.objects.filter(
            status=Workshop.Status.CLOSED, meeting__consultation__slug=CONSULTATION_SLUG
        )
        .order_by("pk")
        .first()
    )
    assert closed_workshop is not None
    voted_on = list(
        Contribution.objects.filter(
            workshop=open_workshop, moderation_status=ModerationStatus.PUBLISHED
        )
        .exclude(author=user.participant)
        .values_list("pk", flat=True)
    )
    assert voted_on, "the open round table has contributions to vote on"
    shown = (
        Contribution.objects.filter(
            workshop=closed_workshop, moderation_status=ModerationStatus.PUBLISHED
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )

    def signed_in() -> Client:
        client = Client(enforce_csrf_checks=True, SERVER_NAME="localhost")
        client.force_login(user)
        client.get(reverse("web:home"))  # the CSRF cookie, as a browser has it
        return client

    def get(path: str, *, anonymous: bool = False, htmx: bool = False) -> Callable[[], None]:
        client = Client(SERVER_NAME="localhost") if anonymous else signed_in()
        headers = {"HX-Request": "true"} if htmx else {}

        def request() -> None:
            _check(client.get(path, headers=headers), 200, path)

        return request

    def vote() -> Callable[[], None]:
        client = signed_in()
        headers = {"HX-Request": "true", "X-CSRFToken": _csrf(client)}
        # Every request changes a vote (agree, disagree, agree…), none repeats the last one.
        targets = itertools.cycle(
            [(pk, value) for value in ("1", "-1") for pk in voted_on]
            if len(voted_on) % 2
            else [(pk, value) for value in ("1", "-1", "0") for pk in voted_on]
        )
        urls = {pk: reverse("contributions:vote", args=[pk]) for pk in voted_on}

        def request() -> None:
            pk, value = next(targets)
            response = client.post(urls[pk], f"value={value}", URLENCODED, headers=headers)
            _check(response, 200, "vote")

        return request

    def contribute() -> Callable[[], None]:
        client = signed_in()
        headers = {"HX-Request": "true", "X-CSRFToken": _csrf(client)}
        url = reverse("contributions:submit", args=[open_workshop.pk])
        counter = itertools.count()

        def request() -> None:
            number = f"{next(counter)} {uuid.uuid4().hex[:6]}"
            text = f"نقترح تكوينًا في التسويق لفائدة التعاونيات رقم {number}"
            data = {"text": text, "dimension": "proposal", "idempotency_key": uuid.uuid4().hex}
            _check(client.post(url, data, headers=headers), 200, "contribute")

        return request

    def bare_post() -> Callable[[], None]:
        client = signed_in()
        headers = {"HX-Request": "true", "X-CSRFToken": _csrf(client)}

        def request() -> None:
            _check(client.post("/bench-bare/", "value=1", URLENCODED, headers=headers), 200, "bare")

        return request

    consultation = reverse("web:consultation", args=[CONSULTATION_SLUG])
    public = public_pages()
    return {
        "bare GET (floor)": ("", lambda: get("/bench-bare/")),
        "bare POST (floor)": ("", bare_post),
        "vote (htmx)": ("vote", vote),
        "contribute (htmx)": ("contribute", contribute),
        "home": ("page", lambda: get(reverse("web:home"))),
        "home, anonymous": ("page", lambda: get(reverse("web:home"), anonymous=True)),
        "consultation": ("page", lambda: get(consultation)),
        "workshop, open": (
            "page",
            lambda: get(reverse("contributions:workshop", args=[open_workshop.pk])),
        ),
        "workshop, closed": (
            "page",
            lambda: get(reverse("contributions:workshop", args=[closed_workshop.pk])),
        ),
        "contribution": ("page", lambda: get(reverse("web:contribution", args=[shown]))),
        # The public pages as a signed-out reader reads them, once cached (issue 15, item 1).
        FLOORS[2]: ("", lambda: get("/bench-bare/", anonymous=True)),
        **{
            f"anonymous {name}": ("page", lambda url=url: get(url, anonymous=True))
            for name, url in public.items()
        },
    }


def public_pages() -> dict[str, str]:
    """The public pages a signed-out reader reads, by name: the demo consultation's diagnosis
    (overview, a dimension's page), a finding, its programme, the strategy."""
    from tashawur.consultations.models import Dimension
    from tashawur.demo.people import CONSULTATION_SLUG, STRATEGY_SLUG
    from tashawur.diagnosis.models import SynthesisRun

    diagnosis = reverse("diagnosis:consultation", args=[CONSULTATION_SLUG])
    pages = {
        "consultation": reverse("web:consultation", args=[CONSULTATION_SLUG]),
        "diagnosis": diagnosis,
        "diagnosis, dimension": f"{diagnosis}?dimension={Dimension.values[0]}&page=1",
        "programme": reverse("programmes:programme", args=[CONSULTATION_SLUG]),
        "strategy": reverse("web:strategy", args=[STRATEGY_SLUG]),
    }
    run = SynthesisRun.objects.filter(consultation__slug=CONSULTATION_SLUG).succeeded().first()
    finding = run.findings.order_by("position").first() if run is not None else None
    if finding is not None:
        pages["finding"] = reverse("diagnosis:finding", args=[CONSULTATION_SLUG, finding.pk])
    return pages


def warm(request: Callable[[], None], *, sql: bool = False) -> int:
    """Warm up (templates compiled, connections open); the queries of one request."""
    for _ in range(10):
        request()
    with CaptureQueriesContext(connection) as queries:
        request()
    count = len(queries)  # now: the next request clears the connection's log
    if sql:
        print("\n".join(f"    {q['sql'][:200]}" for q in queries.captured_queries))
    return count


def cpu_ms(request: Callable[[], None], *, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        request()
    return (time.process_time() - started) * 1000 / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keepdb", action="store_true", help="keep (and reuse) the test database")
    parser.add_argument("--only", default="", help="comma-separated name prefixes")
    parser.add_argument("--profile", default="", help="cProfile this request type, top 40")
    parser.add_argument("--sql", action="store_true", help="print the queries of one request")
    args = parser.parse_args()

    from tashawur.demo.loader import demo_load
    from tashawur.demo.people import CONSULTATION_SLUG

    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb)
    try:
        from tashawur.consultations.models import Consultation

        if not Consultation.objects.filter(slug=CONSULTATION_SLUG).exists():
            demo_load()
        cache.clear()
        print(
            f"database {connection.vendor} {connection.settings_dict['NAME']}, cache "
            f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, DEBUG {settings.DEBUG}, "
            f"{args.requests} requests x {args.rounds} rounds"
        )
        wanted = [w for w in args.only.split(",") if w]
        chosen = {
            name: (kind, setup())
            for name, (kind, setup) in scenarios().items()
            if not wanted or name.startswith(FLOORS) or any(name.startswith(w) for w in wanted)
        }
        if args.profile:
            for name, (_kind, request) in chosen.items():
                if name.startswith(args.profile):
                    warm(request)
                    profiler = cProfile.Profile(time.process_time)
                    profiler.enable()
                    for _ in range(args.requests):
                        request()
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
                    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            return
        queries = {name: warm(request, sql=args.sql) for name, (_kind, request) in chosen.items()}
        # Rounds interleave the request types, so that each round's floor saw the same load
        # on a shared machine as the requests compared with it.
        per_round: dict[str, list[float]] = {name: [] for name in chosen}
        for _ in range(args.rounds):
            for name, (_kind, request) in chosen.items():
                per_round[name].append(cpu_ms(request, requests=args.requests))
        print(f"{'request':<22} {'CPU ms':>7} {'x floor':>8} {'target':>7} {'queries':>8}")
        for name, (kind, _request) in chosen.items():
            ms = statistics.median(per_round[name])
            floor = FLOORS[1] if name.startswith(("vote", "contribute", FLOORS[1])) else FLOORS[0]
            if name.startswith(("anonymous", "home, anonymous")):
                floor = FLOORS[2]
            ratio = statistics.median(
                mine / base for mine, base in zip(per_round[name], per_round[floor], strict=True)
            )
            target = f"{TARGETS[kind]:.0f}" if kind else "-"
            verdict = "" if not kind else ("ok" if ms <= TARGETS[kind] else "over")
            print(f"{name:<22} {ms:>7.2f} {ratio:>8.1f} {target:>7} {queries[name]:>8}  {verdict}")
    finally:
        if not args.keepdb:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
