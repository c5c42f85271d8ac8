"""One dataset -> one Assessment: stars, score, metadata points, data quality, findings.

Two steps. `collect_facts` turns the link checks (quality.fetch) into facts per
distribution by reading the archived copies: the sniffed format and encoding, RDF
link statistics, the table profile. `assess` is then pure: record + facts + now in,
the assessment out (the JSON shape docs/quality.md describes).

The overall score (0-100) weighs five parts (PARTS); each part's weight is declared by the rule
that measures it (quality.rules), gathered here in WEIGHTS and listed in docs/quality.md.
Personal data found in a public file caps the score at PII_CAP.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog_schema import datapackage, dates, vocab
from catalog_schema.record import Record
from quality import member, openness, timeliness
from quality import metadata as metadata_mod
from quality.csvw import described as csvw_described
from quality.fetch import CheckResult
from quality.findings import FINDING_TYPES, Finding, english_texts
from quality.rules import (
    accessibility,
    csvw_metadata,
    encoding_declared,
    format_mismatch,
    not_parseable,
    pii,
    pii_file,
    table_score,
    table_unreadable,
    truncated_copy,
)

log = logging.getLogger(__name__)

#: The rule set's version, recorded on every assessment and part of the fingerprint of the check kept with a draft
#: (app/services/check.py): raise it when a rule changes what files already checked are found to hold, so those
#: checks are computed again when next viewed instead of shown stale. 1.1: personal data outside the table (another
#: sheet, a ZIP member, notes rows) is a finding (quality/rules/pii_file.py), which blocks publishing. 1.2: a column
#: typed date, time or boolean has its cells that are not of its type scanned for personal data (an ID number below
#: a hundred dates was in no fact: quality/tabular/profiler.py). 1.3: a column name that is personal data itself (a
#: file without a header row has its first row read as its names) is personal data found in the table, a finding of
#: its own ("in the header row") and in the facts the serving gate decides on; it is no longer counted beside the
#: table (quality/rules/pii.py, quality/tabular/profiler.py `personal_names`).
#: Also in 1.3: a file is read in the encoding its metadata or server declares when the bytes bear it out,
#: and a declaration they refute is a finding (quality/rules/encoding_declared.py).
#: 1.4: a distribution's media type scores its metadata points only when it means a media type as every export reads
#: it (catalog_schema.vocab.declared_media_type: "CSV" is text/csv); words that mean none ("comma separated") lose
#: them with a finding of their own (media-type-not-recognised), as the exports leave them out (quality/metadata.py).
#: 1.5: a linked file larger than the download limit, whose copy is its first part, is a finding (file-truncated,
#: quality/rules/truncated_copy.py); what a GZIP holds is scanned for personal data (quality/tabular/whole.py).
#: 1.6: an empty file is said to be empty (empty-file), not "an unrecognised file" declared wrong (format-mismatch).
#: Also in 1.6: JSON cut off stays JSON that does not parse (not a CSV); JSON Lines is read as a table of records.
#: Also in 1.6: the member of a ZIP or GZIP the stars rate is parsed and its RDF counted (quality/member.py).
#: Also in 1.6: a CSV header longer than 256 KiB is read whole, not cut (quality/tabular/csvfile.py `_head`).
#: 1.7: a CSV described by CSV on the Web metadata published beside it (another distribution of the dataset) earns
#: four stars when the metadata's aboutUrl gives its rows http(s) URIs and five when its valueUrls link to data on
#: other domains; metadata that cannot be used is a finding (quality/csvw/, quality/rules/csvw_metadata.py).
#: Also in 1.7: numbers typed in full-width digits and ID numbers grouped 6-8-4 are personal data (quality/pii.py
#: `_plain`); what the whole-file scan cannot read to its end withholds the file itself (quality/tabular/whole.py
#: `UNSCANNED`).
#: 1.8: the text of a PDF is scanned for personal data (a file, a ZIP member, what a GZIP holds:
#: quality/tabular/whole.py `_pdf`), its findings naming the pages; pages without text are said (pdf-no-text), a PDF
#: that cannot be opened or read to its end too (pdf-not-read), and withholds the file (quality/rules/pii_file.py).
#: Also in 1.8: any other part the scan could not read to its end is said to its publisher (part-not-read).
#: 1.9: a finding type may say another fix (and message) for a case its own sentence reads wrong of (Variant,
#: quality/findings.py): format-mismatch of a file of no recognised format says what was found and asks for an open
#: format or a corrected declaration (it said "Correct the declared format to an unrecognised file (7z)");
#: not-machine-readable of such a file or of one not examined yet, link-broken of a distribution with no address and
#: encoding-declared-wrong of a name that is no encoding too. Their evidence says `recognised` and `examined`.
#: 1.10: a file of no recognised format declared CSV, TSV or JSON (a 7z or RAR archive the sniffer knows by its magic
#: bytes, a blob no encoding reads even without its NUL bytes) is format-mismatch and not-machine-readable, not
#: not-parseable "5 NUL byte(s)" of a CSV it never was (quality/rules/not_parseable.py `not_text`); a CSV with stray
#: NUL bytes stays not-parseable. format-mismatch of an archive of another format ("ZIP of XLSX") asks to declare the
#: archive, ZIP, naming what it holds (evidence `archive`, `holds`): it said "Correct the declared format to ZIP of
#: XLSX"; in English the file is "Excel XLSX in a ZIP archive", as in Chinese. Stars are unchanged.
RULESET_VERSION = "1.10"

#: The parts of the overall score, in report order; each part's weight is declared by the rule that
#: measures it. When a dataset has no tabular distribution, the data part's weight is spread over the others.
PARTS = ("openness", "metadata", "data", "timeliness", "accessibility")
WEIGHTS: dict[str, int] = {r.part: r.weight for r in sorted(
    (r for r in FINDING_TYPES.rules() if r.weight is not None), key=lambda r: PARTS.index(r.part))}
assert tuple(WEIGHTS) == PARTS and sum(WEIGHTS.values()) == 100, WEIGHTS
PII_CAP = pii.CAP
SNIFF_BYTES = 4 * 1024 * 1024
PII_SLUGS = pii.SLUGS
#: The stars findings that advise publishing RDF (or its links): not said of CSVW metadata (quality.csvw)
_RDF_ADVICE = frozenset({"no-uris", "no-external-links"})


@dataclass
class DistributionFacts:
    key: str
    url: str | None
    check: CheckResult | None = None
    sniffed: Any = None
    rdf_subjects: int = 0
    rdf_links: int = 0
    profile: Any = None
    profile_error: str | None = None
    parse_error: dict[str, Any] | None = None  # where the file failed to parse as what it is (not-parseable)
    findings: list[Finding] = field(default_factory=list)
    transient: bool = False  # the read failed for a reason of the moment (the disk, memory): not kept
    #: The whole-file scan of the copy (quality.tabular.whole.scan_whole: ``{"parts", "table", "pdf"}``), when the
    #: caller handed `collect_facts` one: the caller's, kept where the doors that hand out the file read it, so not READ
    whole: dict[str, Any] | None = None
    #: What the CSVW metadata of the dataset that describes this CSV gives on its rows, and the problem of this
    #: distribution's CSVW metadata when it could not be used (quality.csvw.described): they depend on two files,
    #: so they are not in this file's kept facts (READ)
    csvw: dict[str, Any] | None = None
    csvw_problem: dict[str, Any] | None = None
    csvw_describes: str | None = None  # the CSV this CSVW metadata describes (its URIs are counted there)

    #: What reading the archived copy found (the rest, key, url and check, is the caller's).
    READ = ("sniffed", "rdf_subjects", "rdf_links", "profile", "profile_error", "parse_error")

    def to_doc(self) -> dict[str, Any] | None:
        """What reading the file found, as JSON that `with_doc` turns back into equal facts; None when it would
        not come back equal (a value JSON cannot carry), or when it would keep personal data (`names_personal`):
        such facts are not kept (quality.facts_cache)."""
        if self.findings or self.transient or self.names_personal():
            return None
        doc = {"sniffed": self.sniffed.to_dict(exact=True) if self.sniffed is not None else None,
               "rdf_subjects": self.rdf_subjects, "rdf_links": self.rdf_links,
               "profile": self.profile.to_dict() if self.profile is not None else None,
               "profile_error": self.profile_error, "parse_error": self.parse_error}
        try:
            doc = json.loads(json.dumps(doc, ensure_ascii=False, allow_nan=False))
        except (TypeError, ValueError):
            return None
        again = DistributionFacts(self.key, self.url, self.check).with_doc(doc)
        return doc if all(getattr(again, name) == getattr(self, name) for name in self.READ) else None

    def names_personal(self) -> bool:
        """Whether the table's column names are personal data themselves (a file without a header row has its first
        row of data read as its names: a citizen's ID number): its profile holds them in its header, its types and
        its counts per column, which the serving gate's facts and the data dictionary take from it by name. Such
        facts are not kept beside the archive (`to_doc`): kept, they were personal data at rest beyond what the
        gate needs, and said by position they no longer name the table's columns. The copy is read again at each
        re-check instead (it blocks publishing until it is fixed or an admin overrides it)."""
        profile = self.profile
        if profile is None:
            return False
        from quality import pii  # pyarrow: not for the registry's first import

        return bool(profile.header_pii) or bool(pii.personal_names(
            [str(n) for n in [*(profile.header or []), *(profile.inferred_types or {})] if n is not None]))

    def with_doc(self, doc: dict[str, Any]) -> DistributionFacts:
        """These facts with what `to_doc` kept of an earlier read of the same bytes."""
        from quality.sniff.model import Sniffed
        from quality.tabular.model import TableProfile

        self.sniffed = Sniffed.from_dict(doc["sniffed"]) if doc.get("sniffed") else None
        self.rdf_subjects, self.rdf_links = doc.get("rdf_subjects") or 0, doc.get("rdf_links") or 0
        self.profile = TableProfile.from_dict(doc["profile"]) if doc.get("profile") else None
        self.profile_error, self.parse_error = doc.get("profile_error"), doc.get("parse_error")
        return self


def dist_key(dist: Record) -> str:
    return str(dist.get("catalog_id") or dist.get("id") or dist.get("download_url") or dist.get("access_url"))


def dist_url(dist: Record) -> str | None:
    return dist.get("download_url") or dist.get("access_url")


WholeScan = Callable[[str, str, "str | None"], dict[str, Any]]


def collect_facts(record: Record, checks: dict[str, CheckResult], *, cache_dir: str | Path | None = None,
                  whole: WholeScan | None = None) -> dict[str, DistributionFacts]:
    """Facts per distribution from its archived copy (sniff, RDF stats, table profile).

    With `cache_dir` (the archive), the facts of a file already read with the same sha256 and variant are
    taken from quality.facts_cache instead of reading it again, and new ones are kept there. With `whole`
    (``(sha256, path, sniffed format) -> {"parts", "table", "pdf"}``), each copy read is also scanned whole (every
    sheet, member, line and PDF page: quality.tabular.whole), for the personal data outside its table
    (quality.rules.pii_file)."""
    from quality import facts_cache

    facts: dict[str, DistributionFacts] = {}
    for dist in record.get("distributions") or []:
        key = dist_key(dist)
        fact = DistributionFacts(key=key, url=dist_url(dist), check=checks.get(key))
        facts[key] = fact
        check = fact.check
        if check is None or not check.reachable or not check.path or not Path(check.path).exists():
            continue
        name = Path(dist_url(dist) or "").name or None
        declared = format_mismatch.declared_code(dist.get("format") or dist.get("format_raw"))
        encoding = datapackage.declared_encoding(dist.get("extras"))
        if cache_dir is None or not check.sha256:
            _read(fact, Path(check.path), dist, name, declared, encoding)
            continue
        variant = facts_cache.variant(filename=name, media_type=check.media_type, declared=declared,
                                      schema=dist.get("schema"), encoding=encoding)
        kept = facts_cache.load(cache_dir, check.sha256, variant)
        if kept is not None:
            fact.with_doc(kept)
        else:
            _read(fact, Path(check.path), dist, name, declared, encoding)
            doc = fact.to_doc()
            if doc is not None:
                facts_cache.save(cache_dir, check.sha256, variant, doc)
            elif fact.names_personal():  # what an older engine kept of this copy held the names: gone
                facts_cache.forget(cache_dir, check.sha256)
    schemas = {dist_key(d): d["schema"] for d in record.get("distributions") or [] if d.get("schema")}
    csvw_described.describe(facts, schemas, cache_dir=cache_dir)
    if whole is not None:
        for fact in facts.values():
            _scan_whole(fact, whole)
    return facts


def _scan_whole(fact: DistributionFacts, whole: WholeScan) -> None:
    check = fact.check
    if fact.sniffed is None or check is None or not check.sha256 or not check.path:
        return
    try:
        fact.whole = whole(check.sha256, check.path, fact.sniffed.format)
    except Exception as exc:  # noqa: BLE001 - a file no reader takes: no finding here, and the doors fail closed
        log.info("whole-file scan of %s failed: %s", check.sha256[:12], exc.__class__.__name__)


def _read(fact: DistributionFacts, path: Path, dist: Record, name: str | None, declared: str | None,
          encoding: str | None = None) -> None:
    """Read one archived copy: sniff it (in the `encoding` its metadata declares, or its server's charset, when the
    bytes bear either out: `plumbing.textencoding.decide_encoding`), check it parses as what it is, count RDF
    links, profile a table."""
    from quality import sniff

    check = fact.check
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
        fact.sniffed = sniff.sniff_file(fh, head, filename=name, declared_media_type=check.media_type,
                                        declared_encoding=encoding)
    fmt = vocab.format_by_code(fact.sniffed.format) if fact.sniffed.format else None
    if not_parseable.meant_format(head, fact.sniffed, declared, name) is not None:
        whole = head if len(head) < SNIFF_BYTES else path.read_bytes()
        fact.parse_error = not_parseable.check(whole, fact.sniffed, declared, name)
    inner = member.rated(fact.sniffed)
    if inner is not None:  # the member of a ZIP or GZIP openness rates: parsed and its RDF read as it would be alone
        _read_member(fact, path, inner)
    elif fmt is not None and fmt.rdf and fact.parse_error is None:
        data = path.read_bytes()
        try:
            _, fact.rdf_subjects, fact.rdf_links = openness.rdf_link_stats(data, fmt.code)
        except Exception as exc:  # unparseable RDF is not structured data: at most one star
            fact.parse_error = not_parseable.rdf_failure(data, fmt.code, exc)
    table = profiled_format(fact.sniffed)
    encrypted = any((s.details or {}).get("encrypted") for s in (fact.sniffed, fact.sniffed.effective))
    if table is not None and fact.parse_error is None and not encrypted:
        _profile(fact, path, table, dist)


def _read_member(fact: DistributionFacts, path: Path, inner) -> None:
    """Whether the archive member the stars rate parses as what it is, and for RDF what it names and links
    (quality.member reads it whole, within a bound; a member not read is left as the sniffer saw it)."""
    data = member.member_bytes(path, fact.sniffed)
    if data is None:
        return
    name = fact.sniffed.inner_name
    if not_parseable.meant_format(data, inner, None, name) is not None:
        fact.parse_error = not_parseable.check(data, inner, None, name)
    fmt = vocab.format_by_code(inner.format)
    if fmt is not None and fmt.rdf and fact.parse_error is None:
        try:
            _, fact.rdf_subjects, fact.rdf_links = openness.rdf_link_stats(data, fmt.code)
        except Exception as exc:  # unparseable RDF is not structured data: at most one star
            fact.parse_error = not_parseable.rdf_failure(data, fmt.code, exc)


def profiled_format(sniffed) -> str | None:
    """The format a file is profiled as (its table read for data quality and personal data): a tabular
    format's own code, or ZIP for an archive whose table member is one (quality.tabular reads that member,
    as the row store and the exports do); None for a file that holds no table."""
    if sniffed is None or not sniffed.format:
        return None
    fmt = vocab.format_by_code(sniffed.format)
    if fmt is not None and fmt.tabular:
        return fmt.code
    inner = (sniffed.details or {}).get("inner") if sniffed.format == "ZIP" else None
    inner_fmt = vocab.format_by_code(inner.format) if inner is not None and inner.format else None
    if inner_fmt is not None and inner_fmt.tabular:
        return "ZIP"
    return None


def _profile(fact: DistributionFacts, path: Path, fmt: str, dist: Record) -> None:
    from quality import tabular

    try:
        fact.profile = tabular.profile_file(path, format=fmt, encoding=fact.sniffed.encoding,
                                            schema=dist.get("schema"))
    except Exception as exc:  # a table we cannot read is a finding, never a crash
        fact.profile_error = f"{exc.__class__.__name__}: {exc}"
        fact.transient = isinstance(exc, (OSError, MemoryError))


def _evidence(dist: Record, fact: DistributionFacts, record: Record):
    check = fact.check
    licence_id = dist.get("license") or record.get("license")
    licence_raw = dist.get("license_raw") or record.get("license_raw")
    return openness.Evidence(
        url=fact.url,
        reachable=bool(check and check.reachable),
        http_status=check.http_status if check else None,
        error=(check.error if check else "not checked yet"),
        declared_format=dist.get("format") or dist.get("format_raw"),
        sniffed=fact.sniffed,
        licence_id=licence_id or (licence_raw and f"unknown:{licence_raw}") or None,
        rdf_uri_subjects=fact.rdf_subjects,
        rdf_external_links=fact.rdf_links,
        parse_error=fact.parse_error,
        csvw=fact.csvw,
        describes=fact.csvw_describes,
    )


def assess(record: Record, facts: dict[str, DistributionFacts], *, now: dt.datetime,
           dcat_violations: list[dict] | None = None) -> dict[str, Any]:
    """The assessment of one dataset (pure)."""
    findings: list[Finding] = []
    dist_out, star_results, checks_for_metadata = [], [], {}
    profiles = []
    for dist in record.get("distributions") or []:
        key = dist_key(dist)
        fact = facts.get(key) or DistributionFacts(key=key, url=dist_url(dist))
        result = openness.distribution_stars(_evidence(dist, fact, record))
        star_results.append(result)
        # CSVW metadata that cannot be used is told how to fix it (csvw-metadata-unusable), not to publish RDF
        told = [f for f in result.findings if not (fact.csvw_problem and f.type in _RDF_ADVICE)]
        dist_findings = [_with_distribution(f, key) for f in told]
        if fact.profile is not None:
            from quality import tabular

            profiles.append(fact.profile)
            dist_findings += [_with_distribution(f, key) for f in tabular.profile_findings(fact.profile, key)]
        if fact.profile_error:
            dist_findings += table_unreadable.check(fact.profile_error, key)
        dist_findings += encoding_declared.check(fact.sniffed, key)
        dist_findings += truncated_copy.check(fact.check, key)
        dist_findings += csvw_metadata.check(fact.csvw_problem, fact.url, key)
        dist_findings += pii_file.check(fact.whole, fact.profile.pii if fact.profile is not None else None,
                                        fact.sniffed.format if fact.sniffed else None, key)
        findings += dist_findings
        check = fact.check
        status = check.http_status if check and check.reachable else None
        if check is not None and check.status == "unchanged":
            status = 200  # a 304 to the conditional GET: the link answers, with the copy kept (as a download would)
        checks_for_metadata[key] = metadata_mod.DistributionEvidence(access_status=status, download_status=status)
        dist_out.append({
            "id": key,
            "url": fact.url,
            "declared_format": dist.get("format") or dist.get("format_raw"),
            "detected_format": fact.sniffed.format if fact.sniffed else None,
            "encoding": fact.sniffed.encoding if fact.sniffed else None,
            "http_status": check.http_status if check else None,
            "check_status": check.status if check else "unchecked",
            "stars": result.stars,
            "reasons": list(result.reasons),
            "size": check.size if check else None,
            "sha256": check.sha256 if check else None,
        })
    meta = metadata_mod.assess_metadata(record, checks_for_metadata, dcat_violations)
    findings += _not_yet_reported(meta.findings, findings)
    # judged on the modification date when it is a date, else on the publication date ("yesterday-ish" is none)
    dated = "modified" if dates.published_text(record.get("modified")) or not record.get("issued") else "issued"
    t = timeliness.staleness(record.get(dated), record.get("frequency"), now=now)
    findings += timeliness.timeliness_findings(record.get(dated), record.get("frequency"), now=now, dated=dated)
    stars = openness.dataset_stars(star_results)
    parts = {
        "openness": stars / 5,
        "metadata": meta.points / meta.max,
        "data": table_score.score(profiles),
        "timeliness": timeliness.score(t),
        "accessibility": accessibility.score(dist_out),
    }
    weights = {k: w for k, w in WEIGHTS.items() if parts[k] is not None}
    total = sum(weights.values())
    score = round(sum(parts[k] * w for k, w in weights.items()) * 100 / total)
    has_pii = any(f.type in PII_SLUGS for f in findings)
    if has_pii:
        score = min(score, PII_CAP)
    return {
        "dataset": record.get("slug"),
        "assessed_at": now.isoformat(),
        "rule_version": RULESET_VERSION,
        "stars": stars,
        "score": score,
        "subscores": {k: (None if v is None else round(v * 100)) for k, v in parts.items()},
        "metadata": meta.to_dict(),
        "distributions": dist_out,
        "data": _data_summary(profiles),
        "timeliness": {"stale": t.stale, "periods_late": round(t.periods_late, 2) if t.periods_late else 0,
                       "expected_days": t.expected_days, "age_days": round(t.age_days, 1) if t.age_days else None},
        "pii": has_pii,
        "findings": [f.to_dict() for f in findings],
    }


def _not_yet_reported(new: list[Finding], reported: list[Finding]) -> list[Finding]:
    """The findings of `new` that do not repeat one of `reported`: same type on the same distribution, or a
    dataset-level one (no distribution) whose type was reported anywhere (a missing licence is a stars
    finding on each distribution and a metadata indicator of the dataset: it is told once)."""
    seen = {(f.type, f.distribution) for f in reported}
    types = {f.type for f in reported}
    out = []
    for f in new:
        if (f.type, f.distribution) in seen or (f.type, None) in seen or (f.distribution is None and f.type in types):
            _carry_points(f, reported)
            continue
        out.append(f)
        seen.add((f.type, f.distribution))
        types.add(f.type)
    return out


def _carry_points(told: Finding, reported: list[Finding]) -> None:
    """A metadata finding not repeated hands the points it costs to the first reported finding of its type, whose
    fix then names them: no licence cost 30 metadata points that no finding on the page named."""
    if not told.evidence.get("indicator"):
        return
    for n, f in enumerate(reported):
        if f.type == told.type:
            if not f.evidence.get("indicator"):
                evidence = {**f.evidence, **{k: v for k, v in told.evidence.items()
                                             if k in ("indicator", "dimension", "points", "lost")}}
                message, fix = english_texts(FINDING_TYPES[f.type], evidence)
                reported[n] = Finding(f.type, f.severity, message, fix, f.distribution, evidence)
            return


def _with_distribution(f: Finding, key: str) -> Finding:
    if f.distribution:
        return f
    return Finding(f.type, f.severity, f.message, f.fix, key, dict(f.evidence))


def _data_summary(profiles: list[Any]) -> dict[str, Any]:
    keys = ("rows", "columns", "missing_cells", "duplicate_rows", "type_errors", "blank_rows", "extra_cells")
    out: dict[str, Any] = {k: sum(getattr(p, k) or 0 for p in profiles) for k in keys}
    out["tables"] = len(profiles)
    return out


@dataclass
class AggregateInput:
    publisher: str
    publisher_name: dict[str, str]
    dataset_id: str
    stars: int
    score: int
    metadata_points: int
    findings: list[str]
    #: whether its files hold personal data no override covers (the app decides: app.assessment.personal_data)
    personal_data: bool = False


def publisher_aggregates(entries: list[AggregateInput], history: list[tuple] | None = None,
                         period: dt.timedelta = dt.timedelta(days=7), *,
                         now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per publisher: datasets, star distribution, average stars, share at 3+, metadata points,
    broken links, stale datasets, datasets with personal data exposed (`personal_data`), score, change since last
    week, rank.

    `history`: (publisher, assessed_at, stars, score[, dataset id]) of every assessment, oldest first, for the
    trend (`_trends`) and the change (`_change_since_last_week`, which reads the rows naming a dataset).
    """
    groups: dict[str, list[AggregateInput]] = {}
    for e in entries:
        groups.setdefault(e.publisher, []).append(e)
    rows = []
    for slug, items in groups.items():
        n = len(items)
        dist = [0] * 6
        for e in items:
            dist[max(0, min(5, e.stars))] += 1
        rows.append({
            "publisher": slug,
            "name": items[0].publisher_name,
            "datasets": n,
            "stars": dist,
            "average_stars": round(sum(e.stars for e in items) / n, 2),
            "share_3_plus": round(sum(1 for e in items if e.stars >= 3) / n, 3),
            "average_score": round(sum(e.score for e in items) / n, 1),
            "average_metadata_points": round(sum(e.metadata_points for e in items) / n, 1),
            "broken_links": sum(1 for e in items if "link-broken" in e.findings),
            "stale": sum(1 for e in items if "stale" in e.findings),
            "pii": sum(1 for e in items if e.personal_data),
        })
    rows.sort(key=lambda r: (-r["average_score"], -r["average_stars"], r["publisher"]))
    for position, row in enumerate(rows, 1):
        # equal figures, equal rank (1, 1, 3): the slug, which only orders the rows, ranked one of two departments
        # with the same average score and stars below the other
        ahead = rows[position - 2] if position > 1 else None
        tied = ahead is not None and (ahead["average_score"], ahead["average_stars"]) == (
            row["average_score"], row["average_stars"])
        row["rank"] = ahead["rank"] if tied else position
    trends = _trends(history or [], period)
    before = _scores_before(history or [], week_start(now or dt.datetime.now(dt.UTC)),
                            {e.dataset_id: e.publisher for e in entries})
    for row in rows:
        row["trend"] = trends.get(row["publisher"], [])
        then = before.get(row["publisher"])
        row["change"] = round(row["average_score"] - round(sum(then) / len(then), 1), 1) if then else None
    return rows


def week_start(now: dt.datetime) -> dt.datetime:
    """The instant the ISO week of `now` began (Monday 00:00 UTC): the end of last week, as the weekly report
    (app/weekly.py) counts weeks."""
    now = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    day = now.astimezone(dt.UTC).date()
    return dt.datetime.combine(day - dt.timedelta(days=day.weekday()), dt.time(), tzinfo=dt.UTC)


def _scores_before(history: list[tuple], since: dt.datetime, publisher_of: dict[str, str]) -> dict[str, list[int]]:
    """Publisher -> the scores its datasets (those of `publisher_of`, the league's) had at `since`: each dataset's
    last assessment before then, as last week's report read them. "Change since last week" is the league's average
    score now less this average: it compared the averages of the last two weeks that had assessments, each over the
    datasets assessed that week only, so one dataset re-assessed on a Monday made the whole department's change
    that one dataset's score less last week's average (+27.8 where the average had moved by +1.9), and a department
    nobody re-assessed for a month still showed the change of a month ago."""
    last: dict[str, int] = {}
    for _slug, at, _stars, score, *dataset in history:
        if dataset and dataset[0] in publisher_of and (at if at.tzinfo else at.replace(tzinfo=dt.UTC)) < since:
            last[dataset[0]] = score
    out: dict[str, list[int]] = {}
    for dataset_id, score in last.items():
        out.setdefault(publisher_of[dataset_id], []).append(score)
    return out


def _trends(history: list[tuple], period: dt.timedelta) -> dict[str, list[dict[str, Any]]]:
    """Average score and stars per publisher per period (week by default), oldest first.

    A history row may name its dataset as a fifth item (oldest first): then a period's averages are over each
    dataset's last assessment of the period, as the dashboard's trends count them (app/dashboard_data.py), and
    `assessments` still counts every assessment. Without it every assessment counts: a dataset re-checked three
    times in a week weighed three times, and the API's trend read 69.6 where the league and the dashboard said
    77.3 for the same week."""
    buckets: dict[str, dict[dt.date, dict[Any, tuple[int, int]]]] = {}
    made: dict[tuple[str, dt.date], int] = {}
    for n, (slug, at, stars, score, *dataset) in enumerate(history):
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        day = at.date()
        start = day - dt.timedelta(days=day.weekday()) if period == dt.timedelta(days=7) else day
        buckets.setdefault(slug, {}).setdefault(start, {})[dataset[0] if dataset else n] = (stars, score)
        made[(slug, start)] = made.get((slug, start), 0) + 1
    out: dict[str, list[dict[str, Any]]] = {}
    for slug, by_start in buckets.items():
        out[slug] = []
        for start, latest in sorted(by_start.items()):
            vals = list(latest.values())
            out[slug].append({"period": start.isoformat(), "assessments": made[(slug, start)],
                              "average_stars": round(sum(s for s, _ in vals) / len(vals), 2),
                              "average_score": round(sum(sc for _, sc in vals) / len(vals), 1)})
    return out
