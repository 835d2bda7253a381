"""The demo's regional action programme: loaded through the programmes services, and linked to
the findings of a synthesis run by the ideas its measures answer."""

import datetime as dt
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db.models import Sum

from tashawur.consultations.models import Consultation
from tashawur.demo.command import _synthesis_run_first
from tashawur.demo.files import DemoDataError
from tashawur.demo.loader import CONSULTATION_SLUG, default_data_dir, demo_load
from tashawur.demo.programme import demo_programme_link_findings
from tashawur.diagnosis.models import Finding, FindingContribution, SynthesisRun
from tashawur.programmes.models import FundingLine, Indicator, Measure, Programme, ProgressUpdate
from tashawur.programmes.selectors import measures_late
from tests.demo.keys import demo_contribution, file_key

FIXTURES = Path(__file__).parent / "fixtures"
DEMO_FILES = (
    "meeting.yaml",
    "organisations.yaml",
    "participants.yaml",
    "contributions.yaml",
    "votes.yaml",
    "programme.yaml",
)
TODAY = dt.date(2026, 1, 1)


@pytest.fixture
def loaded(db):
    return demo_load(data_dir=FIXTURES)


def measures() -> dict[str, Measure]:
    return {m.code: m for m in Measure.objects.select_related("parent", "owner")}


def test_demo_programme_is_adopted_on_its_date_with_its_tree(loaded):
    programme = Programme.objects.get()

    assert loaded.measures == 5
    assert programme.consultation.slug == CONSULTATION_SLUG
    assert (programme.status, programme.starts_on, programme.ends_on) == (
        "adopted",
        dt.date(2019, 1, 1),
        dt.date(2023, 12, 31),
    )
    assert programme.adopted_at.date() == dt.date(2019, 3, 5)
    tree = {code: (m.parent.code if m.parent else None) for code, m in measures().items()}
    assert tree == {"1": None, "1.1": "1", "1.2": "1", "2": None, "2.1": "2"}


def test_demo_programme_measures_have_owners_partners_weights_and_statuses(loaded):
    by_code = measures()

    assert {code: m.owner.slug for code, m in by_code.items()} == {
        "1": "assoc-test",
        "1.1": "coop-test-argan",
        "1.2": "assoc-test",
        "2": "bank-test",
        "2.1": "bank-test",
    }
    assert set(by_code["1.1"].partners.values_list("slug", flat=True)) == {
        "assoc-test",
        "bank-test",
    }
    assert {code: m.weight for code, m in by_code.items()} == {
        "1": 60,
        "1.1": 50,
        "1.2": 50,
        "2": 40,
        "2.1": 100,
    }
    assert {code: m.status for code, m in by_code.items()} == {
        "1": "in_progress",
        "1.1": "done",
        "1.2": "delayed",
        "2": "in_progress",
        "2.1": "done",
    }
    assert [m.code for m in measures_late(programme=Programme.objects.get(), today=TODAY)] == [
        "1.2"
    ]


def test_demo_programme_funding_stays_within_each_budget(loaded):
    lines = {
        (line.measure.code, line.source): line.amount
        for line in FundingLine.objects.select_related("measure")
    }

    assert lines == {
        ("1", "regional_council"): 100000,
        ("1.1", "indh_p3"): 300000,
        ("1.1", "regional_council"): 150000,
        ("1.2", "ministry"): 200000,
        ("2.1", "odco"): 100000,
        ("2.1", "partners"): 600000,
    }
    for measure in Measure.objects.annotate(funded=Sum("funding_lines__amount")):
        assert measure.budget is not None
        assert (measure.funded or Decimal(0)) <= measure.budget


def test_demo_programme_indicators_and_progress_updates(loaded):
    indicator = Indicator.objects.get(measure__code="2.1")
    updates = ProgressUpdate.objects.filter(measure__code="1.1").order_by("on")

    assert (indicator.name_fr, indicator.baseline, indicator.target, indicator.direction) == (
        "Délai",
        200,
        60,
        "down",
    )
    assert [(u.on, u.percent, u.indicator_value, u.note) for u in updates] == [
        (dt.date(2020, 6, 30), 40, 4, "À mi-parcours."),
        (dt.date(2021, 12, 31), 100, 11, ""),
    ]
    assert {u.recorded_by.username for u in ProgressUpdate.objects.all()} == {"regional"}
    assert ProgressUpdate.objects.count() == 4


def _programme_snapshot() -> dict[str, list[tuple]]:
    return {
        model.__name__: sorted(map(tuple, model.objects.values_list()))
        for model in (Programme, Measure, FundingLine, Indicator, ProgressUpdate)
    } | {"links": sorted(Measure.findings.through.objects.values_list())}


def test_demo_load_twice_leaves_the_programme_as_it_was(loaded):
    before = _programme_snapshot()

    demo_load(data_dir=FIXTURES)

    assert _programme_snapshot() == before


def _fixtures_with_programme(tmp_path, change) -> Path:
    for name in DEMO_FILES:
        shutil.copy(FIXTURES / name, tmp_path / name)
    content = yaml.safe_load((tmp_path / "programme.yaml").read_text())
    change(content)
    (tmp_path / "programme.yaml").write_text(yaml.safe_dump(content, allow_unicode=True))
    return tmp_path


def test_demo_load_refuses_an_unknown_owner(db, tmp_path):
    data = _fixtures_with_programme(tmp_path, lambda c: c["measures"][1].update(owner="nobody"))

    with pytest.raises(DemoDataError) as caught:
        demo_load(data_dir=data)

    assert str(caught.value) == "programme.yaml 1.1: unknown organisation 'nobody'"


def test_demo_load_refuses_an_unknown_idea(db, tmp_path):
    data = _fixtures_with_programme(tmp_path, lambda c: c["measures"][2].update(ideas=["i9"]))

    with pytest.raises(DemoDataError) as caught:
        demo_load(data_dir=data)

    assert str(caught.value) == "programme.yaml 1.2: unknown ideas ['i9']"


def test_demo_load_refuses_funding_over_the_budget_through_the_service(db, tmp_path):
    data = _fixtures_with_programme(
        tmp_path, lambda c: c["measures"][1]["funding"].update(partners=60000)
    )

    with pytest.raises(DemoDataError) as caught:
        demo_load(data_dir=data)

    assert str(caught.value).startswith("programme.yaml 1.1: ")
    assert caught.value.__cause__.code == "funding_over_budget"
    assert Programme.objects.count() == 0


# --- links to the findings ------------------------------------------------------------------


def _finding(run, key, position, contributions, *, status="proposed", merged_into=None):
    finding = Finding.objects.create(
        run=run,
        key=key,
        theme_key="t",
        size=len(contributions),
        dimension="proposal",
        position=position,
        status=status,
        merged_into=merged_into,
    )
    for c in contributions:
        FindingContribution.objects.create(run=run, finding=finding, contribution=c)
    return finding


def _succeeded_run(consultation, *, finished_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)):
    return SynthesisRun.objects.create(
        consultation=consultation,
        status=SynthesisRun.Status.SUCCEEDED,
        started_at=finished_at,
        finished_at=finished_at,
        result={},
    )


def _contribution(key):
    return demo_contribution(key)


@pytest.fixture
def run_with_findings(loaded):
    """A succeeded run: A holds ideas i1 and i4, B idea i3, C (rejected) idea i5, D idea i2
    but merged into A, E ideas i3 and i5."""
    run = _succeeded_run(Consultation.objects.get())
    a = _finding(run, "F1", 1, [_contribution("e-1"), _contribution("f-1")])
    b = _finding(run, "F2", 2, [_contribution("e-3")])
    c = _finding(run, "F3", 3, [_contribution("f-2")], status="rejected")
    d = _finding(run, "F4", 4, [_contribution("e-2")], status="merged", merged_into=a)
    e = _finding(run, "F5", 5, [_contribution("e-4"), _contribution("f-3")])
    return run, {"A": a, "B": b, "C": c, "D": d, "E": e}


def _cited() -> dict[str, set[str]]:
    cited: dict[str, set[str]] = defaultdict(set)
    for code, key in Measure.findings.through.objects.values_list("measure__code", "finding__key"):
        cited[code].add(key)
    return dict(cited)


def test_link_findings_cites_the_visible_findings_mostly_about_the_measures_ideas(
    run_with_findings,
):
    run, _ = run_with_findings

    links = demo_programme_link_findings(run=run, data_dir=FIXTURES)

    # F5 is half about 1.2's idea: 1.2 has F2, all about it. No finding is mostly about the
    # ideas of 1.1 or 2.1: they cite those the most about them.
    assert _cited() == {"1.1": {"F1"}, "1.2": {"F2"}, "2.1": {"F1", "F5"}}
    assert links == 4


def test_link_findings_twice_changes_nothing(run_with_findings):
    run, _ = run_with_findings
    demo_programme_link_findings(run=run, data_dir=FIXTURES)
    before = _programme_snapshot()

    demo_programme_link_findings(run=run, data_dir=FIXTURES)

    assert _programme_snapshot() == before


def test_demo_load_links_the_measures_to_the_run_the_diagnosis_shows(run_with_findings):
    older, _ = run_with_findings
    demo_programme_link_findings(run=older, data_dir=FIXTURES)
    newer = _succeeded_run(older.consultation, finished_at=dt.datetime(2021, 1, 1, tzinfo=dt.UTC))
    _finding(newer, "G1", 1, [_contribution("f-2")])
    _finding(newer, "G2", 2, [_contribution(k) for k in ("e-1", "e-3", "f-1")])

    demo_load(data_dir=FIXTURES)

    # 1.1 and 1.2 have no finding mostly about their ideas: they cite the one most about them.
    assert _cited() == {"1.1": {"G2"}, "1.2": {"G2"}, "2.1": {"G1"}}


def test_demo_programme_page_shows_the_measures_and_their_findings(run_with_findings, client):
    run, findings = run_with_findings
    demo_programme_link_findings(run=run, data_dir=FIXTURES)

    response = client.get(f"/c/{CONSULTATION_SLUG}/programme/")

    assert response.status_code == 200
    page = response.content.decode()
    for measure in Measure.objects.all():
        assert f'id="measure-{measure.pk}"' in page
        assert measure.title_ar in page
    assert f"/c/{CONSULTATION_SLUG}/diagnosis/findings/{findings['A'].pk}/" in page


# --- the shipped demo, with a real synthesis run ----------------------------------------------


def _shipped(name):
    return yaml.safe_load(default_data_dir().joinpath(name).read_text(encoding="utf-8"))


@pytest.mark.slow
def test_shipped_demo_programme_cites_findings_of_the_first_run(db, client, settings, capsys):
    """``tashawur demo``'s first synthesis, run here and now over the shipped demo with the
    demo's own encoder: every leaf measure then cites a finding of that run, and every finding
    it cites holds one of its ideas."""
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = None
    call_command("load_reference_data", verbosity=0)
    demo_load()

    assert _synthesis_run_first() == (f"/c/{CONSULTATION_SLUG}/diagnosis/", True)

    run = SynthesisRun.objects.get()
    assert run.status == SynthesisRun.Status.SUCCEEDED, run.error_message
    out = capsys.readouterr().out
    assert "Running the first synthesis…\nFirst synthesis done in " in out
    assert "The action programme's measures cite them (" in out
    online = _shipped("meeting.yaml")["online_round"]["workshops"]  # the round after the day
    idea_of = {
        row["key"]: row["idea"]
        for group in [*_shipped("contributions.yaml")["workshops"], *online]
        for row in group["contributions"]
    }
    ideas_of_measure = {
        str(row["code"]): set(row["ideas"])
        for row in _shipped("programme.yaml")["measures"]
        if row.get("ideas")
    }
    leaves = Measure.objects.filter(children__isnull=True)
    assert {m.code for m in leaves} == set(ideas_of_measure)
    for measure in leaves:
        cited = list(measure.findings.all())
        assert cited, f"measure {measure.code} cites no finding"
        for finding in cited:
            assert finding.run_id == run.pk
            held = {
                idea_of[file_key(key)]
                for key in finding.contributions.values_list("idempotency_key", flat=True)
            }
            assert held & ideas_of_measure[measure.code], (measure.code, finding.key)

    response = client.get(f"/c/{CONSULTATION_SLUG}/programme/")
    assert response.status_code == 200
    page = response.content.decode()
    for measure in Measure.objects.all():
        assert measure.title_ar in page
    assert page.count(f"/c/{CONSULTATION_SLUG}/diagnosis/findings/") >= leaves.count()
