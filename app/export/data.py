"""Every tabular distribution's data served here as CSV, JSON, XML and Turtle, whatever it was published as.

``/dataset/<slug>/resource/<id>/data.{csv,json,xml,ttl}`` converts the archived copy the last link
check made (``Distribution.archive_path``; its sniffed format and encoding say how to read it) with
``app.export.convert``; ``data.csv-metadata.json`` is the CSVW metadata of ``data.csv``. Both answer
through the serving gate (``app.services.serving.serve``): served, served with personal data masked in
the stream, or withheld (451); the gate counts the download and sets the cache validators. The response
streams: the file is read in batches while the body is written, and the database is not needed
once the request has found the distribution (its few fields are copied first).

``served_stars`` says what this service adds: an XLS published at 2 stars is served here at 3 as
CSV and at 4 as RDF. The stars are decided by the same rules as the published ones
(``quality.openness.distribution_stars``) on the served format, so a closed licence stays 0 stars
whatever the format.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from app.datastore import load
from app.datastore.gate import root as datastore_root
from app.datastore.gate import scanned
from app.export import convert, filenames
from app.request_context import public_base, setting
from app.services import serving
from app.texts import T_
from catalog_schema import dictionary
from catalog_schema.models import Dataset, Distribution
from catalog_schema.record import pick_text
from quality.openness import Evidence, distribution_stars
from quality.sniff import Sniffed
from quality.tabular import TableError
from quality.tabular.formats import TABLE_FORMATS

bp = Blueprint("data", __name__)

#: Sniffed format codes whose files ``quality.tabular.read_table`` reads as one table (the row store's too).
SERVABLE_FORMATS = TABLE_FORMATS
EXTENSIONS = ("csv", "json", "xml", "ttl")
#: The format code each served extension is rated as.
SERVED_CODES = {"csv": "CSV", "json": "JSON", "xml": "XML", "ttl": "TURTLE"}
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json", "xml": "application/xml; charset=utf-8",
               "ttl": "text/turtle; charset=utf-8"}
CSVW_MEDIA_TYPE = "application/csvm+json"
MAX_LIMIT = 10_000
UTF8_BOM = b"\xef\xbb\xbf"


site_url = public_base  # the portal's public address (app.request_context), what every link here starts with


def resource_path(slug: str, dist_id: str) -> str:
    return f"/dataset/{slug}/resource/{dist_id}"


def is_servable(dist: Distribution) -> bool:
    """Whether the distribution's archived copy is a table this service converts (whole: not the first part of a file
    larger than the download limit)."""
    return bool(dist.archive_path and (dist.detected_format or "").upper() in SERVABLE_FORMATS
                and not dist.archive_truncated and os.path.isfile(dist.archive_path))


def served_stars(distribution: Distribution, *, site: str | None = None) -> dict[str, Any]:
    """Stars as published beside stars as served here, and the URLs of the served formats.

    ``{"published": n, "served": {"csv": 3, "json": 3, "xml": 3, "ttl": 4}, "urls": {"csv": ..., "json": ...,
    "xml": ..., "ttl": ..., "csv-metadata": ...}}``; ``served`` and ``urls`` are empty for a distribution
    that is not a table or not archived yet. ``site`` defaults to the SITE_URL setting (needs an app context).
    """
    out: dict[str, Any] = {"published": distribution.stars, "served": {}, "urls": served_urls(distribution, site=site)}
    if not out["urls"]:
        return out
    ds = distribution.dataset
    licence_id = distribution.license_id or ds.license_id
    licence_raw = distribution.license_raw or ds.license_raw
    licence = licence_id or (licence_raw and f"unknown:{licence_raw}") or None
    for ext in EXTENSIONS:
        code = SERVED_CODES[ext]
        url = out["urls"][ext]
        ev = Evidence(url=url, reachable=True, http_status=200, error=None, declared_format=code,
                      sniffed=Sniffed(format=code, media_type=MEDIA_TYPES[ext].split(";")[0], encoding="utf-8"),
                      licence_id=licence, rdf_uri_subjects=1 if ext == "ttl" else 0)
        out["served"][ext] = distribution_stars(ev).stars
    return out


def served_urls(distribution: Distribution, *, site: str | None = None) -> dict[str, str]:
    """The URLs of the formats this service converts the distribution's table to (``csv``, ``json``, ``xml``,
    ``ttl``, ``csv-metadata``); empty for a distribution that is not a table or not archived yet."""
    if not is_servable(distribution):
        return {}
    base = (site if site is not None else str(setting("SITE_URL"))).rstrip("/") + resource_path(
        distribution.dataset.slug, distribution.id)
    return {**{ext: f"{base}/data.{ext}" for ext in EXTENSIONS}, "csv-metadata": f"{base}/data.csv-metadata.json"}


# --------------------------------------------------------------------------- routes


def _error(status: int, code: str, message: str) -> Response:
    """JSON, or a page for a browser, in the reader's language (app.services.serving.refusal)."""
    return serving.refusal(status, code, message)


@dataclass(frozen=True)
class _Source:
    """What a conversion needs, copied out of the session so the stream does not hold it."""

    slug: str
    dist_id: str
    title: str | None
    licence: str | None
    path: str
    format: str
    encoding: str | None
    schema: dict | None
    name: str  # what the distribution is called in a file name
    mask: frozenset[str] | None = None  # flagged columns to mask (the gate's redact), None: as it is
    sha256: str | None = None  # the archived copy's (the row store's key)


def _available(ds: Dataset, dist: Distribution) -> Response | None:
    """A 404 of this route's own when there is nothing to convert (asked by the serving gate first)."""
    fmt = (dist.detected_format or "").upper()
    if not dist.archive_path or not os.path.isfile(dist.archive_path):
        return _error(404, "not-archived", T_("The resource has not been downloaded and archived yet, so its data "
                                              "cannot be served (it is archived when the dataset is assessed)."))
    if dist.archive_truncated:
        return _error(404, "file-truncated", serving.truncated_copy())
    if fmt not in SERVABLE_FORMATS:
        if not fmt:
            return _error(404, "not-tabular", T_("The resource is of an unrecognised format, not a table: only CSV, "
                                                 "TSV, XLS, XLSX, ODS, JSON arrays, GeoJSON features, XML records "
                                                 "and a table inside a ZIP are served as data."))
        return _error(404, "not-tabular", T_("The resource is %(format)s, not a table: only CSV, TSV, XLS, XLSX, "
                                             "ODS, JSON arrays, GeoJSON features, XML records and a table inside a "
                                             "ZIP are served as data.", format=fmt))
    return None


def _source(ds: Dataset, dist: Distribution, plan: serving.Plan) -> _Source:
    # the titles as the public reads them (serving.public_texts), to everyone: the bytes a decision serves are one
    said = serving.public_title(ds) or {}
    title = said.get("zh") or said.get("en") or next(iter(said.values()), None)
    return _Source(slug=ds.slug, dist_id=dist.id, title=title, licence=dist.license_id or ds.license_id,
                   path=dist.archive_path, format=(dist.detected_format or "").upper(),
                   encoding=dist.detected_encoding,
                   schema=dist.table_schema if isinstance(dist.table_schema, dict) else None,
                   name=filenames.resource_name(pick_text(serving.public_file_texts(ds, dist)["title"]),
                                                dist.download_url or dist.access_url, dist.id),
                   mask=plan.mask, sha256=dist.archive_hash)


def _open(src: _Source) -> convert.Table | Response:
    """The table, masked as it streams when the gate said redact (ValueError when it cannot be)."""
    try:
        table = convert.open_table(src.path, format=src.format, encoding=src.encoding, schema=src.schema)
    except TableError as exc:
        return _error(404, "not-tabular", T_("The resource cannot be read as a table (%(reason)s): %(error)s",
                                             reason=exc.reason, error=str(exc)))
    return convert.masked(table, src.mask) if src.mask is not None else table


def _limits() -> tuple[int | None, int] | Response:
    raw_limit = request.args.get("limit", "all").strip().lower()
    raw_offset = request.args.get("offset", "0").strip()
    try:
        limit = None if raw_limit == "all" else int(raw_limit)
        offset = int(raw_offset)
    except ValueError:
        return _error(400, "bad-request", T_("limit must be a whole number or 'all', offset a whole number."))
    if offset < 0 or (limit is not None and not 0 <= limit <= MAX_LIMIT):
        return _error(400, "bad-request", T_("limit must be between 0 and %(max)s (or 'all'), offset 0 or more.",
                                             max=MAX_LIMIT))
    return limit, offset


@bp.get("/dataset/<slug>/resource/<dist_id>/data.<any(csv, json, xml, ttl):ext>")
def data(slug: str, dist_id: str, ext: str):
    """The table converted, through the serving gate (served, masked or withheld; the download counted)."""
    paging = _limits() if ext == "json" else (None, 0)
    if isinstance(paging, Response):
        paging.headers[serving.GATE_HEADER] = "withhold"
        return paging
    limit, offset = paging
    bom = ext == "csv" and _flag("bom")
    attachment = _flag("download")
    variant = ext + (f"-{limit}-{offset}" if ext == "json" else "") + ("-bom" if bom else "")

    def produce(ds: Dataset, dist: Distribution, plan: serving.Plan) -> Response:
        return _converted(_source(ds, dist, plan), ext, limit, offset, bom=bom, attachment=attachment)

    return serving.serve(dist_id=dist_id, slug=slug, variant=variant, produce=produce, check=_available,
                         found=scanned, count=serving.first_part(offset, limit=limit))


def _geojson_available(ds: Dataset, dist: Distribution) -> Response | None:
    refused = _available(ds, dist)
    if refused is None and (dist.detected_format or "").upper() != "GEOJSON":
        return _error(404, "not-geojson", T_("The resource is not a GeoJSON file: only GeoJSON distributions are "
                                             "served as data.geojson (their properties are in data.csv)."))
    return refused


@bp.get("/dataset/<slug>/resource/<dist_id>/data.geojson")
def geojson(slug: str, dist_id: str):
    """A GeoJSON distribution's features as one FeatureCollection (RFC 7946), through the serving gate: as
    archived, or with the properties holding personal data masked (redact), or withheld."""
    attachment = _flag("download")

    def produce(ds: Dataset, dist: Distribution, plan: serving.Plan) -> Response:
        src = _source(ds, dist, plan)
        body = _features(src)
        name = filenames.download_name(src.slug, src.name, "geojson")
        headers = {"Access-Control-Allow-Origin": "*",
                   "Content-Disposition": filenames.content_disposition(name, attachment=attachment,
                                                                        fallback=f"{src.slug}.geojson")}
        return Response(body, content_type="application/geo+json", headers=headers)

    return serving.serve(dist_id=dist_id, slug=slug, variant="geojson", produce=produce, check=_geojson_available,
                         found=scanned)


def _features(src: _Source) -> bytes:
    """The FeatureCollection: the archived features as they are, or rebuilt from the masked rows (every
    property but `geometry`, then the geometry) when the gate masks."""
    if src.mask is None:
        with open(src.path, "rb") as fh:
            doc = json.loads(fh.read().decode("utf-8-sig"))
        if doc.get("type") == "Feature":
            doc = {"type": "FeatureCollection", "features": [doc]}
        elif doc.get("type") != "FeatureCollection":
            doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": doc}]}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    table = _open(src)
    if isinstance(table, Response):
        raise ValueError("the GeoJSON cannot be read as rows to mask")
    names = [c.name for c in table.columns]
    features = []
    for batch in table.batches():
        for row in batch.to_pylist():
            raw = row.get("geometry") if "geometry" in names else None
            try:
                geometry = json.loads(raw) if isinstance(raw, str) and raw.startswith("{") else None
            except ValueError:
                geometry = None
            features.append({"type": "Feature", "geometry": geometry,
                             "properties": {k: v for k, v in row.items() if k != "geometry"}})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      separators=(",", ":"), default=str).encode("utf-8")


def _flag(name: str) -> bool:
    """`?bom=1`, `?bom=true`, `?download=yes` ... (absent, empty, 0, false, no: off)."""
    return request.args.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def _with_bom(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark: what Excel (Chinese Windows included) needs to read UTF-8 CSV."""
    yield UTF8_BOM
    yield from chunks


def _converted(src: _Source, ext: str, limit: int | None, offset: int, *, bom: bool = False,
               attachment: bool = False) -> Response:
    table = _open(src)
    if isinstance(table, Response):
        return table
    path = resource_path(src.slug, src.dist_id)
    base = site_url() + path
    if ext == "csv":
        body = convert.to_csv(table)
        if bom:
            body = _with_bom(body)
    elif ext == "json":
        table = _one_type_per_column(src, table)
        shown = "all" if limit is None else limit

        def page_url(start: int) -> str:
            return f"{path}/data.json?" + urlencode({"limit": shown, "offset": start})
        body = convert.to_json(table, limit=limit, offset=offset, page_url=page_url)
    elif ext == "xml":
        body = convert.to_xml(_one_type_per_column(src, table))
    else:
        body = convert.to_turtle(_one_type_per_column(src, table), base=base)
    name = filenames.download_name(src.slug, src.name, ext)
    headers = {"Access-Control-Allow-Origin": "*",
               "Content-Disposition": filenames.content_disposition(name, attachment=attachment,
                                                                    fallback=f"{src.slug}.{ext}")}
    if ext == "csv":
        headers["Link"] = f'<{base}/data.csv-metadata.json>; rel="describedby"; type="{CSVW_MEDIA_TYPE}"'
    return Response(body, content_type=MEDIA_TYPES[ext], headers=headers)


def _one_type_per_column(src: _Source, table: convert.Table) -> convert.Table:
    """`table` with every column whose cells do not all read as its type (a 约1200 among numbers) typed string, as
    the CSVW metadata, the row API and the row store type it: data.json said "integer" of a column it wrote both
    1210 and "约1200" in. The row store's types of this copy are used when it holds it (they were found over every
    cell); else a pass over the table finds them first."""
    loose: set[int] | None = None
    found = load.lookup(datastore_root(), load.store_key(src.sha256, src.schema)) if src.sha256 else None
    if isinstance(found, load.Loaded) and [f.title for f in found.fields] == [c.title for c in table.columns]:
        loose = {i for i, f in enumerate(found.fields) if f.schema_type == "string"}
    if loose is None:
        first = _open(src)
        if isinstance(first, Response):
            return table
        try:
            loose = {i for i, c in enumerate(convert.columns_every_cell_fits(first)) if c.type == "string"}
        finally:
            first.close()
    columns = [replace(c, type="string", fdesc={}) if i in loose and c.type != "string" else c
               for i, c in enumerate(table.columns)]
    return table if columns == table.columns else convert.Table(columns, table.batches())


@bp.get("/dataset/<slug>/resource/<dist_id>/data.csv-metadata.json")
def csv_metadata(slug: str, dist_id: str):
    """The CSVW metadata of data.csv, through the gate as the CSV it describes (not counted as a download)."""
    def produce(ds: Dataset, dist: Distribution, plan: serving.Plan) -> Response:
        src = _source(ds, dist, plan)
        table = _open(src)
        if isinstance(table, Response):
            return table
        try:
            columns = convert.columns_every_cell_fits(table)  # a CSVW datatype holds for every cell
        finally:
            table.close()
        base = site_url() + resource_path(slug, src.dist_id)
        dic = dictionary.effective(dist.dictionary, dist.table_schema) or {}
        doc = convert.csvw_metadata(columns, base=base, csv_url=f"{base}/data.csv", title=src.title,
                                    licence=src.licence, described={f["name"]: f for f in dic.get("fields") or []})
        notes = [*(dic.get("notes") or {}).get("above", []), *(dic.get("notes") or {}).get("below", [])]
        if notes:
            doc["rdfs:comment"] = notes  # the file's notes rows: units, sources, footnotes
        resp = jsonify(doc)
        resp.mimetype = CSVW_MEDIA_TYPE
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    return serving.serve(dist_id=dist_id, slug=slug, variant="csv-metadata", produce=produce, check=_available,
                         count=False, found=scanned)


@bp.get("/dataset/<slug>/resource/<dist_id>/schema.json")
def table_schema(slug: str, dist_id: str):
    """The table's data dictionary as a Frictionless Table Schema (what data.json's describedBy points at),
    through the gate as the data it describes: a column the gate masks is served as text ("[redacted]"), so
    the schema says `string` for it (it said `integer` of a masked phone number: a check of data.csv against
    it failed on every masked cell)."""
    def check(ds: Dataset, dist: Distribution) -> Response | None:
        if dictionary.effective(dist.dictionary, dist.table_schema) is None:
            return _error(404, "no-dictionary", T_("No such distribution, or it has no data dictionary yet (it is "
                                                   "made when the file is checked and read as a table)."))
        return None

    def produce(ds: Dataset, dist: Distribution, plan: serving.Plan) -> Response:
        doc = dictionary.to_table_schema(dictionary.effective(dist.dictionary, dist.table_schema))
        masked = plan.mask or frozenset()
        for field in doc["fields"]:
            if field["name"] in masked:
                field["type"] = "string"
        resp = jsonify(doc)
        resp.mimetype = dictionary.MEDIA_TYPE  # what data.json's describedByType says it is
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    return serving.serve(dist_id=dist_id, slug=slug, variant="table-schema", produce=produce, check=check,
                         count=False)
