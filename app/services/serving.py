"""The one way a distribution's bytes or rows leave the platform: serve, serve masked, or withhold.

Every route that hands out a distribution's content (the uploaded original, the converted
``data.csv/json/xml/ttl``, the CSVW metadata of ``data.csv``) answers through `serve`; the dataset page's
preview asks `decide` and `preview` the same question, and every door that describes a table's columns (its data
dictionary on /api/v1 and on the page) asks `dictionary`. One place therefore keeps the promises:

- who may see it: deleted datasets, unknown ids and other people's drafts are 404; a withdrawn dataset
  answers 410 with its tombstone (``app.services.lifecycle.gone_response``); the editors and admins of the
  dataset's publisher, and sysadmins, get the real bytes (``Cache-Control: private, no-store``): they must
  see what they fix;
- personal data is not re-served: ``Distribution.pii`` holds what the last profile of the archived copy
  found (written by ``catalog_schema.store.set_pii_facts``). A copy without facts, or whose facts describe
  another copy (``pii["sha256"]`` is not its ``archive_hash``), has not been checked: it is withheld (fail
  closed). A copy where personal data was found, not covered by an admin's override (the archive hashes in
  ``extras.publishing.pii_override.files``), follows the ``PII_POLICY`` setting: ``withhold`` answers
  HTTP 451 (RFC 7725) with a page or JSON error in Chinese and English saying which kinds were found in which
  columns (counts, never values) and whom to contact; ``redact`` streams the data with every flagged column
  and every other cell holding personal data masked (``app.export.convert.masked``); an original that
  cannot be masked as it is (an XLSX, a PDF) is withheld under ``redact`` too, pointing at the masked
  conversions, and so is a table whose column names are personal data themselves (a file without a header row:
  masking masks cells, and those names head every conversion; `has_personal_names`);
- no door names a column by personal data: a 451 and a data dictionary say such a name as ``[redacted]``, the
  list of a file's versions too (`public_change`), and the stored quality findings are said through
  `public_findings` (the rules name such a column by its position);
- an old name of the dataset (before a rename) answers 301 to the same door under its current name, as every read
  door answers it (``app.services.lifecycle.resolve``): data links kept in scripts and other portals survive a rename;
- a download is counted once per request (``app.services.usage.record_usage``), for a GET or a read the CKAN
  clients POST (``datastore_search``), not for HEAD, 304, a range past the first byte, a page past the first
  (`first_part`), withheld answers or bots;
- cache validators: the ETag names the archived copy, what was served (variant), how (action, policy) and the
  description it was read with (`described`: table schema, data dictionary, title, licence);
  ``If-None-Match`` answers 304 with the Vary its 200 has; a file sent as it is (`send_archived`) answers ``Range``
  with ``If-Range`` compared to that ETag (a resumed download is the rest of the file, not a second download), and
  several ranges at once with the whole file. Every refusal says how long it may be kept (``no-cache``; a 410
  and a 301 are public for a while, as the lifecycle says); what an admin's override let out is ``public, no-cache``
  (`public_cache`), so that revoking the override withholds it from the next request, a shared cache's too.

Every response made here carries ``X-Data-Gate: serve|redact|withhold`` (301, 404 and 410 say ``withhold``):
the route guard test recognises the routes that serve bytes by it. All withheld answers use 451, the
not-yet-checked case included (code ``not-checked``): the copy is held back under the same personal
information rules until it is checked, and a client needs one status to look for.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa
from flask import Response, current_app, jsonify, render_template, request, send_file
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from app import auth, delivery
from app.accept import is_browser
from app.api.lang import api_lang, localise
from app.datastore import whole as whole_scan
from app.i18n import current_lang
from app.request_context import db_session, public_base, setting
from app.security import current_account, request_token
from app.services import gate, lifecycle
from app.services.lifecycle import gone_response
from app.services.usage import record_usage
from app.texts import T_, say
from catalog_schema.models import Dataset, Distribution, User
from catalog_schema.record import pick_text
from catalog_schema.store import distribution_named
from quality import pii as pii_scan
from quality.assess import RULESET_VERSION
from quality.findings import FINDING_TYPES
from quality.rules import pii_file
from quality.rules.pii import KIND_SLUGS
from quality.tabular import TableError

GATE_HEADER = "X-Data-Gate"
POLICIES = ("withhold", "redact")
PUBLIC_MAX_AGE = 300
BOTS = re.compile(r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|mediapartners|bingpreview|"
                  r"yandex|baidu", re.IGNORECASE)

#: Kind labels in both languages, in report order (quality.pii.PERSONAL_KINDS).
KIND_LABELS = {"id_number": ("resident identity numbers", "居民身份证号码"), "phone": ("mobile numbers", "手机号码"),
               "email": ("e-mail addresses", "电子邮件地址"), "bank_card": ("bank card numbers", "银行卡号"),
               # a part of the file the whole-file scan could not read to its end (quality.tabular.whole.UNSCANNED):
               # it may hold any of them, so the file is withheld as one that does
               "unscanned": ("parts that could not be checked to their end", "无法完整检查的部分")}
#: A personal-data finding's slug -> the kind of quality.pii it counts.
KIND_OF_SLUG = {slug: kind for kind, slug in KIND_SLUGS.items()}
REASONS = ("personal-data", "not-checked", "unreadable", "not-maskable")


@dataclass(frozen=True)
class Decision:
    """What the gate decided for one viewer and one distribution."""

    action: str  # "serve", "redact" or "withhold"
    reason: str | None = None  # why not plainly served to the public: one of REASONS (None: nothing found)
    columns: dict[str, dict[str, int]] = field(default_factory=dict)  # personal data found: column -> kind -> n
    privileged: bool = False  # an editor of the dataset's publisher (or a sysadmin): the real bytes
    policy: str = "withhold"
    personal_names: bool = False  # not maskable because the table's column names are personal data (`decide`)
    overridden: bool = False  # served to the public only because an admin's override covers it (it may be revoked)

    @property
    def kinds(self) -> dict[str, int]:
        """Cells per kind over all the columns."""
        totals: dict[str, int] = {}
        for kinds in self.columns.values():
            for kind, n in kinds.items():
                totals[kind] = totals.get(kind, 0) + int(n)
        order = list(KIND_LABELS)
        return dict(sorted(totals.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))


# --------------------------------------------------------------------------- facts and decisions


def personal_columns(dist: Distribution) -> dict[str, dict[str, int]] | None:
    """Columns of `dist`'s current archived copy where personal data was found ({} for none); None when that
    copy was never scanned (no facts, or facts about another copy)."""
    facts = dist.pii
    if not isinstance(facts, dict) or not dist.archive_hash or facts.get("sha256") != dist.archive_hash:
        return None
    columns = facts.get("columns")
    if not isinstance(columns, dict):
        return None
    return {str(c): {str(k): int(n) for k, n in kinds.items()} for c, kinds in columns.items() if kinds}


def override_covers(ds: Dataset, dist: Distribution) -> bool:
    """Has an admin of the publisher let this very copy out (app.services.gate.override_pii)?"""
    return gate.covers(ds, dist.archive_hash)


def exposed_personal_data(ds: Dataset, findings: list[dict] | None = None, distributions=None, *,
                          rule_version: str | None = None, store=None) -> dict[str, dict[str, dict[str, int]]]:
    """Distribution id -> where personal data no override covers was found (a column, or a part of the file
    beyond its table: a sheet, a ZIP member, ``*`` for notes rows or text) -> kind -> cells: what the public is
    refused (withhold) or gets masked (redact). Pages do not promote such a dataset and the dashboard ranks it
    first.

    Read from what is stored, never from a file: the current copies' column facts (what the table doors decide
    on, `personal_columns`), and the personal-data findings of the dataset's latest assessment (`findings`, its
    stored list) that the publishing gate still counts (`gate.pii_blocking`: not covered by the override). Those
    findings are made by the same rule (quality.rules.pii_file `beyond`) from the same kept whole-file scan as the
    file doors' decision, so a workbook withheld only for its second sheet is exposed here too, and the override
    that releases it at the doors takes it off here. An assessment made under another rule set (`rule_version`,
    before 1.1 the rule was not one) may lack those findings until the dataset is next assessed: with the row
    store's folder `store`, the rule then makes them here from the kept scans (`kept_findings`), which the doors
    read. `distributions`: the dataset's files when the caller read them apart (rows with `id`, `archive_hash`,
    `pii` and `detected_format`), else `ds.distributions`."""
    files = ds.distributions if distributions is None else list(distributions)
    if store is not None and rule_version != RULESET_VERSION:
        findings = [*(findings or []), *kept_findings(files, store)]
    out: dict[str, dict[str, dict[str, int]]] = {}
    for dist in files:
        columns = personal_columns(dist)
        if columns and not override_covers(ds, dist):
            out[dist.id] = columns
    present = {dist.id for dist in files}
    for found in gate.pii_blocking(ds, {"findings": findings or []}, files):
        dist_id, evidence = found.get("distribution"), found.get("evidence") or {}
        kind = KIND_OF_SLUG.get(found["type"])
        if dist_id not in present or kind is None:  # a file the dataset no longer has is served by no door
            continue
        where = str(evidence.get("column") or evidence.get("part") or "*")
        if "column_position" in evidence and not evidence.get("column"):  # a column named by personal data
            if _named_personally(out.get(dist_id, {}), kind):
                continue  # that column, in the copy's facts by its name
            where = f"#{evidence['column_position']}"
        cells = out.setdefault(dist_id, {}).setdefault(where, {})
        cells[kind] = max(cells.get(kind, 0), int(evidence.get("count") or 0))
    return out


def _named_personally(columns: dict[str, dict[str, int]], kind: str) -> bool:
    """Whether the facts `columns` have a column whose name is personal data holding `kind`, or any column holding it
    when one name is personal data (every name is then a first row of data): the one a finding that names a column by
    its position (quality.findings.column_ref) is about."""
    headerless = pii_scan.first_row_of_data(columns)
    return any(kind in kinds and (headerless or is_personal(column)) for column, kinds in columns.items())


def kept_findings(files, store) -> list[dict]:
    """The personal-data findings the current rules make (quality.rules.pii_file) of the whole-file scans kept in
    the row store's folder `store` for these current copies: what the file doors withhold for. A copy with no kept
    scan adds none (no file is scanned for a page)."""
    out: list[dict] = []
    for dist in files:
        whole = whole_scan.kept(store, dist.archive_hash) if dist.archive_hash else None
        if whole:
            out += [f.to_dict() for f in pii_file.check(whole, personal_columns(dist), dist.detected_format, dist.id)]
    return out


def policy() -> str:
    value = str(setting("PII_POLICY") or "withhold").lower()
    return value if value in POLICIES else "withhold"


def viewer(session: Session) -> User | None:
    """The signed-in user, else the user of the request's API token (scripts of an editor, CKAN clients), read from
    the headers the writes read it from (app.security.request_token); a token that is not valid is no user."""
    user = current_account()
    if user is not None:
        return user
    token = request_token()
    return auth.user_for_token(session, token) if token else None


def merged_columns(facts: dict[str, dict[str, int]] | None,
                   found: dict[str, dict[str, int]] | None) -> dict[str, dict[str, int]] | None:
    """The profile's facts with what a route's own reading of the same copy found added (column -> kind ->
    the larger count); None stays None (a copy never checked stays unchecked)."""
    if facts is None or not found:
        return facts
    out = {c: dict(kinds) for c, kinds in facts.items()}
    for column, kinds in found.items():
        for kind, n in kinds.items():
            if n:
                out.setdefault(column, {})[kind] = max(int(n), out.get(column, {}).get(kind, 0))
    return out


def decide(session: Session, ds: Dataset, dist: Distribution, user: User | None, *, maskable: bool = True,
           pii_policy: str | None = None, found: dict[str, dict[str, int]] | None = None) -> Decision:
    """Serve, serve masked or withhold `dist` (of `ds`) to `user`. `maskable`: whether what is asked for can
    be served masked (a conversion can; an uploaded XLSX or a PDF as it is cannot). `found`: personal data a
    route's own reading of the copy found beyond the profile's facts (the row store scans what it loads,
    GeoJSON properties and tables inside a ZIP included, which the profile does not read)."""
    chosen = pii_policy or policy()
    columns = merged_columns(personal_columns(dist), found)
    if columns is not None:  # names read from a first row of data are personal data found, whatever facts say
        columns = merged_columns(columns, named_columns(dist))
    if auth.can_edit(session, user, ds.publisher):
        return Decision("serve", None, columns or {}, privileged=True, policy=chosen)
    if columns is None:
        return Decision("withhold", "unreadable" if _unreadable(dist) else "not-checked", {}, policy=chosen)
    if override_covers(ds, dist):  # what an admin let out, who may take it back (`public_cache`)
        return Decision("serve", None, columns, policy=chosen, overridden=True)
    if not columns:
        return Decision("serve", None, columns, policy=chosen)
    if chosen == "redact":
        named = has_personal_names(dist, columns)
        if maskable and not named:
            return Decision("redact", "personal-data", columns, policy=chosen)
        return Decision("withhold", "not-maskable", columns, policy=chosen, personal_names=named)
    return Decision("withhold", "personal-data", columns, policy=chosen)


def has_personal_names(dist: Distribution, columns: dict[str, dict[str, int]]) -> bool:
    """Whether a column name of `dist`'s table is personal data itself (`is_personal`: a file without a header row),
    by its data dictionary (the names its profile read) and the columns personal data was found in. Masking masks
    cells, never names, and the names are the header of every conversion (data.csv, the CSVW metadata, the Table
    Schema, datastore_search's fields and records, the page's preview): such a table cannot be served masked."""
    return bool(named_columns(dist)) or any(is_personal(name) for name in columns)


def named_columns(dist: Distribution) -> dict[str, dict[str, int]]:
    """The columns of `dist`'s table whose name is personal data itself, by its data dictionary (the names its profile
    read): ``{name: {kind: 1}}``. The profile counts them in the facts (quality.tabular.profiler `personal_names`);
    facts recorded before it did (rule set 1.2 and earlier, kept until the copy's next re-check) said nothing of a
    file whose only personal data is its first row read as names, and every conversion served them as its header."""
    from catalog_schema import dictionary as dictionaries

    dic = dictionaries.effective(dist.dictionary, dist.table_schema) or {}
    names = [str(f["name"]) for f in dic.get("fields") or [] if f.get("name") is not None]
    if not names:
        return {}
    return pii_scan.personal_names(names)  # read as the file wrote them too: a repeated label has a number added


# --------------------------------------------------------------------------- explaining


def truncated_copy() -> str:
    """Why the data of a file larger than the download limit is not served (its copy is its first part only)."""
    return T_("The file is larger than the portal downloads (OPENDATA_MAX_DOWNLOAD_BYTES): only its first part was "
              "archived, so its data is not served here as a table, which would be taken for the whole; download the "
              "file from its own address.")


site_url = public_base  # the portal's public address (app.request_context), what every link here starts with


def contact(ds: Dataset) -> dict[str, Any]:
    """Whom to ask: the dataset's contact point, else its publisher's e-mail and pages."""
    out: dict[str, Any] = {}
    point = public_metadata({"contact_point": ds.contact_point})["contact_point"]  # an ID number in it redacted
    point = point if isinstance(point, dict) else {}
    for key in ("name", "email", "url"):
        value = point.get(key)
        if isinstance(value, dict):
            value = pick_text(value)
        if value:
            out[key] = str(value).removeprefix("mailto:")
    pub = ds.publisher
    if pub is not None:
        out["publisher"] = {"slug": pub.slug, "name": dict(pub.name or {}),
                            "page": f"{site_url()}/publisher/{pub.slug}"}
        if pub.email and "email" not in out:
            out["email"] = pub.email
        if pub.homepage and "url" not in out:
            out["url"] = pub.homepage
    return out


#: What the public is shown in place of a column name that is personal data itself.
REDACTED_NAME = "[redacted]"


def is_personal(text: Any) -> bool:
    """Whether a text (a column's name) is personal data itself: a file without a header row has its first row of data
    read as its column names, so an ID number or a phone number is the name of a column. The quality rules ask the
    same (quality.pii.is_personal), and name such a column by its position."""
    return pii_scan.is_personal(text)


def public_findings(findings: list[dict] | None) -> list[dict]:
    """Stored quality findings as every door that shows them says them (the /api/v1 quality, the dataset page, the
    dashboard's list of the datasets with a finding): no text in their evidence that is personal data itself, said
    as ``[redacted]``, and their English message and fix made again from that evidence (a finding type the rules no
    longer have keeps its own, ``[redacted]`` if personal). The rules name a column whose name is personal data by its
    position (quality.findings.column_ref); findings stored before they did named it by its name."""
    return [public_finding(f) if isinstance(f, dict) else f for f in findings or []]


def public_finding(finding: dict) -> dict:
    evidence = finding.get("evidence") if isinstance(finding.get("evidence"), dict) else {}
    clean = _without_personal(evidence)
    ftype = FINDING_TYPES.get(str(finding.get("type") or ""))
    if ftype is not None:
        if clean == evidence:
            return finding
        message, fix = ftype.message("en", clean), ftype.fix("en", clean)
    else:
        message, fix = (REDACTED_NAME if is_personal(finding.get(k)) else finding.get(k) for k in ("message", "fix"))
    return {**finding, "evidence": clean, "message": message, "fix": fix}


def _without_personal(value: Any) -> Any:
    """`value` (a finding's evidence) with every text that is personal data, a key or a value, as ``[redacted]``."""
    if isinstance(value, str):
        return REDACTED_NAME if is_personal(value) else value
    if isinstance(value, list):
        return [_without_personal(v) for v in value]
    if isinstance(value, dict):
        return {_without_personal(k): _without_personal(v) for k, v in value.items()}
    return value


#: The parts of a distribution's record that hold the file's own values, never archived, profiled or scanned as the
#: file is: its extras (what its source said beyond the model: a Data Package resource's inline `data`, the rows
#: themselves; a CKAN resource's keys of its own, a client's `sample` rows) and its declared Table Schema (a field's
#: `example`, its `enum`).
FILE_VALUES = ("extras", "schema")
#: The parts of a dataset's record that declare whom to contact: public by design (the publisher put them there to be
#: reached, a contact point's e-mail and phone most of all), and so are their values wherever else the record repeats
#: them (`_declared_contacts`). Every other part of the dataset's record (its title, description, keywords, its
#: source's keys kept in `extras`: a CKAN package's extras and keys of its own, a data.json entry's) is free text a
#: person typed or a source sent, scanned for personal data (`_personal_runs`).
CONTACTS = ("contact_point", "creator", "publisher")
#: The parts of a dataset's record that name or link things, or say a code, a date or a place's box: its ids and IRIs,
#: its landing page, the standards, themes and languages it names, its licence and its dates. Kept as they are: a
#: redacted IRI names nothing (two datasets under one `[redacted]` subject), and a source's number that reads as a
#: mobile number (https://example.gov.cn/dataset/13912345678) is no person's.
NAMES = ("id", "slug", "uri", "identifier", "landing_page", "conforms_to", "in_series", "themes", "language", "spatial",
         "hvd_category", "applicable_legislation", "license", "access_rights", "extent", "issued", "modified",
         "temporal", "frequency", "state", "kind")
#: The keys of a source's record kept verbatim in the dataset's extras (catalog_schema.fieldrules.stored_keys) that are
#: its contacts in that source's own words: CKAN's author and maintainer, data.json's contactPoint.
SOURCE_CONTACTS = {"ckan": ("author", "author_email", "maintainer", "maintainer_email"), "datajson": ("contactPoint",)}
#: The keys of a dataset's record that are not its free values (a set: asked for each key of each record described).
_NOT_FREE = frozenset(("distributions", *CONTACTS, *NAMES))
#: The parts of a distribution's record that are free text a person typed or a source sent, as a dataset's title and
#: description are: scanned and said as the dataset's free values (`_personal_runs`), at every door a distribution's
#: title, description or rights statement leaves by (a CKAN resource, /api/v1, DCAT-AP's dct:title, dct:description
#: and dct:rights, data.json, the dataset's page).
DIST_TEXTS = ("title", "description", "rights")
#: The kinds of personal data a declared contact is there to give: a mobile number and an e-mail address are how
#: whoever declared the contact wants to be reached, wherever in the contact they wrote it (its name too: "王五
#: 13912345678"). A resident identity number or a bank card number reaches no one: in a contact's part, any of them,
#: it is ``[redacted]`` as in any other text, and it is no declared value anywhere else in the record.
CONTACT_KINDS = ("phone", "email")
UNDECLARABLE_KINDS = tuple(kind for kind in pii_scan.PERSONAL_KINDS if kind not in CONTACT_KINDS)
#: The shape every value of `UNDECLARABLE_KINDS` has in a run of text (`_PAYLOAD_TOKEN`: a space ends one) that
#: `mask_array` finds: 13 digits or more, hyphens between them at most (an identity number has 17 in a row, or grouped
#: 6-8-4; a bank card 13 to 19). Looked for in a record's contacts written out before any of their texts is cut into
#: runs: most contacts are a name, an e-mail and a phone, passed by this one look.
_UNDECLARABLE_SHAPE = re.compile(r"\d(?:[\-\uff0d]?\d){12}")
#: `_may_hold_undeclarable`'s reading of a text's UTF-8: every ASCII digit as 0, a hyphen as -, any other byte as x.
_RUN_BYTES = bytes(48 if 48 <= b <= 57 else 45 if b == 45 else 120 for b in range(256))
_FULL_WIDTH_DIGITS = re.compile(rb"\xef\xbc[\x8d\x90-\x99]")  # U+FF0D, U+FF10-FF19 in UTF-8


def _may_hold_undeclarable(document: str) -> bool:
    """False when no run of `document` can hold a value of `UNDECLARABLE_KINDS` (`_UNDECLARABLE_SHAPE`): its bytes
    mapped to three and searched, a microsecond where the regular expression took several; the expression itself for
    a text with full-width digits or hyphens, which `mask_array` reads as ASCII."""
    raw = document.encode("utf-8", "surrogatepass")
    if _FULL_WIDTH_DIGITS.search(raw) is not None:
        return _UNDECLARABLE_SHAPE.search(document) is not None
    return b"0000000000000" in raw.translate(_RUN_BYTES).replace(b"-", b"")


def public_metadata(record: dict, privileged: bool | Callable[[], bool] = False) -> dict:
    """`record` (a dataset's record) as a door that describes the dataset gives it (CKAN's package and resource dicts,
    /api/v1, the dataset's and the catalog's JSON, XML, CSV and RDF, data.json, the CLI's export, and through
    `public_texts` its page, the lists, the feeds), with its personal data ``[redacted]`` unless `privileged` (an
    editor of the dataset's publisher, or a sysadmin: asked only when something would be redacted), who read it as it
    is, as they read the file:

    - in each distribution's `FILE_VALUES` every text or number holding personal data (`_personal_texts`), a value or
      a key, is ``[redacted]`` as a whole, as a table's cell is masked;
    - in the dataset's own free values (everything but its distributions, its declared `CONTACTS` and its `NAMES`:
      the title, the description, the keywords, the extras its source sent), in each distribution's `DIST_TEXTS`
      (its title, description and rights statement) and in its publisher's extras (a migrated CKAN organization's keys
      and values: no contact it declares) each run of text holding personal data is ``[redacted]`` (`_personal_runs`:
      "负责人 [redacted]"), the rest of the text kept; a value the dataset declares as its contact
      (`_declared_contacts`) stays as it is wherever it appears;
    - in its declared contacts themselves (and its source's contact keys) each run holding a value of
      `UNDECLARABLE_KINDS` (a resident identity number, a bank card number) is ``[redacted]`` (`_undeclarable_runs`):
      their e-mail addresses and mobile numbers stay.

    The record itself is not changed; one with nothing to redact is given back."""
    dists = record.get("distributions")
    dists = dists if isinstance(dists, list) else []
    texts: set[str] = set()
    for dist in dists:
        if isinstance(dist, dict):
            for key in FILE_VALUES:
                _collect_texts(dist.get(key), texts)
    personal = _personal_texts(texts)
    free = {key: value for key, value in record.items() if key not in _NOT_FREE}
    said = [{key: dist.get(key) for key in DIST_TEXTS} for dist in dists if isinstance(dist, dict)]
    scanned = {**free, "distributions": said} if said else free
    pub_extras = _publisher_extras(record)
    if pub_extras:
        scanned = {**scanned, PUBLISHER_EXTRAS: pub_extras}
    undeclarable = _undeclarable_runs(record)
    runs = _personal_runs(scanned, record, undeclarable) | undeclarable
    if not (personal or runs) or (privileged() if callable(privileged) else privileged):
        return record
    out = dict(record)
    if runs:
        for key in free:
            masked = _masked_runs(record[key], runs)
            if masked != record[key]:
                out[key] = masked
    if undeclarable:
        for key in CONTACTS:
            if key in record:
                out[key] = _masked_runs(record[key], undeclarable)
    if pub_extras and runs:
        masked = _masked_runs(pub_extras, runs)
        if masked != pub_extras:
            out["publisher"] = {**out["publisher"], "extras": masked}
    if personal or runs:
        out["distributions"] = [_public_distribution(dist, personal, runs) if isinstance(dist, dict) else dist
                                for dist in dists]
    return out


def _public_distribution(dist: dict, personal: set[str], runs: set[str]) -> dict:
    """A distribution's record with its `FILE_VALUES` holding `personal` texts and its `DIST_TEXTS` holding `runs`
    said ``[redacted]``."""
    out = dict(dist)
    if personal:
        out.update({key: _masked(dist[key], personal) for key in FILE_VALUES if dist.get(key)})
    if runs:
        out.update({key: _masked_runs(dist[key], runs) for key in DIST_TEXTS if dist.get(key)})
    return out


def note_override(ds: Dataset) -> None:
    """Called by a door whose document of `ds` says its personal-data override (`extras.publishing.pii_override`, its
    reason and files: catalog_schema.record.public_record) and which would let caches keep it for a while (the
    /api/v1 dataset, `public, max-age=60`): when `ds` has one, the answer, its 304 too, is revalidated before each use
    (app.delivery.must_revalidate: `public, no-cache` with its ETag), as `public_cache` makes the data the override
    lets out, so that a revocation is what the next request reads, a shared cache's too. (The dataset's and the
    catalog's documents are revalidated whatever they say; CKAN's package dicts do not say an override.)"""
    if gate.pii_override(ds):
        delivery.must_revalidate()


#: The texts of a dataset its pages show (its page, the lists of datasets, the feeds, Croissant) that `public_texts`
#: says: its free values among them, and its declared contact point (a resident identity number in its name).
PAGE_TEXTS = ("title", "description", "keywords", "rights", "contact_point")
PAGE_FREE = ("title", "description", "keywords", "rights")


def public_texts(ds: Any, privileged: bool | Callable[[], bool] = False, *, files: bool = False) -> dict[str, Any]:
    """The texts of `ds` (a Dataset, or a view of its row listing it) that the doors showing them one by one give (the
    dataset's page, every list of datasets, the feeds, its Croissant document): its `PAGE_TEXTS`, and with `files`
    its distributions' `DIST_TEXTS` (``distributions``, a list in the order of `ds.distributions`), said as
    `public_metadata` says the record's, its declared contacts (those of them `ds` has read) kept as they are. One look
    at them when they can hold no personal data. A text `ds` has not read (a view of some of its columns) is None."""
    record: dict[str, Any] = {key: _read(ds, key) for key in PAGE_TEXTS}
    record["creator"] = _read(ds, "creator")
    if files:
        record["distributions"] = [{key: getattr(d, key, None) for key in DIST_TEXTS} for d in ds.distributions]
    if not pii_scan.may_hold_within(repr([record[key] for key in PAGE_FREE] + record.get("distributions", []))):
        # the look public_metadata takes first, taken here so that a clean row of a list costs no more
        if not _may_hold_undeclarable(repr(_contact_values(record))):
            return record
        return public_metadata(record, privileged)
    # its publisher's e-mail, a declared contact, matters only now: not loaded for every row of a list
    pub = getattr(ds, "publisher", None)
    record["publisher"] = {"email": getattr(pub, "email", None)} if pub is not None else None
    return public_metadata(record, privileged)


def public_reason(ds: Any) -> str | None:
    """Why `ds` was withdrawn (its free-text reason, typed by its publisher's editor) as its tombstone says it to
    everyone (the 410 page and JSON, the catalog's changes): each run of personal data ``[redacted]``, its declared
    contacts kept, as `public_texts` says its description. The tombstone is public, and kept by caches for a day: no
    reader is privileged here (the editors read the reason in the audit log and the withdraw form)."""
    reason = getattr(ds, "withdrawn_reason", None)
    if not isinstance(reason, str) or not pii_scan.may_hold(reason):
        return reason
    pub = getattr(ds, "publisher", None)
    return public_metadata({"withdrawn_reason": reason, "contact_point": ds.contact_point, "creator": ds.creator,
                            "publisher": {"email": pub.email} if pub is not None else None})["withdrawn_reason"]


#: What a publisher says of itself that is free text, scanned as a dataset's description is: its description, and the
#: keys and values a migrated CKAN organization brought (`extras["ckan"]["extras"]`). Its name is an organisation's
#: name (what every door names it by, never a person's data: kept as it is), its homepage and e-mail address how it
#: is reached (declared: they stay public wherever its description repeats them).
PUBLISHER_TEXTS = ("description", "extras")


def public_publisher(pub: Any, privileged: bool | Callable[[], bool] = False) -> dict[str, Any]:
    """The `PUBLISHER_TEXTS` of `pub` as the doors that describe it give them (its page, /api/v1's publisher, CKAN's
    organization dicts, in every package too), each run of personal data in them ``[redacted]`` ("咨询 [redacted]":
    a mobile number in its description is a person's, as in a dataset's), its declared e-mail kept, unless
    `privileged` (who may edit what it says of itself: its admins and sysadmins, who read and write it back as it
    is). ``description`` is a language map, ``extras`` the organization's list of {"key", "value"}."""
    kept = ((getattr(pub, "extras", None) or {}).get("ckan") or {}).get("extras")
    record = {"description": dict(getattr(pub, "description", None) or {}),
              "extras": kept if isinstance(kept, list) else []}
    if not pii_scan.may_hold_within(repr(record)):
        return record
    declared = {"email": getattr(pub, "email", None), "homepage": getattr(pub, "homepage", None)}
    said = public_metadata({"publisher_texts": record, "publisher": declared}, privileged)
    return said["publisher_texts"]


def searchable_texts(record: dict) -> dict:
    """`record` (a dataset's title, description, keywords and declared contacts: catalog_schema.search's documents) as
    the search index holds it: as `public_texts` says it to everyone. A search then finds no dataset by a value its
    doors say as ``[redacted]`` (app/services/searchable.py); its editors, who read the texts as they are, find it by
    the rest of them."""
    if not pii_scan.may_hold_within(repr([record.get(key) for key in ("title", "description", "keywords")])):
        return record  # the look public_metadata takes first, taken here: most datasets hold none
    return public_metadata(record)


def public_tags(ds: Any) -> set[str]:
    """The keywords of `ds` that are its tags: those `public_texts` says to everyone as they are. A keyword with
    personal data in it reads ``[redacted]`` (or part of it does): it is shown as text, never as a link to the datasets
    with that keyword, nor as a facet's value or a tag (the search index holds such a keyword as no tag:
    catalog_schema.search._public_row), whoever reads it."""
    keywords = _read(ds, "keywords")
    if not isinstance(keywords, list):
        return set()
    said = public_texts(ds)["keywords"]
    said = said if isinstance(said, list) else []
    return {kw for kw, public in zip(keywords, said, strict=False) if isinstance(kw, str) and kw == public}


def _read(ds: Any, key: str) -> Any:
    """`ds`'s `key` (an item of a dict: a stored report's entry), None when it is a view of its row that did not read
    it (catalog_schema.rowviews)."""
    if isinstance(ds, dict):
        return ds.get(key)
    try:
        return getattr(ds, key)
    except AttributeError:
        return None


def public_file_texts(ds: Any, dist: Any, privileged: bool | Callable[[], bool] = False) -> dict[str, Any]:
    """The `DIST_TEXTS` of `dist`, a distribution of `ds`, as the doors that show that file alone give them (the page
    of its refusal): said as `public_texts` says them, its dataset's declared contacts kept."""
    files = list(ds.distributions)
    said = public_texts(ds, privileged, files=True)["distributions"]
    return said[files.index(dist)] if dist in files else {key: getattr(dist, key, None) for key in DIST_TEXTS}


def public_description(ds: Any, privileged: bool | Callable[[], bool] = False) -> Any:
    """The description of `ds` as the doors that show it alone give it (`public_texts`)."""
    return public_texts(ds, privileged)["description"]


def public_title(ds: Any, privileged: bool | Callable[[], bool] = False) -> Any:
    """The title of `ds` as the doors that show it alone give it (`public_texts`): a list's link, a feed's entry."""
    return public_texts(ds, privileged)["title"]


def public_records(records: Iterable[dict]) -> Iterator[dict]:
    """`records` as the doors that describe the whole catalog give them to everyone (data.json, the DCAT-AP pages and
    dumps, the catalog's JSON, CSV and XML, the command line's export): each through `public_metadata`."""
    return (public_metadata(record) for record in records)


#: What a payload's text is cut into when it is no JSON (an RDF/XML or Turtle record, an error's message): runs between
#: separators, a Chinese sentence's full-width punctuation among them.
_PAYLOAD_TOKEN = re.compile(r"[^\s<>\"',;{}\[\]()|，。；：、（）【】《》「」“”‘’！？]+")


def public_payload(text: str | None, privileged: bool | Callable[[], bool] = False) -> str | None:
    """An errored harvest record's original payload as its job's pages show it (the web page and /api/v1): the
    record was never imported, so none of it passed the gate, and a source's record may carry a file's own values
    (a Data Package's inline rows). To whoever may not edit the source's publisher's datasets (`privileged`, asked
    only when something would be redacted) every value holding personal data is ``[redacted]``: a JSON payload's
    values (and keys) as `public_metadata` says them, any other text's runs between separators."""
    if not text:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict | list):
        found: set[str] = set()
        _collect_texts(value, found)
        personal = _personal_texts(found)
        if not personal or (privileged() if callable(privileged) else privileged):
            return text
        return json.dumps(_masked(value, personal), ensure_ascii=False)
    personal = _personal_texts(set(_PAYLOAD_TOKEN.findall(text)))
    if not personal or (privileged() if callable(privileged) else privileged):
        return text
    return _PAYLOAD_TOKEN.sub(lambda m: REDACTED_NAME if m.group(0) in personal else m.group(0), text)


def public_errors(value: Any, privileged: bool | Callable[[], bool] = False) -> Any:
    """A harvest report (catalog_schema.harvest_report) with every error's text and kind (`error`, `kind`) said as
    `public_payload` says a record's payload: an error may quote the value it failed on (a data.json entry that is
    no object, a sheet's cell), so its personal data is ``[redacted]`` but to `privileged` (the source's publisher's
    editors). A page or the command's text says an error from its `error_detail` instead: `said_error`."""
    if isinstance(value, dict):
        return {k: public_payload(v, privileged) if k in ("error", "kind") and isinstance(v, str)
                else public_errors(v, privileged) for k, v in value.items()}
    if isinstance(value, list):
        return [public_errors(v, privileged) for v in value]
    return value


def public_detail(detail: Any, privileged: bool | Callable[[], bool] = False) -> Any:
    """A harvest error's `error_detail` ({"msgid", "params"}, harvesters/messages.py) with each parameter that is
    text said through `public_payload` (a nested message's too): what the error quotes of a record or a cell has its
    personal data ``[redacted]``, while the message's own words (an example address among them) stay whole and
    are still translated."""
    if not isinstance(detail, dict) or not isinstance(detail.get("params"), dict):
        return detail
    return {**detail, "params": {k: public_detail(v, privileged) if isinstance(v, dict)
                                 else public_payload(v, privileged) if isinstance(v, str) else v
                                 for k, v in detail["params"].items()}}


def said_error(text: str | None, detail: Any, gettext: Callable[[str], str],
               privileged: bool | Callable[[], bool] = False) -> str:
    """A harvest error as the pages and the command line say it (in `gettext`'s language, from its `detail` when it
    has one, else its stored text), with its personal data ``[redacted]`` but to `privileged`: the values it quotes
    by `public_detail`, a stored text without detail by `public_payload` as a whole."""
    from harvesters.messages import render

    said = render(public_detail(detail, privileged), None, gettext) if isinstance(detail, dict) else ""
    return said or public_payload(text, privileged) or ""


#: What `_personal_texts` found of the texts it was asked about (text -> whether it holds personal data), in this
#: process: `mask_array` costs a millisecond and more for a few texts (its twenty array operations), and the same texts
#: are asked again at every request that describes their dataset (an office's e-mail address written in each of its
#: descriptions, on every page of package_search). Emptied when it holds `KNOWN_TEXTS` of them.
_known_texts: dict[str, bool] = {}
KNOWN_TEXTS = 50_000
#: The same for each other set of kinds asked about (`UNDECLARABLE_KINDS`: a contact's texts), each within
#: `KNOWN_TEXTS` too.
_known_by_kinds: dict[tuple[str, ...], dict[str, bool]] = {pii_scan.PERSONAL_KINDS: _known_texts}


def _personal_texts(texts: set[str], kinds: tuple[str, ...] = pii_scan.PERSONAL_KINDS) -> set[str]:
    """Those of `texts` that hold personal data (of `kinds`), as a table's cell is masked (quality.pii.mask_array: a
    value of a personal kind, alone or inside a longer text), in one vectorised pass over those not asked before
    (`_known_texts`)."""
    values = [t for t in texts if pii_scan.may_hold(t)]  # most metadata holds none: no array operation at all
    if not values:
        return set()
    known = _known_by_kinds.setdefault(kinds, {})
    said = {t: known.get(t) for t in values}  # read once: another request may empty it meanwhile
    asked = sorted(t for t, personal in said.items() if personal is None)
    if asked:
        found = dict(zip(asked, (bool(f) for f in pii_scan.mask_array(pa.array(asked, pa.string()), kinds)),
                         strict=True))
        said.update(found)
        if len(known) + len(found) > KNOWN_TEXTS:
            known.clear()
        known.update(found)
    return {t for t, personal in said.items() if personal}


def _personal_runs(free: dict, record: dict, undeclarable: set[str] = frozenset()) -> set[str]:
    """The runs of the texts of `free` (a dataset's free values) between separators (`_PAYLOAD_TOKEN`) that hold
    personal data, as `_personal_texts` tells them, but for the values `record` declares as its contacts
    (`_declared_contacts`, less the `undeclarable` runs of them: an identity number is declared by no contact). Most
    records are passed by one look at them written out
    (`quality.pii.may_hold_within`; the source's contact keys left out of it), and a text that cannot hold personal
    data (`quality.pii.may_hold`) is not cut at all."""
    extras = free.get("extras")
    if isinstance(extras, dict) and any(isinstance(extras.get(s), dict) for s in SOURCE_CONTACTS):
        extras = {key: ({k: v for k, v in value.items() if k not in SOURCE_CONTACTS[key]}
                        if key in SOURCE_CONTACTS and isinstance(value, dict) else value)
                  for key, value in extras.items()}
        free = {**free, "extras": extras}
    if not pii_scan.may_hold_within(repr(free)):  # repr: the texts written out in C, quicker than json.dumps
        return set()
    texts: set[str] = set()
    _collect_texts(free, texts)
    runs = {run for text in texts if pii_scan.may_hold(text) for run in _PAYLOAD_TOKEN.findall(text)}
    return _personal_texts(runs - (_declared_contacts(record) - undeclarable)) if runs else runs


#: The key under which `public_metadata` scans a record's publisher's extras among its free values.
PUBLISHER_EXTRAS = "\0publisher extras"


def _publisher_extras(record: dict) -> Any:
    """The extras of `record`'s publisher (catalog_schema.store.publisher_to_agent: what a migrated CKAN organization
    brought, its own keys and values): free values its source sent, no declared contact (`PUBLISHER_TEXTS`)."""
    pub = record.get("publisher")
    return pub.get("extras") if isinstance(pub, dict) else None


def _contact_values(record: dict) -> list:
    """The values of the parts of `record` that declare whom to contact: `CONTACTS` (its publisher's but for its
    extras: `_publisher_extras`), and the `SOURCE_CONTACTS` keys of its source kept in its extras."""
    values = [record.get(key) for key in CONTACTS]
    if _publisher_extras(record):
        values[CONTACTS.index("publisher")] = {k: v for k, v in record["publisher"].items() if k != "extras"}
    extras = record.get("extras") if isinstance(record.get("extras"), dict) else {}
    for source, keys in SOURCE_CONTACTS.items():
        kept = extras.get(source)
        if isinstance(kept, dict):
            values.extend(kept.get(key) for key in keys)
    return values


def _undeclarable_runs(record: dict) -> set[str]:
    """The runs of the texts of `record`'s contacts (`_contact_values`) that hold a value of `UNDECLARABLE_KINDS` (a
    resident identity number in a contact's name, "王五 110105..."): one look at them written out
    (`_UNDECLARABLE_SHAPE`) passes most records."""
    values = _contact_values(record)
    if not _may_hold_undeclarable(repr(values)):
        return set()
    texts: set[str] = set()
    _collect_texts(values, texts)
    runs = {run for text in texts for run in _PAYLOAD_TOKEN.findall(text)}
    return _personal_texts(runs, UNDECLARABLE_KINDS)


def _declared_contacts(record: dict) -> set[str]:
    """The texts, and their runs, of the parts of `record` that declare whom to contact (`_contact_values`), each also
    without or with ``mailto:``."""
    texts: set[str] = set()
    _collect_texts(_contact_values(record), texts)
    out = {run for text in texts for run in [text, *_PAYLOAD_TOKEN.findall(text)]}
    return out | {run.removeprefix("mailto:") for run in out} | {"mailto:" + run for run in out}


def _masked_runs(value: Any, runs: set[str]) -> Any:
    """`value` with each of `runs` in its texts (keys too) said ``[redacted]``, and a number that is one."""
    if isinstance(value, str):
        if not pii_scan.may_hold(value):
            return value
        return _PAYLOAD_TOKEN.sub(lambda m: REDACTED_NAME if m.group(0) in runs else m.group(0), value)
    if isinstance(value, int) and not isinstance(value, bool):
        return REDACTED_NAME if str(value) in runs else value
    if isinstance(value, list):
        return [_masked_runs(item, runs) for item in value]
    if isinstance(value, dict):
        return {(_masked_runs(k, runs) if isinstance(k, str) else k): _masked_runs(v, runs) for k, v in value.items()}
    return value


def _collect_texts(value: Any, into: set[str]) -> None:
    """Every text (and integer, as text: an ID or a phone number written as a JSON number) in `value`, keys too."""
    if isinstance(value, str):
        into.add(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        into.add(str(value))
    elif isinstance(value, list):
        for item in value:
            _collect_texts(item, into)
    elif isinstance(value, dict):
        for key, item in value.items():
            into.add(str(key))
            _collect_texts(item, into)


def _masked(value: Any, personal: set[str]) -> Any:
    if isinstance(value, str):
        return REDACTED_NAME if value in personal else value
    if isinstance(value, int) and not isinstance(value, bool):
        return REDACTED_NAME if str(value) in personal else value
    if isinstance(value, list):
        return [_masked(item, personal) for item in value]
    if isinstance(value, dict):
        return {(REDACTED_NAME if str(k) in personal else k): _masked(v, personal) for k, v in value.items()}
    return value


def public_change(change: dict | None, privileged: bool) -> dict | None:
    """How a version's rows changed from the version before (quality.tabular.compare), as `privileged` (an editor of
    the dataset's publisher) or the public is shown it. A column added or removed, or the rows' key, whose name is
    personal data is kept by its position (an integer, 1-based, in the version that has it); one kept by its name
    before the comparison said such a name by position is ``[redacted]`` to the public, as the data dictionary
    says it. A comparison that failed says why (`reason`, the reader's own error), which may quote a row of either
    copy (a CSV parse error names its line): its personal data is ``[redacted]`` as a harvest record's error is
    (`public_payload`)."""
    if privileged or not isinstance(change, dict):
        return change
    if isinstance(change.get("reason"), str):
        change = {**change, "reason": public_payload(change["reason"])}
    lists = {key: change[key] for key in ("columns_added", "columns_removed") if isinstance(change.get(key), list)}
    out = {**change, **{key: _public_names(names) for key, names in lists.items()}}
    if is_personal(change.get("key")) or isinstance(change.get("key"), str) and any(
            out[key] != names for key, names in lists.items()):
        out["key"] = REDACTED_NAME
    return out


def _public_names(names: list) -> list:
    """Columns a version added or removed as the public is told them: a name that is personal data itself, or one said
    by its position (an integer: such a name, kept so), shows the names are a first row of data read as a header, and
    every other name in it is ``[redacted]`` too (a person's name beside the ID number)."""
    if not any(isinstance(name, int) for name in names) and not pii_scan.first_row_of_data(names):
        return names
    return [name if isinstance(name, int) else REDACTED_NAME for name in names]


def public_columns(columns: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """A decision's columns (column -> kind -> cells) as the public is told them: a name that is personal data itself
    is said as ``[redacted]`` (``[redacted] 2`` for the next, so none is merged with another), and so is every other
    name then (the names are a first row of data read as a header: a cell with an e-mail in it names a column)."""
    out: dict[str, dict[str, int]] = {}
    hidden = 0
    headerless = pii_scan.first_row_of_data(columns)  # every name is then a cell of the first row
    for column, kinds in columns.items():
        if headerless:
            hidden += 1
            column = REDACTED_NAME if hidden == 1 else f"{REDACTED_NAME} {hidden}"
        out[column] = kinds
    return out


def _found(decision: Decision, lang: str) -> str:
    """"resident identity numbers in 身份证号 (20); mobile numbers in 联系电话 (20)": kinds, columns and counts,
    never values (nor a column's name that is one: `public_columns`)."""
    en = lang == "en"
    parts = []
    columns = public_columns(decision.columns)
    for kind in decision.kinds:
        label = KIND_LABELS.get(kind, (kind, kind))[0 if en else 1]
        where = [(c, kinds[kind]) for c, kinds in columns.items() if kind in kinds]
        if en:
            parts.append(f"{label} in " + ", ".join(f"{c} ({n})" for c, n in where))
        else:
            parts.append(f"{label}：" + "、".join(f"{c}（{n} 个）" for c, n in where))
    return "; ".join(parts) if en else "；".join(parts)


def _unreadable(dist: Distribution) -> bool:
    """The current copy is a table that could not be read, so it was never scanned (catalog_schema.store
    set_unreadable)."""
    facts = dist.pii
    return isinstance(facts, dict) and bool(facts.get("unreadable")) and facts.get("sha256") == dist.archive_hash


def explain(decision: Decision, lang: str) -> str:
    """Why the public is not given the file as it is, in "en" or "zh"."""
    en = lang == "en"
    if decision.reason == "unreadable":
        return ("This file could not be read (a table that does not parse, or a format the platform does not read), "
                "so it could not be checked for personal data, and it is not served. It will be once its publisher "
                "replaces it with a file that reads." if en else
                "该文件无法读取（表格无法解析，或平台无法读取其格式），因此无法检查是否含有个人信息，暂不提供下载。"
                "发布部门替换为可读取的文件后即可获取。")
    if decision.reason == "not-checked":
        return ("This file has not been checked for personal data yet, so it is not served. It will be once the "
                "check has run (normally within minutes of publication)." if en else
                "该文件尚未完成个人信息检查，暂不提供下载。检查完成后即可获取（通常在发布后几分钟内）。")
    found = _found(decision, lang)
    if decision.action == "redact":
        return (f"Personal data was found in this file ({found}). It is served with those columns, and every "
                "other cell holding personal data, masked." if en else
                f"该文件含有个人信息（{found}）。提供下载时，这些列以及其他含个人信息的单元格均已遮蔽。")
    if decision.reason == "not-maskable" and decision.personal_names:
        return (f"Personal data was found in this file ({found}), and its column names are personal data themselves "
                "(a file without a header row has its first row read as its column names). Masking cannot hide "
                "them, so it is withheld under the personal information protection rules until the publisher "
                "corrects the file." if en else
                f"该文件含有个人信息（{found}），且其列名本身即为个人信息（没有表头行的文件，其第一行数据被读作列名）。"
                "遮蔽无法隐去列名，因此根据个人信息保护规定暂停提供，直至发布部门更正该文件。")
    if decision.reason == "not-maskable":
        return (f"Personal data was found in this file ({found}). The original file cannot be served with it "
                "masked; the data, masked, is available as CSV, JSON, XML and RDF." if en else
                f"该文件含有个人信息（{found}）。原始文件无法遮蔽后提供；"
                "遮蔽后的数据可按 CSV、JSON、XML 和 RDF 格式下载。")
    return (f"Personal data was found in this file ({found}). It is withheld under the personal information "
            "protection rules until the publisher removes it, or an administrator of the publisher approves "
            "its publication with a reason." if en else
            f"该文件含有个人信息（{found}）。根据个人信息保护规定暂停提供，直至发布部门删除这些信息，"
            "或由发布部门管理员说明理由后批准公开。")


def masked_alternatives(ds: Dataset, dist: Distribution) -> dict[str, str]:
    """The conversions that can be served masked (for an original that cannot)."""
    # app.export.data serves through this module: importing it here, not at the top, breaks that cycle
    from app.export.data import EXTENSIONS, is_servable, resource_path

    if not is_servable(dist):
        return {}
    base = site_url() + resource_path(ds.slug, dist.id)
    return {ext: f"{base}/data.{ext}" for ext in EXTENSIONS}


def _wants_page() -> bool:
    """A refusal of this gate as a page: for a browser (it names text/html) outside the APIs. Anything under /api/
    answers the JSON error whatever Accept says, as every other error of the APIs does."""
    return is_browser() and not request.path.startswith("/api/")


def _by_accept(resp: Response) -> Response:
    """Outside /api/ a refusal of this gate is a page or JSON by Accept (`_wants_page`), whichever this request
    got: `Vary: Accept` (beside any other Vary), or a shared cache would hand a script's JSON (a 410 is public for
    a day) to the next browser."""
    if not request.path.startswith("/api/"):
        resp.vary.add("Accept")
    return resp


def withheld_response(ds: Dataset, dist: Distribution, decision: Decision, *, as_json: bool | None = None) -> Response:
    """HTTP 451 with why (kinds, counts per column: a column named by personal data is said as ``[redacted]``) and
    whom to contact: a page for browsers outside the APIs (`_wants_page`), else JSON."""
    decision = replace(decision, columns=public_columns(decision.columns))  # said, never used to mask
    who = contact(ds)
    code = decision.reason or "personal-data"
    # the masked conversions, for an original that cannot be masked (not for a table whose names are personal data)
    alternatives = masked_alternatives(ds, dist) if code == "not-maskable" and not decision.personal_names else {}
    # "message" in the API's language (?lang, Accept-Language), "message_zh" always
    body = {"status": 451, "code": code, "message": explain(decision, api_lang()),
            "message_zh": explain(decision, "zh"),
            "contact": who, "dataset": ds.slug, "distribution": dist.id, "kinds": decision.kinds,
            "columns": decision.columns, "policy": decision.policy}
    if alternatives:
        body["masked"] = alternatives
    if (not _wants_page()) if as_json is None else as_json:
        resp = jsonify({"error": body})
    else:
        lang = current_lang()
        resp = Response(render_template("datasets/withheld.html", ds=ds, dist=dist, decision=decision,
                                        file_title=public_file_texts(ds, dist)["title"],
                                        message=explain(decision, lang), contact=who, alternatives=alternatives,
                                        labels={k: v[0 if lang == "en" else 1] for k, v in KIND_LABELS.items()}),
                        mimetype="text/html")
    resp.status_code = 451
    # RFC 7725: blocked-by names who implements the block (this portal); whom to ask is in the body
    resp.headers["Link"] = f'<{site_url()}/>; rel="blocked-by"'
    resp.headers["Cache-Control"] = "no-cache"
    resp.vary.add("Accept-Language")  # the message in the reader's language
    if as_json is None:
        _by_accept(resp)
    resp.headers[GATE_HEADER] = "withhold"
    return resp


# --------------------------------------------------------------------------- serving


@dataclass(frozen=True)
class Plan:
    """What a route's producer is asked to send."""

    decision: Decision
    tag: str | None = None  # the ETag the answer goes out with (quoted), for a producer's own Range handling

    @property
    def mask(self) -> frozenset[str] | None:
        """The flagged columns to mask, or None when the data goes out as it is."""
        return frozenset(self.decision.columns) if self.decision.action == "redact" else None


NO_SUCH_RESOURCE = T_("No such resource in this catalog.")


def refusal(status: int, code: str, message: str, **extra: Any) -> Response:
    """A door's own refusal (404 nothing to serve, 400 a bad parameter) in the reader's language: a page in the
    page's language for a browser outside the APIs, else the JSON error (``{"error": {"status", "code",
    "message", **extra}}``) with the message in the API's language (app/api/lang.py: ?lang, Accept-Language)."""
    if _wants_page():
        from flask_babel import gettext  # a page: the language the site shows (app/i18n.py)

        resp = Response(render_template("datasets/unavailable.html", status=status, code=code,
                                        message=say(message, gettext)), mimetype="text/html")
    else:
        resp = jsonify({"error": {"status": status, "code": code, "message": localise(message), **extra}})
    _by_accept(resp)
    resp.vary.add("Accept-Language")
    resp.status_code = status
    return resp


#: How long a shared cache may keep a refusal of the gate: it revalidates (a draft published since, a file checked
#: since, an override given since are served at once), as the 451 says. A 410 and a 301 say their own (lifecycle).
REFUSAL_CACHE = "no-cache"


def not_found(code: str, message: str) -> Response:
    resp = refusal(404, code, message)
    resp.headers[GATE_HEADER] = "withhold"
    resp.headers["Cache-Control"] = REFUSAL_CACHE
    return resp


def is_bot() -> bool:
    return bool(BOTS.search(request.headers.get("User-Agent") or ""))


def etag(dist: Distribution, variant: str, decision: Decision) -> str:
    """The validator of an answer: the archived copy, what was served of it (`variant`), how (action, policy, the
    masked columns), and the description it was read and described with (`described`)."""
    raw = "\0".join([dist.archive_hash or "", variant, decision.action, decision.policy,
                     ",".join(sorted(decision.columns)) if decision.action == "redact" else "", described(dist)])
    return '"' + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32] + '"'


def described(dist: Distribution) -> str:
    """A digest of what the answers are made of besides the copy: the table schema its source declares (how the
    table is read and typed), the data dictionary with the agency's edits (schema.json, the CSVW metadata,
    datastore_info) and the dataset's title and licence (the CSVW metadata, the rows' OpenAPI). An edit of one of
    them changes those answers, so it moves their tags: a client revalidating was told 304 and kept the old."""
    ds = dist.dataset
    parts = [dist.table_schema, dist.dictionary, ds.title if ds is not None else None,
             dist.license_id or (ds.license_id if ds is not None else None)]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
                          ).hexdigest()[:16]


def _matches(tag: str) -> bool:
    wanted = [t.strip() for t in request.headers.get("If-None-Match", "").split(",") if t.strip()]
    return "*" in wanted or tag in wanted or f"W/{tag}" in wanted


def counts(resp: Response) -> bool:
    """A download: a GET answered in full (or from its first byte), by a person's client. A serving route takes POST
    only for the reads the CKAN clients POST (app.routing.POSTED_READS: ckanapi sends every action so): such a POST
    is the GET it stands for. HEAD sends no body."""
    if request.method not in ("GET", "POST") or is_bot():
        return False
    if resp.status_code == 200:
        return True
    return resp.status_code == 206 and (resp.headers.get("Content-Range") or "").startswith("bytes 0-")


def first_part(value: Any, *, first: int = 0, limit: Any = None) -> bool:
    """Whether a paging parameter (an offset from `first` = 0, a page number from `first` = 1; absent: the start) asks
    for the start of a table, and (`limit`: the rows asked, where 0 asks for none) for rows at all. A paged door
    counts a download for its first page only (`serve(count=...)`): a later page continues a read already counted,
    as a range past the first byte does, and paging through a table at a hundred rows a page counted hundreds of
    downloads; a page of no row (datastore_search limit=0: the fields and the total, which ckanapi's
    --datastore-fields and --datapackages ask of every table they dump) hands out no data. A value that is no
    number counts (its door refuses it, and a refusal is never counted)."""
    return _at_most(value, first) and not _at_most(limit, 0, absent=False)


def _at_most(value: Any, bound: int, *, absent: bool = True) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return absent
    try:
        return int(value) <= bound
    except (TypeError, ValueError):
        return absent


Producer = Callable[[Dataset, Distribution, Plan], Response]
Check = Callable[[Dataset, Distribution], Response | None]


def serve(*, dist_id: str, slug: str | None, variant: str, produce: Producer, check: Check | None = None,
          maskable: bool | Callable[[Distribution], bool] = True, count: bool = True,
          found: Callable[[Distribution], dict[str, dict[str, int]] | None] | None = None,
          conditional: bool = True, vary: tuple[str, ...] = ()) -> Response:
    """Answer a request for distribution `dist_id` (of dataset `slug`, when the URL names one).

    `variant` names what is served (``original``, ``csv``, ``json?limit=..``, ``csv-metadata``) for the ETag;
    `check(ds, dist)` may refuse with a 404 of the route's own before anything is decided (not archived,
    not a table); `produce(ds, dist, plan)` makes the response, masking ``plan.mask`` when it is set: it
    must copy what it needs from the rows before returning, as the request's session is committed (the
    download counted) before a streamed body is sent. `count=False` for what is not the data itself.
    `found(dist)`: personal data the route's own reading found (asked after `check`), added to the facts.
    `conditional=False`: an answer that carries no ETag (several tables' rows at once) never answers 304.
    `vary`: the request headers the producer's answer varies by (beside the session), which its 304 names too.
    """
    session = db_session()
    dist = distribution_named(session, dist_id, slug)  # the catalog's id, or its source's (the API shows both)
    if dist is None and slug is not None:  # a source's id under an old name of its dataset
        named, old = lifecycle.find(session, slug)
        if named is not None and old:
            dist = distribution_named(session, dist_id, named.slug)
    ds = dist.dataset if dist is not None else None
    if ds is None or ds.state not in ("active", "withdrawn", "draft"):
        return not_found("not-found", NO_SUCH_RESOURCE)
    user = viewer(session)
    privileged = auth.can_edit(session, user, ds.publisher)
    if slug is not None and ds.slug != slug:
        return _moved(session, ds, slug, user, privileged)
    if ds.state == "draft" and not privileged:
        return not_found("not-found", NO_SUCH_RESOURCE)
    if ds.state == "withdrawn" and not privileged:
        resp = _by_accept(gone_response(ds, as_json=None if _wants_page() else True))
        resp.headers[GATE_HEADER] = "withhold"
        return resp
    if check is not None:
        refused = check(ds, dist)
        if refused is not None:
            refused.headers[GATE_HEADER] = "withhold"
            refused.headers.setdefault("Cache-Control", REFUSAL_CACHE)
            return refused
    can_mask = maskable(dist) if callable(maskable) else maskable
    decision = decide(session, ds, dist, user, maskable=can_mask, found=found(dist) if found is not None else None)
    if decision.action == "withhold":
        return withheld_response(ds, dist, decision)
    tag = etag(dist, variant, decision)
    # the public's answer is public; sent to a request with a token it leaves `private` (app.delivery, for every
    # answer), and every answer here says `Vary: Authorization, X-CKAN-API-Key`: `viewer` read them
    cache = public_cache(decision)
    if conditional and _matches(tag):
        resp = Response(status=304)
    else:
        try:
            resp = produce(ds, dist, Plan(decision, tag))
        except ValueError as exc:  # masking refused (facts that do not fit the file): never serve unmasked
            session.rollback()
            if decision.action == "redact":
                return withheld_response(ds, dist, Decision("withhold", "not-maskable", decision.columns,
                                                            policy=decision.policy))
            return not_found("unreadable", T_("The file cannot be served: %(error)s", error=str(exc)))
        except HTTPException as exc:  # a producer's own HTTP refusal (416: a range past the end), marked below
            resp = current_app.make_response(current_app.handle_http_exception(exc))
        if count and 200 <= resp.status_code < 300 and counts(resp):
            record_usage(session, ds.id, "download")
            session.commit()
    if resp.status_code < 400:
        resp.headers["ETag"] = tag
        resp.headers["Cache-Control"] = cache
        for header in vary:
            resp.vary.add(header)
    resp.headers[GATE_HEADER] = decision.action
    return resp


#: How a file served only because an admin's override covers it may be kept: by anyone (it is public), but asked again
#: each time (`If-None-Match`, answered 304 while it stands), so that the override's revocation withholds it from the
#: next request, a shared cache's included, and not five minutes later (docs/security.md).
OVERRIDDEN_CACHE = "public, no-cache"


def public_cache(decision: Decision) -> str:
    """The Cache-Control of what the gate serves: its editors' copy is theirs alone; what an override let out is
    revalidated every time (`OVERRIDDEN_CACHE`); anything else is kept `PUBLIC_MAX_AGE` seconds."""
    if decision.privileged:
        return "private, no-store"
    return OVERRIDDEN_CACHE if decision.overridden else f"public, max-age={PUBLIC_MAX_AGE}"


def _moved(session: Session, ds: Dataset, slug: str, user: User | None, privileged: bool) -> Response:
    """A door of `ds` asked under `slug`, which is not its name: 301 to the same door under its name when `slug` is
    a name it had (as its page, documents and /api/v1 answer: app.services.lifecycle), else 404. An old name of a
    draft is found only by who may see the draft; their 301 is theirs alone."""
    resolution = lifecycle.resolve(session, slug, user)
    if resolution.outcome != lifecycle.MOVED or resolution.dataset is None or resolution.dataset.id != ds.id:
        return not_found("not-found", NO_SUCH_RESOURCE)
    resp = lifecycle.moved_response(ds)
    if privileged:
        resp.headers["Cache-Control"] = "private, no-store"
    resp.headers[GATE_HEADER] = "withhold"  # nothing of the file was sent
    return resp


def send_archived(path: str, plan: Plan, *, mimetype: str, download_name: str) -> Response:
    """An archived file as it is, as a download, for a producer of `serve`: ranges answered against the gate's ETag
    (`plan.tag`), so `If-Range: <that tag>` resumes a download (206, not counted again: `counts`) where it
    restarted it; several ranges at once (which a server may ignore, RFC 9110 14.2, and werkzeug refused 416) get
    the whole file; `If-Modified-Since` is answered from the file's time."""
    if request.range is not None and len(request.range.ranges) != 1:
        request.environ.pop("HTTP_RANGE", None)  # werkzeug reads the environ when it answers the range
    etag = plan.tag.strip('"') if plan.tag else False
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=download_name, conditional=True,
                     etag=etag)


# --------------------------------------------------------------------------- the dataset page's preview


def preview(session: Session, ds: Dataset, dist: Distribution, user: User | None, *, rows: int) -> dict[str, Any]:
    """The first `rows` rows of `dist` as the gate lets `user` see them: ``{"decision", "header", "rows"}``
    (no rows when withheld or when the archived copy is not a table we read)."""
    # app.export.data imports this module (see masked_alternatives)
    from app.export.data import is_servable

    decision = decide(session, ds, dist, user, maskable=True, found=_page_found(dist))
    out: dict[str, Any] = {"decision": decision, "header": [], "rows": []}
    if decision.action == "withhold" or not is_servable(dist):
        return out
    masked = tuple(sorted(decision.columns)) if decision.action == "redact" else None
    reading = (dist.archive_path, (dist.detected_format or "").upper(), dist.detected_encoding, rows, masked)
    try:
        if dist.archive_hash and os.path.isfile(dist.archive_path):
            header, first, columns = _first_rows(dist.archive_hash, *reading)  # an archived copy never changes
        else:
            header, first, columns = _read_first_rows(*reading)
    except (TableError, OSError, ValueError):  # ValueError: facts that do not fit the file: nothing shown
        return out
    out["header"] = list(header)
    out["rows"] = [list(r) for r in first]
    out["columns"] = columns
    return out


def _page_found(dist: Distribution) -> dict[str, dict[str, int]] | None:
    """What the row store's scan found, for a decision made for a page or a description: it counts there as on the
    data routes (the profile does not read GeoJSON, a table in a ZIP or XML records, so without it the page would
    show rows, and a GeoJSON file's map, that data.csv and data.geojson withhold); of a table the profile reads,
    what the store holds already (a page loads no such table: the profile's facts decide until it is loaded)."""
    from app.datastore.gate import scanned
    from app.export.data import is_servable

    return scanned(dist, load_missing=False) if is_servable(dist) and dist.archive_path else None


# --------------------------------------------------------------------------- a table's description


#: What a description of a withheld table leaves out for the public: ``notes``, the file's own text above and below
#: the table (units, sources, footnotes: the file says them, not the catalog); ``names``, column names that are
#: personal data themselves (said as ``[redacted]``).
LEFT_OUT = ("notes", "names")


def dictionary(session: Session, ds: Dataset, dist: Distribution, user: User | None) -> dict[str, Any] | None:
    """`dist`'s data dictionary (catalog_schema.dictionary.effective) as the gate lets `user` see it, for every door
    that describes a table's columns (the /api/v1 dictionary, the dataset page): ``{"decision", "dictionary",
    "left_out", "withheld"}``; None when it has none.

    Its editors, and the public of a table served as it is, get it whole. Of a table the public is refused or
    given masked, the public gets each column's type and what the publisher said of it (title, unit,
    description), its name unless the name is personal data itself (``[redacted]``: a file without a header row)
    and, served masked, a masked column typed ``string`` (as the Table Schema and the masked data say); of a
    withheld table the file's notes rows are left out too. ``left_out`` names what was (`LEFT_OUT`), and
    ``withheld`` (None when the public is given the data as it is) says what and why: ``{"code", "left_out",
    "message", "message_zh"}``, the message in the reader's language (`api_lang`; a page says it with
    `dictionary_notice`)."""
    from catalog_schema import dictionary as dictionaries

    dic = dictionaries.effective(dist.dictionary, dist.table_schema)
    if dic is None:
        return None
    decision = decide(session, ds, dist, user, maskable=True, found=_page_found(dist))
    out: dict[str, Any] = {"decision": decision, "dictionary": dic, "left_out": [], "withheld": None}
    if decision.privileged or decision.action == "serve":
        return out
    left_out: list[str] = []
    fields = []
    # a first row of data read as the names (a file without a header row): one of them personal data says so, and
    # every name in it is a citizen's cell (a person's name beside the ID number, which no detector tells from a word)
    headerless = pii_scan.first_row_of_data(f["name"] for f in dic["fields"])
    for f in dic["fields"]:
        f = dict(f)
        if decision.action == "redact" and f["name"] in decision.columns:
            f["type"] = "string"  # served as "[redacted]"
        if headerless:
            f["name"] = REDACTED_NAME
            if f.get("title") and is_personal(f["title"]):
                f["title"] = None
            if "names" not in left_out:
                left_out.append("names")
        fields.append(f)
    notes = dic.get("notes") or {}
    if decision.action == "withhold" and (notes.get("above") or notes.get("below")):
        notes = {"above": [], "below": []}
        left_out.insert(0, "notes")
    out["dictionary"] = {**dic, "fields": fields, "notes": notes}
    out["left_out"] = left_out
    out["withheld"] = {"code": decision.reason, "action": decision.action, "left_out": left_out,
                       "message": dictionary_notice(decision, left_out, api_lang()),
                       "message_zh": dictionary_notice(decision, left_out, "zh")}
    return out


def dictionary_notice(decision: Decision, left_out: list[str], lang: str) -> str:
    """What a description of a table the public is refused or given masked left out, and why, in "en" or "zh"."""
    en = lang == "en"
    said = []
    if "notes" in left_out:
        said.append("The notes rows of the file are left out of this description while the file is withheld." if en
                     else "文件暂停提供期间，本说明不列出文件中的说明行。")
    if "names" in left_out:
        said.append(f"The file has no header row: its first row of data, which holds personal data, was read as the "
                    f"column names, and each is shown as {REDACTED_NAME}." if en else
                    f"该文件没有表头行：含有个人信息的第一行数据被读作列名，每个列名都显示为 {REDACTED_NAME}。")
    return " ".join([*said, explain(decision, lang)]) if en else "".join([*said, explain(decision, lang)])


#: A preview's columns (the first ones; `columns` counts them all): a file whose one line held four million cells
#: made a page of every cell of its first rows, and the process kept it.
PREVIEW_COLUMNS = 100


@functools.lru_cache(maxsize=256)
def _first_rows(sha256: str, *reading) -> tuple[tuple[str, ...], tuple[tuple, ...], int]:
    """`_read_first_rows` of an archived copy, kept for the process: the copy is named by its content, and what
    the gate decided (the masked columns) is part of the key; the decision itself is made on every request.
    Reading the table and inferring its columns again was a third of a dataset page's CPU. A failed read
    raises and is not kept."""
    return _read_first_rows(*reading)


def _read_first_rows(path: str, fmt: str, encoding: str | None, rows: int,
                     masked: tuple[str, ...] | None) -> tuple[tuple[str, ...], tuple[tuple, ...], int]:
    """(the first PREVIEW_COLUMNS column titles, the first `rows` rows of those columns, how many columns)."""
    from app.export import convert

    table = convert.open_table(path, format=fmt, encoding=encoding, batch_rows=rows)
    try:
        if masked is not None:
            table = convert.masked(table, masked)
        first = next(iter(table.batches()), None)
    finally:
        table.close()
    if first is None:
        return (), (), 0
    shown = min(len(table.columns), PREVIEW_COLUMNS)
    return (tuple(c.title for c in table.columns[:shown]),
            tuple(tuple(r.values()) for r in first.slice(0, rows).select(list(range(shown))).to_pylist()),
            len(table.columns))
