"""The demo: the sample government of data_samples/ loaded into a catalog and served.

The departments' own web servers are played by a second local HTTP server that
serves data_samples/files/ on 127.0.0.1:<OPENDATA_DEMO_FILES_PORT>, so link checks
and sniffing meet the files as they would on the web.
"""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog_schema.models import Publisher
from catalog_schema.record import Record
from catalog_schema.store import ensure_publisher, save_record

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def serve_files(directory: Path, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve `directory` over HTTP in a daemon thread; returns the server (call .shutdown())."""
    httpd = ThreadingHTTPServer((host, port), partial(_QuietHandler, directory=str(directory)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True, name="demo-files").start()
    return httpd


def read_source(source: dict[str, Any], samples: Path = SAMPLES) -> list[Record]:
    """The records of one sample source, through the catalog's mappers."""
    from catalog_schema import ckan, datajson, datapackage, dcat

    path = samples / source["url"]
    kind = source["type"]
    if kind == "ckan":
        payload = json.loads(path.read_text("utf-8"))
        results = payload["result"]["results"] if "result" in payload else payload
        return [ckan.from_ckan(p) for p in results]
    if kind == "dcat":
        return dcat.parse_catalog(path.read_bytes(), base=path.as_uri()).records
    if kind == "datajson":
        return datajson.datasets_from_datajson(json.loads(path.read_text("utf-8")))
    if kind == "datapackage":
        return [datapackage.from_datapackage(json.loads(path.read_text("utf-8")), base_url=None)]
    raise ValueError(f"unknown sample source type {kind!r}")


def load_publishers(session: Session, samples: Path = SAMPLES) -> None:
    for entry in json.loads((samples / "publishers.json").read_text("utf-8")):
        parent = entry.get("parent")
        pub = ensure_publisher(session, {"slug": entry["slug"], "name": entry["name"],
                                         "homepage": entry.get("homepage"), "email": entry.get("email")})
        if parent:
            pub.parent = session.scalar(select(Publisher).where(Publisher.slug == parent))
    session.flush()


def load_samples(session: Session, samples: Path = SAMPLES) -> dict[str, int]:
    """Load every sample source into the catalog; returns counts per outcome."""
    load_publishers(session, samples)
    counts: dict[str, int] = {}
    for source in json.loads((samples / "sources.json").read_text("utf-8")):
        for rec in read_source(source, samples):
            if not rec.get("publisher") and source.get("publisher"):
                rec["publisher"] = {"slug": source["publisher"]}
            _, outcome = save_record(session, rec)
            counts[outcome] = counts.get(outcome, 0) + 1
    _index(session)
    session.commit()
    return counts


def _index(session: Session) -> None:
    try:
        from catalog_schema import search
    except ImportError:  # search lands with the search module
        return
    search.reindex_all(session)
