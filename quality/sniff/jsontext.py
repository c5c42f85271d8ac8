"""JSON, GeoJSON, JSON-LD and newline-delimited JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from quality.sniff.encoding import decode_head
from quality.sniff.model import HEAD_BYTES, JSON_PARSE_CAP, Sniffed, result

_GEOJSON_TYPES = frozenset({"FeatureCollection", "Feature", "Point", "LineString", "Polygon", "MultiPoint",
                            "MultiLineString", "MultiPolygon", "GeometryCollection"})


_GEOJSON_HINT = re.compile(r'"type"\s*:\s*"(FeatureCollection|Feature)"')


_JSONLD_HINT = re.compile(r'"@(context|graph)"\s*:')


_JSON_OPENING = re.compile(r'[\[{]\s*(["{\[\]}\d-]|true|false|null)')


def classify_json(data: bytes, body: str, encoding: str, cut: bool, partial: bool, name: str,
                   declared: str) -> Sniffed | None:
    if body[0] not in "{[":
        return None
    if not partial and len(data) <= JSON_PARSE_CAP:
        full = body if len(data) <= HEAD_BYTES else decode_head(data, encoding, False).lstrip("\ufeff \t\r\n")
        try:
            return _json_kind(json.loads(full))
        except RecursionError:
            return result("JSON", 0.8, too_deep=True)
        except ValueError:
            # JSON Lines; else a document that opens as JSON and does not parse is broken JSON (not-parseable says
            # where), never a "CSV" of brackets and quotes
            return _json_lines(full) or (_opening(body, 0.6, broken=True) if _JSON_OPENING.match(body) else None)
    # Only a head of the document: judge by its opening and by tell-tale keys.
    if not _JSON_OPENING.match(body):
        return None
    return _opening(body, 0.7)


def _opening(body: str, confidence: float, **details: Any) -> Sniffed:
    """JSON, GeoJSON or JSON-LD judged by the document's opening and its tell-tale keys."""
    json_top = "object" if body[0] == "{" else "array"
    if _JSONLD_HINT.search(body):
        return result("JSON_LD", confidence, json_top=json_top, **details)
    if _GEOJSON_HINT.search(body):
        return result("GEOJSON", confidence, json_top=json_top, **details)
    return result("JSON", confidence, json_top=json_top, **details)


def _json_kind(doc: Any) -> Sniffed:
    if isinstance(doc, dict):
        if "@context" in doc or "@graph" in doc:
            return result("JSON_LD", 0.97, json_top="object")
        if doc.get("type") in _GEOJSON_TYPES and any(k in doc for k in ("features", "geometry", "coordinates",
                                                                          "geometries")):
            return result("GEOJSON", 0.97, json_top="object")
        return result("JSON", 0.97, json_top="object", keys=list(doc)[:20])
    if isinstance(doc, list):
        first = doc[0] if doc else None
        if isinstance(first, dict) and ("@context" in first or "@id" in first and any(
                isinstance(k, str) and k.startswith(("@", "http:", "https:")) for k in first if k != "@id")):
            return result("JSON_LD", 0.9, json_top="array", items=len(doc))
        return result("JSON", 0.97, json_top="array", items=len(doc))
    return result("JSON", 0.6, json_top=type(doc).__name__)


def _json_lines(body: str) -> Sniffed | None:
    """Newline-delimited JSON: each of the first lines an object or array of its own."""
    lines = [ln for ln in body.splitlines()[:20] if ln.strip()]
    if len(lines) < 2:
        return None
    try:
        for ln in lines:
            if not isinstance(json.loads(ln), dict | list):
                return None
    except (ValueError, RecursionError):
        return None
    return result("JSON", 0.85, json_top="lines")
