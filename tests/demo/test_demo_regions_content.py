"""The demo's other regions (``src/tashawur/demo/data/regions/``, fictional), checked without a
database: schema, counts, references, languages and scripts, ideas shared with Souss-Massa."""

import datetime as dt
import re
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import tashawur

PACKAGE = Path(tashawur.__file__).parent
DATA = PACKAGE / "demo" / "data"
REGIONS = sorted((DATA / "regions").glob("*.yaml"))
#: region file -> (HCP region code, consultation slug, languages it must hold)
EXPECTED = {
    "draa-tafilalet.yaml": ("08", "draa-tafilalet-2018", {"ar", "ary", "fr", "zgh"}),
    "oriental.yaml": ("02", "oriental-2018", {"ar", "ary", "fr"}),
}
DIMENSIONS = {"potential", "specificity", "challenge", "proposal", "coordination", "question"}
PERSONAS = {"producer", "cooperative_leader", "association", "funder", "public_service", "expert"}
LANGUAGES = {"ar", "ary", "ary-Latn", "fr", "zgh"}
ARABIZI_DIGIT = re.compile(r"[A-Za-z'][235789]|[235789][A-Za-z]")
CONTRIBUTION_KEYS = {"key", "author", "channel", "dimension", "language", "text", "idea"}
TAROUDANT = dt.date(2018, 8, 4)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rows(region: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for group in region["contributions"] for row in group["contributions"]]


@cache
def souss_massa_ideas() -> frozenset[str]:
    groups = load(DATA / "contributions.yaml")["workshops"]
    return frozenset(row["idea"] for group in groups for row in group["contributions"])


def letters(text: str) -> list[str]:
    return [ch for ch in text if ch.isalpha()]


def script(ch: str) -> str:
    if "\u2d30" <= ch <= "\u2d7f":
        return "tifinagh"
    if "\u0600" <= ch <= "\u06ff":
        return "arabic"
    return "latin" if unicodedata.name(ch, "").startswith("LATIN") else "other"


SCRIPT = {"ar": "arabic", "ary": "arabic", "ary-Latn": "latin", "fr": "latin", "zgh": "tifinagh"}


def seed_themes() -> set[str]:
    themes = load(PACKAGE / "consultations" / "data" / "themes.yaml")["themes"]
    return {theme["id"] for theme in themes}


def test_there_are_the_two_fictional_regions():
    assert [p.name for p in REGIONS] == sorted(EXPECTED)


@pytest.mark.parametrize("path", REGIONS, ids=lambda p: p.name)
class TestRegion:
    def test_consultation_is_of_its_region_and_marked_fictional(self, path):
        region = load(path)
        code, slug, _ = EXPECTED[path.name]
        assert region["consultation"]["region"] == code
        assert region["consultation"]["slug"] == slug
        assert "fictive" in region["consultation"]["title_fr"]
        assert "متخيل" in region["consultation"]["title_ar"]
        assert "fictive" in region["meeting"]["title_fr"]
        assert "FICTIONAL" in path.read_text(encoding="utf-8").splitlines()[0]

    def test_meeting_is_held_in_2018_before_taroudant_in_a_province_of_the_region(self, path):
        region = load(path)
        code = EXPECTED[path.name][0]
        meeting = region["meeting"]
        assert dt.date(2018, 6, 1) <= meeting["date"] < TAROUDANT
        assert meeting["province"].startswith(f"{code}.")
        for row in [*region["organisations"], *region["participants"]]:
            assert str(row["province"]).startswith(f"{code}."), row["key"]

    def test_three_or_four_round_tables_on_seed_themes_each_closed_with_a_report(self, path):
        region = load(path)
        themes = [w["theme"] for w in region["workshops"]]
        assert 3 <= len(themes) <= 4
        assert set(themes) <= seed_themes()
        assert [g["theme"] for g in region["contributions"]] == themes
        keys_of = {
            g["theme"]: {r["key"] for r in g["contributions"]} for g in region["contributions"]
        }
        for workshop in region["workshops"]:
            cited = re.findall(r"\{([\w-]+)\}", workshop["closing_report"])
            assert len(cited) >= 5, workshop["theme"]
            assert set(cited) <= keys_of[workshop["theme"]], workshop["theme"]

    def test_participants_are_15_to_25_with_known_values_at_a_round_table(self, path):
        region = load(path)
        people = region["participants"]
        organisations = {o["key"] for o in region["organisations"]}
        themes = {w["theme"] for w in region["workshops"]}
        assert 15 <= len(people) <= 25
        assert len({p["key"] for p in people}) == len(people)
        for person in people:
            assert person["gender"] in {"female", "male"}
            assert person["persona"] in PERSONAS
            assert person["organisation"] in organisations
            assert person["table"] in themes
            assert person["name"] and person["name_latin"]
        assert Counter(p["gender"] for p in people)["female"] >= len(people) // 3

    def test_contributions_are_45_to_70_by_people_at_their_table(self, path):
        region = load(path)
        tables = {p["key"]: p["table"] for p in region["participants"]}
        reads = {p["key"]: p.get("reads", True) for p in region["participants"]}
        said = rows(region)
        assert 45 <= len(said) <= 70
        assert len({r["key"] for r in said}) == len(said)
        for group in region["contributions"]:
            for row in group["contributions"]:
                assert CONTRIBUTION_KEYS <= set(row) <= CONTRIBUTION_KEYS | {"translation_fr"}
                assert row["dimension"] in DIMENSIONS
                assert row["channel"] in {"web", "facilitator"}
                if row["author"] is None:
                    assert row["channel"] == "facilitator"
                    continue
                assert tables[row["author"]] == group["theme"], row["key"]
                if not reads[row["author"]]:
                    assert row["channel"] == "facilitator", row["key"]

    def test_every_round_table_has_challenges_and_proposals(self, path):
        for group in load(path)["contributions"]:
            dimensions = Counter(r["dimension"] for r in group["contributions"])
            assert dimensions["challenge"] >= 3 and dimensions["proposal"] >= 3, group["theme"]

    def test_languages_are_the_regions_and_each_text_in_its_script(self, path):
        said = rows(load(path))
        languages = Counter(r["language"] for r in said)
        assert set(languages) <= LANGUAGES
        assert EXPECTED[path.name][2] <= set(languages)
        for row in said:
            scripts = {script(ch) for ch in letters(row["text"])}
            assert scripts == {SCRIPT[row["language"]]}, row["key"]
            if row["language"] == "zgh":
                assert row["translation_fr"].strip(), row["key"]
            if row["language"] == "ary-Latn":
                assert ARABIZI_DIGIT.search(row["text"]), row["key"]

    def test_about_a_third_share_an_idea_with_souss_massa(self, path):
        said = rows(load(path))
        shared = [r for r in said if r["idea"] in souss_massa_ideas()]
        assert 0.25 <= len(shared) / len(said) <= 0.4
        # Several ideas, not one repeated: financing, labels, marketing, governance…
        assert len({r["idea"] for r in shared}) >= 8
        # The rest is the region's own, and some of its own ideas recur across people.
        own = Counter(r["idea"] for r in said if r["idea"] not in souss_massa_ideas())
        assert sum(1 for n in own.values() if n >= 3) >= 3

    def test_texts_differ_but_for_one_or_two_deliberate_duplicates(self, path):
        said = rows(load(path))
        by_text = Counter(r["text"] for r in said)
        duplicates = [text for text, n in by_text.items() if n > 1]
        assert 1 <= len(duplicates) <= 2
        for text in duplicates:
            assert len({r["idea"] for r in said if r["text"] == text}) == 1

    def test_vote_stances_are_on_the_regions_proposals(self, path):
        region = load(path)
        proposals = {r["key"] for r in rows(region) if r["dimension"] == "proposal"}
        plan = region["votes"]
        assert isinstance(plan["seed"], int)
        assert sum(plan["default"].values()) == pytest.approx(1)
        assert plan["stances"] and set(plan["stances"]) <= proposals
        for stance in plan["stances"].values():
            assert set(stance) <= PERSONAS


def test_keys_do_not_collide_with_souss_massa_or_each_other():
    seen: Counter[str] = Counter()
    seen.update(o["key"] for o in load(DATA / "organisations.yaml"))
    seen.update(p["key"] for p in load(DATA / "participants.yaml"))
    seen.update(
        r["key"] for g in load(DATA / "contributions.yaml")["workshops"] for r in g["contributions"]
    )
    for path in REGIONS:
        region = load(path)
        seen.update(o["key"] for o in region["organisations"])
        seen.update(p["key"] for p in region["participants"])
        seen.update(r["key"] for r in rows(region))
    assert [key for key, n in seen.items() if n > 1] == []


def test_the_regions_share_ideas_with_each_other_too():
    ideas = [{r["idea"] for r in rows(load(path))} for path in REGIONS]
    common = set.intersection(*ideas)
    assert {"fin_own_contribution_hard", "ql_group_certification", "drought_water"} <= common
