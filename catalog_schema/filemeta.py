"""Metadata for plain files: a source's defaults and a metadata sheet's rows <-> catalog record fields (pure).

A folder of files (or a list of file URLs) says nothing about its files but their names. Its
source gives defaults (publisher, licence, language, frequency, keywords, contact point, theme
...) and an optional metadata sheet beside the files gives one row per file, the way a
statistics bureau keeps its catalogue. Both are plain values keyed by column headers in English
or Chinese; this module turns them into record fields through the vocabularies, says what it
could not understand, and writes a record back as a sheet row (`to_row`, the pair of `from_row`).

Headers are matched case-, width- and space-insensitively (`Licence`, ` LICENSE `, `许可协议`).
Every value is text as a sheet holds it; lists (keywords, themes, spatial, language) are split on
``, ; ， ； 、`` and the defaults may also give them as JSON lists.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from catalog_schema import dates, vocab
from catalog_schema.record import Record, flag

# field -> the headers that name it (English and Chinese); the first is the field's own header
HEADERS: dict[str, tuple[str, ...]] = {
    "file": ("file", "path", "filename", "file name", "文件", "文件名", "文件名称", "文件路径"),
    "slug": ("slug", "英文标识"),
    "title": ("title", "标题", "名称", "数据集名称", "数据名称"),
    "description": ("description", "notes", "summary", "描述", "说明", "简介", "摘要", "数据描述"),
    "licence": ("licence", "license", "许可协议", "许可", "开放协议", "授权协议"),
    "keywords": ("keywords", "keyword", "tags", "关键词", "关键字", "标签"),
    "theme": ("theme", "themes", "category", "主题", "主题分类", "分类", "领域"),
    "frequency": ("frequency", "update frequency", "更新频率", "更新周期", "频率"),
    "temporal": ("temporal", "temporal coverage", "period", "时间范围", "时间覆盖", "时间跨度", "数据时间"),
    "spatial": ("spatial", "spatial coverage", "area", "空间范围", "地域范围", "覆盖范围", "区域"),
    "publisher": ("publisher", "发布机构", "发布单位", "发布部门", "数据提供方", "提供单位"),
    "language": ("language", "languages", "语言", "语种"),
    "contact_point": ("contact point", "contact", "contact email", "联系人", "联系方式", "联系邮箱"),
    "modified": ("modified", "last modified", "updated", "更新日期", "更新时间", "最后更新"),
    "issued": ("issued", "published", "release date", "发布日期", "发布时间"),
}

LIST_FIELDS = ("keywords", "theme", "spatial", "language")
_SPLIT = re.compile(r"\s*[,;，；、]\s*")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# a contact cell that is a telephone number (the hotline 12345, 0571-87654321, (010) 6512 3456 转 801): the contact's
# phone; it was kept as the contact's name
_PHONE = re.compile(r"^(?:tel:)?\+?[\d\s\-()（）]+(?:(?:转|ext\.?|x)\s*\d+)?$", re.IGNORECASE)


def N_(msgid: str) -> str:  # noqa: N802 (gettext's name: the interface's catalog extracts these reasons)
    """Marks a reason for extraction; it is said in the reader's language where a harvest error shows it."""
    return msgid


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).casefold().replace("_", " ").split())


_BY_HEADER = {_key(h): field for field, names in HEADERS.items() for h in names}


def field_for_header(header: Any) -> str | None:
    """The field a column header names (``文件`` -> ``file``, `` License `` -> ``licence``), or None."""
    if header is None:
        return None
    return _BY_HEADER.get(_key(str(header).lstrip("\ufeff").strip(" *:：")))


def cell_text(value: Any) -> str | None:
    """A cell as text: numbers as written (2023, not 2023.0), dates as ISO, blanks as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return text or None


def _items(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _items(v)]
    text = cell_text(value)
    return [part for part in _SPLIT.split(text) if part] if text else []


# --------------------------------------------------------------------------- dates and ranges

_RANGE_SEP = re.compile(r"\s*(?:/|—+|–|－|~|～|至|到|\s-\s|--)\s*")
_YEARS = re.compile(r"^(\d{4})\s*年?\s*-\s*(\d{4})\s*年?$")  # 2020-2023: two years, not a year and a month
#: A quarter as statistics bureaus write it (2023年第一季度, 2023年第1季度, 2023Q1, 2023 Q1): its three months.
_QUARTER = re.compile(r"^(\d{4})\s*(?:年\s*第?\s*([一二三四1-4])\s*季度?|[Qq]\s*([1-4]))$")
_QUARTER_NUMBER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
#: A year written as a statistical year (2020年度): that year.
_YEAR_OF = re.compile(r"^(\d{4})\s*年度$")


def parse_date(text: Any) -> str | None:
    """A sheet's date as every door publishes it (`catalog_schema.dates`, the one rule): ISO at the precision
    written (``2020``, ``2020-03``, ``2020-03-01``) from ``2020-3``, ``2020.03.01``, ``2020年3月1日``, ``March
    2020``, ``1 March 2020`` ...; a spreadsheet's date cell (openpyxl's date or datetime) as `cell_text` writes it,
    a time kept as the same text's would be. None if not a date."""
    return dates.published_text(cell_text(text))


def parse_range(text: Any) -> dict[str, str]:
    """A time range {"start", "end"} from ``2020-01-01/2023-12-31``, ``2020—2023``, ``2020-2023``,
    ``2020年至2023年``, two dates joined by a hyphen (``2020年1月-2023年12月``, ``2020.01.01-2023.12.31``), a
    quarter (``2023年第一季度``, ``2023Q1``: its three months), a statistical year (``2020年度``) or one date or year
    (start and end alike); ValueError saying why when it is not one (a
    reason marked for translation, without the value: the row's message names the column and the value)."""
    raw = cell_text(text)
    if raw is None:
        raise ValueError(N_("empty time range"))
    quarter = _QUARTER.match(raw)
    if quarter:
        n = _QUARTER_NUMBER[quarter.group(2) or quarter.group(3)]
        return {"start": f"{quarter.group(1)}-{3 * n - 2:02d}", "end": f"{quarter.group(1)}-{3 * n:02d}"}
    year_of = _YEAR_OF.match(raw)
    if year_of:
        return {"start": year_of.group(1), "end": year_of.group(1)}
    years = _YEARS.match(raw)
    hyphened = None if years else _hyphen_range(raw)
    if hyphened is not None:
        start, end = hyphened
        n = min(len(start), len(end))
        if start[:n] > end[:n]:
            raise ValueError(N_("the range ends before it starts"))
        return {"start": start, "end": end}
    parts = [years.group(1), years.group(2)] if years else _RANGE_SEP.split(raw)
    if len(parts) == 1:
        one = parse_date(parts[0])
        if one is None:
            raise ValueError(N_("not a date or a date range (start/end, e.g. 2020-01-01/2023-12-31)"))
        return {"start": one, "end": one}
    if len(parts) != 2:
        raise ValueError(N_("not a date range (start/end, e.g. 2020-01-01/2023-12-31 or 2020—2023)"))
    start, end = parse_date(parts[0]), parse_date(parts[1])
    if start is None or end is None:
        raise ValueError(N_("its start is not a date") if start is None else N_("its end is not a date"))
    # compared at the coarser precision written: 2020-06/2020 is the second half of 2020
    n = min(len(start), len(end))
    if start[:n] > end[:n]:
        raise ValueError(N_("the range ends before it starts"))
    return {"start": start, "end": end}


def _hyphen_range(raw: str) -> tuple[str, str] | None:
    """Two dates written without a hyphen of their own, joined by one (2020年1月-2023年12月, 2020.01.01-2023.12.31,
    2016/01-2025/12, as Chinese sheets write a range): (start, end), or None when the text has not exactly one hyphen
    or a side is no date. An ISO date's own hyphens (2020-03, 2020-01-01/2023-12-31) never split so."""
    if raw.count("-") != 1:
        return None
    before, _, after = raw.partition("-")
    start, end = parse_date(before.strip()), parse_date(after.strip())
    return (start, end) if start is not None and end is not None else None


# --------------------------------------------------------------------------- values -> record fields


def canonical(values: dict[Any, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values by field, values under headers no field has) for a row or the defaults; blank cells left out.
    When two headers name one field, the first wins."""
    known: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for header, value in values.items():
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            continue
        field = field_for_header(header)
        if field is None:
            if cell_text(header):
                other[cell_text(header)] = value if isinstance(value, (list, dict)) else cell_text(value)
        else:
            known.setdefault(field, value)
    return known, other


def from_values(values: dict[Any, Any]) -> tuple[Record, list[tuple[str, Any, str]]]:
    """Record fields for a sheet row or a source's defaults, and what could not be understood as
    (field, value, reason). A value not understood is kept verbatim where the record keeps raw values
    (licence_raw, themes, frequency) and left out where it cannot be (temporal, dates)."""
    known, other = canonical(values)
    out: Record = {}
    problems: list[tuple[str, Any, str]] = []
    if "slug" in known:
        slug = cell_text(known["slug"])
        if _SLUG.match(slug or ""):
            out["slug"] = slug
        else:
            problems.append(("slug", slug, N_("not a slug (lower-case letters, digits, - and _)")))
    if "title" in known:
        out["title"] = {"": cell_text(known["title"])}
    if "description" in known:
        out["description"] = {"": cell_text(known["description"])}
    if "licence" in known:
        raw = cell_text(known["licence"])
        found = vocab.licence(raw)
        out["license"], out["license_raw"] = (found.id if found else None), raw
        if found is None:
            problems.append(("license", raw, N_("licence not recognised")))
    if "keywords" in known:
        out["keywords"] = list(dict.fromkeys(_items(known["keywords"])))
    if "theme" in known:
        out["themes"] = []
        for raw in _items(known["theme"]):
            code = vocab.theme(raw)
            out["themes"].append(code or raw)
            if code is None:
                problems.append(("themes", raw, N_("theme not in the EU data-theme vocabulary")))
        out["themes"] = list(dict.fromkeys(out["themes"]))
    if "frequency" in known:
        raw = cell_text(known["frequency"])
        code = vocab.frequency(raw)
        out["frequency"] = code or raw
        if code is None:
            problems.append(("frequency", raw, N_("frequency not in the EU vocabulary")))
    if "temporal" in known:
        value = known["temporal"]
        try:
            if isinstance(value, dict):
                value = f"{cell_text(value.get('start')) or ''}/{cell_text(value.get('end')) or ''}"
            out["temporal"] = parse_range(value)
        except ValueError as exc:
            problems.append(("temporal", cell_text(known["temporal"]), str(exc)))
    for field in ("modified", "issued"):
        if field in known:
            date = parse_date(known[field])
            if date is None:
                problems.append((field, cell_text(known[field]), N_("not a date (e.g. 2024-03-31 or 2024年3月31日)")))
            else:
                out[field] = date
    if "spatial" in known:
        out["spatial"] = list(dict.fromkeys(_items(known["spatial"])))
    if "language" in known:  # a language no code or name says is flagged, not published as a made-up tag
        codes = []
        for raw in _items(known["language"]):
            code = vocab.language_code(raw)
            if code is None:
                problems.append(("language", raw, N_("language not recognised (a code such as zh or en, or a name "
                                                     "such as 中文 or English)")))
            else:
                codes.append(code)
        if codes:  # none understood: the defaults' language stands
            out["language"] = list(dict.fromkeys(codes))
    if "publisher" in known:
        out["publisher"] = _agent(known["publisher"])
    if "contact_point" in known:
        out["contact_point"] = _contact(known["contact_point"])
        said = None if isinstance(known["contact_point"], dict) else out["contact_point"].get("name")
        if said and _header_of(values, "contact_point") in _EMAIL_HEADERS:
            # a column that promises an address: a name or a typo there is said, and kept as the contact's name
            problems.append(("contact_point", said, N_("not an e-mail address (such as "
                                                       "open-data@stats.example.gov.cn); kept as the contact's name")))
    if other:
        out["extras"] = {"file_metadata": other}
    return out, problems


#: The headers of a contact column that promise an e-mail address (`HEADERS`), as `_key` spells them.
_EMAIL_HEADERS = {_key("contact email"), _key("联系邮箱")}


def _header_of(values: dict[Any, Any], field: str) -> str | None:
    """The header whose value `canonical` took for `field` (the first that names it with a value), as `_key`
    spells it."""
    for header, value in values.items():
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            continue
        if field_for_header(header) == field:
            return _key(str(header).lstrip("\ufeff").strip(" *:："))
    return None


def _agent(value: Any) -> Record:
    """A publisher from a slug (``jh-stats``), a name (``京海市统计局``) or an object {slug, name, ...}."""
    if isinstance(value, dict):
        name = value.get("name")
        return {"slug": value.get("slug"), "name": name if isinstance(name, dict) else ({"": str(name)} if name
                                                                                      else {}),
                "uri": value.get("uri"), "homepage": value.get("homepage"), "email": value.get("email"),
                "extras": {}}
    text = cell_text(value) or ""
    if _SLUG.match(text):
        return {"slug": text, "name": {}, "extras": {}}
    return {"slug": None, "name": {"": text}, "extras": {}}


def _contact(value: Any) -> Record:
    if isinstance(value, dict):
        return {k: (cell_text(value.get(k))) for k in ("name", "email", "url", "phone")}
    text = cell_text(value) or ""
    if "@" in text and " " not in text:
        return {"name": None, "email": text.removeprefix("mailto:"), "url": None, "phone": None}
    if text.startswith(("http://", "https://")):
        return {"name": None, "email": None, "url": text, "phone": None}
    if _PHONE.match(text) and sum(c.isdigit() for c in text) >= 5:  # 12345, 0571-87654321, +86 10 6512 3456
        return {"name": None, "email": None, "url": None, "phone": text.removeprefix("tel:")}
    return {"name": text, "email": None, "url": None, "phone": None}


def apply(record: Record, fields: Record, problems: list[tuple[str, Any, str]], *, where: str = "") -> Record:
    """Set `fields` on `record` (they override what it holds) and flag each problem, `where` naming the
    place the value came from (``metadata.csv row 4``)."""
    for key, value in fields.items():
        if key == "extras":
            record.setdefault("extras", {}).setdefault("file_metadata", {}).update(value["file_metadata"])
        else:
            record[key] = value
    for field, value, reason in problems:
        flag(record, field, value, f"{where}: {reason}" if where else reason)
    return record


# --------------------------------------------------------------------------- record -> sheet row


def to_row(record: Record, file: str) -> dict[str, str]:
    """The sheet row (English headers) that gives `record`'s file metadata back through `from_row`."""
    rec = record
    row = {"file": file}
    if rec.get("slug"):
        row["slug"] = rec["slug"]
    texts = {"title": rec.get("title") or {}, "description": rec.get("description") or {}}
    for key, langmap in texts.items():
        if langmap.get(""):
            row[key] = langmap[""]
    if rec.get("license") or rec.get("license_raw"):
        row["licence"] = rec.get("license") or rec["license_raw"]
    for key, field in (("keywords", "keywords"), ("theme", "themes"), ("spatial", "spatial"),
                       ("language", "language")):
        if rec.get(field):
            row[key] = ", ".join(rec[field])
    if rec.get("frequency"):
        row["frequency"] = rec["frequency"]
    temporal = rec.get("temporal") or {}
    if temporal.get("start") or temporal.get("end"):
        row["temporal"] = f"{temporal.get('start') or ''}/{temporal.get('end') or ''}"
    for key in ("modified", "issued"):
        if rec.get(key):
            row[key] = rec[key]
    pub = rec.get("publisher") or {}
    if pub.get("slug") or (pub.get("name") or {}).get(""):
        row["publisher"] = pub.get("slug") or pub["name"][""]
    cp = rec.get("contact_point") or {}
    if cp.get("email") or cp.get("url") or cp.get("phone") or cp.get("name"):
        row["contact_point"] = cp.get("email") or cp.get("url") or cp.get("phone") or cp["name"]
    for header, value in ((rec.get("extras") or {}).get("file_metadata") or {}).items():
        row.setdefault(header, value if isinstance(value, str) else str(value))
    return row


def from_row(row: dict[Any, Any]) -> tuple[str | None, Record, list[tuple[str, Any, str]]]:
    """(the file a sheet row names, its record fields, its problems)."""
    known, _ = canonical(row)
    fields, problems = from_values({h: v for h, v in row.items() if field_for_header(h) != "file"})
    return cell_text(known.get("file")), fields, problems
