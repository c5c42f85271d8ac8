"""Which CSV of a dataset its CSVW metadata describes, and what the metadata's templates give on the CSV's rows.

A publisher who describes a CSV with CSV on the Web metadata publishes the metadata beside it: another
distribution of the same dataset, whose bytes (sniffed as JSON or JSON-LD) are a document with the CSVW `@context`.
Each table it names by `url` (resolved against the metadata's own address) that is a CSV of the same dataset gets
`csvw` facts: the templates expanded on the rows of its archived copy (`quality.csvw.uris`). Metadata that cannot
be used, or names no CSV of the dataset, gets `csvw_problem`, which `quality.rules.csvw_metadata` words. Nothing is
fetched here: only the copies the link check archived are read.

What the templates give depends on two files, so it is not part of either file's kept facts; it is kept beside
the archive under the CSV's sha256 and a variant made of the table's description (quality.facts_cache), so an
unchanged pair is not read again.
"""

from __future__ import annotations

import logging
from contextlib import closing
from itertools import chain
from pathlib import Path
from typing import Any

from plumbing.textencoding import Declaration, decide_encoding
from quality import facts_cache, openness
from quality.csvw import tableschema, uris
from quality.csvw.metadata import MARKER, MARKER_WINDOW, CsvwError, Table, read_metadata

log = logging.getLogger(__name__)

METADATA_FORMATS = frozenset({"JSON", "JSON_LD"})
TABLE_FORMATS = frozenset({"CSV", "TSV", "PSV"})
METADATA_CAP = 4 * 1024 * 1024  # CSVW metadata larger than this is not read
ROW_LIMIT = 100_000  # the rows whose URIs are counted: enough to judge, bounded for a very large file
HEAD_BYTES = 4 * 1024 * 1024


def describe(facts: dict[str, Any], schemas: dict[str, Any] | None = None, *,
             cache_dir: str | Path | None = None) -> None:
    """Set `csvw` on each CSV distribution a metadata distribution of the same dataset describes, and
    `csvw_problem` on each metadata distribution that could not be used (facts: quality.assess.DistributionFacts);
    then on each CSV the metadata names no row of, when the Table Schema declared on it (`schemas`, by the
    distribution's key) has a primary key whose values name every row with an http(s) URI
    (quality.csvw.tableschema)."""
    _by_metadata(facts, cache_dir)
    for key, schema in (schemas or {}).items():
        fact = facts.get(key)
        if fact is None or (fact.csvw and fact.csvw.get("subjects")) or not _readable_table(fact):
            continue
        keyed = tableschema.keyed_table(schema, fact.url or "")
        if keyed is None:
            continue
        try:
            found = _counted(keyed[0], fact, cache_dir)
        except Exception as exc:  # noqa: BLE001 - the table's own findings (profile) say what is wrong with it
            log.info("table schema key of %s not read: %s", fact.url, exc.__class__.__name__)
            continue
        if tableschema.all_named(found):
            fact.csvw = {"key": keyed[1], **found}


def _readable_table(fact: Any) -> bool:
    check = fact.check
    fmt = fact.sniffed.format if fact.sniffed is not None else None
    return fmt in TABLE_FORMATS and check is not None and check.reachable and bool(check.path)


def _by_metadata(facts: dict[str, Any], cache_dir: str | Path | None) -> None:
    """The CSVW metadata distributions' part of `describe`."""
    for fact in facts.values():
        tables = _tables(fact)
        if not tables:
            continue
        for table in tables:
            target = _named(table.url, facts)
            if target is None:
                _problem(fact, "names-no-file", table.url)
                continue
            fmt = target.sniffed.format if target.sniffed is not None else None  # a zipped CSV is a ZIP here
            if fmt not in TABLE_FORMATS:
                _problem(fact, "not-csv", table.url, format=fmt or "?")
                continue
            try:
                found = _counted(table, target, cache_dir)
            except CsvwError as exc:
                _problem(fact, exc.reason, exc.detail)
                continue
            except Exception as exc:  # noqa: BLE001 - a table no reader takes is said, never a crash
                log.info("CSVW table %s not read: %s", table.url, exc.__class__.__name__)
                _problem(fact, "unreadable", table.url)
                continue
            fact.csvw_describes = fact.csvw_describes or table.url
            found = {"metadata": fact.url, **found}
            if target.csvw is None or _rank(found) > _rank(target.csvw):
                target.csvw = found


def _tables(fact: Any) -> list[Table] | None:
    """The tables a distribution's CSVW metadata describes; None when it is no CSVW metadata (or could not be
    used: then `csvw_problem` says why)."""
    check = fact.check
    fmt = fact.sniffed.format if fact.sniffed is not None else None
    if fmt not in METADATA_FORMATS or check is None or not check.reachable or not check.path:
        return None
    path = Path(check.path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MARKER_WINDOW)
            if MARKER not in data:  # JSON of another kind: not read whole
                return None
            size = path.stat().st_size
            if size > METADATA_CAP:
                _problem(fact, "too-large", f"{size:,}")
                return None
            data += fh.read()
    except OSError:
        return None
    try:
        return read_metadata(data, check.final_url or fact.url)
    except CsvwError as exc:
        _problem(fact, exc.reason, exc.detail)
        return None


def _named(url: str, facts: dict[str, Any]) -> Any:
    """The distribution whose address (as given, or as its link check ended after redirects) is `url`."""
    for fact in facts.values():
        check = fact.check
        addresses = {fact.url, check.url if check else None, check.final_url if check else None}
        if url in addresses and check is not None and check.reachable and check.path:
            return fact
    return None


def _counted(table: Table, target: Any, cache_dir: str | Path | None) -> dict[str, Any]:
    """What `table`'s templates give on the rows of `target`'s archived copy, kept beside the archive."""
    check = target.check
    key = None
    if cache_dir is not None and check.sha256:
        key = facts_cache.variant(filename=None, media_type=None, declared="CSVW", schema=table.to_dict())
        kept = facts_cache.load(cache_dir, check.sha256, key)
        if kept is not None:
            return kept
    found = _impersonal(count(table, Path(check.path), target.sniffed.format, target.sniffed.encoding))
    if key is not None:
        facts_cache.save(cache_dir, check.sha256, key, found)
    return found


def count(table: Table, path: Path, fmt: str, encoding: str | None) -> dict[str, Any]:
    """The table's templates expanded on the file's rows, read by the table reader in the encoding the metadata's
    dialect declares when the bytes bear it out (else the one the file was sniffed as)."""
    from quality.tabular import read_table  # pyarrow: not for the registry's first import

    if table.encoding:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        decision = decide_encoding(head, [Declaration(table.encoding, "metadata")],
                                   detected=(encoding, 0.5) if encoding else None)
        encoding = decision.encoding or encoding
    with closing(read_table(path, format=fmt.lower(), encoding=encoding, header=True)) as batches:
        first = next(batches, None)
        width = first.num_columns if first is not None else 0
        if table.width and width and table.width != width:
            raise CsvwError("columns", f"{table.width}/{width}")
        return uris.tally(table, _rows(first, batches), vocabulary=openness.VOCABULARY_NAMESPACES,
                          domain=openness.domain, limit=ROW_LIMIT)


def _rows(first, batches):
    """The cells of each row of the batches, `first` (already taken to see the width) included."""
    for batch in chain([first] if first is not None else [], batches):
        yield from zip(*(c.to_pylist() for c in batch.columns), strict=True)


def _impersonal(found: dict[str, Any]) -> dict[str, Any]:
    """The counts with the example URIs that hold personal data (a template over an ID number or an e-mail
    address) left out: findings are shown to everyone and kept facts are not to hold personal data."""
    from quality import pii  # pyarrow: not for the registry's first import

    return {k: None if k.startswith("example_") and v and pii.is_personal(v) else v for k, v in found.items()}


def _problem(fact: Any, reason: str, detail: str, **more: Any) -> None:
    if fact.csvw_problem is None:
        fact.csvw_problem = {"reason": reason, "detail": detail, **more}


def _rank(found: dict[str, Any]) -> tuple[int, int]:
    return (1 if found.get("subjects") else 0, 1 if found.get("links") else 0)
