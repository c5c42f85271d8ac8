"""`opendata pii scrub`: what was kept of personal column names before they were said by position, rewritten as it
is written now.

A file without a header row has its first row read as its column names, so a citizen's ID number or phone number is
the name of a column. Such a name is kept only where the serving gate needs it (a distribution's facts and data
dictionary, which it matches to the table's columns); elsewhere it is written by position or ``[redacted]``:

- a version's change (`DistributionVersion.change`: columns added and removed, the rows' key) by the column's
  position in the copy that has it (`quality.tabular.compare.columns_changed`);
- a version's counts per column (`DistributionVersion.pii`) keyed ``#2`` (`quality.findings.keyed_by_position`);
- the quality findings of an assessment (`Assessment.findings`) and of the check kept with a dataset (its findings,
  its assessment's and its personal-data findings) by the column's position (`quality.findings.column_ref`: a pii
  finding's ``column_position``, type-error's ``columns`` and duplicate-header's ``labels`` lists, ``by_column``
  keyed ``#2``), their English message and fix made again from that evidence;
- the check kept with a dataset (`datasets.prepublication_check`): its preview's header ``[redacted]``
  (`check.preview_header`);
- an audit entry of a dictionary edit: its edits keyed by position (`distributions.audited_edits`).

Rows written before (2026-12-07) still hold the names. `scrub` goes through them in batches (each committed) and
rewrites each name with those same functions: a change by position when the two copies, read again
(`compare.table_names`), give the columns the change lists, else ``[redacted]`` as the public is shown it
(`serving.public_change`: a copy no longer readable, a version between them pruned); counts per column by position in
their own copy, ``[redacted]`` when it cannot be read; a finding by position in the copy its assessment or check read
(the sha256 its ``distributions`` name, read again as the version kept of it: `quality.findings.said_by_position`),
``[redacted]`` when that copy cannot be read; an audit entry's edits ``[redacted]`` (the dictionary of that
moment, which a position would be of, is not kept). Only a row that holds such a name is written, so a second run
writes nothing; `dry_run` counts and writes nothing; a run is audited once (`pii.scrub`, with its counts). It is a
command and not a migration because migrations may not import quality/ (docs/architecture.md).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
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
from catalog_schema.models import Assessment, AuditEvent, Dataset, Distribution, DistributionVersion
from catalog_schema.store import (
    add_audit_event,
    set_assessment_findings,
    set_audit_detail,
    set_kept_check,
    set_version_columns,
)
from quality import pii
from quality.findings import COLUMN_LISTS, column_ref, keyed_by_position, said_by_position
from quality.tabular import compare

BATCH = 500
CHANGE_LISTS = ("columns_added", "columns_removed")


@dataclass
class ScrubReport:
    dry_run: bool
    version_changes: int = 0  # versions whose change was rewritten (or would be)
    version_pii: int = 0  # versions whose counts per column were
    assessments: int = 0  # assessments whose findings were
    checks: int = 0  # datasets whose kept check was (its preview's header, its findings)
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
    copies = _Copies()  # each copy a rewritten finding was made of, read once in the run (many assessments share one)
    _assessments(actor.session, report, batch, copies)
    _checks(actor.session, report, batch, copies)
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


# --------------------------------------------------------------------------- findings: assessments and kept checks


def _finding_names(finding: Any) -> list[str]:
    """The texts a kept finding may name a column by (what `said_by_position` rewrites): its evidence's `column`, the
    items of its `columns` and `labels` (lists, or texts joined by ", " in older findings), its `by_column` keys."""
    evidence = finding.get("evidence") if isinstance(finding, dict) else None
    if not isinstance(evidence, dict):
        return []
    texts = [evidence.get("column")]
    for key in COLUMN_LISTS:
        value = evidence.get(key)
        texts += value.split(", ") if isinstance(value, str) else value if isinstance(value, list) else []
    if isinstance(evidence.get("by_column"), dict):
        texts += list(evidence["by_column"])
    return [t for t in texts if isinstance(t, str)]


def _sha256s(distributions: Any) -> dict[str, str]:
    """The copy (sha256) of each distribution an assessment read, by the distribution's id (its `distributions`)."""
    return {d["id"]: d["sha256"] for d in distributions if isinstance(d, dict) and d.get("id") and d.get("sha256")} \
        if isinstance(distributions, list) else {}


@dataclass
class _Copies:
    """What a run read of the archived copies findings were made of: column names by (path, format, encoding), as
    `_names` keeps them, and the table `column_ref` is given by (distribution id, sha256)."""

    names: dict[tuple, list[str] | None] = field(default_factory=dict)
    tables: dict[tuple, Any] = field(default_factory=dict)


def _table(session, distribution: Any, sha256: str | None, copies: _Copies) -> Any:
    """The copy `sha256` of a distribution as `column_ref` reads a profile (its column names, as the comparison reads
    them: `compare.table_names`), from the version kept of it, else the distribution's current copy when it is that
    one; None when it is not known or cannot be read."""
    if not isinstance(distribution, str) or not sha256:
        return None
    key = (distribution, sha256)
    tables = copies.tables
    if key not in tables:
        v = session.scalar(select(DistributionVersion).where(DistributionVersion.distribution_id == distribution,
                                                             DistributionVersion.sha256 == sha256))
        if v is None:
            row = session.get(Distribution, distribution)
            v = SimpleNamespace(path=row.archive_path, format=(row.detected_format or "").lower() or None,
                                encoding=row.detected_encoding) if row is not None and row.archive_hash == sha256 \
                else None
        columns = _names(v, copies.names)
        tables[key] = SimpleNamespace(header=columns) if columns is not None else None
    return tables[key]


def _said(session, findings: Any, sha256s: dict[str, str], personal: set[str], copies: _Copies,
          ) -> tuple[list | None, list[str | int]]:
    """`findings` as the rules write them now (`said_by_position`, each in the copy its distribution's assessment
    read), and how each personal name is said now; (None, []) when none names a column by personal data."""
    if not isinstance(findings, list) or not any(n in personal for f in findings for n in _finding_names(f)):
        return None, []
    out, said = [], []
    for finding in findings:
        if not any(n in personal for n in _finding_names(finding)):
            out.append(finding)
            continue
        dist = finding.get("distribution")
        new, names = said_by_position(finding, _table(session, dist, sha256s.get(dist), copies))
        out.append(new)
        said += names
    return (out, said) if said else (None, [])


def _count(report: ScrubReport, said: list[str | int]) -> None:
    located = sum(1 for ref in said if isinstance(ref, int))
    report.by_position += located
    report.redacted += len(said) - located


def _assessments(session, report: ScrubReport, batch: int, copies: _Copies) -> None:
    last = 0
    while True:
        rows = session.execute(select(Assessment.id, Assessment.distributions, Assessment.findings)
                               .where(Assessment.id > last).order_by(Assessment.id).limit(batch)).all()
        if not rows:
            return
        last = rows[-1][0]
        personal = _personal(n for _, _, findings in rows if isinstance(findings, list)
                             for f in findings for n in _finding_names(f))
        for assessment_id, distributions, findings in rows:
            new, said = _said(session, findings, _sha256s(distributions), personal, copies)
            if new is None:
                continue
            report.assessments += 1
            _count(report, said)
            if not report.dry_run:
                set_assessment_findings(session, assessment_id, new)
        if not report.dry_run:
            session.commit()


def _previews(check: Any) -> list[dict]:
    result = check.get("result") if isinstance(check, dict) else None
    previews = result.get("preview") if isinstance(result, dict) else None
    return [p for p in previews if isinstance(p, dict) and isinstance(p.get("header"), list)] \
        if isinstance(previews, list) else []


#: Where a kept check holds findings (app.services.check.prepublication_check), the assessment's own first: the
#: others are copies of its findings, whose names are counted once.
CHECK_FINDINGS = (("assessment", "findings"), ("findings",), ("pii",))


def _findings_of(check: Any) -> list[tuple[dict, str]]:
    """(the dict, its key) of each list of findings a kept check holds, in `CHECK_FINDINGS` order."""
    out = []
    for path in CHECK_FINDINGS:
        holder = check.get("result") if isinstance(check, dict) else None
        for step in path[:-1]:
            holder = holder.get(step) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and isinstance(holder.get(path[-1]), list):
            out.append((holder, path[-1]))
    return out


def _checks(session, report: ScrubReport, batch: int, copies: _Copies) -> None:
    last = ""
    while True:
        rows = session.execute(select(Dataset.id, Dataset.prepublication_check)
                               .where(Dataset.id > last, Dataset.prepublication_check.is_not(None))
                               .order_by(Dataset.id).limit(batch)).all()
        if not rows:
            return
        last = rows[-1][0]
        personal = _personal([*(h for _, check in rows for p in _previews(check) for h in p["header"]),
                              *(n for _, check in rows for holder, key in _findings_of(check)
                                for f in holder[key] for n in _finding_names(f))])
        for dataset_id, check in rows:
            found = sum(1 for p in _previews(check) for h in p["header"] if h in personal)
            named = any(n in personal for holder, key in _findings_of(check) for f in holder[key]
                        for n in _finding_names(f))
            if not found and not named:
                continue
            report.checks += 1
            report.redacted += found
            kept = copy.deepcopy(check)
            assessment = kept["result"].get("assessment")
            sha256s = _sha256s(assessment.get("distributions") if isinstance(assessment, dict) else None)
            counted = False
            for holder, key in _findings_of(kept):
                new, said = _said(session, holder[key], sha256s, personal, copies)
                if new is not None:
                    holder[key] = new
                    if not counted:  # the first list's names: the others are copies of its findings
                        _count(report, said)
                        counted = True
            if report.dry_run:
                continue
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
