"""The pre-publication check: the assessment a dataset gets, computed as the pipeline computes it
(app.assessment.assess_datasets: same record, same evidence, same rules), without storing an Assessment.

Linked files are checked and archived now (their evidence is kept on the distribution rows); uploads use
their archived copy. What the agency sees: stars, score, every finding with its fix, the first rows of
each table (personal data redacted by the profiler) and what blocks publishing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.assessment import previous_evidence, record_pii_facts, store_check, stored_check
from app.datastore import load as datastore
from app.datastore import whole as whole_scan
from app.services import gate
from app.services.base import service
from app.services.uploads import is_upload
from catalog_schema.models import Dataset, utcnow
from catalog_schema.record import pick_text
from catalog_schema.store import set_evidence, to_record
from quality import assess as assess_mod
from quality import pii
from quality.fetch import check_many
from quality.tabular.profiler import REDACTED

PREVIEW_ROWS = 10
#: A preview's columns: a file whose one line held four million cells made the publish page 135 MB (and the check
#: kept with the draft as big); the rest are counted (`columns`), and the data dictionary lists them all.
PREVIEW_COLUMNS = 100


def issued_on_publication(ds: Dataset, now: dt.datetime) -> str | None:
    """The publication date (dct:issued) a draft takes when it is first published, unless its publisher gave one:
    the day it is published (UTC). The portal publishes it, so it knows the date; the check told every agency
    "No publication date" for a date it sets itself. None for a dataset that has one or is no draft (a harvested
    dataset's date is its source's; a withdrawn one was published before, on a day no longer known)."""
    if ds.state != "draft" or ds.issued:
        return None
    return now.date().isoformat()


def compute_assessment(session: Session, ds: Dataset, *, http=None, archive_dir: str | None = None,
                       max_bytes: int | None = None, now: dt.datetime | None = None,
                       store_root=None) -> tuple[dict, dict]:
    """(assessment document, facts per distribution id) of `ds` as it stands. Each archived copy is also scanned
    whole (app/datastore/whole.py: every sheet, member and line), and personal data outside its table is a finding
    as in a column (quality/rules/pii_file.py); with the row store's `store_root` the scan is kept there, where the
    doors that hand out the file itself read it, so they and the finding decide on the same scan."""
    now = now or utcnow()
    rows = {row.id: row for row in ds.distributions}
    linked = [(row.id, row.download_url or row.access_url, previous_evidence(row))
              for row in ds.distributions if not is_upload(row)]
    if linked and http is not None and archive_dir:
        for key, result in check_many(http, linked, archive_dir, max_bytes=max_bytes).items():
            store_check(rows[key], result)
    record = to_record(ds)
    for dist in record["distributions"]:
        dist["id"] = dist["catalog_id"]
    record["issued"] = issued_on_publication(ds, now) or record.get("issued")  # the check is what publishing gets
    checks = {row.id: stored_check(row) for row in ds.distributions if row.check_status}
    facts = assess_mod.collect_facts(record, checks, cache_dir=archive_dir, whole=whole_scan.scanner(store_root))
    record_pii_facts(ds.distributions, facts, now=now, archive_dir=archive_dir)  # what the serving gate reads first
    if store_root is not None:
        whole_scan.warm(store_root, [datastore.Source.of(row) for row in ds.distributions
                                     if row.archive_hash and row.archive_path])
    doc = assess_mod.assess(record, facts, now=now)
    for match in doc["distributions"]:
        row = rows.get(match["id"])
        if row is not None:
            set_evidence(row, detected_format=match["detected_format"] or row.detected_format,
                         detected_encoding=match["encoding"] or row.detected_encoding)
    return doc, facts


def preview(ds: Dataset, facts: dict, rows: int = PREVIEW_ROWS) -> list[dict[str, Any]]:
    """The first rows of each tabular distribution, as the profile read them (decoded, personal data
    redacted): their first PREVIEW_COLUMNS columns, and how many the table has (`columns`). A column name that
    is personal data itself (a file without a header row: a citizen's ID number) is ``[redacted]`` as the cells
    are: the check is kept with the dataset, and personal data is not kept beyond what the serving gate needs."""
    out = []
    for row in ds.distributions:
        profile = getattr(facts.get(row.id), "profile", None)
        if profile is None:
            continue
        out.append({"distribution": row.id, "title": pick_text(row.title) or row.download_url,
                    "format": profile.format.upper(), "encoding": profile.encoding, "rows": profile.rows,
                    "columns": len(profile.header),
                    "header": preview_header([str(h) for h in profile.header[:PREVIEW_COLUMNS]]),
                    "sample": [[str(c) for c in r[:PREVIEW_COLUMNS]] for r in profile.sample[:rows]]})
    return out


def preview_header(names: list[str]) -> list[str]:
    """A preview's column names as the check keeps them: a name that is personal data itself ``[redacted]``, every
    other as it is (also what `opendata pii scrub` makes of a check kept before: app.services.scrub)."""
    named = pii.personal_names(names)
    return [REDACTED if h in named else h for h in names]


def fingerprint(ds: Dataset) -> str:
    """What a check depends on: the record (metadata, files, the publishing decisions in its extras), each
    file's archived bytes, and the rule set's version. The same fingerprint, the same check."""
    rec = to_record(ds)
    for key in ("state", "modified_at"):
        rec.pop(key, None)
    files = [(row.id, row.download_url, row.access_url, row.archive_hash) for row in ds.distributions]
    text = json.dumps([rec, files, assess_mod.RULESET_VERSION], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unchanged(ds: Dataset) -> bool:
    """Whether the check kept with the dataset was made from the dataset and its files as they are now (its
    fingerprint): then the evidence kept on the files is what it read, and a check computed again need fetch none."""
    kept = ds.prepublication_check
    return bool(kept) and kept.get("fingerprint") == fingerprint(ds)


def checked_on(kept: dict[str, Any] | None) -> dt.date | None:
    """The day (UTC) a kept check was made; None when it says no readable time."""
    try:
        at = dt.datetime.fromisoformat(str((kept or {}).get("at")))
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).date()


def of_today(kept: dict[str, Any] | None) -> bool:
    """Whether a kept check was made today (UTC; the catalog has no time zone of its own). Its timeliness finding
    (quality/timeliness.py) judged the dates against the day it was made, and the fingerprint holds no day: a monthly
    draft checked in March and left alone is late in June, so a check of an earlier day is no longer current."""
    return checked_on(kept) == utcnow().astimezone(dt.UTC).date()


def stored(ds: Dataset) -> dict[str, Any] | None:
    """The check kept with the dataset when the dataset and its files are as they were then and it was made today,
    else None."""
    kept = ds.prepublication_check
    if not of_today(kept) or not unchanged(ds):
        return None
    return _as_stored(kept)


def _as_stored(kept: dict[str, Any]) -> dict[str, Any]:
    return {**kept["result"], "checked_at": kept.get("at"), "stored": True}


def last_results(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stars and score of the last check kept with each of these datasets (drafts have no assessment
    yet: this is what their check said), by dataset id; one query. A check made under another rule set
    (`RULESET_VERSION`) is left out rather than shown stale: its fingerprint no longer matches, so it is
    computed again when the draft's check is next viewed. One made on an earlier day says which
    (`checked_on`, an ISO date): its timeliness was judged against that day."""
    if not ids:
        return {}
    rows = session.execute(select(Dataset.id, Dataset.prepublication_check).where(Dataset.id.in_(ids)))
    return {ds_id: {"stars": kept["result"].get("stars"), "score": kept["result"].get("score"),
                    **({} if of_today(kept) else {"checked_on": str(checked_on(kept) or "")})}
            for ds_id, kept in rows if kept and kept.get("result") and _current_rules(kept["result"])}


#: How many kept checks of an earlier day one view of the drafts list computes again (`refresh_dated`). Measured
#: with 50 drafts, each an uploaded CSV (SQLite and PostgreSQL): 2-4 ms and ~5 queries a draft when the files' facts
#: are cached beside the archive (quality.facts_cache), ~20 ms a draft for 1 MB tables read again when they are
#: not, so a view that computes 50 takes 0.1-0.2 s, or about 1 s; the computed ones are current for the rest of the
#: day, so later views read them in the one query of `last_results` again. The rest show the day they were made
#: until a later view or their publish page computes them.
LIST_REFRESH = 50


@service
def refresh_dated(actor, ids: list[str], *, limit: int = LIST_REFRESH) -> int:
    """For the drafts list, of the datasets whose kept check `last_results` says was made on an earlier day (in the
    list's order): the first `limit` whose check was made from the dataset and its files as they are now
    (`unchanged`) have it computed again as their publish page would, from the evidence kept on the files (nothing
    fetched), so the list shows today's stars and score; committed. How many were computed. One whose record or
    files changed since keeps its check of that day (a new link would have to be fetched: its publish page does)."""
    wanted = ids[:limit]
    done = 0
    for ds in actor.session.scalars(select(Dataset).where(Dataset.id.in_(wanted))) if wanted else ():
        if not of_today(ds.prepublication_check) and unchanged(ds):
            compute(actor, ds, fetch=False)
            done += 1
    if done:
        actor.session.commit()
    return done


def _current_rules(result: dict[str, Any]) -> bool:
    return (result.get("assessment") or {}).get("rule_version") == assess_mod.RULESET_VERSION


def _keep(ds: Dataset, result: dict[str, Any], at: dt.datetime) -> None:
    plain = json.loads(json.dumps(result, default=str))
    ds.prepublication_check = {"fingerprint": fingerprint(ds), "at": at.isoformat(), "result": plain}


def prepublication_check(session: Session, ds: Dataset, **kwargs: Any) -> dict[str, Any]:
    """What the agency sees before publishing, and whether publishing is blocked (no files; personal data
    without an override). Kept with the dataset (`stored`) with the fingerprint it was computed from."""
    doc, facts = compute_assessment(session, ds, **kwargs)
    blocking = gate.pii_blocking(ds, doc)
    problems = []
    if not ds.distributions:
        problems.append("no-distributions")
    if blocking:
        problems.append("pii")
    result = {"dataset": ds.slug, "state": ds.state, "stars": doc["stars"], "score": doc["score"],
              "assessment": doc, "findings": doc["findings"], "preview": preview(ds, facts),
              "pii": gate.pii_findings(doc), "pii_override": gate.pii_override(ds), "blocked_by": problems,
              "can_publish": not problems}
    now = kwargs.get("now") or utcnow()
    _keep(ds, result, now)
    return {**result, "checked_at": now.isoformat(), "stored": False}


def compute(actor, ds: Dataset, *, fetch: bool = True) -> dict[str, Any]:
    """Compute the check of `ds` again and keep it (`actor.check`). `fetch` False: the files are as the kept check
    read them (`unchanged`), so their evidence on the rows is read again and nothing is fetched; else the linked
    files are fetched as a new check's are. A step of a service, not one itself: the service commits."""
    kwargs = actor.check_kwargs()
    if not fetch:
        kwargs["http"] = None
    actor.check = prepublication_check(actor.session, ds, **kwargs)
    return actor.check


@service
def run(actor, ds: Dataset, *, again: bool = False) -> dict[str, Any]:
    """The check as a door asks for it (the publish page, GET .../check): the one kept with the dataset while
    the dataset and its files are unchanged (nothing fetched) and it was made today; one made on an earlier day
    from the same dataset and files is computed again from the evidence kept on the files (nothing fetched: its
    timeliness is today's); else a new one, kept with the evidence of the link checks it made (committed).
    `again`: run it even so (a linked file may have changed at its source). On a published dataset, a file the
    check archived anew (it changed at its source) is what the doors serve from then on: the dataset is assessed
    again at once, as after any other new file."""
    if not again and unchanged(ds):
        if of_today(ds.prepublication_check):
            actor.check = _as_stored(ds.prepublication_check)
            return actor.check
        result = compute(actor, ds, fetch=False)
        actor.session.commit()
        return result
    copies = _copies(ds)
    result = compute(actor, ds)
    actor.session.commit()
    if ds.state == "active" and actor.runtime is not None and _copies(ds) != copies:
        actor.runtime.assess([ds.id])
        actor.session.refresh(ds)
    return result


def _copies(ds: Dataset) -> list[tuple[str, str | None]]:
    """Each file of `ds` and the hash of its archived copy."""
    return sorted((row.id, row.archive_hash) for row in ds.distributions)
