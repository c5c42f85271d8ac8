"""Catalog record <-> Frictionless Data Package descriptor (pure functions).

A Data Package is one dataset: its resources are the distributions. Fields the
record does not model are kept in `extras["datapackage"]` (package level) and in
each distribution's `extras["datapackage"]` (resource level), so nothing is lost
and `to_datapackage(from_datapackage(d))` gives `d` back.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urljoin

from catalog_schema import vocab
from catalog_schema.record import Record, flag, new_distribution, new_record, pick_text

_PACKAGE_KEYS = {"name", "id", "title", "description", "keywords", "licenses", "resources", "version", "created",
                 "homepage", "contributors", "sources", "x_publisher", "x_frequency", "x_themes", "x_modified",
                 "x_spatial", "x_temporal", "x_language"}
_RESOURCE_KEYS = {"name", "path", "title", "description", "format", "mediatype", "bytes", "hash", "schema",
                  "encoding", "licenses"}


def _text(value: Any) -> dict[str, str]:
    """Data Package texts are plain strings; some publishers put {lang: text} maps there."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v}
    if value in (None, ""):
        return {}
    return {"": str(value)}


def _licence(record: Record, field: str, licences: Any, target: Record) -> None:
    if not licences:
        return
    first = licences[0] if isinstance(licences, list) else licences
    raw = first.get("name") or first.get("path") or first.get("title") if isinstance(first, dict) else str(first)
    target["license_raw"] = raw
    found = vocab.licence(raw) or (vocab.licence(first.get("path")) if isinstance(first, dict) else None)
    target["license"] = found.id if found else None
    if found is None:
        flag(record, field, raw, "licence not recognised")


def _hash(value: Any) -> dict[str, str] | None:
    if not value or not isinstance(value, str):
        return None
    if ":" in value:
        algorithm, digest = value.split(":", 1)
        return {"algorithm": algorithm.lower(), "value": digest}
    return {"algorithm": "md5", "value": value}  # the spec's default algorithm


_LIST_FIELDS = ("keywords", "x_language", "x_spatial", "x_themes", "contributors")


def _seq(descriptor: dict[str, Any], key: str) -> list[Any]:
    """A list field of the descriptor: a lone string counts as a list of one; anything else that is
    not a list gives nothing here (and `_flag_not_lists` keeps it, flagged)."""
    value = descriptor.get(key)
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value:
        return [value]
    return []


def _flag_not_lists(rec: Record, descriptor: dict[str, Any]) -> None:
    for key in _LIST_FIELDS:
        value = descriptor.get(key)
        if value not in (None, "", []) and not isinstance(value, list | str):
            flag(rec, key, value, f"{key} must be a list")


def from_datapackage(descriptor: dict[str, Any], *, base_url: str | None = None) -> Record:
    """One record from a datapackage.json descriptor.

    `base_url`: where the descriptor was found; relative resource paths are resolved
    against it (and kept verbatim in the resource's extras).
    """
    if not isinstance(descriptor, dict):
        raise ValueError("a Data Package descriptor must be a JSON object")
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        raise ValueError("a Data Package needs a 'resources' list")
    rec = new_record(
        slug=None,
        identifier=descriptor.get("id") or descriptor.get("name"),
        title=_text(descriptor.get("title") or descriptor.get("name")),
        description=_text(descriptor.get("description")),
        keywords=[str(k) for k in _seq(descriptor, "keywords") if k],
        version=descriptor.get("version"),
        issued=descriptor.get("created"),
        modified=descriptor.get("x_modified"),
        landing_page=descriptor.get("homepage"),
        language=list(_seq(descriptor, "x_language")),
        spatial=list(_seq(descriptor, "x_spatial")),
        temporal=descriptor.get("x_temporal"),
    )
    if descriptor.get("name"):
        rec["slug"] = str(descriptor["name"]).lower()
    _flag_not_lists(rec, descriptor)
    if isinstance(descriptor.get("x_publisher"), str):
        descriptor = {**descriptor, "x_publisher": {"name": descriptor["x_publisher"]}}
    if descriptor.get("x_publisher") and not isinstance(descriptor["x_publisher"], dict):
        flag(rec, "publisher", descriptor["x_publisher"], "x_publisher must be an object or a name")
    elif descriptor.get("x_publisher"):
        pub = descriptor["x_publisher"]
        rec["publisher"] = {"slug": pub.get("slug"), "name": _text(pub.get("name")), "email": pub.get("email"),
                            "homepage": pub.get("homepage"), "uri": pub.get("uri"), "parent": pub.get("parent"),
                            "extras": {}}
    if descriptor.get("x_frequency"):
        code = vocab.frequency(descriptor["x_frequency"])
        rec["frequency"] = code or descriptor["x_frequency"]
        if code is None:
            flag(rec, "frequency", descriptor["x_frequency"], "frequency not in the EU vocabulary")
    for raw in _seq(descriptor, "x_themes"):
        code = vocab.theme(raw)
        rec["themes"].append(code or raw)
        if code is None:
            flag(rec, "themes", raw, "theme not in the EU data-theme vocabulary")
    _licence(rec, "license", descriptor.get("licenses"), rec)
    contributors = _seq(descriptor, "contributors")
    contact = next((c for c in contributors if isinstance(c, dict) and c.get("email")), None)
    if contact:
        rec["contact_point"] = {"name": contact.get("title"), "email": contact.get("email"), "url": contact.get("path"),
                                "phone": None}
    extras = {k: copy.deepcopy(v) for k, v in descriptor.items() if k not in _PACKAGE_KEYS}
    for key in ("contributors", "sources"):
        if key in descriptor:
            extras[key] = copy.deepcopy(descriptor[key])
    if extras:
        rec["extras"]["datapackage"] = extras
    for position, res in enumerate(resources):
        rec["distributions"].append(_distribution(rec, res, position, base_url))
    return rec


def declared_encoding(extras: Any) -> str | None:
    """The text encoding a distribution's metadata declares for its file, from its extras: a Data Package
    resource's `encoding` (kept in `extras["datapackage"]`). None when it declares none. Whether the file bears it
    out is decided by `plumbing.textencoding.decide_encoding`."""
    kept = extras.get("datapackage") if isinstance(extras, dict) else None
    value = kept.get("encoding") if isinstance(kept, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _distribution(rec: Record, res: Any, position: int, base_url: str | None) -> Record:
    if not isinstance(res, dict):
        raise ValueError(f"resource {position} is not an object")
    path = res.get("path")
    if isinstance(path, list):  # multipart resources: keep the parts, link the first
        path = path[0] if path else None
    url = urljoin(base_url, path) if (base_url and path) else path
    raw_format = res.get("format") or res.get("mediatype")
    fmt = vocab.file_format(raw_format) if raw_format else (vocab.format_for_extension(path) if path else None)
    dist = new_distribution(
        id=res.get("name"),
        title=_text(res.get("title")),
        description=_text(res.get("description")),
        download_url=url,
        access_url=url,
        format=fmt.code if fmt else None,
        format_raw=res.get("format"),
        media_type=res.get("mediatype"),
        byte_size=res.get("bytes") if isinstance(res.get("bytes"), int) else None,
        checksum=_hash(res.get("hash")),
        schema=res.get("schema") if isinstance(res.get("schema"), dict) else None,
    )
    if raw_format and fmt is None:
        flag(rec, f"distributions/{position}/format", raw_format, "format not recognised")
    _licence(rec, f"distributions/{position}/license", res.get("licenses"), dist)
    extras = {k: copy.deepcopy(v) for k, v in res.items() if k not in _RESOURCE_KEYS}
    extras["path"] = copy.deepcopy(res.get("path"))
    for key in ("encoding", "licenses", "hash", "bytes", "format", "mediatype"):
        if key in res:
            extras[key] = copy.deepcopy(res[key])
    if isinstance(res.get("schema"), str):
        extras["schema"] = res["schema"]
    dist["extras"]["datapackage"] = extras
    return dist


def to_datapackage(record: Record) -> dict[str, Any]:
    """A datapackage.json descriptor for a record (resources point at the distribution URLs)."""
    rec = new_record(**record)
    kept = rec["extras"].get("datapackage", {})
    out: dict[str, Any] = {"name": rec["slug"] or rec["identifier"] or "dataset"}
    if rec["identifier"] and rec["identifier"] != out["name"]:
        out["id"] = rec["identifier"]
    out["title"] = _untext(rec["title"])
    if rec["description"]:
        out["description"] = _untext(rec["description"])
    if rec["keywords"]:
        out["keywords"] = list(rec["keywords"])
    if rec["license_raw"] or rec["license"]:
        lic = vocab.licence_by_id(rec["license"]) if rec["license"] else None
        out["licenses"] = kept.get("licenses") or [{"name": rec["license_raw"] or rec["license"],
                                                    **({"path": lic.url} if lic and lic.url else {}),
                                                    **({"title": lic.title} if lic else {})}]
    for key, value in (("version", rec["version"]), ("created", rec["issued"]), ("homepage", rec["landing_page"]),
                       ("x_modified", rec["modified"]), ("x_temporal", rec["temporal"])):
        if value:
            out[key] = value
    if rec["frequency"]:
        out["x_frequency"] = rec["frequency"]
    if rec["themes"]:
        out["x_themes"] = list(rec["themes"])
    if rec["spatial"]:
        out["x_spatial"] = list(rec["spatial"])
    if rec["language"]:
        out["x_language"] = list(rec["language"])
    if rec["publisher"]:
        pub = rec["publisher"]
        out["x_publisher"] = {k: v for k, v in {"slug": pub.get("slug"), "name": _untext(pub.get("name") or {}),
                                                "email": pub.get("email"), "homepage": pub.get("homepage"),
                                                "uri": pub.get("uri"), "parent": pub.get("parent")}.items() if v}
    for key, value in kept.items():
        if key not in ("licenses",):
            out.setdefault(key, copy.deepcopy(value))
    if rec["contact_point"] and "contributors" not in out:
        cp = rec["contact_point"]
        out["contributors"] = [{"title": cp.get("name") or cp.get("email"), "email": cp.get("email"),
                                "role": "contact"}]
    out["resources"] = [_resource(d) for d in rec["distributions"]]
    return out


def _untext(langmap: dict[str, str]) -> Any:
    if set(langmap) <= {""}:
        return langmap.get("", "")
    return dict(langmap)


def _resource(dist: Record) -> dict[str, Any]:
    from_package = "datapackage" in (dist.get("extras") or {})
    kept = dict(dist.get("extras", {}).get("datapackage", {}))
    res: dict[str, Any] = {"name": dist.get("id") or "resource"}
    res["path"] = kept.pop("path", None) or dist.get("download_url") or dist.get("access_url")
    if dist.get("title"):
        res["title"] = _untext(dist["title"])
    if dist.get("description"):
        res["description"] = _untext(dist["description"])
    fmt = vocab.format_by_code(dist["format"]) if dist.get("format") else None
    res["format"] = kept.pop("format", None) or dist.get("format_raw")
    if res["format"] is None and not from_package and fmt is not None:
        res["format"] = fmt.extensions[0]
    if res["format"] is None:
        del res["format"]
    media = kept.pop("mediatype", None) or dist.get("media_type")
    if media:
        res["mediatype"] = media
    if dist.get("byte_size") is not None:
        res["bytes"] = kept.pop("bytes", dist["byte_size"])
    if dist.get("checksum"):
        res["hash"] = kept.pop("hash", None) or f"{dist['checksum']['algorithm']}:{dist['checksum']['value']}"
    if dist.get("schema"):
        res["schema"] = dist["schema"]
    if dist.get("license_raw"):
        res["licenses"] = kept.pop("licenses", None) or [{"name": dist["license_raw"]}]
    for key, value in kept.items():
        res.setdefault(key, value)
    return res


def dataset_title(record: Record) -> str:
    return pick_text(record.get("title"))
