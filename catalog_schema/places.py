"""Spatial extent: bounding boxes and geometries (pure; degrees, WGS 84 longitude/latitude).

A dataset's `extent` in the record is None or `{"bbox": [W, S, E, N], "geometry": <GeoJSON geometry> | None}`;
the geometry is None when it would only repeat the box. The mappers meet it in these forms, each read and
written by a pair of functions here:

- DCAT (GeoDCAT-AP): `dcat:bbox` and `locn:geometry` literals typed `gsp:wktLiteral` (WKT, an optional CRS
  IRI first: CRS84 is longitude/latitude, EPSG:4326 latitude/longitude) or GeoJSON
  (`https://www.iana.org/assignments/media-types/application/vnd.geo+json`): `wkt_to_geometry` /
  `geometry_to_wkt`, `bbox_to_wkt`; shapely parses and writes WKT;
- data.json `spatial`: "W,S,E,N" (`parse_bbox` / `bbox_text`) or a GeoJSON object;
- a GeoJSON file (a geometry, a Feature or a FeatureCollection): `geojson_bbox`;
- a place of the gazetteer (`urn:gb2260:<code>`): `place_bbox`, from `vocab_data/place_boxes.json` (see
  vocab_data/SOURCES.md: boxes around the seats of its divisions, an approximation).

`effective_bbox` decides the box the catalog searches and draws: the extent given, else the union of the
places' boxes, else the union of the extents of the dataset's GeoJSON files.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from catalog_schema import gazetteer

BBox = list[float]
GEOJSON_MEDIA = "https://www.iana.org/assignments/media-types/application/vnd.geo+json"
WKT_LITERAL = "http://www.opengis.net/ont/geosparql#wktLiteral"
GEOJSON_LITERAL = "http://www.opengis.net/ont/geosparql#geoJSONLiteral"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_CRS = re.compile(r"^\s*<([^>]*)>\s*")
_NUMBER = r"\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*"
BBOX_PATTERN = rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$"  # also what the REST API's OpenAPI document declares
_BBOX = re.compile(BBOX_PATTERN)
_GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                   "GeometryCollection"}


# --------------------------------------------------------------------------- boxes


def valid_bbox(bbox: Any) -> BBox | None:
    """[W, S, E, N] as floats when they make a box on the globe (W <= E, S <= N, in range), else None."""
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        return None
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        return None
    return [w, s, e, n]


def parse_bbox(text: Any) -> BBox | None:
    """"W,S,E,N" (data.json `spatial`, CKAN's `ext_bbox`) -> [W, S, E, N], or None when it is not one."""
    found = _BBOX.match(str(text or ""))
    return valid_bbox(found.groups()) if found else None


def _num(value: float) -> str:
    return format(value, ".15g")


def bbox_text(bbox: BBox) -> str:
    return ",".join(_num(v) for v in bbox)


def union(boxes: Iterable[BBox | None]) -> BBox | None:
    found = [b for b in boxes if b]
    if not found:
        return None
    return [min(b[0] for b in found), min(b[1] for b in found), max(b[2] for b in found), max(b[3] for b in found)]


def intersects(a: BBox, b: BBox) -> bool:
    """Whether two boxes share a point (ckanext-spatial's `ext_bbox`: extents that intersect the box)."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def bbox_polygon(bbox: BBox) -> dict[str, Any]:
    w, s, e, n = bbox
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


# --------------------------------------------------------------------------- GeoJSON


def positions(coords: Any) -> Iterable[tuple[float, float]]:
    if isinstance(coords, list | tuple):
        if len(coords) >= 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in coords[:2]):
            yield float(coords[0]), float(coords[1])
        else:
            for item in coords:
                yield from positions(item)


def geometries(doc: Any) -> Iterable[dict[str, Any]]:
    """The geometries of a GeoJSON object: itself, a Feature's, a FeatureCollection's, a collection's parts."""
    if not isinstance(doc, dict):
        return
    kind = doc.get("type")
    if kind == "FeatureCollection":
        for feature in doc.get("features") or []:
            yield from geometries(feature)
    elif kind == "Feature":
        yield from geometries(doc.get("geometry"))
    elif kind == "GeometryCollection":
        for part in doc.get("geometries") or []:
            yield from geometries(part)
    elif kind in _GEOMETRY_TYPES:
        yield doc


def geojson_bbox(doc: Any) -> BBox | None:
    """The box around every position of a GeoJSON object, or None (no positions, or out of range)."""
    xs: list[float] = []
    ys: list[float] = []
    for geometry in geometries(doc):
        for x, y in positions(geometry.get("coordinates")):
            xs.append(x)
            ys.append(y)
    if not xs:
        return None
    return valid_bbox([min(xs), min(ys), max(xs), max(ys)])


def geojson_geometry(value: Any) -> dict[str, Any] | None:
    """A GeoJSON geometry from a dict or JSON text (a Feature gives its geometry), or None."""
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("{"):
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    if value.get("type") == "Feature":
        value = value.get("geometry")
    if isinstance(value, dict) and value.get("type") in _GEOMETRY_TYPES and geojson_bbox(value):
        return value
    return None


# --------------------------------------------------------------------------- WKT (shapely)


def wkt_to_geometry(text: str) -> dict[str, Any] | None:
    """A WKT literal (with an optional CRS IRI before it) -> a GeoJSON geometry in longitude/latitude, or None."""
    import shapely
    from shapely.geometry import mapping

    crs = _CRS.match(text or "")
    body = (text or "")[crs.end():] if crs else (text or "")
    try:
        shape = shapely.from_wkt(body.strip())
    except (shapely.errors.GEOSException, ValueError, TypeError):
        return None
    if shape is None or shape.is_empty:
        return None
    if crs and re.search(r"EPSG/\d+/4326$|EPSG::?4326$", crs.group(1)):  # latitude first: swap
        shape = shapely.transform(shape, lambda coords: coords[:, ::-1])
    geometry = json.loads(json.dumps(mapping(shape)))  # tuples -> lists
    return geometry if geojson_bbox(geometry) else None


def geometry_to_wkt(geometry: dict[str, Any]) -> str:
    import shapely
    from shapely.geometry import shape

    return shapely.to_wkt(shape(geometry), rounding_precision=-1, trim=True)


def bbox_to_wkt(bbox: BBox) -> str:
    w, s, e, n = (_num(v) for v in bbox)
    return f"POLYGON (({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"


def literal_geometry(text: str, datatype: str | None) -> dict[str, Any] | None:
    """A dcat:bbox / locn:geometry literal -> GeoJSON geometry: GeoJSON by its media type or its look, else WKT."""
    if datatype in (GEOJSON_MEDIA, GEOJSON_LITERAL) or str(text).lstrip().startswith("{"):
        return geojson_geometry(text)
    return wkt_to_geometry(text)


# --------------------------------------------------------------------------- the record's extent


def extent(bbox: BBox | None = None, geometry: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The record's extent: the box (of the geometry when none is given); the geometry unless it is the box."""
    box = valid_bbox(bbox) if bbox is not None else None
    if geometry is not None:
        box = box or geojson_bbox(geometry)
        if box is not None and geometry == bbox_polygon(box):
            geometry = None
    if box is None:
        return None
    return {"bbox": box, "geometry": geometry}


def extent_from_literals(literals: Iterable[tuple[str, str | None, str]]) -> dict[str, Any] | None:
    """(role, datatype, text) of dcat:bbox ("bbox") and locn:geometry ("geometry") literals -> extent."""
    boxes, geometry = [], None
    for role, datatype, text in literals:
        found = literal_geometry(text, datatype)
        if found is None:
            continue
        if role == "bbox":
            boxes.append(geojson_bbox(found))
        elif geometry is None:
            geometry = found
    return extent(union(boxes), geometry)


def bbox_columns(box: BBox | None) -> dict[str, float | None]:
    """The dataset's four searchable columns."""
    w, s, e, n = box if box else (None, None, None, None)
    return {"bbox_west": w, "bbox_south": s, "bbox_east": e, "bbox_north": n}


# --------------------------------------------------------------------------- gazetteer places


@cache
def _boxes() -> dict[str, BBox]:
    return json.loads(resources.files("catalog_schema.vocab_data").joinpath("place_boxes.json")
                      .read_text("utf-8"))["boxes"]


def place_bbox(value: Any) -> BBox | None:
    """The box of a place the gazetteer knows (its URI, code or name), or None."""
    found = gazetteer.place(value)
    return list(_boxes()[found.code]) if found and found.code in _boxes() else None


def effective_bbox(extent_value: dict[str, Any] | None, spatial: Iterable[Any] = (),
                   file_boxes: Iterable[BBox | None] = ()) -> BBox | None:
    """The box the catalog searches and draws: the extent given, else the places', else the files'."""
    if extent_value and valid_bbox(extent_value.get("bbox")):
        return valid_bbox(extent_value["bbox"])
    return union(place_bbox(p) for p in spatial or []) or union(valid_bbox(b) for b in file_boxes if b)


@cache
def outlines() -> list[dict[str, Any]]:
    """Country outlines for the map (Natural Earth 1:110m, see vocab_data/SOURCES.md)."""
    return json.loads(resources.files("catalog_schema.vocab_data").joinpath("outlines.json")
                      .read_text("utf-8"))["countries"]
