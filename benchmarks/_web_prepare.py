"""The web benchmark's data, made through the app's services (``bench_web.py`` runs this file in
its own process, on the benchmark's database, after ``load_demo``).

- The demo consultation's first synthesis, its programme linked to the findings and its
  diagnosis published, as ``tashawur demo`` does, so that the public pages show a diagnosis.
- ``--accounts`` participants signed up (``participant_sign_up``) and a signed-in session for
  each, written to ``--out`` with the targets of the load: signing each in through the form
  would spend the server's CPU on the password hash (PBKDF2) rather than on the pages measured,
  so the accounts' passwords are stored with a fast hasher here and the sessions are made
  directly; the server checks them as it checks any session.
- ``--national``: twelve consultations with open round tables (one per region: the demo's three
  get an online round, nine are created), each round table seeded with contributions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import uuid
from pathlib import Path
from typing import Any

NATIONAL_CONSULTATIONS = 12
SEED_CONTRIBUTIONS = 12
SEED_AUTHORS = 4
TABLES_PER_MEETING = 2
WORDS_FR = (  # noqa: SIM905 - a sentence's words, easier to read than a list
    "coopératives financement jeunes femmes marché label formation accompagnement région "
    "province commercialisation produits terroir crédit subvention foncier eau tourisme "
    "numérique transport route école santé gouvernance association emploi"
).split()
WORDS_AR = (  # noqa: SIM905
    "التعاونيات التمويل الشباب النساء السوق التسويق التكوين المواكبة الجهة الإقليم المنتوجات "
    "المحلية القروض الدعم الماء السياحة الطرق المدرسة الصحة الحكامة الجمعيات الشغل"
).split()


def bench_text(rng: random.Random) -> str:
    """A contribution of 12 to 30 words, French or Arabic, from the region's usual subjects."""
    words = WORDS_FR if rng.random() < 0.5 else WORDS_AR
    return " ".join(rng.choice(words) for _ in range(rng.randint(12, 30)))


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "_web_settings")
    import django

    django.setup()


def demo_synthesis_publish() -> str:
    """The demo consultation's first synthesis, linked to its programme and published."""
    from tashawur.consultations.models import Consultation
    from tashawur.core.models import User
    from tashawur.demo.diagnosis import demo_diagnosis_publish
    from tashawur.demo.loader import CONSULTATION_SLUG
    from tashawur.demo.programme import demo_programme_link_findings
    from tashawur.diagnosis.models import SynthesisRun
    from tashawur.diagnosis.services import synthesis_run_execute, synthesis_run_request

    consultation = Consultation.objects.get(slug=CONSULTATION_SLUG)
    if not SynthesisRun.objects.filter(consultation=consultation).succeeded().exists():
        queued = synthesis_run_request(
            consultation=consultation, user=User.objects.get(username="analyst")
        )
        run = synthesis_run_execute(run_id=queued.pk)
        if run is None or run.status != SynthesisRun.Status.SUCCEEDED:
            raise SystemExit(f"the demo's synthesis failed: {run and run.error_message}")
        demo_programme_link_findings(run=run)
        demo_diagnosis_publish(run=run)
    return CONSULTATION_SLUG


def accounts_sign_up(count: int, prefix: str) -> list[Any]:
    """``count`` participants through the sign-up service, each in a province of its own."""
    from django.test import override_settings

    from tashawur.actors.models import ActorType, ConsentText
    from tashawur.actors.services import consent_text_current, participant_sign_up
    from tashawur.territories.models import Territory

    provinces = list(Territory.objects.filter(level=Territory.Level.PROVINCE).order_by("code"))
    actor_types = list(ActorType.objects.order_by("pk"))
    consent = consent_text_current(purpose=ConsentText.Purpose.PARTICIPATION)
    assert consent is not None
    participants = []
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(count):
            sign_up = participant_sign_up(
                display_name=f"Bench {prefix} {i}",
                password=uuid.uuid4().hex,
                email=f"bench-{prefix}-{i}@bench.example.org",
                territory=provinces[i % len(provinces)],
                actor_type=actor_types[i % len(actor_types)],
                consent_texts=[consent],
            )
            participants.append(sign_up.participant)
    return participants


def session_for(user: Any) -> str:
    """A signed-in session of ``user``, as ``django.contrib.auth.login`` stores it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return session.session_key


def national_round_tables() -> list[int]:
    """Open round tables in twelve consultations, one per region: the demo's consultations get
    an online round; the regions without one get a consultation of their own."""
    from django.utils import timezone

    from tashawur.consultations.models import Consultation, Strategy, Theme, Workshop
    from tashawur.consultations.services import (
        consultation_create,
        meeting_create,
        workshop_create,
        workshop_open,
    )
    from tashawur.territories.models import Territory

    strategy = Strategy.objects.order_by("pk").first()
    assert strategy is not None
    themes = list(Theme.objects.filter(parent=None).order_by("pk"))
    regions = list(Territory.objects.filter(level=Territory.Level.REGION).order_by("code"))
    now = timezone.now()
    workshops: list[int] = []
    for region in regions[:NATIONAL_CONSULTATIONS]:
        consultation = Consultation.objects.filter(strategy=strategy, region=region).first()
        if consultation is None:
            consultation = consultation_create(
                strategy=strategy,
                region=region,
                title_ar=f"التشاور الجهوي {region.code} (قياس الأداء)",
                title_fr=f"Consultation régionale {region.code} (banc d'essai)",
                status=Consultation.Status.OPEN,
                slug=f"bench-{region.code}",
            )
        open_tables = list(
            Workshop.objects.filter(
                meeting__consultation=consultation, status=Workshop.Status.OPEN
            ).values_list("pk", flat=True)
        )
        if open_tables:
            workshops += open_tables
            continue
        province = Territory.objects.filter(parent=region).order_by("code").first()
        assert province is not None, region
        meeting = meeting_create(
            consultation=consultation,
            title_ar="الجولة الوطنية عبر الإنترنت",
            title_fr=f"Journée nationale en ligne {region.code}",
            starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=8),
            venue_ar="عبر الإنترنت",
            venue_fr="En ligne",
            territory=province,
        )
        for position in range(1, TABLES_PER_MEETING + 1):
            workshop = workshop_create(
                meeting=meeting,
                theme=themes[(position + len(workshops)) % len(themes)],
                position=position,
                title_ar=f"المائدة المستديرة {position}",
                title_fr=f"Table ronde {position}",
            )
            workshop_open(workshop=workshop)
            workshops.append(workshop.pk)
    return workshops


def round_tables_seed(workshop_ids: list[int], authors: list[Any], rng: random.Random) -> None:
    """Proposals enough to vote on (only proposals are put to the vote): each open round table
    gets ``SEED_CONTRIBUTIONS`` published ones, sent by ``authors``."""
    from tashawur.consultations.models import Dimension, Workshop
    from tashawur.contributions.models import Channel, Contribution
    from tashawur.contributions.services import contribution_submit

    for workshop in Workshop.objects.filter(pk__in=workshop_ids):
        have = (
            Contribution.objects.published()
            .filter(workshop=workshop, dimension=Dimension.PROPOSAL)
            .count()
        )
        for i in range(have, SEED_CONTRIBUTIONS):
            contribution_submit(
                workshop=workshop,
                text=bench_text(rng),
                dimension=Dimension.PROPOSAL,
                channel=Channel.WEB,
                author=authors[i % len(authors)],
                language="ar",
            )


def published_proposals(workshop_ids: list[int]) -> dict[str, list[int]]:
    """The proposals of each round table that can be voted on."""
    from tashawur.consultations.models import Dimension
    from tashawur.contributions.models import Contribution

    targets: dict[str, list[int]] = {str(pk): [] for pk in workshop_ids}
    rows = (
        Contribution.objects.published()
        .filter(workshop_id__in=workshop_ids, dimension=Dimension.PROPOSAL)
        .values_list("workshop_id", "pk")
    )
    for workshop_id, pk in rows:
        targets[str(workshop_id)].append(pk)
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--prefix", default="p")
    parser.add_argument("--national", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    django_setup()
    from tashawur.consultations.models import Workshop

    rng = random.Random(15)
    slug = demo_synthesis_publish()
    participants = accounts_sign_up(args.accounts, args.prefix)
    # The proposals voted on are others' (the accounts measured never vote on their own).
    authors = accounts_sign_up(SEED_AUTHORS, f"{args.prefix}-author")
    sessions = [session_for(p.user) for p in participants]
    demo = list(
        Workshop.objects.filter(
            meeting__consultation__slug=slug, status=Workshop.Status.OPEN
        ).values_list("pk", flat=True)
    )
    workshops = national_round_tables() if args.national else demo
    round_tables_seed(workshops, authors, rng)
    args.out.write_text(
        json.dumps(
            {
                "consultation": slug,
                "sessions": sessions,
                "consultations": Workshop.objects.filter(pk__in=workshops)
                .values("meeting__consultation")
                .distinct()
                .count(),
                "demo_workshops": published_proposals(demo),
                "workshops": published_proposals(workshops),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
