"""The demo: the sample government of data_samples/ harvested into a catalog and served.

The departments' own web servers are played by a second local HTTP server that
serves data_samples/files/ on 127.0.0.1:<OPENDATA_DEMO_FILES_PORT>, so link checks
and sniffing meet the files as they would on the web. The sample sources (one per
harvester type, and the statistics bureau's yearbook folder with its metadata sheet) are
registered and harvested exactly as a real source would be.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import auth
from app.jobs import harvest
from app.services import accounts
from app.services import series as series_service
from app.services.context import Actor
from app.services.sources import put_source
from catalog_schema import series
from catalog_schema.models import Dataset, Publisher
from catalog_schema.store import ensure_publisher

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
SAMPLE_FILES_BASE = "http://127.0.0.1:5001/"  # what the sample sources name


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _FilesServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """Clients hang up (link checkers stop reading at their size cap): not worth a traceback."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def serve_files(directory: Path, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve `directory` over HTTP in a daemon thread; returns the server (call .shutdown())."""
    httpd = _FilesServer((host, port), partial(_QuietHandler, directory=str(directory)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True, name="demo-files").start()
    return httpd


def sources_for_port(samples: Path, port: int, dest: Path) -> dict[str, Path]:
    """Paths of the sample source files; copies naming `port` (under `dest`) when it is not 5001.
    A folder source is its folder, never copied: its `config.base_url` names the port."""
    files_base = f"http://127.0.0.1:{port}/"
    out = {}
    for entry in json.loads((samples / "sources.json").read_text("utf-8")):
        path = samples / entry["url"]
        if files_base != SAMPLE_FILES_BASE and not path.is_dir():
            copy = dest / entry["url"]
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(path.read_text("utf-8").replace(SAMPLE_FILES_BASE, files_base), "utf-8")
            path = copy
        out[entry["name"]] = path
    return out


def config_for_port(config: dict | None, port: int) -> dict | None:
    """A sample source's config with the demo's file URLs (a folder's `base_url`) on `port`."""
    if not config or port == 5001:
        return config
    text = json.dumps(config, ensure_ascii=False).replace(SAMPLE_FILES_BASE, f"http://127.0.0.1:{port}/")
    return json.loads(text)


def register_samples(rt, samples: Path = SAMPLES, port: int | None = None) -> dict[str, bool]:
    """Create the sample publishers and harvest sources (idempotent); returns each source's name and whether it is
    there to harvest (False: someone deleted it, `opendata source delete`, and it stays deleted).

    `port`: where the department files are served, when not on the port the samples name (5001).
    """
    paths = sources_for_port(samples, port or 5001, Path(rt.settings["INSTANCE_DIR"]) / "demo-sources")
    names: dict[str, bool] = {}
    with rt.sessionmaker() as session:
        for entry in json.loads((samples / "publishers.json").read_text("utf-8")):
            pub = ensure_publisher(session, {"slug": entry["slug"], "name": entry["name"], "uri": entry.get("uri"),
                                             "homepage": entry.get("homepage"), "email": entry.get("email")})
            if entry.get("parent"):
                pub.parent = session.scalar(select(Publisher).where(Publisher.slug == entry["parent"]))
        session.flush()
        for entry in json.loads((samples / "sources.json").read_text("utf-8")):
            url = entry["url"] if "://" in entry["url"] else str(paths[entry["name"]].resolve())
            names[entry["name"]] = put_source(session, entry["name"], entry["type"], url,
                                              publisher=entry.get("publisher"),
                                              config=config_for_port(entry.get("config"), port or 5001)) is not None
        session.commit()
    return names


def load_samples(rt, samples: Path = SAMPLES, port: int | None = None) -> dict[str, dict | None]:
    """Register and harvest every sample source; returns each job's summary, None for a source someone deleted
    (left out: a demo run again after `opendata source delete` stopped on it with a traceback)."""
    return {name: harvest(rt, name, full=True).to_dict() if live else None
            for name, live in register_samples(rt, samples, port).items()}


DEMO_AGENCY_EMAIL = "agency@example.gov"
DEMO_AGENCY_PUBLISHER = "jh-stats"


def ensure_agency_account(rt, email: str = DEMO_AGENCY_EMAIL, publisher: str = DEMO_AGENCY_PUBLISHER,
                          password: str | None = None) -> str:
    """The demo's example agency officer: admin (so also editor) of one sample publisher. Idempotent:
    the account is created once; its password is set anew on every run and returned, for the terminal."""
    password = password or secrets.token_urlsafe(9)
    with rt.sessionmaker() as session:
        pub = session.scalar(select(Publisher).where(Publisher.slug == publisher))
        if pub is None:
            raise LookupError(f"no publisher {publisher!r}: load the samples first")
        user = auth.find_user(session, email)
        if user is None:
            user = accounts.create_user(session, email, name="Demo agency officer")
        user.password_hash = generate_password_hash(password)
        user.active = True
        accounts.grant(session, user, pub, "admin")
        session.commit()
    return password



#: The demo's dataset series: the transport bureau's monthly bus ridership, which the harvest brings as three
#: datasets (a fragmented-series finding) and its data officer makes one series with the finding's one click.
DEMO_SERIES = ("bus-ridership-2024-10", "bus-ridership-2024-11", "bus-ridership-2024-12")
DEMO_SERIES_OFFICER = "transport-officer@example.gov"


def make_demo_series(rt) -> str | None:
    """Bus ridership by month as a dataset series, made through the service as the transport bureau's data
    officer (an editor account without a password: it acts, it does not sign in). Idempotent; returns the
    series' slug, or None when the samples are not loaded."""
    with rt.sessionmaker() as session:
        parts = list(session.scalars(select(Dataset).where(Dataset.slug.in_(DEMO_SERIES))))
        if len(parts) != len(DEMO_SERIES):
            return None
        for part in parts:
            made = series.series_of(session, part.id)
            if made:
                return made[0].slug
        user = auth.find_user(session, DEMO_SERIES_OFFICER)
        if user is None:
            user = accounts.create_user(session, DEMO_SERIES_OFFICER, name="Transport bureau data officer")
        accounts.grant(session, user, parts[0].publisher, "editor")
        session.commit()
        return series_service.make_series(Actor(session, user, "cli", lang="zh"), list(DEMO_SERIES)).slug
