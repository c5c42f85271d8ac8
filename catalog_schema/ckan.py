"""Catalog record <-> CKAN package dict (pure functions, both directions).

`from_ckan(package)` reads a `package_show` / `package_search` result; `to_ckan(record)` gives
a package dict CKAN clients (ckanapi, CKAN harvesters) read unchanged.

Where CKAN data goes in the record (nothing is dropped):

- core fields map to record fields: title/notes (or fluent `title_translated`/`notes_translated`)
  -> language maps (key "" when the language is unknown); tags -> keywords; license_id ->
  license (vocab id) and license_raw (verbatim); maintainer/author and their emails, or the
  ckanext-dcat `contact_*` extras -> contact_point; url -> landing_page; metadata_created /
  metadata_modified (or the `issued`/`modified` extras) -> issued / modified, written back as ISO 8601
  timestamps CKAN clients parse (`timestamp`) with the date as the record has it in those extras when it differs
  (a source's `2021年3月`, `March 2021`); organization ->
  publisher {slug: organization.name, name: its `title_translated` (ckanext-fluent) else {"": title},
  homepage: its url, extras: {"ckan": rest of the org}}.
- well-known extras map to record fields as well (ckanext-dcat names and data.gov.uk's):
  frequency, theme, temporal, spatial_uri/spatial_text, spatial (GeoJSON, ckanext-spatial)/spatial_bbox -> extent,
  language, conforms_to, hvd_category,
  applicable_legislation, access_rights,
  identifier, uri, rights, creator_*. They are *also* kept verbatim (below).
- `extras["ckan_extras"]`: every CKAN extra as {key: value}, in the source's order, always;
  `extras["ckan_extras_meta"]`: {key: the entry's other fields} when entries carry more than
  key and value (CKAN 2.x package_id / revision_id / state).
- `extras["ckan"]`: every other top-level key the canonical writer would not give back as it
  was (author, state, groups, private, revision ids, archiver/qa blocks, a licence title spelt
  the portal's way, an email with a trailing space ...). `num_tags` / `num_resources` are counts
  and are recomputed.
- ckanext-dataset-series: `type` "dataset_series" (or "dataset-series") -> kind "series" (written back
  with its `series_order_field`/`series_order_type`); `in_series` (a list of series ids) -> in_series.
- resources -> distributions (`id` -> id, name/description -> title/description, format ->
  format (vocab code) + format_raw, mimetype -> media_type, size -> byte_size, hash ->
  checksum, created/last_modified (or ckanext-dcat's issued/modified, when they are what the timestamp
  says or there is none) -> issued/modified, written back as the dataset's dates are, license
  (ckanext-dcat: the file's own licence, its URI, id or title) -> license + license_raw,
  hvd_category / applicable_legislation (lists, as ckanext-dcat's DCAT-AP 3 schema keeps them on a
  resource; their JSON text read too) -> the distribution's own HVD fields); other resource keys go
  to the distribution's `extras["ckan"]`.

CKAN has one `url` per resource, DCAT two. It becomes `download_url` when `url_type` is
"upload" or the URL's path ends in a known data-file extension (not a web page), else
`access_url`; ckanext-dcat's explicit `access_url` / `download_url` resource keys win. On the
way out `url` is the download URL, else the access URL. That reading is a harvest's (another portal's url is
often a landing page); a package written to this catalog's own API (package_create ...) names its files in `url`,
and `added_links` makes each resource it adds with a url alone a link to that file (both URLs), and a resource it
gives a new url alone that file's, keeping its landing page.

The engine in `catalog_schema.fieldrules` keeps verbatim values only while they still say what
the record says, so `to_ckan(from_ckan(p))` gives `p` back and an edited record is written
canonically (licence ids as CKAN's own: `cc-by`, `uk-ogl`). A timestamp a source wrote otherwise than
ISO 8601 is the one exception: it goes out in its ISO form (or not at all), its words in the extras,
and `from_ckan` reads the same record from that.

`settle(shown, sent)` reads a client's edit of a package dict `to_ckan` gave (ckanapi's read-modify-write): of two
keys that give one field (`url` / `download_url`, `format` / `mimetype`, `title` / `title_translated`,
`license_id` / `license_title`), the one the client changed wins over the one it sent back as it was.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from posixpath import splitext
from typing import Any
from urllib.parse import urljoin, urlsplit

from catalog_schema import dates, places, vocab
from catalog_schema.fieldrules import Flags, Rule, read_all, stored_keys, write_all
from catalog_schema.record import Record, flag, new_distribution, new_record, pick_text

X = "extras:"  # prefix of CKAN extras in the flat view the rules read
_STRUCTURAL = ("id", "name", "organization", "resources", "extras", "num_tags", "num_resources")
_DEFAULTS = {"type": "dataset", "private": False}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,199}$")
_LANG = re.compile(r"^([a-zA-Z]{2,3}(-[a-zA-Z0-9]+)*)?$")
_WEB_PAGE = {"HTML", "XHTML", "PHP", "ASP", "JSP"}


def _is_extra(key: str) -> bool:
    return key.startswith(X)


# --------------------------------------------------------------------------- small readers


def _str(value: Any) -> str | None:
    """A non-blank string, stripped; None for anything else blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _json(value: Any) -> Any:
    """CKAN extras hold JSON as strings ('["a", "b"]'); give the parsed value, else the value."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _strings(value: Any) -> list[str]:
    """A list of non-blank strings from a list, a JSON list string or one string."""
    value = _json(value)
    if isinstance(value, list):
        return [str(v).strip() for v in value if _str(v)]
    text = _str(value)
    return [text] if text else []


def langmap(value: Any) -> dict[str, str]:
    """A language map from a plain text ({"": text}) or a fluent {lang: text} dict (or its JSON)."""
    value = _json(value)
    if isinstance(value, dict):
        out = {}
        for key, text in value.items():
            lang = str(key).replace("_", "-")
            if isinstance(text, str) and text.strip() and _LANG.match(lang):
                out[lang] = text
        return out
    if isinstance(value, str) and value.strip():
        return {"": value}
    return {}


def _first(view: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if _str(view.get(key)) is not None:
            return view.get(key)
    return None


# --------------------------------------------------------------------------- dataset rules


def _text_rule(field: str, key: str) -> Rule:
    tkey = key + "_translated"

    def read(v, flags):
        translated = langmap(v.get(tkey)) or langmap(v.get(X + tkey))
        return {field: translated or langmap(v.get(key))}

    def write(rec):
        lm = rec.get(field) or {}
        out = {key: pick_text(lm)}
        if any(lm):  # a language tag that is not empty
            out[tkey] = dict(lm)
        return out

    return Rule((field,), (key, tkey, X + tkey), read, write)


def _read_tags(v, flags):
    names = []
    tags = v.get("tags")
    if isinstance(tags, str):
        tags = [tags]
    elif tags is not None and not isinstance(tags, list):
        flags.append(("keywords", tags, "tags is not a list"))  # kept verbatim among the CKAN keys
        tags = []
    for tag in tags or []:
        name = tag.get("name") if isinstance(tag, dict) else tag
        if _str(name) and str(name) not in names:
            names.append(str(name))
    return {"keywords": names}


def _licence_of(raw: Any):
    return vocab.licence(raw) if isinstance(raw, str) else None


def _read_licence(v, flags):
    raw = _first(v, "license_id", "license_url", "license_title")
    found = None
    for key in ("license_id", "license_url", "license_title"):
        found = found or _licence_of(v.get(key))
    if raw is not None and found is None:
        flags.append(("license", raw, "licence not recognised"))
    return {"license": found.id if found else None, "license_raw": raw}


def _licence_record(rec) -> Any:
    return vocab.licence_by_id(rec["license"]) if rec.get("license") else None


def _write_licence(rec):
    lic = _licence_record(rec)
    raw = rec.get("license_raw")
    if lic is None:
        return {"license_id": raw, "license_title": raw, "license_url": None, "isopen": False} if raw else {}
    same = _licence_of(raw)
    # the catalog's CKAN id for the licence, whatever the source called it (知识共享署名 4.0, CC-BY-4.0, cc-by): the
    # license_id facet and filter count and match that id, and a package said "CC-BY-4.0" under the facet "cc-by"
    # a source's URL for the licence is the more precise one (CC BY 3.0 IT's .../by/3.0/it/, not the unported URL)
    url = raw if isinstance(raw, str) and raw.startswith(("https://", "http://")) and same is not None \
        and same.id == lic.id else lic.url
    return {"license_id": lic.ckan_id or lic.id, "license_title": lic.title,
            "license_url": url, "isopen": bool(lic.is_open)}


def _email(value: Any) -> str | None:
    text = _str(value)
    if text and text.lower().startswith("mailto:"):
        text = text[7:].strip() or None
    return text


def _read_contact(v, flags):
    name = _str(_first(v, "maintainer", "author", X + "contact_name", X + "contact-name"))
    email = _email(_first(v, "maintainer_email", "author_email", X + "contact_email", X + "contact-email"))
    url = _str(v.get(X + "contact_uri"))
    phone = _str(v.get(X + "contact_phone"))
    if not (name or email or url or phone):
        return {"contact_point": None}
    return {"contact_point": {"name": name, "email": email, "url": url, "phone": phone}}


def _write_contact(rec):
    cp = rec.get("contact_point") or {}
    out = {"maintainer": cp.get("name"), "maintainer_email": cp.get("email")}
    if cp.get("url"):
        out[X + "contact_uri"] = cp["url"]
    if cp.get("phone"):
        out[X + "contact_phone"] = cp["phone"]
    return out


def _contact_same(got, rec):
    return got.get("contact_point") == (_norm_contact(rec.get("contact_point")))


def _norm_contact(cp):
    if not cp:
        return None
    out = {k: cp.get(k) for k in ("name", "email", "url", "phone")}
    return out if any(out.values()) else None


def _simple(field: str, key: str, empty: Any = None) -> Rule:
    """A record field that is one CKAN key as it is ("" read as None)."""
    def read(v, flags):
        return {field: v.get(key) if _str(v.get(key)) else None}

    def write(rec):
        value = rec.get(field)
        return {key: value if value is not None else empty}

    return Rule((field,), (key,), read, write)


def _read_landing(v, flags):
    """CKAN's free-text "Source" field: a landing page when it is a web address, else kept and flagged."""
    url = _str(v.get("url"))
    if url is None:
        return {"landing_page": None}
    if re.match(r"^(https?|ftp)://\S+$", url, re.IGNORECASE):
        return {"landing_page": v.get("url")}
    flags.append(("landing_page", v.get("url"), "not a web address"))
    return {"landing_page": None}


_CKAN_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{6})?)?)?$")


def timestamp(value: Any) -> str | None:
    """A record's date as CKAN's timestamps take it (metadata_created/metadata_modified, a resource's created/
    last_modified): ISO 8601 that `datetime.fromisoformat` and CKAN's own `isodate` validator read. A date or a date
    and time as every door publishes it (`catalog_schema.dates`: 2021年3月1日 is 2021-03-01), one with a time zone
    in UTC as CKAN keeps them; None for what is no such timestamp (a month such as "March 2021", a year, no date)."""
    return _timestamp(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=65536)
def _timestamp(value: str) -> str | None:
    found = dates.published(value)
    if found is None or found[1] not in (dates.DATE, dates.DATETIME):
        return None
    if _CKAN_STAMP.match(found[0]):
        return found[0]
    try:  # a time zone, or a fraction of a second other than CKAN's six digits
        when = dt.datetime.fromisoformat(found[0])
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):  # a year before the common era
        return None
    return when.isoformat()


def _timestamped(stamp: str, words: str) -> Rule:
    """A record's date field (`words`) as one of CKAN's timestamps (`stamp`): the timestamp its ISO form
    (`timestamp`), and the date as the record has it in the key ckanext-dcat keeps a source's date in (`words`:
    the issued/modified extra, a resource's issued/modified) when the two differ, so the record comes back as it
    was; a source's own timestamp the record kept goes out in its ISO form too (what is no timestamp, not at all)."""
    field = words.removeprefix(X)

    def write(rec):
        value = rec.get(field)
        out = {stamp: timestamp(value)}
        if value is not None and out[stamp] != value:
            out[words] = value
        return out

    def verbatim(kept):
        if kept.get(stamp) is None:
            return kept
        given = timestamp(kept[stamp])
        if given is None:  # no timestamp: the one the record's date makes, if any
            return {k: v for k, v in kept.items() if k != stamp}
        return {**kept, stamp: given}

    return Rule((field,), (stamp, words), _read_dated(stamp, words), write, verbatim=verbatim)


def _read_dated(stamp: str, words: str):
    field = words.removeprefix(X)
    if words.startswith(X):
        def read(v, flags):
            """issued / modified: the ckanext-dcat extra when there is one, else CKAN's own timestamp."""
            return {field: _str(v.get(words)) or _str(v.get(stamp))}
        return read

    def read_resource(v, flags):
        """A resource's created / last_modified; its ckanext-dcat issued / modified when that is what the
        timestamp says (as written: 2021年3月1日 for 2021-03-01) or when there is no timestamp."""
        given, said = _str(v.get(stamp)), _str(v.get(words))
        if said is not None and (given is None or timestamp(said) == given):
            return {field: v.get(words)}
        return {field: v.get(stamp) if given else None}

    return read_resource


def _read_state(v, flags):
    state = v.get("state")
    return {"state": state if state in ("active", "deleted", "draft") else "active"}


def _write_state(rec):
    state = rec.get("state") or "active"
    return {"state": "deleted" if state == "withdrawn" else state}


def _read_identifier(v, flags):
    return {"identifier": _str(v.get(X + "identifier")) or _str(v.get("id"))}


def _write_identifier(rec):
    ident = rec.get("identifier")
    return {X + "identifier": ident} if ident and ident != rec.get("id") else {}


_FREQUENCY_KEYS = tuple(X + k for k in ("frequency", "accrualPeriodicity", "frequency-of-update",
                                        "update_frequency", "UpdateFrequency"))


def _read_frequency(v, flags):
    raw = _first(v, *_FREQUENCY_KEYS)
    if raw is None:
        return {"frequency": None}
    code = vocab.frequency(raw)
    if code is None:
        flags.append(("frequency", raw, "frequency not recognised"))
        return {"frequency": str(raw).strip()}
    return {"frequency": code}


def _write_frequency(rec):
    code = rec.get("frequency")
    if not code:
        return {}
    if isinstance(code, str):
        return {X + "frequency": _frequency_text(code)}
    return {X + "frequency": vocab.frequency_uri(code) or code}


@functools.lru_cache(maxsize=256)
def _frequency_text(code: str) -> str:
    """A frequency's extra, kept per code: written for every package dict, of a dozen codes."""
    return vocab.frequency_uri(code) or code


_THEME_KEYS = (X + "theme", X + "theme-primary", X + "theme-secondary")


def _read_themes(v, flags):
    out = []
    for key in _THEME_KEYS:
        for raw in _strings(v.get(key)):
            code = vocab.theme(raw)
            if code is None:
                flags.append(("themes", raw, "theme not recognised"))
            value = code or raw
            if value not in out:
                out.append(value)
    return {"themes": out}


def _write_themes(rec):
    themes = rec.get("themes") or []
    if not themes:
        return {}
    if isinstance(themes, list) and all(isinstance(t, str) for t in themes):
        return {X + "theme": _themes_text(tuple(themes))}
    return {X + "theme": json.dumps([vocab.theme_uri(t) or t for t in themes], ensure_ascii=False)}


@functools.lru_cache(maxsize=1024)
def _themes_text(themes: tuple[str, ...]) -> str:
    """The theme extra of a list of theme codes, kept per list: written for every package dict, and a catalog's
    datasets share a few hundred lists."""
    return json.dumps([vocab.theme_uri(t) or t for t in themes], ensure_ascii=False)


_TEMPORAL_KEYS = (X + "temporal_start", X + "temporal_end", X + "temporal",
                  X + "temporal_coverage-from", X + "temporal_coverage-to")


def _one(value: Any) -> str | None:
    items = _strings(value)
    return items[0] if items else None


def _read_temporal(v, flags):
    start, end = _one(v.get(X + "temporal_start")), _one(v.get(X + "temporal_end"))
    span = _str(v.get(X + "temporal"))
    if not (start or end) and span and "/" in span:
        start, end = (_str(p) for p in span.split("/", 1))
    if not (start or end):
        start, end = _one(v.get(X + "temporal_coverage-from")), _one(v.get(X + "temporal_coverage-to"))
    return {"temporal": {"start": start, "end": end} if (start or end) else None}


def _write_temporal(rec):
    t = rec.get("temporal") or {}
    out = {}
    if t.get("start"):
        out[X + "temporal_start"] = t["start"]
    if t.get("end"):
        out[X + "temporal_end"] = t["end"]
    return out


def _read_spatial(v, flags):
    out = []
    for key in (X + "spatial_uri", X + "spatial_text"):
        for item in _strings(v.get(key)):
            if item not in out:
                out.append(item)
    return {"spatial": out}


def _write_spatial(rec):
    places = rec.get("spatial") or []
    uris = [p for p in places if "://" in p]
    texts = [p for p in places if "://" not in p]
    out = {}
    for key, items in ((X + "spatial_uri", uris), (X + "spatial_text", texts)):
        if len(items) == 1:
            out[key] = items[0]
        elif items:
            out[key] = json.dumps(items, ensure_ascii=False)
    return out


def _read_extent(v, flags):
    """ckanext-spatial's `spatial` extra (a GeoJSON geometry) and ckanext-dcat's `spatial_bbox` (WKT or
    GeoJSON) -> the record's extent."""
    geometry = places.geojson_geometry(_str(v.get(X + "spatial")))
    raw_box = _str(v.get(X + "spatial_bbox"))
    box_shape = places.literal_geometry(raw_box, None) if raw_box else None
    return {"extent": places.extent(places.geojson_bbox(box_shape) if box_shape else None, geometry)}


def _write_extent(rec):
    extent = rec.get("extent") or {}
    if not extent.get("bbox"):
        return {}
    if not extent.get("geometry"):
        return {X + "spatial": json.dumps(places.bbox_polygon(extent["bbox"]), separators=(",", ":"))}
    return {X + "spatial": json.dumps(extent["geometry"], separators=(",", ":")),
            X + "spatial_bbox": places.bbox_to_wkt(extent["bbox"])}


def _list_rule(field: str, key: str) -> Rule:
    def read(v, flags):
        return {field: _strings(v.get(X + key))}

    def write(rec):
        items = rec.get(field) or []
        return {X + key: json.dumps(items, ensure_ascii=False)} if items else {}

    return Rule((field,), (X + key,), read, write)


def _read_access(v, flags):
    raw = _first(v, X + "access_rights", X + "accessLevel")
    if raw is None:
        return {"access_rights": None}
    code = vocab.access_right(raw)
    if code is None:
        flags.append(("access_rights", raw, "access right not recognised"))
    return {"access_rights": code or str(raw).strip()}


def _write_access(rec):
    code = rec.get("access_rights")
    return {X + "access_rights": vocab.access_right_uri(code) or code} if code else {}


def _extra_rule(field: str, key: str) -> Rule:
    def read(v, flags):
        return {field: _str(v.get(X + key))}

    def write(rec):
        return {X + key: rec[field]} if rec.get(field) else {}

    return Rule((field,), (X + key,), read, write)


def _read_creator(v, flags):
    name = _str(v.get(X + "creator_name"))
    email = _email(v.get(X + "creator_email"))
    uri = _str(v.get(X + "creator_uri"))
    if not (name or email or uri):
        return {"creator": None}
    return {"creator": {"name": {"": name} if name else {}, "email": email, "uri": uri}}


def _write_creator(rec):
    c = rec.get("creator") or {}
    out = {X + "creator_name": pick_text(c.get("name")) or None, X + "creator_email": c.get("email"),
           X + "creator_uri": c.get("uri")}
    return {k: v for k, v in out.items() if v}


def _creator_same(got, rec):
    c = rec.get("creator")
    if not c:
        return got.get("creator") is None
    return _write_creator(got) == _write_creator(rec)


#: ckanext-dataset-series: a series is a package of this type (older releases spelt it with a hyphen).
SERIES_TYPES = ("dataset_series", "dataset-series")
#: How a series written here says its members are ordered (catalog_schema/series.py: by temporal coverage,
#: else issued date): ckanext-dataset-series' series_order_field and series_order_type.
SERIES_ORDER = {"series_order_field": "temporal_start", "series_order_type": "date"}


def _read_kind(v, flags):
    return {"kind": "series" if v.get("type") in SERIES_TYPES else "dataset"}


def _write_kind(rec):
    if rec.get("kind") == "series":
        return {"type": SERIES_TYPES[0], **SERIES_ORDER}
    return {"type": "dataset"}


def _read_in_series(v, flags):
    value = v.get("in_series")
    refs = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return {"in_series": [r for r in dict.fromkeys(_str(x) for x in refs) if r]}


def _write_in_series(rec):
    """ckanext-dataset-series' `in_series`: the ids of the series (the catalog's, once it resolved them)."""
    resolved = rec.get("catalog_series")
    refs = [e["id"] if isinstance(e, dict) else e for e in resolved] if resolved is not None \
        else list(rec.get("in_series") or [])
    return {"in_series": refs} if refs else {}


DATASET_RULES: tuple[Rule, ...] = (
    Rule(("kind",), ("type", *SERIES_ORDER), _read_kind, _write_kind),
    Rule(("in_series",), ("in_series",), _read_in_series, _write_in_series),
    _text_rule("title", "title"),
    _text_rule("description", "notes"),
    Rule(("keywords",), ("tags",), _read_tags, lambda r: {"tags": [{"name": k} for k in r.get("keywords") or []]}),
    Rule(("license", "license_raw"), ("license_id", "license_title", "license_url", "isopen"),
         _read_licence, _write_licence),
    Rule(("contact_point",), ("maintainer", "maintainer_email", "author", "author_email",
                              X + "contact_name", X + "contact-name", X + "contact_email", X + "contact-email",
                              X + "contact_uri", X + "contact_phone"),
         _read_contact, _write_contact, _contact_same),
    Rule(("landing_page",), ("url",), _read_landing, lambda r: {"url": r.get("landing_page") or ""}),
    _simple("version", "version", ""),
    Rule(("state",), ("state",), _read_state, _write_state),
    _timestamped("metadata_created", X + "issued"),
    _timestamped("metadata_modified", X + "modified"),
    Rule(("identifier",), (X + "identifier",), _read_identifier, _write_identifier),
    _extra_rule("uri", "uri"),
    _extra_rule("rights", "rights"),
    Rule(("frequency",), _FREQUENCY_KEYS, _read_frequency, _write_frequency),
    Rule(("themes",), _THEME_KEYS, _read_themes, _write_themes),
    Rule(("temporal",), _TEMPORAL_KEYS, _read_temporal, _write_temporal),
    Rule(("spatial",), (X + "spatial_uri", X + "spatial_text"), _read_spatial, _write_spatial),
    Rule(("extent",), (X + "spatial", X + "spatial_bbox"), _read_extent, _write_extent),
    _list_rule("language", "language"),
    _list_rule("conforms_to", "conforms_to"),
    # high-value datasets, as ckanext-dcat's DCAT-AP 3 profile keeps them: JSON lists of IRIs in extras
    _list_rule("hvd_category", "hvd_category"),
    _list_rule("applicable_legislation", "applicable_legislation"),
    Rule(("access_rights",), (X + "access_rights", X + "accessLevel"), _read_access, _write_access),
    Rule(("creator",), (X + "creator_name", X + "creator_email", X + "creator_uri"),
         _read_creator, _write_creator, _creator_same),
)


# --------------------------------------------------------------------------- resource rules


def _looks_like_file(url: str) -> bool:
    """A URL whose path ends in a data-file extension (.csv, .xls, .zip ...), not a web page."""
    ext = splitext(url_path(url))[1]
    return bool(ext) and len(ext) <= 9 and _data_extension(ext)


_WEB = ("http://", "https://")


def url_path(url: str) -> str:
    """`urlsplit(url).path`, read at once from a plain http(s) URL (no tab or line break, which urlsplit takes
    out, and no IPv6 brackets, which it checks): every resource of every package dict asks it."""
    if not url.startswith(_WEB) or "\t" in url or "\n" in url or "\r" in url or "[" in url or "]" in url:
        return urlsplit(url).path
    rest = url[url.index("//") + 2:]
    end = len(rest)  # the host ends at the first / ? or #
    for mark in "/?#":
        at = rest.find(mark, 0, end)
        if at >= 0:
            end = at
    return rest[end:].partition("#")[0].partition("?")[0]


def has_scheme(url: str) -> bool:
    """Whether `urlsplit(url).scheme` is not empty; at once for an http(s) URL."""
    return url.startswith(_WEB) or bool(urlsplit(url).scheme)


@functools.lru_cache(maxsize=512)
def _data_extension(ext: str) -> bool:
    """A file extension of a data format (not a web page's): asked for every resource of every package dict
    written, of a few dozen extensions."""
    found = vocab.format_for_extension(ext)
    return found is not None and found.code not in _WEB_PAGE


def _read_urls(v, flags):
    url = v.get("url") if isinstance(v.get("url"), str) and v.get("url").strip() else None
    acc, dl = _str(v.get("access_url")), _str(v.get("download_url"))
    if url and url not in (acc, dl):
        if not dl and (v.get("url_type") == "upload" or _looks_like_file(url)):
            dl = url
        elif not acc:
            acc = url
        elif not dl:
            dl = url
    return {"access_url": acc, "download_url": dl}


def _write_urls(dist):
    acc, dl = dist.get("access_url"), dist.get("download_url")
    out = {"url": dl or acc or ""}
    if _read_urls(out, []) != {"access_url": acc, "download_url": dl}:
        if acc:
            out["access_url"] = acc
        if dl:
            out["download_url"] = dl
    return out


def _read_format(v, flags):
    raw = v.get("format") if _str(v.get("format")) else None
    mime = _str(v.get("mimetype"))
    found = vocab.file_format(raw) if raw else (vocab.file_format(mime) if mime else None)
    if raw and found is None:
        flags.append(("format", raw, "format not recognised"))
    return {"format": found.code if found else None, "format_raw": raw, "media_type": mime}


def _write_format(dist):
    """CKAN's format is a short name (CSV), `vocab.format_name`: a DCAT feed's .../file-type/CSV is no name
    CKAN's res_format facet and clients read."""
    return {"format": vocab.format_name(dist.get("format"), dist.get("format_raw")) or "",
            "mimetype": dist.get("media_type")}


def _read_size(v, flags):
    size = v.get("size")
    if isinstance(size, bool):
        return {"byte_size": None}
    if isinstance(size, int):
        return {"byte_size": size}
    if isinstance(size, str) and size.strip().isdigit():
        return {"byte_size": int(size.strip())}
    return {"byte_size": None}


_HASH_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


def _read_hash(v, flags):
    value = _str(v.get("hash"))
    if not value:
        return {"checksum": None}
    if ":" in value:
        algorithm, digest = value.split(":", 1)
        return {"checksum": {"algorithm": algorithm.lower(), "value": digest}}
    return {"checksum": {"algorithm": _HASH_LENGTHS.get(len(value), "unknown"), "value": value}}


def _write_hash(dist):
    cs = dist.get("checksum")
    if not cs:
        return {"hash": ""}
    if _HASH_LENGTHS.get(len(cs["value"]), "unknown") == cs["algorithm"]:
        return {"hash": cs["value"]}
    return {"hash": f"{cs['algorithm']}:{cs['value']}"}


def _res_text(field: str, key: str) -> Rule:
    def read(v, flags):
        return {field: langmap(v.get(key + "_translated")) or langmap(v.get(key))}

    def write(dist):
        lm = dist.get(field) or {}
        out = {key: pick_text(lm)}
        if any(lm):  # a language tag that is not empty
            out[key + "_translated"] = dict(lm)
        return out

    return Rule((field,), (key, key + "_translated"), read, write)


def resource_list(value: Any) -> list[str]:
    """A resource's list value (hvd_category, applicable_legislation) as the resource rules read it: a
    list, its JSON text or one string."""
    return _strings(value)


def _read_res_licence(v, flags):
    """A resource's own licence, as ckanext-dcat keeps it (`license`: the licence's URI, or its id or title)."""
    raw = _str(v.get("license"))
    found = _licence_of(raw)
    if raw is not None and found is None:
        flags.append(("license", raw, "licence not recognised"))
    return {"license": found.id if found else None, "license_raw": raw}


def _write_res_licence(dist):
    lic = _licence_record(dist)
    raw = dist.get("license_raw")
    if lic is None:
        return {"license": raw}
    same = _licence_of(raw)
    return {"license": raw if isinstance(raw, str) and same is not None and same.id == lic.id else
            (lic.url or lic.ckan_id or lic.id)}


def _res_list(field: str, key: str) -> Rule:
    """A resource's list field as ckanext-dcat's DCAT-AP 3 schema keeps it: a list (read also from its JSON
    text or one string, as a resource extra may hold it); left out when empty."""
    def read(v, flags):
        return {field: _strings(v.get(key))}

    def write(dist):
        items = list(dist.get(field) or [])
        return {key: items} if items else {}

    return Rule((field,), (key,), read, write)


RESOURCE_RULES: tuple[Rule, ...] = (
    _res_text("title", "name"),
    _res_text("description", "description"),
    Rule(("access_url", "download_url"), ("url", "access_url", "download_url"), _read_urls, _write_urls),
    Rule(("format", "format_raw", "media_type"), ("format", "mimetype"), _read_format, _write_format),
    Rule(("byte_size",), ("size",), _read_size, lambda d: {"size": d.get("byte_size")}),
    Rule(("checksum",), ("hash",), _read_hash, _write_hash),
    Rule(("license", "license_raw"), ("license",), _read_res_licence, _write_res_licence),
    _timestamped("created", "issued"),
    _timestamped("last_modified", "modified"),
    _res_list("hvd_category", "hvd_category"),
    _res_list("applicable_legislation", "applicable_legislation"),
)


# --------------------------------------------------------------------------- in


def _apply_flags(rec: Record, flags: Flags, prefix: str = "") -> None:
    for field, value, reason in flags:
        flag(rec, prefix + field, value, reason)


def _resource(res: Any, index: int, rec: Record) -> Record:
    if not isinstance(res, dict):
        flag(rec, f"distributions[{index}]", res, "resource is not an object")
        return new_distribution(extras={"ckan": {"value": res}})
    flags: Flags = []
    fields = read_all(RESOURCE_RULES, res, flags)
    dist = new_distribution(id=_str(res.get("id")), **fields)
    _apply_flags(rec, flags, f"distributions[{index}].")
    dist["extras"] = {"ckan": stored_keys(RESOURCE_RULES, res, dist, structural=("id",), drop_none=True)}
    return dist


def _publisher(org: Any) -> dict | None:
    """The publisher an organization names: its name in each language it gives (ckanext-fluent's
    `title_translated`, as this catalog's own package_show writes it, else `title`), its `url` as homepage; the
    organization's other keys, `title_translated` and `url` too, kept as they were (to_ckan writes them back)."""
    if not isinstance(org, dict):
        return None
    rest = {k: v for k, v in org.items() if k not in ("name", "title")}
    name = langmap(org.get("title_translated")) or langmap(org.get("title"))
    if pick_text(name) != org.get("title"):
        rest["title"] = org.get("title")
    url = _str(org.get("url"))
    homepage = url if url and url.lower().startswith(("https://", "http://")) else None
    return {"slug": _str(org.get("name")), "name": name, "uri": None, "homepage": homepage, "email": None,
            "parent": None, "extras": {"ckan": rest}}


def _view(package: Mapping[str, Any]) -> dict[str, Any]:
    """The package as one flat dict: top-level keys, and extras as "extras:<key>"."""
    view = dict(package)
    extras = package.get("extras") or []
    if isinstance(extras, dict):  # some portals give {key: value} instead of CKAN's list
        extras = [{"key": k, "value": v} for k, v in extras.items()]
    elif not isinstance(extras, list):
        extras = [extras]
    for i, entry in enumerate(extras):
        if isinstance(entry, dict) and "key" in entry:
            view[X + str(entry["key"])] = entry.get("value")
        else:
            view[f"{X}#{i}"] = entry  # a malformed extra, kept as it is
    return view


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def from_ckan(package: dict) -> Record:
    """A catalog record from a CKAN package dict (package_show result)."""
    if not isinstance(package, dict):
        raise ValueError(f"a CKAN package must be an object, not {type(package).__name__}")
    if not any(_str(package.get(k)) for k in ("id", "name", "title")):
        raise ValueError("a CKAN package needs at least one of 'id', 'name' or 'title'")
    flags: Flags = []
    view = _view(package)
    fields = read_all(DATASET_RULES, view, flags)
    name = _str(package.get("name"))
    rec = new_record(id=_str(package.get("id")), slug=name if name and _SLUG.match(name) else None, **fields)
    rec["publisher"] = _publisher(package.get("organization"))
    _apply_flags(rec, flags)
    stored = stored_keys(DATASET_RULES, view, rec, defaults=_DEFAULTS, keep_all=_is_extra, structural=_STRUCTURAL)
    if name and rec["slug"] != name or "name" in package and not name:
        stored["name"] = package.get("name")
    rec["extras"] = {"ckan": {k: v for k, v in stored.items() if not _is_extra(k)},
                     "ckan_extras": {k[len(X):]: v for k, v in stored.items() if _is_extra(k)}}
    meta = {str(e["key"]): {k: v for k, v in e.items() if k not in ("key", "value")}
            for e in _list(package.get("extras")) if isinstance(e, dict) and "key" in e and len(e) > 2}
    if meta:
        rec["extras"]["ckan_extras_meta"] = meta
    resources = package.get("resources")
    if resources is not None and not isinstance(resources, list):
        flag(rec, "distributions", resources, "resources is not a list")
        rec["extras"]["ckan"]["resources"] = resources
        resources = []
    rec["distributions"] = [_resource(res, i, rec) for i, res in enumerate(resources or [])]
    return rec


# --------------------------------------------------------------------------- out


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    return slug[:100] or "dataset"


def _organization(pub: Any) -> dict | None:
    if not pub:
        return None
    rest = dict((pub.get("extras") or {}).get("ckan") or {})
    title = pick_text(pub.get("name"))
    org = {"name": pub.get("slug") or _slugify(title or "publisher"), "title": title}
    org.update(rest)
    return org


def _to_resource(dist: Mapping[str, Any], site_url: str | None) -> dict:
    stored = dict((dist.get("extras") or {}).get("ckan") or {})
    if set(stored) == {"value"} and not any(dist.get(k) for k in ("access_url", "download_url", "title")):
        return stored["value"]  # a malformed resource kept verbatim
    res = write_all(RESOURCE_RULES, dist, stored, drop_none=True)
    res = {"id": dist.get("id"), **res}
    if site_url and res.get("url") and not has_scheme(res["url"]):
        res["url"] = urljoin(site_url, res["url"])
    return res


def to_ckan(record: Record, *, site_url: str | None = None) -> dict:
    """A CKAN package dict for a record (as package_show returns it).

    `site_url`: the portal's base URL; relative distribution URLs are made absolute with it.
    """
    extras = record.get("extras") or {}
    top = dict(extras.get("ckan") or {})
    ckan_extras = extras.get("ckan_extras") or {}
    stored = {**top, **{X + k: v for k, v in ckan_extras.items()}}
    base = {"id": record.get("id")}
    out = write_all(DATASET_RULES, record, stored, base=base, keep_all=_is_extra)
    package: dict[str, Any] = dict(_DEFAULTS)
    package.update({k: v for k, v in out.items() if not _is_extra(k)})
    package["id"] = record.get("id") or record.get("identifier")
    # the catalog's slug is the CKAN name; a source name that was no valid slug is kept for records without one
    package["name"] = record.get("slug") or top.get("name") or \
        _slugify(record.get("identifier") or pick_text(record.get("title")))
    package["organization"] = _organization(record.get("publisher"))
    if package["organization"] is not None:
        package.setdefault("owner_org", package["organization"].get("id"))
    order = list(ckan_extras)
    keys = [k[len(X):] for k in out if _is_extra(k)]
    keys.sort(key=lambda k: (order.index(k) if k in order else len(order)))
    meta = extras.get("ckan_extras_meta") or {}
    package["extras"] = [out[X + k] if k.startswith("#") else {**meta.get(k, {}), "key": k, "value": out[X + k]}
                         for k in keys]
    resources = [_to_resource(d, site_url) for d in record.get("distributions") or []]
    if "resources" in top and not resources:
        resources = top["resources"]
    package["resources"] = resources
    package["num_resources"] = len(resources) if isinstance(resources, list) else 0
    package["num_tags"] = len(package.get("tags") or [])
    package.setdefault("tags", [])
    return package


# --------------------------------------------------------------------------- CKAN's whole key set
#
# CKAN 2.10's package_show gives every key of its schema, null (or empty) when the package has no value: clients
# read `pkg["author"]`, `tag["display_name"]`, `res["url_type"]` and `res["last_modified"]` without asking whether
# they are there. A package harvested from a CKAN carried them (kept verbatim), one made here did not: two shapes.
# `full_shape` gives every package dict CKAN's keys; `without_shape` takes back out of a client's dict the keys it
# added and that come back as it gave them, so a package sent back unchanged changes nothing (they would be kept as
# the package's own keys, and the record would change).

#: A package's keys with the value they have when the record says nothing of them.
PACKAGE_SHAPE: dict[str, Any] = {
    "author": None, "author_email": None, "maintainer": None, "maintainer_email": None, "license_id": None,
    "license_title": None, "notes": None, "url": None, "version": None, "creator_user_id": None,
    "relationships_as_object": [], "relationships_as_subject": []}
#: A resource's keys with the value they have when the record says nothing of them.
RESOURCE_SHAPE: dict[str, Any] = {
    "name": None, "description": None, "format": "", "mimetype": None, "mimetype_inner": None, "size": None,
    "hash": "", "created": None, "last_modified": None, "metadata_modified": None, "url_type": None,
    "resource_type": None, "cache_url": None, "cache_last_updated": None}


_DROP_KEY = object()  # no value: a tag key `_shaped_tag` does not add


def _shaped_tag(tag: Any) -> Any:
    if not isinstance(tag, dict) or not isinstance(tag.get("name"), str):
        return tag
    name = tag["name"]
    return {"id": name, "display_name": name, "state": "active", "vocabulary_id": None, **tag}


def _bare_tag(tag: Any) -> Any:
    """A tag dict less the keys `_shaped_tag` adds, as it adds them."""
    if not isinstance(tag, dict) or not isinstance(tag.get("name"), str):
        return tag
    added = _shaped_tag({"name": tag["name"]})
    return {k: v for k, v in tag.items() if k == "name" or added.get(k, _DROP_KEY) != v}


def full_shape(package: dict[str, Any]) -> dict[str, Any]:
    """`package` (a package dict of this catalog's) with every key of CKAN 2.10's package dict, its tags' and its
    resources': what it has stays, the rest is added empty (PACKAGE_SHAPE, RESOURCE_SHAPE; a tag's id and
    display_name are its name)."""
    for key, empty in PACKAGE_SHAPE.items():
        package.setdefault(key, list(empty) if isinstance(empty, list) else empty)
    if isinstance(package.get("tags"), list):
        package["tags"] = [_shaped_tag(t) for t in package["tags"]]
    for res in package.get("resources") or []:
        if isinstance(res, dict):
            for key, empty in RESOURCE_SHAPE.items():
                res.setdefault(key, empty)
    return package


def without_shape(sent: Mapping[str, Any], shown: Mapping[str, Any] | None,
                  plain: Mapping[str, Any] | None) -> dict[str, Any]:
    """A client's package dict less what `full_shape` added to `shown` (the package as package_show gave it; `plain`:
    the same dict before `full_shape`) and came back as it was: a key `plain` has not, sent with the value `shown`
    gave it (or, with nothing shown, a new package's, the empty value), and the tag keys it adds. What the client
    changed stays, and is read as what it says (an `author` typed is the contact's name)."""
    out = dict(sent)
    for key, empty in PACKAGE_SHAPE.items():
        if key in out and key not in (plain or {}) and out[key] == (shown.get(key, empty) if shown else empty):
            del out[key]
    tags = out.get("tags")
    if isinstance(tags, list):
        if shown is not None and plain is not None and tags == shown.get("tags") and "tags" in plain:
            out["tags"] = plain["tags"]
        else:
            out["tags"] = [_bare_tag(t) for t in tags]
    resources = out.get("resources")
    if isinstance(resources, list):
        by_id = {r.get("id"): r for r in (shown or {}).get("resources") or [] if isinstance(r, dict) and r.get("id")}
        plain_by_id = {r.get("id"): r for r in (plain or {}).get("resources") or []
                       if isinstance(r, dict) and r.get("id")}
        bare = []
        for res in resources:
            if isinstance(res, dict):
                was, had = by_id.get(res.get("id")), plain_by_id.get(res.get("id"), {})
                res = {k: v for k, v in res.items() if not (
                    k in RESOURCE_SHAPE and k not in had
                    and v == (was.get(k, RESOURCE_SHAPE[k]) if was is not None else RESOURCE_SHAPE[k]))}
            bare.append(res)
        out["resources"] = bare
    return out


# --------------------------------------------------------------------------- a client's edit of package_show's dict
#
# package_show gives some fields under two keys: a resource's `url` and its `download_url` (or `access_url`),
# `format` and `mimetype`, `name` and `name_translated`, a package's `title` and `title_translated`, `license_id` and
# `license_title` / `license_url`. A client doing ckanapi's read-modify-write edits one and sends the other back as
# it was, and the readers above let the wrong one win (the old download URL, the old translation, the old licence
# id), silently. `settle` decides as a CKAN client expects: the key the client changed wins over the one it left as
# package_show gave it; two changed keys that say different things are a `Disagreement`.

_DROP = object()  # the key is left out: the reader takes the field from the key the client changed


class Disagreement(ValueError):
    """Two keys of one field both changed from what package_show gave, saying different things."""

    def __init__(self, where: str, first: str, second: str, said_first: Any, said_second: Any):
        super().__init__(f"{where}{first} and {where}{second} disagree")
        self.where, self.first, self.second = where, first, second
        self.said_first, self.said_second = said_first, said_second


def _blank(value: Any) -> bool:
    if isinstance(value, dict):
        return not any(isinstance(v, str) and v.strip() for v in value.values())
    return _str(value) is None


def _valued(key: str, value: Any) -> bool:
    return not _blank(value)


def _same_url(a: Any, b: Any) -> bool:
    return _str(a) == _str(b)


def _same_format(fmt: Any, mime: Any) -> bool:
    """A format and a media type that do not name two different formats (one we do not know names none)."""
    one = vocab.file_format(fmt) if isinstance(fmt, str) else None
    other = vocab.file_format(mime) if isinstance(mime, str) else None
    return one is None or other is None or one.code == other.code


def _same_licence(a: Any, b: Any) -> bool:
    if _blank(a) or _blank(b):
        return _blank(a) and _blank(b)
    one, other = _licence_of(_str(a)), _licence_of(_str(b))
    if one is None or other is None:
        return one is None and other is None and _str(a).casefold() == _str(b).casefold()
    return one.id == other.id


def _same_text(plain: Any, translated: Any) -> bool:
    """A text and its translations: the text is one of them (none, when the text is empty)."""
    if not isinstance(translated, dict):
        return True
    texts = {v.strip() for v in translated.values() if isinstance(v, str) and v.strip()}
    text = _str(plain)
    return not texts if text is None else text in texts


@dataclass(frozen=True)
class _Twins:
    """Two keys package_show gives for one field. `agree(a, b)`: their values say the same; `claims(key, value)`:
    a changed value of that key says what the field is (an emptied `download_url` does not: `url` still gives it);
    `carry(key, value, other, shown)`: the other key's value once `key` changed to `value` (or _DROP)."""

    a: str
    b: str
    agree: Callable[[Any, Any], bool]
    claims: Callable[[str, Any], bool] = _valued
    carry: Callable[[str, Any, str, Mapping[str, Any], str], Any] = lambda key, value, other, shown, lang: _DROP


def _carry_url(key, value, other, shown, lang):
    return value


def _carry_format(key, value, other, shown, lang):
    if other == "mimetype":  # the new format's media type, as a link's is
        found = vocab.file_format(value) if isinstance(value, str) else None
        return found.media_types[0] if found is not None and found.media_types else _DROP
    return _DROP  # the format is read from the media type


def _licence_claims(key, value):
    return key == "license_id" or not _blank(value)  # an emptied license_id is no licence


def _text_claims(key, value):
    return not key.endswith("_translated") or isinstance(value, dict)


def _carry_text(key, value, other, shown, lang):
    if key.endswith("_translated"):
        return _DROP  # the text is the translations' (to_ckan writes it)
    translated = dict(shown.get(other) or {})
    before = shown.get(key)
    # the text shown was each language's that said it ({"zh": t, "": t} is one text): every one of them is edited
    langs = [k for k, v in translated.items() if v == before] or [lang]
    for one in langs:
        if _blank(value):
            translated.pop(one, None)
        else:
            translated[one] = value
    return translated


def _text_twins(key: str) -> _Twins:
    return _Twins(key, key + "_translated", _same_text, _text_claims, _carry_text)


_LICENCE_TWINS = tuple(_Twins(a, b, _same_licence, _licence_claims) for a, b in (
    ("license_id", "license_title"), ("license_id", "license_url"), ("license_title", "license_url")))
_PACKAGE_TWINS = (_text_twins("title"), _text_twins("notes"), *_LICENCE_TWINS)
_FORMAT_TWINS = _Twins("format", "mimetype", _same_format, carry=_carry_format)
_RESOURCE_TEXT_TWINS = (_text_twins("name"), _text_twins("description"))


def _resource_twins(shown: Mapping[str, Any]) -> tuple[_Twins, ...]:
    """`url` gives the download URL when there is one, else the access URL (_write_urls)."""
    urls = _read_urls(shown, [])
    other = "download_url" if urls["download_url"] else "access_url"
    return (*_RESOURCE_TEXT_TWINS, _Twins("url", other, _same_url, carry=_carry_url), _FORMAT_TWINS)


def _changed(key: str, sent: Mapping[str, Any], shown: Mapping[str, Any]) -> bool:
    return (key in sent) != (key in shown) or sent.get(key) != shown.get(key)


def _settle_keys(twins: tuple[_Twins, ...], shown: Mapping[str, Any], sent: dict[str, Any], where: str,
                 lang: str) -> dict[str, Any]:
    out = dict(sent)
    for pair in twins:
        changed = {k: _changed(k, sent, shown) for k in (pair.a, pair.b)}
        if changed[pair.a] and changed[pair.b]:
            va, vb = sent.get(pair.a), sent.get(pair.b)
            if pair.claims(pair.a, va) and pair.claims(pair.b, vb) and not _blank(va) and not _blank(vb) \
                    and not pair.agree(va, vb):
                raise Disagreement(where, pair.a, pair.b, va, vb)
            continue
        for key, other in ((pair.a, pair.b), (pair.b, pair.a)):
            if not changed[key] or key not in sent or other not in sent or not pair.claims(key, sent[key]):
                continue
            a_value, b_value = (sent[key], sent[other]) if key == pair.a else (sent[other], sent[key])
            if pair.agree(a_value, b_value):
                continue
            value = pair.carry(key, sent[key], other, shown, lang)
            if value is _DROP:
                out.pop(other, None)
            else:
                out[other] = value
    return out


def settle(shown: Mapping[str, Any], sent: Mapping[str, Any], *, lang: str = "") -> dict[str, Any]:
    """`sent` (a package dict a client made from package_show's `shown`) with each key it left as `shown` gave it
    made to say what the key of the same field it changed says (or left out, for the reader to take the changed
    one); a resource is compared with the shown one of its `id`. `lang`: the language of a text edited where its
    translations do not show which one it was. Raises `Disagreement` for two changed keys of one field that say
    different things."""
    out = _settle_themes(shown, _settle_keys(_PACKAGE_TWINS, shown, dict(sent), "", lang))
    resources = out.get("resources")
    if isinstance(resources, list):
        before = [r for r in _list(shown.get("resources")) if isinstance(r, dict)]
        out["resources"] = [_settle_one(before, i, r, lang) for i, r in enumerate(resources)]
    return out


def _settle_one(before: list[dict], i: int, res: Any, lang: str) -> Any:
    """A sent resource settled against the shown one of its id; a resource without one is new."""
    found = _shown_resource(before, i, res)
    return res if found is None else settle_resource(found, res, lang=lang, where=f"resources[{i}].")


def _shown_resource(before: list[dict], i: int, res: Any) -> dict | None:
    """The resource of `before` (package_show's) a sent resource at place `i` is: the one of its id at its place,
    else the one resource of that id; None for a resource with no id, or one no shown resource has (a new one)."""
    ref = res.get("id") if isinstance(res, dict) else None
    if not isinstance(ref, str) or not ref:
        return None
    found = before[i] if i < len(before) and before[i].get("id") == ref else None
    if found is None:
        same = [r for r in before if r.get("id") == ref]
        found = same[0] if len(same) == 1 else None
    return found


def added_links(shown: Mapping[str, Any] | None, sent: Mapping[str, Any]) -> dict[str, Any]:
    """A package dict sent to this catalog's write API (package_create; package_update or package_patch against the
    package `shown`) with each resource it adds that gives its `url` alone (no `access_url`, no `download_url`)
    made a link to that file: the url is its download URL and its access URL, as resource_create, the REST API and
    the publish page make a link. A publisher writing here names the file in `url` (CKAN's own meaning, which its
    clients upload and download through); `from_ckan` reads such a url as a harvest of another portal must, the
    access URL unless it looks like a file, since a portal's url is often a landing page. A resource `shown` has
    (by its id, as `settle` finds it) is read as it is sent, unless it gives a new `url` alone: that is its file's
    download URL, and the landing page it had (an access URL apart from its download URL) stays its access URL, as
    resource_update and resource_patch keep it (else the new url is both)."""
    resources = sent.get("resources")
    if not isinstance(resources, list):
        return dict(sent)
    before = [r for r in _list((shown or {}).get("resources")) if isinstance(r, dict)]
    out = []
    for i, res in enumerate(resources):
        url = _str(res.get("url")) if isinstance(res, dict) else None
        if url is not None and _str(res.get("access_url")) is None and _str(res.get("download_url")) is None:
            was = _shown_resource(before, i, res)
            if was is None:
                res = {**res, "access_url": url, "download_url": url}
            elif url != _str(was.get("url")):
                had = _read_urls(was, [])
                landing = had["access_url"] if had["download_url"] and had["access_url"] != had["download_url"] \
                    else None
                res = {**res, "access_url": landing or url, "download_url": url}
        out.append(res)
    return {**sent, "resources": out}


#: The record's extras a package dict says (from_ckan writes these and no other): any other block (a data.json,
#: Data Package or DCAT source's verbatim keys, the platform's own) is nothing a package can say or take away.
PACKAGE_EXTRAS = ("ckan", "ckan_extras", "ckan_extras_meta")


def _resource_unsaid() -> tuple[str, ...]:
    """The distribution fields no resource dict says (RESOURCE_RULES read none of them): a DCAT distribution's IRI,
    its Table Schema, conformance, languages, rights, data service."""
    said = {f for rule in RESOURCE_RULES for f in rule.fields}
    return tuple(k for k in new_distribution() if k not in said and k not in ("id", "extras"))


RESOURCE_UNSAID = _resource_unsaid()


def as_it_was(rec: dict[str, Any], current: Mapping[str, Any] | None, own_id: str, *,
              computed: Collection[str] = (), resource_computed: Collection[str] = ()) -> dict[str, Any]:
    """The record `from_ckan` read from a package sent to this catalog's write API (`own_id`: the dataset's id;
    `current`: its record, None for a new one), with what a package dict cannot tell from the record's present values
    kept as they are, so that a package sent back as package_show gave it changes nothing:

    - the package `id` is the dataset's own id, not an identifier its publisher gave it (a harvest of another portal
      reads a portal's id as one): the identifier stays the record's (none for a new dataset), unless an
      `identifier` extra says another;
    - a file's format sent as package_show showed it (CSV) is the format it has: what its source said of it
      (`format_raw`) stays as it was (a file linked as .../t.csv had none, and took "CSV"); so does the words a
      licence was given in (`license_raw`) when the licence sent is the one the record has (package_show's `cc-by`
      of a dataset whose licence was picked as CC-BY-4.0 became its raw licence, and the record changed);
    - an extra package_show writes from a field of the record (the `issued` date beside metadata_created), sent back
      with the value it wrote, is that field, not a CKAN extra of the package's own (it was kept as one, and the
      record changed: a new activity, metadata_modified moved, every export's ETag);
    - empty `ckan` extras (no key kept verbatim, no CKAN extra) are left out: they say nothing;
    - what the record keeps of its source that no package dict carries stays: the extras blocks of other formats
      (PACKAGE_EXTRAS), a file's fields no resource says (RESOURCE_UNSAID: a DCAT distribution's IRI, a Data
      Package's Table Schema ...), the contact's own extras (its vCard type) while the contact is the same, and the
      verbatim keys of a harvested CKAN package that the write door shows as its own values instead (`computed`,
      `resource_computed`: the source's metadata_created, owner_org, creator_user_id, a resource's position ...),
      which a client therefore cannot send back. A sysadmin's `ckanapi load` of the portal's own dump dropped them
      all, and saved every harvested dataset anew.
    """
    out = dict(rec)
    if out.get("identifier") == own_id:
        out["identifier"] = (current or {}).get("identifier")
    _licence_as_it_was(out, current)
    if current is not None and isinstance(out.get("extras"), dict) and out["extras"].get("ckan_extras"):
        out["extras"] = {**out["extras"], "ckan_extras": _own_extras(out["extras"]["ckan_extras"], current)}
    if current is not None:
        _unsaid_kept(out, current, computed, ())
        _contact_extras_kept(out, current)
    out["extras"] = _without_empty(out.get("extras"), ("ckan", "ckan_extras"))
    files = {}
    for dist in (current or {}).get("distributions") or []:
        for key in (dist.get("catalog_id"), dist.get("id")):
            if key:
                files.setdefault(key, dist)
    dists = []
    for dist in out.get("distributions") or []:
        dist = dict(dist)
        was = files.get(dist.get("id"))
        if was is not None and dist.get("format") == was.get("format"):
            dist["format_raw"] = was.get("format_raw")
        _licence_as_it_was(dist, was)
        if was is not None:
            _unsaid_kept(dist, was, resource_computed, RESOURCE_UNSAID)
        dist["extras"] = _without_empty(dist.get("extras"), ("ckan",))
        dists.append(dist)
    if "distributions" in out:
        out["distributions"] = dists
    return out


def _unsaid_kept(item: dict[str, Any], was: Mapping[str, Any], computed: Collection[str],
                 fields: tuple[str, ...]) -> None:
    """`item` (a record or a distribution read from a client's dict) keeps what `was` has that its dict cannot say:
    the `fields` it has no value for, the extras blocks other than PACKAGE_EXTRAS, and the verbatim `ckan` keys of
    `computed` (shown by the door as its own values, so never sent back as they were kept)."""
    for key in fields:
        if item.get(key) in (None, "", [], {}) and was.get(key) not in (None, "", [], {}):
            item[key] = was[key]
    extras, kept = item.get("extras"), was.get("extras")
    if not isinstance(kept, dict) or not (extras is None or isinstance(extras, dict)):
        return
    extras = dict(extras or {})
    for key, value in kept.items():
        if key not in PACKAGE_EXTRAS and key not in extras:
            extras[key] = value
    shadowed = {k: v for k, v in (kept.get("ckan") or {}).items() if k in computed} \
        if isinstance(kept.get("ckan"), dict) else {}
    if shadowed and isinstance(extras.get("ckan") or {}, dict):
        extras["ckan"] = {**(extras.get("ckan") or {}), **shadowed}
    item["extras"] = extras


def _contact_extras_kept(out: dict[str, Any], current: Mapping[str, Any]) -> None:
    """The contact point read from a package keeps the extras the record's has (a DCAT vCard's type: no package key
    says it) while it is the same contact."""
    sent, was = out.get("contact_point"), current.get("contact_point")
    if not isinstance(sent, dict) or not isinstance(was, dict) or not was.get("extras") or sent.get("extras"):
        return
    if {k: v for k, v in sent.items() if k != "extras"} == {k: v for k, v in was.items() if k != "extras"}:
        out["contact_point"] = {**sent, "extras": was["extras"]}


def _licence_as_it_was(item: dict[str, Any], was: Mapping[str, Any] | None) -> None:
    """`item` (a record or a distribution read from a client's dict) keeps `was`'s licence words when it names the
    licence `was` has."""
    if was is not None and item.get("license") and item.get("license") == was.get("license"):
        item["license_raw"] = was.get("license_raw")


def add_dated_extras(package: dict[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """`package` (to_ckan's, for this catalog's package_show, whose metadata_created and metadata_modified are the
    dataset's own times) with the record's issued and modified dates as the `issued` and `modified` extras ckanext-dcat
    keeps them in, where it has none of that key."""
    keys = {e.get("key") for e in package.get("extras") or [] if isinstance(e, dict)}
    for key in ("issued", "modified"):
        if record.get(key) and key not in keys:
            package.setdefault("extras", []).append({"key": key, "value": record[key]})
    return package


def _own_extras(sent: dict[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The CKAN extras `sent` less those package_show writes from `current`'s fields (to_ckan and add_dated_extras;
    not kept as extras of its own) with the very value it writes."""
    kept = ((current.get("extras") or {}).get("ckan_extras") or {})
    written = {e.get("key"): e.get("value") for e in add_dated_extras(to_ckan(dict(current)), current)["extras"]
               if isinstance(e, dict) and e.get("key") not in kept}
    return {k: v for k, v in sent.items() if not (k in written and written[k] == v)}


def _without_empty(extras: Any, keys: tuple[str, ...]) -> Any:
    """`extras` without those of `keys` that hold an empty dict."""
    if not isinstance(extras, dict):
        return extras
    return {k: v for k, v in extras.items() if not (k in keys and v == {})}


def settle_resource(shown: Mapping[str, Any], sent: Mapping[str, Any], *, lang: str = "",
                    where: str = "") -> dict[str, Any]:
    """`settle` for one resource dict (resource_update's, resource_patch's), against resource_show's."""
    return _settle_keys(_resource_twins(shown), shown, dict(sent), where, lang)


# --------------------------------------------------------------------------- themes: `groups` and the theme extra
#
# A catalog's own package_show (app/api/ckan_action.py) gives a dataset's EU data themes twice: as CKAN groups (this
# catalog's groups are the themes: `tran`) and as the `theme` extra to_ckan writes. from_ckan reads the extra (a
# harvested CKAN's groups are its own portal's, no themes), so a client adding a theme through `groups` beside the
# extra sent back as it was lost it, silently. `settle` makes the extra follow the groups the client changed (or
# leaves the groups out when it changed the extra); `groups_as_themes` then takes the groups a client sends as the
# themes.

_THEME_EXTRAS = tuple(k[len(X):] for k in _THEME_KEYS)
THEME_EXTRA = "extras[theme]"  # how a Disagreement names the theme extras


class UnknownGroups(ValueError):
    """Group names that are no EU data theme: no group of this catalog."""

    def __init__(self, names: list[str]):
        super().__init__(", ".join(names))
        self.names = names


def _group_ref(group: Any) -> str:
    """The name a group entry gives (CKAN takes `name` or `id`), or the entry itself."""
    if isinstance(group, dict):
        return str(_str(group.get("name")) or _str(group.get("id")) or json.dumps(group, ensure_ascii=False))
    return str(group)


def group_themes(groups: Any) -> tuple[list[str], list[str]]:
    """The theme codes a `groups` list names, in order, and the names in it that are no theme (a group name, its
    code in any case, its IRI or label; anything but a list is one name that is none)."""
    codes: list[str] = []
    unknown: list[str] = []
    for group in groups if isinstance(groups, list) else ([] if groups is None else [groups]):
        ref = _group_ref(group)
        code = vocab.theme(ref)
        if code is None or code not in vocab.THEMES:
            unknown.append(ref)
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def _extra_themes(package: Mapping[str, Any]) -> list[str]:
    """The themes a package's theme extras give (codes; a theme no vocabulary knows, as written)."""
    return _read_themes(_view(package), [])["themes"]


def _has_theme_extra(package: Mapping[str, Any]) -> bool:
    view = _view(package)
    return any(_strings(view.get(key)) for key in _THEME_KEYS)


def _eu_themes(themes: list[str]) -> list[str]:
    return [t for t in themes if t in vocab.THEMES]


def _with_themes(extras: Any, themes: list[str]) -> Any:
    """`extras` (CKAN's list, or a {key: value} dict) with its theme extras replaced by one `theme` extra giving
    `themes`, written as to_ckan writes it (none for no themes), at the place of the first one."""
    value = _themes_text(tuple(themes)) if themes else None
    if isinstance(extras, dict):
        out = {k: v for k, v in extras.items() if k not in _THEME_EXTRAS}
        return {**out, "theme": value} if value is not None else out
    out, placed = [], False
    for entry in extras if isinstance(extras, list) else ([] if extras is None else [extras]):
        if isinstance(entry, dict) and entry.get("key") in _THEME_EXTRAS:
            if not placed and value is not None:
                out.append({**entry, "key": "theme", "value": value})
                placed = True
            continue
        out.append(entry)
    if not placed and value is not None:
        out.append({"key": "theme", "value": value})
    return out


def _theme_disagreement(groups: Any, package: Mapping[str, Any]) -> Disagreement:
    view = _view(package)
    said = next((view[k] for k in _THEME_KEYS if _strings(view.get(k))), None)
    return Disagreement("", "groups", THEME_EXTRA, [_group_ref(g) for g in _list(groups)] or groups, said)


def _settle_themes(shown: Mapping[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """The groups the client changed give the themes (the theme extras sent back as they were follow them, a theme
    no group shows kept); the theme extras it changed give them (the groups are left out); both changed to
    different themes are a Disagreement. Group names that are no theme are left for `groups_as_themes` to name."""
    before = _extra_themes(shown)
    themes = _extra_themes(sent)
    codes, unknown = group_themes(sent.get("groups"))
    groups_changed = "groups" in sent and (unknown or codes != group_themes(shown.get("groups"))[0])
    extra_changed = "extras" in sent and themes != before  # extras left out say nothing of the themes
    if unknown or not groups_changed:
        if extra_changed and not unknown:
            sent.pop("groups", None)
        return sent
    if extra_changed and themes:  # an emptied one says nothing: the other gives the themes
        if not codes:
            sent.pop("groups", None)
        elif set(codes) != set(_eu_themes(themes)):
            raise _theme_disagreement(sent.get("groups"), sent)
        return sent
    sent["extras"] = _with_themes(sent.get("extras"), codes + [t for t in themes if t not in vocab.THEMES])
    return sent


def groups_as_themes(package: Mapping[str, Any]) -> dict[str, Any]:
    """A package dict sent to this catalog with its `groups` (this catalog's groups are the EU data themes) taken
    as its themes: written as the theme extra when it has none, else checked against it. Raises `UnknownGroups`
    naming the groups that are no theme, `Disagreement` for groups and theme extras giving different themes."""
    out = dict(package)
    if "groups" not in out:
        return out
    groups = out.pop("groups")
    if groups is None:
        return out
    codes, unknown = group_themes(groups)
    if unknown:
        raise UnknownGroups(unknown)
    if not _has_theme_extra(out):
        if codes:
            out["extras"] = _with_themes(out.get("extras"), codes)
    elif set(codes) != set(_eu_themes(_extra_themes(out))):
        raise _theme_disagreement(groups, out)
    return out
