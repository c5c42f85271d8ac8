"""Every setting of the platform: name, default, help. Read from OPENDATA_* variables.

This registry is the one source: `create_app`, the CLI, `docs/configuration.md`
(checked by a test) and `opendata settings` all read it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "OPENDATA_"


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r} (use 1/0, true/false, yes/no)")


def _pii_policy(value: str) -> str:
    v = value.strip().lower()
    if v not in ("withhold", "redact"):
        raise ValueError(f"not a personal-data policy: {value!r} (use withhold or redact)")
    return v


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    secret: bool = False

    @property
    def env(self) -> str:
        return PREFIX + self.name


def _instance() -> Path:
    return Path(os.environ.get(PREFIX + "INSTANCE_DIR", "instance")).absolute()


SETTINGS: list[Setting] = [
    Setting("INSTANCE_DIR", "instance", "Folder for the SQLite file, the archive and other local state."),
    Setting("DATABASE_URL", None, "SQLAlchemy URL of the catalog database; default: a SQLite file "
            "`catalog.db` in the instance folder. PostgreSQL: `postgresql://user@host/db`."),
    Setting("BROKER_URL", None, "Celery broker (redis://... or amqp://...). Unset: jobs run in-process."),
    Setting("RESULT_BACKEND", None, "Celery result backend; default: the broker URL when it is Redis."),
    Setting("BROKER_VISIBILITY_TIMEOUT", 3600, "Redis broker: seconds after which a task a dead worker held "
            "unacknowledged is handed to another worker (keep it above the longest task); workers look for such "
            "tasks every quarter of it (every 1 to 10 s).", int),
    Setting("POLITENESS_REDIS_URL", None, "Redis that keeps the per-host request turns (OPENDATA_HTTP_HOST_DELAY) "
            "that every worker shares, so many workers never ask one agency's server faster than the delay; "
            "default: the broker when it is Redis. Without one, each process keeps its own turns."),
    Setting("HARVEST_HEARTBEAT", 5.0, "Seconds between two heartbeats of a running harvest job.", float),
    Setting("HARVEST_DEAD_AFTER", 30, "Seconds without a heartbeat after which a harvest job held by a process "
            "on another host is failed as dead (on this host a job whose process is gone is failed at once), "
            "so that a re-run can start.", int),
    Setting("HARVEST_STALL_TIMEOUT", 600, "Seconds without progress after which a harvest job whose batches "
            "wait for workers is failed as stalled (lost tasks): the error says what to re-run.", int),
    Setting("HARVEST_MAX_WITHDRAW_SHARE", 0.2, "Largest share of a source's datasets one harvest withdraws "
            "without confirmation; a source that suddenly lists fewer (empty, truncated) withdraws nothing and "
            "its job ends `needs-confirmation` (`opendata harvest NAME --confirm-withdrawals`).", float),
    Setting("ARCHIVE_DIR", None, "Where downloaded copies of distributions are kept; default: `archive/` "
            "in the instance folder."),
    Setting("ALLOW_HOSTS", [], "Comma-separated hosts or CIDRs exempt from the SSRF guard "
            "(e.g. `127.0.0.1` for local test servers). Empty in production.", _list),
    Setting("SECRET_KEY", None, "Key that signs sessions and CSRF tokens. Required in production; "
            "the demo makes a random one per run.", secret=True),
    Setting("MAX_DOWNLOAD_BYTES", 50 * 1024 * 1024, "Size cap on any one download (harvest page or "
            "distribution file); larger bodies are cut off and reported.", int),
    Setting("MAX_UPLOAD_BYTES", 50 * 1024 * 1024, "Size cap on an uploaded file.", int),
    Setting("HTTP_TIMEOUT", 30.0, "Connect and read timeout of outbound requests, in seconds.", float),
    Setting("HTTP_TOTAL_TIMEOUT", 600.0, "Wall-clock cap on one outbound request, body included, in seconds "
            "(a server that trickles a byte at a time never trips the read timeout).", float),
    Setting("HTTP_RETRIES", 3, "Retries of an outbound request on 5xx and connection errors.", int),
    Setting("HTTP_HOST_DELAY", 0.0, "Politeness: seconds between two requests to the same host.", float),
    Setting("USER_AGENT", "opendata-platform/0.1 (+https://github.com/opendata-platform)",
            "User-Agent of outbound requests."),
    Setting("HARVESTERS", ["ckan", "dcat", "datajson", "datapackage"], "Enabled harvester types (entry "
            "points of group `opendata.harvesters`); an unknown name fails at start.", _list),
    Setting("ASSESS_AFTER_HARVEST", True, "Assess what a harvest added or changed as soon as the job ends "
            "(link checks, downloads, scores). Off: run `opendata assess --changed` yourself.", _bool),
    Setting("SITE_URL", "http://127.0.0.1:5000", "Public base URL of the portal, used in RDF URIs, "
            "data.json and links in exports."),
    Setting("SITE_TITLE", "Open Data", "Name of the portal shown in pages."),
    Setting("SITE_PUBLISHER", "Open Data portal", "The body that runs the portal: the publisher of the "
            "catalog in DCAT-AP (dct:publisher of the dcat:Catalog)."),
    Setting("DEFAULT_LOCALE", "zh_CN", "Interface language when the browser asks for none we have "
            "(`zh_CN` or `en`)."),
    Setting("PII_POLICY", "withhold", "What the public gets of a file where personal data was found (and no "
            "admin override covers it): `withhold` answers HTTP 451 saying why and whom to contact; `redact` "
            "serves the data with every flagged column and every other cell holding personal data masked (an "
            "original that cannot be masked as it is, such as an XLSX or PDF, is still withheld). The "
            "publisher's editors always get the real file.", _pii_policy),
    Setting("PII_OVERRIDE_SECOND_ADMIN", False, "Two-person rule for personal data: an admin's override of a "
            "personal-data block takes effect only once a second admin of the publisher (or a sysadmin) confirms "
            "it, each with a reason; both are in the audit log.", _bool),
    Setting("PAGE_SIZE", 20, "Datasets per page in search pages and the REST API.", int),
    Setting("RATELIMIT_STORAGE_URL", "memory://", "Flask-Limiter storage (memory:// or redis://...)."),
    Setting("API_RATE_LIMIT", "600 per minute", "Rate limit of the read API per client address."),
    Setting("WRITE_RATE_LIMIT", "120 per minute", "Rate limit of API writes (CKAN `*_create/_update/_patch/"
            "_delete`, REST POST/PUT/PATCH/DELETE) per API token (per client address without one)."),
    Setting("LOGIN_RATE_LIMIT", "10 per minute", "Failed sign-ins allowed per client address and per account; "
            "the next attempt answers 429 until the window ends."),
    Setting("SESSION_COOKIE_SECURE", "auto", "Send the session cookie over HTTPS only: `true`, `false`, or "
            "`auto` (true when SITE_URL is https)."),
    Setting("DEMO_FILES_PORT", 5001, "Port of the demo's second local server that plays the departments' "
            "web servers (serves data_samples/files).", int),
    Setting("REQUIRE_SERVICES", False, "Tests: a missing PostgreSQL, Redis, RabbitMQ or browser is a "
            "failure instead of a skip (CI sets it).", _bool),
    Setting("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test", "Tests: the PostgreSQL "
            "server the database tests also run on."),
    Setting("LOG_LEVEL", "INFO", "Logging level of the app, the CLI and workers."),
]

BY_NAME = {s.name: s for s in SETTINGS}


def load(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """All settings as a dict keyed by name, from the environment (or `environ`)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = environ.get(s.env)
        if raw is None:
            values[s.name] = list(s.default) if isinstance(s.default, list) else s.default
            continue
        try:
            values[s.name] = s.parse(raw)
        except ValueError as exc:
            raise ValueError(f"{s.env}: {exc}") from exc
    inst = Path(values["INSTANCE_DIR"]).absolute()
    values["INSTANCE_DIR"] = str(inst)
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{inst / 'catalog.db'}"
    if not values["ARCHIVE_DIR"]:
        values["ARCHIVE_DIR"] = str(inst / "archive")
    if not values["RESULT_BACKEND"] and (values["BROKER_URL"] or "").startswith("redis"):
        values["RESULT_BACKEND"] = values["BROKER_URL"]
    return values


def markdown_table() -> str:
    """The settings as the table in docs/configuration.md."""
    lines = ["| variable | default | what it does |", "| --- | --- | --- |"]
    for s in SETTINGS:
        default = ", ".join(s.default) if isinstance(s.default, list) else s.default
        default = "(unset)" if default in (None, "") else f"`{default}`"
        if s.secret:
            default = "(unset; secret)"
        lines.append(f"| `{s.env}` | {default} | {s.help} |")
    return "\n".join(lines)
