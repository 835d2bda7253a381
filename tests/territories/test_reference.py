import pytest

from tashawur.territories.models import Territory
from tashawur.territories.services import territories_load_reference

pytestmark = pytest.mark.django_db


def test_territories_load_reference_builds_country_regions_and_souss_massa_provinces():
    territories_load_reference()

    country = Territory.objects.get(code="MA")
    assert country.parent is None
    assert country.children.count() == 12
    assert sorted(country.children.values_list("code", flat=True)) == [
        f"{n:02d}" for n in range(1, 13)
    ]
    souss = Territory.objects.get(code="09")
    assert (souss.name_fr, souss.iso_code, souss.population) == ("Souss-Massa", "MA-09", 3020431)
    assert sorted(souss.children.values_list("name_fr", "kind")) == [
        ("Agadir Ida-Outanane", "prefecture"),
        ("Chtouka-Aït Baha", "province"),
        ("Inezgane-Aït Melloul", "prefecture"),
        ("Taroudant", "province"),
        ("Tata", "province"),
        ("Tiznit", "province"),
    ]


def test_territories_load_reference_keeps_the_latest_census_per_province():
    territories_load_reference()

    taroudant = Territory.objects.get(code="09.541")
    assert (taroudant.population, taroudant.population_year, taroudant.households) == (
        858162,
        2024,
        209341,
    )


def test_territories_load_reference_country_population_is_the_sum_of_its_regions():
    territories_load_reference()

    regions = Territory.objects.filter(level="region")
    assert Territory.objects.get(code="MA").population == sum(r.population for r in regions)


def test_territories_load_reference_twice_changes_nothing():
    first = territories_load_reference()
    stamps = dict(Territory.objects.values_list("code", "updated_at"))

    second = territories_load_reference()

    # the country, 12 regions, 75 prefectures and provinces, 1,503 communes
    assert (first.created, second.created, second.updated, second.unchanged) == (
        1591,
        0,
        0,
        1591,
    )
    assert dict(Territory.objects.values_list("code", "updated_at")) == stamps


def test_territories_load_reference_repairs_an_edited_row():
    territories_load_reference()
    Territory.objects.filter(code="09.551").update(name_fr="Tata (edited)")

    load = territories_load_reference()

    assert (load.updated, Territory.objects.get(code="09.551").name_fr) == (1, "Tata")
