"""Running a vetted `datastore_search_sql` query (``app.datastore.vet``) in a DuckDB of its own.

Each query gets a fresh in-memory DuckDB connection that holds nothing but one view per resource the gate
let through, named by the resource id, over that table's DuckDB file attached read-only under a random
alias. A column the gate masks is masked in the view itself (``[redacted]``, a missing cell stays missing),
so ``SELECT *``, ``t.*``, ``COLUMNS(...)``, a whole row as a struct or a column renamed by an alias can
only ever read the mask. Then, before the client's text runs, the connection is closed to the world:
``enable_external_access = false`` (no file, no network, no extension: ``read_csv``, ``COPY``, ``ATTACH``,
``INSTALL`` fail even if the vetting let one through) and ``lock_configuration = true`` (no ``SET`` can
undo that). The attached files stay readable: DuckDB checks file access when a file is opened, and
these were opened before. A view over ``read_parquet`` would not be (it opens its file at each query,
which the locked connection refuses), hence the DuckDB file, which is also about four times faster to scan
(``app.datastore.load.native``); a table whose DuckDB file is missing is copied in from its Parquet file
before the lock.

Opening a DuckDB instance costs about 100 ms, more than most queries: two fresh, never used instances are
kept ready by a thread of their own, and each serves one query only.

Bounds: a statement timeout (a timer thread interrupts the connection), a memory limit with no spilling
to disk, and the row cap (``cap + 1`` rows fetched from a streaming result, so a query answering
millions of rows stops at the cap and says it was truncated).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import queue
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import duckdb

from app.datastore import engine_errors
from app.datastore import query as rowq
from app.datastore.load import ID, TABLE, Loaded
from app.datastore.vet import Refused, invalid
from app.texts import T_

MEMORY_LIMIT = "512MB"
THREADS = 2
_INT = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
        "UHUGEINT")


@dataclass(frozen=True)
class Table:
    """A resource the query may read: its id (the view's name), its table and the columns the gate masks."""

    name: str
    loaded: Loaded
    hidden: frozenset[str] = frozenset()


@dataclass
class Answer:
    names: list[str]
    types: list[str]  # CKAN DataStore types (int, numeric, bool, date, timestamp, text) or DuckDB's own name
    rows: list[tuple]
    truncated: bool  # more rows than the cap matched


def ckan_type(duck: str) -> str:
    name = duck.upper()
    if name in _INT:
        return "int"
    if name in ("DOUBLE", "FLOAT", "REAL") or name.startswith("DECIMAL"):
        return "numeric"
    if name == "BOOLEAN":
        return "bool"
    if name == "DATE":
        return "date"
    if name.startswith("TIMESTAMP"):
        return "timestamp"
    if name == "VARCHAR":
        return "text"
    return name.lower()


def _open() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT, "threads": THREADS, "temp_directory": "",
                                              "autoinstall_known_extensions": False,
                                              "autoload_known_extensions": False})


# Opening a DuckDB costs about 100 ms here, more than most queries: a few fresh, never used instances are kept
# ready (made by a thread of their own after one is taken). Each serves one query and is closed; one made
# in another process (before a fork) is not used.
SPARES = 2
_spares: queue.SimpleQueue[tuple[int, duckdb.DuckDBPyConnection]] = queue.SimpleQueue()
_filling = threading.Lock()


class Watchdog:
    """One thread that calls each armed function when its deadline passes, unless disarmed first (a
    `threading.Timer` per query started a thread per query)."""

    def __init__(self) -> None:
        self._due: dict[int, tuple[float, Any]] = {}
        self._next = 0
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def arm(self, seconds: float, action) -> int:
        with self._wake:
            if self._thread is None or self._pid != os.getpid():  # none yet, or a fork left it behind
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._watch, daemon=True, name="datastore-sql-watchdog")
                self._thread.start()
            self._next += 1
            self._due[self._next] = (time.monotonic() + seconds, action)
            self._wake.notify()
            return self._next

    def disarm(self, token: int) -> None:
        with self._wake:
            self._due.pop(token, None)

    def _watch(self) -> None:
        while True:
            with self._wake:
                now = time.monotonic()
                fired = [tok for tok, (at, _) in self._due.items() if at <= now]
                actions = [self._due.pop(tok)[1] for tok in fired]
                if not actions:
                    wait = min((at for at, _ in self._due.values()), default=now + 60) - now
                    self._wake.wait(wait)
            for action in actions:
                try:
                    action()
                except Exception:  # noqa: BLE001 - a connection already closed: nothing to stop
                    pass


_WATCHDOG = Watchdog()


def _fresh() -> duckdb.DuckDBPyConnection:
    con = None
    while con is None:
        try:
            pid, spare = _spares.get_nowait()
        except queue.Empty:
            con = _open()
            break
        if pid == os.getpid():
            con = spare
    if _filling.acquire(blocking=False):
        threading.Thread(target=_fill, daemon=True, name="datastore-sql-spares").start()
    return con


def _fill() -> None:
    try:
        while _spares.qsize() < SPARES:
            _spares.put((os.getpid(), _open()))
    finally:
        _filling.release()


def _view(con: duckdb.DuckDBPyConnection, table: Table, alias: str) -> None:
    loaded = table.loaded
    source = None
    if loaded.db is not None:
        try:
            con.execute(f"ATTACH {_literal(str(loaded.db))} AS {alias} (READ_ONLY)")
            source = f"{alias}.main.{TABLE}"
        except duckdb.Error:  # gone since the lookup: the Parquet file holds the same rows
            source = None
    if source is None:
        con.execute(f"CREATE TABLE {alias} AS SELECT * FROM read_parquet({_literal(str(loaded.path))})")
        source = alias
    columns = []
    for name in [ID, *loaded.names]:
        col = rowq.quote(name)
        columns.append(f"CASE WHEN {col} IS NULL THEN NULL ELSE {_literal(rowq.MASK)} END AS {col}"
                       if name in table.hidden else col)
    con.execute(f"CREATE VIEW {rowq.quote(table.name)} AS SELECT {', '.join(columns)} FROM {source}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def run(sql: str, tables: list[Table], *, cap: int, timeout_ms: int) -> Answer:
    """Run `sql` (vetted) over `tables`: at most `cap` rows, stopped after `timeout_ms`. Refused (409) when
    it fails or takes too long, with DuckDB's reason (the sandbox's own file names and aliases left out)."""
    con = _fresh()
    aliases: dict[str, str] = {}
    try:
        for table in tables:
            aliases[table.name] = alias = "s_" + secrets.token_hex(12)
            _view(con, table, alias)
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        alarm = _WATCHDOG.arm(max(timeout_ms, 1) / 1000, con.interrupt)
        try:
            cur = con.execute(sql)
            description = cur.description or []
            rows = cur.fetchmany(cap + 1)
        except duckdb.InterruptException as exc:
            raise invalid("sql-timeout", T_("Query took too long: stopped after %(ms)s ms.", ms=timeout_ms)) from exc
        except duckdb.Error as exc:
            raise invalid("sql-error", _failed(_clean(str(exc), tables, aliases))) from exc
        finally:
            _WATCHDOG.disarm(alarm)
    finally:
        con.close()
    names = [d[0] for d in description]
    types = [ckan_type(str(d[1])) for d in description]
    return Answer(names=names, types=types, rows=rows[:cap], truncated=len(rows) > cap)


def _failed(reason: str) -> str:
    """DuckDB's reason as a sentence of ours (app/datastore/engine_errors.py: a column, a value, a type and the
    place in the query kept), else its own English words quoted in one."""
    explained = engine_errors.explain(reason, memory_limit=MEMORY_LIMIT)
    if explained is not None:
        return explained
    reason = engine_errors.detail(reason) if reason else ""
    return T_("The query failed: %(error)s", error=reason) if reason else T_("The query failed.")


def _clean(message: str, tables: list[Table], aliases: dict[str, str]) -> str:
    for table in tables:
        for path in (table.loaded.db, table.loaded.path):
            if path is not None:
                message = message.replace(str(path), "<table>")
                message = message.replace(str(path.parent), "<store>")
        message = message.replace(aliases.get(table.name, "\0"), table.name)
    return message.strip()[:1000]


def plain(value: Any, *, as_text: bool = False) -> Any:
    """A value DuckDB answered as JSON carries it; nested values (lists, structs, maps) as JSON text when
    `as_text` (so the personal-data scan of text cells sees inside them)."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return iso_duration(value)
    if isinstance(value, (list, tuple, dict)):
        nested = ({str(k): plain(v) for k, v in value.items()} if isinstance(value, dict)
                  else [plain(v) for v in value])
        return json.dumps(nested, ensure_ascii=False, default=str) if as_text else nested
    return rowq.plain(value)


def iso_duration(value: dt.timedelta) -> str:
    """An INTERVAL as an ISO 8601 duration (P1DT2H30M, -PT1.5S, PT0S), as JSON clients parse it (Python's
    text, "1 day, 2:30:00", was what the API answered)."""
    micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    sign, micros = ("-", -micros) if micros < 0 else ("", micros)
    days, rest = divmod(micros, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, fraction = divmod(rest, 1_000_000)
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or fraction:
        clock += f"{seconds}.{fraction:06d}".rstrip("0").rstrip(".") + "S" if fraction else f"{seconds}S"
    if not days and not clock:
        return "PT0S"
    return f"{sign}P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")


def records(answer: Answer, *, redact: bool) -> tuple[list[str], list[dict[str, Any]]]:
    """The answer's types and rows as CKAN's records; with `redact` (a table was served masked), every text
    cell holding personal data masked as in the other doors."""
    rows = [tuple(plain(v, as_text=redact) for v in row) for row in answer.rows]
    types = list(answer.types)
    if redact:
        masked = rowq.masked(rowq.Result(answer.names, types, rows, None), frozenset())
        rows, types = masked.rows, masked.types
    return types, [dict(zip(answer.names, row, strict=True)) for row in rows]


__all__ = ["Answer", "Refused", "Table", "ckan_type", "records", "run"]
