"""Web budgets (issue 15, item 1) and the national event (item 5), served by gunicorn on
PostgreSQL and driven by locust used as a library.

The benchmark makes its own database (``--database``, dropped and created again), migrates it,
loads the reference data and the demo (``tashawur manage load_demo``), then runs
``_web_prepare.py`` (the demo's synthesis and published diagnosis, participants signed up
through the services, their sessions). It serves the site with ``tashawur serve`` (gunicorn) as
in production (``TASHAWUR_ENV=production``, a secret key, allowed hosts, ``DATABASE_URL``,
``REDIS_URL`` on its own Redis database, SSL redirect off since there is no TLS proxy in front;
for the budgets every ``TASHAWUR_RATE_*`` limit off, so that no request is refused for its rate,
while the national event keeps them at their defaults), with
``_web_settings.py``, whose URLs add a bare Django view (``/_bench/bare/``, through the same
middleware) as the floor.

``--scenario budgets`` (the default): one endpoint per phase, ``--users`` closed-loop clients
(no think time), ``--warmup`` seconds then ``--seconds`` measured. For each: requests/s,
p50/p95/p99 (locust's), errors, and the **server CPU ms per request**: the growth of
utime + stime (``/proc/<pid>/stat``) of the gunicorn master and its workers over the measured
window, divided by the requests; beside it the CPU of the PostgreSQL backends of the benchmark's
database, and the ratio of each endpoint's CPU to the bare view's. The machine is shared: CPU
time, not requests/s, is the figure to compare.

``--scenario national``: the national event of issue 15, item 5, scaled to what two cores can
drive: twelve consultations (one per region) with open round tables, ``--national-users``
participants (each a distinct account) arriving over ``--ramp`` seconds, then voting, reading
their round table and contributing for ``--national-seconds`` with a think time of 10 to 30 s
(about 30 actions each in ten minutes), and one in ten of the clients an anonymous reader of
the public pages; rate limits at their defaults; two gunicorn processes (``--reuse-port``:
one address, the kernel spreads the connections) and two ``tashawur worker`` processes, Redis
cache. Reported: p50/p95/p99 and
errors per action and in all (targets p99 < 500 ms, no error), and the scale factor.

    .venv/bin/python benchmarks/bench_web.py [--scenario budgets|national|all]
        [--workers 5] [--users 8] [--seconds 12] [--warmup 3]
        [--national-users 120] [--national-seconds 120] [--reuse]

Needs PostgreSQL at ``--postgres`` (default postgres://postgres@127.0.0.1:5432) and Redis at
``--redis`` (default redis://127.0.0.1:6379/11; the benchmark flushes that database).
"""

from __future__ import annotations

# locust patches the standard library for gevent as it is imported: before anything else.
import locust  # isort: skip

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, between, constant, task
from locust.env import Environment

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "benchmarks"
PYTHON = sys.executable
CSRF = "benchcsrftoken0123456789abcdefgh"  # 32 letters and digits: a CSRF secret, unmasked
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REAL_EVENT_PARTICIPANTS = 5000
REAL_EVENT_SECONDS = 600
RATE_SETTINGS = (
    "TASHAWUR_RATE_CONTRIBUTIONS",
    "TASHAWUR_RATE_CONTRIBUTIONS_RECORDED",
    "TASHAWUR_RATE_VOTES",
    "TASHAWUR_RATE_SIMILAR",
    "TASHAWUR_RATE_FLAGS",
    "TASHAWUR_RATE_DOWNLOADS",
    "TASHAWUR_RATE_ACCOUNTS",
)
#: Issue 15's budgets: server CPU ms per request.
TARGET_VOTE, TARGET_CONTRIBUTION, TARGET_PAGE, TARGET_CACHED = 3.0, 5.0, 10.0, 10.0
TARGET_NATIONAL_P99_MS = 500.0


# -- setting up: database, data, server --------------------------------------------------------


def server_environ(args: argparse.Namespace, data_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "TASHAWUR_ENV": "production",
        "TASHAWUR_SECRET_KEY": "bench-web-" + uuid.uuid4().hex * 2,
        "TASHAWUR_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{args.postgres.rstrip('/')}/{args.database}",
        "REDIS_URL": args.redis,
        "TASHAWUR_SSL_REDIRECT": "0",
        "TASHAWUR_PROXY_COUNT": "0",
        "TASHAWUR_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "_web_settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), os.environ.get("PYTHONPATH", "")]),
        "TASHAWUR_LOG_LEVEL": "WARNING",
    }
    env.update(dict.fromkeys(RATE_SETTINGS, "off"))
    env.pop("TASHAWUR_WEB_WORKERS", None)
    return env


def run_step(what: str, command: list[str], env: dict[str, str]) -> None:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"{what} failed ({done.returncode})")
    print(f"  {what}: {time.perf_counter() - started:.0f} s", flush=True)


def database_create(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(f"{args.postgres.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')


def redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def prepare(
    args: argparse.Namespace, env: dict[str, str], accounts: int, national: bool, out: Path
) -> dict[str, Any]:
    redis_flush(args.redis)
    manage = [PYTHON, "-m", "tashawur", "manage"]
    # The static files (production's manifest storage) are collected meanwhile.
    static = subprocess.Popen(
        [*manage, "collectstatic", "--no-input", "-v0"], env=env, stderr=subprocess.DEVNULL
    )
    if not args.reuse:
        print(f"Database {args.database}: created, migrated, demo loaded…", flush=True)
        database_create(args)
        run_step("migrate", [*manage, "migrate", "-v0"], env)
        run_step("load_reference_data", [*manage, "load_reference_data", "-v0"], env)
        run_step("load_demo", [*manage, "load_demo"], env)
    if static.wait():
        raise SystemExit("collectstatic failed")
    command = [PYTHON, str(BENCH_DIR / "_web_prepare.py"), "--accounts", str(accounts)]
    command += ["--prefix", uuid.uuid4().hex[:8]]
    command += ["--out", str(out), *(["--national"] if national else [])]
    run_step(
        f"synthesis, {accounts} accounts{', 12 consultations' if national else ''}", command, env
    )
    return dict(json.loads(out.read_text()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Servers:
    """gunicorn masters (their workers found in /proc) and task workers."""

    web: list[subprocess.Popen[bytes]] = field(default_factory=list)
    tasks: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        for process in [*self.web, *self.tasks]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.web, *self.tasks]:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def serve(
    env: dict[str, str],
    port: int,
    workers: int,
    masters: int = 1,
    task_workers: int = 0,
    log_dir: Path | None = None,
) -> Servers:
    servers = Servers()
    serve_env = {**env, "PORT": str(port), "TASHAWUR_HOST": "127.0.0.1"}
    for _ in range(masters):
        options = ["--workers", str(workers), "--timeout", "60", "--log-level", "warning"]
        if masters > 1:
            options.append("--reuse-port")
        servers.web.append(
            subprocess.Popen([PYTHON, "-m", "tashawur", "serve", *options], env=serve_env)
        )
    for i in range(task_workers):
        log = (log_dir / f"worker-{i}.log").open("wb") if log_dir else subprocess.DEVNULL
        servers.tasks.append(
            subprocess.Popen(
                [PYTHON, "-m", "tashawur", "worker", "--no-reload"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in servers.web):
                raise SystemExit("gunicorn stopped at start")
            started = len(web_pids(servers)) >= masters * (workers + 1) and listening(port)
            if started and warm_up(f"http://127.0.0.1:{port}", 2 * masters * workers, deadline):
                return servers
            time.sleep(0.3)
        raise SystemExit("gunicorn did not start and answer every page within 240 s")
    except BaseException:
        servers.stop()
        raise


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
    except OSError:
        return False
    return True


WARM_PATHS = ("/_bench/bare/", "/", "/c/souss-massa-2018/", "/c/souss-massa-2018/diagnosis/")
WARM_ROUNDS = 3


def warm_up(host: str, clients: int, deadline: float) -> bool:
    """Each worker imports the views on its first requests (seconds on a busy machine): send
    ``WARM_ROUNDS`` rounds of ``clients`` requests at once to each of ``WARM_PATHS``."""

    def fetch(path: str) -> bool:
        try:
            with urllib.request.urlopen(host + path, timeout=60) as response:  # noqa: S310
                return bool(response.status == 200)
        except OSError:
            return False

    rounds = 0
    while time.monotonic() < deadline:
        jobs = [gevent.spawn(fetch, path) for path in WARM_PATHS for _ in range(clients)]
        gevent.joinall(jobs)
        rounds = rounds + 1 if all(job.value for job in jobs) else 0
        if rounds >= WARM_ROUNDS:
            return True
    return False


# -- CPU from /proc ------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def web_pids(servers: Servers) -> list[int]:
    return [pid for p in servers.web for pid in (p.pid, *_children(p.pid))]


def cpu_seconds(pids: list[int], with_children: bool = False) -> float:
    """utime + stime of ``pids`` (with the times of their children that have exited)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
        if with_children:
            ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def postgres_backends(database: str) -> list[int]:
    """The PostgreSQL backends connected to ``database`` ("postgres: user db host…")."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            pids.append(int(entry.name))
    return pids


@dataclass
class CpuMeter:
    """Server CPU over a window: the gunicorn masters (with their exited children) and workers,
    and, apart, the PostgreSQL backends of the benchmark's database. A backend that ends within
    the window (``CONN_MAX_AGE``) takes its last seconds with it: not counted."""

    servers: Servers
    database: str
    web: float = 0.0
    db: dict[int, float] = field(default_factory=dict)

    def _web(self) -> float:
        masters = [p.pid for p in self.servers.web]
        workers = [c for pid in masters for c in _children(pid)]
        return cpu_seconds(masters, with_children=True) + cpu_seconds(workers)

    def _db(self) -> dict[int, float]:
        return {pid: cpu_seconds([pid]) for pid in postgres_backends(self.database)}

    def start(self) -> None:
        self.web = self._web()
        self.db = self._db()

    def stop(self) -> tuple[float, float]:
        """Web and database CPU seconds since ``start``."""
        web = self._web() - self.web
        db = sum(seconds - self.db.get(pid, 0.0) for pid, seconds in self._db().items())
        return web, db


# -- the load --------------------------------------------------------------------------------


def session_headers(session: str | None, *, post: bool = False) -> dict[str, str]:
    headers = {"Accept-Language": "ar"}
    cookies = [f"csrftoken={CSRF}"]
    if session:
        cookies.append(f"sessionid={session}")
    headers["Cookie"] = "; ".join(cookies)
    if post:
        headers["X-CSRFToken"] = CSRF
        headers["HX-Request"] = "true"
    return headers


def check(response: Any, expected: int = 200) -> None:
    if response.status_code != expected:
        response.failure(f"status {response.status_code}")
    else:
        response.success()


Action = Callable[[FastHttpUser, str | None, random.Random], None]


def get_action(path: str, name: str, signed_in: bool) -> Action:
    def act(user: FastHttpUser, session: str | None, rng: random.Random) -> None:
        headers = session_headers(session if signed_in else None)
        with user.client.get(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            check(response)

    return act


def vote_action(targets: list[int]) -> Action:
    def act(user: FastHttpUser, session: str | None, rng: random.Random) -> None:
        pk = rng.choice(targets)
        with user.client.post(
            f"/s/{pk}/vote/",
            name="vote",
            data={"value": rng.choice(("1", "-1", "0"))},
            headers=session_headers(session, post=True),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            check(response)

    return act


def contribution_action(workshops: list[int]) -> Action:
    from _web_prepare import bench_text

    def act(user: FastHttpUser, session: str | None, rng: random.Random) -> None:
        pk = rng.choice(workshops)
        with user.client.post(
            f"/w/{pk}/contribute/",
            name="contribution",
            data={
                "text": bench_text(rng),
                "dimension": rng.choice(("challenge", "proposal", "potential")),
                "language": "",
                "idempotency_key": uuid.uuid4().hex,
            },
            headers=session_headers(session, post=True),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            check(response)

    return act


def closed_loop_user(host: str, action: Action, sessions: list[str]) -> type[FastHttpUser]:
    """A client that repeats ``action`` with no think time, each with an account of its own."""
    accounts = itertools.cycle(sessions)
    seeds = itertools.count()

    class Client(FastHttpUser):
        wait_time = constant(0)

        def on_start(self) -> None:
            self.session = next(accounts)
            self.rng = random.Random(next(seeds))

        @task
        def act(self) -> None:
            action(self, self.session, self.rng)

    Client.host = host
    return Client


@dataclass
class Figures:
    name: str
    requests: int
    errors: int
    rps: float
    p50: float
    p95: float
    p99: float
    cpu_ms: float
    db_ms: float


def drive(
    user_classes: list[type[FastHttpUser]],
    users: int,
    spawn_rate: float,
    warmup: float,
    seconds: float,
    meter: CpuMeter,
) -> tuple[Environment, float, float, float]:
    """Run the users: ``warmup`` seconds (not counted), then ``seconds`` measured."""
    # Stopping, each user ends its request first: a connection cut before its request was
    # sent would hold a sync worker until gunicorn's timeout.
    env = Environment(user_classes=user_classes, stop_timeout=60)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=spawn_rate)
    gevent.sleep(warmup)
    env.stats.reset_all()
    meter.start()
    started = time.perf_counter()
    gevent.sleep(seconds)
    web_cpu, db_cpu = meter.stop()
    elapsed = time.perf_counter() - started
    runner.quit()
    return env, elapsed, web_cpu, db_cpu


def figures_of(entry: Any, name: str, elapsed: float, web_cpu: float, db_cpu: float) -> Figures:
    n = max(entry.num_requests, 1)
    return Figures(
        name=name,
        requests=entry.num_requests,
        errors=entry.num_failures,
        rps=entry.num_requests / elapsed,
        p50=entry.get_response_time_percentile(0.5) or 0.0,
        p95=entry.get_response_time_percentile(0.95) or 0.0,
        p99=entry.get_response_time_percentile(0.99) or 0.0,
        cpu_ms=1000 * web_cpu / n,
        db_ms=1000 * db_cpu / n,
    )


@dataclass(frozen=True)
class Phase:
    name: str
    action: Action
    target: float | None
    target_label: str


def budget_phases(data: dict[str, Any]) -> list[Phase]:
    slug = data["consultation"]
    workshops = [int(w) for w in data["demo_workshops"]]
    targets = [pk for pks in data["demo_workshops"].values() for pk in pks]
    diagnosis = f"/c/{slug}/diagnosis/"
    programme = f"/c/{slug}/programme/"
    page = f"participant page ≤ {TARGET_PAGE:g}"
    cached = f"cached public ≤ {TARGET_CACHED:g}"
    return [
        Phase("bare view", get_action("/_bench/bare/", "bare", False), None, "floor"),
        Phase("home (signed in)", get_action("/", "home", True), TARGET_PAGE, page),
        Phase(
            "consultation (signed in)",
            get_action(f"/c/{slug}/", "consultation", True),
            TARGET_PAGE,
            page,
        ),
        Phase(
            "workshop (signed in)",
            get_action(f"/w/{workshops[0]}/", "workshop", True),
            TARGET_PAGE,
            page,
        ),
        Phase(
            "diagnosis, cached (anonymous)",
            get_action(diagnosis, "diagnosis", False),
            TARGET_CACHED,
            cached,
        ),
        Phase(
            "diagnosis, uncached (signed in)",
            get_action(diagnosis, "diagnosis", True),
            None,
            "≤ 150 at 100k (not this size)",
        ),
        Phase(
            "programme, cached (anonymous)",
            get_action(programme, "programme", False),
            TARGET_CACHED,
            cached,
        ),
        Phase(
            "programme, uncached (signed in)",
            get_action(programme, "programme", True),
            None,
            "none",
        ),
        Phase(
            "open-data ZIP (anonymous)",
            get_action(f"/api/consultations/{slug}/open-data.zip", "open-data", False),
            None,
            "none",
        ),
        Phase("vote (POST)", vote_action(targets), TARGET_VOTE, f"≤ {TARGET_VOTE:g}"),
        Phase(
            "contribution (POST)",
            contribution_action(workshops),
            TARGET_CONTRIBUTION,
            f"≤ {TARGET_CONTRIBUTION:g}",
        ),
    ]


def run_budgets(args: argparse.Namespace, env: dict[str, str], data: dict[str, Any]) -> None:
    port = free_port()
    servers = serve(env, port, args.workers)
    host = f"http://127.0.0.1:{port}"
    meter = CpuMeter(servers, args.database)
    results: list[tuple[Phase, Figures]] = []
    try:
        for phase in budget_phases(data):
            user = closed_loop_user(host, phase.action, data["sessions"])
            stats_env, elapsed, web_cpu, db_cpu = drive(
                [user], args.users, args.users, args.warmup, args.seconds, meter
            )
            figures = figures_of(stats_env.stats.total, phase.name, elapsed, web_cpu, db_cpu)
            results.append((phase, figures))
            print(
                f"  {phase.name}: {figures.rps:.0f} req/s, CPU {figures.cpu_ms:.1f} ms/req, "
                f"{figures.errors} errors",
                flush=True,
            )
            if figures.errors:
                for error in stats_env.stats.errors.values():
                    print(f"    {error.occurrences} × {error.error}", flush=True)
    finally:
        servers.stop()
    budgets_table(args, results)


def budgets_table(args: argparse.Namespace, results: list[tuple[Phase, Figures]]) -> None:
    floor = results[0][1].cpu_ms or float("nan")
    print()
    print(
        f"Web budgets: gunicorn {args.workers} workers (sync), PostgreSQL, Redis cache, "
        f"{args.users} closed-loop locust clients, {args.seconds:g} s measured per endpoint "
        f"after {args.warmup:g} s; rate limits off (TASHAWUR_RATE_*=off); "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    header = (
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | errors | server CPU ms/req "
        "| × bare | PostgreSQL CPU ms/req | target ms | met |"
    )
    print(header)
    print("|" + "---|" * header.count(" | ") + "---|")
    for phase, f in results:
        met = "" if phase.target is None else ("met" if f.cpu_ms <= phase.target else "not met")
        print(
            f"| {phase.name} | {f.rps:.0f} | {f.p50:.0f} | {f.p95:.0f} | {f.p99:.0f} "
            f"| {f.errors} | {f.cpu_ms:.1f} | {f.cpu_ms / floor:.1f} | {f.db_ms:.1f} "
            f"| {phase.target_label} | {met} |"
        )


# -- the national event --------------------------------------------------------------------------


def national_users(
    host: str, data: dict[str, Any], seconds_between: tuple[float, float]
) -> list[type[FastHttpUser]]:
    sessions = iter(data["sessions"])
    workshops = {int(w): pks for w, pks in data["workshops"].items()}
    tables = sorted(workshops)
    slug = data["consultation"]
    seeds = itertools.count()

    class Participant(FastHttpUser):
        """A participant at one round table: reads it, votes, now and then contributes."""

        weight = 9
        wait_time = between(*seconds_between)

        def on_start(self) -> None:
            self.session = next(sessions)
            self.rng = random.Random(next(seeds))
            self.table = tables[next(seeds) % len(tables)]
            self.vote = vote_action(workshops[self.table])
            self.contribute = contribution_action([self.table])
            self.page = get_action(f"/w/{self.table}/", "workshop", True)
            self.page(self, self.session, self.rng)

        @task(6)
        def vote_task(self) -> None:
            self.vote(self, self.session, self.rng)

        @task(2)
        def page_task(self) -> None:
            self.page(self, self.session, self.rng)

        @task(1)
        def contribute_task(self) -> None:
            self.contribute(self, self.session, self.rng)

    class Reader(FastHttpUser):
        """Someone following the event without an account: home, diagnosis, programme."""

        weight = 1
        wait_time = between(*seconds_between)
        pages = (
            get_action("/", "home (anonymous)", False),
            get_action(f"/c/{slug}/diagnosis/", "diagnosis (anonymous)", False),
            get_action(f"/c/{slug}/programme/", "programme (anonymous)", False),
        )

        def on_start(self) -> None:
            self.rng = random.Random(next(seeds))

        @task
        def read(self) -> None:
            self.rng.choice(self.pages)(self, None, self.rng)

    Participant.host = Reader.host = host
    return [Participant, Reader]


def run_national(args: argparse.Namespace, env: dict[str, str], data: dict[str, Any]) -> None:
    port = free_port()
    log_dir = Path(env["TASHAWUR_DATA_DIR"])
    # A participant acts every 10 to 30 s: the default rate limits (per account, counted in
    # Redis) stay on, as in production.
    env = {k: v for k, v in env.items() if k not in RATE_SETTINGS}
    servers = serve(env, port, args.national_workers, masters=2, task_workers=2, log_dir=log_dir)
    host = f"http://127.0.0.1:{port}"
    meter = CpuMeter(servers, args.database)
    users = args.national_users
    try:
        stats_env, elapsed, web_cpu, db_cpu = drive(
            national_users(host, data, (10.0, 30.0)),
            users,
            users / args.ramp,
            args.ramp,
            args.national_seconds,
            meter,
        )
        queued = tasks_left(env)
    finally:
        servers.stop()
    total = figures_of(stats_env.stats.total, "all", elapsed, web_cpu, db_cpu)
    print()
    print(
        f"National event: {users} participants and readers over {len(data['workshops'])} "
        f"open round tables of {data['consultations']} consultations, "
        f"{args.national_seconds:g} s measured after a {args.ramp:g} s arrival; "
        f"2 gunicorn processes × {args.national_workers} workers "
        f"(--reuse-port, one address), 2 `tashawur worker`, Redis cache, PostgreSQL "
        f"(CONN_MAX_AGE 60 s); think time 10-30 s; rate limits at their defaults; "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(
        f"Scale: {users}/{REAL_EVENT_PARTICIPANTS} people = 1/{REAL_EVENT_PARTICIPANTS / users:g},"
        f" {args.national_seconds:g}/{REAL_EVENT_SECONDS} s = "
        f"1/{REAL_EVENT_SECONDS / args.national_seconds:g} of the time; "
        f"{total.rps:.1f} requests/s against {total.rps * REAL_EVENT_PARTICIPANTS / users:.0f} "
        f"for 5,000 people at this pace"
    )
    print("| action | requests | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for (name, _method), entry in sorted(stats_env.stats.entries.items()):
        f = figures_of(entry, name, elapsed, 0.0, 0.0)
        print(
            f"| {name} | {f.requests} | {f.rps:.1f} | {f.p50:.0f} | {f.p95:.0f} | {f.p99:.0f} "
            f"| {f.errors} |"
        )
    print(
        f"| all | {total.requests} | {total.rps:.1f} | {total.p50:.0f} | {total.p95:.0f} "
        f"| {total.p99:.0f} | {total.errors} |"
    )
    p99_met = "met" if total.p99 < TARGET_NATIONAL_P99_MS else "not met"
    errors_met = "met" if total.errors == 0 else "not met"
    print(
        f"p99 {total.p99:.0f} ms (target < {TARGET_NATIONAL_P99_MS:g}: {p99_met}); "
        f"errors {total.errors} (target 0: {errors_met}); server CPU {total.cpu_ms:.1f} ms and "
        f"PostgreSQL {total.db_ms:.1f} ms per request; "
        f"background tasks still queued at the end: {queued}"
    )
    for error in stats_env.stats.errors.values():
        print(f"  {error.occurrences} × {error.method} {error.name}: {error.error}")
    # What the CPU per request says, whatever share of the shared machine the run was given.
    per_person = total.requests / elapsed / users
    cores = (total.cpu_ms + total.db_ms) / 1000 * per_person * REAL_EVENT_PARTICIPANTS
    print(
        f"At {total.cpu_ms + total.db_ms:.0f} ms of web + PostgreSQL CPU per request and "
        f"{per_person:.3f} requests/s per person, 5,000 people need {cores:.1f} cores "
        f"of web and database (Redis, the task workers and the proxy apart)"
    )


def tasks_left(env: dict[str, str]) -> str:
    """How many background tasks the two workers have not finished (django-tasks-db)."""
    code = (
        "from django_tasks_db.models import DBTaskResult as T;"
        "print(T.objects.exclude(status__in=['SUCCESSFUL','FAILED']).count())"
    )
    done = subprocess.run(
        [PYTHON, "-m", "tashawur", "manage", "shell", "-v", "0", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return (done.stdout.strip().splitlines() or ["unknown"])[-1]


# -- main ----------------------------------------------------------------------------------


@contextlib.contextmanager
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="tashawur-bench-web-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=("budgets", "national", "all"), default="budgets")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="tashawur_bench_web")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (budgets)")
    parser.add_argument("--users", type=int, default=8, help="closed-loop clients (budgets)")
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--national-users", type=int, default=120)
    parser.add_argument("--national-seconds", type=float, default=120.0)
    parser.add_argument("--national-workers", type=int, default=3, help="per gunicorn process")
    parser.add_argument("--ramp", type=float, default=30.0, help="arrival of the users, s")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run (quicker)"
    )
    args = parser.parse_args(argv)
    national = args.scenario in ("national", "all")
    accounts = max(args.users, args.national_users if national else 0)
    print(f"locust {locust.__version__}, gunicorn via `tashawur serve`", flush=True)
    with data_dir() as folder:
        env = server_environ(args, folder)
        data = prepare(args, env, accounts, national, folder / "prepared.json")
        if args.scenario in ("budgets", "all"):
            run_budgets(args, env, data)
        if national:
            run_national(args, env, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
