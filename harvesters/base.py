"""The harvest job lifecycle: gather -> fetch -> import, with its bookkeeping.

A harvester subclass says how to list a source's records (`gather`), how to get
one (`fetch`, identity for most types) and how to map it to a catalog record
(`to_record`). `run_job` does the rest, the same for every type:

- upsert keyed by (source, remote id); an unchanged content hash writes nothing;
- every remote record is a HarvestRecord row (status, stage, error; an errored one keeps its payload,
  an imported one's is its dataset's source payload, stored there once);
  one bad record is an error row and the job goes on;
- after a *full* gather, datasets of the source that were not seen are withdrawn
  (kept, hidden, restorable), and beside an incremental one those not in `current_ids`, under
  the share guard of `WithdrawPolicy`; a gather that failed, or a full one that listed nothing,
  withdraws nothing (the job fails saying what the source answered);
- records listed in the source's `config["detached"]` are skipped: their publisher took them over;
- each record is committed on its own, so a job killed at any point can be run again
  and ends with the catalog an uninterrupted run gives: nothing lost, nothing doubled;
- the job writes a heartbeat; `fail_dead_jobs` marks jobs whose heartbeat stopped;
- `to_record` sees only the item (and the source's settings): one instance gathers, another maps,
  here as on workers, where the mapping runs in another task.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import socket
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from catalog_schema import harvest_store
from catalog_schema.db import BackgroundCheckpoints
from catalog_schema.models import HarvestJob, HarvestSource
from catalog_schema.record import Record, content_text, filled, validation_errors
from harvesters.messages import N_, Message, as_message, error_detail
from harvesters.readahead import read_ahead
from plumbing import heap, jsontext
from plumbing.interrupts import reraise_interruption

log = logging.getLogger(__name__)

BATCH = 100  # records a batch task imports on workers (harvesters/distributed.py): a job spreads over them
#: Records one process imports per transaction (run_job). Each transaction has costs of its own whatever its size
#: (what the catalog holds of the batch read back, one statement per table, the change log, the commit writing the
#: same index pages again): 500 a transaction harvested 20,000 CKAN packages in 8.8-9.4 s on SQLite instead of
#: 9.9-10.3 s, and in 11.2 s instead of 13.2 s on PostgreSQL (bench/RESULTS.md).
IMPORT_BATCH = 500
DEAD_AFTER = dt.timedelta(seconds=30)  # a job's holder missed this many seconds of heartbeats: it is dead
HEARTBEAT = 5.0  # seconds between two heartbeats of a running job
MAX_WITHDRAW_SHARE = 0.2  # more of a source's datasets gone at once than this: ask before withdrawing
FINISHED, FAILED, NEEDS_CONFIRMATION = "finished", "failed", "needs-confirmation"
ENDED = (FINISHED, FAILED, NEEDS_CONFIRMATION)


@dataclass
class RemoteItem:
    """One record as the source holds it: its id there and its payload (kept verbatim).

    An item is all `fetch` and `to_record` get: on workers (harvesters/distributed.py) it travels as
    JSON to another task, where a harvester that never ran `gather` maps it. So what the mapping needs
    is in the item: the payload, and `context` for what the source says once for all its records
    (data.json's catalog @id), kept small because every item carries it.
    """

    remote_id: str
    payload: Any
    context: dict[str, Any] | None = None  # source-level facts the mapping needs (JSON, small)
    error: str | None = None  # when gather could list it but not read it
    #: The gather knows the payload is short of what the source holds for the record (a folder's metadata
    #: sheet that could not be read this time): a dataset the catalog already holds of it is kept as it is,
    #: counted unchanged, instead of being rewritten without it. A new record is imported from the payload.
    hold: bool = False


class HarvestError(Exception):
    """The source as a whole could not be harvested (unreachable, not a catalog ...).

    `HarvestError(N_("%(url)s: no such file"), url=url)`: `str(exc)` is the English sentence, `exc.message`
    a `Message` that keeps the msgid and its parameters, stored beside the text (`error_detail`) so that
    each door says it in its reader's language (harvesters/messages.py)."""

    def __init__(self, msgid: str, **params: Any):
        self.message = Message(msgid, **params)
        super().__init__(str(self.message))

    def __reduce__(self):  # pickled (multiprocessing, Celery) with its msgid and parameters
        return (_rebuild_error, (self.message.msgid, self.message.params))


def _rebuild_error(msgid: str, params: dict[str, Any]) -> HarvestError:
    return HarvestError(msgid, **params)


class Harvester(ABC):
    """Template method: subclasses implement gather and to_record; run_job drives them.

    `fetch` and `to_record` depend only on the item and the source's settings, never on what `gather`
    left on the instance: run_job hands them to a harvester that did not gather, as a worker does."""

    type: str = ""
    supports_incremental = False
    nothing_listed = N_("the catalog lists no datasets")  # a full gather that found nothing fails saying this

    def __init__(self, source: HarvestSource, http: Any = None, *, since: dt.datetime | None = None):
        self.source = source
        self.http = http
        self.since = since if self.supports_incremental else None
        self.config: dict[str, Any] = dict(source.config or {})

    @abstractmethod
    def gather(self) -> Iterator[RemoteItem]:
        """Yield what the source holds now (all of it, or what changed since `self.since`)."""

    def fetch(self, item: RemoteItem) -> RemoteItem:
        return item

    @abstractmethod
    def to_record(self, item: RemoteItem) -> Record:
        """Map one remote record to a catalog record (raise ValueError with a clear message), from the item
        alone."""

    def current_ids(self) -> set[str] | None:
        """Beside an incremental gather: the ids of every record the source holds now (cheap: ids only), so
        that what it deleted is withdrawn on every run, not only on a full one. None: not known."""
        return None

    def items_of(self, ids: list[str]) -> Iterator[RemoteItem]:
        """Beside an incremental gather: the records `ids` as the source holds them now, whatever their last change
        (a type that lists `current_ids` gives them). A record a harvest withdrew because the source stopped listing
        it, listed again unchanged, is not among what changed since the last run: it is read so, and restored."""
        return iter(())

    @property
    def incremental(self) -> bool:
        return self.since is not None


@dataclass
class JobSummary:
    source: str
    job_id: int
    status: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    errored: int = 0
    error: str | None = None
    error_detail: dict[str, Any] | None = None  # the error's msgid and parameters (not in the JSON summary)
    # an incremental job's start: it read only what the source changed since (None: a full job read everything)
    since: dt.datetime | None = None

    @classmethod
    def of(cls, job: HarvestJob) -> JobSummary:
        since = job.since
        if since is not None and since.tzinfo is None:  # SQLite gives naive UTC back: the same instant either way
            since = since.replace(tzinfo=dt.UTC)
        return cls(job.source.name, job.id, job.status, job.added, job.updated, job.unchanged, job.withdrawn,
                   job.errored, job.error, job.error_detail, since)

    def to_dict(self) -> dict[str, Any]:
        out = {"source": self.source, "job_id": self.job_id, "status": self.status, "added": self.added,
               "updated": self.updated, "unchanged": self.unchanged, "withdrawn": self.withdrawn,
               "errored": self.errored, "since": self.since.isoformat() if self.since else None}
        if self.error:
            out["error"] = self.error
        return out


def _payload_text(payload: Any) -> str | None:
    if payload is None:
        return None
    if isinstance(payload, bytes):
        return _storable(payload.decode("utf-8", "replace"))
    if isinstance(payload, str):
        return _storable(payload)
    # orjson: five times json.dumps's speed on a package, and its text is storable as it is (two thirds of the time
    # went to spelling out characters it never writes)
    text, by_orjson = jsontext.dumps_marked(payload, default=str)
    return text if by_orjson else _storable(text)


def _storable(text: str) -> str:
    """Text every database takes: NUL characters and lone surrogates (JSON's "\\ud800") spelled out."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _storable_json(text: str) -> bool:
    """Whether JSON text (ensure_ascii=False) holds no NUL and no lone surrogate: then neither does the value
    it was made of, and `_bad_text` need not look."""
    if "\\u0000" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad_text(value: Any) -> Message | None:
    """Where a mapped record holds text that is not storable text: a NUL character or a lone surrogate."""
    stack = [("record", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return Message(N_("%(where)s holds a NUL character (\\u0000), which is not text"), where=where)
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                return Message(N_("%(where)s holds %(char)s, a lone surrogate: not valid Unicode text"), where=where,
                               char=ascii(item[exc.start]))
        elif isinstance(item, dict):
            stack.extend((f"{where}.{key}", key) for key in item if isinstance(key, str))
            stack.extend((f"{where}.{key}", v) for key, v in item.items())
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(item))
    return None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create_job(session: Session, source: HarvestSource, *, full: bool = False) -> HarvestJob:
    return harvest_store.create_job(session, source, full=full)


class Pulse:
    """Beats job `job_id`'s heartbeat every `interval` seconds from a thread, for as long as the `with` block
    runs: a job whose process is killed stops beating, and `fail_dead_jobs` sees it within seconds."""

    def __init__(self, factory: sessionmaker[Session], job_id: int, interval: float = HEARTBEAT):
        self.factory, self.job_id, self.interval = factory, job_id, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                heartbeat(self.factory, self.job_id)
            except Exception as exc:  # noqa: BLE001 - a database blip: the next beat tries again
                log.info("heartbeat of job %s missed: %s", self.job_id, exc.__class__.__name__)

    def __enter__(self) -> Pulse:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class WithdrawPolicy:
    """How many of a source's datasets one job may withdraw without a person confirming."""

    max_share: float = MAX_WITHDRAW_SHARE
    confirmed: bool = False  # `opendata harvest NAME --confirm-withdrawals`

    def holds_back(self, gone: int, active: int) -> bool:
        if self.confirmed or gone == 0:
            return False
        if gone == active:  # the source lists none of what the catalog holds from it
            return True
        return gone > 1 and gone > self.max_share * active


def run_job(factory: sessionmaker[Session], job_id: int, harvester_cls: type[Harvester], *, http: Any = None,
            on_record: Callable[[str, str], None] | None = None,
            index: Callable[[Session, list[str]], None] | None = None,
            policy: WithdrawPolicy | None = None, heartbeat_every: float = HEARTBEAT,
            batch: int = IMPORT_BATCH) -> JobSummary:
    """Run one harvest job to its end. `on_record(status, remote_id)` reports progress;
    `index(session, dataset_ids)` keeps the search index in step with what each batch imported; `policy`
    says how much the job may withdraw unasked; `batch` records are imported per transaction."""
    with factory() as session:
        job = session.get(HarvestJob, job_id)
        if job is None:
            raise HarvestError(N_("no harvest job %(id)s"), id=job_id)
        source = job.source
        source_id, source_name = source.id, source.name
        # only a type that reads what changed has a start to read from: a DCAT or data.json job read the whole
        # source, and its summary said "incremental: only what the source changed since ..." all the same
        since = None if job.full or not harvester_cls.supports_incremental else source.last_gathered_at
        started = harvest_store.start_job(job, since=since, worker=worker_name())
        session.commit()
        harvester = harvester_cls(source, http, since=since)
        # Another instance maps what this one gathers, as on workers: a mapping that needs state set by
        # gather fails here too, not only when a job runs on Celery.
        importer = harvester_cls(source, http, since=since)
        source_url = source.url
        default_publisher = source.publisher.slug if source.publisher else None
        incremental = harvester.incremental

    gathered = 0
    check = ListingCheck(factory, job_id, source_id, source_name,
                         skip=incremental or bool(policy and policy.confirmed))

    def imported(items: list[RemoteItem]) -> None:
        check([item.remote_id for item in items if item.error is None])
        import_batch(factory, job_id, source_id, importer, items, default_publisher, index, on_record)

    with Pulse(factory, job_id, heartbeat_every), BackgroundCheckpoints(factory.kw.get("bind")):
        try:
            items: list[RemoteItem] = []
            # the source is read on a thread while what it sent is imported (harvesters/readahead.py): its next
            # page is on its way while the last batch is written, a batch handed over at a time and at most two
            # ready; closed (the thread stopped) as soon as the import fails
            with closing(read_ahead(harvester.gather(), chunk=batch, name=f"harvest-gather-{job_id}")) as read:
                for item in read:
                    items.append(item)
                    gathered += item.error is None  # error rows (an unreadable entry, a sheet row) list no dataset
                    if len(items) >= batch:
                        imported(items)
                        items = []
            if items:
                imported(items)
            if not gathered and not incremental and not (policy and policy.confirmed):
                raise nothing_listed(harvester, source_url)
            listed = harvester.current_ids() if incremental else None
            if listed:
                restore_relisted(factory, job_id, source_id, harvester, importer, listed, default_publisher, index,
                                  on_record, batch)
        except HeldBack as held:
            return close_job(factory, job_id, NEEDS_CONFIRMATION, error=held.message)
        except Exception as exc:  # the source as a whole failed: keep what was imported, withdraw nothing
            reraise_interruption(exc)  # not the source: the process is stopping (the job's heartbeat stops too)
            log.warning("harvest of %s failed: %s", source_name, exc)
            return close_job(factory, job_id, FAILED, error=describe_error(exc), detail=error_detail(exc))

        if incremental and listed is None:
            held_back = None  # an incremental gather that cannot list the source's ids withdraws nothing
        else:
            held_back = withdraw_gone(factory, job_id, source_id, source_name, index, listed=listed,
                                      policy=policy or WithdrawPolicy())
    return conclude_job(factory, job_id, source_id, started, held_back)


class HeldBack(HarvestError):
    """The job stops before it imports anything and needs a person's confirmation (`ListingCheck`)."""


class ListingCheck:
    """A source compared whole that lists none of what the catalog holds from it has most likely changed how
    it names its datasets (a data.json whose entries lost their `identifier`, a DCAT whose URIs moved to another
    host, a Data Package with a new `id`), not replaced every dataset: imported as it is, each dataset would come in
    a second time under its new key beside the old one the withdrawal guard keeps. So the first batch a job would
    import (up to a batch of the source's listing: all of a small source) is checked first: when the catalog holds
    two or more active datasets from the source (one is simply replaced: the withdrawal rule lets one go unasked) and
    none of the batch's ids is one it ever harvested from it, the job imports
    nothing, notes every active dataset as to be withdrawn once confirmed, and ends needing confirmation. An
    incremental gather (what changed since the last run) and a confirmed run are not checked."""

    def __init__(self, factory: sessionmaker[Session], job_id: int, source_id: int, source_name: str, *,
                 skip: bool):
        self.factory, self.job_id, self.source_id, self.source_name = factory, job_id, source_id, source_name
        self.done = skip

    def __call__(self, remote_ids: list[str]) -> None:
        """Check the first listing a job would import (once a job): raises HeldBack when the source looks
        re-keyed."""
        if self.done or not remote_ids:
            return
        self.done = True
        with self.factory() as session:
            active = harvest_store.active_from_source(session, self.source_id)
            # one dataset is replaced in the same run (the withdrawal rule lets one go unasked): only more would be
            # held back beside their new copies
            if active < 2 or harvest_store.known_records(session, self.source_id, remote_ids):
                return
            held = harvest_store.active_datasets_from_source(session, self.source_id)
            harvest_store.hold_back_datasets(session, self.job_id, held)
            session.commit()
        raise HeldBack(N_("%(source)s lists %(listed)s datasets and none of them is one of the %(active)s the catalog "
                          "holds from it: the source has most likely changed its datasets' identifiers (a data.json "
                          "entry without its `identifier`, a DCAT whose URIs moved), and importing them would add each "
                          "dataset a second time. Nothing was imported or withdrawn. If the source really replaced its "
                          "datasets, run `opendata harvest %(source)s --confirm-withdrawals`."),
                       source=self.source_name, listed=len(remote_ids), active=active)


def restore_relisted(factory: sessionmaker[Session], job_id: int, source_id: int, harvester: Harvester,
                      importer: Harvester, listed: set[str], default_publisher: str | None,
                      index: Callable[[Session, list[str]], None] | None,
                      on_record: Callable[[str, str], None] | None, batch: int, read: set[str] = frozenset()) -> int:
    """An incremental job's last step: the datasets a harvest of this source withdrew (no longer listed) that the
    source lists again (`listed`, its ids now) and this job did not read (unchanged since they went: not among
    what changed since the last run) are read (`items_of`) and imported, so restored. Before, only a full run
    brought them back, and a scheduled run is never one: a CKAN whose search index lost a dataset for a day
    withdrew it for good. `read`: the ids the job read already (on workers, its batches may not be imported yet).
    Returns how many records it imported."""
    with factory() as session:
        relisted = harvest_store.withdrawn_by_harvest(session, source_id, job_id, listed, harvest_withdrawal) - read
    if not relisted:
        return 0
    log.info("harvest job %s: %d withdrawn datasets are listed again; reading them", job_id, len(relisted))
    items: list[RemoteItem] = []
    imported = 0
    for item in harvester.items_of(sorted(relisted)):
        if item.remote_id not in relisted:  # an answer about another record: not this step's to import
            continue
        items.append(item)
        if len(items) >= batch:
            imported += import_batch(factory, job_id, source_id, importer, items, default_publisher, index, on_record)
            items = []
    if items:
        imported += import_batch(factory, job_id, source_id, importer, items, default_publisher, index, on_record)
    return imported


def conclude_job(factory: sessionmaker[Session], job_id: int, source_id: int, started: dt.datetime,
                 held_back: str | None) -> JobSummary:
    """End a job whose gather went through: the source counts as gathered at `started` (the next incremental
    run asks for what changed since), and the job is finished, or needs confirmation saying why it withdrew
    nothing (`held_back`)."""
    with factory() as session:
        harvest_store.mark_gathered(session, source_id, started)
        session.commit()
    if held_back:
        return close_job(factory, job_id, NEEDS_CONFIRMATION, error=held_back)
    return close_job(factory, job_id, FINISHED)


def nothing_listed(harvester: Harvester, source_url: str) -> HarvestError:
    """The error of a full gather that listed nothing: an empty answer is far more often a broken source
    than a publisher who removed every dataset, so it withdraws nothing (unless a person confirmed the
    withdrawals: `WithdrawPolicy.confirmed`)."""
    return HarvestError(N_("%(url)s: %(problem)s"), url=source_url, problem=as_message(harvester.nothing_listed))


def describe_error(exc: Exception) -> str:
    """The text a job or a record row keeps for `exc`: a HarvestError's own message, else the exception's
    class and message ("ValueError: ..."). Beside it, `error_detail(exc)` keeps a HarvestError's msgid and
    parameters (harvesters/messages.py), for the doors that say it in the reader's language."""
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}" if not isinstance(exc, HarvestError) else text


#: Why a harvest withdrew a dataset its source no longer lists: kept as English text on the dataset (its
#: tombstone); the tombstone page says it in the reader's language (app/web/datasets.py withdrawal_reason).
WITHDRAWN_REASON = N_("No longer listed by its source %(source)s (harvest job %(job)s).")
_HARVEST_WITHDRAWAL = re.compile(re.escape(WITHDRAWN_REASON).replace(re.escape("%(source)s"), r"(?P<source>.+)")
                                 .replace(re.escape("%(job)s"), r"(?P<job>\d+)"))


def harvest_withdrawal(reason: str | None) -> re.Match | None:
    """The source and job of a withdrawal a harvest made (its stored reason, WITHDRAWN_REASON in English), or
    None: a person withdrew the dataset."""
    return _HARVEST_WITHDRAWAL.fullmatch(reason or "")


#: Part of every payload hash: change it when a mapper changes what it makes of the same payload, so that
#: the next harvest maps every record again instead of counting it unchanged.
MAPPING_VERSION = "6"  # 2: dataset series (kind, in_series from DCAT, CKAN and data.json isPartOf); 3: DCAT's EU
#                        language IRIs read as their codes (.../language/DEU -> de); 4: a CKAN organization's
#                        title_translated and url, a CKAN resource's own licence; 5: a folder's contact that is a
#                        telephone number (a sheet's 联系方式 12345, a default) is the contact's phone, not its name;
#                        6: a sheet's date that is no date leaves `modified` undeclared, not the file's time, and a
#                        sheet's time range may be two dates joined by a hyphen, a quarter or a statistical year;
#                        a folder's file is identified by its web address, not its path (two folders' a.csv)


def mapping_fingerprint(harvester: Harvester, default_publisher: str | None) -> bytes:
    """What a record's mapping depends on besides its item: the mapping version, the harvester type (its
    class) and the source's settings (less the detached list) and default publisher."""
    config = {k: v for k, v in harvester.config.items() if k != "detached"}
    cls = type(harvester)
    return json.dumps([MAPPING_VERSION, harvester.type, f"{cls.__module__}.{cls.__qualname__}",
                       getattr(harvester, "mapping_version", None), default_publisher, config],
                      sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def payload_hash(fingerprint: bytes, item: RemoteItem, payload_text: str | None) -> str:
    """The hash of what a record's mapping reads: the same hash, the same record (datasets.payload_hash)."""
    digest = hashlib.sha256(fingerprint)
    digest.update(b"\0")
    if item.context:
        digest.update(json.dumps(item.context, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    digest.update(b"\0")
    digest.update((payload_text or "").encode("utf-8"))
    return digest.hexdigest()


@dataclass
class _Prepared:
    item: RemoteItem
    payload: str | None
    stage: str
    record: Record | None = None
    error: str | None = None
    error_detail: dict[str, Any] | None = None  # a HarvestError's msgid and parameters
    payload_hash: str | None = None
    unchanged: bool = False  # the dataset was imported from this very payload: nothing to map or write
    content_text: str | None = None  # record.content_text of `record`

    def entry(self) -> dict[str, Any]:
        return {"remote_id": self.item.remote_id, "stage": self.stage, "payload_text": self.payload,
                "payload": self.item.payload, "payload_hash": self.payload_hash, "record": self.record,
                "error": self.error, "error_detail": self.error_detail, "unchanged": self.unchanged,
                "content_text": self.content_text}


def _prepare(harvester: Harvester, item: RemoteItem, default_publisher: str | None, fingerprint: bytes,
             known: dict[str, Any]) -> _Prepared:
    """Fetch and map one record, without touching the database (so a failure costs no rollback). A record
    whose payload hash is its active dataset's is not mapped: it is unchanged (`known`: what the catalog
    holds of the batch, store.harvested_from_source)."""
    prep = _Prepared(item, _payload_text(item.payload), "gather")
    try:
        if item.error:
            raise ValueError(item.error)
        prep.stage = "fetch"
        if type(harvester).fetch is not Harvester.fetch:
            item = harvester.fetch(item)
            prep.item, prep.payload = item, _payload_text(item.payload)
        prep.stage = "import"
        prep.payload_hash = payload_hash(fingerprint, item, prep.payload)
        row = known.get(item.remote_id)
        if row is not None and (row.payload_hash == prep.payload_hash or item.hold) and row.state == "active":
            prep.unchanged = True
            return prep
        record = harvester.to_record(item)
        if not record.get("publisher") and default_publisher:
            record["publisher"] = {"slug": default_publisher}
        record.pop("id", None)  # the catalog assigns its own ids; the source's is `identifier`
        problems = validation_errors(record)
        if problems:
            raise ValueError(Message(N_("record does not match the catalog schema: %(problems)s"),
                                     problems="; ".join(problems[:5])))
        # filled() gives back a record holding every key as it is; the one key the mapping took out above
        # would have it copy the record, distributions and all, only to put `"id": None` back first
        record = filled({"id": None, **record})
        text = content_text(record)  # made once: the text check below and the content hash read it
        rest = json.dumps([record.get("slug"), record.get("state")], ensure_ascii=False, default=str)
        if not _storable_json(text) or not _storable_json(rest):
            bad = _bad_text(record)
            if bad:  # the databases refuse it (PostgreSQL: NUL; both: surrogates), and a batch would fail whole
                raise ValueError(bad)
        prep.record, prep.content_text = record, text
    except Exception as exc:
        prep.error, prep.error_detail = describe_error(exc), error_detail(exc)
        said = exc.args[0] if exc.args else None
        if prep.error_detail is None and isinstance(said, Message):
            prep.error_detail = said.detail()  # a gather's error row (a sheet row), a mapping's words: said in zh too
    return prep


def import_batch(factory: sessionmaker[Session], job_id: int, source_id: int, harvester: Harvester,
                 items: list[RemoteItem], default_publisher: str | None,
                 index: Callable[[Session, list[str]], None] | None,
                 on_record: Callable[[str, str], None] | None) -> int:
    """Import a batch of gathered items for job `job_id`; returns how many distinct records it held.

    One query reads what the catalog holds of the batch (a record whose payload hash is its dataset's is
    unchanged: not mapped, validated nor written, but its record row); then one transaction writes the
    batch, new datasets and record rows as bulk INSERTs. If the database refuses any of it, it is redone
    one record per transaction so that only the bad record becomes an error row. Items listed twice count
    once; detached records are skipped; `index(session, dataset_ids)` indexes what changed (once for the
    batch), `on_record(status, remote_id)` reports. A database that is down fails the batch and keeps no
    error row."""
    unique, seen_here = [], set()
    # Records the publisher detached from this source (app.services.datasets.detach) are its own now.
    detached = set(harvester.config.get("detached") or [])
    for item in items:
        if item.remote_id in seen_here:  # a source listing one id twice: count it once
            continue
        if item.remote_id in detached:
            continue
        seen_here.add(item.remote_id)
        unique.append(item)
    with factory() as session:
        if harvest_store.keep_statistics(session):
            session.commit()
        known = harvest_store.known_records(session, source_id, [item.remote_id for item in unique])
    fingerprint = mapping_fingerprint(harvester, default_publisher)
    prepared = [_prepare(harvester, item, default_publisher, fingerprint, known) for item in unique]
    try:
        with factory() as session:
            harvest_store.commit_without_waiting_for_the_disk(session)
            results = harvest_store.import_records(session, job_id, source_id, [p.entry() for p in prepared], known)
            outcomes = [outcome for outcome, _ in results]
            changed = [ds_id for outcome, ds_id in results if outcome not in ("unchanged", "errored")]
            if index is not None and changed:
                index(session, changed)
            session.commit()
    except Exception as exc:
        reraise_interruption(exc)  # the process was told to stop inside the batch: stop, do not go on one by one
        log.info("batch of %d refused (%s: %s); importing one by one", len(prepared), exc.__class__.__name__,
                 str(exc).splitlines()[0] if str(exc) else "")
        outcomes = []
        for prep in prepared:
            with factory() as session:
                try:
                    outcomes.append(_save(session, job_id, source_id, prep, index, check_done=True))
                    session.commit()
                except Exception as one_exc:
                    reraise_interruption(one_exc)
                    session.rollback()
                    if isinstance(one_exc, (OperationalError, InterfaceError)):
                        raise  # the database is down, not this record wrong: fail the batch, keep no error row
                    prep.record, prep.unchanged = None, False
                    prep.error, prep.error_detail = describe_error(one_exc), error_detail(one_exc)
                    outcomes.append(_save(session, job_id, source_id, prep, None))
                    session.commit()
    if on_record:
        for prep, outcome in zip(prepared, outcomes, strict=True):
            on_record(outcome, prep.item.remote_id)
    heap.settle()  # after a process's first batch: later collections skip its modules (plumbing/heap.py)
    return len(prepared)


def _save(session: Session, job_id: int, source_id: int, prep: _Prepared,
          index: Callable[[Session, list[str]], None] | None, check_done: bool = False) -> str:
    """Import one prepared record in its own transaction (the batch's was refused)."""
    remote_id = prep.item.remote_id
    if check_done:
        done = harvest_store.record_done(session, job_id, remote_id)
        if done is not None:
            return done.status
    known = harvest_store.known_records(session, source_id, [remote_id])
    if prep.unchanged and remote_id not in known:  # gone since the batch looked: map it after all
        prep.unchanged = False
        gone = Message(N_("the dataset this record was imported into is gone; harvest again"))
        prep.error, prep.error_detail = str(gone), gone.detail()
    [(outcome, dataset_id)] = harvest_store.import_records(session, job_id, source_id, [prep.entry()], known)
    if index is not None and outcome not in ("unchanged", "errored"):
        index(session, [dataset_id])
    return outcome


def withdraw_gone(factory: sessionmaker[Session], job_id: int, source_id: int, source_name: str,
                  index: Callable[[Session, list[str]], None] | None, *, listed: set[str] | None = None,
                  policy: WithdrawPolicy | None = None) -> str | None:
    """Withdraw this source's active datasets that are gone from it (kept, hidden, restorable) and take them
    out of the search index through `index`: those job `job_id` did not list (after a full gather), or those
    not in `listed` (the source's ids, read beside an incremental gather).

    When more are gone than `policy` allows (a source answering an empty or truncated list must not empty
    the catalog), nothing is withdrawn and the sentence saying so is returned."""
    policy = policy or WithdrawPolicy()
    with factory() as session:
        gone = harvest_store.gone_from_source(session, job_id, source_id, listed)
        active = harvest_store.active_from_source(session, source_id)
        # confirmed: what the person was shown ("to be withdrawn once confirmed") goes; what is gone besides since
        # is held to the rule unasked (it went whatever this run found missing, more than the list a person read)
        reviewed = harvest_store.reviewed_withdrawals(session, source_id, job_id) if policy.confirmed else None
        unreviewed = [ds for ds in gone if ds.remote_id not in reviewed] if reviewed is not None else []
        held: Message | None = None
        if unreviewed and WithdrawPolicy(max_share=policy.max_share).holds_back(len(unreviewed), active):
            gone = [ds for ds in gone if ds.remote_id in reviewed]
            harvest_store.hold_back_datasets(session, job_id, unreviewed)
            held = Message(N_("%(source)s: the %(confirmed)s datasets confirmed were withdrawn; %(gone)s more are gone "
                              "beside the list that was confirmed (%(share)s of the %(active)s, more than the %(max)s "
                              "one run may withdraw unasked) and were not. If the source really removed them, run "
                              "`opendata harvest %(source)s --confirm-withdrawals` again."),
                           source=source_name, confirmed=len(gone), gone=len(unreviewed), active=active,
                           share=f"{len(unreviewed) / active:.0%}", max=f"{policy.max_share:.0%}")
        elif policy.holds_back(len(gone), active):
            harvest_store.hold_back_datasets(session, job_id, gone)  # listed by the report: what confirming withdraws
            session.commit()
            return Message(N_("%(source)s no longer lists %(gone)s of the %(active)s datasets the catalog holds "
                              "from it (%(share)s, more than the %(max)s one run may withdraw unasked): nothing was "
                              "withdrawn. If the source really removed them, run `opendata harvest %(source)s "
                              "--confirm-withdrawals`."), source=source_name, gone=len(gone), active=active,
                           share=f"{len(gone) / active:.0%}", max=f"{policy.max_share:.0%}")
        harvest_store.withdraw(session, job_id, gone, reason=Message(WITHDRAWN_REASON, source=source_name, job=job_id))
        if index is not None and gone:
            index(session, [ds.id for ds in gone])
        session.commit()
    return held


def heartbeat(factory: sessionmaker[Session], job_id: int) -> None:
    """Record that job `job_id` is alive (`fail_dead_jobs` fails jobs whose heartbeat stopped)."""
    with factory() as session:
        harvest_store.heartbeat(session, job_id)
        session.commit()


job_counts = harvest_store.job_counts


def close_job(factory: sessionmaker[Session], job_id: int, status: str, error: str | None = None,
              detail: dict[str, Any] | None = None) -> JobSummary:
    """End job `job_id` as `status` ("finished" or "failed", with `error` and its `detail`: msgid and
    parameters, harvesters.messages.error_detail) and return its summary."""
    if detail is None and isinstance(error, Message):  # a sentence of this package (a withdrawal held back)
        detail = error.detail()
    error = str(error) if error is not None else None
    with factory() as session:
        job = harvest_store.finish_job(session, job_id, status, error, detail=detail)
        session.commit()
        return JobSummary.of(job)


def pid_alive(pid: int) -> bool:
    """Whether process `pid` of this host still runs (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def fail_dead_jobs(session: Session, *, dead_after: dt.timedelta = DEAD_AFTER,
                   stall_after: dt.timedelta | None = None, now: dt.datetime | None = None) -> list[int]:
    """Fail running jobs whose process is gone (on this host: at once; elsewhere: after `dead_after` without a
    heartbeat; batches waiting for workers: after `stall_after`); returns their ids."""
    dead = harvest_store.fail_dead_jobs(session, dead_after=dead_after, stall_after=stall_after, now=now,
                                        host=socket.gethostname(), alive=pid_alive)
    session.commit()
    return dead
