"""The themes, loaded from the package's reference data."""

from __future__ import annotations

from django.db import transaction

from tashawur.consultations.models import Theme
from tashawur.core.data import ReferenceLoad, read_package_yaml, upsert

_PACKAGE = "tashawur.consultations"


# --- reference data --------------------------------------------------------------------------


def theme_subtheme_slug(theme_id: str, subtheme_id: str) -> str:
    return f"{theme_id}-{subtheme_id}"


@transaction.atomic
def themes_load_reference() -> ReferenceLoad:
    """Load the themes and their sub-themes (slug ``<theme>-<subtheme>``); idempotent."""
    data = read_package_yaml(_PACKAGE, "themes.yaml")
    sources: dict[str, str] = data.get("sources", {})
    load = ReferenceLoad()
    for position, item in enumerate(data["themes"], start=1):
        theme, status = upsert(
            Theme,
            slug=item["id"],
            defaults={
                "parent": None,
                "label_ar": item["label"]["ar"],
                "label_fr": item["label"]["fr"],
                "label_en": item["label"]["en"],
                "in_taroudant_2018_workshops": bool(item.get("in_taroudant_2018_workshops")),
                "source_refs": [
                    {"key": key, "source": sources.get(key, "")}
                    for key in item.get("source_refs", [])
                ],
                "position": position * 100,
            },
        )
        load.count(status)
        for sub_position, sub in enumerate(item.get("subthemes", []), start=1):
            _, status = upsert(
                Theme,
                slug=theme_subtheme_slug(item["id"], sub["id"]),
                defaults={
                    "parent": theme,
                    "label_ar": sub["label"]["ar"],
                    "label_fr": sub["label"]["fr"],
                    "label_en": sub["label"]["en"],
                    "in_taroudant_2018_workshops": False,
                    "source_refs": [],
                    "position": position * 100 + sub_position,
                },
            )
            load.count(status)
    return load
