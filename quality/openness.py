"""Five-star openness (docs/quality.md), decided from evidence about a distribution, never from its claims.

The stars rest on what was observed: the link check (could the file be downloaded), the
licence's Open Definition conformance, the format sniffed from the bytes (an XLSX declared
as CSV earns two stars, not three), and for RDF what the graph contains: four stars need
things named by http(s) URIs, five need links to data on other domains, not merely being RDF. A CSV
earns the same from the URIs its CSV on the Web metadata's templates give on its real rows
(quality.csvw), never from the metadata's say-so.

`distribution_stars` is pure. `rdf_link_stats` parses the RDF the caller already has, with no
network: remote JSON-LD contexts are not fetched and RDF/XML entity tricks are refused.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from catalog_schema import vocab
from quality.findings import (
    NOT_EXAMINED,
    Finding,
    FindingType,
    Rule,
    Variant,
    download_problem,
    format_label,
    make_finding,
    unrecognised,
)
from quality.rules import archive_bomb, format_mismatch, not_parseable

if TYPE_CHECKING:
    from quality.sniff import Sniffed

#: What a finding says in place of the address of a distribution that gives none.
NO_URL = "(no URL)"

# Licence ids that say "no licence stated" rather than naming a closed one.
_NO_LICENCE_IDS = frozenset({"notspecified", "not-specified", "none", "unknown"})

# Objects in these namespaces are vocabulary terms (classes, concepts, code lists), not data:
# pointing at them gives a record a type or a code, not context from other data.
VOCABULARY_NAMESPACES: tuple[str, ...] = (
    "http://www.w3.org/", "https://www.w3.org/",
    "http://purl.org/dc/", "https://purl.org/dc/",
    "http://xmlns.com/foaf/", "https://xmlns.com/foaf/",
    "http://schema.org/", "https://schema.org/",
    "http://rdfs.org/ns/void", "http://purl.org/linked-data/", "http://purl.org/vocab/",
    "http://publications.europa.eu/resource/authority/", "http://data.europa.eu/r5r/",
    "http://www.opengis.net/ont/", "http://spdx.org/rdf/terms", "http://www.iana.org/assignments/media-types/",
)

_RDFLIB_FORMATS = {"TURTLE": "turtle", "NTRIPLES": "nt", "N3": "n3", "JSON_LD": "json-ld", "RDF_XML": "xml"}
@dataclass
class Evidence:
    """What is known about one distribution when its stars are decided."""

    url: str | None
    reachable: bool
    http_status: int | None
    error: str | None
    declared_format: str | None
    sniffed: Sniffed | None
    licence_id: str | None
    rdf_uri_subjects: int = 0
    rdf_external_links: int = 0
    parse_error: dict | None = None  # quality.rules.not_parseable's evidence when the file does not parse
    #: what the CSVW metadata describing this CSV gives on its rows (quality.csvw.described), when there is any
    csvw: dict | None = None
    #: the address of the CSV this distribution's CSVW metadata describes, when it is such metadata
    describes: str | None = None


@dataclass
class StarResult:
    """Stars 0-5, one English reason per star missed, and the findings that say how to climb."""

    stars: int
    reasons: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    format: str | None = None

    def to_dict(self) -> dict:
        return {"stars": self.stars, "reasons": list(self.reasons), "format": self.format,
                "findings": [f.to_dict() for f in self.findings]}


TYPES: tuple[FindingType, ...] = (
    FindingType(
        "link-broken", "error",
        "Broken link", "链接失效",
        "Fix the link so that {url} downloads the file; the distribution scores no stars until it does.",
        "修复链接，使 {url} 可以下载文件；在此之前该资源得零星。",
        message_en="The file at {url} could not be downloaded ({problem}).",
        message_zh="无法下载 {url} 的文件（{problem}）。",
        # a distribution with no address at all: "Fix the link so that (no URL) downloads the file"
        variants=(Variant(
            "When the distribution gives no address",
            lambda evidence: evidence.get("url") == NO_URL,
            "Give the distribution the address (URL) of its file; it scores no stars until it has one.",
            "为该资源填写其文件的地址（URL）；在此之前该资源得零星。",
            message_en="The distribution gives no address to download its file from.",
            message_zh="该资源没有提供可下载文件的地址。",
        ),),
    ),
    FindingType(
        "licence-missing", "error",
        "No licence", "未声明许可协议",
        "State an open licence (for example CC-BY-4.0 or OGL-UK-3.0) on the dataset or the distribution "
        "to reach one star{and_points}.",
        "在数据集或资源上声明开放许可协议（如 CC-BY-4.0），即可获得一星{and_points}。",
        message_en="No licence is given, so nobody may legally reuse the data.",
        message_zh="未声明许可协议，他人无法合法地再利用这些数据。",
    ),
    FindingType(
        "licence-not-open", "error",
        "Licence not open", "许可协议不开放",
        "Publish under an open licence (one that conforms to the Open Definition, such as CC-BY-4.0) "
        "to reach one star{or_map}.",
        "改用符合开放定义的许可协议（如 CC-BY-4.0）发布，即可获得一星{or_map}。",
        message_en="The licence {licence} {not_open}.",
        message_zh="许可协议“{licence}”{not_open}。",
    ),
    FindingType(
        "html-not-data", "error",
        "A web page where a data file was promised", "本应是数据文件，实际是网页",
        "Link the distribution to the data file itself, not to a web page about it or an error page; "
        "the distribution scores no stars until it does.",
        "将资源链接指向数据文件本身，而非介绍它的网页或错误页面；在此之前该资源得零星。",
        message_en="The link {url} returns an HTML page, not a data file.",
        message_zh="链接 {url} 返回的是 HTML 网页，而不是数据文件。",
    ),
    FindingType(
        "empty-file", "error",
        "The file is empty", "文件为空",
        "Publish the file with its data in it; an empty file is no data and earns at most one star.",
        "发布含有数据的文件；空文件不是数据，最多得一星。",
        message_en="The file at {url} is empty (0 bytes): there is no data in it.",
        message_zh="{url} 的文件为空（0 字节），其中没有数据。",
    ),
    FindingType(
        "not-machine-readable", "warning",
        "Not machine-readable", "非机器可读格式",
        "Publish the data as a structured file (CSV, JSON or XML rather than {format}) to reach "
        "two stars, or three with an open format.",
        "以结构化文件（CSV、JSON 或 XML，而非 {format}）发布数据，即可获得两星；采用开放格式可得三星。",
        message_en="The file is {format}, which software cannot read as data{detail}.",
        message_zh="文件为 {format} 格式，软件无法将其作为数据读取{detail_zh}。",
        variants=(
            # downloaded but not sniffed yet: "rather than a file not yet examined" asked the publisher for nothing
            Variant(
                "When the downloaded file has not been examined yet",
                lambda evidence: evidence.get("examined") is False or evidence.get("format") == NOT_EXAMINED,
                "Nothing to change for now: the portal examines the file at its next check. If this finding stays, "
                "ask the portal's operator.",
                "暂时无需修改：门户将在下次检查时检查该文件。如果此问题一直存在，请联系门户管理员。",
                message_en="The downloaded file has not been examined yet, so its format is not known.",
                message_zh="已下载的文件尚未检查，因此其格式未知。",
            ),
            Variant(
                "When the file is of no format the portal recognises",
                unrecognised("format"),
                "Publish the data as a structured file (CSV, JSON or XML) in place of this one, whose format the "
                "portal does not recognise, to reach two stars, or three with an open format.",
                "以结构化文件（CSV、JSON 或 XML）代替这个门户无法识别其格式的文件发布数据，即可获得两星；"
                "采用开放格式可得三星。",
                message_zh="文件是 {format}，软件无法将其作为数据读取{detail_zh}。",
            ),
        ),
    ),
    FindingType(
        "proprietary-format", "warning",
        "Proprietary format", "专有格式",
        "Publish the table as CSV as well as {format} to reach three stars.",
        "在 {format} 之外同时以 CSV 发布该表格，即可获得三星。",
        message_en="The file is {format}, a proprietary format that needs particular software.",
        message_zh="文件为 {format}，这是一种需要特定软件的专有格式。",
    ),
    FindingType(
        "no-uris", "info",
        "No URIs for things", "未使用 URI 标识事物",
        "Publish the data as RDF (Turtle, JSON-LD or RDF/XML) that names each thing with an http(s) URI, or, for a "
        "CSV, publish CSV on the Web metadata beside it whose aboutUrl gives each row an http(s) URI, to reach "
        "four stars.",
        "以 RDF（Turtle、JSON-LD 或 RDF/XML）发布数据并用 http(s) URI 标识每个事物，或为 CSV 文件同时发布 "
        "CSV on the Web 元数据、以其 aboutUrl 为每一行生成 http(s) URI，即可获得四星。",
        message_en="The file is {format}: the things it describes are not named with http(s) URIs.",
        message_zh="文件为 {format}，其中描述的事物没有用 http(s) URI 标识。",
    ),
    FindingType(
        "no-external-links", "info",
        "No links to other data", "未链接到其他数据",
        "Link your things to the same things in other datasets (owl:sameAs, rdfs:seeAlso or a property "
        "whose value is a URI on another domain) to reach five stars.",
        "将数据中的事物链接到其他数据集中的相同事物（owl:sameAs、rdfs:seeAlso 等指向其他域名 URI 的属性），"
        "即可获得五星。",
        message_en="The RDF names {subjects:p/thing/things} with URIs but links to no data on other domains.",
        message_zh="该 RDF 用 URI 标识了 {subjects} 个事物，但没有链接到其他域名的数据。",
    ),
    FindingType(
        "csvw-no-uris", "info",
        "CSVW metadata gives no row a URI", "CSVW 元数据未为行生成 URI",
        "Give the table schema an aboutUrl that is an absolute http(s) URI template whose variable is a column "
        "that identifies each row (an address on your own domain followed by the row's code) to reach four stars.",
        "在表结构中设置 aboutUrl：以能标识各行的列为变量的绝对 http(s) URI 模板"
        "（本单位域名下的地址加上该行的编码），即可获得四星。",
        message_en="The CSV on the Web metadata {metadata} describes this CSV, but on its {rows:p/row/rows} "
                   "{why}.",
        message_zh="CSV on the Web 元数据 {metadata} 描述了此 CSV，但在其 {rows} 行数据上，{why_zh}。",
    ),
    FindingType(
        "csvw-no-external-links", "info",
        "CSVW metadata links to no other data", "CSVW 元数据未链接到其他数据",
        "Give a column a valueUrl template that points at the same things in other datasets (a URI on another "
        "domain that is not a vocabulary term, e.g. a Wikidata or GeoNames URI) to reach five stars.",
        "为某一列设置 valueUrl 模板，指向其他数据集中的相同事物（其他域名上、非词表术语的 URI，"
        "如 Wikidata 或 GeoNames 的 URI），即可获得五星。",
        message_en="The CSV on the Web metadata {metadata} names {subjects:p/thing/things} with URIs but its "
                   "valueUrls link to no data on other domains.",
        message_zh="CSV on the Web 元数据 {metadata} 用 URI 标识了 {subjects} 个事物，"
                   "但其 valueUrl 没有链接到其他域名的数据。",
    ),
    FindingType(
        "uri-key-no-external-links", "info",
        "No links to other data in the table", "表格未链接到其他数据",
        "Add a column of URIs of the same things in other datasets (e.g. Wikidata or GeoNames URIs), declared in "
        "the Table Schema with format uri, to reach five stars.",
        "增加一列指向其他数据集中相同事物的 URI（如 Wikidata 或 GeoNames 的 URI），"
        "并在表结构中将其声明为 uri 格式，即可获得五星。",
        message_en="The primary key {key} names {subjects:p/row/rows} with URIs, but no column declared as URIs "
                   "links to data on other domains.",
        message_zh="主键“{key}”用 URI 标识了 {subjects} 行，但没有声明为 URI 的列链接到其他域名的数据。",
    ),
)

#: Sniffed formats CSVW metadata can describe (quality.csvw.described reads their rows).
CSVW_FORMATS = frozenset({"CSV", "TSV", "PSV"})

# ---------------------------------------------------------------------------------------------
# Stars
# ---------------------------------------------------------------------------------------------


def distribution_stars(ev: Evidence) -> StarResult:
    """The stars one distribution earns, each level checked on its own and counted in order."""
    findings: list[Finding] = []
    sniffed = ev.sniffed.effective if ev.sniffed is not None else None
    fmt_code = sniffed.format if sniffed is not None and ev.reachable else None
    ff = vocab.format_by_code(fmt_code) if fmt_code else None

    level1, reason1, found1 = _level_one(ev, sniffed)
    levels: list[tuple[bool, str, list[Finding]]] = [(level1, reason1, found1)]
    levels.append(_level_two(ev, sniffed, ff))
    levels.append(_level_three(ff))
    levels.append(_level_four(ff, ev))
    levels.append(_level_five(ff, ev))

    stars = 0
    for passed, _reason, _found in levels:
        if not passed:
            break
        stars += 1
    reasons = []
    for index in range(stars, 5):
        passed, reason, _found = levels[index]
        if passed:
            reason = f"{reason} but star {stars + 1} is missing, and stars count only in order."
        reasons.append(reason[:1].upper() + reason[1:])
    if stars < 5:
        findings.extend(levels[stars][2])
    if ev.reachable and ev.sniffed is not None and ev.sniffed.details.get("empty"):
        findings.append(make_finding("empty-file", url=ev.url or NO_URL))  # as format-mismatch would have been
    if ev.reachable and ev.sniffed is not None and not _said_otherwise(ev):
        findings.extend(format_mismatch.check(ev.declared_format, ev.sniffed))
        findings.extend(archive_bomb.check(ev.sniffed))
    return StarResult(stars=stars, reasons=reasons, findings=findings, format=fmt_code)


def dataset_stars(results: list[StarResult]) -> int:
    """A dataset is as open as its best distribution (CKAN's rule); 0 when it has none."""
    return max((r.stars for r in results), default=0)


def _level_one(ev: Evidence, sniffed: Sniffed | None) -> tuple[bool, str, list[Finding]]:
    """On the web (downloadable) under an open licence.

    An HTML page where a data file was promised (a soft 404, a landing page) counts as not
    downloadable: the data the distribution promises is not what the link gives, as in ckanext-qa.
    """
    found: list[Finding] = []
    reasons: list[str] = []
    broken = not ev.reachable or (ev.http_status is not None and ev.http_status >= 400)
    if broken:
        problem = f"HTTP {ev.http_status}" if ev.http_status and ev.http_status >= 400 else (ev.error or "no answer")
        found.append(make_finding("link-broken", url=ev.url or NO_URL, problem=problem,
                                  http_status=ev.http_status))
        reasons.append(f"The file could not be downloaded ({download_problem(problem, ev.http_status)}).")
    elif _html_instead_of_data(ev):
        found.append(make_finding("html-not-data", url=ev.url or NO_URL,
                                  declared=format_mismatch.declared_code(ev.declared_format)))
        reasons.append("The link returns an HTML web page, not the data file.")
    licence_id = (ev.licence_id or "").strip()
    if not licence_id or licence_id.lower() in _NO_LICENCE_IDS:
        found.append(make_finding("licence-missing"))
        reasons.append("No licence is given.")
    else:
        known = vocab.licence(licence_id)
        if known is None or not known.is_open:
            # a licence the vocabulary does not know is named as the source wrote it ("unknown:" is ours)
            label = known.title if known is not None else licence_id.removeprefix("unknown:")
            found.append(make_finding("licence-not-open", licence=label, licence_id=licence_id,
                                      known=known is not None))
            reasons.append(f"The licence {label} is not an open licence." if known is not None else
                           f"The licence {label} is not recognised, so it is not counted as open.")
    if found:
        return False, " ".join(reasons), found
    return True, "It is on the web under an open licence,", []


def _level_two(ev: Evidence, sniffed: Sniffed | None, ff) -> tuple[bool, str, list[Finding]]:
    """Structured, machine-readable data, by the sniffed format."""
    if not ev.reachable:
        return False, "Its format could not be checked because the file was not downloaded.", []
    if sniffed is None:
        finding = make_finding("not-machine-readable", format=NOT_EXAMINED, detail="", detail_zh="", examined=False)
        return False, "The downloaded file has not been examined, so its format is unknown.", [finding]
    if _html_instead_of_data(ev):
        return False, "An HTML web page is not structured data.", []
    if ev.sniffed is not None and ev.sniffed.details.get("empty"):  # said by empty-file whatever star is missed
        return False, "The file is empty: it holds no data.", []
    label = sniffed.format or format_mismatch.unknown_label(sniffed)
    if ev.parse_error:
        finding = make_finding(not_parseable.TYPE.slug, **ev.parse_error)
        fmt = ev.parse_error.get("format") or label
        return False, f"The file does not parse as {fmt} ({ev.parse_error.get('where')}), so it is not " \
                      "structured data.", [finding]
    if sniffed.details.get("encrypted"):
        finding = make_finding("not-machine-readable", format=label, detail=" because it is encrypted",
                               detail_zh="（文件已加密）", encrypted=True, recognised=sniffed.format is not None)
        return False, f"The {format_label(label)} file is encrypted, so software cannot read it.", [finding]
    if ff is None or not ff.structured:
        outer = ev.sniffed.format if ev.sniffed is not None and ev.sniffed is not sniffed else None
        inside = {"detail": f" (inside the {outer} archive)", "detail_zh": f"（位于 {outer} 压缩包中）",
                  "archive": outer} if outer else {"detail": "", "detail_zh": ""}  # an HTML page in a ZIP
        finding = make_finding("not-machine-readable", format=label, recognised=sniffed.format is not None, **inside)
        return False, f"{format_label(label)} is not structured, machine-readable data.", [finding]
    return True, f"{ff.label} is structured data,", []


def _level_three(ff) -> tuple[bool, str, list[Finding]]:
    """A non-proprietary format."""
    if ff is None or not ff.structured:
        return False, "An open, non-proprietary data format needs structured data first.", []
    if not ff.non_proprietary:
        finding = make_finding("proprietary-format", format=ff.code)
        return False, f"{ff.label} is a proprietary format.", [finding]
    return True, f"{ff.label} is an open format,", []


def _level_four(ff, ev: Evidence) -> tuple[bool, str, list[Finding]]:
    """URIs denote things: RDF whose subjects are http(s) URIs, or a CSV whose CSVW metadata (or Table Schema key)
    names its rows with http(s) URIs (quality.csvw)."""
    label = ff.code if ff is not None else "The file"
    if ev.describes and ev.rdf_uri_subjects <= 0:  # CSVW metadata: not told to publish RDF, its URIs count on the CSV
        return False, f"It is CSV on the Web metadata: the URIs it gives are counted on the CSV it describes " \
                      f"({ev.describes}).", []
    if ff is not None and ff.code in CSVW_FORMATS and ev.csvw is not None:
        return _csvw_four(ev.csvw)
    if ff is None or not ff.rdf:
        finding = make_finding("no-uris", format=label)
        if ff is not None and ff.code in CSVW_FORMATS:
            return False, f"{format_label(label)} is not RDF and no CSV on the Web metadata of the dataset " \
                          "describes it, so things are not named with URIs.", [finding]
        return False, f"{format_label(label)} is not RDF, so things are not named with URIs.", [finding]
    if ev.rdf_uri_subjects <= 0:
        finding = make_finding("no-uris", format=label)
        return False, f"The {format_label(label)} graph names no thing with an http(s) URI.", [finding]
    things = "1 thing" if ev.rdf_uri_subjects == 1 else f"{ev.rdf_uri_subjects} things"
    return True, f"The {format_label(label)} graph names {things} with http(s) URIs,", []


def _level_five(ff, ev: Evidence) -> tuple[bool, str, list[Finding]]:
    """Links to other data: URIs on other domains that are not vocabulary terms."""
    if ff is not None and ff.code in CSVW_FORMATS and ev.csvw is not None:
        return _csvw_five(ev.csvw)
    if ff is not None and ff.rdf and ev.rdf_external_links > 0:
        times = "once" if ev.rdf_external_links == 1 else f"{ev.rdf_external_links} times"
        return True, f"The graph links {times} to data on other domains,", []
    finding = make_finding("no-external-links", subjects=ev.rdf_uri_subjects)
    return False, "It does not link to data on other domains.", [finding]


def _csvw_four(found: dict) -> tuple[bool, str, list[Finding]]:
    """Four stars for a CSV whose CSVW metadata's aboutUrl gives its rows absolute http(s) URIs."""
    subjects = found.get("subjects") or 0
    things = "1 thing" if subjects == 1 else f"{subjects} things"
    if subjects > 0 and found.get("key"):
        return True, f"Its Table Schema's primary key, {found['key']}, names {things} with http(s) URIs,", []
    if subjects > 0:
        return True, f"Its CSV on the Web metadata names {things} of its rows with http(s) URIs,", []
    why, why_zh = _csvw_why(found)
    finding = make_finding("csvw-no-uris", metadata=found.get("metadata") or "?", rows=found.get("rows") or 0,
                           why=why, why_zh=why_zh, example=found.get("example_not_http"))
    return False, "Its CSV on the Web metadata gives none of its rows an http(s) URI.", [finding]


def _csvw_why(found: dict) -> tuple[str, str]:
    """Why a CSV's CSVW metadata named none of its rows with an http(s) URI (English, Chinese)."""
    example = found.get("example_not_http")
    shown, shown_zh = (f" (\"{example}\")", f"（“{example}”）") if example else ("", "")
    if not found.get("rows"):
        return "the file has no rows to name", "文件没有可标识的数据行"
    if not found.get("about_url"):
        return ("no aboutUrl names the rows, so they are blank nodes",
                "没有 aboutUrl 为各行命名，各行只是空白节点")
    if found.get("relative"):
        return (f"its aboutUrl gives relative URIs{shown}, which name a place in the file, not a thing",
                f"aboutUrl 生成的是相对 URI{shown_zh}，只标识文件中的位置，而非事物")
    return (f"its aboutUrl gives URIs that are not http(s){shown}",
            f"aboutUrl 生成的 URI 不是 http(s) URI{shown_zh}")


def _csvw_five(found: dict) -> tuple[bool, str, list[Finding]]:
    """Five stars for a CSV whose CSVW metadata's valueUrls link to data on other domains."""
    links = found.get("links") or 0
    times = "once" if links == 1 else f"{links} times"
    if found.get("key"):
        if links > 0:
            return True, f"Its columns of URIs link {times} to data on other domains,", []
        finding = make_finding("uri-key-no-external-links", key=found["key"], subjects=found.get("subjects") or 0)
        return False, "Its columns link to no data on other domains.", [finding]
    if links > 0:
        return True, f"Its CSV on the Web metadata links {times} to data on other domains,", []
    finding = make_finding("csvw-no-external-links", metadata=found.get("metadata") or "?",
                           subjects=found.get("subjects") or 0)
    return False, "Its CSV on the Web metadata links to no data on other domains.", [finding]


def _said_otherwise(ev: Evidence) -> bool:
    """Whether another finding already says what the file is, so that format-mismatch would only contradict it:
    an empty file (empty-file), or a file of the declared format that does not parse as it (not-parseable: a CSV
    with a NUL byte is not "an unrecognised file", a JSON file cut off is not a CSV)."""
    if ev.sniffed is not None and ev.sniffed.details.get("empty"):
        return True
    meant = (ev.parse_error or {}).get("format")
    declared = format_mismatch.declared_code(ev.declared_format)
    return bool(meant and declared and format_mismatch.same_kind(declared, meant))


def _html_instead_of_data(ev: Evidence) -> bool:
    """The link itself returns an HTML page (a ZIP that holds one is a ZIP: not-machine-readable says what is in it)."""
    declared = format_mismatch.declared_code(ev.declared_format)
    return ev.sniffed is not None and ev.sniffed.format == "HTML" and declared != "HTML"


# ---------------------------------------------------------------------------------------------
# RDF link statistics
# ---------------------------------------------------------------------------------------------


def rdf_link_stats(data: bytes, fmt: str) -> tuple[int, int, int]:
    """(triples, distinct http(s) subjects, external links) of an RDF document.

    An external link is a triple whose object is an http(s) URI on another domain than every
    subject's, and neither an rdf:type object nor a term of a well-known vocabulary. Raises
    ValueError for an unknown format or RDF that does not parse or is unsafe to parse.
    """
    syntax = _RDFLIB_FORMATS.get(fmt)
    if syntax is None:
        raise ValueError(f"not an RDF format: {fmt}")
    import rdflib

    graph = rdflib.Graph()
    try:
        if fmt == "RDF_XML":
            _refuse_unsafe_xml(data)
            graph.parse(data=data, format=syntax)
        elif fmt == "JSON_LD":
            with warnings.catch_warnings():  # rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph
                warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
                graph.parse(data=_offline_jsonld(data), format=syntax)
        else:
            graph.parse(data=data.decode("utf-8-sig", "replace"), format=syntax)
    except ValueError:
        raise
    except Exception as exc:  # rdflib raises many parser-specific types for bad input
        raise ValueError(f"{fmt} does not parse: {type(exc).__name__}: {exc}") from exc
    subjects = {s for s in graph.subjects() if isinstance(s, rdflib.URIRef) and _is_http(s)}
    domains = {domain(str(s)) for s in subjects}
    links = 0
    for _s, p, o in graph:
        if p == rdflib.RDF.type or not isinstance(o, rdflib.URIRef) or not _is_http(o):
            continue
        target = str(o)
        if target.startswith(VOCABULARY_NAMESPACES) or domain(target) in domains:
            continue
        links += 1
    return len(graph), len(subjects), links


def _is_http(term) -> bool:
    return str(term).startswith(("http://", "https://"))


_SECOND_LEVEL = frozenset({"co", "com", "gov", "ac", "org", "net", "edu", "go", "or", "gouv", "gob", "govt"})


def domain(uri: str) -> str:
    """The registrable domain, roughly: data.gov.uk and www.gov.uk are one publisher's."""
    host = (urlsplit(uri).hostname or "").lower()
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s*)?[\w.:-]+\s+(\"[^\"]*\"|'[^']*'|SYSTEM|PUBLIC)", re.S)


def _refuse_unsafe_xml(data: bytes) -> None:
    """RDF/XML often declares entities as namespace shorthands; allow only those that are harmless.

    defusedxml refuses every DTD entity. We then accept the document only when each declared
    entity is an internal literal that references no other entity (no expansion blow-up) and
    nothing points outside (no SYSTEM or PUBLIC): rdflib's expat parser then expands them safely.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError
    from defusedxml.ElementTree import fromstring as safe_fromstring

    try:
        safe_fromstring(data)
        return
    except DefusedXmlException:
        pass
    except ParseError as exc:
        raise ValueError(f"RDF/XML is not well-formed: {exc}") from exc
    for match in _ENTITY_DECL.finditer(data[:1024 * 1024]):
        value = match.group(2)
        if match.group(1) or value in (b"SYSTEM", b"PUBLIC") or b"&" in value or b"%" in value:
            raise ValueError("RDF/XML declares external or nested entities; refused")


def _offline_jsonld(data: bytes) -> str:
    """JSON-LD with remote @context references removed, so parsing never reaches the network.

    The schema.org context, by far the commonest, is replaced by its @vocab so its terms still
    resolve; other remote contexts are dropped and their terms simply yield no triples.
    """
    doc = json.loads(data.decode("utf-8-sig", "replace"))
    return json.dumps(_strip_contexts(doc))


def _strip_contexts(node, depth: int = 0):
    if depth > 200:
        raise ValueError("JSON-LD nested too deeply")
    if isinstance(node, list):
        return [_strip_contexts(n, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "@context":
            value = _local_context(value)
            if value is None:
                continue
        out[key] = _strip_contexts(value, depth + 1)
    return out


def _local_context(ctx):
    if isinstance(ctx, str):
        if re.match(r"https?://schema\.org/?$", ctx):
            return {"@vocab": "http://schema.org/"}
        return None
    if isinstance(ctx, list):
        kept = [c for c in (_local_context(c) for c in ctx) if c is not None]
        return kept or None
    if isinstance(ctx, dict) and "@import" in ctx:
        return {k: v for k, v in ctx.items() if k != "@import"}
    return ctx


RULE = Rule("stars", TYPES, subject="distribution", part="openness", weight=35,
            measure="dataset stars / 5 (the best distribution's stars)", check=distribution_stars)
