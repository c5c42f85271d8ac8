"""`opendata backup` and `opendata restore`: the catalog database and the archive, taken while the site runs.

A backup folder holds `manifest.json` (app/backup_manifest.py), the database dump and `archive/`, a copy of
the content-addressed archive:

- SQLite: `catalog-<time>.sqlite3`, made with SQLite's online backup API (`sqlite3.Connection.backup`, one
  step: a read transaction over a snapshot, which in WAL mode blocks no writer), then checked with SQLite's
  quick check (the API copies pages as they are: a damaged catalog is refused, not backed up);
- PostgreSQL: `catalog-<time>.pgdump`, `pg_dump --format=custom` run on a snapshot exported from a REPEATABLE READ
  transaction (`pg_export_snapshot`), which also reads the manifest's row counts and migration: the counts
  describe exactly the dump;
- the archive is copied after the dump, file by file, only the files the backup folder lacks (files are
  named by their sha256), so a daily backup to the same folder copies only the day's new files. Files the
  dump's catalog names that the archive no longer had (pruned meanwhile) are listed in the manifest;
- the manifest is written last, replacing the folder's last one at once: until then that backup (its dump,
  which the new one does not overwrite) stays restorable.

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
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import backup_manifest
from app import settings as settings_mod
from app.backup_manifest import ArchiveSummary, Manifest
from app.texts import T_
from catalog_schema import db as dbmod
from catalog_schema import store
from plumbing import archive as archive_mod

Say = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in one sentence."""


def backend_of(url: str) -> str:
    name = make_url(dbmod.normalize_url(url)).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(T_("backups know SQLite and PostgreSQL, not %(name)s", name=name))
    return name


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(T_("an in-memory SQLite database cannot be backed up or restored"))
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
    """Back the catalog up into `target`. The folder's last backup stays restorable until this one is whole:
    the new dump is written under a name of its own (its time), the archive's new files are added beside the
    old ones, and only then does the manifest name the new dump (replaced at once) and the old dump go. A
    backup that fails at any step (a full disk, an interrupt) leaves the last one as it was."""
    url = settings["DATABASE_URL"]
    backend = backend_of(url)
    taken = dt.datetime.now(dt.UTC)
    dump_tmp = None
    try:
        target.mkdir(parents=True, exist_ok=True)
        if backend == "sqlite":
            dump_tmp, revision, counts, names = _dump_sqlite(url, target, say)
        else:
            dump_tmp, revision, counts, names = _dump_postgresql(url, target, say)
        if revision is None:
            raise BackupError(T_("the database has never been migrated: there is no catalog to back up"))
        say(T_("archive: copying the files %(target)s lacks from %(source)s", target=str(target / "archive"),
                  source=str(settings["ARCHIVE_DIR"])))
        synced = archive_mod.copy_missing(settings["ARCHIVE_DIR"], target / "archive",
                                          progress=_every(say))
        present = {p.name for p in archive_mod.stored(target / "archive")}
        suffix = ".sqlite3" if backend == "sqlite" else ".pgdump"
        dump = target / f"catalog-{taken.strftime('%Y%m%dT%H%M%S%fZ')}{suffix}"
        os.replace(dump_tmp, dump)
        dump_tmp = None
        manifest = Manifest(
            taken_at=taken.isoformat(timespec="seconds"), backend=backend, revision=revision,
            dump=dump.name, dump_sha256=_sha256(dump), dump_bytes=dump.stat().st_size, counts=counts,
            archive=ArchiveSummary(source_dir=str(Path(settings["ARCHIVE_DIR"]).absolute()), files=synced.files,
                                   bytes=synced.bytes, copied=synced.copied, missing=sorted(names - present),
                                   corrupt=sorted(synced.corrupt or [])))
        tmp = target / (backup_manifest.NAME + ".tmp")
        tmp.write_text(backup_manifest.to_json(manifest))
        os.replace(tmp, target / backup_manifest.NAME)
    except OSError as exc:  # the folder, not the catalog: said in one line, the last backup left whole
        raise BackupError(T_("the backup could not be written into %(target)s: %(error)s (%(file)s); the last "
                             "backup there is as it was", target=str(target), error=exc.strerror or str(exc),
                             file=str(getattr(exc, "filename", None) or target))) from exc
    finally:
        if dump_tmp is not None:
            Path(dump_tmp).unlink(missing_ok=True)
    for old in list(target.glob("catalog*.sqlite3")) + list(target.glob("catalog*.pgdump")):
        if old.name != manifest.dump:  # the dumps of earlier backups, now that the manifest names this one
            old.unlink(missing_ok=True)
    return manifest


def _every(say: Say, step: int = 1000):
    def progress(done: int, copied: int) -> None:
        if done % step == 0:
            say(T_("  %(done)s files looked at, %(copied)s copied", done=f"{done:,}", copied=f"{copied:,}"))
    return progress


def _dump_sqlite(url: str, target: Path, say: Say):
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(T_("there is no SQLite database at %(path)s", path=str(source)))
    tmp = target / "catalog.sqlite3.tmp"
    tmp.unlink(missing_ok=True)
    say(T_("database: SQLite online backup of %(path)s", path=str(source)))
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # one step: a consistent snapshot, writers go on meanwhile (WAL)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()
    problem = sqlite_damage(tmp)
    if problem:  # the backup API copies pages as they are: a damaged catalog gives a damaged dump
        tmp.unlink(missing_ok=True)
        raise BackupError(T_("the database at %(path)s fails SQLite's integrity check (%(problem)s): it is not "
                             "backed up; the last backup is as it was", path=str(source), problem=problem))
    engine = dbmod.make_engine(f"sqlite:///{tmp}")
    try:
        with engine.connect() as conn:
            return tmp, dbmod.current_revision(conn), dbmod.table_counts(conn), _referenced(conn)
    finally:
        engine.dispose()
        # the engine's connections turn a database to WAL: the dump back to one file, or every later reader
        # (the restore's check, a refused restore too) left -wal and -shm files beside it for good
        single = sqlite3.connect(tmp)
        try:
            single.execute("PRAGMA journal_mode=DELETE")
        finally:
            single.close()


def sqlite_damage(path: Path) -> str | None:
    """What SQLite's quick check finds wrong in the database file at `path` (its first complaint), or None."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if found == ["ok"] else "; ".join(map(str, found))


def _dump_postgresql(url: str, target: Path, say: Say):
    if shutil.which("pg_dump") is None:
        raise BackupError(T_("pg_dump is not installed (PostgreSQL's client programs)"))
    tmp = target / "catalog.pgdump.tmp"
    dsn, env = libpq(url)
    engine = dbmod.make_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            # The dump and the manifest see one snapshot: pg_dump is handed the one this transaction exported.
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            say(T_("database: pg_dump --format=custom of %(url)s",
                   url=make_url(dsn).render_as_string(hide_password=True)))
            done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                                   f"--file={tmp}", f"--dbname={dsn}"], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                tmp.unlink(missing_ok=True)
                raise BackupError(T_("pg_dump failed: %(error)s", error=done.stderr.strip()))
            found = dbmod.current_revision(conn), dbmod.table_counts(conn), _referenced(conn)
            conn.rollback()
    finally:
        engine.dispose()
    return (tmp, *found)


# --- restore ----------------------------------------------------------------------------------------------------


def _writable(folder: Path) -> None:
    """`folder` exists (made if need be) and takes a new file, or BackupError: nothing is restored."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".restore-check-"):
            pass
    except OSError as exc:
        raise BackupError(T_("%(folder)s cannot be written (%(reason)s): nothing was restored", folder=str(folder),
                             reason=exc.strerror or str(exc))) from None


def read_manifest(folder: Path) -> Manifest:
    path = folder / backup_manifest.NAME
    if not path.exists():
        raise BackupError(T_("%(folder)s holds no %(name)s: it is not a backup folder", folder=str(folder),
                                name=backup_manifest.NAME))
    try:
        return backup_manifest.from_json(path.read_text())
    except (ValueError, TypeError) as exc:
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)  # a Text: said in zh
        raise BackupError(T_("%(path)s cannot be read: %(error)s", path=str(path), error=reason)) from exc


def restore(settings: dict[str, Any], folder: Path, *, force: bool = False, say: Say = lambda _: None,
            reindex: Callable[[], int] | None = None) -> Restored:
    manifest = read_manifest(folder)
    url = settings["DATABASE_URL"]
    backend = backend_of(url)
    if backend != manifest.backend:
        raise BackupError(T_("the backup is of a %(backup)s database and the target is %(target)s: restore into "
                             "the same kind, then move it with `opendata db copy`", backup=manifest.backend,
                             target=backend))
    dump = folder / manifest.dump
    if not dump.exists() or _sha256(dump) != manifest.dump_sha256:
        raise BackupError(T_("%(dump)s is missing or not the file the manifest describes (sha256 differs)",
                                dump=str(dump)))
    problem = sqlite_damage(dump) if manifest.backend == "sqlite" else None
    if problem:  # before the target is touched: a damaged dump would replace a sound catalog
        raise BackupError(T_("%(dump)s fails SQLite's integrity check (%(problem)s): nothing was restored",
                                dump=str(dump), problem=problem))
    head = dbmod.head_revision()
    known = dbmod.known_revisions()
    if manifest.revision not in known:
        raise BackupError(T_("the backup is at migration %(revision)s, which this code does not know (its head "
                             "is %(head)s): restore it with the version that made it", revision=manifest.revision,
                             head=head))
    archive_dir = Path(settings["ARCHIVE_DIR"]).absolute()
    # Every folder the restore writes is tried before the database is: a folder it could not write stopped it
    # after the catalog was replaced, with a traceback, and the next try was refused as "not empty".
    _writable(archive_dir)
    if reindex is not None:
        _writable(Path(settings_mod.search_index_dir(settings)))
    engine = dbmod.make_engine(url)
    try:
        if backend == "sqlite":
            sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
        full = dbmod.nonempty_tables(engine) if _reachable(engine, url) else []
    finally:
        engine.dispose()
    if full and not force:
        raise BackupError(T_("the target database is not empty (%(tables)s hold rows): restore only into an "
                             "empty database, or pass --force to replace what it holds",
                             tables=", ".join(full[:5]) + (", ..." if len(full) > 5 else "")))
    say(T_("database: restoring %(dump)s (migration %(revision)s)", dump=dump.name, revision=manifest.revision))
    if backend == "sqlite":
        _restore_sqlite(dump, url)
    else:
        _restore_postgresql(dump, url)
    if manifest.revision != head:
        say(T_("database: migrating from %(revision)s to %(head)s", revision=manifest.revision, head=head))
        dbmod.upgrade(url)
    if backend != "sqlite":  # pg_restore writes the rows, not the planner's statistics
        engine = dbmod.make_engine(url)
        try:
            if dbmod.analyze(engine):
                say(T_("database: planner statistics taken (ANALYZE)"))
        finally:
            engine.dispose()
    say(T_("archive: copying the files %(target)s lacks", target=str(archive_dir)))
    synced = archive_mod.copy_missing(folder / "archive", archive_dir, progress=_every(say))
    stored_now = {p.name for p in archive_mod.stored(archive_dir)}
    if Path(manifest.archive.source_dir) != archive_dir:
        engine = dbmod.make_engine(url)
        try:
            with dbmod.make_sessionmaker(engine)() as session:
                moved = store.move_archive(session, manifest.archive.source_dir, str(archive_dir))
                session.commit()
        finally:
            engine.dispose()
        say(T_("archive: %(n)s file paths moved from %(source)s to %(target)s", n=f"{moved:,}",
                source=manifest.archive.source_dir, target=str(archive_dir)))
    engine = dbmod.make_engine(url)
    try:
        with engine.connect() as conn:
            named = _referenced(conn)
    finally:
        engine.dispose()
    if reindex is not None:
        say(T_("search: rebuilding the index"))
        reindex()
    corrupt = sorted(synced.corrupt or [])
    return Restored(manifest=manifest, files=synced.files - len(corrupt), corrupt=corrupt,
                    missing=sorted(named - stored_now - set(corrupt)))


@dataclass
class Restored:
    """What a restore put back: the backup's manifest, how many of the backup's archive files are in the archive
    now, and the files the catalog names that are not (`corrupt`: the backup's copy did not match its sha256;
    `missing`: the catalog names a file neither the backup nor the archive holds)."""

    manifest: Manifest
    files: int
    corrupt: list[str]
    missing: list[str]


def _reachable(engine, url: str) -> bool:
    """Whether the target answers; one that cannot be reached is a BackupError saying so."""
    from sqlalchemy.exc import OperationalError

    try:
        with engine.connect():
            return True
    except OperationalError as exc:
        # the driver's reason: a server that is down or a role that does not exist were all "create it first"
        raise BackupError(T_("cannot connect to the target database %(url)s (%(reason)s): check its URL and that "
                             "its server is running; a PostgreSQL database must be created first (createdb)",
                             url=dbmod.safe_url(url), reason=dbmod.driver_reason(exc))) from exc


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
        raise BackupError(T_("pg_restore is not installed (PostgreSQL's client programs)"))
    dsn, env = libpq(url)
    done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                           "--single-transaction", f"--dbname={dsn}", str(dump)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(T_("pg_restore failed: %(error)s", error=done.stderr.strip()))
