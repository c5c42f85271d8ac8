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
from pathlib import Path
from typing import Any

from app.texts import T_

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


#: The fields of a manifest and of its archive section, with the kind of value each holds.
_FIELDS = {"taken_at": str, "backend": str, "revision": str, "dump": str, "dump_sha256": str, "dump_bytes": int,
           "counts": dict}
_ARCHIVE_FIELDS = {"source_dir": str, "files": int, "bytes": int, "copied": int, "missing": list, "corrupt": list}


def from_json(text: str) -> Manifest:
    """The manifest `text` holds; ValueError saying what is wrong (in the command's language) for one that is
    not a manifest: a list, a field missing or of another kind, a dump named by a path ("../x") were a
    traceback or a Python error message ("Manifest.__init__() missing 7 required positional arguments")."""
    try:
        data: Any = json.loads(text)
    except ValueError as exc:
        raise ValueError(T_("it is not JSON (%(error)s)", error=str(exc))) from None
    if not isinstance(data, dict):
        raise ValueError(T_("it is not a JSON object"))
    if data.get("version") != VERSION:
        raise ValueError(T_("manifest version %(version)s is not one this code reads (%(expected)s)",
                            version=repr(data.get("version")), expected=VERSION))
    if not isinstance(data.get("archive"), dict):  # a hand-made or cut-short manifest: said, not a KeyError
        raise ValueError(T_("the manifest has no archive section"))
    archive = data.pop("archive")
    wrong = [name for name, kind in _FIELDS.items() if not _is(data.get(name), kind)]
    wrong += [f"archive.{name}" for name, kind in _ARCHIVE_FIELDS.items()
              if name in archive and not _is(archive[name], kind)]
    if not isinstance(archive.get("source_dir"), str):
        wrong.append("archive.source_dir")
    if wrong:
        raise ValueError(T_("the manifest lacks %(fields)s, or holds another kind of value there",
                            fields=", ".join(wrong)))
    if Path(data["dump"]).name != data["dump"] or data["dump"] in ("", ".", ".."):
        raise ValueError(T_("the manifest names the dump %(name)s, which is not a file of the backup folder",
                            name=repr(data["dump"])))
    known = set(_FIELDS) | {"version"}
    return Manifest(**{k: v for k, v in data.items() if k in known},
                    archive=ArchiveSummary(**{k: v for k, v in archive.items() if k in _ARCHIVE_FIELDS}))


def _is(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))
