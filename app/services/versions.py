"""Version retention: which archived copies of a distribution are kept, and pruning the others.

Every copy a check or an upload archives is a `DistributionVersion` (catalog_schema.store.record_version).
Retention is two settings (docs/configuration.md): VERSION_RETENTION_COUNT keeps the newest N versions of
each distribution, VERSION_RETENTION_DAYS every version archived in the last D days; a version is kept when
either keeps it, and the distribution's current copy is always kept. Both 0 (the default) keep everything.

`prune` removes the versions past retention: their rows (audited, one event per dataset), then the archive
files no distribution and no remaining version references (files are content-addressed, so two
distributions, or two versions, may share one). Rows go first and files only after the commit, so a
failure never leaves a row without its file. The row store's tables of copies no distribution has are
removed by `opendata datastore prune`.

`sweep` removes the archive files no row holds at all, a day after they were written: a file taken out of a published
dataset (its versions go with its row), an upload refused after it was archived, a temporary file a killed writer
left. Nothing serves them (every door reads a file or a version row), and one that held personal data stayed on the
disk for good.

`prune_facts` removes what the facts cache kept beside the archive that nothing reads again (quality.facts_cache:
what reading a copy found, read by that copy's next assessment): the documents of every copy no distribution has now,
older versions kept under retention among them, whose archive files stay (`opendata prune`).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.datastore import load as datastore
from app.services.audit import audit
from app.services.base import service
from app.services.context import Actor
from app.texts import T_
from catalog_schema.models import Dataset, Distribution, DistributionVersion
from catalog_schema.store import add_audit_event
from plumbing.archive import address, stored
from quality import facts_cache


@dataclass(frozen=True)
class Retention:
    count: int = 0  # keep the newest `count` versions of each distribution (0: no such rule)
    days: int = 0  # keep the versions archived in the last `days` days (0: no such rule)

    @classmethod
    def of(cls, settings: dict[str, Any]) -> Retention:
        return cls(count=max(0, int(settings.get("VERSION_RETENTION_COUNT") or 0)),
                   days=max(0, int(settings.get("VERSION_RETENTION_DAYS") or 0)))

    @property
    def active(self) -> bool:
        return bool(self.count or self.days)

    def keeps(self, rank: int, archived_at: dt.datetime, now: dt.datetime) -> bool:
        """Whether the version `rank` places (0: the newest) archived at `archived_at` is kept."""
        if not self.active:
            return True
        if self.count and rank < self.count:
            return True
        return bool(self.days) and _aware(archived_at) >= now - dt.timedelta(days=self.days)


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)  # SQLite gives naive UTC


@dataclass
class PruneReport:
    retention: Retention
    dry_run: bool
    versions: list[dict[str, Any]] = field(default_factory=list)  # each removed (or, dry run, removable) one
    files: list[str] = field(default_factory=list)  # archive files removed (or that would be)
    bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"retention": {"count": self.retention.count, "days": self.retention.days},
                "dry_run": self.dry_run, "versions": len(self.versions), "files": len(self.files),
                "bytes": self.bytes, "removed": self.versions}


def past_retention(session, retention: Retention, *, now: dt.datetime) -> list[DistributionVersion]:
    """The versions `retention` does not keep, never a distribution's current copy, oldest first."""
    if not retention.active:
        return []
    rows = session.execute(
        select(DistributionVersion, Distribution.archive_hash)
        .join(Distribution, Distribution.id == DistributionVersion.distribution_id)
        .order_by(DistributionVersion.distribution_id, DistributionVersion.archived_at.desc(),
                  DistributionVersion.id.desc())).all()
    out: list[DistributionVersion] = []
    rank: dict[str, int] = {}
    for version, current in rows:
        n = rank.get(version.distribution_id, 0)
        rank[version.distribution_id] = n + 1
        if version.sha256 != current and not retention.keeps(n, version.archived_at, now):
            out.append(version)
    out.sort(key=lambda v: (_aware(v.archived_at), v.id))
    return out


def _referenced(session, candidates: dict[str, tuple[str, Path]], leaving: set[int] = frozenset(),
                leaving_files: set[str] = frozenset()) -> tuple[set[str], set[str]]:
    """Of `candidates` (absolute path -> (sha256, file)), the hashes and paths still in use once the versions
    `leaving` (ids), and the files `leaving_files` (distribution ids) with their versions, are gone: a current copy or
    another version holds them. Only the candidates' rows are read (an IN of their hashes and paths, 500 at a time),
    not every file of the catalog."""
    shas = sorted({sha for sha, _ in candidates.values()})
    named = sorted({*candidates, *(str(file) for _, file in candidates.values())})
    hashes: set[str] = set()
    paths: set[str] = set()

    def held(did: str, sha: str | None, path: str | None) -> None:
        if did in leaving_files:
            return
        hashes.update([sha] if sha else [])
        paths.update([os.path.abspath(path)] if path else [])

    for column, values in ((Distribution.archive_hash, shas), (Distribution.archive_path, named)):
        for start in range(0, len(values), 500):
            query = select(Distribution.id, Distribution.archive_hash, Distribution.archive_path).where(
                column.in_(values[start:start + 500]))
            for did, sha, path in session.execute(query):
                held(did, sha, path)
    for column, values in ((DistributionVersion.sha256, shas), (DistributionVersion.path, named)):
        for start in range(0, len(values), 500):
            query = select(DistributionVersion.id, DistributionVersion.distribution_id, DistributionVersion.sha256,
                           DistributionVersion.path).where(column.in_(values[start:start + 500]))
            for vid, did, sha, path in session.execute(query):
                if vid not in leaving:
                    held(did, sha, path)
    return hashes, paths


def _unreferenced(candidates: dict[str, tuple[str, Path]], hashes: set[str], paths: set[str],
                  archive_dir: str | os.PathLike) -> list[tuple[str, Path]]:
    """Of `candidates` (absolute path -> (sha256, file)), the (sha256, file) of the archive files there that no hash
    or path of `_referenced` holds, in path order."""
    root = Path(archive_dir).resolve()
    return [(sha, file) for key, (sha, file) in sorted(candidates.items())
            if sha not in hashes and key not in paths and file.is_file() and file.resolve().is_relative_to(root)]


def _copies(archive_dir: str | os.PathLike, copies) -> dict[str, tuple[str, Path]]:
    """Where each of `copies` ((sha256, path kept or None)) may lie: its kept path and its address in the archive,
    absolute path -> (sha256, file)."""
    out: dict[str, tuple[str, Path]] = {}
    for sha, path in copies:
        for file in {Path(path) if path else None, address(archive_dir, sha)} - {None}:
            out[os.path.abspath(file)] = (sha, file)
    return out


@service
def prune(actor: Actor, retention: Retention, *, archive_dir: str | os.PathLike, now: dt.datetime | None = None,
          dry_run: bool = False) -> PruneReport:
    """Remove the versions past `retention` and the archive files nothing references any more (with `dry_run`,
    only say what would go). Only a sysadmin, or the system (the CLI: no user), prunes."""
    if actor.user is not None and not actor.user.is_sysadmin:
        from app.services.errors import Forbidden

        raise Forbidden(T_("Only a sysadmin prunes file versions."))
    session = actor.session
    now = now or dt.datetime.now(dt.UTC)
    report = PruneReport(retention=retention, dry_run=dry_run)
    gone = past_retention(session, retention, now=now)
    if not gone:
        return report
    dists = {d.id: d for d in session.scalars(select(Distribution).where(
        Distribution.id.in_({v.distribution_id for v in gone})))}
    by_dataset: dict[str, list[dict[str, Any]]] = {}
    for v in gone:
        entry = {"distribution": v.distribution_id, "sha256": v.sha256, "archived_at": _aware(v.archived_at)
                 .isoformat(), "size": v.size}
        report.versions.append(entry)
        by_dataset.setdefault(dists[v.distribution_id].dataset_id, []).append(entry)
    candidates = _copies(archive_dir, [(v.sha256, v.path) for v in gone])
    files = _unreferenced(candidates, *_referenced(session, candidates, {v.id for v in gone}), archive_dir)
    report.files = [str(file) for _, file in files]
    report.bytes = sum(file.stat().st_size for _, file in files)
    if dry_run:
        return report
    for v in gone:
        session.delete(v)
    for ds in session.scalars(select(Dataset).where(Dataset.id.in_(by_dataset))):
        audit(actor, "versions.prune", ds, None, None, versions=by_dataset[ds.id],
              retention={"count": retention.count, "days": retention.days})
    session.commit()
    remove_copies(session, files, archive_dir)  # but one a check archived again meanwhile
    return report


def copies_only_of(session, files, archive_dir: str | os.PathLike) -> list[tuple[str, Path]]:
    """(sha256, file) of the archived copies of `files` (distribution rows: their current copies and the versions
    kept) that no other file or version holds: what the archive keeps of a draft's files being taken out (a file
    removed, the draft discarded) that nothing else needs. Read before their rows go (`remove_copies` takes them out
    once they have)."""
    mine = {d.id for d in files}
    copies = [(d.archive_hash, d.archive_path) for d in files if d.archive_hash]
    if mine:
        copies += list(session.execute(select(DistributionVersion.sha256, DistributionVersion.path).where(
            DistributionVersion.distribution_id.in_(mine))))
    candidates = _copies(archive_dir, copies)
    return _unreferenced(candidates, *_referenced(session, candidates, leaving_files=mine), archive_dir)


def remove_copies(session, copies: list[tuple[str, Path]], archive_dir: str | os.PathLike,
                  store_root: Path | None = None) -> list[str]:
    """Remove the archive files `copies` ((sha256, file), once the rows that held them are committed gone: versions
    pruned, a discarded draft's files) and what reading them found (the facts cache; with `store_root`, the row store's
    tables and whole-file scans of them too), but any a file or version holds again meanwhile (a check archiving the
    same bytes for another dataset); the files removed."""
    hashes, paths = _referenced(session, {os.path.abspath(file): (sha, file) for sha, file in copies})
    gone = []
    for sha, file in copies:
        if sha in hashes or os.path.abspath(file) in paths:
            continue
        file.unlink(missing_ok=True)
        facts_cache.forget(archive_dir, sha)
        if store_root is not None:
            datastore.forget(store_root, sha)
        gone.append(str(file))
    return gone


#: How long an archive file no row holds is left before `sweep` removes it: a check or an upload writes its file first
#: and the row that holds it at its commit, seconds later (minutes for a file of gigabytes). Writing the same bytes
#: again gives the file a new time (plumbing.archive: it is replaced), so a copy a check is archiving again waits too.
SWEEP_AFTER = dt.timedelta(days=1)


@dataclass
class SweepReport:
    dry_run: bool
    files: list[str] = field(default_factory=list)  # archive files removed (or that would be)
    bytes: int = 0
    unfinished: list[str] = field(default_factory=list)  # temporary files of writes never finished (archive/tmp)

    def to_dict(self) -> dict[str, Any]:
        return {"files": len(self.files), "bytes": self.bytes, "unfinished": len(self.unfinished)}


def _written_before(file: Path, cutoff: float) -> bool:
    try:
        return file.stat().st_mtime < cutoff
    except OSError:  # gone meanwhile
        return False


@service
def sweep(actor: Actor, *, archive_dir: str | os.PathLike, store_root: Path | None = None,
          now: dt.datetime | None = None, after: dt.timedelta = SWEEP_AFTER, dry_run: bool = False) -> SweepReport:
    """Remove the archive files no distribution and no version holds, written more than `after` ago, with what reading
    them found (the facts cache; with `store_root`, the row store's tables and scans of them), and the temporary files
    of writes never finished as old (with `dry_run`, only say which). Each file's rows are read again just before it
    goes (`remove_copies`). Only a sysadmin, or the system (the CLI), sweeps; a run that removes anything is audited
    once."""
    if actor.user is not None and not actor.user.is_sysadmin:
        from app.services.errors import Forbidden

        raise Forbidden(T_("Only a sysadmin prunes file versions."))
    session = actor.session
    cutoff = (now or dt.datetime.now(dt.UTC)).timestamp() - after.total_seconds()
    report = SweepReport(dry_run=dry_run)
    old = [file for file in stored(archive_dir) if _written_before(file, cutoff)]
    unheld: list[tuple[str, Path]] = []
    for start in range(0, len(old), 500):
        candidates = _copies(archive_dir, [(file.name, None) for file in old[start:start + 500]])
        unheld += _unreferenced(candidates, *_referenced(session, candidates), archive_dir)
    tmp = Path(archive_dir) / "tmp"
    unfinished = sorted(file for file in tmp.iterdir() if file.is_file() and _written_before(file, cutoff)) \
        if tmp.is_dir() else []
    report.unfinished = [str(file) for file in unfinished]
    sizes = {}
    for _, file in unheld:
        try:
            sizes[str(file)] = file.stat().st_size
        except OSError:
            continue
    if dry_run:
        report.files, report.bytes = list(sizes), sum(sizes.values())
        return report
    # written again since it was listed (a check archiving the same bytes): it waits its day again
    unheld = [(sha, file) for sha, file in unheld if _written_before(file, cutoff)]
    report.files = remove_copies(session, unheld, archive_dir, store_root)
    report.bytes = sum(sizes.get(name, 0) for name in report.files)
    for file in unfinished:
        file.unlink(missing_ok=True)
    if report.files or report.unfinished:
        user = actor.user
        add_audit_event(session, user_id=user.id if user is not None else None, action="versions.sweep",
                        object_type="catalog", object_id="archive", publisher_id=None, before=None, after=None,
                        detail={"via": actor.via, "files": report.files, "bytes": report.bytes,
                                "unfinished": len(report.unfinished), "after_days": after.total_seconds() / 86400},
                        ip=actor.ip)
        session.commit()
    return report


@dataclass
class FactsReport:
    dry_run: bool
    files: list[str] = field(default_factory=list)  # documents removed (or that would be)
    bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"files": len(self.files), "bytes": self.bytes}


def current_copies(session) -> set[str]:
    """The sha256 of every distribution's archived copy now."""
    return {sha for sha in session.scalars(select(Distribution.archive_hash).distinct()) if sha}


def prune_facts(session, *, archive_dir: str | os.PathLike, dry_run: bool = False) -> FactsReport:
    """Remove the facts cache's documents nothing reads again (`facts_cache.unread`: those of copies no distribution
    has now, and scans under another engine's key); with `dry_run`, only say which. A cache, not the catalog: nothing
    is audited. The current copies are read again before any document is removed, so one of a copy that became
    current meanwhile stays; one kept of a copy a check archived and has not committed yet may go, and is made again
    when that copy is next read."""
    report = FactsReport(dry_run=dry_run)
    sizes: dict[Path, int] = {}
    for path in facts_cache.unread(archive_dir, current_copies(session)):
        try:
            sizes[path] = path.stat().st_size
        except OSError:  # gone meanwhile (an assessment read its copy again: its names were personal data)
            continue
    if not dry_run and sizes:
        still = set(facts_cache.unread(archive_dir, current_copies(session)))
        sizes = {path: size for path, size in sizes.items() if path in still}
        for path in sizes:
            path.unlink(missing_ok=True)
    report.files = [str(p) for p in sizes]
    report.bytes = sum(sizes.values())
    return report


__all__ = ["FactsReport", "PruneReport", "Retention", "SweepReport", "current_copies", "past_retention", "prune",
           "prune_facts", "sweep"]
