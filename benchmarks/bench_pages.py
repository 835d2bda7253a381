"""The public pages of a consultation at national size: server CPU and SQL queries per request.

A consultation of N contributions (default 100,000) by 10,000 participants and M votes (default
1,000,000) on its proposals is stored in a PostgreSQL database of its own (``--db``, dropped and
made again unless ``--reuse`` finds it built), with a synthesis run of F findings (default 12,000)
stored through the service that stores real runs (``storing.result_store``: findings, citations,
opinion groups, statement statistics, the stored result and the curation carry-over). The run is
synthetic: the findings partition the contributions at random (sizes 1 to ~30), their profiles
and the opinion map's statistics are drawn at random, shaped like the library's. What is measured
is the pages, not the synthesis (``bench_incremental.py`` and ``bench_synthesis_scale.py`` measure
that).

Each page is requested in this process with Django's test ``Client`` as an anonymous reader;
reported per page: server CPU (``time.process_time``, median of ``--repeat``), SQL queries, the
size of the response; for the open-data ZIP also the peak of Python allocations (``tracemalloc``,
in one more request). "uncached" requests clear the cache first; "cached" ones follow a request
that filled it; the diagnosis's "rebuilt" rows keep some of the cache (the glance's per-run
parts; with the participation counts too), as a new contribution or a vote leaves it.

    DATABASE_URL is ignored: the database is postgres://postgres@127.0.0.1:5432/<--db>
    .venv/bin/python benchmarks/bench_pages.py [--contributions 100000] [--votes 1000000]
        [--findings 12000] [--reuse] [--repeat 3] [--db tashawur_bench_pages]

Reported: server CPU of this process (the database's own CPU is not in it; the wall time,
which has it, is printed beside it but moves with whatever else the machine runs).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from array import array
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]

PARTICIPANTS = 10_000
PROVINCES = 12
ACTOR_TYPES = 6
ORGANISATIONS = 60
THEMES = 8
SYNTHESIS_THEMES = 40
SLUG = "bench-national"
_AR = (
    "تعاونية تسويق منتوج تمويل قرض تكوين شباب نساء فلاحة أركان عسل سياحة تضامن دعم مواكبة "
    "طريق ماء سوق جمعية مقاولة رقمنة تصدير جودة شهادة دار الصانع مهرجان قروي جبل واحة"
)
WORDS_AR = _AR.split()
_FR = (
    "coopérative commercialisation produit financement crédit formation jeunes femmes "
    "agriculture argan miel tourisme solidarité appui accompagnement route eau marché "
    "association entreprise numérique export qualité label artisanat festival rural montagne"
)
WORDS_FR = _FR.split()


def database_prepare(name: str, *, reuse: bool) -> bool:
    """Point Django at the benchmark's own database; True when it is already built."""
    import psycopg

    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}") as db:
                try:
                    built = db.execute(
                        "SELECT 1 FROM consultations_consultation WHERE slug = %s", [SLUG]
                    ).fetchone()
                except psycopg.Error:
                    built = None
            if built:
                return True
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    return False


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tashawur.config.settings_test")
    # The benchmark asks for the same download many times from one address.
    os.environ.setdefault("TASHAWUR_RATE_DOWNLOADS", "100000/m")
    import django

    django.setup()


def _text(rng: random.Random) -> str:
    words = WORDS_AR if rng.random() < 0.6 else WORDS_FR
    return " ".join(rng.choice(words) for _ in range(rng.randint(6, 40)))


def _copy(table: str, columns: tuple[str, ...], rows: Any) -> None:
    from django.db import connection

    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def build(n: int, m: int, f: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone
    from tests.actors.factories import (
        ActorTypeFactory,
        ConsentTextFactory,
        OrganisationFactory,
        UserFactory,
    )
    from tests.consultations.factories import ConsultationFactory, ThemeFactory, WorkshopFactory
    from tests.programmes.factories import MeasureFactory, ProgrammeFactory
    from tests.territories.factories import ProvinceFactory

    from tashawur.actors.models import Consent, Participant
    from tashawur.consultations.models import Dimension
    from tashawur.contributions.models import Channel, Contribution, Language, ModerationStatus
    from tashawur.diagnosis.models import SynthesisRun
    from tashawur.diagnosis.services import storing
    from tashawur.programmes.services import programme_adopt
    from tashawur.synthesis import SynthesisResult
    from tashawur.synthesis._types import Finding as LibraryFinding
    from tashawur.synthesis._types import ProfileGroup, Theme

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(0)
    provinces = [ProvinceFactory() for _ in range(PROVINCES)]
    actor_types = [ActorTypeFactory() for _ in range(ACTOR_TYPES)]
    organisations = [
        OrganisationFactory(actor_type=rng.choice(actor_types), territory=rng.choice(provinces))
        for _ in range(ORGANISATIONS)
    ]
    themes = [ThemeFactory() for _ in range(THEMES)]
    consultation = ConsultationFactory(slug=SLUG)
    workshop = WorkshopFactory(meeting__consultation=consultation, theme=themes[0])
    recorder = UserFactory()
    participants = Participant.objects.bulk_create(
        (
            Participant(
                display_name=f"مشارك {i}",
                territory=rng.choice(provinces),
                gender=rng.choice(("female", "male", "undisclosed")),
            )
            for i in range(PARTICIPANTS)
        ),
        batch_size=5000,
    )
    text = ConsentTextFactory()
    Consent.objects.bulk_create(
        (
            Consent(participant=p, consent_text=text, granted=True, method=Consent.Method.WEB)
            for p in participants
        ),
        batch_size=5000,
    )
    Participant.organisations.through.objects.bulk_create(
        (
            Participant.organisations.through(participant=p, organisation=rng.choice(organisations))
            for p in participants
        ),
        batch_size=5000,
    )
    print(f"  people: {time.perf_counter() - started:.0f} s", flush=True)

    dimensions = list(Dimension.values)
    now = timezone.now()
    rows = []
    for _ in range(n):
        own = rng.random() < 0.9
        rows.append(
            (
                now,
                now,
                consultation.pk,
                workshop.pk if not own else None,
                _text(rng),
                "",
                Language.UNDETERMINED,
                rng.choice(dimensions),
                rng.choice(themes).pk,
                rng.choice(participants).pk if own else None,
                None if own else recorder.pk,
                Channel.WEB if own else Channel.FACILITATOR,
                ModerationStatus.PUBLISHED,
                "",
                0,
                0,
                0,
            )
        )
    with transaction.atomic():
        _copy(
            Contribution._meta.db_table,
            (
                "created_at",
                "updated_at",
                "consultation_id",
                "workshop_id",
                "text",
                "translation_fr",
                "language",
                "dimension",
                "theme_id",
                "author_id",
                "recorded_by_id",
                "channel",
                "moderation_status",
                "audio",
                "agree_count",
                "disagree_count",
                "pass_count",
            ),
            rows,
        )
    del rows
    contributions = list(
        Contribution.objects.filter(consultation=consultation)
        .order_by("pk")
        .values_list("pk", "dimension")
    )
    proposals = [pk for pk, dimension in contributions if dimension == Dimension.PROPOSAL]
    print(f"  {n:,} contributions: {time.perf_counter() - started:.0f} s", flush=True)

    # Votes: each participant on a random sample of the proposals, M in all.
    per_participant = m // PARTICIPANTS
    participant_ids = [p.pk for p in participants]

    def votes() -> Any:
        for pid in participant_ids:
            for cid in rng.sample(proposals, per_participant):
                yield (now, now, cid, pid, rng.choice((1, 1, -1, 0)))

    with transaction.atomic():
        _copy(
            "contributions_vote",
            ("created_at", "updated_at", "contribution_id", "participant_id", "value"),
            votes(),
        )
        with connection.cursor() as cursor:
            # The counters the vote service keeps, set once from the votes.
            cursor.execute(
                """
                UPDATE contributions_contribution AS c SET
                  agree_count = v.agree, disagree_count = v.disagree, pass_count = v.passes
                FROM (
                  SELECT contribution_id,
                    count(*) FILTER (WHERE value = 1) AS agree,
                    count(*) FILTER (WHERE value = -1) AS disagree,
                    count(*) FILTER (WHERE value = 0) AS passes
                  FROM contributions_vote GROUP BY contribution_id
                ) AS v WHERE c.id = v.contribution_id
                """
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {per_participant * PARTICIPANTS:,} votes: {time.perf_counter() - started:.0f} s")

    # The run: F findings partitioning the contributions, stored as real runs are.
    ids = [pk for pk, _d in contributions]
    rng.shuffle(ids)
    cuts = sorted(rng.sample(range(1, len(ids)), f - 1))
    groups = [ids[a:b] for a, b in zip([0, *cuts], [*cuts, len(ids)], strict=True)]
    fields = {
        "dimension": dimensions,
        "actor_type": [t.slug for t in actor_types],
        "province": [p.code for p in provinces],
        "channel": [Channel.WEB, Channel.FACILITATOR],
        "theme": [t.slug for t in themes],
    }

    def profile(field: str) -> list[ProfileGroup]:
        values = rng.sample(fields[field], min(3, len(fields[field])))
        return [
            ProfileGroup(
                value=v,
                count=rng.randint(1, 20),
                share=round(rng.random(), 3),
                overall_share=round(rng.random(), 3),
                lift=round(rng.uniform(0.5, 3), 3),
                p_value=round(rng.random() / 10, 4),
                over_represented=rng.random() < 0.5,
            )
            for v in values
        ]

    findings = []
    for i, members in enumerate(groups):
        label_ar = " ".join(rng.choice(WORDS_AR) for _ in range(5))
        label_fr = " ".join(rng.choice(WORDS_FR) for _ in range(5))
        findings.append(
            LibraryFinding(
                id=f"F{i}",
                theme=f"T{i % SYNTHESIS_THEMES}",
                size=len(members),
                label_ar=label_ar,
                label_fr=label_fr,
                key_phrases_ar=label_ar.split()[:3],
                key_phrases_fr=label_fr.split()[:3],
                representative_ids=[str(c) for c in members[:3]],
                member_ids=[str(c) for c in members],
                profiles={name: profile(name) for name in fields},
                title_ar=label_ar,
                title_fr=label_fr,
            )
        )
    result = SynthesisResult(
        assignments=[],
        findings=findings,
        themes=[
            Theme(
                id=f"T{t}",
                size=0,
                label_ar=f"محور {t}",
                label_fr=f"Thème {t}",
                finding_ids=[x.id for x in findings if x.theme == f"T{t}"],
            )
            for t in range(SYNTHESIS_THEMES)
        ],
        duplicates=[],
        warnings=[],
        parameters={"benchmark": "bench_pages"},
        timings={},
        engine_version="bench",
    )
    import numpy as np

    statement_ids = proposals
    n_groups = 3
    s = len(statement_ids)
    agree = np.asarray([[rng.randint(0, 40) for _ in range(s)] for _ in range(n_groups)])
    opinions = SimpleNamespace(
        statement_ids_=[str(c) for c in statement_ids],
        n_groups_=n_groups,
        representatives_={
            g: [
                SimpleNamespace(
                    statement=rng.randrange(s),
                    repful_for=rng.choice(("agree", "disagree")),
                    n_success=10,
                    n_trials=20,
                    p_success=rng.random(),
                    repness=rng.random(),
                )
                for _ in range(5)
            ]
            for g in range(n_groups)
        },
        statements_=SimpleNamespace(
            consensus=np.asarray([rng.random() for _ in range(s)]),
            divisiveness=np.asarray([rng.random() for _ in range(s)]),
            agree=agree,
            disagree=agree // 2,
            passes=agree // 4,
        ),
        labels_=np.asarray([rng.randrange(n_groups) for _ in range(PARTICIPANTS)]),
        embedding_=np.asarray([[rng.gauss(0, 1), rng.gauss(0, 1)] for _ in range(PARTICIPANTS)]),
    )
    inputs = storing.RunInputs(
        records=[{}] * len(ids),
        dimensions=dict(contributions),
        votes=storing.VoteColumns(
            array("q"), array("q"), array("b", bytes(per_participant * PARTICIPANTS)), array("d")
        ),
    )
    run = SynthesisRun.objects.create(
        consultation=consultation, status=SynthesisRun.Status.RUNNING, started_at=timezone.now()
    )
    with transaction.atomic():
        storing.result_store(run, inputs, result, opinions)  # type: ignore[arg-type]
    print(f"  run of {f:,} findings: {time.perf_counter() - started:.0f} s", flush=True)

    programme = ProgrammeFactory(consultation=consultation)
    for _ in range(30):
        MeasureFactory(programme=programme, owner=rng.choice(organisations))
    with transaction.atomic():
        programme_adopt(programme=programme)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def measure(
    label: str, get: Callable[[], Any], *, repeat: int, before: Callable[[], None] | None = None
) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cpu, wall, queries, size = [], [], 0, 0
    # One request first, not counted: templates compiled, modules imported.
    if before is not None:
        before()
    _drain(get())
    for _ in range(repeat):
        if before is not None:
            before()
        with CaptureQueriesContext(connection) as captured:
            start, started = time.process_time(), time.perf_counter()
            response = get()
            body = b"".join(response) if response.streaming else response.content
            cpu.append(time.process_time() - start)
            wall.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{label}: HTTP {response.status_code}")
        queries, size = len(captured), len(body)
    row = {
        "page": label,
        "cpu_ms": round(statistics.median(cpu) * 1000, 1),
        # The database's time too, on a machine shared with other work: read with care.
        "wall_ms": round(statistics.median(wall) * 1000),
        "queries": queries,
        "kib": round(size / 1024),
    }
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def pages(repeat: int) -> list[dict[str, Any]]:
    from django.core.cache import cache
    from django.test import Client

    from tashawur.consultations.models import Consultation, Dimension
    from tashawur.diagnosis.models import Finding

    consultation = Consultation.objects.select_related("strategy").get(slug=SLUG)
    finding = Finding.objects.filter(run__consultation=consultation).order_by("-size", "pk").first()
    assert finding is not None
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    c = f"/c/{SLUG}"
    rows = []

    def run(
        label: str,
        url: str,
        *,
        uncached: bool = True,
        before: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        rows.append(
            measure(
                label,
                lambda: client.get(url),
                repeat=repeat,
                before=before or (cache.clear if uncached else None),
                **kwargs,
            )
        )

    def clear_but(*kept: str) -> Callable[[], None]:
        """Everything out of the (in-memory) cache but the entries of the ``kept`` kinds."""

        def clear() -> None:
            for key in list(cache._cache):  # type: ignore[attr-defined]
                if not any(f":{kind}" in key for kind in kept):
                    cache._delete(key)  # type: ignore[attr-defined]

        return clear

    run("home", "/")
    client.get("/")
    run("home, cached", "/", uncached=False)
    run("consultation", f"{c}/")
    client.get(f"{c}/")
    run("consultation, cached", f"{c}/", uncached=False)
    run("diagnosis, uncached", f"{c}/diagnosis/")
    client.get(f"{c}/diagnosis/")
    run("diagnosis, cached", f"{c}/diagnosis/", uncached=False)
    # As a new contribution leaves the cache: only what the run alone shows is kept.
    run(
        "diagnosis, rebuilt, run's parts cached",
        f"{c}/diagnosis/",
        before=clear_but("diagnosis-glance-"),
    )
    # As a vote leaves it: the page is rebuilt, the participation counts are not.
    run(
        "diagnosis, rebuilt, all but the page cached",
        f"{c}/diagnosis/",
        before=clear_but("diagnosis-glance-", "participation:", "generation:"),
    )
    run("diagnosis ?dimension, uncached", f"{c}/diagnosis/?dimension={Dimension.PROPOSAL}")
    run(
        "diagnosis ?dimension page 2, uncached",
        f"{c}/diagnosis/?dimension={Dimension.PROPOSAL}&page=2",
    )
    run("finding, uncached", f"{c}/diagnosis/findings/{finding.pk}/")
    run("programme, uncached", f"{c}/programme/")
    client.get(f"{c}/programme/")
    run("programme, cached", f"{c}/programme/", uncached=False)
    run("strategy, uncached", f"/s/{consultation.strategy.slug}/")
    client.get(f"/s/{consultation.strategy.slug}/")
    run("strategy, cached", f"/s/{consultation.strategy.slug}/", uncached=False)
    zip_url = f"/api/consultations/{SLUG}/open-data.zip"
    run("open-data ZIP, uncached", zip_url)
    client.get(zip_url)
    run("open-data ZIP, cached", zip_url, uncached=False)
    # As a vote leaves it: the last ZIP is served and one rebuild is queued (kept in a dummy
    # queue here: a worker runs it, later; ``api.archives``).
    from django.test.utils import override_settings

    from tashawur.contributions.generations import consultation_votes_changed

    with override_settings(TASKS={"default": {"BACKEND": _DUMMY_TASKS}}):
        run(
            "open-data ZIP, after a vote",
            zip_url,
            before=lambda: consultation_votes_changed(consultation.pk),
        )
    cache.clear()
    tracemalloc.start()
    _drain(client.get(zip_url))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"open-data ZIP, uncached: peak Python allocations {peak / 2**20:.0f} MiB", flush=True)
    rows.append({"page": "open-data ZIP peak MiB", "value": round(peak / 2**20)})
    json_url = f"/api/consultations/{SLUG}/contributions.json"
    run("contributions.json p1, uncached", f"{json_url}?page=1")
    middle = max(1, consultation.contributions.count() // 200)  # half-way down the pages
    run(f"contributions.json p{middle}, cached", f"{json_url}?page={middle}", uncached=False)
    ids = list(consultation.contributions.order_by("pk").values_list("pk", flat=True))
    run("contributions.json ?after=0, cached", f"{json_url}?after=0", uncached=False)
    deep = ids[min(len(ids) - 1, middle * 100 - 101)]
    run(
        f"contributions.json ?after= (as p{middle}), cached",
        f"{json_url}?after={deep}",
        uncached=False,
    )
    return rows


_DUMMY_TASKS = "django_tasks.backends.dummy.DummyBackend"


def _drain(response: Any) -> bytes:
    return b"".join(response) if response.streaming else bytes(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--contributions", type=int, default=100_000)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--findings", type=int, default=12_000)
    parser.add_argument("--db", default="tashawur_bench_pages")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it is built")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    built = database_prepare(args.db, reuse=args.reuse)
    django_setup()
    if built:
        from django.core.management import call_command

        # The code under test may bring indexes the database was built without.
        call_command("migrate", verbosity=0)
        print(f"reusing {args.db}", flush=True)
    else:
        print(
            f"building {args.contributions:,} contributions, {args.votes:,} votes, "
            f"{args.findings:,} findings in {args.db}",
            flush=True,
        )
        build(args.contributions, args.votes, args.findings)
    rows = pages(args.repeat)
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    out = io.StringIO()
    out.write(f"\n{'page':40} {'CPU ms':>9} {'wall ms':>8} {'queries':>8} {'KiB':>7}\n")
    for row in rows:
        if "cpu_ms" in row:
            out.write(
                f"{row['page']:40} {row['cpu_ms']:9.1f} {row['wall_ms']:8} "
                f"{row['queries']:8} {row['kib']:7}\n"
            )
    print(out.getvalue())


if __name__ == "__main__":
    main()
