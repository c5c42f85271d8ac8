"""`/dataset/<slug>/croissant.json`: a dataset's tables described in Croissant 1.0, for ML tools.

A table is described when a tool can fetch it and check it: its archived copy is a CSV or TSV in UTF-8 (what
Croissant readers take), served to the public whole by the gate as its door serves it (no personal data found in its
table nor elsewhere in the file, or an override), with a data dictionary for its columns. The FileObject points at
that exact archived copy (`/dataset/<slug>/resource/<id>/version/<sha256>`), so the checksum holds whatever the
source does next. A dataset with no such table answers 404 saying why; the mapping itself is
catalog_schema/croissant.py.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app.datastore.gate import whole_file
from app.request_context import db_session, setting
from app.services import lifecycle, serving
from catalog_schema import croissant, dates, dictionary, vocab
from catalog_schema.models import Dataset, Distribution
from catalog_schema.record import pick_text

bp = Blueprint("croissant", __name__)

_TABLES = {"CSV": "text/csv", "TSV": "text/tab-separated-values"}
_UTF8 = {"utf-8", "utf8", "ascii", "utf-8-sig", "us-ascii"}


def _file(ds: Dataset, dist: Distribution, said: dict, site: str) -> croissant.File | None:
    media = _TABLES.get((dist.detected_format or "").upper())
    if not media or not dist.archive_hash or (dist.detected_encoding or "").lower() not in _UTF8:
        return None
    dic = dictionary.effective(dist.dictionary, dist.table_schema)
    if dic is None:
        return None
    # the question its door (the archived copy as it is: app/web/versions.py) asks: the whole file, not only its table
    if serving.decide(db_session(), ds, dist, None, maskable=False, found=whole_file(dist)).action != "serve":
        return None
    columns = tuple(croissant.Column(name=f["name"], type=f.get("type") or "string",
                                     description=" ".join(x for x in (f.get("title"), f.get("description"),
                                                                      f"({f['unit']})" if f.get("unit") else None)
                                                          if x) or None)
                    for f in dic["fields"])
    name = pick_text(said["title"]) or f"{ds.slug}-{dist.id[:8]}"  # its title as the public reads it
    return croissant.File(id=dist.id, name=name, url=f"{site}/dataset/{ds.slug}/resource/{dist.id}/version/"
                          f"{dist.archive_hash}", sha256=dist.archive_hash, encoding_format=media, columns=columns)


def describe(ds: Dataset, site: str) -> croissant.CroissantDataset:
    said = serving.public_texts(ds, files=True)  # its personal data redacted
    files = tuple(f for f in (_file(ds, d, texts, site) for d, texts
                              in zip(ds.distributions, said["distributions"], strict=True)) if f is not None)
    title = pick_text(said["title"]) or ds.slug
    url = f"{site}/dataset/{ds.slug}"
    publisher = pick_text(ds.publisher.name) if ds.publisher else None
    licence = vocab.licence_by_id(ds.license_id) if ds.license_id else None
    # schema.org Dates, as every door publishes a date (a source's 2021年3月 or "March 2021" is 2021-03;
    # "yesterday-ish", none at all)
    published, modified = dates.published_text(ds.issued), dates.published_text(ds.modified)
    year = (published or modified or "").lstrip("-")[:4]
    cite = ". ".join(x for x in (f"{publisher} ({year})" if publisher and year else publisher, title, url) if x)
    return croissant.CroissantDataset(
        name=title, description=pick_text(said["description"]) or title, url=url,
        license=(licence.url if licence is not None and licence.url else ds.license_raw) or None, cite_as=cite,
        date_published=published, date_modified=modified, version=ds.version,
        keywords=tuple(str(k) for k in said["keywords"] or ()), creator=publisher, files=files)


@bp.get("/dataset/<slug>/croissant.json")
def croissant_document(slug: str) -> Response:
    ds = lifecycle.require(db_session(), slug, as_json=True)
    described = describe(ds, str(setting("SITE_URL")).rstrip("/"))
    if not described.files:
        resp = jsonify({"error": {"status": 404, "code": "no-croissant-table", "message": (
            "This dataset has no table Croissant can describe: one whose archived copy is a UTF-8 CSV or TSV, "
            "read into a data dictionary and served to the public whole.")}})
        resp.status_code = 404
        return resp
    resp = jsonify(croissant.to_croissant(described))
    resp.mimetype = "application/ld+json"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp
