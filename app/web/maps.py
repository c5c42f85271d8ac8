"""Small maps drawn on the server as inline SVG: a dataset's extent, a GeoJSON file's shapes.

No tiles and no script: the country outlines are Natural Earth's (public domain, shipped in
catalog_schema/vocab_data/outlines.json, see SOURCES.md there), projected plate carrée with the longitude
scaled by the cosine of the middle latitude, framed around what is drawn. The SVG scales to its container
(a `viewBox`, no fixed size), so it fits a phone and a desktop alike; the page gives it a title and a
description in the page's language.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape

from catalog_schema import places

WIDTH = 480
EXTENT_SPAN = 8.0  # degrees: a city or a county is shown with its province and coast around it
FILE_SPAN = 0.02  # a file's features are shown close up
OUTLINE_SPAN = 1.5  # closer than this the 1:110m outlines would mislead (a stop on the coast in the sea)
MARGIN = 0.25  # of the drawn span, on every side
RATIO = (1.25, 2.0)  # width : height, from a little wider than square to twice as wide


def _frame(box: list[float], min_span: float) -> tuple[float, float, float, float, float]:
    """The degrees shown (W, S, E, N) and the x scale (cos of the middle latitude)."""
    w, s, e, n = box
    cx, cy = (w + e) / 2, (s + n) / 2
    half_x = max((e - w) * (0.5 + MARGIN), min_span / 2)
    half_y = max((n - s) * (0.5 + MARGIN), min_span / 2)
    fs, fn = max(-85.0, cy - half_y), min(85.0, cy + half_y)
    k = max(0.2, math.cos(math.radians((fs + fn) / 2)))
    # keep the picture's shape within RATIO by widening the shorter side
    if (2 * half_x * k) / (fn - fs) < RATIO[0]:
        half_x = RATIO[0] * (fn - fs) / (2 * k)
    elif (2 * half_x * k) / (fn - fs) > RATIO[1]:
        extra = (2 * half_x * k) / RATIO[1] - (fn - fs)
        fs, fn = max(-85.0, fs - extra / 2), min(85.0, fn + extra / 2)
    fw, fe = max(-180.0, cx - half_x), min(180.0, cx + half_x)
    return fw, fs, fe, fn, k


class _Projection:
    def __init__(self, box: list[float], min_span: float):
        self.w, self.s, self.e, self.n, self.k = _frame(box, min_span)
        self.scale = WIDTH / ((self.e - self.w) * self.k)
        self.height = max(1, round((self.n - self.s) * self.scale))

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return round((lon - self.w) * self.k * self.scale, 1), round((self.n - lat) * self.scale, 1)

    def path(self, rings: Iterable[Iterable[Iterable[float]]], close: bool = True) -> str:
        parts = []
        for ring in rings:
            points = [self.xy(p[0], p[1]) for p in ring]
            if len(points) < 2:
                continue
            parts.append("M" + " L".join(f"{x:g},{y:g}" for x, y in points) + ("Z" if close else ""))
        return "".join(parts)


def _outline_paths(proj: _Projection) -> list[str]:
    if proj.n - proj.s < OUTLINE_SPAN:
        return []
    frame = [proj.w, proj.s, proj.e, proj.n]
    return [proj.path(c["rings"]) for c in places.outlines() if places.intersects(c["bbox"], frame)]


def _shape_svg(proj: _Projection, geometry: dict[str, Any]) -> list[str]:
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "GeometryCollection":
        return [svg for part in geometry.get("geometries") or [] for svg in _shape_svg(proj, part)]
    if kind == "Point":
        coords, kind = [coords], "MultiPoint"
    if kind == "MultiPoint":
        out = []
        for p in coords or []:
            x, y = proj.xy(p[0], p[1])
            out.append(f'<circle class="map-feature" cx="{x:g}" cy="{y:g}" r="3"/>')
        return out
    if kind == "LineString":
        return [f'<path class="map-feature map-feature--line" d="{proj.path([coords], close=False)}"/>']
    if kind == "MultiLineString":
        return [f'<path class="map-feature map-feature--line" d="{proj.path(coords, close=False)}"/>']
    if kind == "Polygon":
        return [f'<path class="map-feature" fill-rule="evenodd" d="{proj.path(coords)}"/>']
    if kind == "MultiPolygon":
        return [f'<path class="map-feature" fill-rule="evenodd" d="{proj.path([r for p in coords for r in p])}"/>']
    return []


def svg(box: list[float], *, title: str, description: str, shapes: list[dict[str, Any]] | None = None,
        css_id: str | None = None) -> Markup:
    """The map: country outlines around `box`, the box drawn on them; or, given `shapes` (GeoJSON geometries),
    the shapes close up with the box dashed around them (the outlines only when the frame is wide enough for
    their scale)."""
    proj = _Projection(box, FILE_SPAN if shapes else EXTENT_SPAN)
    x0, y0 = proj.xy(box[0], box[3])
    x1, y1 = proj.xy(box[2], box[1])
    ident = escape(css_id or "map")
    outlines = [f'<path class="map-land" d="{d}"/>' for d in _outline_paths(proj) if d]
    ground = "map-sea" if outlines else "map-plain"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="extent-map" viewBox="0 0 {WIDTH} {proj.height}" '
             f'role="img" aria-labelledby="{ident}-title {ident}-desc" preserveAspectRatio="xMidYMid meet">',
             f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>',
             f'<rect class="{ground}" x="0" y="0" width="{WIDTH}" height="{proj.height}"/>', *outlines]
    if shapes:
        for geometry in shapes:
            parts += _shape_svg(proj, geometry)
        parts.append(f'<rect class="map-extent map-extent--outline" x="{x0:g}" y="{y0:g}" '
                     f'width="{max(x1 - x0, 1):g}" height="{max(y1 - y0, 1):g}"/>')
    else:
        parts.append(f'<rect class="map-extent" x="{x0:g}" y="{y0:g}" width="{max(x1 - x0, 2):g}" '
                     f'height="{max(y1 - y0, 2):g}"/>')
        if x1 - x0 < 24 and y1 - y0 < 24:  # a small box: a ring around it to find it by
            r = max(x1 - x0, y1 - y0) / 2 + 10
            parts.append(f'<circle class="map-marker" cx="{(x0 + x1) / 2:g}" cy="{(y0 + y1) / 2:g}" r="{r:g}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def dataset_box(ds) -> list[float] | None:
    """The box the catalog keeps for a dataset (Dataset.bbox_*), or None."""
    values = (ds.bbox_west, ds.bbox_south, ds.bbox_east, ds.bbox_north)
    return places.valid_bbox(values) if all(v is not None for v in values) else None
