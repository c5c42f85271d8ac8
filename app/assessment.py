"""Assessment runs: wire the catalog, the guarded HTTP session and the quality engine.

`assess_datasets` checks the links of a batch of datasets, archives the files,
assesses each dataset, keeps an Assessment row per dataset per run (history),
and denormalises stars and score onto the dataset for search facets. Chunks of
ids are independent and idempotent, so many workers can share a big run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import object_session, selectinload

from app.datastore import load as datastore
from app.datastore import whole as whole_scan
from app.services import serving
from catalog_schema import dictionary, series, vocab
from catalog_schema.models import Assessment, Dataset, Distribution, HarvestRecord, Publisher, utcnow
from catalog_schema.store import (
    add_assessments,
    add_audit_event,
    record_version,
    set_evidence,
    set_file_extent,
    set_inferred_dictionary,
    set_pii_facts,
    set_unreadable,
    set_version_stars,
    to_record,
    versions_of,
)
from plumbing import heap
from plumbing.textencoding import DETECTOR_VERSION
from quality import assess as assess_mod
from quality import catalog as catalog_checks
from quality import facts_cache, geojson, tabular
from quality.fetch import CheckResult, Previous, check_many
from quality.findings import keyed_by_position
from quality.tabular import compare as tabular_compare
from quality.tabular import csvfile

log = logging.getLogger(__name__)


def previous_evidence(row: Distribution) -> Previous:
    return Previous(etag=row.etag, last_modified=row.last_modified_header, archive_path=row.archive_path,
                    archive_hash=row.archive_hash, archive_size=row.archive_size, media_type=row.detected_media_type,
                    first_failure=row.first_failure, last_success=row.last_success,
                    failure_count=row.failure_count or 0, truncated=bool(row.archive_truncated))


def store_check(row: Distribution, check: CheckResult) -> None:
    """Keep what a link check found on the distribution (the archive copy when the file was reached)."""
    evidence = dict(check_status=check.status, http_status=check.http_status, check_error=check.error,
                    final_url=check.final_url, last_checked=check.checked_at,
                    first_failure=check.first_failure, last_success=check.last_success,
                    failure_count=check.failure_count)
    if check.reachable:  # what the file is describes the archived copy, which a failed check keeps
        evidence.update(archive_path=check.path, archive_hash=check.sha256, archive_size=check.size,
                        etag=check.etag, last_modified_header=check.last_modified,
                        detected_media_type=check.media_type)
        if check.status == "ok":  # a new copy (a 304 keeps the copy, and what was known of it)
            evidence["archive_truncated"] = bool(check.truncated)
    set_evidence(row, **evidence)


#: Which datasets an assessment scores: a series has no files of its own (its parts are scored), and scored as a
#: dataset it was a 0-star one that pulled its publisher's league figures down.
ASSESSED = Dataset.kind != series.SERIES


def assess_datasets(rt, dataset_ids: Iterable[str], *, now: dt.datetime | None = None,
                    check_links: bool = True) -> list[dict[str, Any]]:
    """Assess the given datasets (a series among them is left out: `ASSESSED`); returns their assessment
    documents."""
    with tabular.tables_kept():  # a changed table read to compare it with the version before is loaded from memory
        return _assess_datasets(rt, dataset_ids, now=now, check_links=check_links)


def _assess_datasets(rt, dataset_ids: Iterable[str], *, now: dt.datetime | None, check_links: bool
                     ) -> list[dict[str, Any]]:
    now = now or utcnow()
    ids = list(dataset_ids)
    out = []
    store_root = datastore.root_of(rt.settings)
    with rt.sessionmaker() as session:
        datasets = session.scalars(select(Dataset).where(Dataset.id.in_(ids), ASSESSED)
                                   .options(selectinload(Dataset.distributions), selectinload(Dataset.publisher))
                                   ).all()
        rows: dict[str, Distribution] = {}
        copies_before: dict[str, str | None] = {}
        paths_before: dict[str, str | None] = {}
        encodings_before: dict[str, tuple[str | None, int | None]] = {}
        items = []
        for ds in datasets:
            for row in ds.distributions:
                rows[row.id] = row
                copies_before[row.id] = row.archive_hash
                paths_before[row.id] = row.archive_path
                encodings_before[row.id] = (row.detected_encoding, row.encoding_detector)
                if (row.extras or {}).get("upload"):  # an uploaded file: its archived copy is the evidence
                    continue
                items.append((row.id, row.download_url or row.access_url, previous_evidence(row)))
        checks: dict[str, CheckResult] = {}
        if check_links and items:
            checks = check_many(rt.http(), items, rt.settings["ARCHIVE_DIR"],
                                max_bytes=rt.settings["MAX_DOWNLOAD_BYTES"])
        for key, check in checks.items():
            store_check(rows[key], check)
            before = copies_before[key]
            if check.sha256 and check.path and before and before != check.sha256 and paths_before[key]:
                # a new version: read with its version before's layout when it kept it (csvfile.layout_after)
                csvfile.follow_layouts(check.path, paths_before[key],
                                       facts_cache.load_scan(rt.settings["ARCHIVE_DIR"], before))
        # the kept versions of this batch's current copies, in one query (not one per file)
        known = versions_of(session, list(rows.values()), {r.archive_hash for r in rows.values() if r.archive_hash})
        # the encoding each current copy was archived, and so loaded into the row store, with (before this run)
        kept_encodings = {row_id: v.encoding for (row_id, sha), v in known.items() if sha == copies_before[row_id]}
        for ds in datasets:
            record = to_record(ds)
            for dist in record["distributions"]:
                dist["id"] = dist["catalog_id"]  # assess by the catalog's own distribution ids
            dist_checks = {row.id: checks[row.id] for row in ds.distributions if row.id in checks}
            for row in ds.distributions:  # not re-checked now: use the stored evidence
                if row.id not in dist_checks and row.check_status:
                    dist_checks[row.id] = stored_check(row)
            facts = assess_mod.collect_facts(record, dist_checks, cache_dir=rt.settings["ARCHIVE_DIR"],
                                             whole=whole_scan.scanner(store_root))
            record_pii_facts(ds.distributions, facts, now=now, known=known, archive_dir=rt.settings["ARCHIVE_DIR"],
                             store_root=store_root)
            record_file_extents(ds.distributions, facts)
            doc = assess_mod.assess(record, facts, now=now)
            for row in ds.distributions:
                match = next((d for d in doc["distributions"] if d["id"] == row.id), None)
                if match:
                    check = dist_checks.get(row.id)
                    if check is not None and not check.reachable:
                        # a broken link: the file's stars now, but its archived copy is what it was (its format,
                        # its version's stars: a copy of 3 stars read 0 in its history, data.csv answered "not a
                        # table")
                        set_evidence(row, stars=match["stars"])
                        continue
                    set_evidence(row, stars=match["stars"], detected_format=match["detected_format"],
                                 detected_encoding=match["encoding"], encoding_detector=DETECTOR_VERSION)
                    set_version_stars(session, row, known)
            out.append(doc)
        add_assessments(session, list(zip(datasets, out, strict=True)), at=now)  # one INSERT for the batch
        # the copies new in this run, and any the store lacks (a copy that did not change was loaded when it was new:
        # reading its table's footer to know it was cost an unchanged dataset's re-check a tenth of its CPU)
        tables = [datastore.Source.of(row) for ds in datasets for row in ds.distributions
                  if datastore.loadable(row) and (row.archive_hash != copies_before[row.id]
                                                  or not datastore.present(store_root, datastore.key_of(row)))]
        # the copies new in this run, for the whole-file scan the doors that hand out a file itself read
        new_copies = [datastore.Source.of(row) for ds in datasets for row in ds.distributions
                      if row.archive_hash and row.archive_path and row.archive_hash != copies_before[row.id]]
        rereads = read_again(session, datasets, store_root, copies_before, encodings_before, kept_encodings)
        session.commit()
    datastore.load_all(store_root, tables)  # the row store, after the commit: it may be slow
    if rereads:
        for src in rereads:  # its whole-file scan was read in the old encoding too: made again below
            whole_scan.path_of(store_root, src.sha256).unlink(missing_ok=True)
        datastore.load_all(store_root, rereads, force=True)
        new_copies += rereads
    # The copies read above were scanned whole for their findings (collect_facts `whole`, kept in the store); this
    # makes the scan of any other new copy here, not on its first download: it reads every sheet, member and line
    # (about a profile's time again: 1.7 s for a 16 MB CSV), which a request for a big file would wait on.
    whole_scan.warm(store_root, new_copies)
    heap.settle()  # after a process's first batch: later collections skip its modules (plumbing/heap.py)
    return out


def read_again(session, datasets, store_root, copies_before: dict[str, str | None],
               encodings_before: dict[str, tuple[str | None, int | None]],
               kept_encodings: dict[str, str | None]) -> list[datastore.Source]:
    """The stored tables of unchanged copies to read again because the encoding they were read with is no longer the
    one decided for them: each table whose encoding this run decided with a newer detector (`DETECTOR_VERSION`) or
    decided differently, when its stored table was read in another (`datastore.stale_encoding`; one set by hand,
    declared by its source, only for another declared encoding). Each is recorded in the audit log
    (``datastore.reread``, on its dataset). When the encoding is the same, nothing is read: the distribution's
    `encoding_detector` alone moved on. A new copy, or one the store lacks, is loaded anyway; a copy whose check
    failed this run was not decided again."""
    out = []
    for ds in datasets:
        for row in ds.distributions:
            if (not datastore.loadable(row) or row.archive_hash != copies_before[row.id]
                    or row.encoding_detector != DETECTOR_VERSION
                    or encodings_before[row.id] == (row.detected_encoding, DETECTOR_VERSION)):
                continue
            found = datastore.lookup(store_root, datastore.key_of(row))
            if found is None:
                continue
            stale, was = datastore.stale_encoding(found, row.detected_encoding, kept_encodings.get(row.id),
                                                  by_hand=datastore.declared(row))
            if not stale:
                continue
            out.append(datastore.Source.of(row))
            add_audit_event(session, user_id=None, action="datastore.reread", object_type="dataset", object_id=ds.id,
                            publisher_id=ds.publisher_id, before=None, after=None,
                            detail={"via": "recheck", "name": ds.slug, "distribution": row.id,
                                    "sha256": row.archive_hash, "from": was, "to": row.detected_encoding,
                                    "detector": DETECTOR_VERSION})
            log.info("datastore: %s was read as %s, now %s: read again", datastore.key_of(row), was,
                     row.detected_encoding)
    return out


def record_pii_facts(rows: Iterable[Distribution], facts: dict[str, Any], *, now: dt.datetime,
                     known: dict | None = None, archive_dir: str | None = None, store_root=None) -> None:
    """Keep on each distribution what the profile of its archived copy found: `Distribution.pii` (read by the
    serving gate, app.services.serving) and the inferred data dictionary (`Distribution.dictionary`).
    `facts` is `quality.assess.collect_facts`'s answer, keyed by
    distribution id. A table's facts are its profile's per-column counts; an archived file that is not a
    table (a PDF, an image) is recorded as scanned with nothing tabular to hold personal data. A table that
    could not be read (or an encrypted one), or a file of no known format, is recorded as unreadable
    (`set_unreadable`): the gate serves it to nobody but its editors, saying why, until a copy that reads comes."""
    checked_at = (now if now.tzinfo else now.replace(tzinfo=dt.UTC)).isoformat()
    for row in rows:
        fact = facts.get(row.id)
        if fact is None or fact.sniffed is None or fact.check is None or not fact.check.sha256:
            continue
        if fact.profile is not None:
            set_pii_facts(row, sha256=fact.check.sha256, columns=dict(fact.profile.pii or {}), checked_at=checked_at)
            set_inferred_dictionary(row, sha256=fact.check.sha256,
                                    inferred=dictionary.infer(_dictionary_facts(fact.profile)))
        else:
            fmt = vocab.format_by_code(fact.sniffed.format) if fact.sniffed.format else None
            if fmt is not None and assess_mod.profiled_format(fact.sniffed) is None:  # a ZIP of a table is one
                set_pii_facts(row, sha256=fact.check.sha256, columns={}, checked_at=checked_at)
                # no table: no columns to describe (a file that went from CSV to Turtle kept the CSV's dictionary on
                # its page and in schema.json); the agency's edits stay, for a table that comes back
                set_inferred_dictionary(row, sha256=fact.check.sha256, inferred={})
            elif (fact.parse_error or fact.profile_error or fmt is None) and not fact.transient:
                # read and failed, or of no format anything here reads (a 7z, a blob): it will never be scanned, and
                # the gate says so (it said "checked within minutes of publication", which never came)
                set_unreadable(row, sha256=fact.check.sha256, checked_at=checked_at)
        _keep_version(row, fact, now, known, archive_dir, store_root)


def _dictionary_facts(profile: Any) -> dict[str, Any]:
    """What `dictionary.infer` reads of a profile, without `to_dict`'s deep copy of all of it (samples and
    per-column counts: about a millisecond a table, on every re-check of every table)."""
    return {"notes_above": profile.notes_above, "notes_below": profile.notes_below,
            "inferred_types": profile.inferred_types}


def record_file_extents(rows: Iterable[Distribution], facts: dict[str, Any]) -> None:
    """The extent of each archived GeoJSON copy (quality/geojson.py), and so the dataset's box when it has no
    other (catalog_schema/places.py `effective_bbox`); a copy that is no longer GeoJSON loses its extent."""
    for row in rows:
        fact = facts.get(row.id)
        if fact is None or fact.sniffed is None or fact.check is None or not fact.check.sha256:
            continue
        if (row.extent or {}).get("sha256") == fact.check.sha256:
            continue
        summary = None
        if (fact.sniffed.format or "").upper() == "GEOJSON" and fact.check.path:
            summary = geojson.summarise(fact.check.path)
        set_file_extent(row, {"sha256": fact.check.sha256, **summary} if summary else None)


def _keep_version(row: Distribution, fact: Any, now: dt.datetime, known: dict | None = None,
                  archive_dir: str | None = None, store_root=None) -> None:
    """Every archived copy is a version of the distribution, with what its profile found and how its rows
    changed from the copy before (tables only).

    With `archive_dir`, the CSV scan of a copy read in this process (header, notes rows, delimiter: what its
    profile found; a copy whose facts were kept was not read, and writes nothing) is kept beside its facts,
    and the version before's kept scan is read back before the two are compared, instead of scanning that
    copy again (a missing or foreign one: it is scanned). With `store_root`, the row store's digest of the
    version before (written when it was loaded) stands in for reading it at all."""
    session = object_session(row)
    if session is None or not fact.check.path:
        return
    scanned = row.pii if isinstance(row.pii, dict) and row.pii.get("sha256") == fact.check.sha256 else None
    this = {"path": fact.check.path, "format": (fact.sniffed.format or "").lower() or None,
            "encoding": fact.sniffed.encoding}

    def change(previous) -> dict | None:
        if fact.profile is None or not previous.path or previous.pii is None:
            return None
        digest = datastore.digest_path(store_root, previous.sha256) if store_root and previous.sha256 else None
        if archive_dir and previous.sha256 and not (digest and digest.exists()):  # it will be read: its scan
            csvfile.seed_layouts(previous.path, facts_cache.load_scan(archive_dir, previous.sha256))
        keep = datastore.digest_path(store_root, fact.check.sha256) if digest else None  # the load then reads it
        return tabular_compare.compare({"path": previous.path, "format": previous.format,
                                        "encoding": previous.encoding, "digest": digest},
                                       {**this, "keep_digest": keep})

    _, new = record_version(session, row, sha256=fact.check.sha256, path=fact.check.path, size=fact.check.size,
                            format=this["format"], encoding=this["encoding"],
                            pii=keyed_by_position(scanned.get("columns"), fact.profile) if scanned else None,
                            archived_at=now, change=change, known=known)
    if archive_dir:  # read in this process (profiled, compared): its scan kept, unless it is kept already
        layouts = csvfile.kept_layouts(fact.check.path)
        if layouts and (new or not facts_cache.has_scan(archive_dir, fact.check.sha256)):
            facts_cache.save_scan(archive_dir, fact.check.sha256, layouts)


def stored_check(row: Distribution) -> CheckResult:
    return CheckResult(url=row.download_url or row.access_url or "", status=row.check_status,
                       checked_at=row.last_checked or utcnow(), final_url=row.final_url, http_status=row.http_status,
                       error=row.check_error, media_type=row.detected_media_type, size=row.archive_size,
                       sha256=row.archive_hash, path=row.archive_path, truncated=bool(row.archive_truncated),
                       etag=row.etag,
                       last_modified=row.last_modified_header, first_failure=row.first_failure,
                       last_success=row.last_success, failure_count=row.failure_count or 0)


def run_catalog_checks(rt, *, batch: int = 1000) -> dict[str, list[dict]]:
    """Duplicate datasets and fragmented series across the catalog, added to the latest assessments.

    Reads only what the checks need (id, slug, title, publisher, archived file hashes), streamed as plain
    rows rather than loaded as ORM objects, so memory is a few hundred bytes per dataset (the run after an
    assessment of 200 datasets in a 30,000-dataset catalog held 2.7 GB before). The latest assessment of
    each dataset is read in batches, and written only when its catalog findings changed. (A dataset whose duplicate is
    withdrawn keeps the finding until it is assessed again: finding it would mean reading every
    assessment's findings.)"""
    with rt.sessionmaker() as session:
        pub_slug = dict(session.execute(select(Publisher.id, Publisher.slug)).all())
        hashes: dict[str, list[str]] = {}
        for ds_id, digest in session.execute(
                select(Distribution.dataset_id, Distribution.archive_hash)
                .join(Dataset, Dataset.id == Distribution.dataset_id)
                .where(Dataset.state == "active", Distribution.archive_hash.is_not(None))
                .execution_options(yield_per=5000)):
            hashes.setdefault(ds_id, []).append(digest)
        in_series = series.member_ids(session)
        entries = [catalog_checks.Entry(id=ds_id, slug=slug, title=dict(title or {}),
                                        publisher=pub_slug.get(publisher_id), hashes=hashes.get(ds_id, []),
                                        in_series=ds_id in in_series or kind == series.SERIES)
                   for ds_id, slug, title, publisher_id, kind in session.execute(
                       select(Dataset.id, Dataset.slug, Dataset.title, Dataset.publisher_id, Dataset.kind)
                       .where(Dataset.state == "active").execution_options(yield_per=5000))]
        del in_series
        del hashes
        by_dataset = catalog_checks.catalog_findings(entries)
        del entries
        found = {}
        for ds_id in list(by_dataset):  # each finding as a dict, dropping its object at once (not both at the end)
            found[ds_id] = [f.to_dict() for f in by_dataset.pop(ds_id)]
        for part in _batches(sorted(found), batch):
            # the findings of each latest assessment, not the whole rows (their scores, documents and
            # distributions are not read here), and one UPDATE for the ones whose catalog findings changed
            changed = []
            for assessment_id, dataset_id, before in session.execute(_latest_findings(part)):
                kept = [f for f in before or [] if f["type"] not in catalog_checks.SLUGS]
                findings = kept + found.get(dataset_id, [])
                if findings != (before or []):
                    changed.append({"id": assessment_id, "findings": findings})
            if changed:
                session.execute(update(Assessment), changed)
        session.commit()
        return found


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def latest_assessments(session, dataset_ids: list[str]) -> list[Assessment]:
    """The latest assessment of each of these datasets, in one query (a window over their history)."""
    if not dataset_ids:
        return []
    latest = latest_ids(dataset_ids)
    return list(session.scalars(select(Assessment).join(latest, latest.c.id == Assessment.id)))


def latest_ids(dataset_ids):
    """The id of each dataset's latest assessment (the highest id wins a tie) as a subquery: a window over the
    datasets' history. `dataset_ids`: a list, or a condition on Assessment.dataset_id (a statement built once:
    catalog_schema.rowviews.ids_in)."""
    rank = func.row_number().over(partition_by=Assessment.dataset_id,
                                  order_by=(Assessment.assessed_at.desc(), Assessment.id.desc())).label("rank")
    which = dataset_ids if isinstance(dataset_ids, ColumnElement) else Assessment.dataset_id.in_(dataset_ids)
    ranked = select(Assessment.id, rank).where(which).subquery()
    return select(ranked.c.id).where(ranked.c.rank == 1).subquery()


def _latest_findings(dataset_ids: list[str]):
    """(assessment id, dataset id, findings) of each dataset's latest assessment."""
    latest = latest_ids(dataset_ids)
    return select(Assessment.id, Assessment.dataset_id, Assessment.findings).join(latest, latest.c.id == Assessment.id)


def latest_findings(session, dataset_ids: list[str]) -> dict[str, tuple[list[dict], str]]:
    """Dataset id -> the findings of its latest assessment and the rule set's version it was made under, for these
    datasets, in one statement (the findings only, not the rows' documents): what a page that lists datasets asks
    before promoting one (app.services.serving.exposed_personal_data)."""
    if not dataset_ids:
        return {}
    latest = latest_ids(list(dataset_ids))
    stmt = (select(Assessment.dataset_id, Assessment.findings, Assessment.rule_version)
            .join(latest, latest.c.id == Assessment.id))
    return {dataset_id: (list(findings or []), rule_version)
            for dataset_id, findings, rule_version in session.execute(stmt)}


def changed_dataset_ids(rt, since_job_id: int | None = None) -> list[str]:
    """Datasets never assessed, and those added, updated or restored by harvests since a job, or (no job given)
    changed since their latest assessment: `assess --changed` took every record any harvest ever added, and
    re-assessed the whole harvested catalog on every run."""
    with rt.sessionmaker() as session:
        never = select(Dataset.id).where(Dataset.state == "active", Dataset.stars.is_(None), ASSESSED)
        ids = set(session.scalars(never))
        if since_job_id is not None:
            stmt = select(HarvestRecord.dataset_id).where(HarvestRecord.status.in_(("added", "updated", "restored")),
                                                          HarvestRecord.job_id >= since_job_id)
            ids |= {i for i in session.scalars(stmt) if i}
        else:
            last = (select(Assessment.dataset_id, func.max(Assessment.assessed_at).label("at"))
                    .group_by(Assessment.dataset_id).subquery())
            stmt = (select(Dataset.id).join(last, last.c.dataset_id == Dataset.id)
                    .where(Dataset.state == "active", ASSESSED, Dataset.modified_at > last.c.at))
            ids |= set(session.scalars(stmt))
    return sorted(ids)


def latest_assessment(session, dataset_id: str) -> Assessment | None:
    return session.scalar(select(Assessment).where(Assessment.dataset_id == dataset_id)
                          .order_by(Assessment.assessed_at.desc(), Assessment.id.desc()).limit(1))


def assessment_document(ds: Dataset, a: Assessment) -> dict[str, Any]:
    """The public JSON of an assessment (README.md, "Command line"; docs/api.md): the /api/v1 quality and the dataset
    page say it. Its findings as the gate lets them out (`serving.public_findings`: no column named by personal
    data, in findings stored before the rules said such a column by its position)."""
    data = dict(a.data or {})
    meta = data.pop("metadata", {"points": a.metadata_points, "max": 405, "rating": a.metadata_rating})
    timeliness = data.pop("timeliness", None)
    pii = data.pop("pii", False)
    at = a.assessed_at if a.assessed_at.tzinfo else a.assessed_at.replace(tzinfo=dt.UTC)  # SQLite drops the zone
    return {"dataset": ds.slug, "assessed_at": at.isoformat(), "rule_version": a.rule_version,
            "stars": a.stars, "score": a.score, "subscores": a.subscores, "metadata": meta,
            "distributions": a.distributions, "data": data, "timeliness": timeliness, "pii": pii,
            "findings": serving.public_findings(a.findings)}


def personal_data(session, latest: list[tuple[Any, Assessment]], publisher_id: int | None = None, *,
                  store_root=None) -> dict[str, list[str]]:
    """Dataset id -> kinds of personal data its current files hold that no override covers, over `latest` (the
    (dataset, latest assessment) pairs of active datasets, of one publisher when `publisher_id` says; the dataset a
    row with `id` and `extras` will do): the kinds of `personal_data_places`. The one answer the league table's
    count, the dashboard's datasets to fix first, the weekly report's personal-data findings and the home page
    give."""
    places = personal_data_places(session, latest, publisher_id, store_root=store_root)
    return {ds_id: sorted({kind for where in exposed.values() for found in where.values() for kind in found})
            for ds_id, exposed in places.items()}


def personal_data_places(session, latest: list[tuple[Any, Assessment]], publisher_id: int | None = None, *,
                         store_root=None) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """Dataset id -> where its current files hold personal data no override covers (distribution id -> column or
    part -> kind -> cells), for those of `latest` that do (arguments as `personal_data`): the serving gate's reading
    (app.services.serving.exposed_personal_data) of the current copies' facts and of the latest assessment's
    personal-data findings, those outside the table (another sheet, a ZIP member, notes rows) included, and for an
    assessment made under an earlier rule set the findings the rule makes of the whole-file scans kept in the row
    store's folder `store_root` (what the file doors read). One statement (the files' hashes and facts); no file
    read but those kept scans."""
    stmt = (select(Distribution.dataset_id, Distribution.id, Distribution.archive_hash, Distribution.pii,
                   Distribution.detected_format)
            .join(Dataset, Dataset.id == Distribution.dataset_id).where(Dataset.state == "active"))
    if publisher_id is not None:
        stmt = stmt.where(Dataset.publisher_id == publisher_id)
    files: dict[str, list[Any]] = {}
    for row in session.execute(stmt).all():
        files.setdefault(row.dataset_id, []).append(row)
    out: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    for ds, a in latest:
        exposed = serving.exposed_personal_data(ds, a.findings, files.get(ds.id, []), rule_version=a.rule_version,
                                                store=store_root)
        if any(found for where in exposed.values() for found in where.values()):
            out[ds.id] = exposed
    return out


def publisher_table(rt, *, now: dt.datetime | None = None, every: bool = False,
                    store_root=None) -> list[dict[str, Any]]:
    """The league table: per publisher aggregates of the latest assessments, ranked. With `every`, a publisher
    with nothing published (or nothing assessed yet) follows with 0 datasets and no rank, rather than vanishing
    from the table officials read (the dashboard's league and `opendata quality publishers`; the API's
    per-publisher row answers 404 for it instead). `datasets` counts the assessed datasets, which every figure is
    of; `published` the datasets the publisher's page counts (a series is not one), assessed or not. `store_root`:
    the row store's folder, whose kept whole-file scans count for a dataset last assessed under an earlier rule set
    (`personal_data`)."""
    # the datasets each publishes (its page's count; a series is not one), of which `datasets` are assessed: with
    # `every`, a column of the statement that lists the publishers
    published_count = (select(func.count()).select_from(Dataset).where(
        Dataset.publisher_id == Publisher.id, Dataset.state == "active", ASSESSED).correlate(Publisher)
        .scalar_subquery())
    with rt.sessionmaker() as session:
        publishers = session.execute(select(Publisher.slug, Publisher.name, published_count)
                                     .order_by(Publisher.slug)).all() if every else []
        published = {slug: n for slug, _name, n in publishers} if every else dict(session.execute(
            select(Publisher.slug, published_count)).all())
        latest_at = (select(Assessment.dataset_id, func.max(Assessment.assessed_at).label("at"))
                     .group_by(Assessment.dataset_id).subquery())
        rows = session.execute(
            select(Publisher.slug, Publisher.name, Dataset.id, Dataset.extras, Assessment)
            .join(Dataset, Dataset.publisher_id == Publisher.id)
            .join(latest_at, latest_at.c.dataset_id == Dataset.id)
            .join(Assessment, (Assessment.dataset_id == Dataset.id) & (Assessment.assessed_at == latest_at.c.at))
            .where(Dataset.state == "active")
        ).all()
        # as fix-first and the home page decide it
        personal = personal_data(session, [(row, row.Assessment) for row in rows], store_root=store_root)
        history = session.execute(  # oldest first, each naming its dataset: a week counts its last assessment
            # of the datasets published now, as the league's figures (the dashboard's trends count them so)
            select(Publisher.slug, Assessment.assessed_at, Assessment.stars, Assessment.score, Assessment.dataset_id)
            .join(Dataset, Dataset.publisher_id == Publisher.id)
            .join(Assessment, Assessment.dataset_id == Dataset.id)
            .where(Dataset.state == "active")
            .order_by(Assessment.assessed_at, Assessment.id)
        ).all()
    entries = [assess_mod.AggregateInput(publisher=slug, publisher_name=name, dataset_id=ds_id, stars=a.stars,
                                         score=a.score, metadata_points=a.metadata_points,
                                         findings=[f["type"] for f in a.findings or []],
                                         personal_data=ds_id in personal)
               for slug, name, ds_id, _extras, a in rows]
    trend = [tuple(row) for row in history]
    table = assess_mod.publisher_aggregates(entries, trend, now=now or utcnow())
    for row in table:
        row["published"] = max(int(published.get(row["publisher"]) or 0), row["datasets"])
    listed = {r["publisher"] for r in table}
    return table + [{"publisher": slug, "name": name, "published": int(published.get(slug) or 0), "datasets": 0,
                     "stars": [0] * 6, "average_stars": None,
                     "share_3_plus": None, "average_score": None, "average_metadata_points": None,
                     "broken_links": 0, "stale": 0, "pii": 0, "rank": None, "trend": [], "change": None}
                    for slug, name, _published in publishers if slug not in listed]
