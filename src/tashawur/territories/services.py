from __future__ import annotations

from django.db import transaction

from tashawur.core.data import ReferenceLoad, read_package_csv, upsert
from tashawur.territories.models import Territory

COUNTRY_CODE = "MA"
_PACKAGE = "tashawur.territories"


def _optional_int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value else None


@transaction.atomic
def territories_load_reference() -> ReferenceLoad:
    """Load Morocco, its 12 regions and Souss-Massa's prefectures and provinces (idempotent).

    The provinces file has one row per census (2014, 2024): the latest year wins.
    """
    regions = read_package_csv(_PACKAGE, "regions.csv")
    provinces = read_package_csv(_PACKAGE, "souss_massa_provinces.csv")
    load = ReferenceLoad()

    def save(code: str, **fields: object) -> Territory:
        territory, status = upsert(Territory, code=code, defaults=fields)
        load.count(status)
        return territory

    country = save(
        COUNTRY_CODE,
        level=Territory.Level.COUNTRY,
        kind=Territory.Kind.COUNTRY,
        iso_code="MA",
        parent=None,
        name_ar="المغرب",
        name_fr="Maroc",
        name_zgh="ⵍⵎⵖⵔⵉⴱ",
        population=sum(int(r["population_2024"]) for r in regions),
        population_year=2024,
        households=sum(int(r["households_2024"]) for r in regions),
        source="Sum of the 12 regions (HCP, RGPH 2024), see regions.csv",
    )
    by_code: dict[str, Territory] = {}
    for row in regions:
        by_code[row["code"]] = save(
            row["code"],
            level=Territory.Level.REGION,
            kind=Territory.Kind.REGION,
            iso_code=row["iso_3166_2"],
            parent=country,
            name_ar=row["name_ar"],
            name_fr=row["name_fr"],
            name_zgh=row["name_zgh"],
            population=_optional_int(row["population_2024"]),
            population_year=2024,
            households=_optional_int(row["households_2024"]),
            source=f"HCP RGPH 2024; Tifinagh name: {row['zgh_status']}",
        )

    latest: dict[str, dict[str, str]] = {}
    for row in provinces:
        current = latest.get(row["hcp_code"])
        if current is None or int(row["year"]) > int(current["year"]):
            latest[row["hcp_code"]] = row
    for code, row in latest.items():
        save(
            code,
            level=Territory.Level.PROVINCE,
            kind=Territory.Kind(row["type"]),
            iso_code=row["iso_3166_2"],
            parent=by_code[code.split(".")[0]],
            name_ar=row["name_ar"],
            name_fr=row["name_fr"],
            population=_optional_int(row["population"]),
            population_year=int(row["year"]),
            households=_optional_int(row["households"]),
            source=f"{row['source']} ({row['figure_status']})",
        )
    return load
