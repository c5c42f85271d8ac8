"""The CKAN Action API's core (app/api/ckan_action.py is the door): its envelope and errors, parameter parsing, the
package, resource and organization dicts, and the core read and write actions.

The sub-modules (ckan_reads, ckan_activity, ckan_orgs, ckan_revise, ckan_follows, ckan_tokens, ckan_dcat) import
their helpers from here, never from app.api.ckan_action, which imports them all to build its registry: so each
imports on its own, in any order (a sub-module imported first used to fail on a circular import).

Package dicts come from `catalog_schema.ckan.to_ckan`, with the catalog's own bookkeeping
put where CKAN keeps it: `metadata_created`/`metadata_modified` are when the catalog's copy
was created/changed (what `fq=metadata_modified:[...]` and the sort see), the source's own
issued/modified dates ride in the `issued`/`modified` extras as ckanext-dcat puts them,
and the `qa` block is ckanext-qa's, from the latest Assessment.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session, selectinload

from app import auth, ckan_query, link_history
from app.api import datastore_fields
from app.api.lang import api_lang, localise
from app.assessment import latest_ids
from app.datastore import load as datastore
from app.datastore.gate import root as datastore_root
from app.security import request_token
from app.services import access, accounts, datasets, distributions, lifecycle, publishers, serving
from app.services.context import UNSTATED, Actor, Runtime
from app.services.errors import Forbidden, NotFound, ServiceError, UploadRejected
from app.settings import site_titles
from app.texts import T_, Text, join
from app.web.quality_view import reason_text
from catalog_schema import ckan, places, rowviews, search, series, vocab
from catalog_schema.models import Assessment, Dataset, Distribution, Publisher, User
from catalog_schema.record import pick_text
from catalog_schema.store import publisher_to_agent, to_record
from plumbing import jsontext

CKAN_VERSION = "2.10.4"
DEFAULT_ROWS = 10
MAX_LIST = 1000
_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Keys of our own package dicts that are computed, never stored from a client's dict.
_COMPUTED = ("qa", "metadata_created", "metadata_modified", "num_tags", "num_resources", "organization",
             "owner_org", "state", "private", "type", "creator_user_id", "revision_id", "tracking_summary",
             "relationships_as_object", "relationships_as_subject", "isopen", "series_navigation")
_RESOURCE_COMPUTED = ("qa", "package_id", "position", "state", "revision_id", "tracking_summary",
                      "datastore_active", "cache_url", "cache_last_updated", "archiver")


# --------------------------------------------------------------------------- errors and envelope


class ActionError(Exception):
    """An error CKAN would answer with; `fields` go into the error dict beside __type and message."""

    def __init__(self, status: int, type_: str, message: str, **fields: Any):
        super().__init__(message)
        self.status, self.type, self.message, self.fields = status, type_, message, fields


def not_found(what: str = T_("Not found")) -> ActionError:
    return ActionError(404, "Not Found Error", what)


def denied(why: str) -> ActionError:
    return ActionError(403, "Authorization Error", T_("Access denied: %(why)s", why=why))


def invalid(errors: dict[str, list[str]]) -> ActionError:
    return ActionError(409, "Validation Error",
                       join("; ", (Text("%(field)s: %(why)s", field=k, why=join(" ", v)) for k, v in errors.items())),
                       **errors)


def _site() -> str:
    return str(current_app.config["OPENDATA"]["SITE_URL"]).rstrip("/")


def envelope(name: str, body: dict[str, Any], status: int) -> Response:
    """The CKAN answer; an error's message and field errors in the request's language (app/api/lang.py)."""
    if "error" in body:
        body = {**body, "error": localise(body["error"])}
    doc = {"help": f"{_site()}/api/3/action/help_show?name={name}", **body}
    # orjson's text (plumbing.jsontext): a 20-package answer, 60 kB, took 0.5 ms with json.dumps, 0.14 ms
    resp = Response(jsontext.dumps(doc, default=str), status=status, content_type="application/json;charset=utf-8")
    # an error's message, and the qa blocks' reasons of a package, in the reader's language
    resp.vary.add("Accept-Language")
    return resp


# --------------------------------------------------------------------------- parameters


def _query_args() -> dict[str, Any]:
    """The query arguments, a repeated key as a list."""
    out: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        out[key] = values[0] if len(values) == 1 else values
    return out


def action_params(*, read: bool = True) -> dict[str, Any]:
    """GET and HEAD: the query arguments (repeated keys as lists). POST: the JSON body (an object), else the form;
    for a read (`read`: every action but the writes, as CKAN reads URL parameters of its side-effect-free actions),
    over the query arguments, so `POST package_search?rows=-1` is the request its GET is (it was answered as if
    the URL said nothing: 200 and the first page, where the GET is a Validation Error)."""
    if request.method in ("GET", "HEAD"):
        return _query_args()
    return {**(_query_args() if read else {}), **_body_params()}


def _body_params() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if request.form and not request.is_json:
        return {k: (v[0] if len(v) == 1 else v) for k, v in request.form.lists()}
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ActionError(400, "Bad Request", T_("Bad request - JSON Error: %(exc)s", exc=exc)) from exc
    if not isinstance(body, dict):
        raise ActionError(400, "Bad Request", T_("Bad request - JSON Error: the request body must be a JSON object"))
    return body


def int_param(params: dict, key: str, default: int | None, low: int = 0, high: int | None = None) -> int | None:
    """A whole-number parameter of an action (capped at `high`), or a CKAN Validation Error naming it."""
    value = params.get(key, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise invalid({key: [T_("Invalid integer")]})
    try:
        n = int(value)
    except (TypeError, ValueError) as exc:
        raise invalid({key: [T_("Invalid integer")]}) from exc
    if n < low:
        raise invalid({key: [T_("Must be at least %(low)s", low=low)]})
    return min(n, high) if high is not None else n


def _bool(params: dict, key: str, default: bool = False) -> bool:
    value = params.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _id_param(params: dict, *keys: str) -> str:
    for key in keys:
        value = params.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise invalid({keys[0]: [T_("Missing value")]})


# --------------------------------------------------------------------------- dict builders


def _iso(value: dt.datetime | None) -> str | None:
    """CKAN's timestamp form: naive UTC, microseconds."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def organization_dict(pub: Publisher, package_count: int | None = None,
                      privileged: bool | Callable[[], bool] = False) -> dict[str, Any]:
    """`pub` as CKAN's organization dict, its description's personal data ``[redacted]`` but to `privileged` (who may
    edit what it says of itself: serving.public_publisher)."""
    names = dict(pub.name or {})
    said = serving.public_publisher(pub, privileged)
    out = {"id": pub.slug, "name": pub.slug, "title": pick_text(names) or pub.slug,
           "display_name": pick_text(names) or pub.slug, "description": pick_text(said["description"]),
           "image_url": "", "image_display_url": "", "created": _iso(pub.created_at), "is_organization": True,
           "approval_status": "approved", "state": "active", "type": "organization"}
    if any(lang for lang in names):
        out["title_translated"] = names
    descriptions = said["description"]
    if any(lang for lang in descriptions):
        out["description_translated"] = descriptions
    if pub.homepage:
        out["url"] = pub.homepage
    image = ((pub.extras or {}).get("ckan") or {}).get("image_url")  # the source organization's own image
    if isinstance(image, str) and image.startswith(("https://", "http://")):
        out["image_url"] = out["image_display_url"] = image
    if package_count is not None:
        out["package_count"] = package_count
    return out


def _theme_group(code: str, count: int | None = None) -> dict[str, Any]:
    theme = vocab.THEMES.get(code)
    title = theme.labels.get("en", code) if theme else code
    out = {"id": code.lower(), "name": code.lower(), "title": title, "display_name": title,
           "description": "", "image_display_url": "", "type": "group", "is_organization": False,
           "state": "active", "approval_status": "approved"}
    if theme:
        out["title_translated"] = {k: v for k, v in theme.labels.items() if k in ("en", "zh")}
        out["uri"] = theme.uri
    if count is not None:
        out["package_count"] = count
    return out


def _reason(reasons: Any) -> str:
    """A file's star reasons as one text in the request's language (?lang, Accept-Language: app/api/lang.py), as
    the dataset page says them; English, as ckanext-qa's, for a client that asks nothing."""
    lang = api_lang()
    return " ".join(reason_text(r, lang) for r in reasons or [] if isinstance(r, str))


ALL_STARS = T_("All stars reached.")
NO_RESOURCES = T_("The dataset has no resources.")


def _qa_package(a: Assessment | rowviews.RowView) -> dict[str, Any]:
    """ckanext-qa's package block: the best resource's openness score and its reason."""
    dists = [d for d in a.distributions or [] if isinstance(d, dict)]
    best = max(dists, key=lambda d: d.get("stars") or 0, default=None)
    reason = _reason(best.get("reasons")) if best else localise(NO_RESOURCES)
    return {"openness_score": a.stars, "openness_score_reason": reason or localise(ALL_STARS),
            "updated": _iso(a.assessed_at), "score": a.score, "metadata_rating": a.metadata_rating}


def _qa_resource(row: Distribution, a: Assessment | rowviews.RowView | None) -> dict[str, Any] | None:
    found = next((d for d in (a.distributions if a else None) or []
                  if isinstance(d, dict) and d.get("id") == row.id), None)
    if found is None and row.stars is None:
        return None
    fmt = (found or {}).get("detected_format") or row.detected_format
    label = vocab.format_by_code(fmt).label if fmt and vocab.format_by_code(fmt) else fmt
    return {"openness_score": (found or {}).get("stars", row.stars),
            "openness_score_reason": _reason((found or {}).get("reasons")) or localise(ALL_STARS),
            "format": label, "updated": _iso(a.assessed_at) if a else None,
            "archival_timestamp": _iso(row.last_checked)}


def package_dict(ds: Dataset | rowviews.RowView, assessment: Assessment | rowviews.RowView | None,
                 session: Session | None = None, record: dict[str, Any] | None = None,
                 organizations: dict[int, dict[str, Any]] | None = None, *, shape: bool = True) -> dict[str, Any]:
    """The CKAN package dict of a dataset (an ORM Dataset, or a view of its row with `session`), as package_show
    gives it. `record`: the dataset's record, its series annotated (`_packages` makes them for a page at once);
    `organizations`: the organization dicts of a page's publishers, made once each (a page of a publisher's
    datasets has one). Every package dict has CKAN's whole key set (ckan.full_shape), harvested or made here;
    `shape=False`: only the keys the dataset gives (what a write compares a client's dict with)."""
    rec = record if record is not None else _record(ds)
    if record is None and rec.get("in_series"):  # ckanext-dataset-series' in_series: the series it resolved to
        series.annotate(session or object_session(ds), [rec])
    # personal data kept in a file's metadata (a resource's own keys, inline rows, a schema's examples): its
    # publisher's editors read it as it is (their package_update gives back what they read), the rest redacted
    rec = serving.public_metadata(rec, lambda: _edits(session or object_session(ds), ds))
    pkg = ckan.to_ckan(rec, site_url=_site())
    pkg["id"], pkg["name"] = ds.id, ds.slug
    pkg["state"] = {"active": "active", "draft": "draft"}.get(ds.state, "deleted")  # CKAN's states: a draft is one
    # CKAN's private: a draft is hidden (seen by its publisher's people only), as package_create's `private: true`
    # makes it; it read false, and a client that asked for a private dataset believed it public
    pkg["private"] = ds.state == "draft"
    pkg["type"] = ckan.SERIES_TYPES[0] if ds.kind == series.SERIES else "dataset"
    pkg["metadata_created"], pkg["metadata_modified"] = _iso(ds.created_at), _iso(ds.modified_at)
    ckan.add_dated_extras(pkg, rec)
    if ds.publisher is not None:
        if organizations is None:
            pkg["organization"] = organization_dict(ds.publisher)
        else:
            made = organizations.get(ds.publisher.id)
            if made is None:
                made = organizations[ds.publisher.id] = organization_dict(ds.publisher)
            pkg["organization"] = dict(made)
        pkg["owner_org"] = ds.publisher.slug
    # this portal's groups are the EU data themes (group_list, group_show, fq=groups:, the facet): a package
    # harvested from a CKAN says its themes too, not the source portal's own groups (often none), which no
    # group_show here answers
    pkg["groups"] = [_theme_group(t) for t in ds.themes or [] if t in vocab.THEMES]
    resources = pkg["resources"]
    if isinstance(resources, list) and len(resources) == len(ds.distributions):
        for position, (res, row) in enumerate(zip(resources, ds.distributions, strict=True)):
            if not isinstance(res, dict):
                continue
            # the catalog's own id: unique, unlike the ids some sources give (datapackage names)
            res["id"], res["package_id"], res["position"], res["state"] = row.id, ds.id, position, "active"
            res["datastore_active"] = _datastore_active(row)
            qa = _qa_resource(row, assessment)
            if qa is not None:
                res["qa"] = qa
            checked = link_history.archiver(row)  # the link's check history, as ckanext-archiver shapes it
            if checked is not None:
                res["archiver"] = checked
            if shape and (row.extras or {}).get("upload"):  # CKAN's mark of a file uploaded to the portal
                res.setdefault("url_type", "upload")
    if assessment is not None:
        pkg["qa"] = _qa_package(assessment)
    return ckan.full_shape(pkg) if shape else pkg


def _datastore_active(row: Distribution) -> bool:
    """CKAN's flag that `datastore_search` answers for the resource: its archived copy is a table the row
    store holds or will load on first use (not one it failed to load). ckanapi's `dump --datastore-fields`
    asks datastore_search only where it is true."""
    if not datastore.loadable(row):
        return False
    return not datastore.failed(datastore_root(), datastore.key_of(row))


def _latest_assessments(session: Session, ids: list[str]) -> dict[str, rowviews.RowView]:
    """Each dataset's latest assessment (of `ids`), as a view of the columns a package dict reads (its findings
    and document, the larger part of an assessment row, are not read)."""
    if not ids:
        return {}
    statement = _latest_assessments_statement(session.get_bind().dialect.name)
    return {a.dataset_id: a for a in rowviews.read(session, statement, {"ids": ids})}


#: What package dicts read of an assessment (_qa_package, _qa_resource).
_ASSESSMENT_COLUMNS = (Assessment.id, Assessment.dataset_id, Assessment.stars, Assessment.score,
                       Assessment.metadata_rating, Assessment.assessed_at, Assessment.distributions)


@functools.cache
def _latest_assessments_statement(dialect: str):
    """Each dataset's latest assessment (of `ids`: rowviews.ids_in; app.assessment.latest_ids), built once a
    database kind: made anew, the statement cost about as much CPU to build and key as to run."""
    latest = latest_ids(rowviews.ids_in(Assessment.dataset_id, dialect))
    return select(*_ASSESSMENT_COLUMNS).join(latest, latest.c.id == Assessment.id)


def _datasets(session: Session, ids: list[str]) -> list[Dataset]:
    rows = session.scalars(select(Dataset).where(Dataset.id.in_(ids))
                           .options(selectinload(Dataset.distributions), selectinload(Dataset.publisher))).all()
    by_id = {d.id: d for d in rows}
    return [by_id[i] for i in ids if i in by_id]


#: Columns no package dict reads, left out of the views: a dataset's payload as harvested (kilobytes each) and
#: pre-publication check, its box, hashes, harvest source, index keys and withdrawal (package_search answers
#: active datasets; package_show reads the ORM row), a file's personal-data facts and the extent of its GeoJSON
#: copy. A view asked for one of them raises (catalog_schema.rowviews), so a builder that comes to need one says so.
_PACKAGE_COLUMNS = tuple(a for a in Dataset.__mapper__.column_attrs
                         if a.key not in ("source_payload", "prepublication_check", "bbox_west", "bbox_south",
                                          "bbox_east", "bbox_north", "content_hash", "payload_hash", "source_id",
                                          "score", "stars", "successor", "updated_at", "withdrawn_at",
                                          "withdrawn_reason"))
_PACKAGE_DIST_COLUMNS = tuple(a for a in Distribution.__mapper__.column_attrs if a.key not in ("pii", "extent"))
#: What a package dict reads of a publisher (catalog_schema.store.publisher_to_agent, organization_dict): read with
#: the datasets, where ORM Publishers cost one more statement and their objects (about 0.3 ms of a package_search).
_PACKAGE_PUBLISHER_COLUMNS = (Publisher.slug, Publisher.name, Publisher.description, Publisher.uri,
                              Publisher.homepage, Publisher.email, Publisher.extras, Publisher.created_at,
                              Publisher.parent)


def _edits(session: Session, ds: Dataset | rowviews.RowView) -> bool:
    """Whether the request's user (signed in, or by its token) may edit `ds`: its publisher's editor, or a sysadmin."""
    return auth.can_edit(session, serving.viewer(session), ds.publisher)


def _record(ds: Dataset | rowviews.RowView) -> dict[str, Any]:
    # a view's JSON values were decoded for this call and nothing else holds them: the record takes them as they are
    return to_record(ds, copy=not isinstance(ds, rowviews.RowView))


def _packages(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    """The package dicts of `ids`, from views of their rows (catalog_schema.rowviews: no ORM objects); the
    series of those in one are read for all of them at once."""
    latest = _latest_assessments(session, ids)
    views = rowviews.datasets_by_ids(session, ids, _PACKAGE_COLUMNS, _PACKAGE_DIST_COLUMNS,
                                     _PACKAGE_PUBLISHER_COLUMNS)
    records = [_record(ds) for ds in views]
    series.annotate(session, [rec for rec in records if rec.get("in_series")])
    organizations: dict[int, dict[str, Any]] = {}
    return [package_dict(ds, latest.get(ds.id), session, rec, organizations)
            for ds, rec in zip(views, records, strict=True)]


# --------------------------------------------------------------------------- lookups


def _find_dataset(session: Session, ref: str) -> Dataset | None:
    if "\x00" in ref:  # no id or name holds one, and PostgreSQL refuses it in a query
        return None
    ds = session.get(Dataset, ref) if len(ref) <= 36 else None
    return ds or session.scalar(select(Dataset).where(Dataset.slug == ref))


def _find_publisher(session: Session, ref: Any) -> Publisher | None:
    if not isinstance(ref, str) or not ref.strip() or "\x00" in ref:
        return None
    ref = ref.strip()
    pub = session.scalar(select(Publisher).where(Publisher.slug == ref))
    if pub is None and ref.isdigit():
        pub = session.get(Publisher, int(ref))
    return pub


# --------------------------------------------------------------------------- read actions


def package_search(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """Search datasets with CKAN's q, fq, rows, start, sort, facet.field, facet.limit, facet.mincount and fl, and
    ckanext-spatial's ext_bbox. `include_private` or `include_drafts` (true) add the drafts (CKAN's private datasets)
    of the publishers the token's user edits (all of them for a sysadmin); to anyone else they add nothing.
    `include_deleted` (true) adds their withdrawn datasets likewise, with `state: "deleted"`."""
    try:
        text, filters = ckan_query.translate(params.get("q"), params.get("fq"), params.get("fq_list"))
        sort = ckan_query.translate_sort(params.get("sort"))
        fields = ckan_query.facet_fields(params.get("facet.field")) if _bool(params, "facet", True) else []
    except ckan_query.QueryError as exc:
        # the reason as a Text, said in the reader's language with the sentence (it was English inside the Chinese)
        raise ActionError(409, "Search Query Error", T_("Search Query is invalid: %(exc)s", exc=exc.args[0])) from exc
    rows = int_param(params, "rows", DEFAULT_ROWS, 0, ckan_query.MAX_ROWS)
    start = int_param(params, "start", 0, 0)
    facet_limit = int_param(params, "facet.limit", 50, -1)
    facet_limit = 1000 if facet_limit < 0 else facet_limit
    mincount = int_param(params, "facet.mincount", 1, 0)
    keep = _fl(params.get("fl"))
    empty = {"count": 0, "results": [], "sort": params.get("sort") or "score desc, metadata_modified desc",
             "facets": {f: {} for f in fields}, "search_facets": {f: {"title": f, "items": []} for f in fields}}
    bbox = None
    if params.get("ext_bbox") not in (None, ""):  # ckanext-spatial: datasets whose extent intersects W,S,E,N
        bbox = places.parse_bbox(params.get("ext_bbox"))
        if bbox is None:
            raise ActionError(409, "Search Query Error", T_("Search Query is invalid: ext_bbox must be W,S,E,N in "
                                                            "degrees (west <= east, south <= north), e.g. "
                                                            "118,27,123,31"))
    if filters.nothing:
        return empty
    query = search.SearchQuery(bbox=bbox,
        q=text, publisher=filters.publisher, format=filters.format, licence=filters.licence, theme=filters.theme,
        keyword=filters.keyword, hvd_category=filters.hvd_category, modified_since=filters.modified_since,
        modified_until=filters.modified_until, all_of=filters.also, none_of=filters.none_of,
        sort=sort, offset=start, limit=rows, facets=[ckan_query.FACET_FIELDS[f] for f in fields],
        facet_limit=max(facet_limit, 1))
    # CKAN's include_private and include_drafts: a draft is what CKAN calls private here (package_dict), so either
    # adds the drafts the token's user may read (their publishers', every one for a sysadmin); both were ignored, and
    # an editor's script over their own unpublished datasets found none. CKAN's include_deleted adds the withdrawn
    # datasets (CKAN's deleted ones, `state: "deleted"` in their package) of the same publishers, as CKAN's
    # permission labels give a deleted dataset to its organization's members only. To anyone else, what is
    # published. The search index holds drafts and withdrawn datasets, filtered by state and publisher as CKAN's Solr
    # filters by its labels: they were indexed again for each call, beside it, at 0.3-0.4 ms of CPU each.
    drafts = _bool(params, "include_private") or _bool(params, "include_drafts")
    deleted = _bool(params, "include_deleted")
    if (drafts or deleted) and user is not None:
        publishers = access.unpublished_readable(session, user)
        every, theirs = publishers is None, publishers or []
        query = dataclasses.replace(query, include_drafts=drafts and every, drafts_of=theirs if drafts else [],
                                    include_withdrawn=deleted and every, withdrawn_of=theirs if deleted else [])
    found = search.search(session, query)
    facets, search_facets = {}, {}
    orgs = {v for v, _ in found.facets.get("publisher", [])}
    titles = {p.slug: pick_text(p.name) for p in session.scalars(select(Publisher).where(Publisher.slug.in_(orgs)))} \
        if orgs else {}
    for name in fields:
        items = [_facet_item(titles, name, value, count)
                 for value, count in found.facets.get(ckan_query.FACET_FIELDS[name], [])
                 if count >= mincount][:facet_limit]
        facets[name] = {item["name"]: item["count"] for item in items}
        search_facets[name] = {"title": name, "items": items}
    results = _packages(session, found.ids)
    if keep:  # CKAN's fl: each result with those fields only
        results = _fields_of(results, keep)
    return {**empty, "count": found.total, "results": results, "facets": facets, "search_facets": search_facets}


#: What CKAN's index gives of a package's resources under `fl` (one value a resource, in the resources' order).
_FL_RESOURCES = {"res_format": "format", "res_name": "name", "res_url": "url", "res_description": "description"}
#: The keys of CKAN 2.10's package dict, which `fl` names whether or not a page's packages have them.
_FL_PACKAGE = ("id", "name", "title", "notes", "url", "version", "author", "author_email", "maintainer",
               "maintainer_email", "license_id", "license_title", "license_url", "isopen", "state", "private", "type",
               "owner_org", "organization", "groups", "tags", "extras", "resources", "num_tags", "num_resources",
               "metadata_created", "metadata_modified", "creator_user_id", "relationships_as_object",
               "relationships_as_subject", "title_translated", "notes_translated", "qa")


def _fields_of(results: list[dict[str, Any]], keep: list[str]) -> list[dict[str, Any]]:
    """The results with the `fl` fields only: the package's keys, and the resources' values CKAN's index keeps
    (`res_format` ...). A name that is neither is a Search Query Error naming it: it was left out silently, and a
    client asking `fl=name,res_format` got names alone."""
    unknown = [k for k in keep if k not in _FL_RESOURCES and k not in _FL_PACKAGE
               and not any(k in pkg for pkg in results)]
    if unknown:
        raise ActionError(409, "Search Query Error", T_("Search Query is invalid: %(exc)s", exc=T_(
            "fl: %(names)s is no field of a package here", names=", ".join(unknown))))
    out = []
    for pkg in results:
        resources = [r for r in pkg.get("resources") or [] if isinstance(r, dict)]
        out.append({k: [r.get(_FL_RESOURCES[k]) or "" for r in resources] if k in _FL_RESOURCES else pkg.get(k)
                    for k in keep})
    return out


def _fl(value: Any) -> list[str]:
    """CKAN's `fl`: the package fields to answer with, a list or a text of names (commas or spaces between)."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part for part in re.split(r"[,\s]+", str(value or "")) if part]


def _facet_item(org_titles: dict[str, str], field: str, value: Any, count: int) -> dict[str, Any]:
    name, display = str(value), str(value)
    if field == "organization":
        display = org_titles.get(name) or name
    elif field == "res_format":
        fmt = vocab.format_by_code(value)
        name = display = fmt.label if fmt else name
    elif field == "license_id":
        lic = vocab.licence_by_id(value)
        if lic is not None:
            name, display = lic.ckan_id or lic.id, lic.title
    elif field == "groups":
        group = _theme_group(value)
        name, display = group["name"], group["title"]
    elif field == "hvd_category":
        display = vocab.hvd_label(name, "en")
    return {"name": name, "display_name": display, "count": count}


def _readable(session: Session, ds: Dataset | None, user: User | None,
              missing: ActionError | None = None) -> Dataset:
    """`ds` as the read actions show it (app.services.lifecycle): active datasets to everyone, the others
    to who may edit them; to anyone else a withdrawn dataset is a Not Found Error with `state` and its
    tombstone (as CKAN answers for deleted packages), anything else a plain one (`missing`: what the
    action answers for something that does not exist, so that a hidden dataset reads as none)."""
    if ds is None:
        raise missing or not_found()
    outcome = lifecycle.visible(session, ds, user)
    if outcome == lifecycle.GONE:
        message, message_zh = lifecycle.gone_messages(ds)
        said = message_zh if api_lang() == "zh" else message  # (the English inside 未找到：, before)
        raise ActionError(404, "Not Found Error", T_("Not found: %(message)s", message=said), message_zh=message_zh,
                          state="withdrawn", tombstone=lifecycle.tombstone(ds))
    if outcome != lifecycle.FOUND:
        raise missing or not_found()
    return ds


def package_show(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """One dataset by id or name (a name it had before a rename too), with ckanext-qa's openness block."""
    ref = _id_param(params, "id", "name_or_id")
    ds = _find_dataset(session, ref) or lifecycle.find(session, ref)[0]
    ds = _readable(session, ds, user)
    pkg = package_dict(ds, _latest_assessments(session, [ds.id]).get(ds.id))
    return _with_series_navigation(session, ds, pkg)


def _brief(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "name": item["slug"], "title": pick_text(item["title"], fallback=item["slug"])}


def _with_series_navigation(session: Session, ds: Dataset, pkg: dict[str, Any]) -> dict[str, Any]:
    """`series_navigation` as ckanext-dataset-series adds it to package_show: on a series {"first", "last"}
    (when it has members), on a member one entry a series {"id", "name", "title", "previous", "next"} (None
    at the ends), each dataset named by id, name and title."""
    nav = series.navigation(session, ds)
    if ds.kind == series.SERIES:
        if nav["first"] is not None:
            pkg["series_navigation"] = {"first": _brief(nav["first"]), "last": _brief(nav["last"])}
    elif nav["series"]:
        pkg["series_navigation"] = [
            {**_brief(entry["series"]),
             "previous": _brief(entry["previous"]) if entry["previous"] else None,
             "next": _brief(entry["next"]) if entry["next"] else None} for entry in nav["series"]]
    return pkg


def package_list(session: Session, params: dict, user: User | None) -> list[str]:
    """Names of the active datasets, by name (limit/offset page it)."""
    limit = int_param(params, "limit", 0, 0)
    offset = int_param(params, "offset", 0, 0)
    stmt = select(Dataset.slug).where(Dataset.state == "active").order_by(Dataset.slug).offset(offset)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def current_package_list_with_resources(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The active datasets with their resources, the most recently changed first (CKAN's metadata_modified),
    each package as package_search gives it: `limit` (at most 1000, as package_search's rows), `offset`, or
    CKAN's older `page` of `limit` packages. Withdrawn datasets are not listed, as in package_list, nor are drafts
    but to a sysadmin, whom CKAN's gives the private datasets too (a draft is what CKAN calls private here)."""
    limit = int_param(params, "limit", ckan_query.MAX_ROWS, 1, ckan_query.MAX_ROWS)
    offset = int_param(params, "offset", 0, 0)
    page = int_param(params, "page", None, 1)
    if page is not None:
        offset = (page - 1) * limit
    states = ("active", "draft") if lifecycle.reads_drafts_of(session, None, user) else ("active",)
    ids = list(session.scalars(select(Dataset.id).where(Dataset.state.in_(states))
                               .order_by(Dataset.modified_at.desc(), Dataset.id).offset(offset).limit(limit)))
    return _packages(session, ids)


def _package_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(Dataset.publisher_id, func.count()).where(Dataset.state == "active")
                           .group_by(Dataset.publisher_id)).all()
    return {pid: n for pid, n in rows if pid is not None}


#: The sorts of CKAN's group_list and organization_list (`packages` is CKAN's older name of package_count).
_LIST_SORTS = ("name", "title", "package_count", "packages")


def _group_listing(items: list[Any], params: dict, wanted_key: str, *, name: Callable[[Any], str],
                   title: Callable[[Any], str], count: Callable[[Any], int],
                   texts: Callable[[Any], list[Any]]) -> list[Any]:
    """group_list's and organization_list's selection, as CKAN makes it: the names asked for (`wanted_key`: `groups`,
    `organizations`; a list or a text with commas), `q` held in a name, title or description (any language, case
    aside), `sort` (`name`, `title` or `package_count`, then `asc` or `desc`; another is a Validation Error), then
    `offset` and `limit` (at most 1000). group_list took none of them: each page was the whole list."""
    wanted = params.get(wanted_key)
    if isinstance(wanted, str):
        wanted = [w.strip() for w in wanted.split(",") if w.strip()]
    if isinstance(wanted, list) and wanted:
        items = [i for i in items if name(i) in wanted]
    q = params.get("q")
    if isinstance(q, str) and q.strip():
        term = q.strip().casefold()
        items = [i for i in items if any(isinstance(t, str) and term in t.casefold() for t in texts(i))]
    sort = str(params.get("sort") or "name asc").split()
    field, direction = (sort + ["asc"])[:2] if sort else ("name", "asc")
    if field not in _LIST_SORTS or direction.lower() not in ("asc", "desc") or len(sort) > 2:
        raise invalid({"sort": [T_("Give name, title or package_count, then asc or desc")]})
    key: Callable[[Any], Any] = {"package_count": count, "packages": count,
                                 "title": lambda i: title(i).casefold()}.get(field, name)
    items = sorted(sorted(items, key=name), key=key, reverse=direction.lower() == "desc")
    offset = int_param(params, "offset", 0, 0)
    limit = int_param(params, "limit", MAX_LIST, 0, MAX_LIST)
    return items[offset:offset + limit]


def _texts_of(*values: Any) -> list[Any]:
    """The texts of values and language maps, for `q`."""
    out: list[Any] = []
    for value in values:
        out += list(value.values()) if isinstance(value, dict) else [value]
    return out


def organization_list(session: Session, params: dict, user: User | None) -> list[Any]:
    """Publishers as CKAN organizations: names, or dicts with all_fields; `organizations`, `q`, `sort`, `offset` and
    `limit` as CKAN takes them."""
    counts = _package_counts(session)
    pubs = _group_listing(list(session.scalars(select(Publisher))), params, "organizations",
                          name=lambda p: p.slug, title=lambda p: pick_text(p.name) or p.slug,
                          count=lambda p: counts.get(p.id, 0),
                          # its description as everyone reads it: a redacted value in it finds nothing
                          texts=lambda p: _texts_of(p.slug, p.name or {},
                                                    serving.public_publisher(p)["description"]))
    if not _bool(params, "all_fields"):
        return [p.slug for p in pubs]
    return [organization_dict(p, counts.get(p.id, 0)) for p in pubs]


#: CKAN's permissions organization_list_for_user is asked about, and the roles here that have each: managing the
#: organization (its members) is an admin's; creating, changing or deleting its datasets an admin's or an editor's.
_PERMISSION_ROLES = {"manage_group": ("admin",), "create_dataset": ("admin", "editor"),
                     "update_dataset": ("admin", "editor"), "delete_dataset": ("admin", "editor"),
                     "read": ("admin", "editor")}


def organization_list_for_user(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The organizations the token's user has `permission` on (CKAN's default: manage_group), as organization_list
    with all_fields gives them, each with the user's `capacity`: what a publishing script asks before package_create
    ("which organizations may I publish to?"; it answered "Action name not known"). A sysadmin has every
    organization (capacity admin); no token, or another user's `id`, none (members are not listed to others here)."""
    permission = str(params.get("permission") or "manage_group")
    roles = _PERMISSION_ROLES.get(permission)
    if roles is None:
        raise invalid({"permission": [T_("%(value)s is not a permission: give one of %(known)s",
                                         value=_said(permission), known=", ".join(sorted(_PERMISSION_ROLES)))]})
    if user is None or not user.active:
        return []
    asked = params.get("id")
    if asked not in (None, "", str(user.id), user.email):
        return []
    counts = _package_counts(session)
    if user.is_sysadmin:
        pubs = sorted(session.scalars(select(Publisher)), key=lambda p: p.slug)
        return [{**organization_dict(p, counts.get(p.id, 0), True), "capacity": "admin"} for p in pubs]
    mine = sorted((m for m in user.memberships if m.role in roles), key=lambda m: m.publisher.slug)
    # what it says of itself as it is to its admins, who may write it back (app.services.publishers.may_edit)
    return [{**organization_dict(m.publisher, counts.get(m.publisher_id, 0), m.role == "admin"), "capacity": m.role}
            for m in mine]


def _user_dict(member: User, capacity: str) -> dict[str, Any]:
    """A member as CKAN's public user dict gives one, with its `capacity` (admin or editor). An account has no name
    but its e-mail address, which is private here: its number is its `name` (organization_member_create and
    _delete take it as `username`), its full name, when it gave one, its `display_name`. No address, no token."""
    name = str(member.id)
    return {"id": name, "name": name, "fullname": member.name, "display_name": member.name or name,
            "capacity": capacity, "state": "active" if member.active else "deleted"}


def organization_show(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """One publisher; include_datasets adds its active datasets (up to 1000) as packages; include_users (true by
    default) its members, each with its capacity, to its own members and sysadmins (anyone else gets none). To who
    may edit its datasets (its editors, sysadmins) its drafts count and are listed too, as CKAN's organization_show
    gives its members the organization's private datasets."""
    pub = _find_publisher(session, _id_param(params, "id"))
    if pub is None:
        raise not_found(T_("Organization not found"))
    states = ("active", "draft") if lifecycle.reads_drafts_of(session, pub, user) else ("active",)
    count = _package_counts(session).get(pub.id, 0)
    if len(states) > 1:
        count = session.scalar(select(func.count()).select_from(Dataset).where(
            Dataset.publisher_id == pub.id, Dataset.state.in_(states))) or 0
    privileged = functools.partial(publishers.may_edit, session, user, pub)  # asked only when something is redacted
    out = organization_dict(pub, count, privileged)
    # a migrated organization's (organization_update), their personal data redacted as its description's
    out["extras"] = serving.public_publisher(pub, privileged)["extras"]
    # CKAN's default; the members only to who may see them (app.services.accounts): the public gets none
    out["users"] = [_user_dict(m.user, m.role) for m in accounts.visible_members(session, user, pub)] \
        if _bool(params, "include_users", True) else []
    if _bool(params, "include_datasets"):
        ids = list(session.scalars(select(Dataset.id).where(Dataset.publisher_id == pub.id,
                                                            Dataset.state.in_(states))
                                   .order_by(Dataset.slug).limit(MAX_LIST)))
        out["packages"] = _packages(session, ids)
    return out


def group_list(session: Session, params: dict, user: User | None) -> list[Any]:
    """The EU data themes the catalog's active datasets have, as CKAN groups: names, or dicts with all_fields;
    `groups`, `q` (in a name or an English or Chinese title), `sort`, `offset` and `limit` as CKAN takes them."""
    found = search.search(session, search.SearchQuery(limit=0, facets=["theme"], facet_limit=1000))
    counts = {code: n for code, n in found.facets.get("theme", []) if code in vocab.THEMES}

    def title(code: str) -> str:
        return vocab.THEMES[code].labels.get("en", code)

    codes = _group_listing(list(counts), params, "groups", name=lambda c: c.lower(), title=title,
                           count=lambda c: counts[c],
                           texts=lambda c: [c.lower(), title(c), vocab.THEMES[c].labels.get("zh")])
    if not _bool(params, "all_fields"):
        return [code.lower() for code in codes]
    return [_theme_group(code, counts[code]) for code in codes]


def group_show(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """One theme as a CKAN group (its name as group_list gives it, its code or its IRI); include_datasets adds
    its active datasets (up to 1000) as packages. Without it a client walking group_list (``ckanapi dump groups
    --all``, ckanext-harvest's remote groups) stopped at the first name."""
    ref = _id_param(params, "id")
    code = next((c for c, t in vocab.THEMES.items() if ref.upper() == c or ref == t.uri), None)
    if code is None:
        raise not_found(T_("Group not found"))
    found = search.search(session, search.SearchQuery(theme=[code], limit=MAX_LIST if _bool(
        params, "include_datasets") else 0, sort="name"))
    out = _theme_group(code, found.total)
    out["users"] = []
    if _bool(params, "include_datasets"):
        out["packages"] = _packages(session, list(found.ids))
    return out


def tag_list(session: Session, params: dict, user: User | None) -> list[Any]:
    """Keywords of active datasets (the 1000 most used), filtered by `query` as a substring. Tags have no
    vocabularies here: a `vocabulary_id` is a Not Found Error, as CKAN answers for a vocabulary it has not."""
    free_tags_only(params)
    found = search.search(session, search.SearchQuery(limit=0, facets=["keyword"], facet_limit=1000))
    tags = sorted(str(v) for v, _ in found.facets.get("keyword", []))
    query = params.get("query")
    if isinstance(query, str) and query:
        tags = [t for t in tags if query.casefold() in t.casefold()]
    if _bool(params, "all_fields"):
        return [{"id": t, "name": t, "vocabulary_id": None} for t in tags]
    return tags


def free_tags_only(params: dict) -> None:
    """The tag actions' `vocabulary_id`: there are none here (tags are the datasets' free keywords), so one named is
    a Not Found Error; it was ignored, and a client asking for a vocabulary's tags got the free ones."""
    if params.get("vocabulary_id") not in (None, ""):
        raise not_found(T_("Could not find vocabulary \"%(vocabulary)s\"", vocabulary=_said(params["vocabulary_id"])))


def license_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The licence vocabulary with CKAN's ids (cc-by, odc-odbl ...)."""
    out = []
    for lic in vocab.licences():
        out.append({"id": lic.ckan_id or lic.id, "title": lic.title, "url": lic.url or "", "status": "active",
                    "od_conformance": lic.od_conformance, "osd_conformance": "not reviewed",
                    "is_okd_compliant": lic.is_open, "is_generic": False, "maintainer": "", "family": "",
                    "domain_content": True, "domain_data": True, "domain_software": False})
    return out


def _find_resource(session: Session, ref: str) -> Distribution | None:
    row = session.get(Distribution, ref) if len(ref) <= 36 else None
    if row is None:
        row = session.scalar(select(Distribution).join(Dataset).where(Distribution.remote_id == ref,
                                                                      Dataset.state == "active").limit(1))
    return row


def resource_show(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """One resource by id, as it appears in its package."""
    row = _find_resource(session, _id_param(params, "id"))
    if row is None:
        raise not_found(T_("Resource was not found."))
    # a resource of a draft or deleted dataset is answered as an id that names none (as the writes do)
    ds = _readable(session, row.dataset, user, missing=not_found(T_("Resource was not found.")))
    pkg = package_dict(ds, _latest_assessments(session, [ds.id]).get(ds.id))
    position = ds.distributions.index(row)
    resources = pkg["resources"]
    if not isinstance(resources, list) or position >= len(resources):
        raise not_found(T_("Resource was not found."))
    return resources[position]


def status_show(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """What CKAN clients probe first: a CKAN version they know, the site and the extensions emulated."""
    settings = current_app.config["OPENDATA"]
    # the portal's name in the answer's language, as its pages say it (开放数据 under ?lang=zh)
    title = site_titles({"SITE_TITLE": settings.get("SITE_TITLE")})[api_lang()]
    return {"site_title": title, "site_description": "", "site_url": _site(),
            "ckan_version": CKAN_VERSION, "error_emails_to": None,
            "locale_default": settings.get("DEFAULT_LOCALE", "zh_CN"),
            "extensions": ["qa", "dcat", "scheming_datasets", "datastore", "opendata_platform"]}


def site_read(session: Session, params: dict, user: User | None) -> bool:
    """Whether the site may be read: always, as in CKAN (clients call it to check a site answers its API)."""
    return True



# --------------------------------------------------------------------------- writes


def _writer(session: Session) -> User:
    token = request_token()
    if not token:
        raise denied(T_("an API token is required (Authorization: <token>)"))
    user = auth.user_for_token(session, token)
    if user is None:
        raise denied(T_("the API token is not valid (unknown, revoked or expired)"))
    session.commit()  # keep last_used_at, whatever happens to the write
    return user


#: What a refused write wanted, said in the reader's language (the zh refusal read "无权对 organization jh-transport
#: 执行 edit datasets of").
_WHAT = {"edit datasets of": T_("edit datasets of"), "create a dataset in": T_("create a dataset in"),
         "move a dataset to": T_("move a dataset to"), "delete datasets of": T_("delete datasets of")}


def _require_edit(session: Session, user: User, pub: Publisher | None, what: str) -> None:
    if not auth.can_edit(session, user, pub):
        where = T_("organization %(slug)s", slug=pub.slug) if pub is not None else T_(
            "a dataset without an organization")
        raise denied(T_("User %(email)s not authorized to %(what)s %(where)s",
                        email=user.email, what=_WHAT.get(what, what), where=where))


def _target_publisher(session: Session, data: dict, user: User, current: Publisher | None) -> Publisher:
    """The publisher a written package belongs to: owner_org (slug or id), else its organization's name.

    A sysadmin loading another portal's dump may name an organization unknown here: it is
    created from the package's `organization` (as ckanapi load expects of a CKAN site).
    """
    org = data.get("organization") if isinstance(data.get("organization"), dict) else None
    ref = data.get("owner_org") or (org or {}).get("name") or (org or {}).get("id")
    if not ref:
        if current is not None:
            return current
        raise invalid({"owner_org": [T_("Missing value")]})
    pub = _find_publisher(session, ref)
    if pub is None and org is not None and ref in (org.get("id"), org.get("name")) and user.is_sysadmin:
        agent = ckan.from_ckan({"name": "x", "organization": org})["publisher"]
        if agent and agent.get("slug") and _NAME.match(agent["slug"]):
            pub = _call(session, user, datasets.adopt_publisher, agent)
    if pub is None:
        raise invalid({"owner_org": [T_("Organization does not exist")]})
    return pub


def _clean_package(data: dict) -> dict:
    """A client's package dict without what the catalog computes (qa blocks, timestamps, counts)."""
    pkg = {k: v for k, v in data.items() if k not in _COMPUTED}
    if data.get("type") in ckan.SERIES_TYPES:  # the one type a client sets: a series (ckanext-dataset-series)
        pkg["type"] = data["type"]
    try:  # this catalog's groups are the EU data themes: the groups sent are the package's themes
        pkg = ckan.groups_as_themes(pkg)
    except ckan.UnknownGroups as exc:
        why = T_("%(names)s: no group of this catalog (its groups are the EU data themes of group_list)",
                 names=", ".join(exc.names))
        raise invalid({"groups": [why]}) from exc
    except ckan.Disagreement as exc:
        raise _disagreement(exc) from exc
    resources = pkg.get("resources")
    if isinstance(resources, list):
        pkg["resources"] = [{k: v for k, v in r.items() if k not in _RESOURCE_COMPUTED} if isinstance(r, dict)
                            else r for r in resources]
    return _client_tags(pkg)


def _client_tags(pkg: dict) -> dict:
    """Tags as CKAN's package schema takes them: `tag_string` ("人口,统计") in place of `tags`, and `tags` given as
    the list's JSON text (ckanapi's `tags=[...]` on the command line, a form post). tag_string was ignored (the
    keywords typed lost) and the JSON text became one keyword shown as `[{"name":"经济"}]`."""
    tag_string = pkg.pop("tag_string", None)
    if isinstance(tag_string, str):
        pkg["tags"] = [{"name": t.strip()} for t in re.split("[,，]", tag_string) if t.strip()]
    elif isinstance(pkg.get("tags"), str) and pkg["tags"].strip()[:1] == "[":
        try:
            pkg["tags"] = json.loads(pkg["tags"])
        except ValueError:
            pass  # not JSON after all: the text is the one tag, as before
    return pkg


def _record_for(data: dict, ds_id: str, slug: str, pub: Publisher, shown: dict | None = None,
                current: dict | None = None, plain: dict | None = None) -> dict:
    """The record of a client's package dict (`shown`: the package as package_show gave it, and `current` the
    dataset's record, for an update): what the package cannot tell from the record's present values stays as it is
    (ckan.as_it_was: sent back unchanged, it changes nothing)."""
    if not _has_text(data.get("title")) and not _has_text(data.get("title_translated")):
        data = {**data, "title": slug}  # CKAN's package schema: a title left empty is the name (if_empty_same_as)
    _check_extras_and_tags(data, current)
    # the keys package_show gives for CKAN's shape alone, sent back as it gave them, say nothing of the record
    data = ckan.without_shape(data, shown, plain)
    # a resource it adds with a url alone is a link to that file, as resource_create makes one (from_ckan reads a
    # url as a harvest reads another portal's: a landing page unless it looks like a file)
    data = ckan.added_links(shown, data)
    try:
        # the keys this door computes are never sent back as a source had them: its verbatim ones stay (as_it_was)
        rec = ckan.as_it_was(ckan.from_ckan(_clean_package({**data, "id": ds_id, "name": slug})), current, ds_id,
                             computed=(*_COMPUTED, "groups"), resource_computed=_RESOURCE_COMPUTED)
    except ValueError as exc:
        raise invalid({"__junk": [str(exc)]}) from exc
    rec["id"], rec["slug"], rec["state"] = ds_id, slug, "active"
    rec["publisher"] = publisher_to_agent(pub)
    return rec


def _check_extras_and_tags(data: dict, current: dict | None) -> None:
    """`extras` and `tags` as CKAN's package schema takes them, else a Validation Error naming the field: extras a
    list of {"key", "value"} objects (or the {key: value} object some portals give), and no tag with a comma, which
    CKAN's tag validator refuses (tag_string is split at commas; data.json and DCAT carried "a,b" as one keyword).
    `extras: "notalist"` was taken silently and dropped. A keyword the dataset has already passes as it is."""
    extras = data.get("extras")
    if extras is not None and not (isinstance(extras, dict) or isinstance(extras, list) and all(
            isinstance(e, dict) and "key" in e for e in extras)):
        raise invalid({"extras": [T_("Give a list of {\"key\": ..., \"value\": ...} objects")]})
    tags = _client_tags({"tags": data.get("tags"), **({"tag_string": data["tag_string"]}
                                                        if "tag_string" in data else {})}).get("tags")
    if not isinstance(tags, list):
        return
    kept = set((current or {}).get("keywords") or [])
    for i, tag in enumerate(tags):
        name = tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and ("," in name or "，" in name) and name not in kept:
            why = T_("Tag \"%(tag)s\" must not hold a comma: give each keyword as a tag of its own", tag=name)
            raise ActionError(409, "Validation Error", Text("%(field)s: %(why)s", field=f"tags[{i}].name", why=why),
                              tags=[{} for _ in range(i)] + [{"name": [why]}])


def _has_text(value: Any) -> bool:
    """A title (or a language map of titles) with some text in it."""
    if isinstance(value, dict):
        return any(_has_text(v) for v in value.values())
    return isinstance(value, str) and bool(value.strip())


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise invalid({"name": [T_("Missing value")]})
    if not _NAME.match(name):
        raise invalid({"name": [T_("Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_")]})
    return name


def _actor(session: Session, user: User):
    """The token's user at this door. CKAN's plain texts (`name`, `description`) say no language (its translations
    are `name_translated` ...): they are kept under "" (UNSTATED), as package_create keeps a plain `title` through
    from_ckan. They were kept as English (a Chinese name published as "各区人口"@en), a language the client never said;
    the error messages' language is the request's (app/api/lang.py), not the actor's."""
    runtime = Runtime(current_app.extensions["opendata"]["sessionmaker"], current_app.config["OPENDATA"])
    return Actor(session, user, "ckan_action", runtime=runtime, ip=request.remote_addr, lang=UNSTATED)


def _call(session: Session, user: User, service: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a service as the token's user; a refusal becomes the error CKAN would answer with."""
    actor = _actor(session, user)
    try:
        return service(actor, *args, **kwargs)
    except ServiceError as exc:
        session.rollback()
        raise _ckan_error(exc) from exc
    finally:
        actor.runtime.close()


def _ckan_error(exc) -> ActionError:
    if isinstance(exc, UploadRejected):
        exc.detail.setdefault("field", "upload")
    if exc.status == 403:
        return denied(exc.message)
    if exc.status == 404:
        return not_found(exc.message)
    if exc.status == 413:
        return ActionError(413, "Validation Error", exc.message, upload=[exc.message], code=exc.code)
    field = exc.detail.get("field") or {"pii-blocked": "resources"}.get(exc.code, "__junk")
    field = {"media_type": "mimetype"}.get(field, field)  # the record's name of a field, as CKAN names it
    # the pages' wording keys (why, value, limit ...) stay out of CKAN's error object
    extra = {k: v for k, v in exc.detail.items()
             if k not in ("field", "why", "value", "limit", "length", "found", "format", "filename", "column",
                          "property", "distribution")}
    position = exc.detail.get("distribution")
    if isinstance(position, int) and not isinstance(position, bool):  # a field of one resource of a package
        where = f"resources[{position}].{field}"
        return ActionError(409, "Validation Error", Text("%(field)s: %(why)s", field=where, why=exc.message),
                           resources=[{} for _ in range(position)] + [{field: [exc.message]}], code=exc.code,
                           **extra)
    return ActionError(409, "Validation Error", exc.message, **{field: [exc.message]}, code=exc.code, **extra)


def _existing_for_write(session: Session, params: dict, user: User, what: str,
                        missing: ActionError | None = None) -> Dataset:
    """The dataset a write names (`id` or `name`), as the one gate decides (access.dataset_for_edit): a Not Found
    Error (`missing`, else CKAN's plain one) when there is none, it is deleted, or it is a draft of a publisher the
    user does not edit (the public may not know of it: package_show answers the same, and an Authorization Error
    told another publisher's editor that a draft of that name existed); an Authorization Error, in CKAN's words,
    for another publisher's published or withdrawn dataset, or a harvested one and the user is no sysadmin."""
    ref = _id_param(params, "id", "name")
    try:
        ds = access.dataset_for_edit(session, user, ref, write=False)
    except NotFound:
        raise missing or not_found() from None
    except Forbidden as exc:  # the user does not edit its publisher: say so as CKAN does
        found = access.find_dataset(session, ref)
        _require_edit(session, user, found.publisher if found is not None else None, what)
        raise denied(exc.message) from exc
    try:
        access.ensure_not_harvested(ds, user)  # the services' rule and words, as an Authorization Error
    except Forbidden as exc:
        raise denied(exc.message) from exc
    return ds


def package_create(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Create a dataset in an organization the token's user may edit (name and owner_org required), published at
    once. Its resources are checked as a draft is before publishing: personal data in a file refuses the whole
    package (Validation Error), and nothing is created. A package asking for CKAN's `state: "draft"` or
    `private: true` is made a draft (seen by its publisher's people only, published through its check): it was
    public the moment it was made."""
    pub = _target_publisher(session, params, user, None)
    _require_edit(session, user, pub, "create a dataset in")
    name = _check_name(params.get("name"))
    ds_id = params.get("id")
    if isinstance(ds_id, str) and _UUID.match(ds_id):
        if session.get(Dataset, ds_id) is not None:
            raise invalid({"id": [T_("Dataset id already exists")]})
    else:
        ds_id = str(uuid.uuid4())
    rec = _record_for(params, ds_id, name, pub)
    if params.get("state") == "draft" or _bool(params, "private"):
        rec["state"] = "draft"
    ds = _call(session, user, datasets.save_package, rec, publisher=pub, action="package_create")
    return package_show(session, {"id": ds.id}, user)


def _update(session: Session, user: User, action: str, ds: Dataset, data: dict,
            shown: dict[str, Any] | None = None) -> dict[str, Any]:
    """Save `data` over `ds` (`shown`: its package dict as package_show gave it, when the caller has it)."""
    pub = _target_publisher(session, data, user, ds.publisher)
    if pub is not ds.publisher:
        _require_edit(session, user, pub, "move a dataset to")
    name = _check_name(data.get("name") or ds.slug)
    rec = _record_for(data, ds.id, name, pub, shown if shown is not None else _shown(ds), to_record(ds),
                      _shown(ds, shape=False))
    ds = _call(session, user, datasets.save_package, rec, dataset=ds, publisher=pub, action=action)
    return package_show(session, {"id": ds.id}, user)


def _not_made_private(ds: Dataset, asked: dict) -> None:
    """A published dataset asked to become `private: true` is refused, saying what hides it: the update answered 200
    and left it public (a client that asked for it believed it hidden). Only a withdrawal takes a published
    dataset from the public, with its reason and a tombstone; a draft stays a draft."""
    if "private" in asked and _bool(asked, "private") and ds.state == "active":
        raise invalid({"private": [T_("a published dataset is not made private: withdraw it (package_delete, or "
                                      "POST /api/v1/datasets/%(slug)s/withdraw with a reason), which keeps it for "
                                      "the record and tells its users why", slug=ds.slug)]})


def package_update(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Replace a dataset with the given package dict (keys left out are cleared, as in CKAN)."""
    return replace_package(session, params, user, "package_update")


def replace_package(session: Session, params: dict, user: User, action: str) -> dict[str, Any]:
    """package_update's work, audited as `action` (package_revise's revised dict takes this path too: the same gate,
    check and personal-data rules as every other change of a package)."""
    ds = _existing_for_write(session, params, user, "edit datasets of")
    _not_made_private(ds, params)
    shown = _shown(ds)
    data = _settled(shown, params)
    if "owner_org" not in data and "organization" not in data and ds.publisher is not None:
        data["owner_org"] = ds.publisher.slug
    if _state_change(session, user, ds, params, shown, data):
        return _after_state_change(session, ds, user)
    return _update(session, user, action, ds, data, shown)


#: CKAN's `state` of a package asked for by package_update or package_patch, and the service that takes a dataset
#: of each of our states there (None: refused, with the reason).
_STATE_CHANGES: dict[tuple[str, str], Callable[..., Any] | None] = {
    ("draft", "active"): datasets.publish, ("withdrawn", "active"): datasets.restore,
    ("active", "draft"): None, ("withdrawn", "draft"): None,
}


def _state_change(session: Session, user: User, ds: Dataset, params: dict, shown: dict[str, Any],
                  data: dict[str, Any]) -> bool:
    """Make the change of `state` package_update or package_patch asked for, if it asked for one (False: none asked).
    CKAN clients publish a draft (`"state": "active"`, the second step of CKAN's own form), undelete a dataset
    (`"active"`) or delete it (`"deleted"`) so; it was ignored, and answered `success: true` with the dataset as it
    was. Each goes through the service the publish pages use: the pre-publication check and the personal-data gate
    for `active`, package_delete's rule for `deleted`. Asked beside other changes it is a Validation Error naming
    `state`, with nothing changed (a service commits on its own, so the two could not be one change); so is a
    state CKAN has not, or a way back to a draft."""
    asked = params.get("state")
    now = {"active": "active", "draft": "draft"}.get(ds.state, "deleted")
    if asked is None or asked == now:
        return False
    if asked not in ("active", "draft", "deleted"):
        raise invalid({"state": [T_("%(value)s is not a state: give active, draft or deleted", value=_said(asked))]})
    others = {k for k in {*data, *shown} if k not in _COMPUTED and data.get(k) != shown.get(k)}
    if others:
        raise invalid({"state": [T_("a change of state is made on its own: send it with nothing else changed "
                                    "(changed here: %(keys)s)", keys=", ".join(sorted(others)))]})
    if asked == "deleted":
        package_delete(session, {"id": ds.id}, user)
        return True
    change = _STATE_CHANGES.get((ds.state, asked))
    if change is None:
        raise invalid({"state": [T_("dataset %(slug)s is %(state)s: it does not go back to a draft (withdraw it: "
                                    "package_delete)", slug=ds.slug,
                                    state=datasets.STATE_WORDS.get(ds.state, ds.state))]})
    _call(session, user, change, ds)
    return True


def _after_state_change(session: Session, ds: Dataset, user: User) -> dict[str, Any] | None:
    """The package as package_show gives it after a change of state; None once a sysadmin deleted it (as
    package_delete answers)."""
    return None if ds.state == "deleted" else package_show(session, {"id": ds.id}, user)


def _current(ds: Dataset, shape: bool = True) -> dict[str, Any]:
    current = package_dict(ds, None, shape=shape)
    current.pop("organization", None)
    return current


def _shown(ds: Dataset, shape: bool = True) -> dict[str, Any]:
    """The dataset's package dict as a client of package_show holds it (its JSON read back); `shape=False`: without
    the keys given for CKAN's shape alone."""
    return json.loads(jsontext.dumps(_current(ds, shape), default=str))


def _settled(shown: dict[str, Any], sent: dict[str, Any], resource: bool = False) -> dict[str, Any]:
    """A client's package (or resource) dict made from package_show's: the key it changed wins over the key of the
    same field it sent back as it was (a resource's edited `url` lost to the `download_url` beside it, silently);
    two changed keys that say different things are a Validation Error naming both (ckan.settle)."""
    try:
        if resource:
            return ckan.settle_resource(shown, sent, lang=api_lang())
        return ckan.settle(shown, sent, lang=api_lang())
    except ckan.Disagreement as exc:
        raise _disagreement(exc) from exc


def _said(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:199] + "…"


def _disagreement(exc: ckan.Disagreement) -> ActionError:
    why = T_("%(first)s and %(second)s give one field and were both changed, to different values (%(said_first)s; "
             "%(said_second)s): change one of them, or both to the same value",
             first=exc.where + exc.first, second=exc.where + exc.second, said_first=_said(exc.said_first),
             said_second=_said(exc.said_second))
    # a key named in an error dict as CKAN's: `extras[theme]` is an error of `extras`
    errors: dict[str, Any] = {re.sub(r"\[.*", "", key): [why] for key in (exc.first, exc.second)}
    found = re.match(r"^resources\[(\d+)\]\.$", exc.where)
    if found:  # CKAN's shape: one error dict per resource
        errors = {"resources": [{} for _ in range(int(found.group(1)))] + [errors]}
    return ActionError(409, "Validation Error", why, **errors)


def package_patch(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Change only the given keys of a dataset."""
    ds = _existing_for_write(session, params, user, "edit datasets of")
    _not_made_private(ds, params)
    patch = {k: v for k, v in params.items() if k != "id"}
    current = _shown(ds)
    data = _settled(current, {**current, **_translated_patch(current, patch)})
    if _state_change(session, user, ds, params, current, data):
        return _after_state_change(session, ds, user)
    return _update(session, user, "package_patch", ds, data, current)


def _translated_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A patch of `title` or `notes` alone changes the text in the language `package_show` showed it in (the
    current `title_translated`, kept by the merge, won over it: the answer echoed the new title, the catalog
    kept the old one); without a translated map, the request's language."""
    out = dict(patch)
    for key in ("title", "notes"):
        tkey = f"{key}_translated"
        if key not in patch or tkey in patch or not isinstance(patch[key], str):
            continue
        translated = dict(current.get(tkey) or {}) if isinstance(current.get(tkey), dict) else {}
        if not translated:
            continue
        shown = current.get(key)
        lang = next((k for k, v in translated.items() if v == shown), None) or api_lang()
        if patch[key].strip():
            translated[lang] = patch[key]
        else:
            translated.pop(lang, None)
        out[tkey] = translated
    return out


def package_owner_org_update(session: Session, params: dict, user: User) -> None:
    """Move a dataset to another organization (the user must edit both)."""
    ds = _existing_for_write(session, params, user, "edit datasets of")
    org = params.get("organization_id") or params.get("owner_org")
    if not org:
        raise invalid({"organization_id": [T_("Missing value")]})
    _update(session, user, "package_owner_org_update", ds, {**_current(ds), "owner_org": org})
    return None


def package_delete(session: Session, params: dict, user: User) -> None:
    """A sysadmin deletes a dataset (it answers 404 from then on); a publisher's admin or editor withdraws a
    published one (kept, answered with a tombstone, restorable) and discards a draft (never public: deleted, its
    name freed), as the publish pages do."""
    ds = _existing_for_write(session, params, user, "delete datasets of")
    if user.is_sysadmin:
        _call(session, user, datasets.delete, ds, action="ckan.package_delete")
    elif ds.state == "active":
        _call(session, user, datasets.withdraw, ds, reason=params.get("reason"), action="ckan.package_delete")
    elif ds.state == "draft":
        _call(session, user, datasets.discard, ds, action="ckan.package_delete")
    else:
        raise invalid({"state": [T_("dataset %(slug)s is %(state)s: only a sysadmin may delete it",
                                    slug=ds.slug, state=ds.state)]})
    return None


def _upload_part():
    upload = request.files.get("upload")
    if upload is None or not upload.filename:
        raise invalid({"upload": [T_("Send the file as the multipart part named 'upload'")]})
    return upload


def _declared_length() -> int | None:
    return max(0, (request.content_length or 0) - 65536) or None


def _form_maps(params: dict) -> dict:
    """A resource's params with the language maps a multipart form sends (`name_translated`, `description_translated`:
    every value of such a form is a string, so ckanapi's `upload=` calls send a map as its JSON text, as
    ckanext-fluent takes it) read as maps; one that is no JSON object of texts is a Validation Error naming it. An
    empty one is left out, as ckanapi leaves out what is None."""
    if not request.files and not (request.form and not request.is_json):
        return params
    out = dict(params)
    for key in ("name_translated", "description_translated"):
        value = out.get(key)
        if not isinstance(value, str):
            continue
        if not value.strip():
            out.pop(key)
            continue
        try:
            found = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            found = None
        if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
            raise invalid({key: [T_("Give a JSON object of language codes and texts, e.g. "
                                    "{\"en\": \"Stops\", \"zh\": \"站点\"}")]})
        out[key] = found
    return out


def _resource_fields(params: dict) -> dict[str, Any]:
    """A resource's title, description and format as the services take them: `name` and `description`, or their
    translations as package_show gives them (`name_translated`, `description_translated`), which win."""
    fields = {"title": params.get("name"), "description": params.get("description"), "format": params.get("format")}
    fields = {k: v for k, v in fields.items() if isinstance(v, str)}
    for key, field in (("name_translated", "title"), ("description_translated", "description")):
        if isinstance(params.get(key), dict):
            fields[field] = params[key]
    return fields


def _resource_hvd(params: dict, whole: bool) -> dict[str, Any]:
    """A resource's HVD categories and applicable legislation (lists, or their JSON text as a form post
    sends them); resource_update clears what it leaves out, resource_patch keeps it."""
    out: dict[str, Any] = {}
    for key in ("hvd_category", "applicable_legislation"):
        if key in params or whole:
            value = ckan.resource_list(params.get(key))
            out[key] = value
    return out


def resource_create(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Add a resource to a dataset: a URL, or a file uploaded as the multipart part `upload` (stored in
    the archive, capped, sniffed and vetted as on the publish page). On a published dataset the file is
    checked at once; personal data in it is withheld from the public (HTTP 451) until an admin overrides.
    Either is given its `mimetype` and `description` (or `description_translated`) as sent; a file's mimetype
    naming another format than its bytes are is a Validation Error on `mimetype` (add_upload), nothing stored."""
    return _resource_add(session, params, user)


def _resource_add(session: Session, params: dict, user: User, upload: Any = None,
                  action: str = "ckan.resource_create") -> dict[str, Any]:
    """resource_create's work; `upload`: the file (a multipart part) when it is not the part named `upload`
    (package_revise's `update__resources__extend` with `update__resources__-1__upload`), `action` the audit's name."""
    ref = params.get("package_id")
    if not isinstance(ref, str) or not ref:
        raise invalid({"package_id": [T_("Missing value")]})
    ds = _existing_for_write(session, {"id": ref}, user, "edit datasets of")
    params = _form_maps(params)
    fields = _resource_fields(params)
    hvd = _resource_hvd(params, whole=False)
    if upload is None and request.files:
        upload = _upload_part()
    if upload is not None:
        row = _call(session, user, distributions.add_upload, ds, upload.stream, upload.filename,
                    title=fields.get("title"), media_type=params.get("mimetype"),
                    description=fields.get("description"), declared_length=_declared_length(), site_url=_site(),
                    action=action, hvd=hvd)
    else:
        url = params.get("url")
        if not isinstance(url, str) or not re.match(r"^(https?|ftp)://\S+$", url.strip(), re.IGNORECASE):
            raise invalid({"url": ["Missing value" if not url else "Please provide a valid URL"]})
        # its mimetype as sent: the service takes it by resource_update's rule, a refusal naming `mimetype`
        row = _call(session, user, distributions.add_link, ds, url.strip(), title=fields.get("title"),
                    format=fields.get("format"), media_type=params.get("mimetype"),
                    description=fields.get("description"), action=action, hvd=hvd)
    return resource_show(session, {"id": row.id}, user)


def _resource_for_write(session: Session, params: dict, user: User) -> tuple[Dataset, Distribution]:
    row = _find_resource(session, _id_param(params, "id"))
    if row is None:
        raise not_found(T_("Resource was not found."))
    # a resource of a dataset the user may not see is one that does not exist, as resource_id names it
    ds = _existing_for_write(session, {"id": row.dataset_id}, user, "edit datasets of", missing=not_found(
        T_("Resource was not found.")))
    return ds, row


def _resource_change(session: Session, params: dict, user: User, *, whole: bool, action: str,
                     upload: Any = None) -> dict[str, Any]:
    """resource_update's and resource_patch's work (`action`: the audit's name of it, `ckan.<action>`); `upload` as
    _resource_add's."""
    ds, row = _resource_for_write(session, params, user)
    params = _settled_resource(session, ds, row, _form_maps(params), user, whole=whole)
    fields = _resource_fields(params)
    if whole:  # resource_update replaces: what is left out is cleared, as in CKAN
        fields = {"title": fields.get("title") or "", "description": fields.get("description") or "",
                  **({"format": fields["format"]} if fields.get("format") else {})}
    kwargs: dict[str, Any] = {"fields": {**{k: v for k, v in fields.items() if v or k == "description"},
                                         **_resource_hvd(params, whole)},
                              "action": f"ckan.{action}"}
    if upload is None and request.files:
        upload = _upload_part()
    if upload is not None:
        kwargs.update(stream=upload.stream, filename=upload.filename, declared_length=_declared_length(),
                      site_url=_site())
    elif isinstance(params.get("url"), str) and params["url"].strip() != (row.download_url or row.access_url):
        kwargs["url"] = params["url"].strip()
    if "access_url" in params:  # the landing page, as resource_show gives it; left out, the one it had stays
        kwargs["fields"]["access_url"] = params["access_url"]
    mimetype = params.get("mimetype")
    # edited (or made to follow the format), or sent with a new address or file, whose own would otherwise give it
    # (a new file's bytes must bear it out: distributions.replace)
    if "mimetype" in params and ((mimetype or None) != row.media_type or "url" in kwargs or "stream" in kwargs):
        kwargs["fields"]["media_type"] = mimetype
    # A new url alone: resource_patch keeps the format and mimetype, as CKAN's patch (resource_show's dict with the
    # keys sent over it) keeps every key it is not sent; they were lost whenever the new address named no format.
    # resource_update replaces the resource with the dict sent, as CKAN's does (the old dict is dropped, and CKAN's
    # if_empty_guess_format guesses no format for a resource that has an id): a format and mimetype it leaves out
    # are not kept, and the new address's own (none for .../export?id=3) are taken.
    if not whole and "url" in kwargs and not {"format", "mimetype"} & params.keys():
        kwargs["keep_format"] = True
    row = _call(session, user, distributions.replace, ds, row.id, **kwargs)
    return resource_show(session, {"id": row.id}, user)


def _settled_resource(session: Session, ds: Dataset, row: Distribution, params: dict, user: User, *,
                      whole: bool) -> dict[str, Any]:
    """A resource dict made from resource_show's, settled as a package's is (`_settled`): an edited `download_url`
    beside the `url` sent back as it was is the new URL. A patch is read as the resource shown with its keys
    over it; what goes on is the patch's keys and those settling changed."""
    shown = json.loads(jsontext.dumps(resource_show(session, {"id": row.id}, user), default=str))
    if whole:
        return _settled(shown, params, resource=True)
    merged = {**shown, **params}
    settled = _settled(shown, merged, resource=True)
    return {k: v for k, v in settled.items() if k in params or v != merged.get(k)}


def resource_update(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Replace a resource's metadata, URL or uploaded file (its id stays). A new file is checked as an added
    one is."""
    return _resource_change(session, params, user, whole=True, action="resource_update")


def resource_patch(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Change only the given keys of a resource (name, description, format, url, or a new upload)."""
    return _resource_change(session, params, user, whole=False, action="resource_patch")


def resource_delete(session: Session, params: dict, user: User) -> None:
    """Take a resource out of its dataset."""
    ds, row = _resource_for_write(session, params, user)
    _call(session, user, distributions.remove, ds, row.id, action="ckan.resource_delete")
    return None


# --------------------------------------------------------------------------- an organization's members


def _find_user(session: Session, ref: str) -> User | None:
    """The account `username` names: its e-mail address (accounts have no other name here) or its number."""
    if "\x00" in ref:
        return None
    user = auth.find_user(session, ref)
    if user is None and ref.isdigit() and len(ref) < 19:
        user = session.get(User, int(ref))
    return user


def _member_target(session: Session, params: dict, user: User) -> tuple[Publisher, User]:
    """The organization (`id`) and the account (`username`) a member action names. An account nobody has is a Not
    Found Error only to who may change the organization's members: to anyone else it is the Authorization Error
    any other account gets, so the action tells no one which addresses have an account."""
    pub = _find_publisher(session, _id_param(params, "id"))
    username = _id_param(params, "username")
    if pub is None:
        raise not_found(T_("Organization not found"))
    member = _find_user(session, username)
    if member is None:
        if accounts.may_manage_members(session, user, pub):
            raise not_found(T_("User not found"))
        raise denied(T_("Only an admin of %(publisher)s (or a portal administrator) may change its members.",
                        publisher=pub.slug))
    return pub, member


def _member_dict(pub: Publisher, member: User, role: str) -> dict[str, Any]:
    return {"id": f"{pub.slug}:{member.id}", "table_name": "user", "table_id": str(member.id), "group_id": pub.slug,
            "state": "active", "capacity": role}


def organization_member_create(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Make a user (`username`: their e-mail address) a member of an organization (`id`) with `role` (admin or
    editor; CKAN's `member` role does not exist here), or change the role of a member. An admin of the organization
    or a sysadmin; the organization's last administrator is not demoted (app.services.accounts.set_member_role, as
    the publisher's members page)."""
    pub, member = _member_target(session, params, user)
    role = _id_param(params, "role")
    _call(session, user, accounts.set_member_role, pub, member, role, add=True)
    return _member_dict(pub, member, role)


def organization_member_delete(session: Session, params: dict, user: User) -> None:
    """Take a user (`username`: their e-mail address) out of an organization (`id`): an admin of it or a sysadmin,
    or the user themselves; never its last administrator (app.services.accounts.remove_member, as the publisher's
    members page). Their account and API tokens stay; the tokens no longer change its datasets."""
    pub, member = _member_target(session, params, user)
    _call(session, user, accounts.remove_member, pub, member)
    return None


_NOT_HERE = {"aliases": "aliases are not kept: use the resource id",
             "primary_key": "the store has no keys to set: rows come from the archived file",
             "indexes": "the store indexes what it needs itself", "triggers": "triggers are not supported"}


def datastore_create(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Edit the data dictionary of a resource's table: `resource_id` and `fields` ([{"id": column, "info":
    {"label", "notes", "type_override", "unit"}}], as CKAN's Data Dictionary keeps them). The rows come from
    the resource's archived file, so `records` is refused (Validation Error, HTTP 409): upload a new file
    with resource_update instead. Returns the resource id and its fields as datastore_info shows them."""
    if params.get("records"):
        raise ActionError(409, "Validation Error", T_("records: this DataStore is fed from the resource's archived "
                          "file, not by datastore_create or datastore_upsert: upload the rows as a new file "
                          "(resource_update) and they are loaded from it"), code="rows-from-archive",
                          records=[T_("Rows come from the archived file: upload a new file with resource_update")])
    if isinstance(params.get("resource"), dict) and not params.get("resource_id"):
        raise invalid({"resource": [T_("datastore_create does not create resources here: create the resource "
                                    "with resource_create, then give its resource_id")]})
    for key, why in _NOT_HERE.items():
        if params.get(key):
            raise invalid({key: [why]})
    ds, row = _resource_for_write(session, {"id": _id_param(params, "resource_id")}, user)
    loaded = datastore.lookup(datastore_root(), datastore.key_of(row)) if row.archive_hash else None
    stored_types = {f.id: f.type for f in loaded.fields} if isinstance(loaded, datastore.Loaded) else {}
    try:
        edits = datastore_fields.edits(params.get("fields"), stored_types)
    except datastore_fields.FieldsError as exc:
        raise invalid({exc.key: [exc.message]}) from exc
    _call(session, user, distributions.edit_dictionary, ds, row.id, edits, action="ckan.datastore_create")
    described = datastore_fields.described(row)
    fields = [{"id": name, "type": stored_types.get(name, "text"), "info": info} for name, info in described.items()]
    return {"resource_id": row.id, "fields": fields, "method": "insert"}
