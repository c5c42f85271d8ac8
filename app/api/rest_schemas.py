"""Response schemas of the native REST API (JSON Schema 2020-12, as OpenAPI 3.1 components).

They live in code beside the views that fill them, are published in /api/v1/openapi.json,
and the tests validate real responses against them, so the description cannot drift.
The catalog record itself is catalog_schema/record.schema.json, embedded unchanged.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from app.api.errors import ERROR_SCHEMA, WITHHELD_SCHEMA


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(type_: str, **extra: Any) -> dict[str, Any]:
    return {"type": [type_, "null"], **extra}


def _obj(required: list[str], props: dict[str, Any], extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props, "additionalProperties": extra}


def _record_schemas() -> dict[str, dict[str, Any]]:
    """The record schema as OpenAPI components: "Record", and each of its `$defs` as "Record_<name>".

    OpenAPI resolves a `$ref` from the document's root, where the record schema's own `#/$defs/...`
    would dangle; its definitions become components of their own and the references follow them.
    """
    text = resources.files("catalog_schema").joinpath("record.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    schema.pop("$schema", None)
    schema.pop("$id", None)  # an $id would make its references resolve inside it, not from the document's root
    defs = schema.pop("$defs", {})
    # what the API adds to each distribution of a record it answers with (catalog_schema.store.to_record)
    defs["distribution"]["properties"]["catalog_id"] = {
        "type": ["string", "null"], "description": "The catalog's id of the distribution: what the paths of its "
        "rows, dictionary, versions and data.* take, and the key of `link_checks` (its source's `id` is accepted "
        "in those paths too)."}
    out = {"Record": schema, **{f"Record_{name}": value for name, value in defs.items()}}
    return json.loads(json.dumps(out).replace('"#/$defs/', '"#/components/schemas/Record_'))


LANGMAP = {"type": "object", "additionalProperties": {"type": "string"},
           "description": "Text per language tag ({\"en\": ..., \"zh\": ...}); the key \"\" holds text whose "
                          "language its source did not say (a harvested title with no language tag)"}
URL = {"type": "string", "format": "uri"}
SERIES_APART = ("Its published dataset series, counted apart: a series groups datasets and has no files of its own, so "
                "`datasets` (and the other counts) leave it out, as the publisher's page and the league table do")
COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
PAGE_LINKS = _obj(["self", "first", "last"], {
    "self": URL, "first": URL, "last": URL, "next": URL, "prev": URL})
PAGINATION = _obj(["page", "per_page", "total", "pages"], {
    "page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1},
    "total": {"type": "integer", "minimum": 0}, "pages": {"type": "integer", "minimum": 1}})
FACET = {"type": "array", "items": _obj(["value", "count"], {
    "value": {"type": ["string", "integer"]}, "count": {"type": "integer", "minimum": 1}})}
PUBLISHER_REF = {"oneOf": [{"type": "null"}, _obj(["slug", "name"], {"slug": {"type": "string"}, "name": LANGMAP,
                                                                     "links": {"type": "object"}})]}
STAR = {"type": ["integer", "null"], "minimum": 0, "maximum": 5}
SCORE = {"type": ["integer", "null"], "minimum": 0, "maximum": 100}
TIME = _nullable("string", format="date-time")

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": ERROR_SCHEMA,
    "Withheld": WITHHELD_SCHEMA,
    **_record_schemas(),
    "DatasetSummary": _obj(["id", "slug", "title", "publisher", "stars", "score", "modified", "links"], {
        "id": {"type": "string"}, "slug": {"type": "string"}, "title": LANGMAP, "publisher": PUBLISHER_REF,
        "stars": STAR, "score": SCORE, "modified": _nullable("string"), "metadata_modified": TIME,
        "links": _obj(["self", "html", "quality"], {"self": URL, "html": URL, "quality": URL})}),
    "DatasetList": _obj(["items", "pagination", "facets", "links"], {
        "items": {"type": "array", "items": _ref("DatasetSummary")}, "pagination": PAGINATION,
        "facets": {"type": "object", "additionalProperties": FACET}, "links": PAGE_LINKS}),
    "Dataset": {"allOf": [_ref("Record"), {"type": "object", "required": ["stars", "score", "links"], "properties": {
        "stars": STAR, "score": SCORE, "assessed_at": TIME, "metadata_modified": TIME, "created": TIME,
        "link_checks": {"type": "object", "description": "Per distribution (its `catalog_id`): its link-check history.",
                        "additionalProperties": _ref("LinkCheck")},
        "links": _obj(["self", "html", "quality", "quality_history", "usage", "exports"], {
            "self": URL, "html": URL, "quality": URL, "quality_history": URL, "usage": URL, "badge": URL,
            "publisher": URL, "exports": {"type": "object", "additionalProperties": URL},
            "distributions": {"type": "object", "description": "Per distribution (its `catalog_id`): where its data "
                              "is. `file` as published; for a table this site holds, `data` (its conversions: csv, "
                              "json, xml, ttl, csv-metadata) and `rows` (the row API); `dictionary` for a file with "
                              "a data dictionary",
                              "additionalProperties": _obj(["file", "versions"], {
                                  "file": {"type": ["string", "null"]}, "versions": URL,
                                  "data": {"type": "object", "additionalProperties": URL}, "rows": URL,
                                  "dictionary": URL})}})}}]},
    "LinkCheck": _obj(["status", "broken", "failure_count"], {
        "status": {"type": "string", "enum": ["ok", "unchanged", "broken", "error"]}, "broken": {"type": "boolean"},
        "http_status": {"type": ["integer", "null"]}, "error": {"type": ["string", "null"]},
        "last_checked": TIME, "last_success": TIME, "first_failure": TIME,
        "failure_count": {"type": "integer", "minimum": 0}}),
    "Assessment": _obj(["dataset", "assessed_at", "stars", "score", "metadata", "distributions", "data",
                        "findings"], {
        "dataset": {"type": "string"}, "assessed_at": {"type": "string", "format": "date-time"},
        "rule_version": {"type": "string"}, "stars": {"type": "integer", "minimum": 0, "maximum": 5},
        "score": {"type": "integer", "minimum": 0, "maximum": 100}, "subscores": {"type": "object"},
        "metadata": {"type": "object", "required": ["points", "max", "rating"]},
        "distributions": {"type": "array", "items": {"type": "object"}}, "data": {"type": "object"},
        "timeliness": {"type": ["object", "null"]}, "pii": {},
        "findings": {"type": "array", "items": {"type": "object", "required": ["type", "severity", "message"]}}},
        extra=True),
    "AssessmentHistory": _obj(["dataset", "items"], {
        "dataset": {"type": "string"},
        "items": {"type": "array", "items": _obj(["at", "stars", "score", "metadata_points"], {
            "at": {"type": "string", "format": "date-time"}, "stars": STAR, "score": SCORE,
            "metadata_points": {"type": "integer"}, "metadata_rating": {"type": "string"},
            "rule_version": {"type": "string"}})}}),
    "Usage": _obj(["dataset", "days", "totals"], {
        "dataset": {"type": "string"},
        "days": {"type": "array", "items": _obj(["day", "views", "downloads", "api_calls"], {
            "day": {"type": "string", "format": "date"}, "views": {"type": "integer"},
            "downloads": {"type": "integer"}, "api_calls": {"type": "integer"}})},
        "totals": _obj(["views", "downloads", "api_calls"], {
            "views": {"type": "integer"}, "downloads": {"type": "integer"}, "api_calls": {"type": "integer"}})}),
    "PublisherSummary": _obj(["slug", "name", "parent", "datasets", "links"], {
        "slug": {"type": "string"}, "name": LANGMAP, "parent": _nullable("string"),
        "homepage": _nullable("string"), "datasets": {"type": "integer", "minimum": 0},
        "series": {"type": "integer", "minimum": 0, "description": SERIES_APART},
        "links": _obj(["self", "html", "quality"], {"self": URL, "html": URL, "quality": URL})}),
    "PublisherList": _obj(["items", "pagination", "links"], {
        "items": {"type": "array", "items": _ref("PublisherSummary")}, "pagination": PAGINATION,
        "links": PAGE_LINKS}),
    "Publisher": _obj(["slug", "name", "description", "parent", "children", "counts", "links"], {
        "slug": {"type": "string"}, "name": LANGMAP, "description": LANGMAP, "uri": _nullable("string"),
        "homepage": _nullable("string"), "email": _nullable("string"), "parent": _nullable("string"),
        "children": {"type": "array", "items": {"type": "string"}},
        "counts": _obj(["datasets", "withdrawn", "distributions", "assessed", "stars", "formats", "licences"], {
            "datasets": {"type": "integer"}, "series": {"type": "integer", "description": SERIES_APART},
            "withdrawn": {"type": "integer"},
            "distributions": {"type": "integer"}, "assessed": {"type": "integer"},
            "stars": {"type": "array", "items": {"type": "integer"}, "minItems": 6, "maxItems": 6,
                      "description": "Datasets at 0..5 stars (latest assessment)"},
            "formats": COUNTS, "licences": COUNTS}),
        "links": _obj(["self", "html", "quality", "datasets"], {
            "self": URL, "html": URL, "quality": URL, "datasets": URL, "parent": URL})}),
    "PublisherQuality": _obj(["publisher", "name", "datasets", "stars", "average_stars", "share_3_plus",
                              "average_score", "average_metadata_points", "broken_links", "stale", "pii",
                              "rank"], {
        "publisher": {"type": "string"}, "name": LANGMAP,
        "datasets": {"type": "integer", "description": "Its assessed datasets, which every figure of the row is of"},
        "published": {"type": "integer", "description": "The datasets it publishes (a series is not one), assessed "
                      "or not, as its page counts them"},
        "stars": {"type": "array", "items": {"type": "integer"}, "minItems": 6, "maxItems": 6},
        "average_stars": {"type": "number"}, "share_3_plus": {"type": "number"},
        "average_score": {"type": "number"}, "average_metadata_points": {"type": "number"},
        "broken_links": {"type": "integer"}, "stale": {"type": "integer"}, "pii": {"type": "integer"},
        "rank": {"type": "integer", "minimum": 1}, "change": {"type": ["number", "null"]},
        "trend": {"type": "array", "items": {"type": "object"}},
        "links": {"type": "object"}}),
    "LeagueTable": _obj(["items"], {"items": {"type": "array", "items": _ref("PublisherQuality")}}),
    "JobSummary": _obj(["id", "status", "added", "updated", "unchanged", "withdrawn", "errored", "links"], {
        "id": {"type": "integer"}, "source": {"type": "string"}, "status": {"type": "string"},
        "full": {"type": "boolean"}, "created_at": TIME, "started_at": TIME, "finished_at": TIME,
        "since": {**TIME, "description": "An incremental job read only what the source changed since this time; "
                  "null: it read the whole source"},
        "added": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
        "withdrawn": {"type": "integer"}, "errored": {"type": "integer"}, "error": _nullable("string"),
        "links": _obj(["self"], {"self": URL})}, extra=True),
    "HarvestSource": _obj(["name", "type", "url", "publisher", "schedule", "enabled", "last_job", "links"], {
        "name": {"type": "string"}, "type": {"type": "string"}, "url": {"type": "string"},
        "publisher": _nullable("string"), "schedule": {"type": "string"}, "enabled": {"type": "boolean"},
        "config": {"type": "object", "description": "Source settings; values of secret-looking keys are masked"},
        "last_gathered_at": TIME, "datasets": {"type": "integer"},
        "last_job": {"oneOf": [{"type": "null"}, _ref("JobSummary")]},
        "jobs": {"type": "array", "items": _ref("JobSummary")},
        "links": _obj(["self"], {"self": URL, "report": URL})}),
    "HarvestReport": _obj(["source", "jobs_total", "jobs", "latest", "links"], {
        "source": _obj(["name", "type", "url", "publisher", "schedule", "enabled"], {
            "name": {"type": "string"}, "type": {"type": "string"}, "url": {"type": "string"},
            "publisher": _nullable("string"), "schedule": {"type": "string"}, "enabled": {"type": "boolean"},
            "last_gathered_at": TIME,
            "deleted_at": {**TIME, "description": "When the source was deleted (its report and jobs are kept)"}}),
        "jobs_total": {"type": "integer", "minimum": 0},
        "jobs": {"type": "array", "items": _ref("JobSummary"), "description": "The last jobs, newest first"},
        "latest": {"oneOf": [{"type": "null"}, _obj(["job", "added", "updated", "withdrawn", "errors"], {
            "job": _ref("JobSummary"),
            "added": _ref("HarvestChanges"), "updated": _ref("HarvestChanges"), "withdrawn": _ref("HarvestChanges"),
            "held_back": {**_ref("HarvestChanges"), "description": "What the job would have withdrawn, had a person "
                          "confirmed it (status needs-confirmation): withdrawn by the next run with confirmation"},
            "errors": _obj(["total", "kinds", "more_kinds"], {
                "total": {"type": "integer", "minimum": 0},
                "kinds": {"type": "array", "items": _obj(["stage", "kind", "count", "example"], {
                    "stage": _nullable("string"), "kind": {"type": "string"},
                    "count": {"type": "integer", "minimum": 1},
                    "example": _obj(["remote_id", "error"], {"remote_id": {"type": "string"},
                                                              "error": {"type": "string"}})}),
                          "description": "Most frequent first"},
                "more_kinds": {"type": "integer", "minimum": 0}})})],
            "description": "The newest job (null before the first)"},
        "links": _obj(["self", "source", "html"], {"self": URL, "source": URL, "html": URL})}),
    "HarvestChanges": _obj(["total", "items", "more"], {
        "total": {"type": "integer", "minimum": 0}, "more": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": _obj(["remote_id", "status", "dataset", "title", "state"], {
            "remote_id": {"type": "string"},
            "status": {"type": "string", "enum": ["added", "updated", "restored", "withdrawn", "held-back"]},
            "dataset": {"type": ["string", "null"], "description": "Slug (null when the dataset was deleted)"},
            "title": LANGMAP, "state": _nullable("string"),
            "links": {"type": "object", "properties": {"html": URL}}})}}),
    "HarvestSourceList": _obj(["items"], {"items": {"type": "array", "items": _ref("HarvestSource")}}),
    "HarvestJob": {"allOf": [_ref("JobSummary"), {"type": "object", "required": ["errors", "errors_total"],
                                                  "properties": {
        "errors_total": {"type": "integer"},
        "errors": {"type": "array", "items": _obj(["remote_id", "stage", "error", "payload"], {
            "remote_id": {"type": "string"}, "stage": _nullable("string"), "error": _nullable("string"),
            "payload": _nullable("string"), "payload_truncated": {"type": "boolean"},
            "created_at": TIME})}}}]},
    "DatasetWrite": {"type": "object", "description": "Metadata of a dataset to create or change. Texts are a "
                     "string (in `lang`, zh by default) or a language map; licences and frequencies by any of "
                     "their names (cc-by, CC-BY-4.0, a licence URL; MONTHLY, 每月 ...)", "properties": {
        "publisher": {"type": "string", "description": "Publisher slug (creation only)"},
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{1,99}$",
                 "description": "URL name (creation only; default: from the title)"},
        "lang": {"type": "string", "enum": ["zh", "en"]},
        "title": {"oneOf": [{"type": "string"}, LANGMAP]}, "description": {"oneOf": [{"type": "string"}, LANGMAP]},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "themes": {"type": "array", "items": {"type": "string"}, "description": "EU theme codes (TRAN, ECON ...)"},
        "hvd_category": {"type": "array", "items": {"type": "string"},
                         "description": "High-value dataset categories (IRI, code c_b79e35eb, key MOB or label); "
                                        "the HVD regulation becomes the applicable legislation"},
        "license": {"type": "string"}, "frequency": {"type": "string"},
        "contact_point": {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}}},
        "temporal": {"type": "object", "properties": {"start": {"type": "string"}, "end": {"type": "string"}}},
        "spatial": {"type": "array", "items": {"type": "string"}}, "access_rights": {"type": "string"},
        "landing_page": {"type": "string"}, "issued": {"type": "string"}, "modified": {"type": "string"},
        "distributions": {"type": "array", "items": _ref("DistributionLink"), "description": "Creation only"},
        "publish": {"type": "boolean", "description": "Creation only: publish at once"}}},
    "DataDictionary": _obj(["dataset", "distribution", "fields", "notes", "links"], {
        "dataset": {"type": "string"}, "distribution": {"type": "string"},
        "fields": {"type": "array", "items": _obj(["name", "type"], {
            "name": {"type": "string"}, "type": {"type": "string"}, "title": _nullable("string"),
            "unit": _nullable("string"), "description": _nullable("string")})},
        "notes": _obj([], {"above": {"type": "array", "items": {"type": "string"}},
                           "below": {"type": "array", "items": {"type": "string"}}}),
        "edited_at": _nullable("string"), "links": {"type": "object"},
        "withheld": _obj(["code", "left_out", "message", "message_zh"], {
            "code": {"type": "string", "description": "why the public is not given the file as it is (as its 451)"},
            "action": {"type": "string", "enum": ["withhold", "redact"]},
            "left_out": {"type": "array", "items": {"type": "string", "enum": ["notes", "names"]},
                         "description": "notes: the file's notes rows; names: column names that are personal data "
                                        "themselves, shown as [redacted]"},
            "message": {"type": "string"}, "message_zh": {"type": "string"}})}),
    "DistributionVersions": _obj(["dataset", "distribution", "versions"], {
        "dataset": {"type": "string"}, "distribution": {"type": "string"},
        "versions": {"type": "array", "items": _obj(["sha256", "archived_at", "current", "links"], {
            "sha256": {"type": "string"}, "archived_at": TIME, "size": _nullable("integer"),
            "format": _nullable("string"), "stars": STAR, "current": {"type": "boolean"},
            "personal_data": {"type": "boolean"},
            "change": {"type": ["object", "null"],
                       "description": "rows_added, rows_removed, rows_changed, columns_added, columns_removed, key: "
                                      "a column whose name is personal data is given by its position (an integer, "
                                      "1-based, in the version that has it)"},
            "links": _obj(["download"], {"download": URL})})}}),
    "DataDictionaryEdit": _obj(["fields"], {
        "fields": {"type": "object", "description": "{column: {title, description, unit, type}}; null restores the "
                                                    "inferred value",
                   "additionalProperties": {"type": "object", "additionalProperties": False, "properties": {
                       k: _nullable("string") for k in ("title", "description", "unit", "type")}}},
        "lang": {"type": "string"}}),
    "DistributionHvd": {"type": "object", "description": "A distribution's own high-value dataset fields "
                        "(dcatap:hvdCategory, dcatap:applicableLegislation)", "properties": {
        "dataset": {"type": "string", "readOnly": True}, "distribution": {"type": "string", "readOnly": True},
        "hvd_category": {"type": "array", "items": {"type": "string"},
                         "description": "HVD categories (IRI, code c_b79e35eb, key MOB or label), among the "
                                        "dataset's; answered as IRIs"},
        "applicable_legislation": {"type": "array", "items": {"type": "string", "format": "uri"},
                                   "description": "ELI URIs; the HVD regulation is kept while the dataset or the "
                                                  "distribution has a category"},
        "service_hvd_category": {"type": "array", "items": {"type": "string"},
                                 "description": "The same of the data service the distribution is reached "
                                                "through (absent when there is none)"},
        "service_applicable_legislation": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "lang": {"type": "string", "enum": ["zh", "en"]}}},
    "DistributionLink": _obj(["url"], {"url": URL, "title": {"type": "string"},
                                       "format": {"type": "string", "description": "e.g. CSV (default: from the URL)"},
                                       "media_type": {"type": "string", "description": "Its media type, e.g. text/csv "
                                                      "(a format's name, CSV, is that format's media type); with no "
                                                      "format given, the format it names. Anything else is refused "
                                                      "(422 invalid), nothing added"},
                                       "description": {"oneOf": [{"type": "string"}, LANGMAP],
                                                       "description": "What the file holds: a text in `lang`, or a "
                                                                      "language map"},
                                       "hvd_category": {"type": "array", "items": {"type": "string"},
                                                        "description": "Its own HVD categories, among the "
                                                                       "dataset's (as DistributionHvd)"},
                                       "applicable_legislation": {"type": "array", "items": {"type": "string"},
                                                                  "description": "ELI URIs (as DistributionHvd)"},
                                       "lang": {"type": "string"}}),
    "DistributionEdit": _obj([], {"title": {"oneOf": [{"type": "string"}, LANGMAP]},
                                  "description": {"oneOf": [{"type": "string"}, LANGMAP]},
                                  "format": _nullable("string", description="e.g. CSV"),
                                  "media_type": _nullable("string", description="Its media type, e.g. text/csv; "
                                                          "empty: none declared (an uploaded file's is then the "
                                                          "one sniffed from its bytes)"),
                                  "url": URL, "access_url": _nullable("string", description="Its landing page; "
                                                                      "empty: none"),
                                  "hvd_category": {"type": "array", "items": {"type": "string"}},
                                  "applicable_legislation": {"type": "array", "items": {"type": "string"}},
                                  "lang": {"type": "string"}}),
    "DistributionVersion": _obj(["file"], {"file": {"type": "string", "contentMediaType": "application/octet-stream",
                                                    "description": "The file's new version"},
                                           "title": {"type": "string"}, "lang": {"type": "string"},
                                           "description": {"type": "string", "description": "in `lang`"},
                                           "media_type": {"type": "string", "description": "Its media type, which "
                                                          "its bytes must bear out"}}),
    "DistributionUpload": _obj(["file"], {"file": {"type": "string", "contentMediaType": "application/octet-stream",
                                                   "description": "The file"},
                                          "title": {"type": "string"}, "lang": {"type": "string"},
                                          "description": {"type": "string", "description": "What the file holds, "
                                                          "in `lang`"},
                                          "media_type": {"type": "string", "description": "Its media type, e.g. "
                                                         "text/csv (a format's name, CSV, is that format's media "
                                                         "type), kept as declared; the format is the file's own "
                                                         "(its name's, else its bytes'). No media type (422 "
                                                         "invalid), or one naming another format than the bytes "
                                                         "are (text/csv for an XLSX workbook: 422 invalid), is "
                                                         "refused, nothing stored. Left out: the one sniffed from "
                                                         "the bytes"},
                                          "documentation": {"type": "string", "enum": ["1", "true"],
                                                            "description": "Take a file that is no data (an "
                                                            "image, a manual) as documentation"},
                                          "hvd_category": {"type": "array", "items": {"type": "string"},
                                                           "description": "Its own HVD categories, among the "
                                                                          "dataset's (as DistributionLink): a part "
                                                                          "a value, or one text of them separated "
                                                                          "by commas. Refused (422 invalid), "
                                                                          "nothing stored"},
                                          "applicable_legislation": {"type": "array", "items": {"type": "string"},
                                                                     "description": "ELI URIs (as "
                                                                                    "DistributionLink): a part a "
                                                                                    "value, or one text of them "
                                                                                    "separated by commas"}}),
    "Reason": _obj(["reason"], {"reason": {"type": "string", "minLength": 10}}),
    "PrePublicationCheck": _obj(["dataset", "state", "stars", "score", "findings", "preview", "pii", "blocked_by",
                                 "can_publish", "assessment"], {
        "dataset": {"type": "string"}, "state": {"type": "string", "enum": ["draft", "active", "withdrawn"]},
        "stars": {"type": "integer", "minimum": 0, "maximum": 5}, "score": {"type": "integer", "minimum": 0,
                                                                            "maximum": 100},
        "findings": {"type": "array", "items": {"type": "object", "required": ["type", "severity", "message"]}},
        "preview": {"type": "array", "items": _obj(["distribution", "header", "sample"], {
            "distribution": {"type": "string"}, "title": {"type": "string"}, "format": {"type": "string"},
            "encoding": {"type": ["string", "null"]}, "rows": {"type": "integer"},
            "columns": {"type": "integer", "description": "The table's columns; header and sample give the first "
                        "100 of them"},
            "header": {"type": "array", "items": {"type": "string"}},
            "sample": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}})},
        "pii": {"type": "array", "items": {"type": "object"}},
        "pii_override": {"type": ["object", "null"]},
        "blocked_by": {"type": "array", "items": {"type": "string", "enum": ["no-distributions", "pii"]}},
        "can_publish": {"type": "boolean"},
        "checked_at": {"type": ["string", "null"], "description": "When the check ran (it is kept with the "
                       "dataset and run again when the metadata or the files change)"},
        "assessment": {"type": "object", "description": "The full assessment document (as /quality gives it)"}}),
    "Discarded": _obj(["id", "slug", "state"], {
        "id": {"type": "string"}, "slug": {"type": "string", "description": "The name the draft had (now free)"},
        "state": {"type": "string", "enum": ["deleted"]}}),
    "PublishResult": _obj(["id", "slug", "state", "title", "publisher", "distributions", "links"], {
        "id": {"type": "string"}, "slug": {"type": "string"},
        "version": {"type": "string", "description": "The version an edit starts from: send it back in If-Match"},
        "state": {"type": "string", "enum": ["draft", "active", "withdrawn"]}, "title": LANGMAP,
        "publisher": _nullable("string"), "licence": _nullable("string"), "harvested": {"type": "boolean"},
        "stars": STAR, "score": SCORE,
        "distributions": {"type": "array", "items": _obj(["id", "url", "upload"], {
            "id": {"type": "string"}, "url": _nullable("string"), "title": LANGMAP, "format": _nullable("string"),
            "media_type": _nullable("string", description="Its declared media type"),
            "detected_format": _nullable("string"), "upload": {"type": "boolean"},
            "size": {"type": ["integer", "null"]}})},
        "links": _obj(["self", "check", "html", "edit"], {"self": URL, "check": URL, "html": URL, "edit": URL}),
        "check": _ref("PrePublicationCheck")}),
    "Rows": _obj(["data", "fields", "links", "meta"], {
        "data": {"type": "array", "items": {"type": "object"}, "description": "The page's rows, keyed by column"},
        "fields": {"type": "array", "items": _obj(["id", "type"], {"id": {"type": "string"},
                                                                  "type": {"type": "string"}}, extra=True)},
        "links": _obj(["self", "next", "prev"], {"self": {"type": "string"}, "next": _nullable("string"),
                                                 "prev": _nullable("string")}, extra=True),
        "meta": _obj(["page", "page_size", "total"], {"page": {"type": "integer"}, "page_size": {"type": "integer"},
                                                      "total": {"type": "integer"}}, extra=True)}),
    "OpenAPI": {"type": "object", "description": "This document (OpenAPI 3.1)", "required": ["openapi", "paths"]},
    "DocsPage": {"type": "string", "description": "An HTML page listing every endpoint"},
}
