"""The whole-file scan of an archived copy (`quality.tabular.whole`), kept beside the copy's table in the row
store (`<root>/ab/<sha256>.whole.json`): an archived copy is named by its hash and never rewritten, so the scan
is made once: by the assessment that reads the copy (`scanner`, whose answer its personal-data findings are made
from), else on the first request for the file itself. The doors and the findings therefore decide on the same scan.
It is as disposable as the rest of the store: a kept scan from before it named the table's part is made again."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from quality.tabular.whole import scan_whole

log = logging.getLogger(__name__)


#: The scan's version, kept with it: 2 reads what a GZIP holds (version 1 scanned its compressed bytes as text, and
#: found nothing in a gzipped CSV of ID numbers); 3 reads a GZIP inside a ZIP and says what it could not read to its
#: end (quality.tabular.whole.UNSCANNED: a GZIP past the bound, a ZIP too deep, a bomb, an encrypted member), where
#: version 2 said nothing of it; 4 reads numbers typed in full-width digits and ID numbers grouped 6-8-4
#: (quality.pii `_plain`), in any format; 5 reads the text of a PDF (a file, a ZIP member, what a GZIP holds), where
#: version 4 said nothing of one, and keeps the pages of each PDF part (``pdf``: where each kind was found, the pages
#: without text, why one was not read to its end); 6 says a ZIP no reader opens (cut off, no central directory) could
#: not be read, where 5 said it held nothing. A scan kept by an older version is made again.
SCAN_VERSION = 6


def path_of(root: Path | str, sha256: str) -> Path:
    return Path(root) / sha256[:2] / f"{sha256}.whole.json"


def warm(root: Path | str, sources) -> None:
    """Scan each copy of `sources` (load.Source: sha256, path, format) that has no kept scan yet; one that cannot
    be read now is scanned on its first download instead."""
    for source in sources:
        if path_of(root, source.sha256).is_file() or not os.path.isfile(source.path):
            continue
        try:
            scan(root, source.sha256, source.path, source.format)
        except Exception as exc:  # noqa: BLE001 - a file no reader takes: the door scans it, or finds it unreadable
            log.info("whole-file scan of %s skipped: %s", source.sha256[:12], exc.__class__.__name__)


def scan(root: Path | str, sha256: str, archive_path: str, fmt: str | None) -> dict[str, dict[str, int]]:
    """{part: {kind: cells}} of the copy `sha256` at `archive_path`, from the store, else scanned and kept."""
    return found(root, sha256, archive_path, fmt)["parts"]


def kept(root: Path | str, sha256: str) -> dict | None:
    """``{"parts", "table"}`` of the copy `sha256` as kept in the store (the table's part None when kept before it
    was named: every part then counts as beyond the table), or None when no scan is kept: read, never made, for
    the pages that list datasets (app.services.serving.exposed_personal_data), which scan no file."""
    try:
        doc = json.loads(path_of(root, sha256).read_text(encoding="utf-8"))
        return {"parts": doc["parts"], "table": doc.get("table"), "pdf": doc.get("pdf") or {}}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def found(root: Path | str, sha256: str, archive_path: str, fmt: str | None) -> dict:
    """``{"parts": {part: {kind: cells}}, "table": the table's part, "pdf": {part: its pages}}`` of the copy
    `sha256` at `archive_path` (quality.tabular.whole.scan_whole), from the store, else scanned and kept. A kept
    scan without its table's part (kept before the part was named) is made again; when the copy cannot be read now,
    its parts are answered with no table part (every part then counts as beyond the table, which fails closed)."""
    kept = path_of(root, sha256)
    old = None
    try:
        doc = json.loads(kept.read_text(encoding="utf-8"))
        if "table" in doc and doc.get("version", 1) >= SCAN_VERSION:
            return {"parts": doc["parts"], "table": doc["table"], "pdf": doc.get("pdf") or {}}
        old = {"parts": doc["parts"], "table": None}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        whole = scan_whole(archive_path, fmt)
    except OSError:
        if old is not None:
            return old
        raise
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        stage = kept.with_name(f".{kept.name}.{os.getpid()}")
        stage.write_text(json.dumps({"sha256": sha256, "version": SCAN_VERSION, **whole}, ensure_ascii=False),
                         encoding="utf-8")
        os.replace(stage, kept)
    except OSError:  # a store this process cannot write: the scan is made again next time
        pass
    return whole


def scanner(root: Path | str | None):
    """The whole-file scan an assessment hands to ``quality.assess.collect_facts`` (`(sha256, path, format)` ->
    `found`): kept in the row store under `root`, where the doors read it; without a store, made each time."""
    if root is None:
        return lambda sha256, path, fmt: scan_whole(path, fmt)
    return lambda sha256, path, fmt: found(root, sha256, os.fspath(path), fmt)
