"""An archived table loaded into the row store: one Parquet file per archived copy and declared table schema, named
by its store key (the copy's sha256, and the schema's hash when its distribution declares one: `store_key`).

Reading reuses the platform's: ``app.export.convert.open_table`` (``quality.tabular.read_table``: CSV, TSV
and PSV in any encoding it detects, XLS, XLSX, ODS, JSON arrays, GeoJSON features' properties, the first
table inside a ZIP, record-oriented XML; the notes rows above and below the table left out) and its typing,
so the rows the API answers are the ones ``data.csv`` serves. Types are never guessed destructively: a column is stored
typed (BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP) only when every filled cell of the whole table reads as
its type and converts; otherwise it stays text as the file wrote it, so codes such as ``0164A`` and ``007``
keep their letters and zeros (columns of integers written with a leading zero are text from the start,
``convert.infer_column_type``). Each row gets ``_id`` (1, 2, ... in file order), as CKAN's DataStore does.
A header without rows (a template published before its data) is a table of its columns and no rows, each
column text unless the data dictionary declares its type; a file without a header is recorded as a failure.

Two passes over the table in bounded memory: the cells, normalised, are written as text to a temporary
Parquet file while each candidate column's cells are tried against its type; then that file is rewritten
with the columns that passed cast, uncompressed (columns stay dictionary-encoded; scanning it is about
twice as fast as zstd here, and the store is a cache of the archive). The Parquet footer keeps what the
API needs (``META_KEY``): the fields (name, title, CKAN type, Table Schema type), the row count, the source
format, and the personal data this load's own scan found per column (``quality.pii``), which the serving
gate adds to the profile's facts (the profile does not read GeoJSON or ZIP files). A copy that cannot be
loaded leaves ``<sha256>.error.json`` with the reason instead; `datastore_info`, the dataset page and
`opendata datastore status` show it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from app.export import convert
from catalog_schema.datapackage import declared_encoding
from plumbing.textencoding import canonical, declarations, honoured
from quality import pii
from quality.tabular import TableError
from quality.tabular import compare as tabular_compare
from quality.tabular.formats import TABLE_FORMATS

log = logging.getLogger(__name__)

STORE_VERSION = 1  # a file written by another version is loaded again
META_KEY = b"opendata.datastore"
ID = "_id"
#: Sniffed format codes the store loads: every table the readers read (the conversions serve the same).
LOADABLE_FORMATS = TABLE_FORMATS
#: Table Schema type -> the Arrow type a column is stored as when every cell converts.
ARROW_TYPES: dict[str, pa.DataType] = {"integer": pa.int64(), "year": pa.int64(), "number": pa.float64(),
                                       "boolean": pa.bool_(), "date": pa.date32(), "datetime": pa.timestamp("us")}
PASS_ROWS = 65_536
#: The widest table the store holds: as many columns as a PostgreSQL table (CKAN's DataStore) takes. A table of
#: 20,000 columns loaded, and every datastore_search of it ran DuckDB out of its memory (a 500 to anyone, half a
#: gigabyte a request); it is now a load failure of its own, said at every door of its rows.
MAX_COLUMNS = 1600
#: Tables of fewer rows are queried from their Parquet file alone, without a DuckDB copy (`native`). A DuckDB
#: file takes at least 512 KB (a 50-row table: 6.5 kB of Parquet) and about 9 ms of CPU to write at 5,000
#: rows, 38 ms at 50,000, while it saves a query 0.2-0.5 ms at 5,000 rows and about 1 ms at 50,000 (a page,
#: a filtered and sorted page, a text search, a deep page; docs/architecture.md): a small table's copy costs
#: more than it saves unless the table is queried dozens of times per version, and most are not. Above it the
#: copy pays for itself (2-7 ms a query from 100,000 rows up, and it is smaller than the Parquet file).
NATIVE_MIN_ROWS = 50_000

#: Text batches up to this size are held in memory between the two passes instead of written to a file.
STAGE_IN_MEMORY = 64 << 20


def wants_native(rows: int) -> bool:
    """Whether a table of `rows` rows is big enough for a DuckDB copy of its own (`NATIVE_MIN_ROWS`)."""
    return rows >= NATIVE_MIN_ROWS


@dataclass(frozen=True)
class Field:
    id: str  # the column's name (the cleaned header label)
    type: str  # CKAN DataStore type: int, numeric, bool, date, timestamp, text
    schema_type: str  # Table Schema type of the stored values ("string" for a text column)
    title: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "type": self.type, "schema_type": self.schema_type, "title": self.title}


@dataclass(frozen=True)
class Loaded:
    """A table in the store."""

    sha256: str
    path: Path
    fields: list[Field]
    rows: int
    source_format: str
    loaded_at: str
    size: int
    pii: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> kind -> cells, from this load
    db: Path | None = None  # the same rows in DuckDB's own format (what queries read), when it is there
    key: str = ""  # where the store keeps it (`store_key`): the hash, and the declared schema's when there is one
    #: The encoding the copy was read with (None: the reader's own detection, or a format without one), whether it
    #: was set by hand rather than decided by the detector, and whether the table's footer records either (a table
    #: loaded before it did says nothing of how it was read).
    encoding: str | None = None
    encoding_by_hand: bool = False
    encoding_known: bool = False

    @property
    def names(self) -> list[str]:
        return [f.id for f in self.fields]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.id == name), None)


@dataclass(frozen=True)
class Failed:
    """A copy the store could not load, and why."""

    sha256: str
    reason: str  # quality.tabular.TableError reason: unreadable, empty, unsupported-format, ...
    message: str
    at: str

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "at": self.at}


# --------------------------------------------------------------------------- where


def root_of(settings: dict[str, Any]) -> Path:
    """The store's folder: DATASTORE_DIR, else ``datastore/`` beside the archive folder."""
    configured = settings.get("DATASTORE_DIR")
    if configured:
        return Path(configured)
    return Path(settings["ARCHIVE_DIR"]).absolute().parent / "datastore"


def store_key(sha256: str, schema: dict | None) -> str:
    """Where the store keeps a copy loaded with `schema` (the table schema its distribution declares, which types
    and titles its columns): the copy's hash, followed by the schema's when there is one. Two distributions of the
    same bytes, one declaring `district_code` a string and one declaring nothing, are two tables: keyed by the
    hash alone, the first one loaded gave its types to both (text in one door, integer in another)."""
    if not schema:
        return sha256
    text = json.dumps(schema, sort_keys=True, ensure_ascii=False, default=str)
    return f"{sha256}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


def key_of(dist) -> str:
    """The store key of a distribution's current archived copy (`store_key`)."""
    return store_key(dist.archive_hash, dist.table_schema if isinstance(dist.table_schema, dict) else None)


def parquet_path(root: Path, key: str) -> Path:
    return Path(_parquet_name(root, key))


def _parquet_name(root: Path | str, key: str) -> str:
    return os.path.join(root, key[:2], f"{key}.parquet")


def duckdb_path(root: Path, key: str) -> Path:
    return Path(root) / key[:2] / f"{key}.duckdb"


def error_path(root: Path, key: str) -> Path:
    return Path(root) / key[:2] / f"{key}.error.json"


def digest_path(root: Path, sha256: str) -> Path:
    """The copy's `quality.tabular.compare.RowDigest`: its next version is compared with it instead of reading
    this copy again."""
    return Path(root) / sha256[:2] / f"{sha256}.rows.bin"


def loadable(dist) -> bool:
    """Whether `dist` (a Distribution) has an archived copy of a format the store loads: whole, not the first part
    of a file larger than the download limit (`archive_truncated`: its rows would be taken for all of them)."""
    return bool(dist.archive_hash and dist.archive_path and (dist.detected_format or "").upper() in LOADABLE_FORMATS
                and not getattr(dist, "archive_truncated", None) and os.path.isfile(dist.archive_path))


# --------------------------------------------------------------------------- reading back

_META_CACHE: dict[tuple[str, int], Loaded] = {}


def lookup(root: Path, key: str) -> Loaded | Failed | None:
    """What the store holds for the copy of store key `key` (`store_key`, `key_of`): the loaded table, why it
    could not be loaded, or None."""
    path = parquet_path(root, key)
    try:
        stat = path.stat()
    except OSError:
        return _failure(root, key)
    cache_key = (str(path), stat.st_mtime_ns)
    cached = _META_CACHE.get(cache_key)
    if cached is not None:
        return _with_db(root, cached)
    try:
        meta = json.loads(pq.read_schema(path).metadata[META_KEY])
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return None
    if meta.get("version") != STORE_VERSION:
        return None
    read_as = meta.get("encoding")
    read_as = read_as if isinstance(read_as, dict) else None
    loaded = Loaded(sha256=key[:64], path=path, fields=[Field(**f) for f in meta["fields"]], rows=int(meta["rows"]),
                    source_format=meta.get("source_format", ""), loaded_at=meta.get("loaded_at", ""),
                    size=stat.st_size, pii=meta.get("pii") or {}, key=key,
                    encoding=read_as.get("name") if read_as else None,
                    encoding_by_hand=bool(read_as and read_as.get("by_hand")), encoding_known=read_as is not None)
    if len(_META_CACHE) > 4096:
        _META_CACHE.clear()
    _META_CACHE[cache_key] = loaded
    return _with_db(root, loaded)


def failed(root: Path, key: str) -> bool:
    """Whether the store could not load the copy of store key `key` (`lookup` would answer Failed): no table in
    the store and a failure recorded. One stat for a loaded table, without reading its metadata (CKAN's
    `datastore_active` of every resource of a package_search page asks it)."""
    if os.path.exists(_parquet_name(root, key)):
        return False
    return isinstance(_failure(root, key), Failed)


def present(root: Path, key: str) -> bool:
    """Whether the store holds a table or a recorded failure for the copy of store key `key`, from two stats at
    most (an assessment asks it of every table whose copy did not change; `lookup` reads the table's footer)."""
    return os.path.exists(_parquet_name(root, key)) or error_path(root, key).exists()


def _with_db(root: Path, loaded: Loaded) -> Loaded:
    db = duckdb_path(root, loaded.key)
    return replace(loaded, db=db if db.is_file() else None)


def _failure(root: Path, key: str) -> Failed | None:
    try:
        doc = json.loads(error_path(root, key).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if doc.get("version") != STORE_VERSION:
        return None
    return Failed(sha256=key[:64], reason=doc["reason"], message=doc["message"], at=doc["at"])


def ensure(root: Path, dist) -> Loaded | Failed | None:
    """The store's table for `dist`'s current archived copy, loaded now when it is not there yet (a store
    emptied, or a web node with a folder of its own); None when the copy is not a table format."""
    if not loadable(dist):
        return None
    key = key_of(dist)
    found = lookup(root, key)
    if isinstance(found, Loaded) and sum(f.id != ID for f in found.fields) > MAX_COLUMNS:  # loaded before the cap
        return too_wide(root, key, sum(f.id != ID for f in found.fields))
    if isinstance(found, Loaded) and found.db is None and wants_native(found.rows):  # a copy of the Parquet only
        native(found.path, duckdb_path(root, key))
        found = lookup(root, key)
    if found is not None and not (isinstance(found, Loaded) and found.encoding_known
                                  and stale_encoding(found, dist.detected_encoding,
                                                     by_hand=found.encoding_by_hand and declared(dist))[0]):
        return found
    # not there, or read in another encoding than the distribution's now (a check decided it again since): read now
    return load(root, dist.archive_hash, dist.archive_path, format=dist.detected_format,
                encoding=dist.detected_encoding,
                schema=dist.table_schema if isinstance(dist.table_schema, dict) else None,
                encoding_by_hand=declared(dist))


def declared(dist) -> bool:
    """Whether `dist`'s encoding (`detected_encoding`) is the one its source declares, its metadata's or its server's
    charset, which the assessment took because the bytes bore it out (`plumbing.textencoding.decide_encoding`): its
    table records the encoding as set by hand, which no later detector's decision reads otherwise."""
    extras = getattr(dist, "extras", None)  # a stand-in for a distribution may carry no record at all
    return honoured(dist.detected_encoding, declarations(declared_encoding(extras),
                                                         getattr(dist, "detected_media_type", None))) is not None


def same_encoding(a: str | None, b: str | None) -> bool:
    """Whether two encoding names name the same codec (``GB2312`` and ``gbk`` do, ``cp949`` and ``gbk`` do not)."""
    return (canonical(a) if a else None) == (canonical(b) if b else None)


def stale_encoding(found: Loaded | Failed, encoding: str | None, kept: str | None = None, *,
                   by_hand: bool = False) -> tuple[bool, str | None]:
    """(whether the stored table `found` is to be read again in `encoding`, the encoding decided now; the encoding
    it was read with). A table whose encoding was set by hand (declared by its source) never is for a detector's
    decision, only for another encoding set by hand (`by_hand`: a declaration changed). A table loaded before its
    footer recorded its encoding, and a recorded failure, count as read with `kept` (the encoding recorded for the
    copy's version when it was archived, and so loaded)."""
    if isinstance(found, Loaded) and found.encoding_known:
        if found.encoding_by_hand and not by_hand:
            return False, found.encoding
        was = found.encoding
    else:
        was = kept
    return not same_encoding(was, encoding), was


@dataclass(frozen=True)
class Source:
    """What loading a distribution's copy needs, copied out of its row."""

    sha256: str
    path: str
    format: str | None
    encoding: str | None
    schema: dict | None
    #: Whether `encoding` was set by hand (recorded with the table: a re-check never reads it again in the detector's
    #: encoding): the encoding the file's source declares (a Data Package resource's `encoding`, the server's
    #: charset), taken because the bytes bore it out (`declared`).
    encoding_by_hand: bool = False

    @classmethod
    def of(cls, dist) -> Source:
        return cls(sha256=dist.archive_hash, path=dist.archive_path, format=dist.detected_format,
                   encoding=dist.detected_encoding,
                   schema=dist.table_schema if isinstance(dist.table_schema, dict) else None,
                   encoding_by_hand=declared(dist))

    @property
    def key(self) -> str:
        return store_key(self.sha256, self.schema)


def load_all(root: Path, sources: list[Source], *, force: bool = False) -> dict[str, Loaded | Failed]:
    """Load each copy not in the store yet (every one with `force`), once per store key (`Source.key`: the hash,
    and the declared schema's). What fails is recorded and logged; nothing here stops the caller (an assessment
    run, the rebuild command). Returns what the store holds per store key."""
    out: dict[str, Loaded | Failed] = {}
    for src in sources:
        key = src.key
        if key in out:
            continue
        found = None if force else lookup(root, key)
        if found is None:
            try:
                found = load(root, src.sha256, src.path, format=src.format, encoding=src.encoding, schema=src.schema,
                             encoding_by_hand=src.encoding_by_hand)
            except Exception as exc:  # noqa: BLE001 - one bad table must not stop a run
                log.exception("datastore: loading %s failed", key)
                found = _write_failure(root, key, "unreadable", f"The table cannot be loaded: {exc}")
        out[key] = found
    return out


# --------------------------------------------------------------------------- loading


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def too_wide(root: Path, key: str, columns: int) -> Failed:
    """The failure of a table wider than the store holds (`MAX_COLUMNS`)."""
    return _write_failure(root, key, "too-wide", f"the table has {columns} columns, more than the {MAX_COLUMNS} the "
                                                 "DataStore holds (as a PostgreSQL table, CKAN's, does)")


def _write_failure(root: Path, key: str, reason: str, message: str) -> Failed:
    failed = Failed(sha256=key[:64], reason=reason, message=message[:1000], at=_now())
    target = error_path(root, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps({"version": STORE_VERSION, "sha256": key[:64], **failed.to_dict()},
                              ensure_ascii=False), "utf-8")
    os.replace(tmp, target)
    return failed


def _stored_names(columns: list[convert.Column]) -> list[str]:
    """The columns' names, with a source column called ``_id`` renamed (the store's row number has it)."""
    return unique_names([c.name for c in columns], taken={ID})


def unique_names(names: list[str], taken: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """`names` made unique as the store makes them: a name met again (or in `taken`) gets ``_2``, ``_3`` ..."""
    used = set(taken)
    out = []
    for original in names:
        name, n = original, 1
        while name in used:
            n += 1
            name = f"{original}_{n}"
        used.add(name)
        out.append(name)
    return out


def load(root: Path, sha256: str, archive_path: str | os.PathLike, *, format: str | None,
         encoding: str | None = None, schema: dict | None = None, encoding_by_hand: bool = False) -> Loaded | Failed:
    """Load the archived copy at `archive_path` (whose hash is `sha256`), read with `schema`, into the store under
    its store key (`store_key`); on a table that cannot be read, record why (and return it). The row digest a
    comparison reads is the copy's, whatever the schema (`digest_path` by the hash). The table's footer records the
    `encoding` it was read with and whether it was set by hand (`encoding_by_hand`: a re-check never reads such a
    table again in the detector's encoding, `stale_encoding`)."""
    root = Path(root)
    key = store_key(sha256, schema)
    target = parquet_path(root, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    fmt = (format or "").upper()
    stage = target.with_name(f".{sha256}.{uuid.uuid4().hex}.text.parquet")
    final = target.with_name(f".{sha256}.{uuid.uuid4().hex}.parquet")
    try:
        try:
            table = convert.open_table(archive_path, format=fmt or None, encoding=encoding, schema=schema,
                                       batch_rows=PASS_ROWS)
        except TableError as exc:
            return _write_failure(root, key, exc.reason, str(exc))
        if len(table.columns) > MAX_COLUMNS:
            table.close()
            return too_wide(root, key, len(table.columns))
        read_as = ((format or "").lower() or None, encoding or None)
        kept = tabular_compare.load_digest(digest_path(root, sha256))  # the comparison with the version before
        digest = None if kept is not None and kept.read_as == read_as else tabular_compare.DigestBuilder(read_as)
        try:
            rows, typed, found, held = _text_pass(table, stage, digest)
        except TableError as exc:
            return _write_failure(root, key, exc.reason, str(exc))
        except Exception as exc:  # noqa: BLE001 - spreadsheet and JSON libraries raise many kinds
            return _write_failure(root, key, "unreadable", f"The table cannot be read: {exc}")
        finally:
            table.close()
        names = _stored_names(table.columns)
        fields = []
        for name, column, ok in zip(names, table.columns, typed, strict=True):
            stype = column.type if ok else "string"
            fields.append(Field(id=name, type=convert.CKAN_TYPES[stype] if ok else "text", schema_type=stype,
                                title=column.title))
        meta = {"version": STORE_VERSION, "sha256": sha256, "key": key, "rows": rows, "source_format": fmt,
                "loaded_at": _now(), "fields": [f.to_dict() for f in fields],
                "encoding": {"name": encoding or None, "by_hand": bool(encoding_by_hand)},
                "pii": {names[i]: kinds for i, kinds in found.items()}}
        _typed_pass(stage, final, table.columns, typed, meta, held)
        os.replace(final, target)
        if wants_native(rows):
            native(target, duckdb_path(root, key))
        else:  # a DuckDB copy an earlier store wrote for every table: the Parquet file answers, the space is freed
            duckdb_path(root, key).unlink(missing_ok=True)
        error_path(root, key).unlink(missing_ok=True)
        made = digest.result() if digest is not None else kept
        if made is None or (digest is not None and not tabular_compare.save_digest(digest_path(root, sha256), made)):
            digest_path(root, sha256).unlink(missing_ok=True)  # none of an earlier load stays for other rows
    finally:
        stage.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
    loaded = lookup(root, key)
    assert isinstance(loaded, Loaded)
    log.info("datastore: loaded %s (%s rows, %s)", key, loaded.rows, fmt)
    return loaded


def _text_pass(table: convert.Table, stage: Path, digest: tabular_compare.DigestBuilder | None = None
               ) -> tuple[int, list[bool], dict[int, dict[str, int]], list[pa.RecordBatch] | None]:
    """Write the normalised cells as text (plus ``_id``); return the row count, which columns convert to
    their type in every row, the personal data found per column index, and the text batches themselves when
    they fit in `STAGE_IN_MEMORY` bytes (then nothing is written to `stage`: most tables are small, and a
    re-check loads every changed one). The cells as read go to `digest` too."""
    columns = table.columns
    typed = [c.type in ARROW_TYPES for c in columns]
    schema = pa.schema([pa.field(ID, pa.int64())] + [pa.field(f"c{i}", pa.string()) for i in range(len(columns))])
    scanner = pii.ColumnScanner()
    rows = 0
    held: list[pa.RecordBatch] | None = []
    held_bytes = 0
    writer = None
    try:
        for batch in table.batches():
            n = batch.num_rows
            if n == 0:
                continue
            scanner.add(batch)
            if digest is not None:
                digest.add(batch)
            values = convert.normalise_arrays(batch, columns)
            arrays = [pa.array(range(rows + 1, rows + n + 1), pa.int64())]
            for i, (column, (arr, strings)) in enumerate(zip(columns, values, strict=True)):
                if typed[i]:
                    if strings:
                        typed[i] = False
                    else:
                        try:
                            pc.cast(arr, ARROW_TYPES[column.type])
                        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                            typed[i] = False
                arrays.append(arr)
            out = pa.RecordBatch.from_arrays(arrays, schema=schema)
            if held is not None and held_bytes + out.nbytes <= STAGE_IN_MEMORY:
                held.append(out)
                held_bytes += out.nbytes
            else:
                if writer is None:  # too big to hold: written out, the batches held so far first
                    writer = pq.ParquetWriter(stage, schema, compression="snappy")
                    for kept in held or []:
                        writer.write_batch(kept)
                    held = None
                writer.write_batch(out)
            rows += n
    finally:
        if writer is not None:
            writer.close()
    index = {c.name: i for i, c in enumerate(columns)}
    found = {}
    for name, kinds in scanner.result().items():
        personal = {k: int(v) for k, v in kinds.items() if k in pii.PERSONAL_KINDS and v}
        if personal and name in index:
            found[index[name]] = personal
    return rows, typed, found, held


def _typed_pass(stage: Path, final: Path, columns: list[convert.Column], typed: list[bool], meta: dict,
                held: list[pa.RecordBatch] | None = None) -> None:
    names = [f["id"] for f in meta["fields"]]
    types = [ARROW_TYPES[c.type] if ok else pa.string() for c, ok in zip(columns, typed, strict=True)]
    schema = pa.schema([pa.field(ID, pa.int64())] + [pa.field(n, t) for n, t in zip(names, types, strict=True)],
                       metadata={META_KEY: json.dumps(meta, ensure_ascii=False).encode("utf-8")})
    source = held if held is not None else pq.ParquetFile(stage).iter_batches(batch_size=PASS_ROWS)
    with pq.ParquetWriter(final, schema, compression="none") as writer:  # 2x faster to scan than zstd
        for batch in source:
            arrays = [batch.column(0)]
            for i, t in enumerate(types):
                arr = batch.column(i + 1)
                arrays.append(arr if t == pa.string() else pc.cast(arr, t))
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))


TABLE = "rows"


#: Categorical columns (text or boolean) with at most this many distinct values are what people filter on
#: ("district = 北山区", "flag = true"): the stored rows are clustered on up to CLUSTER_COLUMNS of them.
CLUSTER_MAX_DISTINCT = 1000
CLUSTER_COLUMNS = 2


def quote(name: str) -> str:
    """A column name as a DuckDB identifier (query.py writes every column name with it)."""
    return '"' + name.replace('"', '""') + '"'


def cluster_columns(con: duckdb.DuckDBPyConnection, parquet: Path) -> list[str]:
    """The categorical columns to cluster the stored rows on, fewest distinct values first.

    DuckDB keeps each column's min and max per row group (zone maps) and skips the row groups a filter
    excludes. Rows stored in the order of a categorical column put each of its values in a few row groups,
    so a filter on it reads those instead of the whole table (a page of 100 of one district's rows out of
    5,000,000: bench/rows.py). The second column is clustered within the first, so a filter on it alone
    reads as many runs as the first has values. Cheap to find: approximate distinct counts, one scan."""
    described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(parquet)]).fetchall()
    names = [row[0] for row in described if row[0] != ID and row[1] in ("VARCHAR", "BOOLEAN")]
    if not names:
        return []
    counts = con.execute("SELECT " + ", ".join(f"approx_count_distinct({quote(n)})" for n in names)
                         + " FROM read_parquet(?)", [str(parquet)]).fetchone()
    ranked = sorted((n for n, c in zip(names, counts, strict=True) if 2 <= c <= CLUSTER_MAX_DISTINCT),
                    key=lambda n: (counts[names.index(n)], names.index(n)))
    return ranked[:CLUSTER_COLUMNS]


def native(parquet: Path, target: Path) -> None:
    """The Parquet file's rows copied into a DuckDB database file of their own (table ``rows``): DuckDB scans
    its own format about four times faster than Parquet (bench/rows.py), in a quarter of the space. The rows
    are stored clustered on the table's categorical columns (`cluster_columns`), then by row number. Written
    under a temporary name and renamed, so readers (read-only, in any process) never see half a file."""
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.duckdb")
    alias = f"load_{uuid.uuid4().hex}"
    with _WRITER_LOCK:
        con = _writer()
        con.execute(f"ATTACH '{_sql_text(tmp)}' AS {alias}")
        try:
            keys = [*(quote(c) for c in cluster_columns(con, parquet)), ID]
            con.execute(f"CREATE TABLE {alias}.{TABLE} AS SELECT * FROM read_parquet(?) ORDER BY {', '.join(keys)}",
                        [str(parquet)])
            con.execute(f"CHECKPOINT {alias}")
        finally:
            con.execute(f"DETACH {alias}")
    try:
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)


#: One in-memory DuckDB instance per process that writes the DuckDB files, each attached while it is written:
#: starting an instance costs about 15 ms of CPU, attaching a file to a running one 1.5 ms (issue 19: a
#: re-check loads each changed file).
_WRITER: dict[int, duckdb.DuckDBPyConnection] = {}
_WRITER_LOCK = threading.Lock()


def _writer() -> duckdb.DuckDBPyConnection:
    pid = os.getpid()  # a forked worker starts its own: an instance is not shared across a fork
    con = _WRITER.get(pid)
    if con is None:
        _WRITER.clear()
        con = _WRITER[pid] = duckdb.connect(":memory:")
    return con


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def stored_hashes(root: Path) -> dict[str, list[Path]]:
    """Every copy the store holds something for (a table, its DuckDB file, a failure, its whole-file scan), with its
    files."""
    out: dict[str, list[Path]] = {}
    for path in Path(root).glob("??/*"):
        sha = _copy_of(path.name)
        if sha is not None:
            out.setdefault(sha, []).append(path)
    return out


def _copy_of(name: str) -> str | None:
    """The sha256 of the copy a file of the store is about (its table, DuckDB file, failure, whole-file scan), None
    for any other file."""
    if name.startswith("."):
        return None
    key = name.split(".", 1)[0]  # a store key: the hash, or the hash and its schema's (`store_key`)
    sha = key[:64]
    if len(sha) == 64 and len(key) in (64, 81) and name.endswith((".parquet", ".duckdb", ".error.json",
                                                                    ".rows.bin", ".whole.json")):
        return sha
    return None


def forget(root: Path, sha256: str) -> list[Path]:
    """Remove what the store holds for the copy `sha256` (its tables, their DuckDB files, a failure, its whole-file
    scan: a copy taken out of the archive); the files removed."""
    gone = [path for path in (Path(root) / sha256[:2]).glob(f"{sha256}*") if _copy_of(path.name) == sha256]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


def prune(root: Path, keep: set[str], *, dry_run: bool = False) -> dict[str, list[Path]]:
    """Remove what the store holds for copies no distribution has any more (older versions of changed files,
    removed distributions); returns what was (or, with `dry_run`, would be) removed."""
    gone = {sha: files for sha, files in stored_hashes(root).items() if sha not in keep}
    if not dry_run:
        for files in gone.values():
            for path in files:
                path.unlink(missing_ok=True)
    return gone

