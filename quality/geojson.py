"""The extent of an archived GeoJSON file, and a simplified copy of its shapes for the map preview.

`summarise(path)` reads a FeatureCollection, a Feature or a bare geometry (the whole file: the archive keeps
copies up to MAX_DOWNLOAD_BYTES) and answers ``{"bbox": [W, S, E, N], "features": n, "shapes": [...]}``, or
None when the file is no GeoJSON with positions in longitude/latitude range. ``shapes`` are the features'
geometries simplified with shapely to about a 400th of the extent, coordinates rounded to 5 decimals, at most
MAX_SHAPES of them and MAX_POINTS positions in all: enough to draw a map, never the data itself (the data
goes out only through the serving gate, and the page draws the shapes only when the gate serves the file).
"""

from __future__ import annotations

import json
from typing import Any

from catalog_schema import places

MAX_SHAPES = 2000
MAX_POINTS = 20_000


def summarise(path: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as fh:
            doc = json.loads(fh.read().decode("utf-8-sig"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    box = places.geojson_bbox(doc)
    if box is None:
        return None
    geometries = list(places.geometries(doc))
    count = len(doc.get("features") or []) if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" \
        else 1
    return {"bbox": box, "features": count, "shapes": _shapes(geometries, box)}


def _shapes(geometries: list[dict[str, Any]], box: list[float]) -> list[dict[str, Any]]:
    from shapely import set_precision
    from shapely.geometry import mapping, shape

    tolerance = max(box[2] - box[0], box[3] - box[1]) / 400
    out, points = [], 0
    for geometry in geometries[:MAX_SHAPES]:
        try:
            geom = shape(geometry)
            if tolerance > 0 and geom.geom_type not in ("Point", "MultiPoint"):
                geom = geom.simplify(tolerance, preserve_topology=False)
            geom = set_precision(geom, 1e-5)
        except (ValueError, TypeError, AttributeError, KeyError):  # a malformed geometry: not drawn
            continue
        if geom.is_empty:
            continue
        simple = json.loads(json.dumps(mapping(geom)))
        n = sum(1 for _ in places.positions(simple.get("coordinates")))
        if points + n > MAX_POINTS:
            break
        points += n
        out.append(simple)
    return out
