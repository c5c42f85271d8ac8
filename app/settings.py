"""Every setting of the platform: name, default, help. Read from OPENDATA_* variables.

This registry is the one source: `create_app`, the CLI, `docs/configuration.md`
(checked by a test) and `opendata settings` all read it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.cli_lang import N_  # marks each help for the catalog (`opendata settings` says it in zh)
from app.texts import T_, Text

PREFIX = "OPENDATA_"


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(T_("not a boolean: %(value)s (use 1/0, true/false, yes/no)", value=repr(value)))


def _pii_policy(value: str) -> str:
    v = value.strip().lower()
    if v not in ("withhold", "redact"):
        raise ValueError(T_("not a personal-data policy: %(value)s (use withhold or redact)", value=repr(value)))
    return v


def _period(value: str) -> str:
    v = value.strip().lower()
    if v not in ("daily", "weekly"):
        raise ValueError(T_("not a digest period: %(value)s (use daily or weekly)", value=repr(value)))
    return v


def _log_format(value: str) -> str:
    v = value.strip().lower()
    if v not in ("text", "json"):
        raise ValueError(T_("not a log format: %(value)s (use text or json)", value=repr(value)))
    return v


def _rate_limit(value: str) -> str:
    """A rate limit as Flask-Limiter reads it ("600 per minute", "10/minute;100/hour"): one it cannot read was
    taken, and then no limit held on the API and every sign-in answered 500."""
    from limits import parse_many

    text = value.strip()
    try:
        if not parse_many(text):
            raise ValueError(text)
    except ValueError:
        raise ValueError(T_("not a rate limit: %(value)s (write it as 600 per minute, or 10/minute;100/hour)",
                            value=repr(value))) from None
    return text


def _count(value: str) -> int:
    """A retention's number: 0 (no such rule) or more; a negative one was read as 0, keeping everything."""
    try:
        n = int(value.strip())
    except ValueError:
        raise ValueError(T_("not a whole number: %(value)s", value=repr(value))) from None
    if n < 0:
        raise ValueError(T_("%(value)s is below 0 (0 turns this rule off)", value=repr(value)))
    return n


def _share(value: str) -> float:
    """A share from 0 to 1 (0.2: a fifth). 20, meant as 20%, turned the withdrawal guard off, and -1 was said as
    "more than the -100%"."""
    try:
        share = float(value.strip())
    except ValueError:
        raise ValueError(T_("not a number: %(value)s", value=repr(value))) from None
    if not 0 <= share <= 1:
        raise ValueError(T_("%(value)s is not a share from 0 to 1 (0.2 is a fifth, 20%%)", value=repr(value)))
    return share


#: The fewest days of daily usage kept (the dashboards count each dataset's downloads of the last 30 days).
USAGE_MIN_DAYS = 31


def _usage_days(value: str) -> int:
    n = _count(value)
    if 0 < n < USAGE_MIN_DAYS:  # was raised to 31 without a word
        raise ValueError(T_("%(value)s days is too few: at least %(min)s (the dashboards count the last 30 days "
                            "day by day), or 0 to keep every day", value=repr(value), min=USAGE_MIN_DAYS))
    return n


#: The levels OPENDATA_LOG_LEVEL takes (Python's logging names; WARN is read as WARNING).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(value: str) -> str:
    """A logging level by name, in any case: "debug" (and any unknown name) was given to logging as it was written
    and every command and the app's start ended in a traceback."""
    v = value.strip().upper()
    v = "WARNING" if v == "WARN" else v
    if v not in LOG_LEVELS:
        raise ValueError(T_("not a log level: %(value)s (use %(levels)s)", value=repr(value),
                            levels=", ".join(LOG_LEVELS)))
    return v


def _database_url(value: str) -> str:
    """A SQLAlchemy URL of a kind of database this code can open (empty: the default SQLite file). One it could
    not read ("foo://", "catalog.db") ended every command and the app's start in a traceback. The value is not
    repeated in the error: it may hold a password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    text = value.strip()
    if not text:
        return text
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValueError(T_("not a database URL (write it as postgresql://user@host/database or "
                            "sqlite:////path/to/catalog.db)")) from None
    try:
        url.get_dialect()
    except NoSuchModuleError:
        raise ValueError(T_("%(kind)s is not a kind of database this platform opens (use postgresql://user@host/"
                            "database or sqlite:////path/to/catalog.db)", kind=repr(url.drivername))) from None
    return text


def _int_between(low: int, high: int | None = None) -> Callable[[str], int]:
    """A whole number from `low` (to `high`): PAGE_SIZE=0 answered every search page with a 500, a
    COMPRESS_LEVEL of 42 every compressed response."""

    def parse(value: str) -> int:
        try:
            n = int(value.strip())
        except ValueError:
            raise ValueError(T_("not a whole number: %(value)s", value=repr(value))) from None
        if n < low or high is not None and n > high:
            raise ValueError(T_("%(value)s is not between %(low)s and %(high)s", value=repr(value), low=low,
                                high=high) if high is not None else
                             T_("%(value)s is below %(low)s", value=repr(value), low=low))
        return n

    return parse


#: The rate limits' storages this platform runs with (docs/operations.md, "Rate limits across processes").
RATELIMIT_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")


def _ratelimit_storage(value: str) -> str:
    """memory:// or a Redis URL: any other (a typo, memcached:// without its client) ended the app's start, and
    so `opendata serve`, in a traceback. The value is not repeated: a Redis URL may hold a password."""
    text = value.strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme not in RATELIMIT_SCHEMES:
        raise ValueError(T_("not a rate-limit storage this platform uses (%(scheme)s): use memory:// or "
                            "redis://host:6379/1", scheme=repr(scheme or text[:20])))
    return text


def _harvesters(value: str) -> list[str]:
    """Names of installed harvester types. An unknown one was taken and only failed the harvests of that type,
    while the docs promise it fails at start."""
    from harvesters import registry

    names = _list(value)
    installed = registry.available()
    unknown = [name for name in names if name not in installed]
    if unknown:
        raise ValueError(T_("unknown harvester type(s) %(names)s: installed are %(installed)s",
                            names=", ".join(unknown), installed=", ".join(sorted(installed)) or "-"))
    return names


def _cli_lang(value: str) -> str:
    from app.cli_lang import parse_lang  # click's, loaded by every door that reads settings

    return parse_lang(value)


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
    Setting("INSTANCE_DIR", "instance", N_("Folder for the SQLite file, the archive and other local state.")),
    Setting("DATABASE_URL", None, N_("SQLAlchemy URL of the catalog database; default: a SQLite file "
            "`catalog.db` in the instance folder. PostgreSQL: `postgresql://user@host/db`."), _database_url),
    Setting("BROKER_URL", None, N_("Celery broker (redis://... or amqp://...). Unset: jobs run in-process.")),
    Setting("RESULT_BACKEND", None, N_("Celery result backend; default: the broker URL when it is Redis.")),
    Setting("BROKER_VISIBILITY_TIMEOUT", 3600, N_("Redis broker: seconds after which a task a dead worker held "
            "unacknowledged is handed to another worker (keep it above the longest task); workers look for such "
            "tasks every quarter of it (every 1 to 10 s)."), int),
    Setting("POLITENESS_REDIS_URL", None, N_("Redis that keeps the per-host request turns (OPENDATA_HTTP_HOST_DELAY) "
            "that every worker shares, so many workers never ask one agency's server faster than the delay; "
            "default: the broker when it is Redis. Without one, each process keeps its own turns.")),
    Setting("HARVEST_HEARTBEAT", 5.0, N_("Seconds between two heartbeats of a running harvest job."), float),
    Setting("HARVEST_IMPORT_BATCH", 500, N_("Records a harvest running in one process imports per transaction "
            "(on workers each batch task takes 100): larger transactions write faster, a smaller one loses less "
            "work to a killed process."), int),
    Setting("HARVEST_DEAD_AFTER", 30, N_("Seconds without a heartbeat after which a harvest job held by a process "
            "on another host is failed as dead (on this host a job whose process is gone is failed at once), "
            "so that a re-run can start."), int),
    Setting("HARVEST_STALL_TIMEOUT", 600, N_("Seconds without progress after which a harvest job whose batches "
            "wait for workers is failed as stalled (lost tasks): the error says what to re-run."), int),
    Setting("HARVEST_QUEUE_BATCHES", 20, N_("Batches of 100 records a harvest on workers lets wait in the broker's "
            "queue: when that many wait, the gathering worker imports the next batch itself instead of sending it, "
            "so the broker holds at most this many whatever the size of the source (0: no limit)."), int),
    Setting("HARVEST_MAX_WITHDRAW_SHARE", 0.2, N_("Largest share of a source's datasets one harvest withdraws "
            "without confirmation; a source that suddenly lists fewer (empty, truncated) withdraws nothing and "
            "its job ends `needs-confirmation` (`opendata harvest NAME --confirm-withdrawals`). From 0 to 1 (0.2: a "
            "fifth)."), _share),
    Setting("ARCHIVE_DIR", None, N_("Where downloaded copies of distributions are kept; default: `archive/` "
            "in the instance folder.")),
    Setting("VERSION_RETENTION_COUNT", 0, N_("File versions kept per distribution by `opendata versions prune`: the "
            "newest N (0: no count rule). A version either retention rule keeps stays; the current copy always "
            "stays; both 0 keep every version."), _count),
    Setting("VERSION_RETENTION_DAYS", 0, N_("File versions archived in the last N days kept by `opendata versions "
            "prune` (0: no age rule); see VERSION_RETENTION_COUNT."), _count),
    Setting("HARVEST_JOB_RETENTION_COUNT", 0, N_("Harvest jobs kept per source by `opendata prune`: the newest N, "
            "with their record rows (0: no count rule); an older job keeps only the rows of the datasets' public "
            "activity (added, updated, restored, withdrawn). A job either rule keeps stays, and so does one not "
            "ended; both 0 keep every job."), _count),
    Setting("HARVEST_JOB_RETENTION_DAYS", 0, N_("Harvest jobs of the last N days kept by `opendata prune` (0: no "
            "age rule); see HARVEST_JOB_RETENTION_COUNT."), _count),
    Setting("ASSESSMENT_RETENTION_COUNT", 0, N_("Assessments kept per dataset by `opendata prune`: the newest N "
            "and, older than those, the last of each month (the trends' points); 0 keeps every assessment."),
            _count),
    Setting("USAGE_DAILY_RETENTION_DAYS", 0, N_("Days of per-day usage counts (views, downloads and API calls of "
            "each dataset) kept by `opendata prune`, from the first of that month on; older days are added up into "
            "one count per dataset per month, dated the month's first day, so totals and monthly trends stay "
            "exact. At least 31 (the dashboards count the last 30 days day by day); 0 keeps every day."), _usage_days),
    Setting("DATASTORE_DIR", None, N_("Where the row store keeps each archived table as a Parquet file named by "
            "the copy's sha256 (the row API and `datastore_search` query it with DuckDB); a cache rebuilt by "
            "`opendata datastore rebuild`; default: `datastore/` beside the archive folder.")),
    Setting("DATASTORE_MAX_ROWS", 32000, N_("Largest `limit` of `datastore_search` (CKAN's "
            "`ckan.datastore.search.rows_max`) and of a `/rows` page; more answers a validation error. Also the "
            "most rows `datastore_search_sql` answers (then `records_truncated` is true)."), int),
    Setting("DATASTORE_SQL_ENABLED", False, N_("Offer CKAN's `datastore_search_sql` (CKAN's "
            "`ckan.datastore.sqlsearch.enabled`): one read-only SELECT over resources named as tables, vetted "
            "and sandboxed (docs/api.md). Off: the action is unknown, as in CKAN."), _bool),
    Setting("DATASTORE_SQL_TIMEOUT_MS", 5000, N_("Statement timeout of a `datastore_search_sql` query, in "
            "milliseconds; a query still running then is stopped and answered \"Query took too long\"."), int),
    Setting("ALLOW_HOSTS", [], N_("Comma-separated hosts or CIDRs exempt from the SSRF guard (e.g. `127.0.0.1` "
            "for local test servers), each on any port or on one (`127.0.0.1:5001`, `[::1]:5001`, `10.0.0.0/8:443`, "
            "`intranet:8080`). Empty in production."), _list),
    Setting("SECRET_KEY", None, N_("Key that signs sessions and CSRF tokens. Required in production; "
            "the demo makes a random one per run."), secret=True),
    Setting("MAX_DOWNLOAD_BYTES", 50 * 1024 * 1024, N_("Size cap on any one download (harvest page or "
            "distribution file). A larger file is archived as its first part, enough to sniff: a file-truncated "
            "finding says so, and its data is not served as a table."), int),
    Setting("MAX_UPLOAD_BYTES", 50 * 1024 * 1024, N_("Size cap on an uploaded file."), int),
    Setting("HTTP_TIMEOUT", 30.0, N_("Connect and read timeout of outbound requests, in seconds."), float),
    Setting("HTTP_TOTAL_TIMEOUT", 600.0, N_("Wall-clock cap on one outbound request, body included, in seconds "
            "(a server that trickles a byte at a time never trips the read timeout)."), float),
    Setting("HTTP_RETRIES", 3, N_("Retries of an outbound request on 5xx and connection errors."), int),
    Setting("HTTP_BACKOFF", 0.5, N_("Seconds before the first retry of an outbound request; each further retry "
            "waits twice as long as the one before."), float),
    Setting("HTTP_HOST_DELAY", 0.0, N_("Politeness: seconds between two requests to the same host."), float),
    Setting("USER_AGENT", "opendata-platform/0.1 (+https://github.com/opendata-platform)",
            N_("User-Agent of outbound requests.")),
    Setting("HARVESTERS", ["ckan", "dcat", "datajson", "datapackage"], N_("Enabled harvester types (entry "
            "points of group `opendata.harvesters`); an unknown name fails at start."), _harvesters),
    Setting("ASSESS_AFTER_HARVEST", True, N_("Assess what a harvest added or changed as soon as the job ends "
            "(link checks, downloads, scores). Off: run `opendata assess --changed` yourself."), _bool),
    Setting("RECHECK_PERIOD_DAYS", 7, N_("Every published dataset's links are checked again and the dataset "
            "re-assessed once per this many days, each at its own moment spread evenly over the period (by "
            "`opendata schedule` or Celery beat, hourly); unchanged files cost a conditional request and no "
            "re-reading. 0: only harvests and `opendata assess` assess."), _count),
    Setting("SITE_URL", "http://127.0.0.1:5000", N_("Public base URL of the portal: every absolute link it "
            "writes starts with it (RDF URIs, data.json, the API's links, feeds, e-mails), never with a request's "
            "Host header. `opendata serve` warns when it is not set.")),
    Setting("SITE_TITLE", "Open Data", N_("Name of the portal shown in pages.")),
    Setting("CONTACT_EMAIL", "", N_("The portal's own contact address. data.json requires a contact point: a "
            "dataset whose source names none (and whose publisher has no e-mail) is given this one. Empty: such "
            "datasets have none, and data.json fails the POD schema for them.")),
    Setting("MAIL_FROM", "", N_("Sender address of the portal's e-mails (invitations, password resets, weekly "
            "reports). Empty: `noreply@` the host of SITE_URL.")),
    Setting("SMTP_HOST", "", N_("Mail server the portal sends through. Empty: e-mails are not sent but written as "
            "`.eml` files to `outbox/` in the instance folder (the demo does this; open them with a mail program).")),
    Setting("SMTP_PORT", 25, N_("Port of SMTP_HOST (587 with SMTP_STARTTLS, 465 with SMTP_SSL)."), int),
    Setting("SMTP_STARTTLS", False, N_("Upgrade the SMTP connection with STARTTLS before signing in."), _bool),
    Setting("SMTP_SSL", False, N_("Connect to SMTP_HOST over TLS from the start (SMTPS, port 465)."), _bool),
    Setting("SMTP_USER", "", N_("User name for SMTP_HOST; empty: no sign-in.")),
    Setting("SMTP_PASSWORD", "", N_("Password for SMTP_USER."), secret=True),
    Setting("SMTP_TIMEOUT", 10.0, N_("Seconds to wait for the mail server before the send fails."), float),
    Setting("WEEKLY_EVALUATION", True, N_("`opendata schedule` also makes the weekly evaluation of the last week "
            "that has ended (once: a report kept is never recomputed) and e-mails each publisher's report to its "
            "admins, retrying sends that failed. Off: run `opendata evaluate weekly --send` yourself."), _bool),
    Setting("ACTIVITY_ITEMS", 10, N_("How many of the latest changes the Activity section of a dataset page and of a "
            "publisher page lists."), int),
    Setting("DIGESTS", True, N_("`opendata schedule` (and Celery beat) also e-mails the followers' digests that are "
            "due, daily and weekly (`opendata digest send`). Off: run `opendata digest send` yourself."), _bool),
    Setting("DIGEST_DEFAULT_PERIOD", "weekly", N_("How often a new follow's digest comes unless the user chooses: "
            "`daily` or `weekly` (each follow can be changed on the account page)."), _period),
    Setting("SITE_PUBLISHER", "Open Data portal", N_("The body that runs the portal: the publisher of the "
            "catalog in DCAT-AP (dct:publisher of the dcat:Catalog).")),
    Setting("LANG", None, N_("Language of the `opendata` command's messages and help (`zh` or `en`; the "
            "group's `--lang` wins). Unset: Chinese when LC_ALL, LC_MESSAGES or LANG (the first set) names it, "
            "else English."), _cli_lang),
    Setting("DEFAULT_LOCALE", "zh_CN", N_("Interface language when the browser asks for none we have "
            "(`zh_CN` or `en`).")),
    Setting("PII_POLICY", "withhold", N_("What the public gets of a file where personal data was found (and no "
            "admin override covers it): `withhold` answers HTTP 451 saying why and whom to contact; `redact` "
            "serves the data with every flagged column and every other cell holding personal data masked (an "
            "original that cannot be masked as it is, such as an XLSX or PDF, is still withheld). The "
            "publisher's editors always get the real file."), _pii_policy),
    Setting("PII_OVERRIDE_SECOND_ADMIN", False, N_("Two-person rule for personal data: an admin's override of a "
            "personal-data block takes effect only once a second admin of the publisher (or a sysadmin) confirms "
            "it, each with a reason; both are in the audit log."), _bool),
    Setting("COMPRESS_LEVEL", 6, N_("gzip level (1-9) of responses compressed on the fly (pages, API, exports); "
            "0 sends them uncompressed (a reverse proxy that compresses may take it over). Static files are "
            "compressed once at level 9 whatever this says."), _int_between(0, 9)),
    Setting("COMPRESS_MIN_BYTES", 1024, N_("Smallest body compressed on the fly: below it gzip saves less than it "
            "costs."), int),
    Setting("PAGE_SIZE", 20, N_("Datasets per page in search pages and the REST API."), _int_between(1)),
    Setting("SEARCH_INDEX_DIR", None, N_("Folder of this machine's search index (tantivy), shared by its processes; "
            "default: `search/` in the instance folder. Missing or empty: built from the database on the first "
            "search (`opendata search reindex` builds it ahead, with progress).")),
    Setting("SEARCH_REFRESH_SECONDS", 1.0, N_("How often a process's search index looks for catalog changes in the "
            "database (the `search_changes` log): the most a search may lag behind a change made by another "
            "process or machine. A process's own changes show at once."), float),
    Setting("SEARCH_READY_MAX_LAG", 1000, N_("`/health/ready` answers 503 while this machine's search index, after "
            "catching up, is more than this many change-log entries behind the database."), int),
    Setting("BROKER_CHECK_TIMEOUT", 2.0, N_("Seconds `/health/ready` waits for the broker (when BROKER_URL is set) "
            "before it counts it as down."), float),
    Setting("METRICS_ENABLED", True, N_("Serve `/metrics` in Prometheus' text format (request latency by route kind, "
            "harvest jobs, queue depth, archive bytes, search index lag)."), _bool),
    Setting("METRICS_TOKEN", "", N_("When set, `/metrics` wants `Authorization: Bearer <token>` (otherwise keep it on "
            "an internal network)."), secret=True),
    Setting("RATELIMIT_STORAGE_URL", "memory://", N_("Flask-Limiter storage (memory:// or redis://...)."),
            _ratelimit_storage),
    Setting("API_RATE_LIMIT", "600 per minute", N_("Rate limit of the read API per client address."), _rate_limit),
    Setting("WRITE_RATE_LIMIT", "120 per minute", N_("Rate limit of API writes (CKAN `*_create/_update/_patch/"
            "_delete`, REST POST/PUT/PATCH/DELETE) per API token (per client address without one)."), _rate_limit),
    Setting("LOGIN_RATE_LIMIT", "10 per minute", N_("Failed sign-ins allowed per client address and per account; "
            "the next attempt answers 429 until the window ends."), _rate_limit),
    Setting("RESET_RATE_LIMIT", "5 per hour", N_("Password-reset e-mails asked for per client address and per "
            "e-mail address; past it the form answers 429 (and sends nothing) until the window ends."), _rate_limit),
    Setting("PASSWORD_RESET_EXPIRY_MINUTES", 60, N_("How long a password-reset link stays valid. A link works once, "
            "and a password change voids the links still open."), int),
    Setting("INVITATION_EXPIRY_HOURS", 168, N_("How long an invitation link (to join a publisher with a role) stays "
            "valid. A link works once."), int),
    Setting("SIGN_IN_MAX_HOURS", 168, N_("How long a sign-in on the web pages lasts at most; signing out, or "
            "changing the password (the other sessions), ends it at once."), float),
    Setting("SESSION_COOKIE_SECURE", "auto", N_("Send the session cookie over HTTPS only: `true`, `false`, or "
            "`auto` (true when SITE_URL is https).")),
    Setting("DEMO_FILES_PORT", 5001, N_("Port of the demo's second local server that plays the departments' "
            "web servers (serves data_samples/files)."), int),
    Setting("REQUIRE_SERVICES", False, N_("Tests: a missing PostgreSQL, Redis, RabbitMQ or browser is a "
            "failure instead of a skip (CI sets it)."), _bool),
    Setting("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test", N_("Tests: the PostgreSQL "
            "server the database tests also run on.")),
    Setting("LOG_LEVEL", "INFO", N_("Logging level of the app, the CLI and workers."), _log_level),
    Setting("LOG_FORMAT", "text", N_("`text` lines, or `json`: one JSON object per line (time, level, logger, message, "
            "pid, the request's method, path and X-Request-Id) for a log collector."), _log_format),
]

BY_NAME = {s.name: s for s in SETTINGS}
BY_ENV = {s.env: s for s in SETTINGS}


#: The instance folder's own settings (`<INSTANCE_DIR>/settings.env`): `OPENDATA_NAME=value` lines, read under the
#: environment (a variable set there wins) by every process that reads its settings from the environment: the
#: commands, the web server, the workers and the scheduler. `opendata demo` writes the settings its catalog needs
#: there (its files on 127.0.0.1 allowed, its site URL), so a command run later against the demo's catalog checks its
#: links as the demo did; a catalog whose folder has no such file reads the environment alone.
INSTANCE_FILE = "settings.env"


def instance_file(instance_dir: str | os.PathLike) -> Path:
    return Path(instance_dir).absolute() / INSTANCE_FILE


def instance_settings(instance_dir: str | os.PathLike) -> dict[str, str]:
    """The variables `<instance_dir>/settings.env` sets (none when there is no such file). A line that sets no
    setting (a typo, OPENDATA_INSTANCE_DIR, which names the folder the file is in) is refused, naming the line."""
    path = instance_file(instance_dir)
    try:
        text = path.read_text("utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no such file, or OPENDATA_INSTANCE_DIR names no folder (the
        return {}  # command that needs the folder says so)
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or name not in BY_ENV or name == PREFIX + "INSTANCE_DIR":
            raise ValueError(T_("%(path)s, line %(line)s: not a setting: %(text)s", path=str(path), line=number,
                                text=repr(line[:80])))
        out[name] = value.strip()
    return out


def write_instance_settings(instance_dir: str | os.PathLike, values: dict[str, str], note: str) -> Path:
    """Set `values` (variables) in `<instance_dir>/settings.env`, keeping the file's other lines; `note`: the comment
    that says who wrote them."""
    path = instance_file(instance_dir)
    kept = []
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            name = line.partition("=")[0].strip()
            if name not in values and line.strip() != f"# {note}":
                kept.append(line)
    lines = [*kept, f"# {note}", *(f"{name}={value}" for name, value in values.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def load(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """All settings as a dict keyed by name, from the process's environment over its instance folder's
    `settings.env` (INSTANCE_FILE), or from `environ` alone when one is given (the whole environment)."""
    if environ is None:
        environ = {**instance_settings(_instance()), **os.environ}
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = environ.get(s.env)
        if raw is None:
            values[s.name] = list(s.default) if isinstance(s.default, list) else s.default
            continue
        try:
            values[s.name] = s.parse(raw)
        except ValueError as exc:
            raise ValueError(T_("%(env)s: %(error)s", env=s.env, error=_reason(exc, s.parse, raw))) from exc
    inst = Path(values["INSTANCE_DIR"]).absolute()
    values["INSTANCE_DIR"] = str(inst)
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{inst / 'catalog.db'}"
    if not values["ARCHIVE_DIR"]:
        values["ARCHIVE_DIR"] = str(inst / "archive")
    if not values["RESULT_BACKEND"] and (values["BROKER_URL"] or "").startswith("redis"):
        values["RESULT_BACKEND"] = values["BROKER_URL"]
    return values


#: OPENDATA_ variables read elsewhere than this registry: the benchmarks' and the distributed test's own knobs
#: (docs/scaling.md, docs/harvesting.md), and the service links Kubernetes sets for a service named "opendata"
#: (OPENDATA_SERVICE_HOST, OPENDATA_PORT_5000_TCP...).
_NOT_SETTINGS = re.compile(r"^OPENDATA_(BENCH_.+|DIST_DATASETS|SERVICE_HOST|SERVICE_PORT(_.+)?"
                           r"|PORT(_\d+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?)?)$")


def unknown(environ: dict[str, str] | None = None) -> list[tuple[str, str | None]]:
    """The OPENDATA_ variables that name no setting, each with the setting it most likely meant (or None). A typo
    was ignored without a word: OPENDATA_DATABASE=postgresql://... left the catalog in the default SQLite file."""
    import difflib

    environ = os.environ if environ is None else environ
    names = [s.env for s in SETTINGS]
    found = []
    for env in sorted(environ):
        if env.startswith(PREFIX) and env not in BY_ENV and not _NOT_SETTINGS.match(env):
            close = difflib.get_close_matches(env, names, n=1, cutoff=0.8)
            found.append((env, close[0] if close else None))
    return found


def _reason(exc: ValueError, parse: Callable[[str], Any], raw: str) -> str:
    """Why `raw` is refused: the parser's own text (a `Text` the command line says in zh), or ours for Python's
    int() and float() ("invalid literal for int() with base 10")."""
    reason = exc.args[0] if exc.args else ""
    if isinstance(reason, Text):
        return reason
    if parse is int:
        return T_("not a whole number: %(value)s", value=repr(raw))
    if parse is float:
        return T_("not a number: %(value)s", value=repr(raw))
    return str(exc)


def search_index_dir(values: dict[str, Any]) -> str:
    """SEARCH_INDEX_DIR, or `search/` in the instance folder."""
    return values.get("SEARCH_INDEX_DIR") or str(Path(values["INSTANCE_DIR"]).absolute() / "search")


#: The portal's name when SITE_TITLE is left at its default, in each interface language.
DEFAULT_SITE_TITLES = {"en": "Open Data", "zh": "开放数据"}


def site_titles(values: dict[str, Any]) -> dict[str, str]:
    """The portal's name as a language map: SITE_TITLE as configured (the same in every language), or the
    default name in each language when it is left at its default."""
    title = values.get("SITE_TITLE") or DEFAULT_SITE_TITLES["en"]
    if title == DEFAULT_SITE_TITLES["en"]:
        return dict(DEFAULT_SITE_TITLES)
    return {"en": title, "zh": title}


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
