"""`opendata backup` and `opendata restore`: the catalog database and the archive, taken while the site runs.

A backup folder holds `manifest.json` (app/backup_manifest.py), the database dump and `archive/`, a copy of
the content-addressed archive:

- SQLite: `catalog.sqlite3`, made with SQLite's online backup API (`sqlite3.Connection.backup`, one step: a
  read transaction over a snapshot, which in WAL mode blocks no writer);
- PostgreSQL: `catalog.pgdump`, `pg_dump --format=custom` run on a snapshot exported from a REPEATABLE READ
  transaction (`pg_export_snapshot`), which also reads the manifest's row counts and migration: the counts
  describe exactly the dump;
- the archive is copied after the dump, file by file, only the files the backup folder lacks (files are
  named by their sha256), so a daily backup to the same folder copies only the day's new files. Files the
  dump's catalog names that the archive no longer had (pruned meanwhile) are listed in the manifest.

Restore goes into an empty database of the same kind (a non-empty one only with `force`): SQLite through the
backup API the other way, PostgreSQL with `pg_restore --clean --if-exists --no-owner`; then migrated to this
code's head if the backup is older, the archive files copied into ARCHIVE_DIR (the missing ones), the
catalog's file paths moved to ARCHIVE_DIR when the backup came from another folder, and the search index
rebuilt. The datastore (`DATASTORE_DIR`) is a cache and is not backed up: it is rebuilt on demand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import backup_manifest
from app.backup_manifest import ArchiveSummary, Manifest
from catalog_schema import db as dbmod
from catalog_schema import store
from plumbing import archive as archive_mod

Say = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in one sentence."""


def backend_of(url: str) -> str:
    name = make_url(dbmod.normalize_url(url)).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups know SQLite and PostgreSQL, not {name}")
    return name


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A PostgreSQL URL as pg_dump and pg_restore take it, and the environment carrying its password (a
    password on a command line is visible to every user of the machine)."""
    parsed = make_url(dbmod.normalize_url(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _referenced(conn) -> set[str]:
    """The archive files a catalog names: every kept version and every distribution's current copy."""
    rows = conn.execute(text("SELECT sha256 FROM distribution_versions UNION "
                             "SELECT archive_hash FROM distributions WHERE archive_hash IS NOT NULL"))
    return {r[0] for r in rows}


# --- backup -----------------------------------------------------------------------------------------------------


def backup(settings: dict[str, Any], target: Path, say: Say = lambda _: None) -> Manifest:
    url = settings["DATABASE_URL"]
    backend = backend_of(url)
    target.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        dump, revision, counts, names = _dump_sqlite(url, target, say)
    else:
        dump, revision, counts, names = _dump_postgresql(url, target, say)
    if revision is None:
        raise BackupError("the database has never been migrated: there is no catalog to back up")
    say(f"archive: copying the files {target / 'archive'} lacks from {settings['ARCHIVE_DIR']}")
    synced = archive_mod.copy_missing(settings["ARCHIVE_DIR"], target / "archive", progress=_every(say, "files"))
    present = {p.name for p in archive_mod.stored(target / "archive")}
    manifest = Manifest(
        taken_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), backend=backend, revision=revision,
        dump=dump.name, dump_sha256=_sha256(dump), dump_bytes=dump.stat().st_size, counts=counts,
        archive=ArchiveSummary(source_dir=str(Path(settings["ARCHIVE_DIR"]).absolute()), files=synced.files,
                               bytes=synced.bytes, copied=synced.copied, missing=sorted(names - present),
                               corrupt=sorted(synced.corrupt or [])))
    tmp = target / (backup_manifest.NAME + ".tmp")
    tmp.write_text(backup_manifest.to_json(manifest))
    os.replace(tmp, target / backup_manifest.NAME)
    return manifest


def _every(say: Say, what: str, step: int = 1000):
    def progress(done: int, copied: int) -> None:
        if done % step == 0:
            say(f"  {done:,} {what} looked at, {copied:,} copied")
    return progress


def _dump_sqlite(url: str, target: Path, say: Say):
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"there is no SQLite database at {source}")
    dump = target / "catalog.sqlite3"
    tmp = target / "catalog.sqlite3.tmp"
    tmp.unlink(missing_ok=True)
    say(f"database: SQLite online backup of {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # one step: a consistent snapshot, writers go on meanwhile (WAL)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()
    os.replace(tmp, dump)
    engine = dbmod.make_engine(f"sqlite:///{dump}")
    try:
        with engine.connect() as conn:
            return dump, dbmod.current_revision(conn), dbmod.table_counts(conn), _referenced(conn)
    finally:
        engine.dispose()


def _dump_postgresql(url: str, target: Path, say: Say):
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (PostgreSQL's client programs)")
    dump = target / "catalog.pgdump"
    tmp = target / "catalog.pgdump.tmp"
    dsn, env = libpq(url)
    engine = dbmod.make_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            # The dump and the manifest see one snapshot: pg_dump is handed the one this transaction exported.
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            say(f"database: pg_dump --format=custom of {make_url(dsn).render_as_string(hide_password=True)}")
            done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                                   f"--file={tmp}", f"--dbname={dsn}"], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                tmp.unlink(missing_ok=True)
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
            found = dbmod.current_revision(conn), dbmod.table_counts(conn), _referenced(conn)
            conn.rollback()
    finally:
        engine.dispose()
    os.replace(tmp, dump)
    return (dump, *found)


# --- restore ----------------------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> Manifest:
    path = folder / backup_manifest.NAME
    if not path.exists():
        raise BackupError(f"{folder} holds no {backup_manifest.NAME}: it is not a backup folder")
    try:
        return backup_manifest.from_json(path.read_text())
    except (ValueError, TypeError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from exc


def restore(settings: dict[str, Any], folder: Path, *, force: bool = False, say: Say = lambda _: None,
            reindex: Callable[[], int] | None = None) -> Manifest:
    manifest = read_manifest(folder)
    url = settings["DATABASE_URL"]
    backend = backend_of(url)
    if backend != manifest.backend:
        raise BackupError(f"the backup is of a {manifest.backend} database and the target is {backend}: restore "
                          "into the same kind, then move it with `opendata db copy`")
    dump = folder / manifest.dump
    if not dump.exists() or _sha256(dump) != manifest.dump_sha256:
        raise BackupError(f"{dump} is missing or not the file the manifest describes (sha256 differs)")
    head = dbmod.head_revision()
    known = _known_revisions()
    if manifest.revision not in known:
        raise BackupError(f"the backup is at migration {manifest.revision}, which this code does not know "
                          f"(its head is {head}): restore it with the version that made it")
    engine = dbmod.make_engine(url)
    try:
        if backend == "sqlite":
            sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
        full = dbmod.nonempty_tables(engine) if _reachable(engine) else []
    finally:
        engine.dispose()
    if full and not force:
        raise BackupError(f"the target database is not empty ({', '.join(full[:5])}"
                          f"{', ...' if len(full) > 5 else ''} hold rows): restore only into an empty database, "
                          "or pass --force to replace what it holds")
    say(f"database: restoring {dump.name} (migration {manifest.revision})")
    if backend == "sqlite":
        _restore_sqlite(dump, url)
    else:
        _restore_postgresql(dump, url)
    if manifest.revision != head:
        say(f"database: migrating from {manifest.revision} to {head}")
        dbmod.upgrade(url)
    if backend != "sqlite":  # pg_restore writes the rows, not the planner's statistics
        engine = dbmod.make_engine(url)
        try:
            if dbmod.analyze(engine):
                say("database: planner statistics taken (ANALYZE)")
        finally:
            engine.dispose()
    archive_dir = Path(settings["ARCHIVE_DIR"]).absolute()
    say(f"archive: copying the files {archive_dir} lacks")
    archive_mod.copy_missing(folder / "archive", archive_dir, progress=_every(say, "files"))
    if Path(manifest.archive.source_dir) != archive_dir:
        engine = dbmod.make_engine(url)
        try:
            with dbmod.make_sessionmaker(engine)() as session:
                moved = store.move_archive(session, manifest.archive.source_dir, str(archive_dir))
                session.commit()
        finally:
            engine.dispose()
        say(f"archive: {moved:,} file paths moved from {manifest.archive.source_dir} to {archive_dir}")
    if reindex is not None:
        say("search: rebuilding the index")
        reindex()
    return manifest


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(dbmod.alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def _reachable(engine) -> bool:
    """Whether the target answers; one that cannot be reached is a BackupError saying so."""
    from sqlalchemy.exc import OperationalError

    try:
        with engine.connect():
            return True
    except OperationalError as exc:
        raise BackupError(f"cannot connect to the target database ({exc.orig.__class__.__name__}): create it "
                          "first (PostgreSQL: createdb)") from exc


def _restore_sqlite(dump: Path, url: str) -> None:
    target = sqlite_path(url)
    src = sqlite3.connect(dump)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # replaces every page of the target, under its write lock
    finally:
        dst.close()
        src.close()


def _restore_postgresql(dump: Path, url: str) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore is not installed (PostgreSQL's client programs)")
    dsn, env = libpq(url)
    done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                           "--single-transaction", f"--dbname={dsn}", str(dump)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
