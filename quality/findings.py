"""Typed findings: every point a dataset loses is one `Finding` with a stable slug and a fix hint.

Tests, the API and the web pages all speak in slugs, so the slug is the contract and the text
is presentation. The text lives in one table, `FINDING_TYPES`, in English and Chinese, as
templates filled from the finding's evidence: adding a rule means adding one `FindingType` row
to `_TABLE` below, nothing else.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any, Literal

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


class _Lenient(string.Formatter):
    """Formats a template, leaving a visible "?" for evidence that is missing instead of raising.

    A finding must never crash the assessment that raises it because one value was absent.
    """

    def get_value(self, key, args, kwargs):
        if isinstance(key, int):
            return args[key] if key < len(args) else "?"
        value = kwargs.get(key)
        return "?" if value is None else value

    def format_field(self, value, format_spec):
        try:
            return super().format_field(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


_FORMATTER = _Lenient()


def _fill(template: str, evidence: dict[str, Any]) -> str:
    return _FORMATTER.vformat(template, (), evidence)


@dataclass(frozen=True)
class FindingType:
    """The registry row of one finding slug: severity, titles, message and fix templates.

    `message_*` and `fix_*` are `str.format` templates over the finding's evidence keys.
    When no message template is given the title is the message. `weight` is the share of the
    score this rule may cost, for rules that feed the overall score (None when it does not).
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

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"finding type {self.slug!r}: unknown severity {self.severity!r}")

    def message(self, lang: str, evidence: dict[str, Any]) -> str:
        if lang == "zh":
            return _fill(self.message_zh or self.title_zh, evidence)
        return _fill(self.message_en or self.title_en, evidence)

    def fix(self, lang: str, evidence: dict[str, Any]) -> str:
        return _fill(self.fix_zh if lang == "zh" else self.fix_en, evidence)

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


_TABLE: tuple[FindingType, ...] = (
    # --- openness (five stars, DESIGN 5.1) ---
    FindingType(
        "link-broken", "error",
        "Broken link", "链接失效",
        "Fix the link so that {url} downloads the file; the distribution scores no stars until it does.",
        "修复链接，使 {url} 可以下载文件；在此之前该资源得零星。",
        message_en="The file at {url} could not be downloaded ({problem}).",
        message_zh="无法下载 {url} 的文件（{problem}）。",
    ),
    FindingType(
        "licence-missing", "error",
        "No licence", "未声明许可协议",
        "State an open licence (for example CC-BY-4.0 or OGL-UK-3.0) on the dataset or the distribution "
        "to reach one star.",
        "在数据集或资源上声明开放许可协议（如 CC-BY-4.0），即可获得一星。",
        message_en="No licence is given, so nobody may legally reuse the data.",
        message_zh="未声明许可协议，他人无法合法地再利用这些数据。",
    ),
    FindingType(
        "licence-not-open", "error",
        "Licence not open", "许可协议不开放",
        "Publish under an open licence (one that conforms to the Open Definition, such as CC-BY-4.0) "
        "to reach one star.",
        "改用符合开放定义的许可协议（如 CC-BY-4.0）发布，即可获得一星。",
        message_en="The licence {licence} is not an open licence.",
        message_zh="许可协议 {licence} 不是开放许可协议。",
    ),
    FindingType(
        "format-mismatch", "warning",
        "Declared format differs from the file", "声明的格式与文件不符",
        "Correct the declared format to {sniffed} (or publish the file the metadata promises).",
        "将声明的格式更正为 {sniffed}（或发布元数据所承诺的文件）。",
        message_en="The format is declared as {declared}, but the file is {sniffed}.",
        message_zh="声明的格式为 {declared}，但文件实际为 {sniffed}。",
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
        "not-machine-readable", "warning",
        "Not machine-readable", "非机器可读格式",
        "Publish the data as a structured file (CSV, JSON or XML rather than {format}) to reach "
        "two stars, or three with an open format.",
        "以结构化文件（CSV、JSON 或 XML，而非 {format}）发布数据，即可获得两星；采用开放格式可得三星。",
        message_en="The file is {format}, which software cannot read as data{detail}.",
        message_zh="文件为 {format} 格式，软件无法将其作为数据读取{detail_zh}。",
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
        "Publish the data as RDF (Turtle, JSON-LD or RDF/XML) that names each thing with an http(s) URI "
        "to reach four stars.",
        "以 RDF（Turtle、JSON-LD 或 RDF/XML）发布数据，并用 http(s) URI 标识每个事物，即可获得四星。",
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
        message_en="The RDF names {subjects} things with URIs but links to no data on other domains.",
        message_zh="该 RDF 用 URI 标识了 {subjects} 个事物，但没有链接到其他域名的数据。",
    ),
    FindingType(
        "archive-bomb", "error",
        "Archive expands to an unsafe size", "压缩包解压后大小异常",
        "Publish an archive whose members are a sensible size, or the files themselves uncompressed.",
        "发布解压后大小合理的压缩包，或直接发布未压缩的文件。",
        message_en="The archive member {member} claims {uncompressed} bytes from {compressed} "
        "(ratio {ratio}); it was not unpacked.",
        message_zh="压缩包成员 {member} 由 {compressed} 字节解压为 {uncompressed} 字节（压缩比 {ratio}），未予解压。",
    ),
)

FINDING_TYPES: dict[str, FindingType] = {}


def register(ftype: FindingType) -> FindingType:
    """Add a finding type; a slug may be registered once, so two rules cannot share a slug by accident."""
    if ftype.slug in FINDING_TYPES:
        raise ValueError(f"finding type {ftype.slug!r} is already registered")
    FINDING_TYPES[ftype.slug] = ftype
    return ftype


for _row in _TABLE:
    register(_row)


def make_finding(slug: str, *, distribution: str | None = None, **evidence: Any) -> Finding:
    """A Finding of a registered type, its English message and fix filled from `evidence`.

    An unknown slug raises KeyError: a typo in a rule must fail loudly, not invent a type.
    """
    ftype = FINDING_TYPES[slug]
    return Finding(
        type=slug,
        severity=ftype.severity,
        message=ftype.message("en", evidence),
        fix=ftype.fix("en", evidence),
        distribution=distribution,
        evidence=dict(evidence),
    )
