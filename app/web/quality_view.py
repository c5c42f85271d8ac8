"""The dataset page's "quality explained" section, as plain data for the template.

Why a module of its own: the assessment stores the star reasons in English sentences and the
findings as slugs with evidence; this module turns both into what a reader needs in their language
(each star passed or missed, why, and the fix for the next star), with pure functions that the page
tests exercise through the rendered page.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from quality.findings import FINDING_TYPES, download_problem

STAR_CRITERIA = (
    _l("On the web under an open licence"),
    _l("Structured, machine-readable data"),
    _l("A non-proprietary format"),
    _l("Uses URIs to denote things (RDF, or CSV with CSV on the Web metadata)"),
    _l("Links to other data for context"),
)

DIMENSIONS = {
    "findability": _l("Findability"),
    "accessibility": _l("Accessibility"),
    "interoperability": _l("Interoperability"),
    "reusability": _l("Reusability"),
    "contextuality": _l("Contextuality"),
}

RATINGS = {"excellent": _l("Excellent"), "good": _l("Good"), "sufficient": _l("Sufficient"), "bad": _l("Bad")}
SEVERITY = {"error": _l("Error"), "warning": _l("Warning"), "info": _l("Information")}

# The openness rules' English reason sentences (quality/openness.py) and their Chinese wording.
_REASONS_ZH: tuple[tuple[re.Pattern[str], Any], ...] = tuple((re.compile(p), r) for p, r in (
    (r"The file could not be downloaded \((.*?)\)\.(?=\s|$)",
     lambda m: f"无法下载文件（{download_problem(m.group(1), None, 'zh')}）。"),
    (r"The link returns an HTML web page, not the data file\.", "链接返回的是网页，而不是数据文件。"),
    (r"No licence is given\.", "未声明许可协议。"),
    (r"The licence (.+?) is not an open licence\.", r"许可协议“\1”不是开放许可协议。"),
    (r"The licence (.+?) is not recognised, so it is not counted as open\.",
     r"许可协议“\1”无法识别，因此不算作开放许可协议。"),
    (r"Its format could not be checked because the file was not downloaded\.", "文件未能下载，无法检查其格式。"),
    (r"The downloaded file has not been examined, so its format is unknown\.", "下载的文件尚未检查，格式未知。"),
    (r"An HTML web page is not structured data\.", "网页不是结构化数据。"),
    (r"The (.+?) file is encrypted, so software cannot read it\.", r"\1 文件已加密，软件无法读取。"),
    (r"An open, non-proprietary data format needs structured data first\.", "开放的非专有格式首先需要结构化数据。"),
    (r"(\S+) is a proprietary format\.", r"\1 是专有格式。"),
    (r"The file is empty: it holds no data\.", "文件为空，其中没有数据。"),
    (r"An unrecognised file \((.+?)\) is not structured, machine-readable data\.",
     r"未知类型的文件（\1）不是结构化的机器可读数据。"),
    (r"An unrecognised file is not structured, machine-readable data\.", "未知类型的文件不是结构化的机器可读数据。"),
    (r"(.+?) is not structured, machine-readable data\.", r"\1 不是结构化的机器可读数据。"),
    (r"The file is not RDF, so things are not named with URIs\.", "该文件不是 RDF，事物没有用 URI 标识。"),
    (r"(\S+) is not RDF, so things are not named with URIs\.", r"\1 不是 RDF，事物没有用 URI 标识。"),
    (r"(\S+) is not RDF and no CSV on the Web metadata of the dataset describes it, so things are not named "
     r"with URIs\.", r"\1 不是 RDF，数据集中也没有描述它的 CSV on the Web 元数据，事物没有用 URI 标识。"),
    (r"Its CSV on the Web metadata gives none of its rows an http\(s\) URI\.",
     "其 CSV on the Web 元数据没有为任何一行生成 http(s) URI。"),
    (r"Its CSV on the Web metadata links to no data on other domains\.",
     "其 CSV on the Web 元数据没有链接到其他域名上的数据。"),
    (r"Its columns link to no data on other domains\.", "其各列没有链接到其他域名上的数据。"),
    (r"It is CSV on the Web metadata: the URIs it gives are counted on the CSV it describes \((.+?)\)\.",
     r"这是 CSV on the Web 元数据：它生成的 URI 计入其所描述的 CSV（\1）。"),
    (r"The (.+?) graph names no thing with an http\(s\) URI\.", r"\1 图中没有用 http(s) URI 标识的事物。"),
    (r"It does not link to data on other domains\.", "没有链接到其他域名上的数据。"),
    (r"The file does not parse as (\S+) \((.*?)\), so it is not structured data\.",
     lambda m: f"文件无法按 {m.group(1)} 格式解析（{_where_zh(m.group(2))}），因此不是结构化数据。"),
    (r"^.*? but star (\d) is missing, and stars count only in order\.",
     r"满足此条件，但缺少第 \1 星，星级须逐级获得。"),
))


def _where_zh(where: str) -> str:
    """A parse error's position (quality/rules/not_parseable.py `where`: "line 1, column 6, byte 5") in Chinese."""
    out = re.sub(r"line (\d+)(?:, column (\d+))?", lambda m: f"第 {m.group(1)} 行" + (
        f"第 {m.group(2)} 列" if m.group(2) else ""), where)
    out = re.sub(r",? ?byte (\d+)", r"，第 \1 字节", out)
    return out.replace("position not reported by the parser", "解析器未报告位置").lstrip("，")


_DOWNLOAD_REASON = re.compile(r"The file could not be downloaded \((.*?)\)\.(?=\s|$)")


def reason_text(reason: str, lang: str) -> str:
    """A stored star reason in `lang` ("zh" rewrites the known English sentences; unknown ones stay). A download's
    problem is said in plain words (quality.findings.download_problem) in English too: a reason stored before it was
    read "could not be downloaded (127.0.0.1:5001 is skipped for the rest of this run: it failed 3 times ...)"."""
    if lang != "zh":
        return _DOWNLOAD_REASON.sub(lambda m: f"The file could not be downloaded ({download_problem(m.group(1))}).",
                                    reason)
    out = reason
    for pattern, repl in _REASONS_ZH:
        out = pattern.sub(repl, out)
    return out


def finding_text(finding: dict[str, Any], lang: str) -> tuple[str, str, str]:
    """(message, fix, title) of a stored finding in `lang`: the registry's text, filled from its evidence (a slug
    the registry does not know keeps its stored English). The dataset page and the REST API's quality say this."""
    ftype = FINDING_TYPES.get(finding.get("type", ""))
    if ftype is None:
        return finding.get("message", ""), finding.get("fix", ""), finding.get("type", "")
    evidence = finding.get("evidence") or {}
    return ftype.message(lang, evidence), ftype.fix(lang, evidence), ftype.title(lang)


def localise_finding(finding: dict[str, Any], lang: str) -> dict[str, Any]:
    """A stored finding with its message, fix and title in `lang` (the registry's text, filled from evidence)."""
    message, fix, title = finding_text(finding, lang)
    return {**finding, "message": message, "fix": fix, "title": title,
            "severity_label": str(SEVERITY.get(finding.get("severity", ""), finding.get("severity", "")))}


def assessment_in(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    """An assessment document (app.assessment.assessment_document) with its texts for people in `lang` as the
    dataset page says them: each finding's message and fix, each file's star reasons. Slugs, severities, files,
    evidence and every number stay as stored."""
    out = dict(doc)
    if isinstance(doc.get("findings"), list):
        out["findings"] = [finding_in(f, lang) if isinstance(f, dict) else f for f in doc["findings"]]
    if isinstance(doc.get("distributions"), list):
        out["distributions"] = [
            {**d, "reasons": [reason_text(r, lang) if isinstance(r, str) else r for r in d["reasons"]]}
            if isinstance(d, dict) and isinstance(d.get("reasons"), list) else d for d in doc["distributions"]]
    return out


def most_severe_first(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings errors first, then warnings, then advice, each severity in the order the rules raised them: the
    page listed advice before the personal data a file publishes, in the order the rules ran."""
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order.get(f.get("severity") or "info", 3))


def finding_in(finding: dict[str, Any], lang: str) -> dict[str, Any]:
    """A stored finding with its message and fix in `lang` (`finding_text`), its other keys as stored."""
    message, fix, _title = finding_text(finding, lang)
    return {**finding, "message": message, "fix": fix}


def star_ladder(dist: dict[str, Any], findings: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Stars 1-5 of one assessed distribution: passed or not, the reason a star is missed, and for the
    first missed star the fix (from the finding the openness rules raised for that distribution)."""
    stars = int(dist.get("stars") or 0)
    reasons = list(dist.get("reasons") or [])
    mine = [f for f in findings if f.get("distribution") == dist.get("id")]
    openness = {t.slug for t in FINDING_TYPES.rule("stars").types}
    fixes = [localise_finding(f, lang)["fix"] for f in mine if f.get("type") in openness]
    ladder = []
    for level in range(1, 6):
        row: dict[str, Any] = {"level": level, "criterion": str(STAR_CRITERIA[level - 1]), "passed": level <= stars,
                               "reason": "", "fix": ""}
        if level > stars:
            index = level - stars - 1
            row["reason"] = reason_text(reasons[index], lang) if index < len(reasons) else ""
            if level == stars + 1:
                row["fix"] = " ".join(fixes)
        ladder.append(row)
    return ladder


def dimensions(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Metadata points per MQA dimension, in the EU's order, with a percentage."""
    out = []
    for key, label in DIMENSIONS.items():
        dim = (metadata.get("dimensions") or {}).get(key)
        if dim:
            points, most = int(dim.get("points") or 0), int(dim.get("max") or 0)
            out.append({"key": key, "label": str(label), "points": points, "max": most,
                        "percent": round(100 * points / most) if most else 0})
    return out


def rating_label(rating: str | None) -> str:
    return str(RATINGS.get(rating or "", rating or _("unknown")))


def file_label(url: str | None) -> str:
    """A file named by the last part of its address, for a finding of one of several files."""
    from urllib.parse import unquote, urlsplit

    path = urlsplit(url or "").path.rstrip("/")
    return unquote(path.rsplit("/", 1)[-1]) or (url or "-")


PART_LABELS = {"openness": _l("Openness (stars)"), "metadata": _l("Metadata"), "data": _l("Data quality"),
               "timeliness": _l("Timeliness"), "accessibility": _l("Accessibility")}


def score_parts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """How the 0-100 score is made (quality/assess.py): each part's own percentage, its weight, and the points it
    gives and loses; a part not measured (no table: no data part) has its weight spread over the others, as the
    score does.

    The figures are tenths, apportioned (largest remainder) so that the weights add up to 100, the points to the
    score and the lost points to 100 less it, exactly: each rounded on its own, "Quality score: 99/100" stood above
    a metadata row losing 1.5 points, and the parts of most datasets added up to half a point off their score.

    Personal data in a public file caps the score (PII_CAP): the parts of the hotline complaints gave 85.5 points
    and the page said 40 without a row for the 45.5 the cap took, so a last row (`cap`) says what it took and the
    points and lost columns add up to the score and to 100 less it."""
    from quality.assess import PII_CAP, WEIGHTS

    subscores = doc.get("subscores") or {}
    present = {k: w for k, w in WEIGHTS.items() if subscores.get(k) is not None}
    total = sum(present.values()) or 100
    measured = _measured(doc, present)
    shares = {part: weight * 1000 / total if part in present else 0.0 for part, weight in WEIGHTS.items()}
    gots = {part: shares[part] * measured[part] if part in present else 0.0 for part in WEIGHTS}
    gained = sum(gots.values()) / 10  # what the parts give together, before the cap
    score = doc.get("score")
    capped = bool(doc.get("pii")) and isinstance(score, int | float) and gained - score >= 0.5
    given = round(gained * 10) if capped or not isinstance(score, int | float) else round(score * 10)
    # the rounding goes to the parts measured between 0% and 100%: one at 100% loses nothing and one at 0% gives
    # nothing, whatever the rounding (only when there is no such part do the others take it)
    partial = [k for k in present if 0 < subscores[k] < 100]
    # and among those, first to the parts whose points are no whole tenth: 60% of 35 is 21.0 points, and an
    # official checking the row saw 21.2 where the metadata's 22.53 could take the rounding
    inexact = [k for k in partial if abs(gots[k] - round(gots[k])) > 1e-6]
    points = _apportion(gots, given, inexact or partial or [k for k in present if subscores[k] > 0])
    lost = _apportion({k: shares[k] - gots[k] for k in WEIGHTS}, (1000 if present else 0) - given,
                      inexact or partial or [k for k in present if subscores[k] < 100])
    out = []
    for part in WEIGHTS:
        out.append({"part": part, "label": PART_LABELS.get(part, part), "percent": subscores.get(part),
                    "weight": (points[part] + lost[part]) / 10, "points": points[part] / 10,
                    "lost": lost[part] / 10})
    if capped:
        took = given - round(score * 10)
        out.append({"part": "cap", "label": _("Cap for personal data in a public file (at most %(cap)s)", cap=PII_CAP),
                    "percent": None, "weight": None, "points": -took / 10, "lost": took / 10, "cap": True})
    return out


def _measured(doc: dict[str, Any], present: dict[str, int]) -> dict[str, float]:
    """Each measured part as the score took it (0-1), from what the document keeps (the stars, the metadata points,
    the files' link checks, the timeliness) rather than its whole percentage, where that says the same: the score
    weighs 365/405 of metadata, not the 90% the document rounds it to. The data part has only its percentage."""
    from quality import timeliness
    from quality.rules import accessibility

    subscores = doc.get("subscores") or {}
    meta, late = doc.get("metadata") or {}, doc.get("timeliness") or {}
    exact: dict[str, Any] = {}
    try:
        exact["openness"] = int(doc["stars"]) / 5
        exact["metadata"] = int(meta["points"]) / int(meta["max"])
        exact["accessibility"] = accessibility.score(doc["distributions"])
        exact["timeliness"] = timeliness.score(timeliness.Timeliness(
            periods_late=float(late.get("periods_late") or 0), expected_days=late.get("expected_days"),
            age_days=late.get("age_days"), stale=bool(late.get("stale"))))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        pass  # an older or partial document: its percentages
    out = {}
    for part in present:
        value = exact.get(part)
        out[part] = value if value is not None and round(value * 100) == subscores[part] else subscores[part] / 100
    return out


def _apportion(exact: dict[str, float], total: int, movable: list[str]) -> dict[str, int]:
    """Whole numbers near `exact` (none below 0) that add up to `total`: each rounded, then the difference moved one
    at a time to (or from) the `movable` one whose rounding gave away (took) the most."""
    out = {k: max(round(v), 0) for k, v in exact.items()}
    while (short := total - sum(out.values())) != 0:  # each turn moves one nearer, or stops
        step = 1 if short > 0 else -1
        open_ = [k for k in out if k in movable and (step > 0 or out[k] > 0)]
        if not open_:
            break
        pick = max(open_, key=lambda k: (exact[k] - out[k]) * step)
        out[pick] += step
    return out
