"""Evidence from the web: check each distribution's URL and keep a capped copy (the archive).

The HTTP session is an argument (the app builds it with plumbing/http.py), so this
module has no network of its own and is tested against local servers.

- A conditional GET (If-None-Match / If-Modified-Since from the last check) skips the
  download when the file is unchanged; otherwise the body is streamed, capped at
  OPENDATA_MAX_DOWNLOAD_BYTES (a capped copy is kept and marked truncated: enough to sniff),
  hashed on the way and stored content-addressed (archive/ab/abcdef...), so the same file
  published twice is stored once and duplicates are found by hash.
- Checks run concurrently across hosts and one at a time per host (polite); the session's
  circuit breaker fails every URL of a dead host at once after a bounded number of tries.
- A full disk or any write error is a clear error on that distribution, and no partial
  file is left behind.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from plumbing.archive import ArchiveWriter
from plumbing.http_errors import HttpError

if TYPE_CHECKING:  # the session module loads requests; checking links here only needs its errors
    from plumbing.http import GuardedSession


@dataclass
class Previous:
    """What the last check kept, for conditional requests and counters."""

    etag: str | None = None
    last_modified: str | None = None
    archive_path: str | None = None
    archive_hash: str | None = None
    archive_size: int | None = None
    media_type: str | None = None
    first_failure: dt.datetime | None = None
    last_success: dt.datetime | None = None
    failure_count: int = 0
    truncated: bool = False  # the copy kept is the file's first max_bytes only


@dataclass
class CheckResult:
    url: str
    status: str  # ok, unchanged, broken, error (our side: disk, invalid URL)
    checked_at: dt.datetime
    final_url: str | None = None
    http_status: int | None = None
    error: str | None = None
    error_kind: str | None = None
    media_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    path: str | None = None
    truncated: bool = False
    etag: str | None = None
    last_modified: str | None = None
    first_failure: dt.datetime | None = None
    last_success: dt.datetime | None = None
    failure_count: int = 0

    @property
    def reachable(self) -> bool:
        return self.status in ("ok", "unchanged")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("checked_at", "first_failure", "last_success"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_url(http: GuardedSession, url: str | None, archive_dir: str | Path, *, previous: Previous | None = None,
              max_bytes: int | None = None) -> CheckResult:
    """Check one URL and archive its body. Never raises for a bad URL or a bad server."""
    previous = previous or Previous()
    now = _now()
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return _failed(CheckResult(url or "", "broken", now, error="no http(s) URL to check",
                                   error_kind="invalid-url"), previous)
    archive = Path(archive_dir)
    headers = {}
    have_copy = previous.archive_path and Path(previous.archive_path).exists()
    if have_copy and previous.etag:
        headers["If-None-Match"] = previous.etag
    if have_copy and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    try:
        writer = ArchiveWriter(archive, prefix="dl-", lazy=True)  # a 304 makes no file
    except OSError as exc:
        return _failed(CheckResult(url, "error", now, error=f"archive not writable: {exc.strerror or exc}",
                                   error_kind="archive"), previous)
    try:
        try:
            result = http.stream_to(url, writer, max_bytes=max_bytes, headers=headers, allow_truncated=True)
        except OSError as exc:  # the disk, not the web
            return _failed(CheckResult(url, "error", now, error=f"could not store the file: "
                                       f"{exc.strerror or exc}", error_kind="archive"), previous)
        except HttpError as exc:  # a broken link, told in the session's words
            return _failed(CheckResult(url, "broken", now, http_status=exc.status, error=str(exc),
                                       error_kind=exc.kind), previous)
        except Exception as exc:  # noqa: BLE001 - a failure the session did not type is still a broken link
            return _failed(CheckResult(url, "broken", now, error=str(exc), error_kind="error"), previous)
        writer.close()
        hdrs = {k.lower(): v for k, v in (result.headers or {}).items()}
        base = CheckResult(url, "ok", now, final_url=result.final_url, http_status=result.status,
                           media_type=hdrs.get("content-type"), etag=hdrs.get("etag"),
                           last_modified=hdrs.get("last-modified"), truncated=bool(result.truncated),
                           first_failure=None, last_success=now, failure_count=0)
        if result.status == 304 and have_copy:
            base.status = "unchanged"
            base.path, base.sha256, base.size = previous.archive_path, previous.archive_hash, previous.archive_size
            base.truncated = previous.truncated  # the copy kept, as whole or as cut as it was
            base.media_type = base.media_type or previous.media_type
            base.etag = base.etag or previous.etag
            base.last_modified = base.last_modified or previous.last_modified
            return base
        stored = writer.commit()
        base.sha256, base.size, base.path = stored.sha256, stored.size, stored.path
        return base
    except OSError as exc:
        return _failed(CheckResult(url, "error", now, error=f"could not store the file: {exc.strerror or exc}",
                                   error_kind="archive"), previous)
    finally:
        writer.discard()


def _failed(result: CheckResult, previous: Previous) -> CheckResult:
    result.first_failure = previous.first_failure or result.checked_at
    result.last_success = previous.last_success
    result.failure_count = previous.failure_count + 1
    return result


def check_many(http: GuardedSession, items: Iterable[tuple[str, str | None, Previous | None]],
               archive_dir: str | Path, *, max_bytes: int | None = None,
               workers: int = 8) -> dict[str, CheckResult]:
    """Check many (key, url, previous) at once: hosts in parallel, each host's URLs in turn."""
    by_host: dict[str, list[tuple[str, str | None, Previous | None]]] = defaultdict(list)
    for key, url, prev in items:
        by_host[urlsplit(url or "").hostname or ""].append((key, url, prev))
    results: dict[str, CheckResult] = {}

    def run_host(entries):
        for key, url, prev in entries:
            results[key] = check_url(http, url, archive_dir, previous=prev, max_bytes=max_bytes)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(by_host) or 1))) as pool:
        list(pool.map(run_host, by_host.values()))
    return results
