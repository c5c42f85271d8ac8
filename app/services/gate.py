"""The personal-data gate: personal data found in a file keeps it from the public until an admin of the
publisher (or a sysadmin) overrides the block with a reason. An override covers the files (by sha256)
present when it was made; a changed file needs a new one. The serving side of the same rule is
app.services.serving.
"""

from __future__ import annotations

from typing import Any

from app.services import access
from app.services.audit import audit
from app.services.base import service
from app.services.errors import Conflict, Forbidden, Invalid
from catalog_schema.models import Dataset, utcnow
from catalog_schema.store import set_extras, to_record

MIN_REASON_CHARS = 10


def pii_slugs() -> tuple[str, ...]:
    from quality.assess import PII_SLUGS

    return PII_SLUGS


def pii_findings(doc: dict) -> list[dict]:
    slugs = pii_slugs()
    return [f for f in doc.get("findings") or [] if f.get("type") in slugs]


def pii_override(ds: Dataset) -> dict | None:
    return ((ds.extras or {}).get("publishing") or {}).get("pii_override")


def pii_blocking(ds: Dataset, doc: dict) -> list[dict]:
    """PII findings not covered by a recorded override (one covers the files present when it was made)."""
    found = pii_findings(doc)
    override = pii_override(ds)
    if not override:
        return found
    covered = set(override.get("files") or [])
    hashes = {row.id: row.archive_hash for row in ds.distributions}
    return [f for f in found if hashes.get(f.get("distribution")) not in covered]


def blocked_message(blocking: list[dict], *, new: bool = False) -> str:
    kinds = sorted({f["type"] for f in blocking})
    if new:
        return (f"Personal data found ({', '.join(kinds)}): nothing was created. Remove it from the file; or "
                "create the dataset as a draft (the publish page, or POST /api/v1/datasets without publish), "
                "where an admin of the publisher can override the block with a reason.")
    return (f"Personal data found ({', '.join(kinds)}): remove it from the file, or an admin of the publisher "
            "must override with a reason.")


@service
def override_pii(actor, ds: Dataset, reason: str) -> dict[str, Any]:
    """An admin of the publisher (or a sysadmin) lets the files with personal data out, saying why."""
    from app.services.check import prepublication_check

    session, user = actor.session, actor.user
    if not access.is_admin_of(session, user, ds.publisher):
        raise Forbidden("Only an admin of the publisher (or a sysadmin) may override a personal-data block.")
    access.ensure_not_harvested(ds, user)
    reason = " ".join(str(reason or "").split())
    if len(reason) < MIN_REASON_CHARS:
        raise Invalid(f"Give the reason for publishing personal data (at least {MIN_REASON_CHARS} characters).",
                      field="reason")
    check = prepublication_check(session, ds, **actor.check_kwargs())
    found = pii_findings(check["assessment"])
    if not found:
        raise Conflict("No personal data was found: there is nothing to override.")
    hashes = {row.id: row.archive_hash for row in ds.distributions}
    override = {"by": user.email, "user_id": user.id, "at": utcnow().isoformat(), "reason": reason[:2000],
                "findings": sorted({f["type"] for f in found}),
                "files": sorted({hashes[f["distribution"]] for f in found if hashes.get(f.get("distribution"))})}
    before = to_record(ds)
    set_extras(ds, "publishing", {**((ds.extras or {}).get("publishing") or {}), "pii_override": override})
    audit(actor, "publish.pii_override", ds, before, to_record(ds), reason=override["reason"],
          findings=override["findings"])
    session.commit()
    return override
