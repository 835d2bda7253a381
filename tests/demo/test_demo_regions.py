"""The demo's other regional consultations (Drâa-Tafilalet and Oriental, fictional), loaded with
Souss-Massa by ``demo_load`` and synthesised by ``tashawur demo``. One load of the shipped demo
serves the module, in a transaction rolled back afterwards."""

from __future__ import annotations

import contextlib
import html
import io
import re
from collections import deque

import pytest
import yaml
from django.db import transaction
from django.test import Client

from tashawur.actors.models import Participant
from tashawur.consultations.models import Consultation, Meeting, Workshop
from tashawur.contributions.citations import report_parts
from tashawur.contributions.models import Contribution, ModerationStatus, Vote
from tashawur.core.models import User
from tashawur.demo.accounts import DEMO_USERS
from tashawur.demo.command import _logins_text, _synthesis_run_regions
from tashawur.demo.files import DemoDataError, default_data_dir
from tashawur.demo.loader import CONSULTATION_SLUG, demo_load
from tashawur.demo.people import STRATEGY_SLUG, demo_pseudonym
from tashawur.demo.regions import demo_region_files, demo_region_sync, demo_regions_sync
from tashawur.diagnosis.models import SynthesisRun

REGIONS = {"draa-tafilalet-2018": "08", "oriental-2018": "02"}


def _files() -> dict[str, dict]:
    return {f["consultation"]["slug"]: f for f in demo_region_files(default_data_dir())}


def _rows(region: dict) -> list[dict]:
    return [row for group in region["contributions"] for row in group["contributions"]]


@pytest.fixture(scope="module")
def shipped(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        summary = demo_load()
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def loaded(shipped, db):
    return shipped


def test_the_demo_holds_three_consultations_of_the_same_strategy(loaded) -> None:
    consultations = Consultation.objects.filter(strategy__slug=STRATEGY_SLUG)
    assert dict(consultations.values_list("slug", "region__code")) == {
        CONSULTATION_SLUG: "09",
        **REGIONS,
    }
    for slug in REGIONS:
        assert "fictive" in Consultation.objects.get(slug=slug).title_fr


def test_the_summary_counts_each_region_as_its_file_does(loaded) -> None:
    files = _files()
    assert [r.consultation for r in loaded.regions] == sorted(REGIONS)
    for region in loaded.regions:
        data = files[region.consultation]
        said = Contribution.objects.filter(consultation__slug=region.consultation)
        assert region.contributions == len(_rows(data)) == said.count()
        assert region.participants == len(data["participants"])
        assert region.organisations == len(data["organisations"])
        assert region.workshops == len(data["workshops"]) == 3
        assert region.votes == Vote.objects.filter(contribution__in=said).count() > 0
        assert region.consultation in str(loaded)


def test_each_region_speaks_its_languages_tifinagh_translated(loaded) -> None:
    for slug in REGIONS:
        said = Contribution.objects.filter(consultation__slug=slug)
        languages = set(said.values_list("language", flat=True))
        assert len(languages) >= 3, slug
        assert {"ar", "ary", "fr"} <= languages, slug
        for text, translation in said.filter(language="zgh").values_list("text", "translation_fr"):
            assert all("\u2d30" <= ch <= "\u2d7f" for ch in text if ch.isalpha())
            assert translation
    tifinagh = Contribution.objects.filter(consultation__slug="draa-tafilalet-2018", language="zgh")
    assert tifinagh.count() >= 5


def test_regions_share_ideas_with_souss_massa_and_have_their_own(loaded) -> None:
    groups = yaml.safe_load(
        default_data_dir().joinpath("contributions.yaml").read_text(encoding="utf-8")
    )["workshops"]
    souss = {row["idea"] for group in groups for row in group["contributions"]}
    for slug, data in _files().items():
        ideas = {row["idea"] for row in _rows(data)}
        shared = ideas & souss
        assert {"fin_own_contribution_hard", "ql_group_certification"} <= shared, slug
        assert len(ideas - souss) >= 8, slug
        # Those contributions are in the database, in the region's consultation.
        keys = [f"demo-{row['key']}" for row in _rows(data) if row["idea"] in shared]
        loaded_keys = Contribution.objects.filter(consultation__slug=slug, idempotency_key__in=keys)
        assert loaded_keys.count() == len(keys)


def test_every_region_contribution_is_published(loaded) -> None:
    said = Contribution.objects.filter(consultation__slug__in=REGIONS)
    assert said.count() >= 90
    assert set(said.values_list("moderation_status", flat=True)) == {ModerationStatus.PUBLISHED}


def test_region_meetings_are_held_and_closed_with_reports_citing_their_own_table(loaded) -> None:
    for slug in REGIONS:
        meeting = Meeting.objects.get(consultation__slug=slug)
        assert meeting.status == Meeting.Status.CLOSED
        assert meeting.starts_at.year == 2018
        for workshop in meeting.workshops.all():
            assert workshop.status == Workshop.Status.CLOSED
            cited = [part.number for part in report_parts(workshop.closing_report) if part.number]
            assert len(cited) >= 5
            assert set(cited) <= set(workshop.contributions.values_list("pk", flat=True))
            assert not re.search(r"\{[\w-]+\}", workshop.closing_report)


def test_region_people_belong_to_their_region(loaded) -> None:
    for slug, data in _files().items():
        for row in data["participants"]:
            territory = Participant.objects.get(pseudonym=demo_pseudonym(row["key"])).territory
            assert territory.code in {str(row["province"]), REGIONS[slug]}, row["key"]


def test_a_province_not_loaded_yet_is_read_as_its_region(loaded) -> None:
    data = _files()["oriental-2018"]
    first = {**data["participants"][0], "province": "02.999"}
    data = {**data, "participants": [first, *data["participants"][1:]]}
    users = {u.username: u for u in _users()}

    demo_region_sync(data, users)

    assert Participant.objects.get(pseudonym=demo_pseudonym(first["key"])).territory.code == "02"


def test_a_field_channel_in_a_region_file_is_refused(loaded) -> None:
    data = _files()["oriental-2018"]
    group = data["contributions"][0]
    row = {**group["contributions"][0], "channel": "offline"}
    data = {
        **data,
        "contributions": [
            {**group, "contributions": [row, *group["contributions"][1:]]},
            *data["contributions"][1:],
        ],
    }
    with pytest.raises(DemoDataError, match="channel 'offline' not loaded"):
        demo_region_sync(data, {u.username: u for u in _users()})


def test_loading_the_regions_again_changes_nothing(loaded) -> None:
    said = Contribution.objects.filter(consultation__slug__in=REGIONS)
    before = set(said.values_list("pk", "text", "created_at", "updated_at", "agree_count"))
    votes = set(Vote.objects.filter(contribution__in=said).values_list("pk", "value", "updated_at"))
    workshops = set(
        Workshop.objects.filter(meeting__consultation__slug__in=REGIONS).values_list(
            "pk", "closing_report", "updated_at"
        )
    )

    again = demo_regions_sync(data_dir=default_data_dir(), users={u.username: u for u in _users()})

    assert again == loaded.regions
    assert set(said.values_list("pk", "text", "created_at", "updated_at", "agree_count")) == before
    assert (
        set(Vote.objects.filter(contribution__in=said).values_list("pk", "value", "updated_at"))
        == votes
    )
    assert (
        set(
            Workshop.objects.filter(meeting__consultation__slug__in=REGIONS).values_list(
                "pk", "closing_report", "updated_at"
            )
        )
        == workshops
    )


def test_first_start_synthesises_each_region_once(loaded) -> None:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        first = _synthesis_run_regions()
    assert [(path, done) for _, path, done in first] == [
        ("/c/draa-tafilalet-2018/diagnosis/", True),
        ("/c/oriental-2018/diagnosis/", True),
    ]
    assert "First synthesis of 2 other regions done in " in out.getvalue()
    for slug in REGIONS:
        run = SynthesisRun.objects.get(consultation__slug=slug)
        assert run.status == SynthesisRun.Status.SUCCEEDED, run.error_message
        assert run.findings.exists()

    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert _synthesis_run_regions() == first
    assert out.getvalue() == ""
    assert SynthesisRun.objects.filter(consultation__slug__in=REGIONS).count() == 2

    text = _logins_text("http://127.0.0.1:8000/", regions=first)
    assert "http://127.0.0.1:8000/c/oriental-2018/diagnosis/" in text
    assert "fictional" in text


def test_no_name_of_a_region_participant_on_a_public_page(loaded) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        _synthesis_run_regions()
    names = set()
    for data in _files().values():
        names |= {p["name"] for p in data["participants"]}
        names |= {p["name_latin"] for p in data["participants"]}
    pages = _crawl_regions(Client())
    assert len(pages) >= 40
    assert any("/diagnosis/findings/" in path for path in pages)
    for path, text in pages.items():
        found = [name for name in names if name in text]
        assert not found, f"{path} shows {found}"


def _crawl_regions(client: Client, limit: int = 250) -> dict[str, str]:
    """The public pages reachable from the regions' consultation pages and the strategy's, in
    Arabic and French, staying within those consultations, their meetings, round tables and
    contributions."""
    meetings = list(
        Meeting.objects.filter(consultation__slug__in=REGIONS).values_list("slug", flat=True)
    )
    allowed = re.compile(
        r"^(/fr)?/(c/("
        + "|".join(REGIONS)
        + r")/|m/("
        + "|".join(meetings)
        + r")/$|w/\d+/|s/\d+/$)"
    )
    starts = [
        f"{prefix}{page}"
        for page in [
            *(f"/c/{slug}/" for slug in REGIONS),
            f"/s/{STRATEGY_SLUG}/",
            f"/s/{STRATEGY_SLUG}/compare/",
        ]
        for prefix in ("", "/fr")
    ]
    queue, seen, pages = deque(starts), set(starts), {}
    while queue and len(pages) < limit:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        text = response.content.decode()
        pages[path] = html.unescape(text)
        for link in re.findall(r'href="([^"#?]+)"', text):
            link = html.unescape(link)
            if allowed.match(link) and "/register/" not in link and link not in seen:
                seen.add(link)
                queue.append(link)
    return pages


def _users() -> list[User]:
    return list(User.objects.filter(username__in=DEMO_USERS))
