"""The editable metadata of a dataset, set from plain values (what a form or a JSON body gives).

Pure functions on catalog records: `apply_fields(record, fields, lang)` returns nothing and changes the
record; the services hand the record to the store. Texts are written in `lang` (other languages are
kept); licences and frequencies are recognised by any of their names (vocab); themes must be EU theme
codes. Bad values raise `Invalid` naming the field.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import Any

from app.services.errors import Invalid
from app.texts import T_
from catalog_schema import dates, gazetteer, vocab
from catalog_schema.record import Record, refused_chars, validation_errors

MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 20_000  # a description: about ten pages; longer is a document, not a description
MAX_NAME_CHARS = 200
_LABEL = r"[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]*[A-Za-z0-9\u00a1-\uffff])?"  # a domain label
EMAIL = re.compile(rf"^[^@\s<>()\[\],;:\"]+@{_LABEL}(?:\.{_LABEL})+$")  # name@agency.gov.cn, 李@例子.中国
# ISO 8601 dates as DCAT takes them: a year, a month, a day, or a date and time.
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                   r"(Z|[+-]\d{2}:?\d{2})?)?)?)?$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
EDITABLE = ("title", "description", "keywords", "themes", "license", "frequency", "contact_point", "temporal",
            "spatial", "access_rights", "rights", "landing_page", "issued", "modified", "language", "version",
            "hvd_category")


def hvd_values(values: list[str], field: str = "hvd_category") -> list[str]:
    """HVD category IRIs for values given by IRI, code, key or label (vocab.hvd_category), sorted and once
    each; an unknown value raises Invalid naming `field`."""
    cats = [vocab.hvd_category(v) for v in values]
    unknown = [v for v, c in zip(values, cats, strict=True) if c is None]
    if unknown:
        known = ", ".join(f"{c.key} ({c.label_en})" for c in vocab.hvd_categories())
        raise Invalid(T_("Unknown high-value dataset category: %(unknown)s; use one of %(known)s.",
                         unknown=", ".join(unknown), known=known), field=field, why="vocabulary")
    return sorted(set(c for c in cats if c))


def legislation_values(values: Any, field: str = "applicable_legislation") -> list[str]:
    """Applicable legislation: http(s) URIs (ELIs such as the HVD regulation's) from a list or a text (one a
    line, or separated by spaces or commas), in the order given, once each, never cut short; anything else
    raises Invalid naming `field`."""
    if isinstance(values, str):
        values = re.split(r"[\s,，;；]+", values)
    if not isinstance(values, list):
        raise Invalid(T_("%(field)s: expected a list of words (or a comma-separated text).", field=field),
                      field=field)
    out: list[str] = []
    for value in (str(v).strip() for v in values):
        if not value:
            continue
        if len(value) > 2000 or not _URL.match(value):
            raise Invalid(T_("applicable legislation: %(value)s is not an http(s) URI; give the law's ELI, e.g. "
                             "%(eli)s.", value=repr(value[:80]), eli=vocab.HVD_LEGISLATION),
                          field=field, why="legislation", value=value[:80])
        if value not in out:
            out.append(value)
    return out


def _with_hvd_law(laws: list[str], tagged: bool) -> list[str]:
    """`laws` with the HVD regulation last when `tagged` (it is a high-value dataset, distribution or
    service), without it otherwise."""
    laws = [law for law in laws if law != vocab.HVD_LEGISLATION]
    return [*laws, vocab.HVD_LEGISLATION] if tagged else laws


def _set_hvd(rec: dict[str, Any], values: list[str]) -> None:
    """High-value dataset categories (IRI, code, key or label, vocab.hvd_category) on the record; a tagged
    dataset and each of its distributions get the HVD regulation as applicable legislation (DCAT-AP HVD
    asks it of both), an untagged one loses it (the HVD shapes refuse a dataset under the regulation without
    a category), and so do its distributions when the dataset stops being one. A distribution's categories
    stay among the dataset's: a category the dataset loses, its distributions lose."""
    was_tagged = bool(rec.get("hvd_category"))
    rec["hvd_category"] = hvd_values(values)
    tagged = bool(rec["hvd_category"])
    rec["applicable_legislation"] = _with_hvd_law(list(rec.get("applicable_legislation") or []), tagged)
    for dist in rec.get("distributions") or []:
        dist["hvd_category"] = [c for c in dist.get("hvd_category") or [] if c in rec["hvd_category"]]
        laws = list(dist.get("applicable_legislation") or [])
        if tagged or was_tagged:  # a file's regulation typed by hand on a dataset that never was one stays
            dist["applicable_legislation"] = _with_hvd_law(laws, tagged)
        service = dist.get("access_service")
        if isinstance(service, dict) and service.get("hvd_category"):  # its data service's, likewise
            service["hvd_category"] = [c for c in service["hvd_category"] if c in rec["hvd_category"]]
            if not service["hvd_category"] and not tagged:
                service["applicable_legislation"] = _with_hvd_law(list(service.get("applicable_legislation") or []),
                                                                  False)


def set_distribution_hvd(rec: dict[str, Any], dist: dict[str, Any], categories: Any = None,
                         legislation: Any = None, *, field_prefix: str = "") -> None:
    """A distribution's own HVD categories and applicable legislation (None: unchanged), checked: the
    categories from the vocabulary and among its dataset's (a file of a high-value dataset belongs to
    the dataset's categories, DCAT-AP HVD), the legislation http(s) URIs (ELIs). The HVD regulation stays
    while the dataset or the distribution has a category. `field_prefix` goes before the field named by a
    refusal (a form's or a CKAN resource's)."""
    if categories is not None:
        cats = hvd_values(str_list(categories, "hvd_category"), field_prefix + "hvd_category")
        ours = {vocab.hvd_category(c) or c for c in rec.get("hvd_category") or []}
        outside = [c for c in cats if c not in ours]
        if outside:
            raise Invalid(T_("A distribution's high-value dataset categories must be among its dataset's; "
                             "%(outside)s is not: add it to the dataset first.",
                             outside=", ".join(vocab.hvd_label(c) for c in outside)),
                          field=field_prefix + "hvd_category", why="hvd-subset",
                          value=", ".join(vocab.hvd_label(c) for c in outside))
        dist["hvd_category"] = cats
    if legislation is not None:
        laws = legislation_values(legislation, field_prefix + "applicable_legislation")
    else:
        laws = list(dist.get("applicable_legislation") or [])
    tagged = bool(rec.get("hvd_category") or dist.get("hvd_category"))
    keep = vocab.HVD_LEGISLATION in laws or tagged  # an HVD law typed by hand on an untagged file stays
    dist["applicable_legislation"] = _with_hvd_law(laws, keep)


def date_value(value: Any, field: str) -> str | None:
    """An ISO 8601 date (2024, 2024-05, 2024-05-31, or a date and time) that exists on the calendar, or None
    for an empty value; anything else ("yesterday", 2026-13-45) raises Invalid naming `field`."""
    text = str(value or "").strip()
    if not text:
        return None
    if _DATE.match(text) is None:  # a date spelled otherwise (2024年3月1日, 2024.03.01, 2024-3): in ISO form
        text = dates.published_text(text) or text
    found = _DATE.match(text)
    try:
        if found is None:
            raise ValueError(text)
        year, month, day, hour, minute, second = (int(g) if g else None for g in found.groups()[:6])
        dt.datetime(year, month or 1, day or 1, hour or 0, minute or 0, second or 0)
    except ValueError:
        raise Invalid(T_("%(field)s: %(text)s is not a date; write it as YYYY-MM-DD, e.g. 2024-05-31.",
                         field=field, text=repr(text[:40])),
                      field=field, why="date", value=text[:40]) from None
    return text


def langmap(value: Any, lang: str, current: dict | None, field: str = "description",
            limit: int = MAX_TEXT_CHARS) -> dict[str, str]:
    """A language map from a map, or from a text in `lang` merged into `current`; a text over `limit`
    characters raises Invalid (it is never cut short silently). A text in no stated language (`lang` "",
    context.UNSTATED: the CKAN door's plain name) is the whole text, under "": which of `current`'s languages it
    would replace is not known, and one kept beside it would still be what a reader of that language sees."""
    if isinstance(value, dict):
        out = {str(k)[:10]: _lines(v) for k, v in value.items() if isinstance(v, str) and v.strip()}
    else:
        text = _lines(str(value or ""))
        out = {k: v for k, v in (current or {}).items() if k != lang} if lang else {}
        if text:
            out[lang] = text
    longest = max((len(v) for v in out.values()), default=0)
    if longest > limit:
        raise Invalid(T_("%(field)s: %(longest)s characters; at most %(limit)s.",
                         field=field, longest=format(longest, ","), limit=format(limit, ",")), field=field,
                      why="too-long", limit=limit, length=longest)
    return out


def _lines(text: str) -> str:
    """A text as typed, with a browser's CRLF line ends as LF (a form posts "第一行\r\n第二行": stored so, the
    check counted the CRs as characters of the description)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def str_list(value: Any, field: str = "value") -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[,，;；、\n]", value)  # 、 too: 人口、统计 is two keywords
    if not isinstance(value, list):
        raise Invalid(T_("%(field)s: expected a list of words (or a comma-separated text).", field=field), field=field)
    out = []
    for item in value:
        text = str(item).strip()[:200]
        if text and text not in out:
            out.append(text)
    return out


#: Full stops a Chinese keyboard types in a domain (IDNA reads them as dots too)
_FULL_STOPS = str.maketrans({"\u3002": ".", "\uff61": "."})


def typed_address(email: str) -> str:
    """An e-mail address as a Chinese input method may type it, in the characters mail takes: full-width forms
    (＠, ．, ｇｏｖ) as their ASCII ones (NFKC), and 。 or ｡ between domain labels as dots. "data＠stats。gov.cn" was
    refused as no e-mail address, and its typist could not see why."""
    if email.isascii():
        return email
    return unicodedata.normalize("NFKC", email).translate(_FULL_STOPS)


def contact_point(value: Any) -> dict[str, str | None] | None:
    """A contact point from a map (name, email, url, phone) or a text (an e-mail address or a name)."""
    cp = value
    if isinstance(cp, str):
        cp = {"email": cp} if "@" in cp else {"name": cp}
    keys = ("name", "email", "url", "phone")
    cp = {k: (str(v).strip() or None) for k, v in (cp or {}).items() if k in keys and v is not None}
    if len(cp.get("name") or "") > MAX_NAME_CHARS:
        raise Invalid(T_("contact name: at most %(max_name_chars)s characters.", max_name_chars=MAX_NAME_CHARS),
                      field="contact_name", why="too-long", limit=MAX_NAME_CHARS, length=len(cp["name"]))
    email = cp.get("email")
    if email:
        email = typed_address(email.removeprefix("mailto:"))
        if len(email) > 254 or not EMAIL.match(email):
            raise Invalid(T_("contact e-mail: %(email)s is not an e-mail address (name@agency.gov.cn).",
                             email=repr(email[:80])),
                          field="contact_email", why="email", value=email[:80])
        cp["email"] = email
    if cp.get("url") and not _URL.match(cp["url"]):
        raise Invalid(T_("contact URL: an http(s) address is needed."), field="contact_url", why="url")
    return cp if any(cp.values()) else None


def spatial(value: Any, stored: list[str] | None = None) -> list[str]:
    """Places from the gazetteer (stored as their urn:gb2260 URI) or http(s) URIs of places elsewhere
    (GeoNames, the EU's places); a name the gazetteer does not know (or knows several of) is refused, unless the
    dataset holds it already (`stored`: a place its source named, 京海市, sent back unchanged by the form, which
    could not be saved at all until it was deleted)."""
    out = []
    kept = {str(v) for v in stored or []}
    for item in str_list(value or [], "spatial"):
        found = gazetteer.place(item)
        if found is not None:
            uri = found.uri
        elif _URL.match(item) or item in kept:
            uri = item
        else:
            raise Invalid(T_("spatial: %(item)s is not a place of the gazetteer; choose one from the list (e.g. "
                             "浙江省杭州市) or give a place URI.", item=repr(item[:60])), field="spatial", why="place",
                          value=item[:60])
        if uri not in out:
            out.append(uri)
    return out


def media_type(value: Any, field: str = "media_type") -> str | None:
    """A distribution's declared media type as the exports read it (vocab.declared_media_type: type/subtype,
    "text/csv"; a format's name where a media type belongs, "CSV", "XLS", ".csv", what many CKAN portals keep as a
    resource's mimetype, is the format's media type), None for an empty value; a type/subtype under no IANA top-level
    type ("binary/octet-stream") is kept as written (vocab.media_type), which the exports leave out; anything else
    ("comma separated") raises Invalid naming `field`: a quality check, DCAT's dcat:mediaType and CKAN's mimetype
    all read it as one."""
    if value is None or isinstance(value, str) and not value.strip():
        return None
    found = vocab.declared_media_type(value) or vocab.media_type(value)
    if found is None or len(found) > 200:
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        raise Invalid(T_("%(text)s is not a media type: write it as type/subtype, e.g. text/csv or application/json.",
                         text=repr(shown[:60])), field=field, why="media_type", value=shown[:60])
    return found


def file_url(value: Any, field: str = "url") -> str:
    """A file's address as every door takes one: an http(s) URL of at most 2,000 characters, which the platform
    fetches, checks and scores (plumbing.http fetches no other scheme: an ftp:// link was never checked, its stars and
    personal-data facts never known); Invalid naming `field` otherwise."""
    url = str(value or "").strip()
    if len(url) > 2000 or not _URL.match(url):
        raise Invalid(T_("Give the file's http(s) URL."), field=field, why="url")
    return url


def link_format(dist: dict[str, Any]) -> dict[str, Any]:
    """A new link's format and media type, the one rule of every door that adds one (the page's link form, REST, CKAN's
    resource_create, package_create and the resources package_update or _patch add): a link said no format by gets the
    one its address names (a path ending .csv: CSV, `format_raw` empty, since no one said it), and a link with a
    format and no media type gets the format's (CSV: text/csv). A format said the catalog does not know ("comma
    separated") is kept as said, nothing guessed over it. `dist` is changed and returned."""
    url = dist.get("download_url") or dist.get("access_url")
    if not dist.get("format") and not dist.get("format_raw") and isinstance(url, str):
        found = vocab.format_for_extension(url.split("?")[0].split("#")[0])
        if found is not None:
            dist["format"], dist["format_raw"] = found.code, None
    fmt = vocab.format_by_code(dist["format"]) if dist.get("format") else None
    if fmt is not None and fmt.media_types and not dist.get("media_type"):
        dist["media_type"] = fmt.media_types[0]
    return dist


def suggested_media_type(declared: Any, served: Any, read_as: str | None) -> str | None:
    """The media type to offer a file's publisher when it declares none (`declared` empty): what its server said it is
    (`served`, the Content-Type of the last fetch; parameters left out, vocab.plain_media_type) when that names a format
    the catalog knows (vocab.format_for_media_type) and the bytes, once read (`read_as`, the format they were read as),
    are of that format: a server that sends a CSV as text/plain, or a workbook as the older Excel's type, is wrong, and
    taken at its word would cost the points the file's own format earns. None otherwise. Only offered: what the
    publisher takes is declared through `media_type`, as a value typed in the box."""
    if declared is not None and not (isinstance(declared, str) and not declared.strip()):
        return None
    plain = vocab.plain_media_type(served)
    named = vocab.format_for_media_type(plain) if plain else None
    if named is None or (read_as and read_as != named.code):
        return None
    return plain


def refuse_controls(fields: dict[str, Any], before: Record | None = None) -> None:
    """Invalid naming the first field whose text holds a control character or a lone surrogate (record.REFUSED_CHARS):
    on PostgreSQL a NUL failed the request with a 500, and SQLite kept what no XML export can hold. A value the
    field holds already (in `before`, a record) pass: a description harvested with a form feed in it, posted back
    unchanged by the page's form beside a new title, does not stop the title's change."""
    for key, value in fields.items():
        if refused_chars(value) - (refused_chars(before.get(key)) if before is not None else set()):
            raise Invalid(T_("%(key)s: holds a control character (such as NUL), which cannot be kept.", key=key),
                          field=key, why="control")


def check_record(rec: Record, before: Record | None = None) -> None:
    """The values of a whole record (what CKAN's package_create, _update and _patch send) checked as the publish
    page checks them: issued and modified dates, the period and the contact's e-mail, and as a distribution's own
    change checks it, each distribution's address (`file_url`: an http(s) URL) and media type (`media_type`,
    written as it stores it); a value the dataset
    holds already (`before`) passes as it is. Dates are written in ISO form. Places are taken as a source's are (a name
    the gazetteer does not know is kept as written: a dump of another portal loads). Raises the first Invalid."""
    before = before or {}
    refuse_controls(rec, before)
    for key in ("issued", "modified"):
        if rec.get(key) and rec.get(key) != before.get(key):
            rec[key] = date_value(rec[key], key)
    temporal = rec.get("temporal")
    if isinstance(temporal, dict) and temporal != before.get("temporal"):
        tmp = {k: date_value(temporal.get(k), f"temporal_{k}") for k in ("start", "end")}
        if tmp["start"] and tmp["end"] and tmp["start"][:10] > tmp["end"][:10]:
            raise Invalid(T_("temporal: the period ends before it starts."), field="temporal_end", why="order")
        rec["temporal"] = tmp if any(tmp.values()) else None
    cp = rec.get("contact_point")
    if isinstance(cp, dict) and cp.get("email") and cp.get("email") != (before.get("contact_point") or {}).get("email"):
        contact_point({"email": cp["email"]})
    files = [d for d in before.get("distributions") or [] if isinstance(d, dict)]
    held = {d.get("media_type") for d in files}
    addresses = {d.get(key) for d in files for key in ("download_url", "access_url")}
    for position, dist in enumerate(rec.get("distributions") or []):
        if not isinstance(dist, dict):
            continue
        try:
            for key in ("download_url", "access_url"):  # a new address: an http(s) URL, as a link's (file_url)
                if dist.get(key) and dist[key] not in addresses:
                    dist[key] = file_url(dist[key], "url" if key == "download_url" else key)
            if dist.get("media_type") is not None and dist["media_type"] not in held:
                # as a distribution's own change takes it (distributions.replace)
                dist["media_type"] = media_type(dist["media_type"])
        except Invalid as exc:
            exc.detail["distribution"] = position  # which one: CKAN's door names resources[<position>]
            raise


#: The key of `fields` a refusal's field belongs to, where the two differ (a form's boxes of one field).
_FIELD_KEYS = {"temporal_start": "temporal", "temporal_end": "temporal", "contact_email": "contact_point",
               "contact_name": "contact_point", "contact_url": "contact_point", "contact_phone": "contact_point"}


def problems(rec: Record, fields: dict[str, Any], *, lang: str = "zh") -> list[Invalid]:
    """Every refusal `apply_fields` would make of `fields`, not only the first (a form showed one error a Save:
    a bad date stayed unmarked until the e-mail beside it was fixed). Tried on copies: `rec` is not changed."""
    import copy

    out: list[Invalid] = []
    left = dict(fields)
    for _ in range(len(fields) + 1):
        try:
            apply_fields(copy.deepcopy(rec), left, lang=lang)
            break
        except Invalid as exc:
            out.append(exc)
            name = str((exc.detail or {}).get("field") or "")
            key = _FIELD_KEYS.get(name, name)
            if key not in left:
                break
            del left[key]
    return out


def apply_fields(rec: Record, fields: dict[str, Any], *, lang: str = "zh") -> None:
    """Set the editable fields of `rec` from `fields`; raises Invalid on an unknown field or a bad value
    (its `field` detail names the form field, `why` says what is wrong)."""
    lang = "en" if str(lang).startswith("en") else "zh"
    for key in fields:
        if key not in EDITABLE:
            raise Invalid(T_("Field %(key)s cannot be set here; editable: %(join)s.",
                             key=repr(key), join=', '.join(EDITABLE)), field=key)
    refuse_controls(fields, rec)
    if "title" in fields:
        title = langmap(fields["title"], lang, rec.get("title"), "title", MAX_TITLE_CHARS)
        if not title:
            raise Invalid(T_("A title is required (at most 500 characters)."), field="title", why="required")
        rec["title"] = title
    if "description" in fields:
        rec["description"] = langmap(fields["description"], lang, rec.get("description"))
    if "keywords" in fields:
        rec["keywords"] = str_list(fields["keywords"] or [], "keywords")
    if "themes" in fields:
        themes = [t.upper() for t in str_list(fields["themes"] or [], "themes")]
        unknown = [t for t in themes if t not in vocab.THEMES]
        if unknown:
            known = ", ".join(sorted(vocab.THEMES)[:5])
            raise Invalid(T_("Unknown theme code(s): %(join)s; use e.g. %(known)s.",
                             join=', '.join(unknown), known=known), field="themes",
                          why="vocabulary")
        rec["themes"] = themes
    if "hvd_category" in fields:
        _set_hvd(rec, str_list(fields["hvd_category"] or [], "hvd_category"))
    if "license" in fields:
        raw = str(fields["license"] or "").strip()[:500]
        lic = vocab.licence(raw) if raw else None
        rec["license"] = lic.id if lic else None
        rec["license_raw"] = raw or None
    if "frequency" in fields:
        raw = str(fields["frequency"] or "").strip()
        code = vocab.frequency(raw) if raw else None
        if raw and code is None:
            raise Invalid(T_("Unknown update frequency %(raw)s; use e.g. DAILY, WEEKLY, MONTHLY, ANNUAL.",
                             raw=repr(raw[:40])),
                          field="frequency", why="vocabulary")
        rec["frequency"] = code
    if "access_rights" in fields:
        raw = str(fields["access_rights"] or "").strip()
        code = vocab.access_right(raw) if raw else None
        if raw and code is None:
            raise Invalid(T_("Unknown access rights %(raw)s; use PUBLIC, RESTRICTED or NON_PUBLIC.",
                             raw=repr(raw[:40])),
                          field="access_rights", why="vocabulary")
        rec["access_rights"] = code
    if "contact_point" in fields:
        rec["contact_point"] = contact_point(fields["contact_point"])
    if "temporal" in fields:
        tmp = fields["temporal"] or {}
        if not isinstance(tmp, dict):
            raise Invalid(T_("temporal: expected {start, end}."), field="temporal_start", why="date")
        tmp = {k: date_value(tmp.get(k), f"temporal_{k}") for k in ("start", "end")}
        if tmp["start"] and tmp["end"] and tmp["start"][:10] > tmp["end"][:10]:
            raise Invalid(T_("temporal: the period ends before it starts."), field="temporal_end", why="order")
        rec["temporal"] = tmp if any(tmp.values()) else None
    if "spatial" in fields:
        rec["spatial"] = spatial(fields["spatial"], rec.get("spatial"))
    if "language" in fields:
        codes = []
        for item in str_list(fields["language"] or [], "language"):
            code = vocab.language_code(item)
            if code is None:
                raise Invalid(T_("Unknown language %(item)s; use a code such as zh or en.", item=repr(item[:40])),
                              field="language", why="vocabulary")
            if code not in codes:
                codes.append(code)
        rec["language"] = codes
    for key in ("issued", "modified"):
        if key in fields:
            rec[key] = date_value(fields[key], key)
    if "landing_page" in fields:
        value = str(fields["landing_page"] or "").strip()
        if value and (len(value) > 2000 or not _URL.match(value)):
            raise Invalid(T_("landing page: an http(s) address is needed."), field="landing_page", why="url")
        rec["landing_page"] = value or None
    if "rights" in fields:  # the dataset's rights statement is each file's (dct:rights), unless a file has its own
        old = rec.get("rights")
        value = str(fields["rights"] or "").strip()
        if len(value) > 2000:
            raise Invalid(T_("rights: at most 2,000 characters."), field="rights", why="too-long", limit=2000,
                          length=len(value))
        rec["rights"] = value or None
        for dist in rec.get("distributions") or []:
            if not dist.get("rights") or dist.get("rights") == old:
                dist["rights"] = rec["rights"]
    for key in ("version",):
        if key in fields:
            value = str(fields[key] or "").strip()
            if len(value) > 2000:
                raise Invalid(T_("%(key)s: at most 2,000 characters.", key=key), field=key, why="too-long", limit=2000,
                              length=len(value))
            rec[key] = value or None
    problems = validation_errors(rec)
    if problems:
        raise Invalid("; ".join(problems[:3]))
