"""Catalog record <-> Project Open Data v1.1 / DCAT-US `data.json` (pure functions, both directions).

`from_datajson(dataset)` reads one entry of a catalog's `dataset` list; `to_datajson(record)`
writes one; `catalog_to_datajson(records)` writes the whole `/data.json` document, which
validates against the POD v1.1 JSON Schema shipped in `catalog_schema/datajson_schema/`.

Fields: title/description -> language maps under "" (POD texts carry no language); keyword ->
keywords; modified/issued as given (a repeating interval such as "R/P1W" included);
publisher {name, subOrganizationOf ...} -> publisher {name: {"": name}, extras: {"datajson":
the rest}}; contactPoint {fn, hasEmail "mailto:..."} -> contact_point {name, email};
identifier; accessLevel -> access_rights (PUBLIC, RESTRICTED, NON_PUBLIC); license (a URL) ->
license (vocab id) + license_raw; accrualPeriodicity (ISO 8601 "R/P1M", "irregular") ->
frequency (EU code); temporal "start/end"; spatial; theme -> themes (EU codes when known);
landingPage, language, conformsTo, rights, "@id" -> uri. Distributions: downloadURL,
accessURL, mediaType, format (-> format + format_raw), title, description, conformsTo.

isPartOf -> in_series (the series it belongs to; on the way out the identifier the catalog publishes
for that series). Everything else (bureauCode, programCode, describedBy, references, primaryITInvestmentUII,
"@type" ...) is kept verbatim in `extras["datajson"]` (dataset) or the distribution's
`extras["datajson"]`, together with any value the canonical writer would spell differently
(a contactPoint without "@type", a licence written "http://" where the table has "https://"),
so `to_datajson(from_datajson(d))` gives `d` back. Verbatim values are used only while they
still say what the record says (see `catalog_schema.fieldrules`); an edited record is written
canonically.

Harvested data.json is often broken: nulls, a string where a list belongs, no distribution.
`from_datajson` tolerates all of that (odd values are kept and flagged) and raises ValueError,
naming the field, only for a dataset it cannot map at all.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from posixpath import splitext
from typing import Any
from urllib.parse import urljoin, urlsplit

from catalog_schema import dates, dictionary, places, vocab
from catalog_schema.fieldrules import Flags, Rule, read_all, stored_keys, write_all
from catalog_schema.record import Record, email_address, flag, new_distribution, new_record, pick_text

POD_CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
POD_DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"


# --------------------------------------------------------------------------- small readers


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _text(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, str) and v.strip()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"": str(value)}
    if isinstance(value, str) and value.strip():
        return {"": value}
    return {}


def _strings(value: Any, *, split: bool = False) -> list[str]:
    """A list of non-blank strings from a list or one string ("a, b" split on commas if asked)."""
    if isinstance(value, list):
        items = [_str(v) for v in value]
    elif isinstance(value, str):
        items = [p.strip() for p in value.split(",")] if split else [value.strip()]
    else:
        items = []
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def _email(value: Any) -> str | None:
    text = _str(value)
    if text and text.lower().startswith("mailto:"):
        text = text[7:].strip() or None
    return text


# --------------------------------------------------------------------------- dataset rules


def _text_rule(field: str, key: str) -> Rule:
    return Rule((field,), (key,), lambda v, f: {field: _text(v.get(key))},
                lambda r: {key: pick_text(r.get(field))})


def _plain(field: str, key: str) -> Rule:
    """A string field as it is."""
    def read(v, flags):
        value = v.get(key)
        return {field: value.strip() if isinstance(value, str) and value.strip() else _str(value)}

    return Rule((field,), (key,), read, lambda r: {key: r.get(field)})


def _list_rule(field: str, key: str, *, split: bool = False) -> Rule:
    def write(rec):
        items = rec.get(field) or []
        return {key: list(items)} if items else {}

    return Rule((field,), (key,), lambda v, f: {field: _strings(v.get(key), split=split)}, write)


def _read_publisher(v, flags):
    pub = v.get("publisher")
    if isinstance(pub, dict):
        name = _text(pub.get("name"))
        rest = {k: val for k, val in pub.items() if k != "name"}
    elif _str(pub):
        name, rest = {"": str(pub).strip()}, {}
    else:
        return {"publisher": None}
    uri = rest.get("@id") if isinstance(rest.get("@id"), str) and rest["@id"].startswith(("http://", "https://")) \
        else None  # an organisation's @id names it: the catalog matches publishers by it
    return {"publisher": {"slug": None, "name": name, "uri": uri, "homepage": None, "email": None,
                          "parent": None, "extras": {"datajson": rest}}}


def _write_publisher(rec):
    pub = rec.get("publisher")
    if not pub:
        return {}
    out = {"name": pick_text(pub.get("name")) or pub.get("slug")}
    out.update((pub.get("extras") or {}).get("datajson") or {})
    return {"publisher": out}


def _publisher_same(got, rec):
    return _write_publisher(got) == _write_publisher(rec)


def _read_contact(v, flags):
    cp = v.get("contactPoint")
    if isinstance(cp, dict):
        name, email = _str(cp.get("fn")), _email(cp.get("hasEmail"))
    elif _str(cp):
        text = _email(cp)
        name, email = (None, text) if "@" in text else (text, None)
    else:
        return {"contact_point": None}
    if not (name or email):
        return {"contact_point": None}
    return {"contact_point": {"name": name, "email": email, "url": None, "phone": None}}


def _write_contact(rec):
    cp = rec.get("contact_point") or {}
    out = {}
    if cp.get("name"):
        out["fn"] = cp["name"]
    if email_address(cp.get("email")):
        out["hasEmail"] = "mailto:" + email_address(cp["email"])
    return {"contactPoint": out} if out else {}


def _contact_same(got, rec):
    return _write_contact(got) == _write_contact(rec)


def _read_access(v, flags):
    raw = _str(v.get("accessLevel"))
    if raw is None:
        return {"access_rights": None}
    code = vocab.access_right(raw)
    if code is None:
        flags.append(("access_rights", raw, "access level not recognised"))
    return {"access_rights": code or raw}


def _write_access(rec):
    code = rec.get("access_rights")
    return {"accessLevel": vocab.access_right_datajson(code) or code} if code else {}


def _read_licence(v, flags):
    raw = _str(v.get("license"))
    if raw is None:
        return {"license": None, "license_raw": None}
    found = vocab.licence(raw)
    if found is None:
        flags.append(("license", raw, "licence not recognised"))
    return {"license": found.id if found else None, "license_raw": raw}


def _write_licence(rec):
    lic = vocab.licence_by_id(rec["license"]) if rec.get("license") else None
    raw = rec.get("license_raw")
    if lic is None:  # not a licence the catalog knows: the source's own words when they are a URI, as POD wants
        return {"license": raw} if raw and _POD_URI.match(raw) else {}
    same = vocab.licence(raw) if raw else None
    if raw and "://" in raw and same is not None and same.id == lic.id:
        return {"license": raw}
    return {"license": lic.url} if lic.url else {}


def _read_frequency(v, flags):
    raw = _str(v.get("accrualPeriodicity"))
    if raw is None:
        return {"frequency": None}
    code = vocab.frequency(raw)
    if code is None:
        flags.append(("frequency", raw, "frequency not recognised"))
    return {"frequency": code or raw}


#: POD 1.1's accrualPeriodicity: an ISO 8601 repeating duration, or "irregular" (catalog_schema/datajson_schema).
_POD_PERIODICITY = re.compile(r"^R/P(?=\d|T\d)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
                              r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$|^irregular$")
#: POD 1.1's license (and other URI fields): a URI of any scheme.
_POD_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
#: POD 1.1's modified may also be a duration or a repeating interval ("R/P1D": updated daily); kept as written.
_POD_PERIOD = re.compile(r"^(R\d*/|P)")


def _write_frequency(rec):
    """ISO 8601 as POD wants it; an EU code POD has no value for (CONT, UNKNOWN, NEVER) is left
    out rather than written invalid; a verbatim value is written back as it was when POD takes it, and left
    out when it does not (a sheet's "sometimes": the POD schema refuses the whole catalog for it)."""
    code = rec.get("frequency")
    if not code:
        return {}
    iso = vocab.frequency_iso8601(code)
    if iso:
        return {"accrualPeriodicity": iso}
    if code in vocab.FREQUENCIES or not isinstance(code, str) or not _POD_PERIODICITY.match(code):
        return {}
    return {"accrualPeriodicity": code}


def _read_temporal(v, flags):
    raw = _str(v.get("temporal"))
    if raw is None:
        return {"temporal": None}
    start, _, end = raw.partition("/")
    return {"temporal": {"start": start.strip() or None, "end": end.strip() or None}}


def _write_temporal(rec):
    t = rec.get("temporal") or {}
    if not (t.get("start") or t.get("end")):
        return {}
    return {"temporal": f"{t.get('start') or ''}/{t.get('end') or ''}" if t.get("end") else t["start"]}


def _read_spatial(v, flags):
    """`spatial`: "W,S,E,N" or a GeoJSON geometry (an object or its JSON text) is the extent; else places."""
    raw = v.get("spatial")
    box = places.parse_bbox(raw) if isinstance(raw, str) else None
    geometry = None if box else places.geojson_geometry(raw)
    if box or geometry:
        return {"spatial": [], "extent": places.extent(box, geometry)}
    return {"spatial": _strings(raw), "extent": None}


def _write_spatial(rec):
    """Places as they are; without places, the extent: its GeoJSON geometry, else its box as "W,S,E,N" (one
    `spatial` value: a dataset with both writes its places, whose boxes the gazetteer knows)."""
    named = rec.get("spatial") or []
    if named:
        return {"spatial": named[0] if len(named) == 1 else list(named)}
    extent = rec.get("extent") or {}
    if extent.get("geometry"):
        return {"spatial": json.dumps(extent["geometry"], separators=(",", ":"))}
    if extent.get("bbox"):
        return {"spatial": places.bbox_text(extent["bbox"])}
    return {}


def _spatial_same(got, rec):
    if rec.get("spatial"):
        return got.get("spatial") == rec.get("spatial")
    return got.get("spatial") == [] and got.get("extent") == rec.get("extent")


def _read_themes(v, flags):
    out = []
    for raw in _strings(v.get("theme"), split=isinstance(v.get("theme"), str)):
        code = vocab.theme(raw)
        if code is None:
            flags.append(("themes", raw, "theme not recognised"))
        if (code or raw) not in out:
            out.append(code or raw)
    return {"themes": out}


def _theme_label(code: str) -> str:
    found = vocab.THEMES.get(code)
    return found.labels.get("en", code) if found else code


def _write_themes(rec):
    themes = rec.get("themes") or []
    return {"theme": [_theme_label(t) for t in themes]} if themes else {}


def _read_conforms(v, flags):
    return {"conforms_to": _strings(v.get("conformsTo"))}


def _write_conforms(rec):
    items = rec.get("conforms_to") or []
    if not items:
        return {}
    return {"conformsTo": items[0] if len(items) == 1 else list(items)}


def _read_identifier(v, flags):
    return {"identifier": _str(v.get("identifier"))}


def _write_identifier(rec):
    return {"identifier": rec.get("identifier") or rec.get("id") or rec.get("uri")}


def _read_part_of(v, flags):
    part_of = _str(v.get("isPartOf"))
    return {"in_series": [part_of] if part_of else []}


def _write_part_of(rec):
    """isPartOf: the data.json identifier of the (first) series; the catalog's resolution when it has one."""
    resolved = rec.get("catalog_series")
    if resolved is not None:
        first = next((e for e in resolved if isinstance(e, dict)), None)
        return {"isPartOf": (first.get("identifier") or first.get("id") or first.get("uri")) if first else None}
    refs = rec.get("in_series") or []
    return {"isPartOf": refs[0] if refs else None}


DATASET_RULES: tuple[Rule, ...] = (
    _text_rule("title", "title"),
    _text_rule("description", "description"),
    _list_rule("keywords", "keyword", split=True),
    _plain("modified", "modified"),
    _plain("issued", "issued"),
    Rule(("publisher",), ("publisher",), _read_publisher, _write_publisher, _publisher_same),
    Rule(("contact_point",), ("contactPoint",), _read_contact, _write_contact, _contact_same),
    Rule(("identifier",), ("identifier",), _read_identifier, _write_identifier),
    Rule(("access_rights",), ("accessLevel",), _read_access, _write_access),
    Rule(("license", "license_raw"), ("license",), _read_licence, _write_licence),
    _plain("rights", "rights"),
    Rule(("frequency",), ("accrualPeriodicity",), _read_frequency, _write_frequency),
    Rule(("temporal",), ("temporal",), _read_temporal, _write_temporal),
    Rule(("spatial", "extent"), ("spatial",), _read_spatial, _write_spatial, _spatial_same),
    Rule(("themes",), ("theme",), _read_themes, _write_themes),
    _plain("landing_page", "landingPage"),
    _list_rule("language", "language", split=True),
    Rule(("conforms_to",), ("conformsTo",), _read_conforms, _write_conforms),
    _plain("uri", "@id"),
    Rule(("in_series",), ("isPartOf",), _read_part_of, _write_part_of),
)


# --------------------------------------------------------------------------- distribution rules


def _read_format(v, flags):
    raw = _str(v.get("format"))
    media = _str(v.get("mediaType"))
    found = vocab.file_format(raw) if raw else (vocab.file_format(media) if media else None)
    if raw and found is None:
        flags.append(("format", raw, "format not recognised"))
    return {"format": found.code if found else None, "format_raw": raw, "media_type": media}


def _write_format(dist):
    """POD's format is a human-readable name: the source's word for it, named as CKAN's resource format names it
    (`vocab.format_name`: a DCAT feed's .../file-type/CSV is "CSV"). Where the source said none (a data.json
    distribution with a mediaType alone) none is written, so a source's entry comes back as it was. mediaType is the
    media type the record's declared one means, without parameters (`vocab.plain_media_type`: a DCAT source's IANA
    IRI, a CKAN resource's mimetype "CSV" are "text/csv"), none where it means none."""
    raw = dist.get("format_raw")
    return {"format": vocab.format_name(dist.get("format"), raw) if raw else None,
            "mediaType": vocab.plain_media_type(dist.get("media_type"))}


DISTRIBUTION_RULES: tuple[Rule, ...] = (
    _text_rule("title", "title"),
    _text_rule("description", "description"),
    _plain("download_url", "downloadURL"),
    _plain("access_url", "accessURL"),
    Rule(("format", "format_raw", "media_type"), ("format", "mediaType"), _read_format, _write_format),
    Rule(("conforms_to",), ("conformsTo",), _read_conforms, _write_conforms),
)


# --------------------------------------------------------------------------- in


def _apply_flags(rec: Record, flags: Flags, prefix: str = "") -> None:
    for field, value, reason in flags:
        flag(rec, prefix + field, value, reason)


def _distribution(raw: Any, index: int, rec: Record) -> Record:
    if not isinstance(raw, dict):
        flag(rec, f"distributions[{index}]", raw, "distribution is not an object")
        return new_distribution(extras={"datajson": {"value": raw}})
    flags: Flags = []
    dist = new_distribution(**read_all(DISTRIBUTION_RULES, raw, flags))
    _apply_flags(rec, flags, f"distributions[{index}].")
    dist["extras"] = {"datajson": stored_keys(DISTRIBUTION_RULES, raw, dist, drop_none=True)}
    return dist


def _check_mappable(dataset: Any) -> None:
    """Raise ValueError, naming the field, for a dataset no record can be made of."""
    if not isinstance(dataset, dict):
        raise ValueError(f"dataset: expected an object, got {type(dataset).__name__}")
    title = dataset.get("title")
    if title is not None and not isinstance(title, (str, int, float, dict)) or isinstance(title, bool):
        raise ValueError(f"title: expected a string, got {type(title).__name__}")
    ident = dataset.get("identifier")
    if ident is not None and isinstance(ident, (dict, list)):
        raise ValueError(f"identifier: expected a string, got {type(ident).__name__}")
    if not _text(title) and not _str(ident):
        raise ValueError("title: missing or empty, and no identifier to name the dataset by")


def catalog_context(document: dict) -> dict:
    """What `from_datajson` reads of the catalog around a dataset (its "@id"), and nothing else: a harvester
    sends it along with every dataset, so it stays small whatever else the catalog holds."""
    return {"@id": document["@id"]} if _str(document.get("@id")) else {}


def series_identifiers(datasets: list) -> set[str]:
    """The identifiers other datasets of the document name in `isPartOf`: those datasets are series (a
    member's `in_series` resolves only to a dataset of kind series, docs/api.md "Dataset series")."""
    return {part_of for d in datasets if isinstance(d, dict) and (part_of := _str(d.get("isPartOf")))}


def dataset_context(catalog: dict, dataset: Any, series: set[str]) -> dict:
    """`catalog` (catalog_context), with `"series": true` for a dataset that others name in `isPartOf`."""
    ident = _str(dataset.get("identifier")) if isinstance(dataset, dict) else None
    return {**catalog, "series": True} if ident and ident in series else catalog


def from_datajson(dataset: dict, catalog: dict | None = None) -> Record:
    """A catalog record from one data.json dataset object.

    `catalog`: the enclosing catalog object (without its `dataset` list), when known; its
    "@id" is noted in `extras["datajson_catalog"]`.
    """
    _check_mappable(dataset)
    flags: Flags = []
    rec = new_record(**read_all(DATASET_RULES, dataset, flags))
    _apply_flags(rec, flags)
    if not rec["title"]:
        flag(rec, "title", dataset.get("title"), "title missing")
    rec["extras"] = {"datajson": stored_keys(DATASET_RULES, dataset, rec, drop_none=True,
                                             structural=("distribution",))}
    if isinstance(catalog, dict) and _str(catalog.get("@id")):
        rec["extras"]["datajson_catalog"] = catalog["@id"]
    if isinstance(catalog, dict) and catalog.get("series") is True:
        rec["kind"] = "series"
    raw = dataset.get("distribution")
    if isinstance(raw, dict):  # one distribution not wrapped in a list
        flag(rec, "distributions", "object", "distribution is an object, not a list")
        rec["extras"]["datajson"]["distribution"] = raw
        raw = [raw]
    elif raw is not None and not isinstance(raw, list):
        flag(rec, "distributions", raw, "distribution is not a list")
        rec["extras"]["datajson"]["distribution"] = raw
        raw = []
    elif raw is None and "distribution" in dataset:
        rec["extras"]["datajson"]["distribution"] = None
    rec["distributions"] = [_distribution(d, i, rec) for i, d in enumerate(raw or [])]
    return rec


def datasets_from_datajson(document: Any, *, errors: list | None = None) -> list[Record]:
    """Records for every dataset of a data.json document (a catalog object or a bare v1.0 list).

    Odd values inside a dataset never stop the others. A dataset that cannot be mapped at all
    (not an object, no title and no identifier) raises ValueError naming its position and the
    field, unless `errors` is given: then {"index", "error", "payload"} is appended there and
    the rest are mapped, so a harvester can record it as an error row.
    """
    if isinstance(document, list):
        document = {"dataset": document}
    if not isinstance(document, dict):
        raise ValueError(f"document: expected a data.json catalog object, got {type(document).__name__}")
    datasets = document.get("dataset")
    if not isinstance(datasets, list):
        raise ValueError("dataset: a data.json catalog needs a 'dataset' list")
    catalog = catalog_context(document)
    series = series_identifiers(datasets)
    records = []
    for index, dataset in enumerate(datasets):
        try:
            records.append(from_datajson(dataset, dataset_context(catalog, dataset, series)))
        except ValueError as exc:
            if errors is None:
                raise ValueError(f"dataset[{index}]: {exc}") from exc
            errors.append({"index": index, "error": str(exc), "payload": dataset})
    return records


# --------------------------------------------------------------------------- out


def _absolute(url: Any, site_url: str | None) -> Any:
    if site_url and isinstance(url, str) and url and not urlsplit(url).scheme:
        return urljoin(site_url, url)
    return url


def _media_type(code: str | None, url: str) -> str:
    """The declared format's media type, else the URL's file extension's, else "unknown bytes"."""
    fmt = vocab.format_by_code(code) if code else None
    if fmt is None:
        ext = splitext(urlsplit(url).path)[1]
        fmt = vocab.format_for_extension(ext) if ext else None
    return fmt.media_types[0] if fmt and fmt.media_types else "application/octet-stream"


def _to_distribution(dist: Mapping[str, Any], site_url: str | None) -> Any:
    stored = dict((dist.get("extras") or {}).get("datajson") or {})
    if set(stored) == {"value"} and not any(dist.get(k) for k in ("access_url", "download_url", "title")):
        return stored["value"]  # a malformed distribution kept verbatim
    out = write_all(DISTRIBUTION_RULES, dist, stored, drop_none=True)
    if "mediaType" in out:  # a data.json source's own word, kept verbatim (extras), goes out as what it means
        media = vocab.plain_media_type(out["mediaType"])
        if media is None:
            del out["mediaType"]
        else:
            out["mediaType"] = media
    if not out.get("title"):
        out.pop("title", None)
    if not out.get("description"):
        out.pop("description", None)
    for key in ("downloadURL", "accessURL"):
        if key in out:
            out[key] = _absolute(out[key], site_url) or None
            if out[key] is None:
                del out[key]  # "" is no URL (a DCAT source's empty dcat:accessURL)
    if out.get("downloadURL") and not out.get("mediaType"):
        out["mediaType"] = _media_type(dist.get("format"), out["downloadURL"])  # POD requires it here
    return out


def _codes(value: Any) -> list[str]:
    """bureauCode / programCode as CKAN extras hold them: "015:11" or "015:11,015:12" or a JSON list."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    return _strings(value, split=True)


def to_datajson(record: Record, *, site_url: str | None = None, contact_email: str | None = None,
                site_publisher: str | None = None) -> dict:
    """A POD v1.1 dataset object for a record, valid against the POD schema whatever the record lacks.

    `site_url`: the portal's base URL; it gives a landingPage (`<site>/dataset/<slug>`) to a
    record without one, and makes relative distribution URLs absolute. What POD requires and
    the record lacks falls back to what the record does say, never to invented facts
    (docs/api.md lists them; the quality check tells the publisher of each gap):

    - description: the title; modified: the issued date, else `catalog_modified` (the date the
      catalog's copy last changed, which the dumps' reader adds); keyword: the theme labels,
      else the publisher's name; accessLevel: "public" (the catalog publishes open data).
    - publisher: `site_publisher` (the body that runs the portal, a setting) for a record whose
      source names none (a CKAN package with no organization, harvested without a default publisher).
    - contactPoint: the publisher's name and e-mail, else `contact_email` (the portal's own
      contact, a setting); an e-mail that is no address is left out.
    - language: BCP 47 tags (an EU authority IRI .../language/DEU becomes "de"); unknown ones dropped.
    - temporal: only a period with a start and an end (POD has no open interval), each end a date as
      `catalog_schema.dates` publishes it (2020年1月1日 as 2020-01-01; no date, no period); spatial: one string, so
      several places are published as the box around them (the extent's, else the gazetteer's boxes of
      them all), else the first place.
    - mediaType: the media type the distribution's declared one means, without parameters
      (`vocab.plain_media_type`: a CKAN resource's mimetype "CSV" or "text/csv; charset=utf-8" is "text/csv"),
      never a value that means none ("comma separated"), which is left out.
    - a distribution without any URL gets the landingPage as accessURL; a downloadURL without a
      mediaType gets one from its format or file extension (else "application/octet-stream").
    - a distribution whose table has a data dictionary here (`catalog_dictionary`, which the catalog's
      readers add) gets describedBy, the URL of its Frictionless Table Schema, and describedByType
      (`dictionary.MEDIA_TYPE`), in place of what the source said.
    """
    extras = record.get("extras") or {}
    stored = copy.deepcopy(extras.get("datajson") or {})
    out = write_all(DATASET_RULES, record, stored, drop_none=True)
    out.setdefault("accessLevel", "public")
    if not out.get("publisher") and site_publisher:  # POD requires one: the portal that publishes the catalog
        out["publisher"] = {"@type": "org:Organization", "name": site_publisher}
    publisher = record.get("publisher") or {}
    if site_url and publisher.get("slug") and isinstance(out.get("publisher"), dict) \
            and not out["publisher"].get("@id"):
        # the publisher's IRI here, as DCAT names it: a catalog harvesting this one finds the publisher by it
        # after a rename (by name alone it made a second publisher and left the first one empty)
        out["publisher"] = {"@type": "org:Organization", **out["publisher"],
                            "@id": f"{site_url.rstrip('/')}/publisher/{publisher['slug']}"}
    publisher_name = (out.get("publisher") or {}).get("name") if isinstance(out.get("publisher"), dict) else None
    fallback_email = email_address(publisher.get("email")) or email_address(contact_email)
    contact = out.get("contactPoint")
    if isinstance(contact, dict):
        if "hasEmail" in contact and not email_address(contact["hasEmail"]):
            del contact["hasEmail"]
        if "hasEmail" not in contact and fallback_email:
            contact["hasEmail"] = "mailto:" + fallback_email
        if "fn" not in contact and contact.get("hasEmail"):
            contact["fn"] = publisher_name or contact["hasEmail"][len("mailto:"):]
    if "contactPoint" not in out and fallback_email:
        out["contactPoint"] = {"fn": publisher_name or fallback_email,
                               "hasEmail": "mailto:" + fallback_email}
    if not out.get("description") and out.get("title"):
        out["description"] = out["title"]
    for key in ("issued", "modified"):  # a value that is no date ("2023-13-01") is not published (DCAT alike)
        value = out.get(key)
        if isinstance(value, str) and not (key == "modified" and _POD_PERIOD.match(value)):
            when = dates.published_text(value)
            if when:
                out[key] = when
            else:
                del out[key]
    if isinstance(out.get("temporal"), str):
        start, sep, end = (part.strip() for part in out["temporal"].partition("/"))
        if not (sep and start and end):
            del out["temporal"]  # a start or an end alone: POD's temporal is an interval, and no open one
        elif "/" not in end:  # start/end: each end a date as every door publishes it (a duration, P1Y, as written)
            ends = [part if part[:1] in "PR" else dates.published_text(part) for part in (start, end)]
            if all(ends):
                out["temporal"] = "/".join(ends)
            else:
                del out["temporal"]  # an end that is no date on the calendar: no interval to say (DCAT alike)
    spatial = out.get("spatial")
    if isinstance(spatial, list):  # POD's spatial is one string: one place, else the box around them all
        named = [p for p in spatial if isinstance(p, str) and p.strip()]
        boxes = [places.place_bbox(p) for p in named]
        box = (places.effective_bbox(record.get("extent"))
               or (places.union(boxes) if named and all(boxes) else None))
        if len(named) == 1 or (named and box is None):
            out["spatial"] = named[0]
        elif box is not None:
            out["spatial"] = places.bbox_text(box)
        else:
            del out["spatial"]
    if not out.get("modified"):
        fallback = dates.published_text(record.get("issued")) or record.get("catalog_modified")
        if fallback:
            out["modified"] = fallback
    if not out.get("keyword"):
        words = [_theme_label(code) for code in record.get("themes") or []] or [publisher_name]
        if any(words):
            out["keyword"] = [w for w in words if w]
    if _strings(out.get("language")):  # (a source's odd value, null say, stays as it was)
        tags = [t for t in dict.fromkeys(vocab.language_code(v) for v in _strings(out["language"])) if t]
        if tags:
            out["language"] = tags
        else:
            del out["language"]
    ckan_extras = extras.get("ckan_extras") or {}
    for key in ("bureauCode", "programCode"):
        if key not in out and _codes(ckan_extras.get(key)):
            out[key] = _codes(ckan_extras.get(key))
    if site_url and not out.get("landingPage") and record.get("slug"):
        out["landingPage"] = urljoin(site_url.rstrip("/") + "/", f"dataset/{record['slug']}")
    if not out.get("identifier") and out.get("landingPage"):
        out["identifier"] = out["landingPage"]
    dists = [_to_distribution(d, site_url) for d in record.get("distributions") or []]
    for raw, dist in zip(record.get("distributions") or [], dists, strict=True):
        if isinstance(dist, dict) and site_url and record.get("slug") and raw.get("catalog_dictionary") \
                and raw.get("catalog_id"):  # the data dictionary this catalog publishes, as a Table Schema
            dist["describedBy"] = dictionary.schema_url(site_url, record["slug"], raw["catalog_id"])
            dist["describedByType"] = dictionary.MEDIA_TYPE
    for dist in dists:
        if isinstance(dist, dict) and not dist.get("downloadURL") and not dist.get("accessURL") \
                and out.get("landingPage"):
            dist["accessURL"] = out["landingPage"]  # where the publisher says how to get it
    if dists or "distribution" not in stored:
        out["distribution"] = dists  # always a list, empty included, unless the source's odd value is kept
    return out


def catalog_to_datajson(records: Iterable[Record], *, site_url: str, contact_email: str | None = None,
                        site_publisher: str | None = None) -> dict:
    """The `/data.json` document: a POD v1.1 dcat:Catalog of every record given."""
    return {
        "@context": POD_CONTEXT,
        "@id": urljoin(site_url.rstrip("/") + "/", "data.json"),
        "@type": "dcat:Catalog",
        "conformsTo": POD_SCHEMA,
        "describedBy": POD_DESCRIBED_BY,
        "dataset": [to_datajson(r, site_url=site_url, contact_email=contact_email, site_publisher=site_publisher)
                    for r in records],
    }


# --------------------------------------------------------------------------- validation


@cache
def schema() -> dict:
    """The POD v1.1 JSON Schema shipped in `catalog_schema/datajson_schema/` (root: a catalog)."""
    text = resources.files("catalog_schema.datajson_schema").joinpath("pod_v1.1.schema.json").read_text("utf-8")
    return json.loads(text)


def validation_errors(document: Any, *, kind: str = "catalog", federal: bool = False) -> list[str]:
    """POD v1.1 violations of a catalog (`kind="catalog"`) or one dataset (`kind="dataset"`).

    `federal=True` also requires bureauCode and programCode, as POD does of US federal agencies.
    """
    import jsonschema

    if kind not in ("catalog", "dataset"):
        raise ValueError(f"kind must be 'catalog' or 'dataset', not {kind!r}")
    name = ("federal_" if federal else "") + kind
    validator = jsonschema.Draft202012Validator({**schema(), "$ref": f"#/$defs/{name}"})
    errors = []
    for err in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        errors.append(f"{where}: {err.message}")
    return errors

