"""Reads of the territories: regions with their census figures, and where their map lies."""

from __future__ import annotations

from dataclasses import dataclass

from tashawur.territories.models import Territory

#: The simplified boundaries, as static files (``{% static %}`` paths), by level. Built by
#: scripts/territories_build.py; each feature's ``id`` (and ``properties.code``) is the
#: territory's HCP code. See data/SOURCES.md for provenance and licence.
MAP_PATHS = {
    Territory.Level.REGION: "territories/regions.geojson",
    Territory.Level.PROVINCE: "territories/provinces.geojson",
}


@dataclass(frozen=True)
class RegionFigures:
    code: str
    name: str
    population: int | None
    population_year: int | None
    households: int | None
    #: The ``id`` of the region's feature in ``territories_map_path(level="region")``.
    geometry_key: str


def regions_with_population() -> list[RegionFigures]:
    """The 12 regions in HCP code order, with their latest census figures. One query."""
    return [
        RegionFigures(
            code=region.code,
            name=region.name,
            population=region.population,
            population_year=region.population_year,
            households=region.households,
            geometry_key=region.code,
        )
        for region in Territory.objects.filter(level=Territory.Level.REGION).order_by("code")
    ]


def territories_map_path(*, level: str) -> str:
    """The static path of the GeoJSON map of ``level`` ("region" or "province"), for
    ``{% static %}`` or ``django.templatetags.static.static``."""
    return MAP_PATHS[Territory.Level(level)]
