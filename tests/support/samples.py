"""The demo's samples for tests: the departments' files on a local server of the test's own, harvested."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from app.demo import SAMPLES, load_samples
from catalog_schema.models import Distribution
from tests.support.httpserver import LocalServer

TYPES = {".csv": "text/csv", ".json": "application/json", ".geojson": "application/geo+json",
         ".xml": "application/xml", ".ttl": "text/turtle", ".pdf": "application/pdf",
         ".xls": "application/vnd.ms-excel", ".ods": "application/vnd.oasis.opendocument.spreadsheet",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DEMO_FILES = "http://127.0.0.1:5001/"  # where the sample metadata says the files are


def serve_samples() -> LocalServer:
    """A local server (not yet started) holding data_samples/files."""
    files = LocalServer()
    root = SAMPLES / "files"
    for path in root.rglob("*"):
        if path.is_file():
            files.add_file("/" + path.relative_to(root).as_posix(), path, TYPES.get(path.suffix, "text/plain"))
    return files


@contextmanager
def harvested_samples(runtime, files: LocalServer | None = None) -> Iterator[tuple[LocalServer, dict]]:
    """Serve data_samples/files, harvest every sample source (not assessed) and point the distributions at
    this server instead of the demo's port. Yields (server, harvest summaries); the server stops on exit
    unless it was given (a server that outlives the harvest, started by the caller)."""
    if files is None:
        with serve_samples() as own:
            with harvested_samples(runtime, own) as result:
                yield result
        return
    summaries = load_samples(runtime)
    base = files.url("/")
    with runtime.sessionmaker() as session:
        for dist in session.scalars(select(Distribution)):
            for key in ("download_url", "access_url"):
                value = getattr(dist, key)
                if value and value.startswith(DEMO_FILES):
                    setattr(dist, key, base + value[len(DEMO_FILES):])
        session.commit()
    yield files, summaries
