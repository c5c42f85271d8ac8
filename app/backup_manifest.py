"""A backup's manifest (`manifest.json` in the backup folder): what it holds, to check it and to restore it.

`to_json` and `from_json` are a pure pair (tests/app/test_backup.py holds the round trip). The manifest says
the format version, when the backup was taken, the code's and the database's migration, the kind of database
and the dump's file with its sha256, the rows of each table, and the archive: the folder it came from (restore
moves the catalog's file paths to the new folder), how many files and bytes it holds and how many this backup
copied (the rest were already in the backup folder from an earlier backup: files are named by their sha256,
so a file present is the same file).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

VERSION = 1
NAME = "manifest.json"


@dataclass(frozen=True)
class ArchiveSummary:
    source_dir: str
    files: int = 0
    bytes: int = 0
    copied: int = 0
    missing: list[str] = field(default_factory=list)  # files the catalog names that were not in the archive
    corrupt: list[str] = field(default_factory=list)  # files whose bytes no longer hash to their name: left out


@dataclass(frozen=True)
class Manifest:
    taken_at: str  # ISO 8601, UTC
    backend: str  # "sqlite" or "postgresql"
    revision: str  # the database's migration head
    dump: str  # the dump's file name in the backup folder
    dump_sha256: str
    dump_bytes: int
    counts: dict[str, int]
    archive: ArchiveSummary
    version: int = VERSION


def to_json(manifest: Manifest) -> str:
    return json.dumps(asdict(manifest), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def from_json(text: str) -> Manifest:
    data: dict[str, Any] = json.loads(text)
    if data.get("version") != VERSION:
        raise ValueError(f"manifest version {data.get('version')!r} is not one this code reads ({VERSION})")
    if not isinstance(data.get("archive"), dict):  # a hand-made or cut-short manifest: said, not a KeyError
        raise ValueError("the manifest has no archive section")
    archive = ArchiveSummary(**data.pop("archive"))
    return Manifest(**data, archive=archive)
