"""The whole catalog as CSV, XML, JSON, data.json or DCAT-AP RDF (ttl, rdf, jsonld, nt).

`iter_records` streams records from the database in batches; the tabular
formats are written row by row. (The RDF formats build one rdflib graph here:
fine for the demo catalog; the streaming dump is the publishing issue's job.)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any
from xml.sax.saxutils import XMLGenerator

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.services.serving import public_metadata, public_records
from app.settings import site_titles
from catalog_schema import dates, series, vocab
from catalog_schema.datajson import catalog_to_datajson
from catalog_schema.models import Dataset
from catalog_schema.record import Record, pick_text, public_record
from catalog_schema.store import to_record
from plumbing.xmlchars import XML_ILLEGAL

RDF_FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld", "nt": "nt"}
FORMATS = ("csv", "xml", "json", "datajson", *RDF_FORMATS)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "json": "application/json",
    "datajson": "application/json",
    "ttl": "text/turtle; charset=utf-8",
    "rdf": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
}

CSV_COLUMNS = ["id", "slug", "title_zh", "title_en", "title", "publisher", "publisher_name", "description",
               "keywords", "themes", "license", "license_raw", "frequency", "issued", "modified", "landing_page",
               "distributions", "formats", "download_urls", "state"]


def iter_records(session: Session, batch: int = 500, include_withdrawn: bool = False) -> Iterator[Record]:
    """Every dataset as a record, in slug order, loaded `batch` at a time."""
    last = ""
    while True:
        stmt = (select(Dataset).where(Dataset.slug > last)
                .options(selectinload(Dataset.publisher), selectinload(Dataset.distributions))
                .order_by(Dataset.slug).limit(batch))
        if not include_withdrawn:
            stmt = stmt.where(Dataset.state == "active")
        rows = session.scalars(stmt).all()
        if not rows:
            return
        yield from series.annotate(session, [to_record(ds) for ds in rows])
        last = rows[-1].slug
        session.expunge_all()


def csv_row(rec: Record) -> dict[str, Any]:
    pub = rec.get("publisher") or {}
    dists = rec.get("distributions") or []
    return {
        "id": rec["id"], "slug": rec["slug"],
        "title_zh": rec["title"].get("zh", ""), "title_en": rec["title"].get("en", ""),
        "title": pick_text(rec["title"]), "publisher": pub.get("slug", ""),
        "publisher_name": pick_text(pub.get("name")), "description": pick_text(rec["description"]),
        "keywords": ";".join(rec["keywords"]), "themes": ";".join(rec["themes"]),
        "license": rec["license"] or "", "license_raw": rec["license_raw"] or "",
        "frequency": rec["frequency"] or "", "issued": _date(rec["issued"]), "modified": _date(rec["modified"]),
        "landing_page": rec["landing_page"] or "", "distributions": len(dists),
        "formats": ";".join(d.get("format") or d.get("format_raw") or "" for d in dists),
        "download_urls": " ".join(d.get("download_url") or d.get("access_url") or "" for d in dists),
        "state": rec["state"],
    }


def _date(value: Any) -> str:
    """A record's date as every door publishes it (`catalog_schema.dates`): ISO 8601, so a spreadsheet sorts the
    column (a source's 2021年3月 or "March 2021" is 2021-03); empty for what is no date ("yesterday-ish"). The
    source's words stay in the record (the JSON export)."""
    return dates.published_text(value) or ""


#: What a spreadsheet (Excel, WPS, LibreOffice) takes a cell starting with for a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula (a harvested title `=HYPERLINK("http://...")`) starts with
    an apostrophe, which spreadsheets show as text; every other value is written as it is."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def write_csv(records: Iterable[Record], out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for rec in records:
        writer.writerow({k: spreadsheet_cell(v) for k, v in csv_row(rec).items()})


def write_json(records: Iterable[Record], out: IO[str]) -> None:
    """{"datasets": [record, ...]}, one record at a time."""
    out.write('{"datasets": [')
    for i, rec in enumerate(records):
        out.write(",\n" if i else "\n")
        out.write(json.dumps(public_record(public_metadata(rec)), ensure_ascii=False, default=str))
    out.write("\n]}\n")


def write_xml(records: Iterable[Record], out: IO[str]) -> None:
    """<catalog><dataset id slug><title xml:lang>... : every text escaped by the SAX writer."""
    gen = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
    gen.startDocument()
    gen.startElement("catalog", {})
    for rec in records:
        gen.startElement("dataset", {"id": rec["id"] or "", "slug": rec["slug"] or "", "state": rec["state"]})
        _langmap(gen, "title", rec["title"])
        _langmap(gen, "description", rec["description"])
        pub = rec.get("publisher")
        if pub:
            gen.startElement("publisher", {"slug": pub.get("slug") or ""})
            _langmap(gen, "name", pub.get("name") or {})
            gen.endElement("publisher")
        for key in ("license", "license_raw", "frequency", "issued", "modified", "landing_page", "access_rights"):
            value = _date(rec.get(key)) if key in ("issued", "modified") else rec.get(key)
            if value:
                _element(gen, key, str(value))
        for kw in rec["keywords"]:
            _element(gen, "keyword", kw)
        for theme in rec["themes"]:
            _element(gen, "theme", theme)
        for dist in rec["distributions"]:
            gen.startElement("distribution", {"id": str(dist.get("catalog_id") or dist.get("id") or "")})
            _langmap(gen, "title", dist.get("title") or {})
            for key in ("download_url", "access_url", "format", "media_type", "license"):
                if dist.get(key):
                    _element(gen, key, str(dist[key]))
            if dist.get("byte_size") is not None:
                _element(gen, "byte_size", str(dist["byte_size"]))
            gen.endElement("distribution")
        gen.endElement("dataset")
    gen.endElement("catalog")
    gen.endDocument()


def _element(gen: XMLGenerator, name: str, text: str, attrs: dict[str, str] | None = None) -> None:
    gen.startElement(name, attrs or {})
    gen.characters(_xml_safe(text))
    gen.endElement(name)


def _langmap(gen: XMLGenerator, name: str, langmap: dict[str, str]) -> None:
    for lang, text in langmap.items():
        _element(gen, name, text, {"xml:lang": lang} if lang else {})


def _xml_safe(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (they would make the document invalid): control characters, and
    lone surrogates and U+FFFE/U+FFFF too (the C0 controls alone were dropped here)."""
    return XML_ILLEGAL.sub("", text)


def write_rdf(records: Iterable[Record], out: IO[str], fmt: str, *, site_url: str, catalog_info: dict) -> None:
    from catalog_schema.dcat import catalog_to_rdf, rdf_text

    graph = catalog_to_rdf(list(records), site_url=site_url, catalog_info=catalog_info)
    out.write(rdf_text(graph, RDF_FORMATS[fmt]))


def write_datajson(records: Iterable[Record], out: IO[str], *, site_url: str, contact_email: str | None = None,
                   site_publisher: str | None = None) -> None:
    json.dump(catalog_to_datajson(records, site_url=site_url, contact_email=contact_email,
                                  site_publisher=site_publisher), out, ensure_ascii=False, indent=1)


def catalog_info(settings: dict[str, Any]) -> dict[str, Any]:
    """The dcat:Catalog's own description (title, description and publisher are mandatory in DCAT-AP 3)."""
    site = settings["SITE_URL"].rstrip("/")
    return {"title": site_titles(settings),
            "description": {"en": "Datasets published by the government's departments, with their quality scores.",
                            "zh": "政府各部门发布的数据集及其质量评分。"},
            "publisher": {"slug": "portal", "name": {"": settings["SITE_PUBLISHER"]}, "homepage": site + "/"},
            "homepage": site + "/", "uri": site + "/catalog",
            # DCAT-AP's recommended: the catalog's metadata is in Chinese and English, its themes the EU data themes
            "languages": ["zh", "en"],
            "theme_taxonomies": [{"uri": vocab.EU_THEME.rstrip("/"), "title": {"en": "Data theme", "zh": "数据主题"}}]}


def export(session: Session, fmt: str, out: IO[str], *, site_url: str, catalog_info: dict | None = None,
           contact_email: str | None = None) -> None:
    """Write the active catalog to `out` in one of FORMATS (`contact_email`: data.json's fallback contact)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    records = public_records(iter_records(session))  # the public's, whoever runs the command (a log keeps it)
    info = catalog_info
    if fmt == "csv":
        write_csv(records, out)
    elif fmt == "json":
        write_json(records, out)
    elif fmt == "xml":
        write_xml(records, out)
    elif fmt == "datajson":
        from catalog_schema.readers import iter_records as fast_records

        portal = pick_text(((info or {}).get("publisher") or {}).get("name")) or None  # POD's publisher, if none
        write_datajson(public_records(fast_records(session, catalog_dates=True)), out, site_url=site_url,
                       contact_email=contact_email, site_publisher=portal)
    elif fmt in ("nt", "ttl"):  # streamed dataset by dataset, in constant memory
        from app.export.stream_rdf import stream_catalog
        from catalog_schema.readers import iter_records as fast_records

        for chunk in stream_catalog(public_records(fast_records(session)), fmt, site_url=site_url, catalog_info=info):
            out.write(chunk)
    else:
        write_rdf(records, out, fmt, site_url=site_url, catalog_info=info)


def export_string(session: Session, fmt: str, **kw) -> str:
    buf = io.StringIO()
    export(session, fmt, buf, **kw)
    return buf.getvalue()
