import shutil
from pathlib import Path

import pytest
import yaml
from django.db.models import Model

from tashawur.actors.models import Consent, Organisation, Participant
from tashawur.consultations.models import (
    AgendaItem,
    Attendance,
    Consultation,
    Meeting,
    Registration,
    Workshop,
)
from tashawur.contributions.models import Contribution, Vote
from tashawur.contributions.services import contribution_submit
from tashawur.core.models import User
from tashawur.demo.accounts import DEMO_PASSWORD
from tashawur.demo.files import DemoDataError, default_data_dir
from tashawur.demo.loader import CONSULTATION_SLUG, demo_load
from tashawur.demo.people import demo_pseudonym
from tashawur.demo.sync import TIME_ZONE
from tashawur.demo.workshops import demo_votes_generate
from tashawur.territories.models import Territory
from tests.demo.keys import demo_contribution

FIXTURES = Path(__file__).parent / "fixtures"
DEMO_FILES = (
    "meeting.yaml",
    "organisations.yaml",
    "participants.yaml",
    "contributions.yaml",
    "votes.yaml",
    "programme.yaml",
)


def participant(key):
    return Participant.objects.get(pseudonym=demo_pseudonym(key))


def contribution(key):
    return demo_contribution(key)


@pytest.fixture
def loaded(db):
    return demo_load(data_dir=FIXTURES)


def test_demo_load_creates_the_meeting_and_its_open_round_tables(loaded):
    meeting = Meeting.objects.get()
    assert meeting.consultation.region.code == "09"
    assert meeting.territory.code == "09.541"
    assert meeting.starts_at.isoformat() == "2018-08-04T08:30:00+00:00"  # 09:30 in Taroudant
    assert AgendaItem.objects.filter(meeting=meeting).count() == 6
    assert list(Workshop.objects.values_list("theme__slug", "status")) == [
        ("ess_framework", "open"),
        ("financing", "open"),
    ]


def test_demo_load_counts_match_the_files(loaded):
    assert (loaded.organisations, loaded.participants, loaded.workshops, loaded.contributions) == (
        3,
        6,
        2,
        8,
    )
    assert Organisation.objects.count() == 3
    assert Participant.objects.count() == 6
    assert Contribution.objects.count() == 8
    assert loaded.votes == Vote.objects.count()


def test_demo_load_registers_everyone_with_consent(loaded):
    assert Registration.objects.filter(status="registered").count() == 6
    consents = Consent.objects.filter(withdrawn_at__isnull=True, granted=True)
    assert consents.count() == 6
    assert set(
        consents.filter(method="oral").values_list("participant__display_name", flat=True)
    ) == {
        "إطو اختبار",
        "زهرة اختبار",
    }


def test_demo_load_seats_people_at_their_table_and_where_they_spoke(loaded):
    roster = {
        theme: set(
            Attendance.objects.filter(workshop__theme__slug=theme).values_list(
                "participant__pseudonym", flat=True
            )
        )
        for theme in ("ess_framework", "financing")
    }
    assert roster == {
        "ess_framework": {demo_pseudonym(k) for k in ("t01", "t02", "t03")},
        "financing": {demo_pseudonym(k) for k in ("t01", "t04", "t05", "t06")},
    }


def test_demo_load_creates_one_account_per_role(loaded):
    users = {u.username: u for u in User.objects.all()}
    assert {name: u.role for name, u in users.items()} == {
        "national": "national_coordinator",
        "regional": "regional_coordinator",
        "facilitator": "facilitator",
        "rapporteur": "rapporteur",
        "analyst": "analyst",
        "participant": "participant",
    }
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    assert [name for name, u in users.items() if u.is_superuser] == ["national"]
    assert list(Consultation.objects.get().coordinators.all()) == [users["regional"]]
    assert list(Consultation.objects.get().analysts.all()) == [users["analyst"]]
    assert set(Workshop.objects.values_list("facilitator__username", "rapporteur__username")) == {
        ("facilitator", "rapporteur")
    }
    assert participant("t01").user == users["participant"]


def test_demo_load_links_organisations_types_and_quality_signs(loaded):
    coop = Organisation.objects.get(slug="coop-test-argan")
    assert coop.actor_type.slug == "cooperative-argan"
    assert list(coop.quality_signs.values_list("name", flat=True)) == ["Argane"]
    assert list(participant("t02").organisations.all()) == [coop]
    assert participant("t06").organisations.count() == 0


def test_demo_load_records_who_captured_what(loaded):
    assert (contribution("e-4").author, contribution("e-4").recorded_by.username) == (
        None,
        "facilitator",
    )
    assert contribution("e-2").recorded_by.username == "facilitator"
    assert contribution("e-2").translation_fr == "Où est l'argent ?"
    assert contribution("e-1").recorded_by is None
    assert contribution("f-3").language == "ary-Latn"


def test_demo_load_dates_contributions_within_their_session(loaded):
    local = {
        key: contribution(key).created_at.astimezone(TIME_ZONE).strftime("%H:%M")
        for key in ("e-1", "e-2", "e-3", "e-4")
    }
    # e-1 and e-2 share the morning tables (11:15-13:15), e-3 and e-4 the afternoon (14:30-15:45).
    assert local == {"e-1": "11:55", "e-2": "12:35", "e-3": "14:55", "e-4": "15:20"}


def test_demo_load_votes_come_from_the_table_and_authors_agree(loaded):
    for vote in Vote.objects.select_related("contribution__workshop", "contribution__author"):
        assert Attendance.objects.filter(
            workshop=vote.contribution.workshop, participant=vote.participant
        ).exists()
        if vote.participant == vote.contribution.author:
            assert vote.value == 1
    assert Vote.objects.filter(contribution__dimension="proposal").count() == Vote.objects.count()
    assert (
        Vote.objects.filter(contribution=contribution("f-2"), participant=participant("t05"))
        .get()
        .value
        == 1
    )


def test_demo_load_vote_counters_match_the_votes(loaded):
    for c in Contribution.objects.all():
        votes = list(Vote.objects.filter(contribution=c).values_list("value", flat=True))
        assert (c.agree_count, c.disagree_count, c.pass_count) == (
            votes.count(1),
            votes.count(-1),
            votes.count(0),
        )


def _snapshot() -> dict[str, list[tuple]]:
    models: list[type[Model]] = [
        Territory,
        Organisation,
        Participant,
        Consent,
        User,
        Meeting,
        Workshop,
        AgendaItem,
        Registration,
        Attendance,
        Contribution,
        Vote,
    ]
    return {m.__name__: sorted(map(tuple, m.objects.values_list())) for m in models}


def test_demo_load_twice_changes_nothing(loaded):
    before = _snapshot()

    again = demo_load(data_dir=FIXTURES)

    assert again == loaded
    assert _snapshot() == before


def test_demo_load_again_keeps_its_own_row_when_a_visitor_sent_one_of_its_keys(loaded):
    """Keys are unique per sender: the demo participant may send another author's demo key,
    which stores their own contribution; loading again neither takes it for the demo's."""
    demo_row = contribution("e-3")
    visitor = contribution_submit(
        workshop=demo_row.workshop,
        text="نص الزائر",
        dimension="proposal",
        channel="web",
        author=participant("t01"),
        idempotency_key="demo-e-3",
    ).contribution

    demo_load(data_dir=FIXTURES)

    rows = Contribution.objects.filter(idempotency_key="demo-e-3").order_by("pk")
    assert [(c.pk, c.author, c.text) for c in rows] == [
        (demo_row.pk, participant("t03"), demo_row.text),
        (visitor.pk, participant("t01"), "نص الزائر"),
    ]


@pytest.mark.django_db(transaction=True)
def test_demo_load_crash_half_way_leaves_nothing(tmp_path):
    for name in DEMO_FILES:
        shutil.copy(FIXTURES / name, tmp_path / name)
    content = yaml.safe_load((tmp_path / "contributions.yaml").read_text())
    content["workshops"][1]["contributions"][0]["author"] = "nobody"
    (tmp_path / "contributions.yaml").write_text(yaml.safe_dump(content, allow_unicode=True))

    with pytest.raises(DemoDataError) as caught:
        demo_load(data_dir=tmp_path)

    assert str(caught.value) == "contributions.yaml f-1: unknown author 'nobody'"

    assert [Territory.objects.count(), User.objects.count(), Participant.objects.count()] == [
        0,
        0,
        0,
    ]
    assert Contribution.objects.count() == 0


def test_demo_votes_generate_is_deterministic_for_a_seed():
    plan = yaml.safe_load((FIXTURES / "votes.yaml").read_text())
    groups = yaml.safe_load((FIXTURES / "contributions.yaml").read_text())["workshops"]
    roster = {"ess_framework": {"t01", "t02", "t03"}, "financing": {"t01", "t04", "t05", "t06"}}
    personas = {"t04": "funder", "t05": "producer"}

    first = demo_votes_generate(plan, groups, personas, roster)

    assert demo_votes_generate(plan, groups, personas, roster) == first
    assert demo_votes_generate({**plan, "seed": 1}, groups, personas, roster) != first
    assert {key for key, _ in first} == {"e-3", "e-4", "f-2", "f-3"}


def test_demo_votes_generate_follows_a_persona_stance():
    plan = {
        "seed": 0,
        "participation": 1.0,
        "default": {"agree": 0.0, "disagree": 0.0, "pass": 1.0},
        "stances": {"f-2": {"producer": 1.0}},
    }
    groups = [
        {
            "theme": "financing",
            "contributions": [{"key": "f-2", "author": "t06", "dimension": "proposal"}],
        }
    ]
    roster = {"financing": {"t04", "t05", "t06"}}

    votes = demo_votes_generate(plan, groups, {"t04": "funder", "t05": "producer"}, roster)

    assert votes == {("f-2", "t04"): 0, ("f-2", "t05"): 1, ("f-2", "t06"): 1}


def test_demo_votes_generate_rejects_stances_on_unknown_proposals():
    plan = {"seed": 0, "participation": 1.0, "default": {"agree": 1, "disagree": 0, "pass": 0}}

    with pytest.raises(DemoDataError) as caught:
        demo_votes_generate({**plan, "stances": {"x-9": {"producer": 1}}}, [], {}, {})

    assert str(caught.value) == "votes.yaml: stances for unknown proposals ['x-9']"


@pytest.mark.skipif(
    not all(default_data_dir().joinpath(name).is_file() for name in DEMO_FILES),
    reason="the demo content files are not all written yet",
)
def test_demo_load_of_the_shipped_demo_matches_its_files(db):
    data = default_data_dir()
    read = lambda name: yaml.safe_load(data.joinpath(name).read_text(encoding="utf-8"))  # noqa: E731

    summary = demo_load()

    groups = read("contributions.yaml")["workshops"]
    # Souss-Massa's own counts; the other regions (demo/data/regions/) have theirs.
    souss_massa = Contribution.objects.filter(consultation__slug=CONSULTATION_SLUG)
    regions = summary.regions
    assert len(regions) == 2
    assert summary.organisations == len(read("organisations.yaml"))
    assert summary.organisations + sum(r.organisations for r in regions) == (
        Organisation.objects.count()
    )
    assert summary.participants == len(read("participants.yaml"))
    assert summary.participants + sum(r.participants for r in regions) == (
        Participant.objects.count()
    )
    # The 2018 meeting's five round tables and the online round's three, with what was said.
    online = read("meeting.yaml")["online_round"]["workshops"]
    assert summary.workshops == len(read("meeting.yaml")["workshops"]) + len(online) == 8
    assert summary.contributions == sum(len(g["contributions"]) for g in [*groups, *online])
    assert summary.contributions == souss_massa.count()
    assert summary.contributions + sum(r.contributions for r in regions) == (
        Contribution.objects.count()
    )
    registrations = Registration.objects.filter(meeting__consultation__slug=CONSULTATION_SLUG)
    assert registrations.count() == summary.participants
    assert Vote.objects.filter(contribution__in=souss_massa).count() == summary.votes > 0
    assert summary.votes + sum(r.votes for r in regions) == Vote.objects.count()
