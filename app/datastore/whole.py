"""The whole-file scan of an archived copy (`quality.tabular.whole`), kept beside the copy's table in the row
store (`<root>/ab/<sha256>.whole.json`): an archived copy is named by its hash and never rewritten, so the scan
is made once, on the first request for the file itself, and is as disposable as the rest of the store."""

from __future__ import annotations

import json
import os
from pathlib import Path

from quality.tabular.whole import scan_file


def path_of(root: Path | str, sha256: str) -> Path:
    return Path(root) / sha256[:2] / f"{sha256}.whole.json"


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
