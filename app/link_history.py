"""What the link checks of one distribution found over time: the failure history operators and users read.

The checks (quality.fetch, kept on the distribution by app.assessment.store_check) count the failures in a row
since the link last worked and keep when the first of them happened. `of(row)` is that history in one shape
for the dataset page, `/api/v1`, CKAN's `archiver` block (as ckanext-archiver names its fields) and the
dashboard's broken-links list.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

BROKEN = ("broken", "error")


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def of(row) -> dict[str, Any] | None:
    """The link-check history of a Distribution row; None when its link was never checked (an upload)."""
    if not row.check_status:
        return None
    return {"status": row.check_status, "broken": row.check_status in BROKEN,
            "http_status": row.http_status, "error": row.check_error,
            "last_checked": _iso(row.last_checked), "last_success": _iso(row.last_success),
            "first_failure": _iso(row.first_failure), "failure_count": row.failure_count or 0}


def archiver(row) -> dict[str, Any] | None:
    """ckanext-archiver's resource block (`archiver` in package_show) from the same history."""
    found = of(row)
    if found is None:
        return None
    return {"is_broken": found["broken"], "status": found["status"], "status_id": found["http_status"],
            "reason": found["error"] or "", "failure_count": found["failure_count"],
            "first_failure": found["first_failure"], "last_success": found["last_success"],
            "updated": found["last_checked"], "url_redirected_to": row.final_url, "hash": row.archive_hash,
            "size": row.archive_size}


def worst(rows) -> dict[str, Any] | None:
    """Over a dataset's distributions: the earliest first failure, the most failures in a row, and the last
    status of that link (the dashboard's broken-links list)."""
    broken = [h for h in (of(r) for r in rows) if h and h["broken"]]
    if not broken:
        return None
    longest = max(broken, key=lambda h: (h["failure_count"], -(len(h["first_failure"] or ""))))
    return {"first_failure": min((h["first_failure"] for h in broken if h["first_failure"]), default=None),
            "failure_count": longest["failure_count"],
            "last_status": longest["http_status"] or longest["error"]}
