"""The whole-file scan of an archived copy (`quality.tabular.whole`), kept beside the copy's table in the row
store (`<root>/ab/<sha256>.whole.json`): an archived copy is named by its hash and never rewritten, so the scan
is made once: by the assessment that archived the copy (`warm`), else on the first request for the file itself.
It is as disposable as the rest of the store."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from quality.tabular.whole import scan_file

log = logging.getLogger(__name__)


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
    kept = path_of(root, sha256)
    try:
        return json.loads(kept.read_text(encoding="utf-8"))["parts"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    found = scan_file(archive_path, fmt)
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        stage = kept.with_name(f".{kept.name}.{os.getpid()}")
        stage.write_text(json.dumps({"sha256": sha256, "parts": found}, ensure_ascii=False), encoding="utf-8")
        os.replace(stage, kept)
    except OSError:  # a store this process cannot write: the scan is made again next time
        pass
    return found
