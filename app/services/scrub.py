"""`opendata pii scrub`: what was kept of personal column names before they were said by position, rewritten as it
is written now.

A file without a header row has its first row read as its column names, so a citizen's ID number or phone number is
the name of a column. Such a name is kept only where the serving gate needs it (a distribution's facts and data
dictionary, which it matches to the table's columns); elsewhere it is written by position or ``[redacted]``:

- a version's change (`DistributionVersion.change`: columns added and removed, the rows' key) by the column's
  position in the copy that has it (`quality.tabular.compare.columns_changed`);
- a version's counts per column (`DistributionVersion.pii`) keyed ``#2`` (`quality.findings.keyed_by_position`);
- the check kept with a dataset (`datasets.prepublication_check`): its preview's header ``[redacted]``
  (`check.preview_header`);
- an audit entry of a dictionary edit: its edits keyed by position (`distributions.audited_edits`).

Rows written before (2026-12-07) still hold the names. `scrub` goes through them in batches (each committed) and
rewrites each name with those same functions: a change by position when the two copies, read again
(`compare.table_names`), give the columns the change lists, else ``[redacted]`` as the public is shown it
(`serving.public_change`: a copy no longer readable, a version between them pruned); counts per column by position in
their own copy, ``[redacted]`` when it cannot be read; an audit entry's edits ``[redacted]`` (the dictionary of that
moment, which a position would be of, is not kept). Only a row that holds such a name is written, so a second run
writes nothing; `dry_run` counts and writes nothing; a run is audited once (`pii.scrub`, with its counts). It is a
command and not a migration because migrations may not import quality/ (docs/architecture.md).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, or_, select

from app.services import serving
from app.services.base import service
from app.services.check import preview_header
from app.services.context import Actor
from app.services.distributions import DICTIONARY_ACTIONS, audited_edits
from app.services.errors import Forbidden
from app.texts import T_
from catalog_schema.models import AuditEvent, Dataset, DistributionVersion
from catalog_schema.store import add_audit_event, set_audit_detail, set_kept_check, set_version_columns
from quality import pii
from quality.findings import column_ref, keyed_by_position
from quality.tabular import compare

BATCH = 500
CHANGE_LISTS = ("columns_added", "columns_removed")


@dataclass
class ScrubReport:
    dry_run: bool
    version_changes: int = 0  # versions whose change was rewritten (or would be)
    version_pii: int = 0  # versions whose counts per column were
    checks: int = 0  # datasets whose kept check was
    dictionary_edits: int = 0  # audit entries of dictionary edits that were
    by_position: int = 0  # personal names now said by their column's position
    redacted: int = 0  # personal names now said [redacted]

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k != "dry_run"}

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, **self.counts()}


@service
def scrub(actor: Actor, *, dry_run: bool = False, batch: int = BATCH) -> ScrubReport:
    """Rewrite every row kept with a personal column name as such rows are written now (the module's docstring);
    with `dry_run`, only count them. Only a sysadmin, or the system (the CLI: no user), scrubs."""
    if actor.user is not None and not actor.user.is_sysadmin:
        raise Forbidden(T_("Only a sysadmin rewrites what the catalog kept of personal column names."))
    report = ScrubReport(dry_run=dry_run)
    _versions(actor.session, report, batch)
    _checks(actor.session, report, batch)
    _dictionary_edits(actor.session, report, batch)
    if not dry_run:
        user = actor.user
        add_audit_event(actor.session, user_id=user.id if user is not None else None, action="pii.scrub",
                        object_type="catalog", object_id="personal-names", publisher_id=None, before=None,
                        after=None, detail={"via": actor.via, **report.counts()}, ip=actor.ip)
        actor.session.commit()
    return report


def _personal(texts: Iterable[Any]) -> set[str]:
    """Those of `texts` that are personal data (quality.pii.personal_names: one vectorised pass for a batch)."""
    names = sorted({t for t in texts if isinstance(t, str)})
    return set(pii.personal_names(names)) if names else set()


# --------------------------------------------------------------------------- versions


def _change_names(change: Any) -> list[Any]:
    if not isinstance(change, dict):
        return []
    names = [n for key in CHANGE_LISTS if isinstance(change.get(key), list) for n in change[key]]
    return [*names, change.get("key")]


def _versions(session, report: ScrubReport, batch: int) -> None:
    last = 0
    while True:
        rows = session.scalars(select(DistributionVersion).where(DistributionVersion.id > last)
                               .order_by(DistributionVersion.id).limit(batch)).all()
        if not rows:
            return
        last = rows[-1].id
        personal = _personal(n for v in rows
                             for n in [*_change_names(v.change), *(v.pii if isinstance(v.pii, dict) else ())])
        names: dict[tuple, list[str] | None] = {}  # each copy's column names, read once in the batch
        for v in rows:
            change = _change(session, v, personal, names, report)
            counts = _counts(v, personal, names, report)
            if change is None and counts is None:
                continue
            if not report.dry_run:
                set_version_columns(v, pii=v.pii if counts is None else counts,
                                    change=v.change if change is None else change)
        if not report.dry_run:
            session.commit()


def _names(v: DistributionVersion | None, names: dict[tuple, list[str] | None]) -> list[str] | None:
    """The column names of a version's copy as the comparison reads them (None: not readable, or no version)."""
    if v is None or not v.path:
        return None
    key = (v.path, v.format, v.encoding)
    if key not in names:
        names[key] = compare.table_names({"path": v.path, "format": v.format, "encoding": v.encoding})
    return names[key]


def _previous(session, v: DistributionVersion) -> DistributionVersion | None:
    """The version kept before `v` of its distribution: the one its change was computed from (store.record_version),
    unless a prune removed that one."""
    return session.scalar(select(DistributionVersion).where(
        DistributionVersion.distribution_id == v.distribution_id,
        or_(DistributionVersion.archived_at < v.archived_at,
            and_(DistributionVersion.archived_at == v.archived_at, DistributionVersion.id < v.id)))
        .order_by(DistributionVersion.archived_at.desc(), DistributionVersion.id.desc()).limit(1))


def _change(session, v: DistributionVersion, personal: set[str], names: dict, report: ScrubReport) -> dict | None:
    """`v`'s change as it is written now, or None when it holds no personal name."""
    change = v.change
    found = [n for n in _change_names(change) if isinstance(n, str) and n in personal]
    if not found:
        return None
    report.version_changes += 1
    new_names, old_names = _names(v, names), _names(_previous(session, v), names)
    key = change.get("key")
    if (new_names is not None and old_names is not None
            and change.get("columns_added") == [n for n in new_names if n not in old_names]
            and change.get("columns_removed") == [n for n in old_names if n not in new_names]
            and (key is None or (key in new_names and key in old_names))):
        report.by_position += len(found)  # the two copies the change was made of: its columns by position in them
        return {**change, **compare.columns_changed(old_names, new_names, key)}
    report.redacted += len(found)
    return serving.public_change(change, privileged=False)


def _counts(v: DistributionVersion, personal: set[str], names: dict, report: ScrubReport) -> dict | None:
    """`v`'s counts per column as they are written now, or None when no key is a personal name."""
    counts = v.pii
    found = [n for n in (counts if isinstance(counts, dict) else ()) if n in personal]
    if not found:
        return None
    report.version_pii += 1
    columns = _names(v, names)
    table = SimpleNamespace(header=columns) if columns is not None else None  # what `column_ref` reads of a profile
    located = sum(1 for n in found if isinstance(column_ref(table, n), int))
    report.by_position += located
    report.redacted += len(found) - located
    return keyed_by_position(counts, table)


# --------------------------------------------------------------------------- checks kept with datasets


def _previews(check: Any) -> list[dict]:
    result = check.get("result") if isinstance(check, dict) else None
    previews = result.get("preview") if isinstance(result, dict) else None
    return [p for p in previews if isinstance(p, dict) and isinstance(p.get("header"), list)] \
        if isinstance(previews, list) else []


def _checks(session, report: ScrubReport, batch: int) -> None:
    last = ""
    while True:
        rows = session.execute(select(Dataset.id, Dataset.prepublication_check)
                               .where(Dataset.id > last, Dataset.prepublication_check.is_not(None))
                               .order_by(Dataset.id).limit(batch)).all()
        if not rows:
            return
        last = rows[-1][0]
        personal = _personal(h for _, check in rows for p in _previews(check) for h in p["header"])
        for dataset_id, check in rows:
            found = sum(1 for p in _previews(check) for h in p["header"] if h in personal)
            if not found:
                continue
            report.checks += 1
            report.redacted += found
            if report.dry_run:
                continue
            kept = copy.deepcopy(check)
            for p in _previews(kept):
                p["header"] = preview_header([str(h) for h in p["header"]])
            set_kept_check(session, dataset_id, kept)
        if not report.dry_run:
            session.commit()


# --------------------------------------------------------------------------- the audit log's dictionary edits


def _edits(event: AuditEvent) -> dict | None:
    edits = (event.detail or {}).get("edits") if isinstance(event.detail, dict) else None
    return edits if isinstance(edits, dict) else None


def _dictionary_edits(session, report: ScrubReport, batch: int) -> None:
    last = 0
    while True:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.id > last,
                                                        AuditEvent.action.in_(DICTIONARY_ACTIONS))
                               .order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            return
        last = rows[-1].id

        def columns(edits: dict) -> list[str]:
            return [n for side in ("before", "after") if isinstance(edits.get(side), dict) for n in edits[side]]

        personal = _personal(n for e in rows if _edits(e) for n in columns(_edits(e)))
        for event in rows:
            edits = _edits(event)
            found = [n for n in columns(edits) if n in personal] if edits else []
            if not found:
                continue
            report.dictionary_edits += 1
            report.redacted += len(found)
            if not report.dry_run:
                set_audit_detail(event, {**event.detail, "edits": {**edits, **audited_edits(
                    edits.get("before"), edits.get("after"), None)}})
        if not report.dry_run:
            session.commit()


__all__ = ["ScrubReport", "scrub"]
