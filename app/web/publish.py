"""The agency's pages: `/publish` (my publishers' datasets, drafts included; a new dataset) and
`/publish/<slug>` (metadata, files and links, the pre-publication check with its preview, and the
publish / withdraw / restore / personal-data override / detach buttons).

Every rule lives in the services (app/services/); these views sign in (app.security), parse forms, call
a service, and turn a refused change into a message on the page (403 for another publisher's dataset).
Uploaded files (`/uploads/<id>/<name>`) are served by app/web/uploads.py, through the serving gate.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import current_lang
from app.request_context import db_session, setting
from app.security import client_address, current_account, login_required_page
from app.services import access, check, datasets, distributions, gate
from app.services.context import Actor, Runtime
from app.services.errors import ServiceError, UploadRejected
from app.services.uploads import is_upload
from app.web import quality_view
from catalog_schema import vocab

bp = Blueprint("publish", __name__)

LICENCE_CHOICES = ("CC-BY-4.0", "CC0-1.0", "CC-BY-SA-4.0", "ODbL-1.0", "other-closed")
FREQUENCY_CHOICES = ("DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL", "IRREG")
# Messages of refused writes, by code, in the reader's language (the service's English text follows).
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
    "invalid": _l("A field has a value the catalog cannot take."),
    "conflict": _l("That cannot be done in the dataset's present state."),
    "rejected-file": _l("The file was not accepted."),
}
STATE_LABELS = {"draft": _l("Draft"), "active": _l("Published"), "withdrawn": _l("Withdrawn")}


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
    flash(f"{CODE_MESSAGES.get(exc.code, _('The change was not made.'))} ({exc.message})", "error")
    target = url_for("publish.edit", slug=slug) if slug else url_for("publish.index")
    return redirect(target, code=303)


def _editable(slug: str, *, write: bool = False):
    user = current_account()
    try:
        return user, access.dataset_for_edit(db_session(), user, slug, write=write)
    except ServiceError as exc:
        abort(404 if exc.status == 404 else 403)


# --------------------------------------------------------------------------- list and create


@bp.route("/publish", methods=["GET"])
@login_required_page
def index():
    session = db_session()
    user = current_account()
    pubs = access.editable_publishers(session, user)
    return render_template("publish/index.html", publishers=pubs, datasets=access.my_datasets(session, user),
                           states=STATE_LABELS, licences=_licences(), frequencies=FREQUENCY_CHOICES)


@bp.route("/publish", methods=["POST"])
@login_required_page
def create():
    form = request.form
    fields = {k: form.get(k, "") for k in ("title", "description", "license", "keywords", "frequency") if k in form}
    fields = {k: v for k, v in fields.items() if v.strip() or k == "title"}
    try:
        ds = datasets.create(_actor(), form.get("publisher"), fields, slug=form.get("name") or None)
    except ServiceError as exc:
        return _refused(exc, None)
    flash(_("Draft created. Add its files, read the check below, then publish."), "success")
    return redirect(url_for("publish.edit", slug=ds.slug), code=303)


def _licences() -> list[tuple[str, str]]:
    out = []
    for lid in LICENCE_CHOICES:
        lic = vocab.licence_by_id(lid) or vocab.licence(lid)
        if lic is not None:
            out.append((lic.id, lic.title))
    return out


# --------------------------------------------------------------------------- one dataset


@bp.route("/publish/<slug>", methods=["GET"])
@login_required_page
def edit(slug: str):
    user, ds = _editable(slug)
    session = db_session()
    runtime = _runtime()
    try:
        result = check.run(_actor(runtime), ds)
    finally:
        runtime.close()
    lang = current_lang()
    findings = [quality_view.localise_finding(f, lang) for f in result["findings"]]
    pii = [quality_view.localise_finding(f, lang) for f in result["pii"]]
    return render_template(
        "publish/edit.html", ds=ds, check=result, findings=findings, pii=pii, states=STATE_LABELS,
        licences=_licences(), frequencies=FREQUENCY_CHOICES, themes=sorted(vocab.THEMES.items()),
        is_admin=access.is_admin_of(session, user, ds.publisher),
        read_only=ds.source_id is not None and not user.is_sysadmin,
        max_upload=int(setting("MAX_UPLOAD_BYTES")), is_upload=is_upload)


@bp.route("/publish/<slug>", methods=["POST"])
@login_required_page
def update(slug: str):
    user, ds = _editable(slug)
    form = request.form
    fields: dict = {k: form.get(k, "") for k in ("title", "description", "license", "frequency", "keywords",
                                                 "access_rights", "landing_page", "issued", "modified")
                    if k in form}
    if "themes" in form or "themes_sent" in form:
        fields["themes"] = form.getlist("themes")
    if "contact_name" in form or "contact_email" in form:
        fields["contact_point"] = {"name": form.get("contact_name", ""), "email": form.get("contact_email", "")}
    if "temporal_start" in form or "temporal_end" in form:
        fields["temporal"] = {"start": form.get("temporal_start", ""), "end": form.get("temporal_end", "")}
    runtime = _runtime()
    try:
        new_name = (form.get("name") or "").strip()
        if new_name and new_name != ds.slug:
            datasets.rename(_actor(runtime), ds, new_name)
        datasets.update(_actor(runtime), ds, fields)
    except ServiceError as exc:
        return _refused(exc, slug)
    finally:
        runtime.close()
    flash(_("Saved. The check below is up to date."), "success")
    return redirect(url_for("publish.edit", slug=ds.slug), code=303)


@bp.route("/publish/<slug>/distributions", methods=["POST"])
@login_required_page
def add_distribution(slug: str):
    _user, ds = _editable(slug, write=True)  # refuse before a byte of the file is stored
    cap = int(setting("MAX_UPLOAD_BYTES"))
    runtime = _runtime()
    try:
        if request.content_length is not None and request.content_length > cap + 64 * 1024:
            raise UploadRejected(f"The upload is {request.content_length:,} bytes; the limit is {cap:,} bytes.",
                                 code="too-large", status=413)
        request.max_content_length = cap + 64 * 1024
        upload = request.files.get("file")
        title = request.form.get("title") or None
        if upload is not None and upload.filename:
            distributions.add_upload(_actor(runtime), ds, upload.stream, upload.filename, title=title)
        else:
            distributions.add_link(_actor(runtime), ds, request.form.get("url", ""), title=title,
                                   format=request.form.get("format") or None)
    except ServiceError as exc:
        return _refused(exc, slug)
    finally:
        runtime.close()
    flash(_("Added. The check below now includes it."), "success")
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


@bp.route("/publish/<slug>/<any(publish, withdraw, restore, override, detach):action>", methods=["POST"])
@login_required_page
def change_state(slug: str, action: str):
    _user, ds = _editable(slug)
    runtime = _runtime()
    actor = _actor(runtime)
    form = request.form
    try:
        if action == "withdraw":
            datasets.withdraw(actor, ds, reason=form.get("reason"), successor=form.get("successor"))
        elif action == "detach":
            datasets.detach(actor, ds)
        elif action == "override":
            if gate.override_pii(actor, ds, form.get("reason", "")).get("pending"):
                action = "override-pending"
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
                "detach": _("Detached: the harvest source no longer updates this dataset; you can edit it.")}
    flash(messages[action], "success")
    return redirect(url_for("publish.edit", slug=ds.slug), code=303)

