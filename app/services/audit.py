"""The audit log: one AuditEvent per accepted change (who, what, when, the record before and after)."""

from __future__ import annotations

from typing import Any

from catalog_schema.models import AuditEvent, Dataset
from catalog_schema.store import add_audit_event


def audit(actor, action: str, ds: Dataset, before: dict | None, after: dict | None, **detail: Any) -> AuditEvent:
    """Record `action` on `ds` by `actor` (an app.services.context.Actor)."""
    user = actor.user
    return add_audit_event(actor.session, user_id=user.id if user is not None else None, action=action,
                           object_type="dataset", object_id=ds.id, publisher_id=ds.publisher_id, before=before,
                           after=after, detail={"via": actor.via, "name": ds.slug, **detail}, ip=actor.ip)
