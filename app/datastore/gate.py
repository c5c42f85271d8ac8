"""The row store's doors (CKAN `datastore_*`, the dump, `/api/v1/.../rows`) answer through the serving gate.

`serve_table` asks ``app.services.serving.serve`` with a check of its own: the distribution's current
archived copy must be a table the store holds (loaded now if the store has lost it; a copy that could not
be loaded is refused with why). The personal data the load's own scan found is added to the profile's
facts, so a GeoJSON or a zipped CSV holding personal data is withheld or masked like a plain CSV. The
producer gets the loaded table and the gate's plan; ``plan.mask`` are the columns to mask and to keep out
of filters, searches, sorts and aggregates.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response

from app.datastore import load
from app.datastore import whole as whole_scan
from app.request_context import db_session, setting
from app.services import serving
from app.services.usage import record_usage
from app.texts import T_
from catalog_schema import vocab
from catalog_schema.models import Dataset, Distribution
from quality.rules.pii_file import beyond

Refuse = Callable[[int, str, str, dict[str, Any]], Response]
Produce = Callable[[Dataset, Distribution, load.Loaded, serving.Plan], Response]


def root() -> Any:
    return load.root_of({"DATASTORE_DIR": setting("DATASTORE_DIR"), "ARCHIVE_DIR": setting("ARCHIVE_DIR")})


def max_rows() -> int:
    return int(setting("DATASTORE_MAX_ROWS") or 32000)


def scanned(dist: Distribution, *, load_missing: bool = True) -> dict[str, dict[str, int]] | None:
    """The personal data the store's scan found in `dist`'s current copy (every cell of the table the conversions
    and the row API serve), for the gate's `found`: what the profile's facts do not say. For a table the profile does
    not read (GeoJSON, a table in a ZIP, XML records) they say nothing of the rows; for one it reads they may have
    passed cells over (facts recorded before the profile scanned the cells of a column typed date or boolean from
    its first rows that are neither: ID numbers below a hundred dates), which data.csv then served while the row
    API withheld them. None for what is no table. `load_missing=False` (a page's preview, which loads no table the
    profile reads): what the store holds already, else None."""
    try:
        if load_missing or not _profiled(dist.detected_format):
            got = load.ensure(root(), dist)
        else:
            got = load.lookup(root(), load.key_of(dist)) if load.loadable(dist) else None
    except OSError:
        return None
    return got.pii if isinstance(got, load.Loaded) else None


def scanned_copy(sha256: str, path: str, fmt: str | None, encoding: str | None) -> dict[str, dict[str, int]] | None:
    """As `scanned`, for any archived copy (an earlier version of a file), loaded into the store if needed."""
    if _profiled(fmt) or (fmt or "").upper() not in load.LOADABLE_FORMATS or not os.path.isfile(path):
        return None
    try:
        got = load.lookup(root(), sha256)
        if not isinstance(got, load.Loaded):
            got = load.load(root(), sha256, path, format=fmt, encoding=encoding)
    except OSError:
        return None
    return got.pii if isinstance(got, load.Loaded) else None


def whole_file(dist: Distribution) -> dict[str, dict[str, int]] | None:
    """For a door that hands out `dist`'s file itself (not its table): `scanned`, plus the parts of the file no
    table reading covers (a workbook's other sheets, a ZIP's other members, notes rows) where they hold personal
    data the table's facts do not account for (quality.rules.pii_file.beyond). The assessment's personal-data
    findings are made from the same kept scan and the same `beyond`, so what withholds here also blocks
    publishing, and an override of those findings releases it here."""
    table = serving.merged_columns(serving.personal_columns(dist) or {}, scanned(dist)) or {}
    if not dist.archive_hash or not dist.archive_path or not os.path.isfile(dist.archive_path):
        return table
    return _with_beyond(table, _whole(dist.archive_hash, dist.archive_path, dist.detected_format))


def whole_copy(sha256: str, path: str, fmt: str | None, encoding: str | None,
               facts: dict[str, dict[str, int]] | None) -> dict[str, dict[str, int]] | None:
    """As `whole_file`, for any archived copy (an earlier version: `facts` are its profile's)."""
    table = serving.merged_columns(facts or {}, scanned_copy(sha256, path, fmt, encoding)) or {}
    if not os.path.isfile(path):
        return table
    return _with_beyond(table, _whole(sha256, path, fmt))


def _whole(sha256: str, path: str, fmt: str | None) -> dict:
    try:
        return whole_scan.found(root(), sha256, path, fmt)
    except OSError:
        return {"parts": {}, "table": None}


def _with_beyond(table: dict[str, dict[str, int]], whole: dict) -> dict[str, dict[str, int]]:
    """`table` and the parts of the file that hold personal data beyond it."""
    parts = beyond(table, whole.get("parts") or {}, whole.get("table"))
    return {**table, **{part: kinds for part, kinds in parts.items() if part not in table}}


def _profiled(fmt: str | None) -> bool:
    known = vocab.format_by_code((fmt or "").upper())
    return known is not None and known.tabular


def serve_table(*, dist_id: str, slug: str | None, variant: str, produce: Produce, refuse: Refuse,
                count: bool = True, conditional: bool = True, vary: tuple[str, ...] = ()) -> Response:
    """One table through the gate (`serving.serve`: `count`, `conditional` and `vary` are its own)."""
    state: dict[str, load.Loaded] = {}

    def check(ds: Dataset, dist: Distribution) -> Response | None:
        try:
            got = load.ensure(root(), dist)
        except OSError as exc:  # a store folder this process cannot write: say so rather than fail
            return refuse(404, "not-loaded", T_("The resource's table is not in the DataStore yet and cannot be "
                                                "loaded here (%(error)s).", error=exc.strerror or str(exc)), {})
        if got is None:
            if dist.archive_truncated:
                return refuse(404, "file-truncated", serving.truncated_copy(), {})
            if not dist.archive_hash:
                why = T_("The resource has not been downloaded and archived yet, so it has no rows in the "
                         "DataStore.")
            elif dist.detected_format:
                why = T_("The resource is %(format)s, not a table (CSV, TSV, XLS, XLSX, ODS, JSON, GeoJSON, XML "
                         "records or a table in a ZIP), so it has no rows in the DataStore.",
                         format=dist.detected_format)
            else:
                why = T_("The resource is of an unrecognised format, not a table (CSV, TSV, XLS, XLSX, ODS, JSON, "
                         "GeoJSON, XML records or a table in a ZIP), so it has no rows in the DataStore.")
            return refuse(404, "not-in-datastore", why, {})
        if isinstance(got, load.Failed):
            return refuse(404, "not-loaded", T_("The resource's table could not be loaded into the DataStore "
                                                "(%(reason)s): %(error)s", reason=got.reason, error=got.message),
                          {"datastore_error": got.to_dict()})
        state["loaded"] = got
        return None

    def found(dist: Distribution) -> dict[str, dict[str, int]]:
        return state["loaded"].pii

    def produced(ds: Dataset, dist: Distribution, plan: serving.Plan) -> Response:
        return produce(ds, dist, state["loaded"], plan)

    return serving.serve(dist_id=dist_id, slug=slug, variant=f"rows:{variant}", produce=produced, check=check,
                         found=found, count=count, conditional=conditional, vary=vary)


@dataclass(frozen=True)
class Admitted:
    """One table the gate let a multi-table request read, and how (``plan.mask``: the columns to mask)."""

    dataset: Dataset
    distribution: Distribution
    loaded: load.Loaded
    plan: serving.Plan


ProduceMany = Callable[[dict[str, Admitted]], Response]


def serve_tables(*, dist_ids: list[str], variant: str, produce: ProduceMany, refuse: Refuse,
                 vary: tuple[str, ...] = ()) -> Response:
    """Several tables through the gate at once (``datastore_search_sql``): `serve_table` asked for each id in
    turn, nested, so the first refusal (unknown, draft, withdrawn, withheld, not a table) is the answer and
    `produce` runs only once every table may be served, with what the gate decided for each. The request is one
    download of each dataset it read (two tables of one dataset: one). The answer is marked with the strictest
    decision (``redact`` when a table is masked), carries no ETag (one table's tag cannot vouch for the others), so
    no If-None-Match is answered 304 (the first table's gate answered `*` before the others were asked), and is never
    stored by a shared cache when a table was served as it is to its editor."""
    admitted: dict[str, Admitted] = {}

    def step(i: int) -> Response:
        if i == len(dist_ids):
            return produce(admitted)

        def produced(ds: Dataset, dist: Distribution, loaded: load.Loaded, plan: serving.Plan) -> Response:
            admitted[dist_ids[i]] = Admitted(ds, dist, loaded, plan)
            return step(i + 1)

        return serve_table(dist_id=dist_ids[i], slug=None, variant=variant, produce=produced, refuse=refuse,
                           count=False, conditional=False, vary=vary)

    resp = step(0)
    resp.headers.pop("ETag", None)
    if resp.status_code >= 400 or len(admitted) < len(dist_ids):
        resp.headers[serving.GATE_HEADER] = "withhold"
        return resp
    if 200 <= resp.status_code < 300 and serving.counts(resp):
        session = db_session()
        for dataset_id in dict.fromkeys(a.dataset.id for a in admitted.values()):
            record_usage(session, dataset_id, "download")
        session.commit()
    decisions = [a.plan.decision for a in admitted.values()]
    resp.headers[serving.GATE_HEADER] = "redact" if any(d.action == "redact" for d in decisions) else "serve"
    if any(d.privileged for d in decisions):
        resp.headers["Cache-Control"] = "private, no-store"
    elif any(d.overridden for d in decisions):  # revalidated, as each of those tables alone (serving.public_cache)
        resp.headers["Cache-Control"] = serving.OVERRIDDEN_CACHE
    return resp
