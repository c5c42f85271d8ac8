"""The agency's pages: `/publish` (my publishers' datasets, drafts included; a new dataset) and
`/publish/<slug>` (metadata, files and links, the pre-publication check with its preview, and the
publish / withdraw / restore / personal-data override / detach buttons).

Every rule lives in the services (app/services/); these views sign in (app.security), parse forms, call
a service, and turn a refused change into a message on the page (403 for another publisher's dataset).
Uploaded files (`/uploads/<id>/<name>`) are served by app/web/uploads.py, through the serving gate.
"""

from __future__ import annotations

import json
import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser  # the signed cookie (db_session() is the database's)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import current_lang
from app.request_context import db_session, setting
from app.security import client_address, current_account, login_required_page
from app.services import access, check, datasets, distributions, gate
from app.services import fields as fields_mod
from app.services import series as series_service
from app.services.context import Actor, Runtime
from app.services.errors import ServiceError, StaleVersion, UploadRejected
from app.services.uploads import is_upload
from app.texts import Text, cjk_spaced, say
from app.web import check_view, quality_view
from catalog_schema import dictionary, gazetteer, vocab
from catalog_schema import series as series_links
from catalog_schema.record import pick_text
from catalog_schema.store import to_record

bp = Blueprint("publish", __name__)

LICENCE_CHOICES = ("CC-BY-4.0", "CC0-1.0", "CC-BY-SA-4.0", "ODbL-1.0", "PDDL-1.0", "ODC-BY-1.0", "other-closed")
FREQUENCY_CHOICES = ("CONT", "DAILY", "WEEKLY", "BIWEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL",
                     "BIENNIAL", "IRREG", "NEVER")
LANGUAGE_CHOICES = ("zh", "en", "bo", "ug", "mn", "ko", "ja", "ru", "fr", "de", "es", "ar", "pt")
# The metadata form's plain text inputs: name in the form = field of the record.
TEXT_FIELDS = ("title", "description", "license", "frequency", "keywords", "access_rights", "landing_page",
               "issued", "modified", "rights")
# What a refused field value says next to its field, by why the service refused it.
FIELD_ERRORS = {
    "date": _l("%(value)s is not a date: write a year (2024), a month (2024-05) or a day (2024-05-31)."),
    "successor": _l("%(value)s is no other published dataset here: give the name in its address (after "
                    "/dataset/), or an http(s) address."),
    "email": _l("%(value)s is not an e-mail address: write it as name@agency.gov.cn."),
    "too-long": _l("This is %(length)s characters long; at most %(limit)s are taken."),
    "required": _l("This is required."),
    "vocabulary": _l("Choose one of the values in the list."),
    "place": _l("%(value)s is not a place the gazetteer knows: choose one from the list as you type."),
    "url": _l("Give an address that starts with http:// or https://."),
    "order": _l("The period ends before it starts."),
    "slug": _l("Use 2-100 lower-case letters, digits, - and _, starting with a letter or a digit."),
    "taken": _l("The name %(value)s is taken by another dataset: choose another."),
    "former": _l("The name %(value)s was another dataset's and still leads to it: choose another."),
    "legislation": _l("%(value)s is not an http(s) URI: give each law's ELI, one a line."),
    "hvd-subset": _l("A file can only have its dataset's high-value categories: add the category to the dataset "
                     "first (Metadata, below)."),
    "media_type": _l("%(value)s is not a media type: write it as type/subtype, e.g. text/csv or application/json."),
}
# The form field a refused record field is shown next to.
ERROR_FIELDS = {"temporal": "temporal_start", "contact_point": "contact_email", "url": "link-url"}
NOT_DATA = {"program": _l("a program (executable code)"), "image": _l("an image"),
            "media": _l("sound or video"), "unknown": _l("binary content that no data reader recognises")}
# Messages of refused writes, by code, in the reader's language (the service's English text is for the API).
CODE_MESSAGES = {
    "forbidden": _l("You may not change this dataset."),
    "harvested": _l("This dataset is harvested from a source: it is read-only until an admin of the publisher "
                    "detaches it."),
    "second-admin-required": _l("A second admin of the publisher must confirm this override."),
    "pii-blocked": _l("Personal data was found in a file: remove it, or an admin of the publisher must "
                      "override the block with a reason."),
    "no-distributions": _l("Add at least one file or link before publishing."),
    "too-large": _l("The file is larger than the upload limit."),
    "html-not-data": _l("The file is an HTML web page, not a data file. Export the data itself and upload that."),
    "zip-bomb": _l("The archive would unpack to an enormous size (a zip bomb): it is not accepted."),
    "xml-entities": _l("The office file declares XML entities, which can read other files: save it again from "
                       "the office program and upload the new copy."),
    "empty": _l("The file is empty."),
    "not-data": _l("The file is not data."),
    "program": _l("The file is a program: programs are never published."),
    "invalid": _l("A field has a value the catalog cannot take."),
    "conflict": _l("That cannot be done in the dataset's present state."),
    "rejected-file": _l("The file was not accepted."),
    "in-series": _l("One of these datasets is in a series already."),
    "is-series": _l("One of these datasets is a series itself."),
    "no-fragments": _l("There are no parts left to make a series of."),
}
STATE_LABELS = {"draft": _l("Draft"), "active": _l("Published"), "withdrawn": _l("Withdrawn")}
#: The columns the data dictionary's form shows: a file whose one line held four million cells gave a form of
#: twelve million inputs (a 135 MB page); the others keep what they have, and the API edits every column.
DICTIONARY_FORM_COLUMNS = 200
#: The boxes of a column in the data dictionary's form, and how a refusal names each.
DICTIONARY_PROPS = {"title": _l("Title"), "unit": _l("Unit"), "description": _l("Description")}
#: What a refused box of the data dictionary's form says (by why the edit was refused), naming its column and box.
DICTIONARY_ERRORS = {
    "too-long": _l("Column %(column)s, %(property)s: this is %(length)s characters long; at most %(limit)s are "
                   "taken."),
    "control": _l("Column %(column)s, %(property)s: this holds a control character (such as NUL), which cannot be "
                  "kept: remove it."),
    "other": _l("Column %(column)s, %(property)s: this value cannot be taken."),
}


def _lang() -> str:
    return "en" if current_lang() == "en" else "zh"


def _runtime() -> Runtime:
    return Runtime(current_app.extensions["opendata"]["sessionmaker"], current_app.config["OPENDATA"])


def _actor(runtime: Runtime | None = None) -> Actor:
    return Actor(db_session(), current_account(), "web", runtime=runtime, ip=client_address(), lang=_lang())


def _refused(exc: ServiceError, slug: str | None) -> Response:
    db_session().rollback()
    if exc.status == 403:
        abort(403)
    flash(_refusal_text(exc), "error")
    target = url_for("publish.edit", slug=slug) if slug else url_for("publish.index")
    return redirect(target, code=303)


#: Where a refused file or link is said: beside the input it came from (the form's anchor; the flash category
#: "field:..." the page shows there instead of in the banner at the top, which a phone had scrolled far away from).
FILE_ERRORS = {"upload": "upload-form", "link": "link-form"}


def _refused_file(exc: ServiceError, slug: str, where: str, dist_id: str | None = None) -> Response:
    """A refused upload, link or replacement: said next to its input (`where`: upload, link or replace), the page
    scrolled there."""
    db_session().rollback()
    if exc.status == 403:
        abort(403)
    if where == "replace":
        flash(_refusal_text(exc), f"field:replace:{dist_id}")
        anchor = f"replace-{dist_id}"
    else:
        # a link's media type refused is said beside its own box (`link:media_type`), the rest beside the URL
        box = "link:media_type" if where == "link" and (exc.detail or {}).get("field") == "media_type" else where
        flash(_refusal_text(exc), f"field:{box}")
        anchor = FILE_ERRORS[where]
        if where == "link":  # what was typed, shown again in the form (a file cannot be)
            for key in ("url", "title", "media_type"):
                flash(str(request.form.get(key) or "")[:2000], f"value:link-{key}")
    return redirect(url_for("publish.edit", slug=slug) + f"#{anchor}", code=303)


def _refusal_text(exc: ServiceError) -> str:
    """A refused change in the reader's language: the sentence for its code (a file that is no data says
    what was found), the field's own message for a refused value; never the service's English."""
    detail = exc.detail or {}
    if exc.code in ("not-data", "program"):
        what = str(NOT_DATA.get(detail.get("found"), NOT_DATA["unknown"]))
        if detail.get("format"):
            what = f"{what}（{detail['format']}）" if current_lang() == "zh" else f"{what} ({detail['format']})"
        if exc.code == "program":
            return _("The file %(name)s is %(what)s, not data: programs are never published.",
                     name=detail.get("filename", ""), what=what)
        return _("The file %(name)s is %(what)s, not data. Upload the data itself (CSV, XLSX, JSON …), or tick "
                 "“This file is documentation” to add it as documentation.", name=detail.get("filename", ""),
                 what=what)
    if exc.code == "too-large" and detail.get("limit"):
        return _("The file is larger than the upload limit of %(mb)s MB.", mb=detail["limit"] // 1048576)
    if detail.get("why") in FIELD_ERRORS:
        return field_error(exc)
    if isinstance(exc.message, Text) and (exc.code not in CODE_MESSAGES or exc.code == "invalid"):
        # the service's own sentence (which file, what to do), translated; for a refused value with no box of its
        # own (an override's reason) the generic "a field has a value..." said neither which field nor what to do
        return say(exc.message, _)
    return str(CODE_MESSAGES.get(exc.code, _("The change was not made.")))


def field_error(exc: ServiceError) -> str:
    detail = exc.detail or {}
    template = FIELD_ERRORS.get(detail.get("why"))
    if template is None:
        return str(CODE_MESSAGES.get(exc.code, _("The change was not made.")))
    params = {k: (f"{v:,}" if isinstance(v, int) else f"“{v}”" if k == "value" else v)
              for k, v in detail.items() if k in ("value", "length", "limit")}
    params.setdefault("value", "")
    params.setdefault("length", "")
    params.setdefault("limit", "")
    # the template's spaces set the value apart, but not a quoted one from Chinese text: "“x”不是", never "“x” 不是"
    return cjk_spaced(str(template), params) % params


def _editable(slug: str, *, write: bool = False):
    user = current_account()
    try:
        return user, access.dataset_for_edit(db_session(), user, slug, write=write)
    except ServiceError as exc:
        abort(404 if exc.status == 404 else 403)


# --------------------------------------------------------------------------- list and create


@bp.get("/publish/places")
def places():
    """The place picker's suggestions as one types (JSON): every level of the gazetteer, counties included; the
    page itself lists only provinces and prefectures (counties would add 220 KB to every edit page)."""
    found = gazetteer.search(request.args.get("q", "")[:40], limit=20)
    resp = Response(json.dumps([{"label": p.picker_label, "uri": p.uri, "level": p.level} for p in found],
                               ensure_ascii=False), content_type="application/json")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


@bp.route("/publish", methods=["GET"])
@login_required_page
def index():
    return _index_page()


@bp.route("/publish", methods=["POST"])
@login_required_page
def create():
    form = request.form
    once = str(form.get("form_id") or "")[:64]  # the form's own id: sent again (Back, then Create), it made its draft
    made = browser.get(SENT_FORMS, {}).get(once) if once else None
    if made:
        flash(_("This form was sent already: here is the draft it made."), "info")
        flash(request.path, DRAFT_SAVED)
        return redirect(url_for("publish.edit", slug=made), code=303)
    fields = {k: form.get(k, "") for k in ("title", "description", "license", "keywords", "frequency") if k in form}
    fields = {k: v for k, v in fields.items() if v.strip() or k == "title"}
    try:
        ds = datasets.create(_actor(), form.get("publisher"), fields, slug=form.get("name") or None)
    except ServiceError as exc:
        if exc.status == 403 or not (exc.detail or {}).get("field"):
            return _refused(exc, None)
        db_session().rollback()
        return _index_page(errors={_error_field(exc): field_error(exc)}, values=form), 422
    if once:
        sent = dict(list(browser.get(SENT_FORMS, {}).items())[-(SENT_FORMS_KEPT - 1):])
        sent[once] = ds.slug
        browser[SENT_FORMS] = sent
    flash(_("Draft created. Add its files, read the check below, then publish."), "success")
    flash(request.path, DRAFT_SAVED)
    return redirect(url_for("publish.edit", slug=ds.slug), code=303)


#: The flash that tells the page after a successful save that the form sent to its message (a path) is saved: site.js
#: then drops the copy of that form it kept in the tab (`data-draft`), which would otherwise be offered again.
DRAFT_SAVED = "draft-saved"

#: The new-dataset forms this browser sent, by the id each carried, and the draft each made (the last few).
SENT_FORMS = "publish_sent_forms"
SENT_FORMS_KEPT = 10


def _index_page(errors: dict | None = None, values=None):
    session = db_session()
    user = current_account()
    pubs = access.editable_publishers(session, user)
    mine = access.my_datasets(session, user)
    checks = check.last_results(session, [ds.id for ds in mine if ds.stars is None])
    dated = [ds.id for ds in mine if (checks.get(ds.id) or {}).get("checked_on")]
    if dated:  # checks of an earlier day: today's timeliness (check.LIST_REFRESH of them a view)
        runtime = _runtime()
        try:
            if check.refresh_dated(_actor(runtime), dated):
                checks = check.last_results(session, [ds.id for ds in mine if ds.stars is None])
        finally:
            runtime.close()
    return render_template("publish/index.html", publishers=pubs, datasets=mine, checks=checks,
                           states=STATE_LABELS, licences=_licences(), frequencies=FREQUENCY_CHOICES,
                           errors=errors or {}, values=values or {},
                           form_id=(values or {}).get("form_id") or uuid.uuid4().hex)


def _licences() -> list[tuple[str, str]]:
    """The licence picker: the common open licences first, then every other licence the catalog knows that
    the Open Definition approves."""
    out, seen = [], set()
    for lid in LICENCE_CHOICES:
        lic = vocab.licence_by_id(lid) or vocab.licence(lid)
        if lic is not None and lic.id not in seen:
            out.append((lic.id, vocab.licence_title(lic.id, current_lang()) or lic.title))
            seen.add(lic.id)
    rest = sorted((lic.id, vocab.licence_title(lic.id, current_lang()) or lic.title) for lic in vocab.licences()
                  if lic.id not in seen and lic.od_conformance == "approved")
    return out + rest


def _languages() -> list[tuple[str, str]]:
    lang = "zh" if current_lang() == "zh" else "en"
    return [(code, vocab.language_label(code, lang)) for code in LANGUAGE_CHOICES]


def _error_field(exc: ServiceError) -> str:
    field = str((exc.detail or {}).get("field") or "")
    return ERROR_FIELDS.get(field, field)


# --------------------------------------------------------------------------- one dataset


def _untouched_fallbacks(ds, fields: dict) -> dict:
    """`fields` without a title or description that is the other language's text the form showed (a dataset with no
    English title shows its Chinese one in the English form) sent back untouched: saved, it became the English
    title, and a later change of the Chinese title never reached English readers."""
    lang = current_lang()
    out = dict(fields)
    for key, stored in (("title", ds.title), ("description", ds.description)):
        if key in out and lang not in (stored or {}) and str(out[key] or "").strip() == pick_text(stored, lang).strip():
            del out[key]
    return out


def _values(ds) -> dict:
    """What the metadata form shows for the dataset as stored (strings, lists for the multiple pickers)."""
    cp = ds.contact_point or {}
    temporal = ds.temporal or {}
    return {"title": pick_text(ds.title, current_lang()), "description": pick_text(ds.description, current_lang()),
            "license": ds.license_id or ds.license_raw or "", "frequency": ds.frequency or "",
            "keywords": ", ".join(ds.keywords or []), "access_rights": ds.access_rights or "",
            "landing_page": ds.landing_page or "", "issued": ds.issued or "", "modified": ds.modified or "",
            "rights": ds.rights or "", "contact_name": cp.get("name") or "", "contact_email": cp.get("email") or "",
            "temporal_start": temporal.get("start") or "", "temporal_end": temporal.get("end") or "",
            "themes": list(ds.themes or []), "language": list(ds.language or []),
            "hvd_category": list(ds.hvd_category or []),
            "spatial": ", ".join(_place_label(v) for v in ds.spatial or []), "name": ds.slug}


def _place_label(value: str) -> str:
    found = gazetteer.place(value) if str(value).startswith(gazetteer.URI_PREFIX) else None
    return found.picker_label if found else str(value)


def _sent_values(ds, form) -> dict:
    """The form as it was sent (a refused change shows it again, not the stored values)."""
    values = _values(ds)
    for key in (*TEXT_FIELDS, "contact_name", "contact_email", "temporal_start", "temporal_end", "spatial", "name"):
        if key in form:
            values[key] = form.get(key, "")
    if "themes_sent" in form:
        values["themes"] = form.getlist("themes")
    if "hvd_category_sent" in form:
        values["hvd_category"] = form.getlist("hvd_category")
    if "language_sent" in form:
        values["language"] = form.getlist("language")
    return values


def _hvd_values(ds, sent: tuple[str, object] | None = None) -> dict:
    """Each distribution's HVD form as stored: its categories and its legislation one URI a line; `sent`
    (the distribution's id and the form) shows what was typed instead, for a refused change."""
    out = {}
    for d in ds.distributions:
        svc = d.access_service or {}
        out[d.id] = {"hvd_category": list(d.hvd_category or []),
                     "applicable_legislation": "\n".join(d.applicable_legislation or []),
                     "service_hvd_category": list(svc.get("hvd_category") or []),
                     "service_applicable_legislation": "\n".join(svc.get("applicable_legislation") or [])}
    if sent is not None:
        dist_id, form = sent
        out[dist_id] = {key: form.getlist(key) if key.endswith("hvd_category") else form.get(key, "")
                        for key in ("hvd_category", "applicable_legislation", "service_hvd_category",
                                    "service_applicable_legislation")}
    return out


#: The metadata form's boxes compared with the saved dataset when a form comes back stale (`update`).
_COMPARED = (*TEXT_FIELDS, "contact_name", "contact_email", "temporal_start", "temporal_end", "spatial", "name",
             "themes", "language", "hvd_category")


def _conflicts(ds, sent: dict) -> dict:
    """For a form opened on an older version of `ds`: each box whose text differs from what is saved now, with
    what is saved now (the other editor's change, or the user's own; the user decides)."""
    saved = _values(ds)
    out = {}
    for key in _COMPARED:
        now, typed = saved.get(key), sent.get(key)
        if isinstance(now, list) or isinstance(typed, list):
            same = sorted(now or []) == sorted(typed or [])
            now = ", ".join(now or [])
        else:
            same = str(now or "").strip() == str(typed or "").strip()
        if not same:
            out[key] = _("Saved now: %(value)s", value=now or _("(empty)"))
    return out


def _media_values(ds, sent: tuple[str, str] | None = None) -> dict:
    """Each file's media type box: what is stored, or for a refused change (`sent`: the file's id and what was
    typed) what was typed; `open` when the exports read no media type in it (the box a finding leads to, shown);
    `suggested`, for a link that declares none, the media type its server said it is and the format that names
    (distributions.media_type_suggestion), which the publisher may take with one submit."""
    out = {}
    for d in ds.distributions:
        suggested = distributions.media_type_suggestion(d)
        named = vocab.format_for_media_type(suggested) if suggested else None
        out[d.id] = {"value": d.media_type or "", "open": vocab.plain_media_type(d.media_type) is None,
                     "suggested": suggested, "suggested_format": named.code if named else None}
    if sent is not None and sent[0] in out:
        out[sent[0]] = {**out[sent[0]], "value": sent[1], "open": True}
    return out


def _edit_page(ds, *, errors: dict | None = None, values: dict | None = None, again: bool = False,
               dist_errors: dict | None = None, dist_hvd: dict | None = None, withdrawal: dict | None = None,
               override: dict | None = None, dictionary_form: dict | None = None, conflict: bool = False,
               dist_media: dict | None = None, revoke: dict | None = None):
    user = current_account()
    session = db_session()
    runtime = _runtime()
    try:
        result = check.run(_actor(runtime), ds, again=again)
    finally:
        runtime.close()
    lang = current_lang()
    names = check_view.file_names(ds)  # each line of the personal-data box says which file it is about
    pii = [{**quality_view.localise_finding(f, lang), "file": names.get(str(f.get("distribution") or ""))}
           for f in result["pii"]]
    return render_template(
        "publish/edit.html", ds=ds, check=result, shown=check_view.present(result, ds, lang), pii=pii,
        states=STATE_LABELS, licences=_licences(), frequencies=FREQUENCY_CHOICES, themes=sorted(vocab.THEMES.items()),
        hvd_categories=vocab.hvd_categories(),
        access_rights=sorted(vocab.ACCESS_RIGHTS.values(), key=lambda a: ("PUBLIC", "RESTRICTED", "NON_PUBLIC")
                             .index(a.code) if a.code in ("PUBLIC", "RESTRICTED", "NON_PUBLIC") else 9),
        languages=_languages(), places=gazetteer.places(2), errors=errors or {}, values=values or _values(ds),
        withdrawal=withdrawal or {}, override=override or {}, revoke=revoke or {},
        is_admin=access.is_admin_of(session, user, ds.publisher),
        read_only=ds.source_id is not None and not user.is_sysadmin,
        max_upload=int(setting("MAX_UPLOAD_BYTES")), is_upload=is_upload,
        max_text=fields_mod.MAX_TEXT_CHARS, form_columns=DICTIONARY_FORM_COLUMNS,
        dictionaries={d.id: dictionary.effective(d.dictionary, d.table_schema) for d in ds.distributions},
        inferred={d.id: {f["name"]: f for f in ((d.dictionary or {}).get("inferred") or {}).get("fields") or []}
                  for d in ds.distributions},
        edits={d.id: (d.dictionary or {}).get("edits") or {} for d in ds.distributions},
        dictionary_form=dictionary_form or {}, dictionary_props=DICTIONARY_PROPS, version=datasets.edit_version(ds),
        conflict=conflict,
        dist_errors=dist_errors or {}, dist_hvd=dist_hvd or _hvd_values(ds), dist_media=dist_media or _media_values(ds),
        file_errors={category.split(":", 1)[1]: message for category, message
                     in get_flashed_messages(with_categories=True) if ":" in category})


@bp.route("/publish/<slug>", methods=["GET"])
@login_required_page
def edit(slug: str):
    _user, ds = _editable(slug)
    return _edit_page(ds)


def _form_fields(form) -> dict:
    fields: dict = {k: form.get(k, "") for k in TEXT_FIELDS if k in form}
    if "themes" in form or "themes_sent" in form:
        fields["themes"] = form.getlist("themes")
    if "hvd_category" in form or "hvd_category_sent" in form:
        fields["hvd_category"] = form.getlist("hvd_category")
    if "language" in form or "language_sent" in form:
        fields["language"] = form.getlist("language")
    if "spatial" in form:
        fields["spatial"] = form.get("spatial", "")
    if "contact_name" in form or "contact_email" in form:
        fields["contact_point"] = {"name": form.get("contact_name", ""), "email": form.get("contact_email", "")}
    if "temporal_start" in form or "temporal_end" in form:
        fields["temporal"] = {"start": form.get("temporal_start", ""), "end": form.get("temporal_end", "")}
    return fields


@bp.route("/publish/<slug>", methods=["POST"])
@login_required_page
def update(slug: str):
    user, ds = _editable(slug)
    form = request.form
    fields = _untouched_fallbacks(ds, _form_fields(form))
    runtime = _runtime()
    try:
        datasets.update(_actor(runtime), ds, fields, new_slug=(form.get("name") or "").strip() or None,
                        expected_version=form.get("version") or None)
    except StaleVersion:
        # opened before someone else's change: saving it whole would put back every value the form showed, theirs
        # lost without a word. Nothing is saved (the service checks the version in the change itself); the form
        # comes back with what was typed, each box that differs from the dataset as saved now marked with its saved
        # value, and the new version (a second save is meant).
        db_session().rollback()  # `ds` reads again as saved now
        sent = _sent_values(ds, form)
        return _edit_page(ds, values=sent, errors=_conflicts(ds, sent), conflict=True), 409
    except ServiceError as exc:
        if exc.status == 403 or not (exc.detail or {}).get("field"):
            return _refused(exc, slug)
        db_session().rollback()
        _user, ds = _editable(slug)
        errors = {_error_field(exc): field_error(exc)}
        for other in fields_mod.problems(to_record(ds), fields, lang=current_lang()):  # every field refused, at once
            errors.setdefault(_error_field(other), field_error(other))
        return _edit_page(ds, errors=errors, values=_sent_values(ds, form)), 422
    finally:
        runtime.close()
    flash(_("Saved. The check below is up to date."), "success")
    flash(request.path, DRAFT_SAVED)
    return redirect(url_for("publish.edit", slug=ds.slug), code=303)


def _uploaded_file():
    """The request's uploaded file, refused (413) past MAX_UPLOAD_BYTES before a byte of it is read."""
    cap = int(setting("MAX_UPLOAD_BYTES"))
    if request.content_length is not None and request.content_length > cap + 64 * 1024:
        raise UploadRejected(f"The upload is {request.content_length:,} bytes; the limit is {cap:,} bytes.",
                             code="too-large", status=413)
    request.max_content_length = cap + 64 * 1024
    return request.files.get("file")


@bp.route("/publish/<slug>/distributions", methods=["POST"])
@login_required_page
def add_distribution(slug: str):
    _user, ds = _editable(slug, write=True)  # refuse before a byte of the file is stored
    runtime = _runtime()
    where = "link" if "url" in request.form and "file" not in request.files else "upload"
    try:
        upload = _uploaded_file()
        title = request.form.get("title") or None
        if upload is not None and upload.filename:
            distributions.add_upload(_actor(runtime), ds, upload.stream, upload.filename, title=title,
                                     documentation=request.form.get("documentation") == "1")
        else:
            distributions.add_link(_actor(runtime), ds, request.form.get("url", ""), title=title,
                                   format=request.form.get("format") or None,
                                   media_type=request.form.get("media_type") or None)
    except ServiceError as exc:
        return _refused_file(exc, slug, where)
    finally:
        runtime.close()
    flash(_("Added. The check below now includes it."), "success")
    return redirect(url_for("publish.edit", slug=ds.slug) + "#check", code=303)


def _form_text(text: str) -> str:
    """A text as a form sends it back: a browser reads CR LF and CR in an attribute as LF, and posts every line
    end as CR LF; compared so, a column whose name holds a line break is still found."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _dictionary_edits(form, columns: list[str]) -> dict:
    """{column: {title, unit, description}} as the form sent them (an empty box: None, back to what was inferred);
    the names matched to the table's columns as a browser sends them back."""
    by_form = {_form_text(c): c for c in columns}
    edits: dict = {}
    for key in form:
        if key.startswith("column:"):
            index = key.split(":", 1)[1]
            name = form[key] if form[key] in columns else by_form.get(_form_text(form[key]), form[key])
            edits[name] = {prop: (form.get(f"{prop}:{index}") or "").strip() or None for prop in DICTIONARY_PROPS}
    return edits


def _dictionary_refused(ds, dist_id: str, edits: dict, exc: ServiceError):
    """The edit page again (422) with the refused dictionary form open: every box as it was typed, each refused
    one marked with what is wrong (its column and box named), and what was typed for a column the table no longer
    has listed, so nothing typed is lost."""
    row = next((d for d in ds.distributions if d.id == dist_id), None)
    current = dictionary.effective(row.dictionary, row.table_schema) if row is not None else None
    columns = [f["name"] for f in (current or {}).get("fields") or []]
    _clean, problems = dictionary.edit_problems(edits, columns)
    errors: dict = {}
    missing = []
    for problem in problems:
        if problem.why == "no-column" or current is None:
            continue
        label = DICTIONARY_PROPS.get(problem.prop or "", problem.prop or "")
        template = DICTIONARY_ERRORS.get(problem.why, DICTIONARY_ERRORS["other"])
        params = {"column": f"“{problem.column}”", "property": label,
                  "length": format(problem.detail.get("length") or 0, ","),
                  "limit": format(problem.detail.get("limit") or 0, ",")}
        errors.setdefault(problem.column, {})[problem.prop] = str(template) % params
    known = set(columns)
    for name, typed in edits.items():
        if name not in known and any(typed.values()):
            missing.append({"name": name, "typed": [(str(DICTIONARY_PROPS[k]), v) for k, v in typed.items() if v]})
    if current is None:
        headline = _("This file has no data dictionary now (it is made when the file is checked and read as a "
                     "table; the file may have been replaced since the page was opened): nothing was saved. "
                     "What you typed is below.")
    elif errors:
        headline = _("Nothing was saved: correct the boxes marked below (what you typed is kept).")
    elif missing:
        headline = _("Nothing was saved: the table no longer has the columns listed below (the file may have been "
                     "replaced since the page was opened). What you typed for them is below; the form shows the "
                     "table's columns now, with what you typed for each.")
    else:  # nothing the form's boxes can cause: the service's own words
        headline = _("Nothing was saved: %(why)s", why=say(exc.message, _))
    form = {"dist": dist_id, "typed": edits, "errors": errors, "missing": missing, "headline": headline}
    return _edit_page(ds, dictionary_form=form), 422


@bp.route("/publish/<slug>/distributions/<dist_id>/dictionary", methods=["POST"])
@login_required_page
def edit_dictionary(slug: str, dist_id: str):
    """The columns' titles, units and descriptions as the agency states them; an empty box keeps what was
    inferred from the file (shown as its placeholder). A refused edit renders the page again (422) with the form
    as it was typed and each refused box marked."""
    _user, ds = _editable(slug)
    row = next((d for d in ds.distributions if d.id == dist_id), None)
    current = dictionary.effective(row.dictionary, row.table_schema) if row is not None else None
    edits = _dictionary_edits(request.form, [f["name"] for f in (current or {}).get("fields") or []])
    runtime = _runtime()
    try:
        distributions.edit_dictionary(_actor(runtime), ds, dist_id, edits)
    except ServiceError as exc:
        if exc.status in (403, 404):
            if exc.status == 404:
                db_session().rollback()
                flash(_("That file is no longer in this dataset (it was removed since the page was opened): "
                        "nothing was saved."), "error")
                return redirect(url_for("publish.edit", slug=slug) + "#files-h", code=303)
            return _refused(exc, slug)
        db_session().rollback()
        _user, ds = _editable(slug)
        return _dictionary_refused(ds, dist_id, edits, exc)
    finally:
        runtime.close()
    flash(_("The data dictionary is saved."), "success")
    return redirect(url_for("publish.edit", slug=ds.slug) + f"#dictionary-{dist_id}", code=303)


@bp.route("/publish/<slug>/distributions/<dist_id>/hvd", methods=["POST"])
@login_required_page
def distribution_hvd(slug: str, dist_id: str):
    """A file's own high-value dataset categories (among the dataset's) and applicable legislation (ELIs,
    one a line), and those of its data service when it is reached through one. A refused value renders the
    page again with the error next to the file's field and what was typed kept."""
    _user, ds = _editable(slug)
    form = request.form
    runtime = _runtime()
    try:
        service = {}
        if "service_sent" in form:  # the file is reached through a data service: its fields are in the form
            service = {"service_categories": form.getlist("service_hvd_category"),
                       "service_legislation": form.get("service_applicable_legislation", "")}
        distributions.set_hvd(_actor(runtime), ds, dist_id, categories=form.getlist("hvd_category"),
                              legislation=form.get("applicable_legislation", ""), **service)
    except ServiceError as exc:
        if exc.status == 403 or not (exc.detail or {}).get("field"):
            return _refused(exc, slug)
        db_session().rollback()
        _user, ds = _editable(slug)
        errors = {f"{exc.detail['field']}-{dist_id}": field_error(exc)}
        return _edit_page(ds, dist_errors=errors, dist_hvd=_hvd_values(ds, (dist_id, form))), 422
    finally:
        runtime.close()
    flash(_("The file's high-value dataset fields are saved."), "success")
    return redirect(url_for("publish.edit", slug=ds.slug) + f"#hvd-{dist_id}", code=303)


@bp.route("/publish/<slug>/distributions/<dist_id>/media-type", methods=["POST"])
@login_required_page
def distribution_media_type(slug: str, dist_id: str):
    """A file's declared media type (the 10 metadata points of "declare the media type"), through the service and the
    rule the APIs set it by (distributions.replace, fields.media_type): a link whose address names no format had
    none, and the page no box for it. An empty box clears it. A refused value renders the page again (422) with the
    error beside the box and what was typed kept."""
    _user, ds = _editable(slug)
    typed = str(request.form.get("media_type") or "")
    runtime = _runtime()
    try:
        distributions.replace(_actor(runtime), ds, dist_id, fields={"media_type": typed})
    except ServiceError as exc:
        if exc.status == 403 or (exc.detail or {}).get("field") != "media_type":
            return _refused(exc, slug)
        db_session().rollback()
        _user, ds = _editable(slug)
        return _edit_page(ds, dist_errors={f"media_type-{dist_id}": _refusal_text(exc)},
                          dist_media=_media_values(ds, (dist_id, typed))), 422
    finally:
        runtime.close()
    flash(_("Saved. The check below is up to date."), "success")
    return redirect(url_for("publish.edit", slug=ds.slug) + "#check", code=303)


@bp.route("/publish/<slug>/distributions/<dist_id>/replace", methods=["POST"])
@login_required_page
def replace_distribution(slug: str, dist_id: str):
    """A new version of a file, uploaded in its place: its id, title, description, HVD fields, documentation mark,
    data dictionary edits and address stay (the form could only remove a file, losing them, while the fix hints lead
    to the file)."""
    _user, ds = _editable(slug, write=True)
    runtime = _runtime()
    try:
        upload = _uploaded_file()
        if upload is None or not upload.filename:
            flash(_("Choose the file to upload in its place."), "error")
            return redirect(url_for("publish.edit", slug=ds.slug) + f"#dist-{dist_id}", code=303)
        distributions.replace(_actor(runtime), ds, dist_id, stream=upload.stream, filename=upload.filename)
    except ServiceError as exc:
        return _refused_file(exc, slug, "replace", dist_id)
    finally:
        runtime.close()
    flash(_("Replaced. The check below is of the new file."), "success")
    return redirect(url_for("publish.edit", slug=ds.slug) + "#check", code=303)


@bp.route("/publish/<slug>/distributions/<dist_id>/remove", methods=["POST"])
@login_required_page
def remove_distribution(slug: str, dist_id: str):
    _user, ds = _editable(slug)
    runtime = _runtime()
    try:
        distributions.remove(_actor(runtime), ds, dist_id)
    except ServiceError as exc:
        return _refused(exc, slug)
    finally:
        runtime.close()
    return redirect(url_for("publish.edit", slug=ds.slug), code=303)


@bp.route("/publish/<slug>/series", methods=["POST"])
@login_required_page
def make_series(slug: str):
    """The one click of a fragmented-series finding: the parts it names become one dataset series."""
    user = current_account()
    try:
        ds = access.dataset_for_edit(db_session(), user, slug, write=False)
    except ServiceError as exc:
        abort(404 if exc.status == 404 else 403)
    try:
        made = series_service.make_series_of(_actor(), ds)
    except ServiceError as exc:
        db_session().rollback()
        if exc.status == 403:
            abort(403)
        flash(str(CODE_MESSAGES.get(exc.code, _("The change was not made."))), "error")
        return redirect(url_for("datasets.show", slug=slug) + "#findings", code=303)
    flash(_("Made a dataset series of %(count)s datasets.", count=len(series_links.members(db_session(), made.id))),
          "success")
    return redirect(url_for("datasets.show", slug=made.slug) + "#series", code=303)


def _discard(slug: str, ds) -> Response:
    """Discard a draft (datasets.discard) once its box is ticked: unticked, the page says so beside the box (a browser
    that runs the form's `required` never sends it so), nothing changed. Then the list of the publisher's datasets."""
    if request.form.get("confirm") != "yes":
        return _edit_page(ds, errors={"discard-confirm": _("Tick the box to confirm: a discarded draft cannot be "
                                                           "brought back.")}), 422
    runtime = _runtime()
    try:
        datasets.discard(_actor(runtime), ds)
    except ServiceError as exc:
        return _refused(exc, slug)
    finally:
        runtime.close()
    flash(_("Discarded: the draft %(slug)s is gone, and its name is free for a new dataset.", slug=slug), "success")
    return redirect(url_for("publish.index"), code=303)


@bp.route("/publish/<slug>/<any(publish, withdraw, restore, override, 'revoke-override', detach, recheck, "
          "discard):action>", methods=["POST"])
@login_required_page
def change_state(slug: str, action: str):
    _user, ds = _editable(slug)
    if action == "recheck":  # a linked file may have changed at its source: fetch and check everything again
        runtime = _runtime()
        try:
            check.run(_actor(runtime), ds, again=True)
        finally:
            runtime.close()
        flash(_("Checked again: the files were fetched anew."), "success")
        return redirect(url_for("publish.edit", slug=ds.slug) + "#check", code=303)
    if action == "discard":
        return _discard(slug, ds)
    runtime = _runtime()
    actor = _actor(runtime)
    form = request.form
    try:
        if action == "withdraw":
            try:
                datasets.withdraw(actor, ds, reason=form.get("reason"), successor=form.get("successor"))
            except ServiceError as exc:  # said beside the field, with what was typed kept (it was a vague flash)
                field = (exc.detail or {}).get("field")
                if exc.status == 403 or field not in ("successor", "reason"):
                    raise
                db_session().rollback()
                _user, ds = _editable(slug)
                return _edit_page(ds, errors={field: field_error(exc)},
                                  withdrawal={"reason": form.get("reason") or "",
                                              "successor": form.get("successor") or ""}), 422
        elif action == "detach":
            datasets.detach(actor, ds)
        elif action == "override":
            try:
                pending = gate.override_pii(actor, ds, form.get("reason", "")).get("pending")
            except ServiceError as exc:  # a reason too short: said beside it, what was typed kept (it was lost)
                if exc.status == 403 or (exc.detail or {}).get("field") != "reason":
                    raise
                db_session().rollback()
                _user, ds = _editable(slug)
                return _edit_page(ds, errors={"override-reason": _refusal_text(exc)},
                                  override={"reason": form.get("reason") or ""}), 422
            if pending:
                action = "override-pending"
        elif action == "revoke-override":
            try:
                if gate.revoke_override(actor, ds, form.get("reason", "")).get("pending"):
                    action = "revoke-override-pending"
            except ServiceError as exc:  # a reason too short: said beside it, what was typed kept
                if exc.status == 403 or (exc.detail or {}).get("field") != "reason":
                    raise
                db_session().rollback()
                _user, ds = _editable(slug)
                return _edit_page(ds, errors={"revoke-override-reason": _refusal_text(exc)},
                                  revoke={"reason": form.get("reason") or ""}), 422
        else:
            (datasets.publish if action == "publish" else datasets.restore)(actor, ds)
    except ServiceError as exc:
        return _refused(exc, slug)
    finally:
        runtime.close()
    messages = {"publish": _("Published: the dataset is in search with its stars."),
                "restore": _("Restored: the dataset is public again."),
                "withdraw": _("Withdrawn: the dataset is hidden from search and can be restored."),
                "override": _("Override recorded in the audit log: the dataset can now be published."),
                "override-pending": _("Override requested and recorded in the audit log: a second admin of the "
                                      "publisher must confirm it before the files can be published."),
                "revoke-override": _("Override revoked and recorded in the audit log: the files with personal data "
                                     "are withheld from the public again."),
                "revoke-override-pending": _("Override request withdrawn and recorded in the audit log."),
                "detach": _("Detached: the harvest source no longer updates this dataset; you can edit it.")}
    flash(messages[action], "success")
    return redirect(url_for("publish.edit", slug=ds.slug), code=303)

