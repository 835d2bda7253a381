"""The 12 regions drawn as inline SVG on the server, from the territories app's simplified
GeoJSON (``territories.selectors.territories_map_path``): no script, no tile server, no CDN.

An equirectangular projection scaled by the cosine of the mean latitude, in whole units of a
``WIDTH``-wide view box; points that fall on the same unit are dropped, which keeps the paths
small enough for a phone page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders

from tashawur.territories.selectors import territories_map_path

WIDTH = 400


@dataclass(frozen=True)
class RegionShape:
    code: str
    path: str  # SVG path data


@dataclass(frozen=True)
class RegionMap:
    width: int
    height: int
    shapes: dict[str, RegionShape]


def _rings(geometry: dict[str, Any]) -> Iterable[list[list[float]]]:
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


@lru_cache(maxsize=1)
def _map_from(path: str, mtime: float) -> RegionMap | None:
    features = json.loads(Path(path).read_text(encoding="utf-8")).get("features", [])
    points = [pt for f in features for ring in _rings(f["geometry"]) for pt in ring]
    if not points:
        return None
    min_lon = min(p[0] for p in points)
    max_lon = max(p[0] for p in points)
    min_lat = min(p[1] for p in points)
    max_lat = max(p[1] for p in points)
    squeeze = math.cos(math.radians((min_lat + max_lat) / 2))
    scale = WIDTH / ((max_lon - min_lon) * squeeze)
    height = math.ceil((max_lat - min_lat) * scale)
    shapes = {}
    for feature in features:
        code = str(feature.get("id") or feature.get("properties", {}).get("code", ""))
        parts = []
        for ring in _rings(feature["geometry"]):
            last = None
            commands = []
            for lon, lat, *_ in ring:
                xy = (round((lon - min_lon) * squeeze * scale), round((max_lat - lat) * scale))
                if xy != last:
                    commands.append(f"{xy[0]} {xy[1]}")
                    last = xy
            if len(commands) >= 3:
                parts.append("M" + "L".join(commands) + "Z")
        if code and parts:
            shapes[code] = RegionShape(code=code, path="".join(parts))
    return RegionMap(width=WIDTH, height=height, shapes=shapes)


def region_map() -> RegionMap | None:
    """The regions' shapes by HCP code, or ``None`` when the map file is not there (the page
    then shows its table alone)."""
    found = finders.find(territories_map_path(level="region"))
    if not found:
        return None
    path = found if isinstance(found, str) else found[0]
    return _map_from(path, Path(path).stat().st_mtime)
