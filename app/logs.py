"""Logging of the app, the CLI and workers: plain text lines, or one JSON object per line (LOG_FORMAT=json)
for a log collector (Loki, Elasticsearch, CloudWatch...) to index without parsing.

A JSON line holds the time (UTC, ISO 8601), level, logger, message, the process id, the exception's traceback
when there is one, and, inside a request, its method, path and request id (the `X-Request-Id` header a proxy
set, else none). `configure` installs one handler on the root logger and replaces the one it installed before,
so calling it again (the app factory and the CLI both do) never doubles the lines.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys

_MARK = "_opendata_handler"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage(),
               "pid": os.getpid()}
        out.update(_request_fields())
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def _request_fields() -> dict[str, str]:
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover - flask is a dependency
        return {}
    if not has_request_context():
        return {}
    fields = {"method": request.method, "path": request.path}
    if request.headers.get("X-Request-Id"):
        fields["request_id"] = request.headers["X-Request-Id"][:200]
    return fields


def configure(level: str = "INFO", fmt: str = "text", stream=None) -> logging.Handler:
    """One handler on the root logger, writing `fmt` ("text" or "json") at `level`."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    # alembic 1.16 logs each of its autogenerate plugins being set up, at INFO, whenever a command loads its
    # configuration: seven lines of its own internals on every command that checks the migrations
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # rdflib logs a whole traceback for each typed literal it cannot turn into a value ("2021-01-28 GMT
    # 01:51:03" as xsd:dateTime): a source's data, not our failure; the catalog reads the lexical form and the
    # quality check says the date is no date
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)
    return handler
