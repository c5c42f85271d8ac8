"""Metadata completeness: the 405-point table of data.europa.eu's Metadata Quality Assessment.

Pure: a catalog record and the link-check evidence in, points and findings out.
Distribution-level indicators count for the best distribution, as the EU portal
does. The DCAT-AP indicator takes the violations of our own fast DCAT-AP 3 check
(catalog_schema.dcat.shacl_violations_fast), which the tests hold to pyshacl.
Beyond the EU scheme, extra findings (description, documented distributions,
titles that are file names) carry their own weights in the overall score.

Every point lost is a finding with a fix; `docs/quality.md` lists the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from catalog_schema import dates, vocab
from catalog_schema.record import Record, pick_text
from quality.findings import FINDING_TYPES, Finding, FindingType, Rule, Severity, english_texts

MAX_POINTS = 405
BANDS = (("excellent", 351), ("good", 221), ("sufficient", 121), ("bad", 0))
MIN_DESCRIPTION = 80  # characters (Chinese text says more per character: see _long_enough)


def rating(points: int) -> str:
    for name, floor in BANDS:
        if points >= floor:
            return name
    return "bad"


@dataclass(frozen=True)
class Indicator:
    """One row of the EU table, declared once: where it counts, what it is worth, the finding when it fails.

    `type` is the finding type the indicator declares: its fix text ends with the points, taken from
    `points`. None when the finding belongs to another rule (``licence-missing`` is the stars rule's).
    """

    dimension: str
    key: str
    points: int
    finding: str  # slug raised when the indicator fails
    level: str = "dataset"  # or "distribution": counted for the best distribution
    type: FindingType | None = None


def indicator(dimension: str, key: str, points: int, slug: str, severity: Severity, title: tuple[str, str],
              fix: tuple[str, str], message: tuple[str, str] = ("", ""), level: str = "dataset") -> Indicator:
    """An indicator and its finding type: `title`, `fix` and `message` are (English, Chinese); the fix
    is written without its closing stop, which comes after the points: "... (30 metadata points)." / "...（元数据 30
    分）。". Metadata points, said so: beside a quality score out of 100, "(20 points)" read as a fifth of it."""
    ftype = FindingType(slug, severity, title[0], title[1], f"{fix[0]} ({points} metadata points).",
                        f"{fix[1]}（元数据 {points} 分）。", message_en=message[0], message_zh=message[1])
    return Indicator(dimension, key, points, slug, level, ftype)


INDICATORS: tuple[Indicator, ...] = (
    indicator("findability", "keyword", 30, "missing-keywords", "warning", ("No keywords", "缺少关键词"),
              ("Add a few keywords people would search for", "添加用户会搜索的关键词")),
    indicator("findability", "theme", 30, "missing-theme", "warning", ("No theme", "缺少主题分类"),
              ("Classify the dataset under an EU data theme such as TRAN or ENVI",
               "为数据集选择一个欧盟数据主题分类，如交通（TRAN）或环境（ENVI）")),
    indicator("findability", "spatial", 20, "missing-spatial", "info", ("No spatial coverage", "缺少空间范围"),
              ("Say which place the data covers, ideally with a GeoNames or EU place URI",
               "说明数据覆盖的地域，最好使用 GeoNames 或欧盟地名 URI")),
    indicator("findability", "temporal", 20, "missing-temporal", "info", ("No temporal coverage", "缺少时间范围"),
              ("Give the period the data covers, a start and an end date", "给出数据覆盖的时间段：起止日期")),
    indicator("accessibility", "access_url_2xx", 50, "access-url-broken", "error",
              ("Access URL does not answer", "访问链接无法访问"),
              ("Make the access URL answer with a page or the file (HTTP 2xx)",
               "确保访问链接能正常返回页面或文件（HTTP 2xx）"), level="distribution"),
    indicator("accessibility", "download_url", 20, "missing-download-url", "warning",
              ("No download URL", "缺少下载链接"),
              ("Give a direct download URL for the file", "提供文件的直接下载链接"),
              ("No download URL, so none that answers either: {lost} points.",
               "缺少下载链接，因此也没有可访问的下载链接：共失去 {lost} 分。"), level="distribution"),
    indicator("accessibility", "download_url_2xx", 30, "download-url-broken", "error",
              ("Download URL does not answer", "下载链接无法访问"),
              ("Make the download URL return the file (HTTP 2xx)", "确保下载链接能返回文件（HTTP 2xx）"),
              level="distribution"),
    indicator("interoperability", "format", 20, "missing-format", "warning", ("No format declared", "未声明格式"),
              ("Declare the file format of each distribution, e.g. CSV", "为每个资源声明文件格式，如 CSV"),
              ("No format declared, so none from a vocabulary, non-proprietary or machine-readable either: {lost} "
               "points.", "未声明格式，因此也谈不上来自标准词表、非专有或机器可读：共失去 {lost} 分。"),
              level="distribution"),
    indicator("interoperability", "media_type", 10, "missing-media-type", "info", ("No media type", "未声明媒体类型"),
              ("Declare the media type, e.g. text/csv", "声明媒体类型，如 text/csv"), level="distribution"),
    indicator("interoperability", "format_vocabulary", 10, "format-not-in-vocabulary", "info",
              ("Format not from a vocabulary", "格式不在标准词表中"),
              ("Use a format from the EU file-type list and an IANA media type",
               "使用欧盟文件类型词表中的格式和 IANA 媒体类型"), level="distribution"),
    indicator("interoperability", "non_proprietary", 20, "declared-format-proprietary", "info",
              ("Declared format is proprietary", "声明的格式为专有格式"),
              ("Offer the data in a non-proprietary format such as CSV or JSON", "以 CSV、JSON 等非专有格式提供数据"),
              level="distribution"),
    indicator("interoperability", "machine_readable", 20, "declared-format-not-machine-readable", "warning",
              ("Declared format is not machine-readable", "声明的格式非机器可读"),
              ("Offer the data in a machine-readable format (a table, not a PDF)",
               "以机器可读格式（表格而非 PDF）提供数据"), level="distribution"),
    indicator("interoperability", "dcat_ap", 30, "dcat-ap-violation", "warning",
              ("Does not conform to DCAT-AP", "不符合 DCAT-AP 规范"),
              ("Complete or correct what the finding names", "补全或更正该问题所列的内容"),
              ("The record breaks {count:p/DCAT-AP 3 constraint/DCAT-AP 3 constraints}: {broken}.",
               "该记录违反了 {count} 条 DCAT-AP 3 约束：{broken}。")),
    Indicator("reusability", "licence", 20, "licence-missing"),  # the stars rule's finding (quality.openness)
    indicator("reusability", "licence_known", 10, "licence-unknown", "warning",
              ("Licence not recognised", "许可协议无法识别"),
              ("Use a licence from the Open Definition list (e.g. CC-BY-4.0) or a recognised licence URL",
               "使用开放定义列表中的许可协议（如 CC-BY-4.0）或可识别的许可协议 URL"),
              ("The licence {licence} is not one the catalog knows.", "许可协议“{licence}”无法识别。")),
    indicator("reusability", "access_rights", 10, "missing-access-rights", "info",
              ("No access rights", "缺少访问权限声明"),
              ("State the access rights (public, restricted or non-public)", "声明访问权限（公开、受限或不公开）")),
    indicator("reusability", "access_rights_vocabulary", 5, "access-rights-not-in-vocabulary", "info",
              ("Access rights not from the EU vocabulary", "访问权限不在欧盟词表中"),
              ("Use PUBLIC, RESTRICTED or NON_PUBLIC from the EU access-right list",
               "使用欧盟访问权限词表中的 PUBLIC、RESTRICTED 或 NON_PUBLIC")),
    indicator("reusability", "contact_point", 20, "missing-contact-point", "warning",
              ("No contact point", "缺少联系方式"),
              ("Give a contact point with an e-mail address users can write to", "提供联系人及可联系的电子邮箱")),
    indicator("reusability", "publisher", 10, "missing-publisher", "warning", ("No publisher", "缺少发布部门"),
              ("Name the publishing department", "注明发布部门")),
    indicator("contextuality", "rights", 5, "missing-rights", "info", ("No rights statement", "缺少权利声明"),
              ("State the rights or licence on the distribution", "在资源上声明权利或许可协议"), level="distribution"),
    indicator("contextuality", "byte_size", 5, "missing-byte-size", "info", ("No file size", "缺少文件大小"),
              ("Give the size of the file in bytes", "注明文件大小（字节）"), level="distribution"),
    indicator("contextuality", "issued", 5, "missing-issued", "info", ("No publication date", "缺少发布日期"),
              ("Give the date the dataset was first published", "注明数据集首次发布的日期")),
    indicator("contextuality", "modified", 5, "missing-modified", "info", ("No modification date", "缺少更新日期"),
              ("Give the date the dataset last changed", "注明数据集最近一次更新的日期")),
)
DIMENSIONS = {"findability": 100, "accessibility": 100, "interoperability": 110, "reusability": 75,
              "contextuality": 20}
assert sum(DIMENSIONS.values()) == MAX_POINTS == sum(i.points for i in INDICATORS)
_DIST_POINTS = tuple((i.key, i.points) for i in INDICATORS if i.level == "distribution")
#: Indicators that cannot pass without another: when that one fails, its finding says both (a missing download URL
#: was also "Download URL does not answer", a missing format "Declared format is proprietary").
DEPENDS_ON = {"download_url_2xx": "download_url", "format_vocabulary": "format", "non_proprietary": "format",
              "machine_readable": "format"}


@dataclass
class DistributionEvidence:
    """What the link check saw for one distribution (None: not checked)."""

    access_status: int | None = None
    download_status: int | None = None


@dataclass
class MetadataResult:
    points: int
    max: int
    rating: str
    dimensions: dict[str, dict[str, int]]
    indicators: list[dict[str, Any]]
    findings: list[Finding] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return round(100 * self.points / self.max, 1)

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "max": self.max, "rating": self.rating, "percent": self.percent,
                "dimensions": self.dimensions, "indicators": self.indicators}


def _ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def _dataset_checks(rec: Record, dcat_violations: list[dict]) -> dict[str, bool]:
    licence_raw = rec.get("license_raw") or rec.get("license")
    dist_licences = [d.get("license") or d.get("license_raw") for d in rec.get("distributions") or []]
    any_licence = bool(licence_raw) or any(dist_licences)
    known = bool(rec.get("license")) or any(d.get("license") for d in rec.get("distributions") or [])
    access = rec.get("access_rights")
    return {
        "keyword": bool(rec.get("keywords")),
        "theme": bool(rec.get("themes")),
        "spatial": bool(rec.get("spatial")),
        "temporal": bool(rec.get("temporal") and (rec["temporal"].get("start") or rec["temporal"].get("end"))),
        "dcat_ap": not dcat_violations,
        "licence": any_licence,
        "licence_known": known,
        "access_rights": bool(access),
        "access_rights_vocabulary": bool(access) and vocab.access_right(access) is not None,
        "contact_point": bool(rec.get("contact_point") and any((rec["contact_point"] or {}).values())),
        "publisher": bool(rec.get("publisher")),
        "issued": dates.published_text(rec.get("issued")) is not None,  # a real date, as every door publishes it
        "modified": dates.published_text(rec.get("modified")) is not None,
    }


def _distribution_checks(dist: Record, ev: DistributionEvidence | None) -> dict[str, bool]:
    ev = ev or DistributionEvidence()
    fmt = vocab.file_format(dist.get("format") or dist.get("format_raw")) if (
        dist.get("format") or dist.get("format_raw")) else None
    media = dist.get("media_type")
    # a media type as every export reads and publishes it (a media type, or the one of a format a name means: "CSV"
    # is text/csv); words that mean none ("comma separated") are published nowhere, so they score none
    plain = vocab.plain_media_type(media)
    media_known = plain is not None and vocab.format_for_media_type(plain) is not None
    access_status = ev.access_status if dist.get("access_url") else None
    if access_status is None and not dist.get("access_url"):
        access_status = ev.download_status  # DCAT-AP: the download URL is also an access URL
    return {
        "access_url_2xx": _ok(access_status),
        "download_url": bool(dist.get("download_url")),
        "download_url_2xx": bool(dist.get("download_url")) and _ok(ev.download_status),
        "format": bool(dist.get("format") or dist.get("format_raw")),
        "media_type": plain is not None,
        "format_vocabulary": fmt is not None and (plain is None or media_known),
        "non_proprietary": fmt is not None and fmt.non_proprietary,
        "machine_readable": fmt is not None and fmt.structured,
        "rights": bool(dist.get("rights") or dist.get("license")),
        "byte_size": dist.get("byte_size") is not None,
        "media_type_written": str(media)[:80] if media else None,  # no points: what media-type-not-recognised names
    }


def assess_metadata(rec: Record, evidence: dict[str, DistributionEvidence] | None = None,
                    dcat_violations: list[dict] | None = None) -> MetadataResult:
    """Points per indicator and the findings for every point lost.

    `evidence` maps a distribution's id (record `id`, else its URL) to what the link
    check saw. `dcat_violations`: our fast DCAT-AP check's result; None runs it.
    """
    if dcat_violations is None:
        from catalog_schema.dcat import shacl_violations_fast

        dcat_violations = shacl_violations_fast(rec)
    evidence = evidence or {}
    ds_checks = _dataset_checks(rec, dcat_violations)
    dists = rec.get("distributions") or []
    dist_checks = [_distribution_checks(d, evidence.get(_dist_key(d))) for d in dists]
    best = max(dist_checks, key=lambda c: sum(points for key, points in _DIST_POINTS if c.get(key)), default={})
    indicators, findings = [], []
    dimensions = {name: {"points": 0, "max": top} for name, top in DIMENSIONS.items()}
    for ind in INDICATORS:
        passed = bool(best.get(ind.key)) if ind.level == "distribution" else ds_checks[ind.key]
        got = ind.points if passed else 0
        dimensions[ind.dimension]["points"] += got
        indicators.append({"dimension": ind.dimension, "indicator": ind.key, "points": got, "max": ind.points,
                           "passed": passed})
        if passed or (ind.key == "licence_known" and not ds_checks["licence"]):
            continue  # (no licence at all: licence-missing says so; "the licence ? is not one the catalog knows" did)
        if ind.level == "distribution" and not dists:
            continue  # no-distribution says it once
        if ind.key in DEPENDS_ON and not best.get(DEPENDS_ON[ind.key]):
            continue  # the finding of the one it depends on counts its points
        findings.append(_finding(ind, rec, dcat_violations, best))
    if not dists:
        findings.insert(0, make(NO_DISTRIBUTION.slug, {"points": _DIST_TOTAL}))
    findings.extend(extra_findings(rec))
    points = sum(d["points"] for d in dimensions.values())
    return MetadataResult(points=points, max=MAX_POINTS, rating=rating(points), dimensions=dimensions,
                          indicators=indicators, findings=findings)


def _dist_key(dist: Record) -> str:
    return str(dist.get("catalog_id") or dist.get("id") or dist.get("download_url") or dist.get("access_url"))


def _finding(ind: Indicator, rec: Record, violations: list[dict], best: dict[str, Any]) -> Finding:
    evidence: dict[str, Any] = {"indicator": ind.key, "points": ind.points, "dimension": ind.dimension}
    if ind.key == "dcat_ap":
        evidence["violations"] = violations[:10]
        evidence["count"] = len(violations)
    if ind.key == "licence_known":
        evidence["licence"] = rec.get("license_raw")
    if ind.key == "access_rights_vocabulary":
        evidence["value"] = rec.get("access_rights")
    if ind.key in DEPENDS_ON.values():
        evidence["lost"] = ind.points + sum(_POINTS[k] for k, on in DEPENDS_ON.items() if on == ind.key)
    if ind.key == "licence":  # no licence at all: licence_known is lost too and says nothing (assess_metadata)
        evidence["lost"] = ind.points + _POINTS["licence_known"]
    if ind.key in NOT_A_DATE and rec.get(ind.key):  # written, but no date: published nowhere, and said so
        evidence["value"] = str(rec[ind.key])[:80]
        return make(NOT_A_DATE[ind.key].slug, evidence)
    if ind.key == "media_type" and best.get("media_type_written"):  # written, but no media type: left out, said so
        evidence["value"] = best["media_type_written"]
        return make(NOT_A_MEDIA_TYPE.slug, evidence)
    return make(ind.finding, evidence)


def make(slug: str, evidence: dict[str, Any], distribution: str | None = None) -> Finding:
    """A finding of this type; most metadata findings repeat the same evidence, so their texts are formatted
    once (`quality.findings.english_texts`: formatting dominated the cost of assessing a dataset)."""
    ftype = FINDING_TYPES[slug]
    message, fix = english_texts(ftype, evidence)
    return Finding(slug, ftype.severity, message, fix, distribution, evidence)


_FILE_NAME = re.compile(r"^[\w\-. ]+\.(csv|xlsx?|ods|json|xml|pdf|zip|txt|docx?|tsv|geojson|ttl|rdf)$", re.I)
_CJK = re.compile(r"[\u3400-\u9fff]")


def _long_enough(text: str) -> bool:
    cjk = len(_CJK.findall(text))
    return cjk * 3 + (len(text) - cjk) >= MIN_DESCRIPTION


def extra_findings(rec: Record) -> list[Finding]:
    """Our findings beyond the EU table (weights in quality/assess.py)."""
    out: list[Finding] = []
    description = pick_text(rec.get("description"))
    if not description.strip():
        out.append(make(MISSING_DESCRIPTION.slug, {}))
    elif not _long_enough(re.sub(r"<[^>]+>", "", description)):
        out.append(make(DESCRIPTION_TOO_SHORT.slug, {"length": len(description), "minimum": MIN_DESCRIPTION}))
    for lang, title in (rec.get("title") or {}).items():
        if _FILE_NAME.match(title.strip()):
            out.append(make(TITLE_IS_FILENAME.slug, {"title": title, "lang": lang or "-"}))
            break
    for position, dist in enumerate(rec.get("distributions") or []):
        if not pick_text(dist.get("title")) and not pick_text(dist.get("description")):
            out.append(make(DISTRIBUTION_UNDOCUMENTED.slug, {"position": position + 1}, _dist_key(dist)))
    return out


#: Our findings beyond the EU table; they cost no points, the metadata part's weight covers them.
MISSING_DESCRIPTION = FindingType("missing-description", "warning", "No description", "缺少描述",
    "Describe what the data is, how it was collected and how to use it.", "说明数据内容、采集方式和使用方法。")
DESCRIPTION_TOO_SHORT = FindingType("description-too-short", "info", "Description too short to be useful", "描述过短",
    "Write a description of at least a few sentences: what, where, when, how collected.",
    "补充几句话的描述：数据是什么、覆盖何地何时、如何采集。",
    message_en="The description has {length} characters.", message_zh="描述仅有 {length} 个字符。")
TITLE_IS_FILENAME = FindingType("title-is-filename", "info", "The title is a file name", "标题是文件名",
    "Give the dataset a title people understand instead of the file name {title}.",
    "用通俗易懂的标题代替文件名 {title}。")
DISTRIBUTION_UNDOCUMENTED = FindingType("distribution-undocumented", "info",
    "A distribution has no title or description", "资源缺少标题或说明",
    "Give distribution {position} a title that says what the file holds.",
    "为第 {position} 个资源添加说明文件内容的标题。")
_POINTS = {i.key: i.points for i in INDICATORS}
#: A date indicator's finding when the record has a value that is no date on the calendar ("2023-13-01",
#: "yesterday-ish"): no door publishes it (catalog_schema.dates), so it scores as missing, with its own words.
NOT_A_DATE = {
    "issued": FindingType("issued-not-a-date", "info", "The publication date is not a date", "发布日期不是有效日期",
        f"Write the publication date as a date, e.g. 2024-05-31 ({_POINTS['issued']} metadata points).",
        f"将发布日期写成日期格式，如 2024-05-31（元数据 {_POINTS['issued']} 分）。",
        message_en="The publication date reads {value}, which is no date: it is published nowhere.",
        message_zh="发布日期为 {value}，不是有效日期，任何接口都不会发布它。"),
    "modified": FindingType("modified-not-a-date", "info", "The modification date is not a date",
        "更新日期不是有效日期",
        f"Write the date the dataset last changed as a date, e.g. 2024-05-31 ({_POINTS['modified']} metadata points).",
        f"将数据集最近一次更新的日期写成日期格式，如 2024-05-31（元数据 {_POINTS['modified']} 分）。",
        message_en="The modification date reads {value}, which is no date: it is published nowhere.",
        message_zh="更新日期为 {value}，不是有效日期，任何接口都不会发布它。"),
}
#: The media type indicator's finding when the best distribution declares one that means no media type ("comma
#: separated", S3's "binary/octet-stream": vocab.declared_media_type reads neither a media type nor a format's name in
#: it): DCAT, data.json and schema.org leave it out, so it scores as missing, with its own words.
NOT_A_MEDIA_TYPE = FindingType("media-type-not-recognised", "info", "Media type not recognised", "媒体类型无法识别",
    f"Declare an IANA media type in its place, e.g. text/csv ({_POINTS['media_type']} metadata points).",
    f"改为声明 IANA 媒体类型，如 text/csv（元数据 {_POINTS['media_type']} 分）。",
    message_en="The media type reads “{value}”, which is neither an IANA media type nor a format's name: DCAT, "
               "data.json and schema.org leave it out.",
    message_zh="媒体类型为“{value}”，既不是 IANA 媒体类型，也不是格式名称：DCAT、data.json 和 schema.org "
               "都不会发布它。")
#: An indicator's own finding when the record writes a value the indicator does not read: its words named.
NOT_READ: dict[str, FindingType] = {**NOT_A_DATE, "media_type": NOT_A_MEDIA_TYPE}
_DIST_TOTAL = sum(points for _key, points in _DIST_POINTS)
NO_DISTRIBUTION = FindingType("no-distribution", "error", "No file or link", "没有数据文件或链接",
    f"Add the data file, or a link to it ({_DIST_TOTAL} metadata points, and the stars).",
    f"添加数据文件或其链接（元数据 {_DIST_TOTAL} 分，以及星级）。",
    message_en="The dataset has no distribution: there is nothing to download, so it has no stars and none of the "
               "{points} points that depend on a file.",
    message_zh="该数据集没有任何资源：没有可下载的内容，因此没有星级，也得不到依赖文件的 {points} 分。")
EXTRA_TYPES = (MISSING_DESCRIPTION, DESCRIPTION_TOO_SHORT, TITLE_IS_FILENAME, DISTRIBUTION_UNDOCUMENTED)

#: Our finding types: the indicators' (``licence-missing`` is the stars rule's, which the table shares) and the
#: extra findings'.
TYPES: tuple[FindingType, ...] = (tuple(i.type for i in INDICATORS if i.type is not None) + EXTRA_TYPES
                                  + tuple(NOT_READ.values()) + (NO_DISTRIBUTION,))

RULE = Rule("metadata", TYPES, subject="record", part="metadata", weight=25,
            measure=f"metadata points / {MAX_POINTS}", check=assess_metadata)
