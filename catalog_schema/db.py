"""Engine and sessions from a database URL; SQLite pragmas; Alembic upgrade."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from plumbing import jsontext

log = logging.getLogger(__name__)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def json_text(value) -> str:
    """JSON columns' serializer: plumbing.jsontext (orjson, json where orjson would write otherwise), with the
    empty values most columns hold (no keywords, no extras) spelled at once."""
    if not value and type(value) in _EMPTY_JSON:
        return _EMPTY_JSON[type(value)]
    return jsontext.dumps(value)


_EMPTY_JSON = {dict: "{}", list: "[]"}


def make_engine(url: str, **kwargs) -> Engine:
    url = normalize_url(url)
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", jsontext.loads)  # psycopg hands it bytes or a memoryview
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if url.startswith("postgresql+psycopg") and kwargs["json_deserializer"] is jsontext.loads:
        event.listen(engine, "connect", _json_loaders)
    return engine


def _json_loaders(dbapi_conn, _record) -> None:
    """psycopg reads json and jsonb through jsontext.loads with nothing in between: its own loader copies each
    value to bytes and calls the deserializer SQLAlchemy gave it, a Python call more per JSON value (a
    package_search reads some 660). Registered after SQLAlchemy's (the dialect's connect handler runs first)."""
    for name in ("json", "jsonb"):
        dbapi_conn.adapters.register_loader(name, _json_loader())


@functools.cache
def _json_loader():
    from psycopg.adapt import Loader

    class JsonLoader(Loader):
        def load(self, data):
            return jsontext.loads(data)

    return JsonLoader


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    # Checkpoint the write-ahead log at 40 MB instead of SQLite's 4 MB: a checkpoint writes the pages back and
    # syncs the file, and a first harvest of 20,000 datasets (a 300 MB catalog) met some seventy of them,
    # about 0.5 s of its 10 s. The log's file keeps that size on disk once a big write has grown it.
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.close()


class BackgroundCheckpoints:
    """While a long writer runs (a harvest), copy SQLite's write-ahead log back into the database from a thread
    of its own, every `interval` seconds, instead of in the writer's commits.

    A checkpoint writes the log's pages into the database file and syncs it: in the writer's commit it stopped
    the import for 0.1-0.3 s each time the log reached its 40 MB (a first harvest of 20,000 datasets met nine;
    its commits took 1.2-1.6 s in all). SQLite waits for the disk with Python's lock released, so on a thread of
    its own the wait overlaps the next batch's mapping (measured: the commits 0.8 s in all, the harvest 0.2-0.4 s
    shorter; the writer's log writes still wait on the one disk while a checkpoint syncs). PASSIVE: it copies
    what no reader still needs and never waits for the writer, which goes on appending (its own checkpoint,
    should the log still reach 40 MB, finds this one running and skips). Nothing on other databases, or on an
    SQLite database in memory."""

    def __init__(self, engine: Engine | None, interval: float = 0.5):
        self.engine, self.interval = engine, interval
        database = (engine.url.database or "") if isinstance(engine, Engine) else ""
        self.enabled = isinstance(engine, Engine) and engine.dialect.name == "sqlite" \
            and database not in ("", ":memory:") and not database.startswith("file::memory:") \
            and "mode=memory" not in str(engine.url)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
        self.runs = 0  # checkpoints made (the tests look)

    def _run(self) -> None:
        try:
            conn = self.engine.raw_connection()
        except Exception as exc:  # noqa: BLE001 - the writer's commits checkpoint as before
            log.info("no background checkpoints: %s", exc.__class__.__name__)
            return
        try:
            while not self._stop.wait(self.interval):
                self._checkpoint(conn)
        finally:
            conn.close()

    def _checkpoint(self, conn) -> None:
        try:
            cursor = conn.cursor()
            try:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cursor.fetchall()
            finally:
                cursor.close()
            conn.commit()
            self.runs += 1
        except Exception as exc:  # noqa: BLE001 - a busy or locked log: the next turn (or the writer) copies it
            log.info("background checkpoint skipped: %s", exc.__class__.__name__)

    def __enter__(self) -> BackgroundCheckpoints:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._stop.set()
            self._thread.join()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files(__package__).joinpath("migrations")))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Create or migrate the catalog database at `url` to `revision`."""
    from alembic import command

    if url.startswith("sqlite:///"):
        from pathlib import Path

        path = url[len("sqlite:///"):]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Raise when the models and the migrations disagree (alembic check). Alembic's own English line when they
    agree ("No new upgrade operations detected.") is not printed: the command says it in the reader's language."""
    import io

    from alembic import command

    cfg = alembic_config(url)
    cfg.stdout = io.StringIO()
    command.check(cfg)


# --- what a catalog database holds: for backups, restores and copies (app/backup.py, app/dbcopy.py) -------------

#: Tables outside the models that hold catalog state (migration 0004: the search change log).
EXTRA_TABLES = ("search_changes",)


def catalog_tables() -> list[str]:
    """Every catalog table, parents before children (foreign keys), then the change log."""
    from catalog_schema.models import Base

    return [t.name for t in Base.metadata.sorted_tables] + list(EXTRA_TABLES)


def head_revision() -> str:
    """The newest migration this code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def known_revisions() -> set[str]:
    """Every migration this code knows (a database at one of them is behind, not ahead)."""
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()}


def safe_url(url: str) -> str:
    """A database URL as the operator wrote it (not the driver's postgresql+psycopg://), without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def driver_reason(exc: Exception) -> str:
    """Why a connection failed, in the driver's first line (no password in it: the drivers name the user, host and
    database): a server that is down, a role or a database that does not exist."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]


def current_revision(conn) -> str | None:
    """The migration the database at `conn` is at (None: never migrated)."""
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def table_counts(conn) -> dict[str, int]:
    """Rows in each catalog table that exists at `conn`."""
    from sqlalchemy import inspect, text

    present = set(inspect(conn).get_table_names())
    return {name: int(conn.scalar(text(f'SELECT count(*) FROM "{name}"')))
            for name in catalog_tables() if name in present}


def nonempty_tables(engine: Engine) -> list[str]:
    """The catalog tables holding rows: a database that answers [] may be restored or copied into."""
    with engine.connect() as conn:
        return [name for name, n in table_counts(conn).items() if n]


def analyze(engine: Engine, tables: tuple[str, ...] = ()) -> bool:
    """PostgreSQL: fresh planner statistics (of `tables`, default every table), on a connection of its own in
    autocommit, outside any caller's transaction. A database just copied, restored or bulk-loaded has none until
    autovacuum passes, and queries are planned blind meanwhile (the search index of 391,139 datasets built in
    146 s instead of 67 s). Sampled: about a second at that size. False on SQLite (its planner reads no
    statistics it was not given) or when the database refuses (another owner): an optimisation, never an error."""
    if engine.dialect.name != "postgresql":
        return False
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("ANALYZE " + ", ".join(f'"{t}"' for t in tables) if tables else "ANALYZE"))
    except Exception as exc:  # noqa: BLE001 - statistics are an optimisation
        log.warning("ANALYZE failed (%s); the planner keeps the statistics there are", exc)
        return False
    return True
