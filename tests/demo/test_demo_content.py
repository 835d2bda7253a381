"""The demo's content files (``src/tashawur/demo/data/``), checked without a database.

Reference lists (actor types, themes, provinces, quality signs) come from the product's own seed
data inside the package; a check that needs one is skipped, with the reason, when it is absent.
"""

import csv
import datetime as dt
import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import tashawur
from tashawur.demo.files import read_yaml

PACKAGE = Path(tashawur.__file__).parent
DATA = PACKAGE / "demo" / "data"

PROVINCES = ("09.001", "09.273", "09.163", "09.541", "09.581", "09.551")
TAROUDANT_THEMES = (
    "ess_framework",
    "financing",
    "product_quality",
    "quality_labels",
    "financial_education",
)
DIMENSIONS = ("potential", "specificity", "challenge", "proposal", "coordination", "question")
LANGUAGE_SHARES = {"ar": 35, "ary": 25, "ary-Latn": 8, "fr": 25, "zgh": 7}
CHANNELS = ("web", "facilitator", "offline", "import")
PERSONAS = ("producer", "cooperative_leader", "association", "funder", "public_service", "expert")
SECTORS = (
    "argan",
    "saffron",
    "dates",
    "almonds",
    "honey",
    "cactus",
    "aromatic_plants",
    "agriculture",
    "livestock",
    "handicraft",
    "food",
    "fishing",
    "tourism",
    "services",
    "finance",
    "public",
    "training",
    "media",
    "other",
)
AGENDA_KINDS = ("opening", "plenary", "workshops", "break", "closing")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
TEXT_MAX_LENGTH = 2000
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
KEY_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
IDEA_SLUG = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")
TABLE_HEADING = re.compile(r"^#\s*-+\s*table\s+(\d+)\s*:\s*([a-z_]+)")
ARABIZI_DIGIT = re.compile(r"[A-Za-z'][235789]|[235789][A-Za-z]")

ORGANISATION_KEYS = {
    "required": {"key", "name", "actor_type", "province", "sector"},
    "optional": {"name_fr", "actor_subtype", "quality_signs"},
}
PARTICIPANT_KEYS = {
    "required": {
        "key",
        "name",
        "gender",
        "age_band",
        "organisation",
        "province",
        "language",
        "reads",
        "persona",
    },
    # login: the row the demo's ``participant`` account speaks for
    "optional": {"name_latin", "login"},
}
CONTRIBUTION_KEYS = {
    "required": {"key", "author", "channel", "dimension", "language", "text", "idea"},
    "optional": {"translation_fr"},
}


# --- reading the files -------------------------------------------------------------------------


@cache
def load(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def meeting() -> dict[str, Any]:
    return load("meeting.yaml")


def organisations() -> list[dict[str, Any]]:
    return load("organisations.yaml")


def participants() -> list[dict[str, Any]]:
    return load("participants.yaml")


def workshops() -> list[dict[str, Any]]:
    return load("contributions.yaml")["workshops"]


def contributions() -> list[dict[str, Any]]:
    return [c for w in workshops() for c in w["contributions"]]


def contributions_of(theme: str) -> list[dict[str, Any]]:
    (workshop,) = [w for w in workshops() if w["theme"] == theme]
    return workshop["contributions"]


def votes() -> dict[str, Any]:
    return load("votes.yaml")


def table_headings() -> dict[str, str]:
    """participant key -> theme of the ``# --- table N: theme`` heading above it."""
    tables: dict[str, str] = {}
    current = None
    for line in (DATA / "participants.yaml").read_text(encoding="utf-8").splitlines():
        heading = TABLE_HEADING.match(line.strip())
        if heading:
            current = heading.group(2)
        found = re.search(r"\bkey:\s*(p\d+)", line)
        if found and current:
            tables[found.group(1)] = current
    return tables


def all_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in all_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in all_strings(v)]
    return []


def letters(text: str) -> list[str]:
    return [ch for ch in text if ch.isalpha()]


def is_tifinagh(ch: str) -> bool:
    return "\u2d30" <= ch <= "\u2d7f"


def is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff"


def is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")


# --- the product's seed data (skipped when absent) ---------------------------------------------


def seed_file(name: str) -> Path:
    found = sorted(p for p in PACKAGE.glob(f"*/data/{name}") if p.parent != DATA)
    if not found:
        pytest.skip(f"the product's seed data has no {name} under src/tashawur/*/data/ yet")
    return found[0]


def seed_actor_types() -> dict[str, set[str]]:
    data = yaml.safe_load(seed_file("actor_types.yaml").read_text(encoding="utf-8"))
    return {t["id"]: {s["id"] for s in t.get("subtypes", [])} for t in data["actor_types"]}


def seed_csv_column(name: str, column: str) -> set[str]:
    with seed_file(name).open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


# --- meeting.yaml ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(DATA.glob("*.yaml")), ids=lambda p: p.name)
def test_the_loader_reads_each_file_as_yaml_safe_load_does(path):
    assert read_yaml(DATA, path.name) == yaml.safe_load(path.read_text(encoding="utf-8"))


def test_meeting_is_the_taroudant_meeting_of_4_august_2018():
    info = meeting()["meeting"]
    assert info["date"] == dt.date(2018, 8, 4)
    assert (info["starts"], info["ends"]) == ("09:30", "17:00")
    assert info["venue_fr"] == "Dar INDH, Taroudant"
    assert info["venue_ar"] == "دار المبادرة الوطنية للتنمية البشرية، تارودانت"
    assert info["province"] == "09.541"
    assert meeting()["consultation"]["region"] == "09"


def test_meeting_strategy_consultation_and_meeting_have_both_titles():
    data = meeting()
    for part in ("strategy", "consultation", "meeting"):
        assert data[part]["title_ar"].strip() and data[part]["title_fr"].strip(), part
    assert data["strategy"]["description_ar"].strip()
    assert data["strategy"]["description_fr"].strip()


def test_agenda_runs_in_order_from_opening_to_closing_within_the_day():
    agenda = meeting()["agenda"]
    assert [item["position"] for item in agenda] == list(range(1, len(agenda) + 1))
    for item in agenda:
        assert HHMM.match(item["starts"]) and HHMM.match(item["ends"]), item
        assert item["starts"] < item["ends"], item
        assert item["kind"] in AGENDA_KINDS, item
        assert item["title_ar"].strip() and item["title_fr"].strip(), item
    assert all(a["ends"] <= b["starts"] for a, b in itertools.pairwise(agenda))
    assert agenda[0]["kind"] == "opening" and agenda[0]["starts"] == meeting()["meeting"]["starts"]
    assert agenda[-1]["kind"] == "closing" and agenda[-1]["ends"] == meeting()["meeting"]["ends"]
    assert "workshops" in {item["kind"] for item in agenda}


def test_meeting_has_the_five_taroudant_round_tables_in_order():
    tables = meeting()["workshops"]
    assert [w["theme"] for w in tables] == list(TAROUDANT_THEMES)
    assert [w["position"] for w in tables] == [1, 2, 3, 4, 5]
    for table in tables:
        for field in ("title_ar", "title_fr", "room_ar", "room_fr", "summary_ar", "summary_fr"):
            assert table[field].strip(), (table["theme"], field)


def test_round_table_themes_exist_in_the_seed_themes():
    data = yaml.safe_load(seed_file("themes.yaml").read_text(encoding="utf-8"))
    known = {t["id"] for t in data["themes"]}
    assert {w["theme"] for w in meeting()["workshops"]} <= known


def test_meeting_region_and_province_exist_in_the_seed_territories():
    assert meeting()["consultation"]["region"] in seed_csv_column("regions.csv", "code")
    provinces = seed_csv_column("souss_massa_provinces.csv", "hcp_code")
    assert meeting()["meeting"]["province"] in provinces
    assert set(PROVINCES) == provinces


# --- organisations.yaml ------------------------------------------------------------------------


def test_organisations_have_exactly_the_schema_keys():
    for org in organisations():
        keys = set(org)
        assert ORGANISATION_KEYS["required"] <= keys, org["key"]
        assert keys <= ORGANISATION_KEYS["required"] | ORGANISATION_KEYS["optional"], org["key"]


def test_organisation_keys_are_unique_slugs():
    keys = [org["key"] for org in organisations()]
    assert len(keys) == len(set(keys))
    assert all(KEY_SLUG.match(key) for key in keys)


def test_organisations_have_known_sectors_and_provinces():
    for org in organisations():
        assert org["sector"] in SECTORS, org["key"]
        assert org["province"] in PROVINCES, org["key"]
        assert org["name"].strip(), org["key"]


def test_organisations_are_at_least_40_over_all_six_provinces_and_many_actor_types():
    orgs = organisations()
    assert len(orgs) >= 40
    assert {org["province"] for org in orgs} == set(PROVINCES)
    assert len({org["actor_type"] for org in orgs}) >= 15
    kinds = Counter(org["actor_type"] for org in orgs)
    assert kinds["cooperative"] == max(kinds.values())


def test_organisations_actor_types_and_subtypes_exist_in_the_seed():
    known = seed_actor_types()
    for org in organisations():
        assert org["actor_type"] in known, org["key"]
        if org.get("actor_subtype"):
            assert org["actor_subtype"] in known[org["actor_type"]], org["key"]


def test_organisations_quality_signs_exist_in_the_seed():
    known = seed_csv_column("quality_signs.csv", "name")
    used = {sign for org in organisations() for sign in org.get("quality_signs") or []}
    assert used
    assert used <= known


# --- participants.yaml -------------------------------------------------------------------------


def test_participants_have_exactly_the_schema_keys():
    for person in participants():
        keys = set(person)
        assert PARTICIPANT_KEYS["required"] <= keys, person["key"]
        assert keys <= PARTICIPANT_KEYS["required"] | PARTICIPANT_KEYS["optional"], person["key"]


def test_participants_fields_take_known_values():
    for person in participants():
        assert person["gender"] in ("female", "male"), person["key"]
        assert person["age_band"] in AGE_BANDS, person["key"]
        assert person["province"] in PROVINCES, person["key"]
        assert person["language"] in ("ar", "ary", "fr", "zgh"), person["key"]
        assert isinstance(person["reads"], bool), person["key"]
        assert person["persona"] in PERSONAS, person["key"]
        assert any(is_arabic(ch) for ch in person["name"]), person["key"]


def test_participant_keys_are_unique_and_at_least_120():
    keys = [person["key"] for person in participants()]
    assert len(keys) == len(set(keys)) >= 120
    assert all(re.fullmatch(r"p\d{3}", key) for key in keys)


def test_participants_belong_to_known_organisations():
    known = {org["key"] for org in organisations()}
    assert {person["organisation"] for person in participants()} <= known


def test_participants_include_many_women_and_people_who_do_not_read():
    people = participants()
    women = sum(person["gender"] == "female" for person in people)
    assert women / len(people) >= 0.45
    rural = [p for p in people if p["province"] not in ("09.001", "09.273")]
    share_not_reading = sum(not p["reads"] for p in rural) / len(rural)
    assert 0.2 <= share_not_reading <= 0.45
    assert Counter(p["province"] for p in people).most_common(1)[0][0] == "09.541"


def test_every_persona_is_represented():
    assert {person["persona"] for person in participants()} == set(PERSONAS)


# --- contributions.yaml ------------------------------------------------------------------------


def test_contributions_file_has_one_list_per_round_table():
    assert [w["theme"] for w in workshops()] == list(TAROUDANT_THEMES)


def test_contributions_have_exactly_the_schema_keys():
    for item in contributions():
        keys = set(item)
        assert CONTRIBUTION_KEYS["required"] <= keys, item["key"]
        assert keys <= CONTRIBUTION_KEYS["required"] | CONTRIBUTION_KEYS["optional"], item["key"]


def test_contributions_fields_take_known_values():
    for item in contributions():
        assert item["channel"] in CHANNELS, item["key"]
        assert item["dimension"] in DIMENSIONS, item["key"]
        assert item["language"] in LANGUAGE_SHARES, item["key"]
        assert IDEA_SLUG.match(item["idea"]), item["key"]


def test_contribution_keys_are_unique():
    keys = [item["key"] for item in contributions()]
    assert len(keys) == len(set(keys))
    assert all(KEY_SLUG.match(key) for key in keys)


def test_contributions_are_at_least_300_and_60_per_round_table():
    assert len(contributions()) >= 300
    for theme in TAROUDANT_THEMES:
        assert len(contributions_of(theme)) >= 60, theme


def test_contribution_authors_are_participants_or_the_facilitator():
    known = {person["key"] for person in participants()}
    for item in contributions():
        if item["author"] is None:
            assert item["channel"] == "facilitator", item["key"]
        else:
            assert item["author"] in known, item["key"]


def test_every_participant_speaks_at_exactly_the_table_of_their_heading():
    tables = table_headings()
    spoke_at: dict[str, set[str]] = defaultdict(set)
    for workshop in workshops():
        for item in workshop["contributions"]:
            if item["author"]:
                spoke_at[item["author"]].add(workshop["theme"])
    assert set(tables) == {person["key"] for person in participants()}
    assert {key: {theme} for key, theme in tables.items()} == dict(spoke_at)


def test_contributions_of_people_who_do_not_read_are_captured_by_the_facilitator():
    not_reading = {p["key"] for p in participants() if not p["reads"]}
    captured = [c for c in contributions() if c["author"] in not_reading]
    assert captured
    assert {c["channel"] for c in captured} == {"facilitator"}


def test_authors_mostly_write_in_their_preferred_language():
    preferred = {p["key"]: p["language"] for p in participants()}
    authored = [c for c in contributions() if c["author"]]
    same = sum(preferred[c["author"]] == c["language"].split("-")[0] for c in authored)
    assert same / len(authored) >= 0.9


@pytest.mark.parametrize(("language", "planned"), LANGUAGE_SHARES.items())
def test_language_share_is_within_seven_points_of_the_plan(language, planned):
    counts = Counter(item["language"] for item in contributions())
    share = 100 * counts[language] / sum(counts.values())
    assert abs(share - planned) <= 7


def test_tifinagh_texts_are_in_the_tifinagh_block_and_translated():
    tifinagh = [c for c in contributions() if c["language"] == "zgh"]
    assert tifinagh
    for item in tifinagh:
        assert all(is_tifinagh(ch) for ch in letters(item["text"])), item["key"]
        assert item.get("translation_fr", "").strip(), item["key"]


def test_arabizi_texts_use_latin_letters_and_digits_for_letters():
    arabizi = [c for c in contributions() if c["language"] == "ary-Latn"]
    assert arabizi
    for item in arabizi:
        assert all(is_latin(ch) for ch in letters(item["text"])), item["key"]
        assert ARABIZI_DIGIT.search(item["text"]), item["key"]


def test_arabic_and_darija_texts_are_in_arabic_script():
    for item in contributions():
        if item["language"] in ("ar", "ary"):
            assert all(is_arabic(ch) for ch in letters(item["text"])), item["key"]


def test_french_texts_are_in_latin_script():
    for item in contributions():
        if item["language"] == "fr":
            assert all(is_latin(ch) for ch in letters(item["text"])), item["key"]


@pytest.mark.parametrize("theme", TAROUDANT_THEMES)
def test_every_round_table_has_every_dimension(theme):
    assert {c["dimension"] for c in contributions_of(theme)} == set(DIMENSIONS)


@pytest.mark.parametrize("theme", TAROUDANT_THEMES)
def test_proposals_are_at_least_a_quarter_of_each_round_table(theme):
    items = contributions_of(theme)
    proposals = [c for c in items if c["dimension"] == "proposal"]
    assert len(proposals) / len(items) >= 0.25


@pytest.mark.parametrize("theme", TAROUDANT_THEMES)
def test_every_round_table_has_every_language(theme):
    assert {c["language"] for c in contributions_of(theme)} == set(LANGUAGE_SHARES)


def test_ideas_recur_across_languages_and_people():
    by_idea: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in contributions():
        by_idea[item["idea"]].append(item)
    recurring = [
        idea
        for idea, items in by_idea.items()
        if len(items) >= 3
        and len({c["language"] for c in items}) >= 2
        and len({c["author"] for c in items}) >= 2
    ]
    assert len(recurring) >= 40
    assert max(len(items) for items in by_idea.values()) <= 8


def test_exact_duplicates_are_few_and_share_their_idea():
    by_text: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in contributions():
        by_text[item["text"]].append(item)
    duplicates = [items for items in by_text.values() if len(items) > 1]
    assert 1 <= len(duplicates) <= 10
    for items in duplicates:
        assert len({c["idea"] for c in items}) == 1, [c["key"] for c in items]


def test_contribution_texts_are_neither_empty_nor_too_long():
    for item in contributions():
        for field in ("text", "translation_fr"):
            if field in item:
                assert 1 <= len(item[field].strip()) <= TEXT_MAX_LENGTH, (item["key"], field)


@pytest.mark.parametrize(
    "name",
    ["meeting.yaml", "organisations.yaml", "participants.yaml", "contributions.yaml"],
)
def test_no_text_contains_bidi_control_characters(name):
    strings = all_strings(load(name))
    assert strings
    assert [s for s in strings if BIDI_CONTROLS & set(s)] == []


# --- votes.yaml --------------------------------------------------------------------------------


def test_votes_plan_has_a_seed_a_participation_and_a_default_that_sums_to_one():
    plan = votes()
    assert set(plan) == {"seed", "participation", "default", "stances"}
    assert isinstance(plan["seed"], int)
    assert 0 < plan["participation"] <= 1
    assert set(plan["default"]) == {"agree", "disagree", "pass"}
    assert sum(plan["default"].values()) == pytest.approx(1)


def test_every_stance_key_is_a_proposal():
    proposals = {c["key"] for c in contributions() if c["dimension"] == "proposal"}
    assert set(votes()["stances"]) <= proposals


def test_stances_cover_at_least_40_proposals_with_known_personas_and_probabilities():
    stances = votes()["stances"]
    assert len(stances) >= 40
    for key, per_persona in stances.items():
        assert set(per_persona) <= set(PERSONAS), key
        assert all(0 <= p <= 1 for p in per_persona.values()), key


def test_stances_cover_every_round_table():
    stance_keys = set(votes()["stances"])
    for theme in TAROUDANT_THEMES:
        assert stance_keys & {c["key"] for c in contributions_of(theme)}, theme


def test_stances_hold_both_divisive_and_consensual_proposals():
    stances = votes()["stances"].values()
    divisive = [s for s in stances if max(s.values()) - min(s.values()) >= 0.5]
    consensual = [s for s in stances if min(s.values()) >= 0.8]
    assert len(divisive) >= 5
    assert len(consensual) >= 5


# --- programme.yaml --------------------------------------------------------------------------


def programme_measures() -> dict[str, dict[str, Any]]:
    return {str(row["code"]): row for row in load("programme.yaml")["measures"]}


def children_of(code: str | None) -> list[str]:
    parent = lambda c: c.rsplit(".", 1)[0] if "." in c else None  # noqa: E731
    return [c for c in programme_measures() if parent(c) == code]


def test_programme_is_adopted_for_2019_to_2023_after_the_meeting():
    info = load("programme.yaml")["programme"]

    assert (info["starts_on"], info["ends_on"]) == (dt.date(2019, 1, 1), dt.date(2023, 12, 31))
    assert info["status"] == "adopted"
    assert dt.date(2018, 8, 4) < info["adopted_on"] <= info["ends_on"]
    assert info["title_ar"] and info["title_fr"]


def test_programme_has_3_to_4_axes_of_2_to_4_measures():
    axes = children_of(None)

    assert 3 <= len(axes) <= 4
    for axis in axes:
        assert 2 <= len(children_of(axis)) <= 4, axis
        for leaf in children_of(axis):
            assert children_of(leaf) == [], leaf


def test_programme_owners_and_partners_are_demo_organisations():
    keys = {row["key"] for row in organisations()}
    for code, row in programme_measures().items():
        assert row["owner"] in keys, code
        assert set(row.get("partners", [])) <= keys - {row["owner"]}, code


def test_programme_funding_stays_within_each_budget_from_known_sources():
    sources = {"indh_p3", "regional_council", "ministry", "odco", "partners", "other"}
    for code, row in programme_measures().items():
        funding = row.get("funding") or {}
        assert set(funding) <= sources, code
        assert sum(funding.values()) <= row["budget"], code
    used = {s for row in programme_measures().values() for s in row.get("funding") or {}}
    assert {"indh_p3", "regional_council", "ministry", "odco", "partners"} <= used


def test_programme_weights_of_siblings_add_up_to_100():
    for parent in [None, *children_of(None)]:
        assert sum(programme_measures()[c]["weight"] for c in children_of(parent)) == 100


def test_programme_leaves_are_dated_within_the_programme_and_answer_known_ideas():
    info = load("programme.yaml")["programme"]
    ideas = {row["idea"] for row in contributions()}
    for axis in children_of(None):
        for code in children_of(axis):
            row = programme_measures()[code]
            assert info["starts_on"] <= row["starts_on"] < row["ends_on"] <= info["ends_on"]
            assert row["ideas"] and set(row["ideas"]) <= ideas, code


def test_programme_leaves_have_indicators_and_dated_updates():
    for axis in children_of(None):
        for code in children_of(axis):
            row = programme_measures()[code]
            indicators = {i["key"]: i for i in row["indicators"]}
            assert 1 <= len(indicators) <= 2, code
            for indicator in indicators.values():
                up = indicator.get("direction", "up") == "up"
                assert (indicator["target"] > indicator["baseline"]) is up, code
            days = [u["date"] for u in row["updates"]]
            assert days == sorted(days) and row["starts_on"] <= days[0], code
            assert all(u.get("indicator") in (None, *indicators) for u in row["updates"])


def test_programme_has_a_few_measures_late_and_most_done():
    statuses = Counter(
        programme_measures()[c]["status"] for a in children_of(None) for c in children_of(a)
    )

    assert statuses["done"] > len(list(statuses.elements())) / 2
    assert 2 <= statuses["delayed"] + statuses["in_progress"] <= 4
