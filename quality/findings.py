"""Typed findings: every point a dataset loses is one `Finding` with a stable slug and a fix hint.

Tests, the API and the web pages all speak in slugs, so the slug is the contract and the text
is presentation. The text lives in one table, `FINDING_TYPES`, in English and Chinese, as
templates filled from the finding's evidence. Each rule declares its finding types beside its
check (a `Rule`); `quality.rules.RULES` lists the rules once, and `FINDING_TYPES`, the registry,
is filled from that list.
"""

from __future__ import annotations

import functools
import importlib
import re
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from plumbing.cjk import cjk_spaced

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem found in a dataset or one of its distributions.

    `message` and `fix` are the English texts, already filled with the evidence values;
    `localised(lang)` renders the same finding in another language from the registry.
    """

    type: str
    severity: Severity
    message: str
    fix: str
    distribution: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "distribution": self.distribution,
            "evidence": dict(self.evidence),
        }

    def localised(self, lang: str) -> tuple[str, str]:
        """(message, fix) in `lang` ("en" or "zh"); unknown slugs keep the stored English text."""
        ftype = FINDING_TYPES.get(self.type)
        if ftype is None:
            return self.message, self.fix
        return ftype.message(lang, self.evidence), ftype.fix(lang, self.evidence)


def _notes_where(above, below, lang: str) -> str:
    """Where a table's notes rows are, said of the non-zero counts only: "1 row above the header is a note",
    "表头上方有 1 行、表格下方有 2 行" (never "0 rows below the table")."""
    parts_en, parts_zh = [], []
    if above:
        parts_en.append(_FORMATTER.format("{n:p/row/rows} above the header", n=above))
        parts_zh.append(f"表头上方有 {above} 行")
    if below:
        parts_en.append(_FORMATTER.format("{n:p/row/rows} below the table", n=below))
        parts_zh.append(f"表格下方有 {below} 行")
    if lang == "zh":
        return "、".join(parts_zh)
    single = len(parts_en) == 1 and (above or below) == 1
    return " and ".join(parts_en) + (" is a note" if single else " are notes")


class _Lenient(string.Formatter):
    """Formats a template, leaving a visible "?" for evidence that is missing instead of raising.

    English plurals: `{count:p/row is/rows are}` gives "1 row is" or "3 rows are" (Chinese needs none).

    A finding must never crash the assessment that raises it because one value was absent.
    """

    def get_value(self, key, args, kwargs):
        if isinstance(key, int):
            return args[key] if key < len(args) else "?"
        value = kwargs.get(key)
        return "?" if value is None else value

    def format_field(self, value, format_spec):
        if format_spec.startswith("p/"):  # "{count:p/row is/rows are}": "1 row is", "3 rows are"
            one, _, many = format_spec[2:].partition("/")
            try:
                single = float(str(value).replace(",", "")) == 1  # an int, or a number already written out
            except ValueError:
                single = False
            return f"{value} {one if single else many or one}"
        try:
            return super().format_field(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


_FORMATTER = _Lenient()


def _fill(template: str, evidence: dict[str, Any]) -> str:
    """`template` filled from `evidence`, without the spaces that would stand between Chinese text and a value made
    of Chinese words (plumbing.cjk, the translations' rule too): "声明的更新频率为 {frequency}（" said of 每月."""
    return _FORMATTER.vformat(cjk_spaced(template, evidence), (), evidence)


def worded(evidence: dict[str, Any], lang: str) -> dict[str, Any]:
    """Evidence whose values are vocabulary codes said in words: an EU frequency code (ANNUAL) as its label in
    `lang` (每年, annual). A finding's text in every door (the CLI printed "on a ANNUAL schedule"); a value that is
    no code (the pages' own words already) stays as it is."""
    if "http_status" in evidence and isinstance(evidence.get("problem"), str):  # a download's (link-broken)
        evidence = {**evidence, "problem": download_problem(evidence["problem"], evidence.get("http_status"), lang)}
    if isinstance(evidence.get("violations"), list) and "broken" not in evidence:  # dcat-ap-violation's constraints
        evidence = {**evidence, "broken": dcat_words(evidence["violations"], evidence.get("count"), lang)}
    if isinstance(evidence.get("error"), str) and "error_words" not in evidence:  # why a table could not be read
        evidence = {**evidence, "error_words": table_problem(evidence["error"], lang)}
    if "problem" in evidence and "problem_zh" not in evidence:  # a parser's problem (not-parseable) in Chinese
        evidence = {**evidence, "problem_zh": parse_problem_zh(evidence["problem"], evidence.get("format"))}
    # the metadata points a finding also wins back when it was told once for the stars and the metadata table
    # (a missing licence: `lost` set by quality.assess); "" when none are at stake
    lost = evidence.get("lost") if evidence.get("indicator") else None
    evidence = {**evidence, "and_points": "" if not lost else
                (f"（及元数据 {lost} 分）" if lang == "zh" else f" (and {lost} metadata points)")}
    lists = {key: _column_list(evidence[key], lang) for key in COLUMN_LISTS if isinstance(evidence.get(key), list)}
    if lists:  # columns listed by name, or by position where the name is personal data (`column_ref`)
        evidence = {**evidence, **lists}
    if ("column" in evidence or "column_position" in evidence or "part" in evidence) and "located" not in evidence:
        evidence = {**evidence, **_located(evidence, lang)}  # where personal data was found
    if isinstance(evidence.get("unread"), str) and "why" not in evidence:  # pdf-not-read: why, in words
        words = _PDF_UNREAD.get(evidence["unread"], _PDF_UNREAD["damaged"])
        evidence = {**evidence, "why": words[1 if lang == "zh" else 0]}
    if "rows_above" in evidence and "notes_where" not in evidence:  # notes-rows: only the counts that are not 0
        evidence = {**evidence, "notes_where": _notes_where(evidence.get("above"), evidence.get("below"), lang)}
    if "licence" in evidence and "known" in evidence:  # licence-not-open: known and closed, or not recognised at all
        evidence = {**evidence, **_licence_words(evidence, lang)}
    if "age_days" in evidence:  # a stale finding's age counted from the modification or the publication date
        words = _DATED.get(str(evidence.get("dated") or "modified"), _DATED["modified"])
        evidence = {**evidence, "dated": words[1] if lang == "zh" else words[0]}
        age = evidence.get("age_days")
        if isinstance(age, (int, float)) and not isinstance(age, bool):  # whole days ("690.27 days ago" read as noise)
            evidence["age_days"] = f"{round(age):,}"
        late = evidence.get("periods_late")
        if isinstance(late, (int, float)) and not isinstance(late, bool):  # "33.71 periods late": 33.7
            evidence["periods_late"] = f"{late:,.1f}".removesuffix(".0")
    if "sniffed" in evidence and "archive" not in evidence and archive_of(evidence):  # a format-mismatch kept before
        evidence = {**evidence, **archive_of(evidence)}  # `archive` and `holds` were recorded: read from `sniffed`
    words = {key: format_label(evidence[key], lang) for key in FORMAT_KEYS if isinstance(evidence.get(key), str)}
    if words:  # a format's code (GEOJSON, RDF_XML) as people name it (GeoJSON, RDF/XML); the evidence keeps the code
        evidence = {**evidence, **words}
    code = evidence.get("frequency")
    if not isinstance(code, str):
        return evidence
    from catalog_schema import vocab

    freq = vocab.FREQUENCIES.get(code.upper())
    if freq is None:
        return evidence
    return {**evidence, "frequency": freq.label_zh if lang == "zh" else freq.label_en}


#: What went wrong with a download, in plain words (English, Chinese), by what the link checker's error says
#: (plumbing/http.py): the error itself names the host, the URL and the attempts, and was shown whole, in
#: English, in the Chinese finding and star reason ("无法下载文件（127.0.0.1:5001 is skipped for the rest of this
#: run: it failed 3 times in a row (last: could not connect ...)）"). The evidence keeps it. First match wins.
_DOWNLOAD_PROBLEMS = tuple((re.compile(pattern, re.I), words) for pattern, words in (
    (r"^not checked yet$", ("the link has not been checked yet", "链接尚未检查")),  # quality.assess: no check at all
    (r"^archive not writable|^could not store the file",  # quality.fetch: our side, not the publisher's
     ("the portal could not store the file, a problem on its side", "门户无法保存该文件，属于门户一方的问题")),
    (r"refused to fetch|does not fetch from", ("the address is on a network the portal does not fetch from",
                                               "该地址位于门户不访问的网络中")),
    (r"could not be found|name or service not known|getaddrinfo|nodename|\bdns\b",
     ("the server's name could not be found", "找不到服务器的域名")),
    (r"timed? ?out|did not (?:accept|answer)|longer than|stopped sending",
     ("the server did not answer in time", "服务器未及时响应")),
    (r"refused", ("the server refused the connection", "服务器拒绝连接")),
    (r"certificate|\btls\b|\bssl\b|secure connection",
     ("the server's certificate was not accepted", "服务器的证书未被接受")),
    (r"larger than|more than the|too large", ("the file is larger than the download limit", "文件超过了下载大小限制")),
    (r"redirect", ("the address redirects in a loop, or to an address that cannot be followed",
                   "该地址循环重定向，或重定向到无法访问的地址")),
    (r"not a usable|no http\(s\) URL|not a URL|names no host|only http and https|not a web address",
     ("the address is not a web address (http or https)", "该地址不是网址（http 或 https）")),
    (r"broke|announced", ("the connection broke before the whole file arrived", "文件尚未传完连接就中断了")),
))


def download_problem(problem: str | None, status: Any = None, lang: str = "en") -> str:
    """A download's problem (a link-broken finding's evidence, a star reason) in plain words in `lang`; an HTTP
    status stays a number."""
    zh = lang == "zh"
    for words in (*(w for _p, w in _DOWNLOAD_PROBLEMS), _DOWNLOAD_FAILED):  # words already (a door said them)
        if problem in words:
            return words[1 if zh else 0]
    found = re.search(r"\bHTTP (\d{3})\b", problem or "")
    code = status if isinstance(status, int) and not isinstance(status, bool) and status >= 400 else (
        found.group(1) if found else None)
    if code is not None:
        return f"服务器返回 HTTP {code}" if zh else f"the server answered HTTP {code}"
    for pattern, words in _DOWNLOAD_PROBLEMS:
        if pattern.search(problem or ""):
            return words[1 if zh else 0]
    return _DOWNLOAD_FAILED[1 if zh else 0]


_DOWNLOAD_FAILED = ("the download failed", "下载失败")


#: Why a table could not be read, in plain words (English, Chinese), by what the reader's error says
#: (quality/tabular: "TableError: The JSON is not an array of objects or arrays."), which the finding showed whole,
#: in English, in Chinese too. The evidence keeps it. First match wins.
_TABLE_PROBLEMS = tuple((re.compile(pattern, re.I), words) for pattern, words in (
    (r"encrypted", ("the workbook is encrypted (password-protected).", "工作簿已加密（设有密码）。")),
    (r"zip bomb", ("the ZIP archive expands to an unsafe size.", "压缩包解压后大小异常。")),
    (r"holds no table", ("the ZIP archive holds no table.", "压缩包中没有表格。")),
    (r"entit", ("it declares XML entities or external resources, which are refused.",
                "文件声明了 XML 实体或外部资源，已被拒绝。")),
    (r"is empty|has no data|no rows could be read|has no records|no features",
     ("it holds no rows.", "文件中没有数据行。")),
    (r"first line is longer than", ("its first line, the header, is longer than the 4 MB a header may be.",
                                    "其第一行（表头）超过了表头所允许的 4 MB。")),
    (r"UTF-16|UTF-32", ("its text encoding (UTF-16 or UTF-32) could not be read as a table.",
                        "其文本编码（UTF-16 或 UTF-32）无法按表格读取。")),
    (r"not an array|mixes records|nested too deeply|no records to read",
     ("its rows and columns are not laid out as one table.", "其行和列未按单个表格排列。")),
))
_TABLE_FAILED = ("the file is damaged, or its rows and columns are not laid out as one table.",
                 "文件已损坏，或其行和列未按单个表格排列。")


def table_problem(error: str | None, lang: str = "en") -> str:
    """Why a table could not be read (a table-unreadable finding's evidence `error`) in plain words in `lang`."""
    zh = lang == "zh"
    for words in (*(w for _p, w in _TABLE_PROBLEMS), _TABLE_FAILED):  # words already (a door said them)
        if error in words:
            return words[1 if zh else 0]
    for pattern, words in _TABLE_PROBLEMS:
        if pattern.search(error or ""):
            return words[1 if zh else 0]
    return _TABLE_FAILED[1 if zh else 0]


#: What a DCAT-AP 3 constraint the record breaks asks for (catalog_schema.dcat.shacl_violations_fast: its `path` and
#: English `message`), in words (English, Chinese); {n} is the file's position. The finding said "breaks 1 DCAT-AP 3
#: constraint" and its fix "the properties listed in the evidence", which no page showed: the 30 points it costs
#: were not explained. First match wins.
_DCAT_WORDS = tuple((re.compile(pattern), words) for pattern, words in (
    (r"^dct:title$", ("no title", "缺少标题")),
    (r"^dct:description$", ("no description", "缺少描述")),
    (r"^dct:publisher/", ("the publisher has no name", "发布部门没有名称")),
    (r"^dct:creator/", ("the creator has no name", "创建者没有名称")),
    (r"/dcat:accessURL$", ("file {n} has no access URL", "第 {n} 个资源没有访问链接")),
    (r"/dcat:byteSize$", ("the size of file {n} is not a whole number of bytes",
                          "第 {n} 个资源的文件大小不是非负整数")),
    (r"/spdx:algorithm$", ("the checksum of file {n} names no algorithm", "第 {n} 个资源的校验和未注明算法")),
    (r"/spdx:checksumValue$", ("the checksum of file {n} is missing or not hexadecimal",
                               "第 {n} 个资源的校验和缺失或不是十六进制")),
))


def dcat_words(violations: list[Any], count: Any, lang: str = "en") -> str:
    """The DCAT-AP 3 constraints a record breaks (a dcat-ap-violation finding's evidence, the first ten of `count`)
    as a list in words in `lang`; a constraint no pattern knows is named by its property path."""
    zh = lang == "zh"
    said = []
    for broken in violations:
        path = str((broken or {}).get("path") or "") if isinstance(broken, dict) else str(broken)
        found = re.search(r"\[(\d+)\]", path)
        n = int(found.group(1)) + 1 if found else "?"
        words = next((w[1 if zh else 0] for pattern, w in _DCAT_WORDS if pattern.search(path)), path).format(n=n)
        if words and words not in said:
            said.append(words)
    more = count - len(violations) if isinstance(count, int) and count > len(violations) else 0
    if more:
        said.append(f"另有 {more} 条" if zh else f"{more} more")
    return ("、" if zh else "; ").join(said)


#: A parser's problem (not-parseable's evidence `problem`: Python's JSON parser's words, ours, rdflib's) in Chinese.
#: The Chinese finding read the parser's English as it was ("文件无法按 JSON 格式解析（第 1 行第 6 列）：Expecting
#: value。"); the English keeps it. A problem no pattern knows is a syntax error at the position the finding gives.
_PARSE_PROBLEMS_ZH = tuple((re.compile(pattern, re.I), words) for pattern, words in (
    (r"^the document ends early", "文件提前结束，内容不完整"),
    (r"^nested more than (\d+) levels", "嵌套超过 {0} 层，超出解析器的处理能力"),
    (r"^the text is not valid (\S+)", "文本不是有效的 {0} 编码"),
    (r"Expecting property name", "此处应为用双引号括起的属性名"),
    (r"Expecting ',' delimiter", "此处缺少逗号分隔符"),
    (r"Expecting ':' delimiter", "此处缺少冒号分隔符"),
    (r"Expecting value", "此处应为一个值"),
    (r"Unterminated string", "字符串缺少结束引号"),
    (r"Invalid control character", "字符串中有无效的控制字符"),
    (r"Invalid .*escape", "无效的转义序列"),
    (r"Extra data", "完整内容之后还有多余的数据"),
    (r"entit", "文件声明了实体（ENTITY），出于安全原因拒绝展开"),
))


def parse_problem_zh(problem: Any, fmt: Any = None) -> str:
    """A parser's problem in Chinese (`_PARSE_PROBLEMS_ZH`); Chinese already as it is."""
    text = str(problem or "")
    if not re.search(r"[A-Za-z]{3,}", text):
        return text
    for pattern, words in _PARSE_PROBLEMS_ZH:
        found = pattern.search(text)
        if found:
            return words.format(*found.groups())
    return f"不符合 {format_label(str(fmt))} 语法" if fmt else "语法错误"


#: Evidence keys that hold a file format's vocabulary code (catalog_schema/vocab.py), said by its label in texts
#: (format-mismatch's `archive` and `holds`: the archive a file is and the format of what it holds).
FORMAT_KEYS = ("format", "sniffed", "declared", "archive", "holds")
UNRECOGNISED = "an unrecognised file"  # how bytes no format was recognised in are said (format_mismatch.unknown_label)
NOT_EXAMINED = "a file not yet examined"  # a downloaded file not sniffed yet (quality.openness, not-machine-readable)


def unrecognised(key: str) -> Callable[[dict[str, Any]], bool]:
    """A `Variant`'s case: the finding is of a file no format was recognised in (evidence `recognised` False; for a
    finding kept before `recognised` was recorded, its `key`, a format's label, says so)."""

    def case(evidence: dict[str, Any]) -> bool:
        if isinstance(evidence.get("recognised"), bool):
            return not evidence["recognised"]
        return UNRECOGNISED in str(evidence.get(key) or "")

    return case


def archive_of(evidence: dict[str, Any]) -> dict[str, str]:
    """{"archive": the archive's format code, "holds": what it holds} of format-mismatch's evidence when the file is
    an archive of another format ("ZIP of XLSX", which is no format a publisher can declare: ZIP is); {} when not.
    A finding kept before `archive` was recorded says it in `sniffed`."""
    if isinstance(evidence.get("archive"), str) and evidence["archive"]:
        return {"archive": evidence["archive"], "holds": str(evidence.get("holds") or "")}
    parts = _archive_and_member(str(evidence.get("sniffed") or ""))
    return {"archive": parts[0], "holds": parts[1]} if parts else {}


#: The archives whose member the sniffer names (quality/sniff/archive.py): what "ZIP of XLSX" can be said of.
ARCHIVES = frozenset({"ZIP", "GZIP"})


def _archive_and_member(value: str) -> tuple[str, str] | None:
    """("ZIP", "XLSX") of "ZIP of XLSX", how format-mismatch says an archive's member; None of any other text (a
    format's code, a publisher's own words that hold " of ")."""
    outer, of, inner = value.partition(" of ")
    return (outer, inner) if of and outer in ARCHIVES else None


def format_label(value: str, lang: str = "en") -> str:
    """A format code's label (GEOJSON -> GeoJSON, RDF_XML -> RDF/XML, XLSX -> Excel XLSX); other text as it is,
    but for bytes no format was recognised in, said in Chinese in Chinese ("an unrecognised file (7z)" is
    未知类型的文件（7z）, as the pages say it: app/web/check_view.py)."""
    from catalog_schema import vocab

    if lang == "zh" and value.startswith(UNRECOGNISED):
        kind = value[len(UNRECOGNISED):].strip().removeprefix("(").removesuffix(")")
        return f"未知类型的文件（{kind}）" if kind else "未知类型的文件"
    if lang == "zh" and value == NOT_EXAMINED:
        return "尚未检查的文件"
    parts = _archive_and_member(value)  # an archive's member (format-mismatch): "ZIP of XLSX"
    if parts and lang == "zh":
        inner = format_label(parts[1], lang)
        space = "" if inner[:1] >= "\u2e80" else " "  # none beside Chinese words (未知类型的文件), one beside CSV
        return f"{format_label(parts[0], lang)} 压缩包中的{space}{inner}"
    if parts:  # "but the file is ZIP of XLSX" read as a format's name: it is what the archive holds
        return f"{format_label(parts[1], lang)} in a {format_label(parts[0], lang)} archive"
    found = vocab.format_by_code(value) if value.isupper() or "_" in value else None
    return found.label if found is not None else value


def _licence_words(evidence: dict[str, Any], lang: str) -> dict[str, str]:
    """A licence the vocabulary knows to be closed "is not an open licence"; one it does not know at all (a
    publisher's own, often in Chinese) cannot be said to be closed: it is not recognised, so not counted as open,
    and if it is open the portal's administrators can map it to the licence it is (app/services/licences.py)."""
    if evidence.get("known") is not False:
        return {"not_open": "不是开放许可协议" if lang == "zh" else "is not an open licence", "or_map": ""}
    licence = evidence.get("licence") or "?"
    if lang == "zh":
        return {"not_open": "无法识别，因此不能算作开放许可协议",
                "or_map": f"；如果“{licence}”本身是开放许可协议，请门户管理员将它映射到对应的已知许可协议"}
    return {"not_open": "is not one the catalog recognises, so it is not counted as an open licence",
            "or_map": f"; if {licence} is an open licence, ask the portal's administrators to map it to the "
                      "licence it is"}


#: Where personal data was found (quality.rules.pii, quality.rules.pii_file), by what the evidence names: a column of
#: the table, else a part of the file beyond it (`within`: a sheet, a ZIP member, the file itself). (English, Chinese)
#: In Chinese a part named by its name is quoted (工作表“名单”), as a column is (`column_named`).
_PLACES = {"sheet": ("Sheet {part}", "工作表“{part}”"), "member": ("ZIP member {part}", "压缩包成员“{part}”"),
           "file": ("The file", "该文件")}
#: The fix's second sentence for personal data beyond the table: where to look, since the table the check shows and
#: the file's conversions do not hold it; "around" when it is in the table's own sheet, member or text (notes rows).
#: (English, Chinese)
_PART_FIXES = {
    "sheet": (" They are in sheet {part} of the workbook, outside the table the check reads: delete that sheet, or "
              "the cells that hold them, before publishing the file.",
              "这些信息位于工作簿的工作表“{part}”中，在所检查的表格之外：发布前删除该工作表或含有这些信息的单元格。"),
    "member": (" They are in {part} inside the ZIP, outside the table the check reads: remove that file from the "
               "archive, or the data from it.",
               "这些信息位于压缩包内的“{part}”中，在所检查的表格之外：从压缩包中删除该文件，或删除其中的这些信息。"),
    "around": (" They are around the table the check reads (notes rows above or below it, or other text): remove "
               "them from the file, keeping only the header and the data.",
               "这些信息位于所检查的表格周围（表格上方或下方的说明行或其他文字）：从文件中删除它们，只保留表头和数据。"),
}
#: A column's name that is personal data itself (evidence ``header_row``: quality.rules.pii): where it is, and the fix's
#: second sentence. (English, Chinese)
_HEADER_ROW = ((" (in the header row)", "（位于表头行）"),
               (" The file seems to have no header row: its first row, read as the column names, holds personal data. "
                "Add a header row above it, or remove the row.",
                "该文件似乎没有表头行：其第一行被读作列名，而其中含有个人信息。请在其上方添加表头行，或删除该行。"))


def _located(evidence: dict[str, Any], lang: str) -> dict[str, str]:
    """`located`, `outside` and `also` of a personal-data finding: "Column 身份证号" ("Column 3" for one named by
    personal data: `column_ref`), or "Sheet 名单" / "ZIP member b.csv" / "The file" with " outside the table" and a
    fix sentence saying where to look. In Chinese a name is quoted: 列“身份证号”, 工作表“名单”, 压缩包成员“b.csv”."""
    zh = lang == "zh"
    if "part" not in evidence:
        if "column" not in evidence and isinstance(evidence.get("column_position"), int):
            located = column_words(evidence["column_position"], lang, start=True)
        else:
            located = column_named(evidence.get("column"), lang, start=True)
        if evidence.get("header_row"):  # the column's name, read from a file's first row of data
            where, fix = (words[1 if zh else 0] for words in _HEADER_ROW)
            return {"located": f"{located}的列名" if zh else f"The name of {located[0].lower()}{located[1:]}",
                    "outside": where, "also": fix}
        return {"located": located, "outside": "", "also": ""}
    within = evidence.get("within") if evidence.get("within") in _PLACES else "file"
    part = evidence.get("part")
    beside = bool(evidence.get("beside_table"))
    located = _PLACES[within][1 if zh else 0].format(part=part)
    pages = page_words(evidence.get("pages"), lang, more=bool(evidence.get("more_pages")))
    if pages:  # a PDF's pages (quality.tabular.whole `_pdf`): "The file (pages 2, 5–7)", "该文件（第 2、5–7 页）"
        located += f"（{pages}）" if zh else f" ({pages})"
    outside = ("（在所检查的表格之外）" if zh else " outside the table") if beside else ""
    fix = "around" if evidence.get("table_part") or within == "file" else within
    also = _PART_FIXES[fix][1 if zh else 0].format(part=part) if beside else ""
    return {"located": located, "outside": outside, "also": also}


def page_words(ranges: Any, lang: str, *, more: bool = False) -> str:
    """Pages of a PDF (``[[first, last], ...]``, quality.tabular.whole `_ranges`) in words: "page 2", "pages 2, 5–7"
    ("第 2 页", "第 2、5–7 页"), "and more" (等) after them when `more`; "" for none or evidence of another shape."""
    if not isinstance(ranges, list):
        return ""
    said, count = [], 0
    for pair in ranges:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(n, int) for n in pair)):
            return ""
        said.append(str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}–{pair[1]}")
        count += pair[1] - pair[0] + 1
    if not said:
        return ""
    if lang == "zh":
        return f"第 {'、'.join(said)} 页" + ("等" if more else "")
    return ("page " if count == 1 and not more else "pages ") + ", ".join(said) + (" and more" if more else "")


#: Why a PDF was not read for personal data (evidence ``unread``: quality.tabular.whole PDF_ENCRYPTED, PDF_DAMAGED,
#: PDF_BOUND), in words. (English, Chinese)
_PDF_UNREAD = {
    "encrypted": ("it is encrypted, and opens only with a password", "文件已加密，需要密码才能打开"),
    "damaged": ("it is damaged, or not a PDF the check can parse", "文件已损坏，或无法解析"),
    "bound": ("reading it went past the check's bounds on pages, text or time",
              "读取超出了检查对页数、文字量或时间的限制"),
}


#: What a finding says in place of a column's name that is personal data when its position is not known.
REDACTED = "[redacted]"


def column_ref(profile: Any, name: str) -> str | int:
    """A column of a table profile as a finding's evidence names it: its name, or its position (1-based) when the name
    is personal data itself (``quality.pii.is_personal``: a file without a header row has its first row of data read
    as its names, and a finding said "Column 370281198001052005 holds 11 valid resident identity numbers" wherever
    findings are shown). `REDACTED` for such a name the profile does not list."""
    from quality.pii import is_personal  # pyarrow: not for the registry's first import

    if not is_personal(name) and not headerless(profile):
        return name
    names = _column_names(profile)
    return names.index(name) + 1 if name in names else REDACTED


def headerless(profile: Any) -> bool:
    """Whether the names of `profile`'s table are a first row of data (a file without a header row): one of them is
    personal data itself. Every name is then a citizen's cell (a person's name beside the ID number, which no
    detector tells from a word), and `column_ref` says each by its position."""
    return _personal_row(tuple(_column_names(profile)))


@functools.lru_cache(maxsize=1024)
def _personal_row(names: tuple[str, ...]) -> bool:
    from quality.pii import first_row_of_data  # pyarrow: not for the registry's first import

    return first_row_of_data(names)


def _column_names(profile: Any) -> list[str]:
    """The names `column_ref` finds a column's position among: the profile's field names, else its header."""
    return list(getattr(profile, "inferred_types", None) or {}) or list(getattr(profile, "header", None) or [])


_SAID_KEY = re.compile(r"#\d+|" + re.escape(REDACTED) + r"(?: \d+)?")


def column_key(profile: Any, name: str) -> str:
    """`column_ref` as the key of a per-column count in evidence (``by_column``): a position is ``#3``. A key said so
    already (``#3``, ``[redacted]``) stays as it is (every name of a headerless table is said by position, and ``#3``
    is no name of it)."""
    if _SAID_KEY.fullmatch(name):
        return name
    ref = column_ref(profile, name)
    return f"#{ref}" if isinstance(ref, int) else ref


def keyed_by_position(columns: dict[str, Any] | None, profile: Any) -> dict[str, Any] | None:
    """A mapping keyed by a table's column names (a copy's personal data per column, a data dictionary's edits) as it
    is kept where the names are not needed: a column whose name is personal data itself (a file without a header row:
    a citizen's ID number read as a name) by its position, ``#3`` (`column_key`; ``[redacted]`` when `profile` does not
    list it, then ``[redacted] 2`` ...). A key already said so stays as it is. A version's counts per column
    (app.assessment) and the audit log's dictionary edits (app.services.distributions) are written so, and
    `opendata pii scrub` rewrites what was kept by name before (app.services.scrub)."""
    if not columns:
        return columns
    out: dict[str, Any] = {}
    for name, value in columns.items():
        key = column_key(profile, name)
        if key in out:  # two names the profile does not list, each [redacted]
            key = f"{key} {sum(1 for k in out if k.startswith(key)) + 1}"
        out[key] = value
    return out



def said_by_position(finding: dict[str, Any], profile: Any) -> tuple[dict[str, Any], list[str | int]]:
    """A finding kept as a dict (`Finding.to_dict`) before the rules said a column whose name is personal data by its
    position, as they say it now of the table `profile` (what `column_ref` reads: its column names; None when the
    table is not known): `column` as `column_position` (the pii rule), each such name in `columns` (type-error) and
    `labels` (duplicate-header: the positions of the columns the label names; both a text joined by ", " in older
    findings) by its position, `by_column`'s keys as `keyed_by_position` keys them, and `REDACTED` for a name
    `profile` does not list; its English message and fix made again from that evidence (a type the rules no longer
    have keeps its own, `REDACTED` if personal). The finding and how each personal name is said now (a position, or
    `REDACTED`); a finding that names no column by personal data, as every finding the rules make now, is returned
    as it is (the same object), so what this made is left as it is the next time (`opendata pii scrub`,
    app.services.scrub, rewrites the stored findings with it)."""
    from quality.pii import is_personal  # pyarrow: not for the registry's first import

    evidence = finding.get("evidence")
    if not isinstance(evidence, dict):
        return finding, []
    out = dict(evidence)
    said: list[str | int] = []
    column = evidence.get("column")
    if isinstance(column, str) and is_personal(column):
        ref = column_ref(profile, column)
        said.append(ref)
        del out["column"]
        out["column_position" if isinstance(ref, int) else "column"] = ref
    for key in COLUMN_LISTS:
        value = evidence.get(key)
        items = value.split(", ") if isinstance(value, str) else value if isinstance(value, list) else []
        if not any(isinstance(item, str) and is_personal(item) for item in items):
            continue
        refs: list[Any] = []
        for item in items:
            if not (isinstance(item, str) and is_personal(item)):
                refs.append(item)
                continue
            found = _label_refs(profile, item) if key == "labels" else [column_ref(profile, item)]
            said += found
            refs += found
        out[key] = refs
    counts = evidence.get("by_column")
    if isinstance(counts, dict) and any(isinstance(k, str) and is_personal(k) for k in counts):
        said += [column_ref(profile, k) for k in counts if isinstance(k, str) and is_personal(k)]
        out["by_column"] = keyed_by_position(counts, profile)
    if not said:
        return finding, []
    ftype = FINDING_TYPES[finding["type"]] if finding.get("type") in FINDING_TYPES else None
    if ftype is not None:
        message, fix = english_texts(ftype, out)
    else:
        message, fix = (REDACTED if is_personal(finding.get(k)) else finding.get(k) for k in ("message", "fix"))
    return {**finding, "evidence": out, "message": message, "fix": fix}, said


def _label_refs(profile: Any, label: str) -> list[str | int]:
    """A repeated label that is personal data as duplicate-header lists it: the positions of the columns it names (a
    reader names the second ``label2``, quality.pii.name_readings), or `REDACTED` when `profile` names none."""
    from quality.pii import name_readings  # pyarrow: not for the registry's first import

    found = [i + 1 for i, name in enumerate(_column_names(profile)) if label in name_readings(name)]
    return found or [REDACTED]


def column_words(position: int, lang: str, *, start: bool = False) -> str:
    """A column said by its position: "column 3" ("Column 3" to `start` a sentence), "第 3 列"."""
    if lang == "zh":
        return f"第 {position} 列"
    return f"{'Column' if start else 'column'} {position}"


def column_named(name: Any, lang: str, *, start: bool = False) -> str:
    """A column said by its name: "column amount" ("Column amount" to `start` a sentence), 列“金额”: in Chinese the
    quotes set the name apart from the words around it, whatever its script, and no space stands beside them."""
    if lang == "zh":
        return f"列“{name}”"
    return f"{'Column' if start else 'column'} {name}"


def _column_list(refs: list[Any], lang: str) -> str:
    """Columns of a finding's evidence (`column_ref`s: names, or positions said as `column_words`) as a list; in
    Chinese each name quoted (“金额”、第 5 列), as `column_named` quotes it."""
    zh = lang == "zh"
    said = [column_words(r, lang) if isinstance(r, int) and not isinstance(r, bool) else f"“{r}”" if zh else str(r)
            for r in refs]
    return ("、" if zh else ", ").join(said)


#: Evidence keys that list columns (type-error's `columns`, duplicate-header's `labels`): a list of `column_ref`s in a
#: finding made since columns named by personal data are said by position; a text already in older ones.
COLUMN_LISTS = ("columns", "labels")


#: The date a stale finding's age is counted from, in words (evidence `dated`): a dataset with no modification date
#: is judged on its publication date, and "Last modified 9,835 days ago" stood beside "No modification date".
_DATED = {"modified": ("Last modified", "最近一次更新在"),
          "issued": ("Published (no change recorded since)", "发布（此后没有更新记录）在")}


@dataclass(frozen=True)
class Variant:
    """Other texts of a finding type, for the findings whose evidence `when` holds: one fix sentence cannot read
    right of every case its evidence may be ("Correct the declared format to an unrecognised file (7z)", "Fix the
    link so that (no URL) downloads the file"). The slug stays the type's (the API's contract); `case` says in
    English when the variant is used (docs/quality.md); an empty message keeps the type's."""

    case: str
    when: Callable[[dict[str, Any]], bool]
    fix_en: str
    fix_zh: str
    message_en: str = ""
    message_zh: str = ""


@dataclass(frozen=True)
class FindingType:
    """The registry row of one finding slug: severity, titles, message and fix templates.

    `message_*` and `fix_*` are `str.format` templates over the finding's evidence keys.
    When no message template is given the title is the message. `weight` is the share of the
    score this rule may cost, for rules that feed the overall score (None when it does not).
    `variants` replace the fix (and the message, when they give one) of the findings whose evidence
    they are for; the first that holds is used, else the type's own.
    """

    slug: str
    severity: Severity
    title_en: str
    title_zh: str
    fix_en: str
    fix_zh: str
    weight: float | None = None
    message_en: str = ""
    message_zh: str = ""
    variants: tuple[Variant, ...] = ()

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"finding type {self.slug!r}: unknown severity {self.severity!r}")

    def variant(self, evidence: dict[str, Any]) -> Variant | None:
        """The variant whose case `evidence` is, or None (the type's own texts)."""
        for variant in self.variants:
            try:
                if variant.when(evidence):
                    return variant
            except Exception:  # evidence of an unexpected shape: the type's own texts, never a crash
                continue
        return None

    def message(self, lang: str, evidence: dict[str, Any]) -> str:
        variant = self.variant(evidence)
        if lang == "zh":
            template = (variant and variant.message_zh) or self.message_zh or self.title_zh
        else:
            template = (variant and variant.message_en) or self.message_en or self.title_en
        return _fill(template, worded(evidence, lang))

    def fix(self, lang: str, evidence: dict[str, Any]) -> str:
        variant = self.variant(evidence) or self
        return _fill(variant.fix_zh if lang == "zh" else variant.fix_en, worded(evidence, lang))

    def templates(self) -> tuple[str, ...]:
        """Every message and fix template of the type, its variants' too (what a page fills values into)."""
        out = [self.message_en, self.message_zh, self.fix_en, self.fix_zh]
        for variant in self.variants:
            out += [variant.message_en, variant.message_zh, variant.fix_en, variant.fix_zh]
        return tuple(text for text in out if text)

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


@dataclass(frozen=True)
class Rule:
    """One quality rule: what it checks, the finding types it raises and what it weighs, declared together.

    `part` names the part of the overall score the rule feeds ("openness", "metadata", "data",
    "timeliness", "accessibility"; "" for rules that only report). The rule that measures a part
    carries the part's `weight` (its share of the score) and `measure` (how, for the docs).
    `check` is the rule's function; what it takes depends on `subject`: "distribution" (stars
    evidence), "table" (a table profile and a distribution key), "record", "catalog" or "score".
    """

    name: str
    types: tuple[FindingType, ...] = ()
    subject: str = "distribution"
    part: str = ""
    weight: int | None = None
    measure: str = ""
    check: Callable[..., Any] | None = None


class Registry(Mapping[str, FindingType]):
    """Every finding type by slug, filled from the rules listed in `quality.rules.RULES`.

    The rule modules are imported on the first look-up, so the table is complete whoever asks
    first and whatever was imported before; a slug registered twice raises ValueError.
    """

    def __init__(self) -> None:
        self._types: dict[str, FindingType] = {}
        self._rules: dict[str, Rule] = {}
        self._loaded = False
        self._loading = False

    def register(self, ftype: FindingType) -> FindingType:
        if ftype.slug in self._types:
            raise ValueError(f"finding type {ftype.slug!r} is already registered")
        self._types[ftype.slug] = ftype
        return ftype

    def add_rule(self, rule: Rule) -> Rule:
        if rule.name in self._rules:
            raise ValueError(f"rule {rule.name!r} is already registered")
        for ftype in rule.types:
            self.register(ftype)
        self._rules[rule.name] = rule
        return rule

    def load(self) -> None:
        if self._loaded or self._loading:
            return
        self._loading = True
        before = (dict(self._types), dict(self._rules))
        try:
            from quality.rules import RULES

            for name in RULES:
                module = importlib.import_module(name)
                self.add_rule(module.RULE)
            self._loaded = True
        except BaseException:
            self._types, self._rules = before  # a rule that fails to load leaves the registry as it was
            raise
        finally:
            self._loading = False

    def rules(self, subject: str | None = None) -> list[Rule]:
        """The rules in the order `quality.rules.RULES` lists them (of one `subject` if given)."""
        self.load()
        return [r for r in self._rules.values() if subject is None or r.subject == subject]

    def rule(self, name: str) -> Rule:
        self.load()
        return self._rules[name]

    def __getitem__(self, slug: str) -> FindingType:
        if slug not in self._types:
            self.load()
        return self._types[slug]

    def __iter__(self) -> Iterator[str]:
        self.load()
        return iter(self._types)

    def __len__(self) -> int:
        self.load()
        return len(self._types)

    def __contains__(self, slug: object) -> bool:
        if slug not in self._types:
            self.load()
        return slug in self._types


FINDING_TYPES = Registry()


def register(ftype: FindingType) -> FindingType:
    """Add a finding type outside a rule (tests); a slug may be registered once."""
    return FINDING_TYPES.register(ftype)


def make_finding(slug: str, *, distribution: str | None = None, **evidence: Any) -> Finding:
    """A Finding of a registered type, its English message and fix filled from `evidence`.

    An unknown slug raises KeyError: a typo in a rule must fail loudly, not invent a type.
    """
    ftype = FINDING_TYPES[slug]
    message, fix = english_texts(ftype, evidence)
    return Finding(
        type=slug,
        severity=ftype.severity,
        message=message,
        fix=fix,
        distribution=distribution,
        evidence=dict(evidence),
    )


_ENGLISH_TEXTS: dict[tuple, tuple[FindingType, str, str]] = {}


def english_texts(ftype: FindingType, evidence: dict[str, Any]) -> tuple[str, str]:
    """The English message and fix of a finding, formatted once per type and evidence: a re-assessment raises
    the same findings with the same evidence for most datasets (a missing licence, a file of one star, data
    not updated since a date), and formatting them was a tenth of assessing an unchanged dataset. Evidence of
    scalars only is kept (each value with its type: 1, 1.0 and True format differently), up to 10,000."""
    try:
        key = (ftype.slug, *((k, type(v), v) for k, v in sorted(evidence.items())))
        hit = _ENGLISH_TEXTS.get(key)
    except TypeError:  # a list or a dict in the evidence: formatted each time
        return ftype.message("en", evidence), ftype.fix("en", evidence)
    if hit is not None and hit[0] is ftype:
        return hit[1], hit[2]
    message, fix = ftype.message("en", evidence), ftype.fix("en", evidence)
    if len(_ENGLISH_TEXTS) < 10_000:
        _ENGLISH_TEXTS[key] = (ftype, message, fix)
    return message, fix
