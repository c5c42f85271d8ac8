"""CKAN's activity actions: `package_activity_list`, `organization_activity_list` and
`recently_changed_packages_activity_list`, answering as CKAN 2.10's activity plugin does.

They read the public changes of app/activity.py (the audit log and the harvest records the gate writes):

    {"id": "<uuid>", "timestamp": "2026-12-03T10:00:00.000000", "user_id": "7" | null,
     "object_id": "<dataset id>", "activity_type": "new package" | "changed package" | "deleted package",
     "revision_id": null, "data": {"package": {...}, "actor": "<publisher or harvest source>"}}

`data.package` is the package dict as the public saw it after the change: the record the audit entry kept,
mapped as package_show maps the current one (a harvest keeps no record, so its entries carry the current
dict). A withdrawn dataset's entries carry only its name, title and publisher, as its tombstone does: what was
taken down is not served again through its history. Drafts and deleted datasets have no activity.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from app import activity
from app.api.ckan_core import (
    _datasets,
    _find_dataset,
    _find_publisher,
    _id_param,
    _iso,
    _readable,
    _site,
    int_param,
    not_found,
    organization_dict,
    package_dict,
)
from app.services import lifecycle, serving
from catalog_schema import ckan
from catalog_schema.models import Dataset, User
from catalog_schema.record import pick_text

#: CKAN's ckan.activity_list_limit default and its ckan.activity_list_limit_max
DEFAULT_LIMIT = 31
MAX_LIMIT = 100
TYPES = {activity.NEW: "new package", activity.CHANGED: "changed package", activity.DELETED: "deleted package"}
_NAMESPACE = uuid.UUID("6f1c8f0e-6a3e-4d0a-9d55-2f0b8a1f5c11")


def activity_id(change: activity.Change) -> str:
    """A stable UUID for a change (CKAN's activity ids are UUIDs)."""
    return str(uuid.uuid5(_NAMESPACE, change.key))


def _tombstone_package(ds: Dataset) -> dict[str, Any]:
    out = {"id": ds.id, "name": ds.slug, "title": pick_text(serving.public_title(ds) or {}) or ds.slug,
           "state": "deleted", "private": False, "type": "dataset", "metadata_modified": _iso(ds.modified_at)}
    if ds.publisher is not None:
        out["owner_org"], out["organization"] = ds.publisher.slug, organization_dict(ds.publisher)
    return out


def _snapshot_package(record: dict[str, Any], ds: Dataset, at) -> dict[str, Any]:
    """The package dict of the record an audit entry kept, shaped as package_show's."""
    pkg = ckan.to_ckan(serving.public_metadata(record), site_url=_site())  # what the record kept, redacted
    pkg["id"], pkg["name"] = ds.id, record.get("slug") or ds.slug
    pkg["state"] = "active" if record.get("state") == "active" else "deleted"
    pkg["private"], pkg["type"] = False, "dataset"
    pkg["metadata_created"], pkg["metadata_modified"] = _iso(ds.created_at), _iso(at)
    if ds.publisher is not None:
        pkg["owner_org"], pkg["organization"] = ds.publisher.slug, organization_dict(ds.publisher)
    resources = pkg.get("resources")
    if isinstance(resources, list):
        for position, (res, dist) in enumerate(zip(resources, record.get("distributions") or [], strict=False)):
            if isinstance(res, dict):
                res["id"] = dist.get("catalog_id") or res.get("id")
                res["package_id"], res["position"], res["state"] = ds.id, position, "active"
    return ckan.full_shape(pkg)  # CKAN's whole key set, as package_show's


def actor_name(change: activity.Change, ds: Dataset, lang: str | None = None) -> str:
    """Who made a change, as the public may know it: the harvest source, else the dataset's publisher (the
    people of a publisher are not named in public)."""
    if change.source:
        return change.source
    if ds.publisher is not None:
        names = ds.publisher.name or {}
        return (names.get(lang) if lang else None) or pick_text(names) or ds.publisher.slug
    return ""


def activity_dicts(session: Session, changes: list[activity.Change]) -> list[dict[str, Any]]:
    by_id = {ds.id: ds for ds in _datasets(session, sorted({c.dataset_id for c in changes}))}
    current: dict[str, dict[str, Any]] = {}
    out = []
    for change in changes:
        ds = by_id.get(change.dataset_id)
        if ds is None:
            continue
        if ds.state != "active":
            package = _tombstone_package(ds)
        elif change.record:
            package = _snapshot_package(change.record, ds, change.at)
        else:
            if ds.id not in current:
                current[ds.id] = package_dict(ds, None)
            package = current[ds.id]
        out.append({"id": activity_id(change), "timestamp": _iso(change.at),
                    "user_id": str(change.user_id) if change.user_id is not None else None,
                    "object_id": change.dataset_id, "revision_id": None, "activity_type": TYPES[change.kind],
                    "data": {"package": package, "actor": actor_name(change, ds)}})
    return out


def _paging(params: dict) -> tuple[int, int]:
    return int_param(params, "offset", 0, 0), int_param(params, "limit", DEFAULT_LIMIT, 0, MAX_LIMIT)


def package_activity_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """A dataset's public activity, newest first (id or name; offset, limit)."""
    ref = _id_param(params, "id", "name_or_id")
    ds = _find_dataset(session, ref) or lifecycle.find(session, ref)[0]
    ds = _readable(session, ds, user)
    offset, limit = _paging(params)
    return activity_dicts(session, activity.page(session, dataset_ids=[ds.id], offset=offset, limit=limit))


def organization_activity_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The public activity of a publisher's datasets, newest first (id or name; offset, limit)."""
    pub = _find_publisher(session, _id_param(params, "id"))
    if pub is None:
        raise not_found("Organization not found")
    offset, limit = _paging(params)
    return activity_dicts(session, activity.page(session, publisher_id=pub.id, offset=offset, limit=limit))


def recently_changed_packages_activity_list(session: Session, params: dict, user: User | None) -> list[dict]:
    """The catalog's public activity, newest first (offset, limit)."""
    offset, limit = _paging(params)
    return activity_dicts(session, activity.page(session, offset=offset, limit=limit))


ACTIONS = {f.__name__: f for f in (package_activity_list, organization_activity_list,
                                   recently_changed_packages_activity_list)}
