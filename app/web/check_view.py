"""The pre-publication check as the agency reads it: findings grouped by severity (errors first), the same
finding on several files said once with the files named, each with a link to the field or action that fixes
it, numbers rounded, vocabulary words instead of codes, no raw error strings, and one line that says what
publishing needs.

Pure functions over the check's result (app/services/check.py) and the dataset's files; the publish page
(app/web/publish.py) renders what `present` returns.
"""

from __future__ import annotations

import string
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import current_lang
from app.web import quality_view
from catalog_schema import vocab
from catalog_schema.record import pick_text
from quality.findings import (
    FINDING_TYPES,
    SEVERITIES,
    UNRECOGNISED,
    download_problem,
    format_label,
    table_problem,
    worded,
)

SEVERITY_HEADINGS = {"error": _l("Errors: fix these first"), "warning": _l("Warnings"),
                     "info": _l("Suggestions")}

# Where each finding is fixed: the form field (its id on the page) or the part of the page with the action.
_FIELD_TARGETS = {
    "missing-keywords": ("m-keywords", _l("Keywords")),
    "missing-theme": ("m-themes", _l("Themes")),
    "missing-spatial": ("m-spatial", _l("Spatial coverage")),
    "missing-temporal": ("m-temporal-start", _l("Time period")),
    "licence-missing": ("m-license", _l("Licence")),
    "licence-unknown": ("m-license", _l("Licence")),
    "licence-not-open": ("m-license", _l("Licence")),
    "missing-access-rights": ("m-access-rights", _l("Access rights")),
    "access-rights-not-in-vocabulary": ("m-access-rights", _l("Access rights")),
    "missing-contact-point": ("m-contact-email", _l("Contact point")),
    "missing-rights": ("m-rights", _l("Rights statement")),
    "missing-issued": ("m-issued", _l("Issued")),
    "missing-modified": ("m-modified", _l("Last modified")),
    "issued-not-a-date": ("m-issued", _l("Issued")),
    "modified-not-a-date": ("m-modified", _l("Last modified")),
    "modified-missing": ("m-modified", _l("Last modified")),
    "stale": ("m-modified", _l("Last modified")),
    "frequency-missing": ("m-frequency", _l("Update frequency")),
    "missing-description": ("m-description", _l("Description")),
    "description-too-short": ("m-description", _l("Description")),
    "title-is-filename": ("m-title", _l("Title")),
    "dcat-ap-violation": ("m-description", _l("Metadata")),
    "missing-publisher": ("dataset-state", _l("Publisher")),
}
_PII_TYPES_PREFIX = ("pii-",)
#: The findings fixed in a file's own media type box (`_unread_media_type` says which file's).
_MEDIA_TYPE_FINDINGS = ("missing-media-type", "media-type-not-recognised")

def problem_text(raw: Any, status: Any = None) -> str:
    """A download problem in the reader's words (an HTTP status stays a number): the words the link-broken finding
    says it in (quality.findings.download_problem). This page's own table named an address the portal refuses to
    fetch (a private network) "the server refused the connection", which the finding beside it did not."""
    return download_problem(None if raw is None else str(raw), status, current_lang())


def number(value: float) -> str:
    """A measured number, rounded as people read it: whole above 10, one decimal below."""
    if abs(value) >= 10:
        return f"{round(value):,}"
    return f"{round(value, 1):g}"


def _format_word(value: Any, lang: str) -> str:
    """A format's label; bytes no format was recognised in said with what they were found to be ("an unrecognised
    file (7z)": a file of unknown type (7z), 未知类型的文件（7z）), as the finding's own text says it: the page said
    "a file of unknown type" beside a finding that named the 7z."""
    text = str(value or "")
    if text.startswith(UNRECOGNISED):
        kind = text[len(UNRECOGNISED):].strip().removeprefix("(").removesuffix(")")
        return _("a file of unknown type (%(kind)s)", kind=kind) if kind else _("a file of unknown type")
    if not text or text.lower() in ("unknown", "none"):
        return _("a file of unknown type")
    fmt = vocab.format_by_code(text.upper())
    return fmt.label if fmt is not None else format_label(text, lang)


def _frequency_word(value: Any, lang: str) -> str:
    freq = vocab.FREQUENCIES.get(str(value or "").upper())
    if freq is None:
        return str(value or _("(not given)"))
    return freq.label_zh if lang == "zh" else freq.label_en


def display_evidence(ftype_slug: str, evidence: dict[str, Any], lang: str) -> dict[str, Any]:
    """The evidence a finding's text is filled from, made readable: rounded numbers, vocabulary words,
    no raw error strings, and a word (not "?") where a value is missing."""
    out: dict[str, Any] = {}
    for key, value in evidence.items():
        if isinstance(value, bool):
            out[key] = value
        elif isinstance(value, float):
            out[key] = number(value)
        elif isinstance(value, int) and abs(value) >= 10_000:
            out[key] = f"{value:,}"
        elif key == "frequency":
            out[key] = _frequency_word(value, lang)
        elif key in ("sniffed", "declared", "detected", "format") and isinstance(value, (str, type(None))):
            out[key] = _format_word(value, lang)
        elif key in ("licence", "license"):
            lic = vocab.licence_by_id(str(value)) if value else None
            if not value:
                out[key] = _("(not given)")
            elif lic is not None:
                out[key] = lic.title
            else:  # a text the catalog does not know, quoted: by the Chinese texts themselves (许可协议“{licence}”)
                out[key] = str(value) if lang == "zh" else f"“{value}”"
        elif key == "problem" and ftype_slug == "link-broken":  # a download's problem (a parser's is its own:
            out[key] = download_problem(value, evidence.get("http_status"), lang)  # it read "下载失败" for NUL bytes)
        elif key == "error" and ftype_slug == "table-unreadable":
            out[key] = table_problem(value, lang)
        else:
            out[key] = value
    ftype = FINDING_TYPES.get(ftype_slug)
    if ftype is not None:  # every placeholder gets a word, never the formatter's "?"
        # but not those the finding's own wording derives from other evidence (quality.findings.worded: where
        # personal data was found, a stale finding's date, a parser's problem in Chinese): "(not given)" in their
        # place hid what it derives, and the check page read "（未提供） 含有 30 个手机号码（未提供）"
        said = worded(out, lang)
        for template in ftype.templates():
            for _text, name, _spec, _conv in string.Formatter().parse(template or ""):
                if name and said.get(name) is None:
                    out[name] = _("(not given)")
    return out


def _text(finding: dict[str, Any], lang: str) -> dict[str, str]:
    ftype = FINDING_TYPES.get(finding.get("type", ""))
    if ftype is None:
        return {"title": finding.get("type", ""), "message": finding.get("message", ""),
                "fix": finding.get("fix", "")}
    evidence = display_evidence(ftype.slug, finding.get("evidence") or {}, lang)
    return {"title": ftype.title(lang), "message": ftype.message(lang, evidence), "fix": ftype.fix(lang, evidence)}


def file_names(ds) -> dict[str, str]:
    """Each distribution's id (and URLs) -> the name the agency knows it by (its title, else its file name)."""
    out: dict[str, str] = {}
    for row in ds.distributions:
        upload = (row.extras or {}).get("upload") or {}
        name = pick_text(row.title) or upload.get("filename") or row.download_url or row.access_url or row.id
        for key in (row.id, row.remote_id, row.download_url, row.access_url):
            if key:
                out.setdefault(str(key), name)
    return out


def _unread_media_type(ds, finding: dict[str, Any]) -> str | None:
    """The file a media-type finding is about (the indicator counts the best file and names none): of the files whose
    media type the exports read none in, the one written as the finding quotes it, else one with none written, else
    the first."""
    rows = [r for r in getattr(ds, "distributions", None) or [] if vocab.plain_media_type(r.media_type) is None]
    written = str((finding.get("evidence") or {}).get("value") or "")
    found = (next((r for r in rows if written and str(r.media_type or "")[:80] == written), None)
             or next((r for r in rows if not r.media_type), None) or (rows[0] if rows else None))
    return found.id if found is not None else None


def _target(slug: str, finding: dict[str, Any], ds=None) -> tuple[str, str]:
    if slug in _MEDIA_TYPE_FINDINGS and (dist := _unread_media_type(ds, finding)):
        return f"#media-type-{dist}", _("Fix it: %(field)s", field=_("Media type"))
    if slug in _FIELD_TARGETS:
        anchor, label = _FIELD_TARGETS[slug]
        return "#" + anchor, _("Fix it: %(field)s", field=label)
    if slug.startswith(_PII_TYPES_PREFIX):
        return "#pii", _("Fix it: personal data")
    if finding.get("distribution"):
        return "#dist-" + str(finding["distribution"]), _("Fix it: the file")
    return "#files-h", _("Fix it: files and links")


def present(result: dict[str, Any], ds, lang: str) -> dict[str, Any]:
    """What the check section shows: groups by severity, the metadata points, and what publishing needs."""
    names = file_names(ds)
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in result.get("findings") or []:
        slug = finding.get("type", "")
        text = _text(finding, lang)
        key = (slug, text["message"])
        item = merged.get(key)
        if item is None:
            href, label = _target(slug, finding, ds)
            item = merged[key] = {"type": slug, "severity": finding.get("severity") or "info", **text,
                                  "files": [], "href": href, "action": label}
        dist = finding.get("distribution")
        if dist:
            name = names.get(str(dist), _("a file no longer listed"))
            if name not in item["files"]:
                item["files"].append(name)
    groups = []
    for severity in SEVERITIES:
        items = [i for i in merged.values() if i["severity"] == severity]
        if items:
            groups.append({"severity": severity, "heading": str(SEVERITY_HEADINGS[severity]),
                           "label": str(quality_view.SEVERITY[severity]), "findings": items})
    metadata = ((result.get("assessment") or {}).get("parts") or {}).get("metadata") \
        or (result.get("assessment") or {}).get("metadata") or {}
    return {"groups": groups, "count": len(merged), "needs": needs(result, getattr(ds, "state", None)),
            "points": metadata.get("points"), "max": metadata.get("max")}


def needs(result: dict[str, Any], state: str | None = None) -> str:
    """One line: what publishing needs now; for a published dataset (`state` "active"), what the gate withholds
    (it is public already: "To publish" read as if replacing a file had taken it off the portal)."""
    blocked = result.get("blocked_by") or []
    if state == "active" and "pii" in blocked:
        return _("Published, but the files with personal data are withheld from the public: remove the personal "
                 "data from them, or an admin of the publisher overrides the block with a reason.")
    if "no-distributions" in blocked and "pii" in blocked:
        return _("To publish: add a data file or link, and resolve the personal data found.")
    if "no-distributions" in blocked:
        return _("To publish: add at least one data file or link.")
    if "pii" in blocked:
        return _("To publish: remove the personal data from the file, or an admin of the publisher overrides "
                 "the block with a reason.")
    errors = any(f.get("severity") == "error" for f in result.get("findings") or [])
    if state == "active":  # published: nothing left to block (it said "Nothing blocks publishing" after publishing)
        return _("Published. The errors below cost the most points: fix them first; each says how.") if errors \
            else _("Published. Each finding below says how to win its points back.")
    if result.get("stars") == 0 and errors:  # "Nothing blocks publishing" above "Errors: fix these first: No licence"
        return _("Nothing blocks publishing, but as it is the dataset would be published with 0 stars (not open data): "
                 "fix the errors below first.")
    if errors:
        return _("Nothing blocks publishing, but the errors below cost the most points: fix them first.")
    return _("Nothing blocks publishing: the findings below only cost points.")
