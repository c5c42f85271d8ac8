"""CKAN 2.9's `package_revise`, and `package_resource_reorder` beside it (both a package dict changed, then saved as
package_update saves one). `package_revise`: change a dataset only if it still is what the client read (`match`),
taking keys out of it (`filter`) and merging new values in (`update`), in one request. Publishers' scripts use it
for atomic edits ("set the notes, unless someone changed them meanwhile") and to add or replace a resource's file.

The paths are CKAN's: keys joined by `__`, a list item by its position (`-1` the last) or by the first five or more
characters of its `id` (`resources__1f9ab`), `update__resources__extend` to add items. The revised package dict goes
to package_update's own path (`ckan_core.replace_package`), so the gate, the pre-publication check and the
personal-data rules are the ones every other change of a package meets; a file (`update__resources__<n>__upload`, a
multipart part) goes to resource_patch's or resource_create's, when the revise changes that resource alone.

The paths, the match, the filter and the merge are pure functions of plain dicts and lists (app/api/ckan_paths.py).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from flask import request
from sqlalchemy.orm import Session

from app.api.ckan_core import (
    ActionError,
    _existing_for_write,
    _id_param,
    _resource_add,
    _resource_change,
    invalid,
    package_show,
    replace_package,
)
from app.api.ckan_paths import PathError, drop, joined, merge, merge_at, mismatches, position, resolve
from app.texts import T_
from catalog_schema.models import User

# --------------------------------------------------------------------------- parameters


def _json_or_text(value: Any) -> Any:
    """A form's value read as JSON when it is JSON, else the text (CKAN's json_or_string)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _patterns(params: dict, key: str) -> list[str] | None:
    """`filter` or `include`: a list of patterns, its JSON text, or a text of them with commas between."""
    if key not in params:
        return None
    value = params[key]
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [p.strip() for p in value.split(",")]
    if not isinstance(value, list):
        raise invalid({key: [T_("Not a list")]})
    if not all(isinstance(p, str) for p in value):
        raise invalid({key: [T_("Not a string: %(value)s", value=next(p for p in value if not isinstance(p, str)))]})
    return [p for p in value if p]


def _dict_param(params: dict, key: str) -> dict | None:
    if key not in params:
        return None
    value = _json_or_text(params[key])
    if not isinstance(value, dict):
        raise invalid({key: [T_("Must be a dict")]})
    return value


def _prefixed(params: dict, prefix: str) -> dict[str, Any]:
    return {k[len(prefix):]: _json_or_text(v) for k, v in params.items() if k.startswith(prefix)}


def _update_order(key: str) -> tuple[int, str]:
    """`...__extend` keys first, so that a file may go to a resource the same call adds."""
    return (0 if key.endswith("extend") else 1, key)


# --------------------------------------------------------------------------- the action


def package_revise(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Revise a dataset: `match` (a dict, or `match__<path>` keys) names it by `id` or `name` and must hold what the
    dataset holds (else a Validation Error listing the paths that differ, nothing changed); `filter` (patterns
    `-path`, `+path`, `*`) takes keys out; `update` (a dict, or `update__<path>` keys; `update__resources__extend`
    adds resources) merges values in. Paths join keys with `__`; a list item is named by its position (`-1`: the
    last) or by the first five or more characters of its id. The revised package is saved as package_update saves
    one (the same checks, the personal-data gate, the audit), and answered as {"package": package_show's dict},
    cut by `include` patterns. A file is sent as the multipart part `update__resources__<n>__upload` (with
    `update__resources__extend` for a new resource): the revise then changes that resource alone."""
    files = {k: f for k, f in request.files.items() if f and f.filename} if request.files else {}
    match = _dict_param(params, "match")
    update = _dict_param(params, "update")
    filters = _patterns(params, "filter")
    include = _patterns(params, "include")
    match_at = _prefixed(params, "match__")
    update_at = _prefixed({k: v for k, v in params.items() if k not in files}, "update__")
    ref = match_at.get("id") or (match or {}).get("id") or match_at.get("name") or (match or {}).get("name")
    if not isinstance(ref, str) or not ref:
        raise invalid({"match__id": [T_("Missing value")]})
    ds = _existing_for_write(session, {"id": ref}, user, "edit datasets of")
    original = json.loads(json.dumps(package_show(session, {"id": ds.id}, user), default=str))
    unmatched = mismatches(original, match) if match is not None else []
    for key, value in sorted(match_at.items()):
        try:
            found, where = resolve(original, key)
        except PathError:
            unmatched.append(tuple(key.split("__")))
            continue
        unmatched += mismatches(found, value, where)
    if unmatched:
        raise invalid({"match": [joined(p) for p in unmatched]})
    revised = copy.deepcopy(original)
    revised.pop("metadata_modified", None)
    if filters:
        drop(revised, filters)
        revised["id"] = original["id"]
    try:
        if update is not None:
            merge(revised, update)
    except PathError as exc:
        raise invalid({"update": [exc.args[0]]}) from exc
    for key, value in sorted(update_at.items(), key=lambda kv: _update_order(kv[0])):
        try:
            merge_at(revised, key, value)
        except PathError as exc:
            raise invalid({f"update__{key}": [exc.args[0]]}) from exc
    revised["id"] = original["id"]  # the dataset matched is the one written, whatever `update` says of its id
    if files:
        package = _with_file(session, user, original, revised, files)
    else:
        package = replace_package(session, revised, user, "package_revise")
    out: dict[str, Any] = {"package": package}
    if include:
        drop(out, include)
    return out


def _with_file(session: Session, user: User, original: dict, revised: dict, files: dict) -> dict[str, Any]:
    """A revise that sends a file: it goes to one resource, which the revise changes alone (resource_patch's path
    for one the dataset has, resource_create's for one it adds), so the file and the resource's new keys are one
    change, checked as every upload is."""
    if len(files) > 1:
        raise invalid({next(iter(files)): [T_("Send one file in a revise")]})
    key, upload = next(iter(files.items()))
    parts = key.split("__")
    if len(parts) != 4 or parts[0] != "update" or parts[1] != "resources" or parts[3] != "upload":
        raise invalid({key: [T_("A file goes to a resource: name the part update__resources__<position or "
                                "id>__upload")]})
    resources = revised.get("resources") if isinstance(revised.get("resources"), list) else []
    index = position(resources, parts[2])
    if index is None:
        raise invalid({key: [T_("Unmatched key %(key)s", key=f"resources__{parts[2]}")]})
    target = resources[index]
    before = {r.get("id"): r for r in original.get("resources") or [] if isinstance(r, dict)}
    rest = {k: v for k, v in revised.items() if k != "resources"}
    others = [r for i, r in enumerate(resources) if i != index]
    unchanged = {k: v for k, v in original.items() if k not in ("resources", "metadata_modified")} == rest and \
        others == [r for r in original.get("resources") or [] if r.get("id") != target.get("id")]
    if not unchanged:
        raise ActionError(409, "Validation Error", T_("%(key)s: a revise that sends a file changes that resource "
                                                      "alone: make the other changes in a revise of their own",
                                                      key=key),
                          **{key: [T_("A revise that sends a file changes that resource alone")]})
    package_id = original["id"]
    if isinstance(target, dict) and target.get("id") in before:
        was = before[target["id"]]
        changed = {k: v for k, v in target.items() if was.get(k) != v and k != "url"}
        _resource_change(session, {**changed, "id": target["id"]}, user, whole=False, action="package_revise",
                         upload=upload)
    elif isinstance(target, dict):
        _resource_add(session, {**{k: v for k, v in target.items() if k != "url"}, "package_id": package_id}, user,
                      upload=upload, action="ckan.package_revise")
    else:
        raise invalid({key: [T_("Must be a dict")]})
    return package_show(session, {"id": package_id}, user)


def package_resource_reorder(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Put a dataset's (`id`) resources in the `order` given (a list of their ids; those left out follow, in the
    order they had), as package_update would save the package with its resources so: the same gate and audit
    (`ckan.package_resource_reorder`). Answers {"id", "order": every resource's id in its new order}. An `order`
    that is no list, names one twice or names a resource the dataset has not is CKAN's Validation Error on it."""
    ref = _id_param(params, "id")
    order = _json_or_text(params.get("order")) if "order" in params else None
    if order is None:
        raise invalid({"order": [T_("Missing value")]})
    if not isinstance(order, list):
        raise invalid({"order": [T_("Must be a list of resource")]})
    if len(set(map(str, order))) != len(order):
        raise invalid({"order": [T_("Must supply unique resource_ids")]})
    ds = _existing_for_write(session, {"id": ref}, user, "edit datasets of")
    package = json.loads(json.dumps(package_show(session, {"id": ds.id}, user), default=str))
    package.pop("metadata_modified", None)
    left = [r for r in package.get("resources") or [] if isinstance(r, dict)]
    ordered = []
    for res_id in order:
        found = next((r for r in left if r.get("id") == res_id), None)
        if found is None:
            raise invalid({"order": [T_("resource_id %(id)s can not be found", id=str(res_id))]})
        left.remove(found)
        ordered.append(found)
    package["resources"] = ordered + left
    saved = replace_package(session, package, user, "package_resource_reorder")
    return {"id": ref, "order": [r["id"] for r in saved.get("resources") or []]}


WRITES = {"package_revise": package_revise, "package_resource_reorder": package_resource_reorder}
