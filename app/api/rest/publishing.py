"""Publishing with an API token: drafts, files, the pre-publication check, publish, withdraw, restore.

Writes take the token only, never a session cookie, and go through the services (app/services/).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, jsonify, request

from app import auth
from app.api.errors import ApiError
from app.api.lang import api_lang
from app.api.openapi import Param
from app.api.rest.blueprint import api
from app.api.rest.datasets import dictionary_doc
from app.api.rest.quality import LANG
from app.api.rest.responses import api_url, clean_key, site_url
from app.i18n import N_
from app.request_context import db_session, setting
from app.security import request_token
from app.services import access, check, datasets, distributions, gate
from app.services.context import Actor, Runtime
from app.services.errors import StaleVersion
from app.services.fields import EDITABLE
from app.services.uploads import is_upload
from app.texts import T_
from app.web.quality_view import assessment_in, finding_in
from catalog_schema.models import Dataset

WRITE_ERRORS = (400, 401, 403, 404, 409, 422)
UPLOAD_SLACK = 64 * 1024  # multipart framing and form fields beside the file


def _token_user():
    """The user of the request's API token. Writes take the token only, never a session cookie."""
    token = request_token()
    if not token:
        raise ApiError(401, "unauthorized", T_("An API token is required: send it as 'Authorization: <token>'."))
    session = db_session()
    user = auth.user_for_token(session, token)
    if user is None:
        raise ApiError(401, "unauthorized", T_("The API token is not valid (unknown, revoked or expired)."))
    session.commit()  # keep last_used_at whatever happens to the write
    return user


def _body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(400, "bad-request", T_("Send a JSON object (Content-Type: application/json)."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad-request", T_("The request body must be a JSON object."))
    return data


def _actor(user, lang: str = "zh") -> Any:
    runtime = Runtime(current_app.extensions["opendata"]["sessionmaker"], current_app.config["OPENDATA"])
    return Actor(db_session(), user, "rest", runtime=runtime, ip=request.remote_addr, lang=lang)


@contextmanager
def _acting(user, lang: str = "zh") -> Iterator[Any]:
    actor = _actor(user, lang)
    try:
        yield actor
    finally:
        actor.runtime.close()


def _lang(data: dict[str, Any]) -> str:
    return "en" if str(data.get("lang") or "zh").lower().startswith("en") else "zh"


def _publish_doc(ds: Dataset, result: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = {"id": ds.id, "slug": ds.slug, "state": ds.state, "version": datasets.edit_version(ds),
           "title": dict(ds.title or {}),
           "publisher": ds.publisher.slug if ds.publisher else None, "licence": ds.license_id,
           "harvested": ds.source_id is not None, "stars": ds.stars, "score": ds.score,
           "distributions": [{"id": d.id, "url": d.download_url or d.access_url, "title": dict(d.title or {}),
                              "format": d.format, "media_type": d.media_type, "detected_format": d.detected_format,
                              "upload": bool(is_upload(d)), "size": d.byte_size} for d in ds.distributions],
           "links": {"self": api_url(".dataset", slug=ds.slug), "check": api_url(".dataset_check", slug=ds.slug),
                     "html": site_url(f"/dataset/{ds.slug}"), "edit": site_url(f"/publish/{ds.slug}")}}
    if result is not None:
        doc["check"] = _check_doc(result)
    return doc


def _if_match() -> list[str] | None:
    """The versions an If-Match header names (quoted or not, weak or not), None without one; "*" matches any."""
    raw = request.headers.get("If-Match")
    if raw is None or not raw.strip() or raw.strip() == "*":
        return None
    return [part.strip().removeprefix("W/").strip('"') for part in raw.split(",") if part.strip()]


def _check_doc(result: dict[str, Any]) -> dict[str, Any]:
    """The check, its findings' explanations and fixes in the language the request asks for (app/api/lang.py), as
    the quality endpoint says an assessment's: they were English under ?lang=zh."""
    lang = api_lang()
    doc = {k: result[k] for k in ("dataset", "state", "stars", "score", "preview", "pii_override", "blocked_by",
                                  "can_publish")}
    for key in ("findings", "pii"):
        doc[key] = [finding_in(f, lang) if isinstance(f, dict) else f for f in result[key] or []]
    assessment = result["assessment"]
    doc["assessment"] = assessment_in(assessment, lang) if isinstance(assessment, dict) else assessment
    doc["checked_at"] = result.get("checked_at")
    return doc


def _editable(slug: str, *, write: bool = True):
    user = _token_user()
    return user, access.dataset_for_edit(db_session(), user, clean_key(slug, "dataset"), write=write)


@api.endpoint("/datasets", summary=N_("Create a dataset (a draft, or published at once)"), response="PublishResult",
              tag="publishing", methods=("POST",), body={"application/json": "DatasetWrite"}, status=201,
              errors=WRITE_ERRORS, auth=True,
              description=N_("Needs an API token of an admin or editor of the publisher (or a sysadmin). Linked "
                          "distributions may be given as `distributions: [{url, title, format, media_type, "
                          "description}]`, each "
                          "taken as .../distributions takes a link (one refused: nothing is created); files are "
                          "uploaded afterwards to .../distributions. With `publish: true` the dataset is "
                          "published at once (refused, and nothing created, when the check blocks it)."))
def dataset_create():
    user = _token_user()
    data = _body()
    fields = {k: v for k, v in data.items() if k in EDITABLE}
    links = data.get("distributions") or []
    if not isinstance(links, list):
        raise ApiError(400, "bad-request", T_("distributions must be a list of objects {url, title, format}."))
    with _acting(user, _lang(data)) as actor:
        ds = datasets.create(actor, data.get("publisher"), fields, slug=data.get("name"), links=links,
                             publish_now=bool(data.get("publish")))
    resp = jsonify(_publish_doc(ds, actor.check))
    resp.status_code = 201
    resp.headers["Location"] = api_url(".dataset_check", slug=ds.slug)
    return resp


IF_MATCH = Param("If-Match", location="header",
                 description=N_("The `version` the change starts from (every publish result gives it): when the "
                                "dataset has changed since, nothing is changed and the answer is 412 "
                                "'precondition-failed'. Without it the change is made whatever changed before."))


@api.endpoint("/datasets/<slug>", summary=N_("Change a dataset's metadata"), response="PublishResult",
              tag="publishing", methods=("PATCH",), body={"application/json": "DatasetWrite"},
              errors=(*WRITE_ERRORS, 412), auth=True, params=(IF_MATCH,),
              description=N_("Only the fields given change; `name` renames the dataset (its old URL answers 301 "
                          "from then on). Harvested datasets are read-only (403 'harvested') until an admin of "
                          "the publisher detaches them. Send If-Match with the version you read to change "
                          "nothing if someone changed the dataset since."))
def dataset_patch(slug: str):
    user, ds = _editable(slug)
    data = _body()
    fields = {k: v for k, v in data.items() if k not in ("lang", "name")}
    with _acting(user, _lang(data)) as actor:
        try:  # one change, the version checked in it (datasets.claim_version): the rename too
            datasets.update(actor, ds, fields, new_slug=data.get("name"), expected_version=_if_match())
        except StaleVersion as exc:
            raise ApiError(412, "precondition-failed",
                           T_("Dataset %(slug)s changed since the version given in If-Match: nothing was changed. "
                              "Read it again (its version is %(version)s) and send the change with that.",
                              slug=repr(ds.slug), version=exc.detail["version"])) from None
    return jsonify(_publish_doc(ds))


def _parts_hvd(form) -> dict[str, Any]:
    """An upload's own HVD fields as a multipart form sends them, for add_upload(hvd=) as a link's JSON gives them: a
    part a value (`hvd_category=MOB`, `hvd_category=STA`), or one text of values separated by commas, which the
    service splits as it splits a link's."""
    out: dict[str, Any] = {}
    for key in ("hvd_category", "applicable_legislation"):
        values = form.getlist(key)
        if values:
            out[key] = values[0] if len(values) == 1 else values
    return out


def _uploaded_file():
    """The multipart part `file` of an upload, capped at OPENDATA_MAX_UPLOAD_BYTES (413 for a larger request, as it
    streams too); 400 without one."""
    cap = int(setting("MAX_UPLOAD_BYTES"))
    if request.content_length is not None and request.content_length > cap + UPLOAD_SLACK:
        raise ApiError(413, "too-large", T_("The upload is %(content_length)s bytes; the limit is %(cap)s bytes.",
                                            content_length=format(request.content_length, ","),
                                            cap=format(cap, ",")))
    request.max_content_length = cap + UPLOAD_SLACK
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(400, "bad-request", T_("Send the file as the multipart part named 'file'."))
    return upload


@api.endpoint("/datasets/<slug>/distributions", summary=N_("Add a distribution: a link, or an uploaded file"),
              response="PublishResult", tag="publishing", methods=("POST",), status=201,
              body={"application/json": "DistributionLink", "multipart/form-data": "DistributionUpload"},
              errors=(*WRITE_ERRORS, 413), auth=True,
              description=N_("JSON {url, title, format, media_type, description, hvd_category, "
                          "applicable_legislation} links a file on the web "
                          "(`media_type`, e.g. text/csv, declares its media type and, with no format given, the "
                          "format it names, so a link whose address names no format, an API's export, keeps its "
                          "format; a value that is no media type is refused with 422 'invalid', and nothing is "
                          "added); multipart/form-data with a `file` part uploads one (capped at "
                          "OPENDATA_MAX_UPLOAD_BYTES while it streams, its format sniffed from the bytes), with "
                          "`title`, `description`, `media_type`, `hvd_category` and `applicable_legislation` parts "
                          "if wanted (the HVD fields as a link's: a part a value, or one text of values separated "
                          "by commas): the media type is kept as "
                          "declared, but one naming another format than the bytes are (text/csv for an XLSX "
                          "workbook), or an HVD field the file may not have (a category its dataset does not "
                          "have), is refused with 422 'invalid', nothing stored. HTML pages, zip bombs and office "
                          "files declaring XML entities are refused (400 with code html-not-data, zip-bomb or "
                          "xml-entities). On a published dataset the new file is checked at once: personal data in "
                          "it is withheld from the public (HTTP 451) until an admin of the publisher overrides."))
def dataset_distributions(slug: str):
    user, ds = _editable(slug)
    if request.mimetype == "multipart/form-data":
        upload = _uploaded_file()
        with _acting(user, _lang(request.form)) as actor:
            distributions.add_upload(actor, ds, upload.stream, upload.filename,
                                     title=request.form.get("title") or None,
                                     media_type=request.form.get("media_type") or None,
                                     description=request.form.get("description") or None,
                                     documentation=request.form.get("documentation") in ("1", "true"),
                                     hvd=_parts_hvd(request.form))
    else:
        data = _body()
        with _acting(user, _lang(data)) as actor:
            distributions.add_link(actor, ds, data.get("url"), title=data.get("title"), format=data.get("format"),
                                   media_type=data.get("media_type"), description=data.get("description"),
                                   hvd={k: data[k] for k in ("hvd_category", "applicable_legislation") if k in data})
    resp = jsonify(_publish_doc(ds))
    resp.status_code = 201
    return resp


@api.endpoint("/datasets/<slug>/check", summary=N_("The pre-publication check of a dataset (drafts included)"),
              response="PrePublicationCheck", tag="publishing", errors=(401, 403, 404), auth=True, params=(LANG,),
              description=N_("The stars, score and every finding with its fix that the dataset will get once "
                          "published (the same assessment the catalog then stores), a preview of the first "
                          "rows of each table, and what blocks publishing (personal data not overridden). "
                          "The check is kept with the dataset and computed again when its metadata or files "
                          "change, and on a later day from the evidence kept on the files, since its timeliness "
                          "is judged against the day (`checked_at` says when it ran); `?again=1` fetches the "
                          "linked files anew."))
def dataset_check(slug: str):
    user, ds = _editable(slug, write=False)
    with _acting(user) as actor:
        result = check.run(actor, ds, again=request.args.get("again") in ("1", "true"))
    resp = jsonify(_check_doc(result))
    resp.headers["Cache-Control"] = "no-store"
    resp.vary.add("Accept-Language")
    return resp


def _state_change(slug: str, action: str):
    user, ds = _editable(slug)
    data = request.get_json(silent=True) if request.is_json else None
    data = data if isinstance(data, dict) else {}
    with _acting(user) as actor:
        if action == "withdraw":
            datasets.withdraw(actor, ds, reason=data.get("reason"), successor=data.get("successor"))
            return jsonify(_publish_doc(ds))
        change = datasets.publish if action == "publish" else datasets.restore
        result = change(actor, ds)
    return jsonify(_publish_doc(ds, result))


@api.endpoint("/datasets/<slug>/publish", summary=N_("Publish a draft: it becomes active, searchable and assessed"),
              response="PublishResult", tag="publishing", methods=("POST",), errors=(401, 403, 404, 409),
              auth=True, description=N_("409 'pii-blocked' while personal data found in a file has not been "
                                     "overridden by an admin of the publisher."))
def dataset_publish(slug: str):
    return _state_change(slug, "publish")


@api.endpoint("/datasets/<slug>/withdraw", summary=N_("Withdraw a published dataset (kept, hidden, restorable)"),
              response="PublishResult", tag="publishing", methods=("POST",), errors=(401, 403, 404, 409),
              auth=True, description=N_("An optional JSON body {reason, successor} fills the tombstone the "
                                     "dataset answers with from then on (HTTP 410)."))
def dataset_withdraw(slug: str):
    return _state_change(slug, "withdraw")


@api.endpoint("/datasets/<slug>/restore", summary=N_("Restore a withdrawn dataset"), response="PublishResult",
              tag="publishing", methods=("POST",), errors=(401, 403, 404, 409), auth=True)
def dataset_restore(slug: str):
    return _state_change(slug, "restore")


@api.endpoint("/datasets/<slug>/discard", summary=N_("Discard a draft: deleted, its name freed"), response="Discarded",
              tag="publishing", methods=("POST",), errors=(401, 403, 404, 409), auth=True,
              description=N_("Needs an API token of an admin or editor of the publisher (or a sysadmin). A draft was "
                          "never public: it answers 404 from then on, its name (and any it had before) is free for "
                          "a new dataset, and the audit log keeps a record of it. Anything but a draft is refused "
                          "(409 'not-draft'): a published dataset is withdrawn."))
def dataset_discard(slug: str):
    user, ds = _editable(slug)
    name = ds.slug
    with _acting(user) as actor:
        datasets.discard(actor, ds)
    return jsonify({"id": ds.id, "slug": name, "state": ds.state})


@api.endpoint("/datasets/<slug>/pii-override", summary=N_("Allow publishing files with personal data, saying why"),
              response="PublishResult", tag="publishing", methods=("POST",), body={"application/json": "Reason"},
              errors=WRITE_ERRORS, auth=True,
              description=N_("Admins of the publisher and sysadmins only (editors get 403). The reason is kept on "
                          "the dataset and in the audit log. With OPENDATA_PII_OVERRIDE_SECOND_ADMIN on, the first "
                          "admin's call records a pending override and a second, different admin's call confirms "
                          "it (the same admin again: 409 'second-admin-required')."))
def dataset_pii_override(slug: str):
    user, ds = _editable(slug)
    data = _body()
    with _acting(user) as actor:
        gate.override_pii(actor, ds, str(data.get("reason") or ""))
    return jsonify(_publish_doc(ds))


@api.endpoint("/datasets/<slug>/pii-override/revoke", summary=N_("Revoke the override that lets files with personal "
              "data out, saying why"), response="PublishResult", tag="publishing", methods=("POST",),
              body={"application/json": "Reason"}, errors=WRITE_ERRORS, auth=True,
              description=N_("Admins of the publisher and sysadmins only (editors get 403), as for giving one. The "
                          "files it covered are withheld from the public (or masked) again from the next request "
                          "on, and publishing is blocked again while they hold personal data; an override waiting "
                          "for its second admin is withdrawn too. The reason is kept on the dataset and in the "
                          "audit log; none to revoke: 409 'no-override'."))
def dataset_pii_override_revoke(slug: str):
    user, ds = _editable(slug)
    data = _body()
    with _acting(user) as actor:
        gate.revoke_override(actor, ds, str(data.get("reason") or ""))
    return jsonify(_publish_doc(ds))


@api.endpoint("/datasets/<slug>/detach", summary=N_("Detach a harvested dataset from its source"),
              response="PublishResult", tag="publishing", methods=("POST",), errors=(401, 403, 404, 409),
              auth=True, description=N_("Admins of the publisher and sysadmins only. The source stops updating "
                                     "the dataset; its publisher's editors may then edit it."))
def dataset_detach(slug: str):
    user, ds = _editable(slug, write=False)
    with _acting(user) as actor:
        datasets.detach(actor, ds)
    return jsonify(_publish_doc(ds))


@api.endpoint("/datasets/<slug>/distributions/<dist_id>/dictionary", summary=N_("Edit a table's data dictionary"),
              response="DataDictionary", tag="publishing", methods=("PATCH",),
              body={"application/json": "DataDictionaryEdit"}, errors=WRITE_ERRORS, auth=True,
              description=N_("Each column's title, description, unit or type, as the agency states them (null goes "
                          "back to what was inferred from the file). Kept with the distribution: a reload or "
                          "re-harvest of the file keeps them."))
def distribution_dictionary_edit(slug: str, dist_id: str):
    user, ds = _editable(slug)
    data = _body()
    with _acting(user, _lang(data)) as actor:
        dic = distributions.edit_dictionary(actor, ds, dist_id, data.get("fields"))
    return jsonify(dictionary_doc(ds, dist_id, dic))


#: What a new version of a file may be sent with, as multipart parts beside `file`
_VERSION_PARTS = ("title", "description", "media_type")


@api.endpoint("/datasets/<slug>/distributions/<dist_id>", summary=N_("Change a distribution, or send a new version of "
                                                                     "its file"),
              response="PublishResult", tag="publishing", methods=("PATCH",),
              body={"application/json": "DistributionEdit", "multipart/form-data": "DistributionVersion"},
              errors=(*WRITE_ERRORS, 413), auth=True,
              description=N_("JSON: only the fields given change (title, description in `lang` or a language map, "
                          "format, media_type, url, access_url, hvd_category, applicable_legislation), by the "
                          "rules of the publish page and CKAN's resource_patch: a new `url` is a new address of "
                          "the file, with the format and media type it names unless they are given; a media type "
                          "of an uploaded file must be borne out by its bytes. multipart/form-data with a `file` "
                          "part (and `title`, `description`, `media_type` parts if wanted) is a new version of the "
                          "file, checked as an added one (refused as an upload is: 400, 413, 422; on a published "
                          "dataset, personal data in it is withheld from the public until an admin overrides). "
                          "The distribution keeps its id; a value refused is 422 'invalid', nothing changed."))
def distribution_edit(slug: str, dist_id: str):
    user, ds = _editable(slug)
    if request.mimetype == "multipart/form-data":
        upload = _uploaded_file()
        fields = {k: request.form[k] for k in _VERSION_PARTS if request.form.get(k)}
        with _acting(user, _lang(request.form)) as actor:
            distributions.replace(actor, ds, dist_id, stream=upload.stream, filename=upload.filename, fields=fields,
                                  declared_length=max(0, (request.content_length or 0) - UPLOAD_SLACK) or None)
    else:
        data = _body()
        fields = {k: v for k, v in data.items() if k != "lang"}
        with _acting(user, _lang(data)) as actor:
            distributions.replace(actor, ds, dist_id, fields=fields)
    return jsonify(_publish_doc(ds))


@api.endpoint("/datasets/<slug>/distributions/<dist_id>", summary=N_("Remove a distribution from a dataset"),
              response="PublishResult", tag="publishing", methods=("DELETE",), errors=(401, 403, 404, 409),
              auth=True, description=N_("Takes the file or link out of the dataset (a published one is assessed "
                                     "again). A draft's archived copy goes from the archive at once, a published "
                                     "dataset's at the daily prune a day later; either stays while another file or "
                                     "version holds the same bytes."))
def distribution_remove(slug: str, dist_id: str):
    user, ds = _editable(slug)
    with _acting(user) as actor:
        distributions.remove(actor, ds, dist_id)
    return jsonify(_publish_doc(ds))


@api.endpoint("/datasets/<slug>/distributions/<dist_id>/hvd",
              summary=N_("Set a distribution's high-value dataset categories and applicable legislation"),
              response="DistributionHvd", tag="publishing", methods=("PATCH",),
              body={"application/json": "DistributionHvd"}, errors=WRITE_ERRORS, auth=True,
              description=N_("`hvd_category`: the distribution's own HVD categories (IRI, code, key such as MOB or "
                          "label), among its dataset's; `applicable_legislation`: ELI URIs (http or https). A field "
                          "left out is kept. The HVD regulation stays among the legislation while the dataset or "
                          "the distribution has a category (DCAT-AP HVD). `service_hvd_category` and "
                          "`service_applicable_legislation` set the same of the data service (API) the "
                          "distribution is reached through (422 when there is none)."))
def distribution_hvd_edit(slug: str, dist_id: str):
    user, ds = _editable(slug)
    data = _body()
    with _acting(user, _lang(data)) as actor:
        row = distributions.set_hvd(actor, ds, dist_id, categories=data.get("hvd_category"),
                                    legislation=data.get("applicable_legislation"),
                                    service_categories=data.get("service_hvd_category"),
                                    service_legislation=data.get("service_applicable_legislation"))
    doc = {"dataset": ds.slug, "distribution": row.id, "hvd_category": list(row.hvd_category or []),
           "applicable_legislation": list(row.applicable_legislation or [])}
    if row.access_service:
        doc["service_hvd_category"] = list(row.access_service.get("hvd_category") or [])
        doc["service_applicable_legislation"] = list(row.access_service.get("applicable_legislation") or [])
    return jsonify(doc)
