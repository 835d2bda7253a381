"""The diagnosis at a glance (issue 13, part 4): the charts' data from the selectors, their
suppression under k, their significance marks, and the opinion map's stored picture."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import ngettext

from tashawur.actors.models import Participant
from tashawur.diagnosis import charts
from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.diagnosis.selectors import (
    consultation_participation,
    findings_dimension_theme_sizes,
)
from tashawur.diagnosis.services.storing import OPINION_MAP_KEY
from tests.actors.factories import ActorTypeFactory, OrganisationFactory, ParticipantFactory
from tests.contributions.factories import ContributionFactory
from tests.synthesis.corpus import IDEAS
from tests.territories.factories import ProvinceFactory

from .conftest import DIMENSIONS, LANGUAGES, Corpus, run_execute, run_now, votes_cast


def crowd_add(corpus: Corpus, count: int = 72) -> None:
    """New authors saying the four ideas again, each with words of its own: the water said
    mostly by associations of Tata, the doctor mostly by cooperatives of Taroudant, so that the
    heatmaps have cells of several authors and marks."""
    ideas = list(IDEAS)
    association = ActorTypeFactory(slug="association")
    cooperative = ActorTypeFactory(slug="cooperative")
    tata = ProvinceFactory(code="TAT", name_ar="طاطا", name_fr="Tata")
    taroudant = ProvinceFactory(code="TRD", name_ar="تارودانت", name_fr="Taroudant")
    for n in range(count):
        idea = ideas[n % len(ideas)]
        language = LANGUAGES[(n // len(ideas)) % len(LANGUAGES)]
        leaning = {"water": 0, "doctor": 1}.get(idea, n % 2)
        # One author in six goes against the idea's leaning.
        side = leaning if n % 6 else 1 - leaning
        author = ParticipantFactory(
            territory=(tata, taroudant)[side],
            gender=(Participant.Gender.FEMALE, Participant.Gender.MALE)[n % 2],
        )
        author.organisations.add(OrganisationFactory(actor_type=(association, cooperative)[side]))
        ContributionFactory(
            workshop=corpus.workshops[n % 2],
            text=f"{IDEAS[idea][language]} ({n})",
            language=language,
            dimension=DIMENSIONS[idea],
            author=author,
        )


# -- the statistics, on constructed tables ---------------------------------------------------


def test_adjusted_residuals_of_a_two_by_two_table() -> None:
    # N=50, every margin 25: e=12.5, variance 12.5 × ½ × ½ = 3.125.
    z = charts.adjusted_residuals([[20, 5], [5, 20]])
    assert z[0][0] == pytest.approx(7.5 / math.sqrt(3.125))
    assert z[0][1] == pytest.approx(-7.5 / math.sqrt(3.125))
    assert z[1][1] == pytest.approx(z[0][0])


def test_adjusted_residuals_are_zero_on_an_independent_table() -> None:
    z = charts.adjusted_residuals([[10, 20], [20, 40]])
    assert all(cell == pytest.approx(0.0) for line in z for cell in line)


def test_adjusted_residuals_are_undefined_where_one_column_holds_everything() -> None:
    assert charts.adjusted_residuals([[3, 0], [4, 0]]) == [[None, None], [None, None]]


def test_heatmap_suppresses_cells_under_k_and_marks_only_the_shown_ones() -> None:
    rows = [("a", "A"), ("b", "B")]
    columns = [("x", "X"), ("y", "Y")]
    counts = {("a", "x"): 20, ("a", "y"): 4, ("b", "x"): 5, ("b", "y"): 20}

    chart = charts.heatmap(rows, columns, counts, k=5)

    a, b = chart.rows
    assert [c.count for c in a.cells] == [20, None]
    assert [c.count for c in b.cells] == [5, 20]
    assert chart.suppressed == 1
    assert a.cells[0].over and b.cells[1].over
    assert b.cells[0].under
    # The suppressed cell is under-represented too, but shows nothing, not even its mark.
    assert not a.cells[1].under and a.cells[1].level == 0
    assert [c.level for c in a.cells] == [4, 0]
    assert b.cells[0].level == 1


def test_heatmap_does_not_mark_a_cell_within_the_critical_value() -> None:
    chart = charts.heatmap(
        [("a", "A"), ("b", "B")],
        [("x", "X"), ("y", "Y")],
        {("a", "x"): 12, ("a", "y"): 10, ("b", "x"): 10, ("b", "y"): 12},
        k=5,
    )
    assert not chart.marked


def test_stacked_bar_starts_from_the_right_in_a_right_to_left_page() -> None:
    ltr = charts.stacked([6, 3, 1], 20, rtl=False)
    rtl = charts.stacked([6, 3, 1], 20, rtl=True)
    assert [(s.x, s.width) for s in ltr] == [(0, 30), (30, 15), (45, 5)]
    assert [(s.x, s.width) for s in rtl] == [(70, 30), (55, 15), (50, 5)]


def test_opinion_picture_merges_participants_on_one_spot_and_counts_groups() -> None:
    picture = charts.opinion_picture(
        [[0.0, 0.0, 0], [0.0, 0.0, 0], [1.0, 1.0, 1], [0.5, 0.5, None]]
    )
    assert picture is not None
    assert picture.participants == 4
    assert len(picture.dots) == 3
    assert [(g.name, g.size) for g in picture.groups] == [("A", 2), ("B", 1), ("", 1)]
    # The first component runs across, the second up: (1, 1) is top right.
    top_right = next(d for d in picture.dots if d.fill == charts.GROUP_FILLS[1])
    assert (top_right.x, top_right.y) == (
        charts.MAP_WIDTH - charts.MAP_PAD,
        charts.MAP_PAD,
    )


def test_opinion_picture_draws_everyone_on_one_line_through_the_middle() -> None:
    picture = charts.opinion_picture([[-1.0, 0.0, 0], [1.0, 0.0, 1]])
    assert picture is not None
    assert {d.y for d in picture.dots} == {charts.MAP_HEIGHT / 2}


def crowd_points(sizes: dict[int | None, int]) -> list[list[float | int | None]]:
    """Participants of each group (None: not in a group) spread on the map, groups interleaved
    as a run stores them."""
    points: list[list[float | int | None]] = []
    for n in range(max(sizes.values())):
        for group, size in sizes.items():
            if n < size:
                place = -1 if group is None else group
                points.append([place + n / size, math.sin(n) + place, group])
    return points


def test_opinion_picture_past_its_limit_draws_a_sample_of_each_group() -> None:
    sizes: dict[int | None, int] = {0: 700, 1: 240, 2: 1, None: 59}
    points = crowd_points(sizes)

    picture = charts.opinion_picture(points, limit=100)

    assert picture is not None
    assert (picture.participants, picture.drawn, picture.sampled) == (1000, 100, True)
    # The groups' sizes count everyone, not the sample.
    assert [(g.key, g.size) for g in picture.groups] == [(0, 700), (1, 240), (2, 1), (None, 59)]
    drawn = charts.opinion_sample([-1 if p[2] is None else int(p[2]) for p in points], 100)
    assert len(set(drawn)) == 100
    per_group = Counter(points[i][2] for i in drawn)
    # Each group in proportion to its size, and none left out: the one person of group C too.
    assert per_group == {0: 70, 1: 24, 2: 1, None: 5}
    assert {d.fill for d in picture.dots} == {
        charts.group_fill(0),
        charts.group_fill(1),
        charts.group_fill(2),
        charts.UNGROUPED_FILL,
    }
    assert picture.svg.count("<circle") == len(picture.dots) <= 100


def test_opinion_picture_sample_is_the_same_on_every_request() -> None:
    points = crowd_points({0: 3000, 1: 2000})

    first = charts.opinion_picture(points, limit=500)
    again = charts.opinion_picture([list(p) for p in points], limit=500)

    assert first is not None and again is not None
    assert first.dots == again.dots
    assert first.svg == again.svg


def test_opinion_picture_under_its_limit_draws_everyone() -> None:
    points = crowd_points({0: 30, 1: 20})

    picture = charts.opinion_picture(points, limit=50)

    assert picture is not None
    assert (picture.participants, picture.drawn, picture.sampled) == (50, 50, False)
    assert charts.opinion_sample([0] * 30 + [1] * 20, 50) == list(range(50))


# -- the selectors -------------------------------------------------------------------------------


def test_dimension_theme_sizes_sum_the_visible_findings(corpus: Corpus) -> None:
    run = run_now(corpus)
    hidden = run.findings.order_by("position").first()
    assert hidden is not None
    Finding.objects.filter(pk=hidden.pk).update(status=Finding.Status.REJECTED)

    rows = findings_dimension_theme_sizes(run)

    visible = run.findings.exclude(pk=hidden.pk)
    assert sum(r["contributions"] for r in rows) == sum(f.size for f in visible)
    assert sum(r["findings"] for r in rows) == visible.count()
    assert {(r["dimension"], r["theme_key"]) for r in rows} == {
        (f.dimension, f.theme_key) for f in visible
    }


def test_participation_counts_authors_once_by_province_and_gender(corpus: Corpus) -> None:
    tata = ProvinceFactory(code="TAT")
    authors = [c.author for c in corpus.by_key.values() if c.author is not None]
    for n, author in enumerate(authors):
        if n < 5:
            author.territory = tata
        author.gender = Participant.Gender.FEMALE if n % 2 else Participant.Gender.MALE
        author.save()
    # A second contribution of the same author counts once.
    first = corpus.by_key[f"water-{LANGUAGES[0]}"]
    corpus.copy.author = first.author
    corpus.copy.save()

    people = consultation_participation(corpus.consultation)

    assert people["province"]["TAT"] == {a.pk for a in authors[:5]}
    assert len(people["gender"]["female"]) + len(people["gender"]["male"]) == len(authors)
    assert people["actor_type"].keys() == {"association", "cooperative"}
    # The pending and the rejected contribution's authors are not counted.
    assert corpus.pending.author_id not in set().union(*people["gender"].values())


# -- the stored opinion map ----------------------------------------------------------------------


def test_a_run_stores_each_voter_as_a_point_without_their_id(corpus: Corpus) -> None:
    votes_cast(corpus)
    run = run_now(corpus)

    points = run.result[OPINION_MAP_KEY]["points"]

    assert len(points) == len(corpus.voters)
    assert all(len(p) == 3 for p in points)
    assert {p[2] for p in points} == {0, 1}
    voter_ids = {v.pk for v in corpus.voters}
    assert not any(isinstance(v, str) or v in voter_ids for p in points for v in p[2:])
    assert points == sorted(points)


def test_a_new_run_reads_the_previous_result_without_its_opinion_map(corpus: Corpus) -> None:
    votes_cast(corpus)
    run_now(corpus)

    again = run_execute(corpus)

    assert again.status == SynthesisRun.Status.SUCCEEDED, again.error_message
    assert again.parameters["incremental"] is True


# -- the page ------------------------------------------------------------------------------------


def test_the_overview_shows_the_charts_with_the_suppressed_cells_hidden(
    corpus: Corpus, client: Client, settings
) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 3
    crowd_add(corpus)
    votes_cast(corpus)
    run_now(corpus)

    html = client.get(f"/fr/c/{corpus.consultation.slug}/diagnosis/").content.decode()

    assert 'id="glance"' in html
    assert 'id="chart-themes"' in html
    assert 'id="chart-actor-types"' in html
    assert 'id="chart-votes"' in html
    assert '<figure class="opinion-map"' in html
    assert "<circle" in html
    assert 'id="chart-provinces"' in html
    assert "Taroudant" in html
    # A cell of fewer than k authors shows neither its count nor its mark.
    assert '<td class="heat-0"><span aria-hidden="true">·</span>' in html
    assert '<span aria-hidden="true">▲</span>' in html
    # French decimals stay points in the SVG.
    assert not any("," in part for part in html.split('<svg viewBox="')[1].split('"')[0].split())


def test_the_overview_says_how_many_participants_its_opinion_map_draws(
    corpus: Corpus, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts, "MAP_POINTS", 4)
    votes_cast(corpus, per_camp=5)
    run_now(corpus)

    html = client.get(f"/fr/c/{corpus.consultation.slug}/diagnosis/").content.decode()

    figure = html.split('<figure class="opinion-map"', 1)[1].split("</figure>", 1)[0]
    with translation.override("fr"):
        drawn = ngettext(
            "%(drawn)s of %(counter)s participant drawn, from each group in proportion to its "
            "size.",
            "%(drawn)s of %(counter)s participants drawn, from each group in proportion to its "
            "size.",
            10,
        ) % {"drawn": 4, "counter": 10}
    assert drawn in figure
    assert figure.count("<circle") <= 4 + 2  # the sample, and the two groups' swatches


def test_a_dimension_view_shows_no_charts(corpus: Corpus, client: Client) -> None:
    run = run_now(corpus)
    dimension = run.findings.first().dimension  # type: ignore[union-attr]
    html = client.get(f"/c/{corpus.consultation.slug}/diagnosis/?dimension={dimension}").content
    assert b'id="glance"' not in html
    assert b'<details class="dimension" open>' in html
