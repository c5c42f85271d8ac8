"""What reading an archived file found, kept beside the archive and reused while its bytes are the same.

Re-assessing a catalog re-reads every archived copy: sniffing, RDF link counts and, above all, profiling
tables (seconds for a large one). A file whose sha256 has not changed gives the same facts, so they are
kept once per file at `ARCHIVE_DIR/facts/ab/<sha256>.<variant>.json` and read back instead.

The variant is everything else the facts depend on: the name the file is published under and the media type
its server declared (sniffing weighs both; its charset is a declared encoding), the declared format (the parse
check), the Table Schema, the encoding the metadata declares, and a
digest of the quality engine's own code, the encoding detector it shares with every door (plumbing/textencoding.py)
and the format vocabulary (`code_digest`), so a changed rule, or a changed encoding decision, never meets facts an
older one wrote. A document is written only when it reads back equal to what was computed (see
`quality.assess.DistributionFacts.to_doc`), and a missing, unreadable or foreign one is simply recomputed:
the cache can be deleted at any time (`opendata prune` drops the facts of archive files it removes, and every
document nothing reads again: `unread`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from plumbing import jsontext

FOLDER = "facts"
FORMAT = 1  # the layout of a facts document


@cache
def code_digest() -> str:
    """A digest of the quality engine's source, the encoding detector's and the format vocabulary: facts from other
    code do not count."""
    package = Path(__file__).resolve().parent
    return digest_of(package, package.parent / "catalog_schema" / "vocab_data" / "formats.json",
                     package.parent / "plumbing" / "textencoding.py")


def digest_of(package: Path, vocab: Path, detector: Path | None = None) -> str:
    """The digest of the `package`'s source, the format vocabulary `vocab` and the encoding detector's source
    `detector` (outside the package: the sniffer's every encoding is its decision)."""
    digest = hashlib.sha256(str(FORMAT).encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    if vocab.exists():
        digest.update(vocab.read_bytes())
    if detector is not None and detector.exists():
        digest.update(detector.read_bytes())
    return digest.hexdigest()[:16]


def variant(*, filename: str | None, media_type: str | None, declared: str | None, schema: Any,
            encoding: str | None = None) -> str:
    """The key, beside the file's sha256, of what else the facts of a file depend on; `encoding` is the encoding its
    metadata declares (the sniffer reads the file in it when the bytes bear it out)."""
    key = [code_digest(), filename, media_type, declared, schema] + ([encoding] if encoding else [])
    parts = json.dumps(key, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(parts.encode()).hexdigest()[:24]


def path_of(archive_dir: str | os.PathLike, sha256: str, key: str) -> Path:
    return Path(_path_text(archive_dir, sha256, key))


def _path_text(archive_dir: str | os.PathLike, sha256: str, key: str) -> str:
    return os.path.join(archive_dir, FOLDER, sha256[:2], f"{sha256}.{key}.json")


def load(archive_dir: str | os.PathLike, sha256: str, key: str) -> dict[str, Any] | None:
    """The kept facts document, or None when there is none (or it cannot be read: it is then recomputed)."""
    try:
        with open(_path_text(archive_dir, sha256, key), "rb") as fh:
            doc = jsontext.loads(fh.read())  # orjson: a re-check reads one document per unchanged file
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("sha256") != sha256:
        return None
    return doc.get("facts")


def save(archive_dir: str | os.PathLike, sha256: str, key: str, facts: dict[str, Any]) -> bool:
    """Keep a facts document (atomically: a reader never sees half of one). False when it could not be kept;
    a full disk costs the next assessment a re-read, never this one."""
    target = path_of(archive_dir, sha256, key)
    body = json.dumps({"format": FORMAT, "sha256": sha256, "facts": facts}, ensure_ascii=False)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def forget(archive_dir: str | os.PathLike, sha256: str) -> int:
    """Drop every facts document of one archive file (when the file itself is removed); how many went."""
    folder = Path(archive_dir) / FOLDER / sha256[:2]
    gone = 0
    for path in folder.glob(f"{sha256}.*.json") if folder.is_dir() else ():
        path.unlink(missing_ok=True)
        gone += 1
    return gone


def stored(archive_dir: str | os.PathLike) -> dict[str, list[Path]]:
    """Every archived file the cache keeps a document of (its facts, its CSV scan), by sha256, with those documents."""
    out: dict[str, list[Path]] = {}
    folder = Path(archive_dir) / FOLDER
    for path in folder.glob("??/*.json") if folder.is_dir() else ():
        sha = path.name.split(".", 1)[0]
        if len(sha) == 64 and path.parent.name == sha[:2]:
            out.setdefault(sha, []).append(path)
    return out


def unread(archive_dir: str | os.PathLike, current: set[str]) -> list[Path]:
    """The documents the cache keeps that nothing reads again: every one of an archived file that is no distribution's
    copy now (not in `current`, their sha256s: an older version of a changed file, whose scan only the comparison with
    its next version read, or a removed file's), and a CSV scan of a current copy kept under another engine's key
    (`scan_key`). What an older engine kept of a current copy under another variant is not told apart from what this
    one keeps (the variant is a digest): it stays until the copy is left."""
    scan = f".{scan_key()}.json"
    out: list[Path] = []
    for sha, paths in stored(archive_dir).items():
        if sha not in current:
            out += paths
        else:
            out += [p for p in paths if p.name.startswith(f"{sha}.scan-") and not p.name.endswith(scan)]
    return sorted(out)


def scan_key() -> str:
    """The key of a file's kept CSV scan (`quality.tabular.csvfile.kept_layouts`): the engine's code digest,
    so a scan an older rule wrote is not read."""
    return f"scan-{code_digest()}"


def save_scan(archive_dir: str | os.PathLike, sha256: str, layouts: list[dict[str, Any]]) -> bool:
    """Keep the CSV scans of one archived file (header row, notes rows, delimiter, encoding, byte offsets of
    its body) beside its facts, when they read back the same (a header cell that is not valid UTF-8 is not
    kept: the file is then scanned again when it is compared with its next version) and hold no personal data
    (`_personal`: a header row that is a citizen's record, a phone number in a notes row, as the file wrote them)."""
    if not layouts or _personal(layouts):
        return False
    try:
        if json.loads(json.dumps(layouts, ensure_ascii=False).encode("utf-8")) != layouts:
            return False
    except (TypeError, ValueError, UnicodeError):
        return False
    return save(archive_dir, sha256, scan_key(), {"layouts": layouts})


def _personal(layouts: list[Any]) -> bool:
    """Whether a scan's header cells or notes text hold personal data (quality.pii.is_personal): kept, they were
    personal data at rest, which the profile says as ``[redacted]`` and the serving gate never needs."""
    from quality import pii  # pyarrow: not for the registry's first import

    texts = []
    for doc in layouts:
        layout = doc.get("layout") if isinstance(doc, dict) else None
        if isinstance(layout, dict):
            texts += [str(t) for key in ("header", "notes_above_text") for t in layout.get(key) or [] if t]
    return bool(pii.personal_names(texts))


def has_scan(archive_dir: str | os.PathLike, sha256: str) -> bool:
    return path_of(archive_dir, sha256, scan_key()).exists()


def load_scan(archive_dir: str | os.PathLike, sha256: str) -> list[dict[str, Any]]:
    """The kept CSV scans of one archived file, or [] (none kept, or unreadable: the file is scanned)."""
    doc = load(archive_dir, sha256, scan_key())
    layouts = doc.get("layouts") if isinstance(doc, dict) else None
    return layouts if isinstance(layouts, list) else []
