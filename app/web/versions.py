"""`/dataset/<slug>/resource/<id>/version/<sha256>`: an earlier (or the current) archived copy of a
distribution, as it was downloaded, through the serving gate (app.services.serving).

The gate decides on the distribution as it is now (drafts, withdrawn datasets, the current copy's personal
data); an older copy is then served only if its own profile found no personal data: a copy that held some,
or that was never scanned, is withheld from everyone but the publisher's editors (451), since original
bytes cannot be masked. Always a download (attachment, nosniff, a sandboxing CSP).
"""

from __future__ import annotations

import os
import re

from flask import Blueprint, Response
from sqlalchemy import select

from app import auth
from app.api.lang import in_chinese as _zh
from app.datastore.gate import whole_copy
from app.export import filenames
from app.request_context import db_session
from app.services import serving
from app.texts import T_
from app.web.uploads import SAFE_HEADERS
from catalog_schema.models import Dataset, Distribution, DistributionVersion
from catalog_schema.record import pick_text

bp = Blueprint("versions", __name__)

HELD_PERSONAL_DATA = T_("This copy of the file held personal data (or was never checked for it), so it is not "
                        "served to the public.")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_EXT = {"csv": "csv", "tsv": "tsv", "psv": "psv", "xls": "xls", "xlsx": "xlsx", "ods": "ods", "json": "json",
        "geojson": "geojson", "xml": "xml", "pdf": "pdf", "zip": "zip", "turtle": "ttl", "rdfxml": "rdf"}


def find(dist_id: str, sha256: str) -> DistributionVersion | None:
    if not _SHA.match(sha256):
        return None
    return db_session().scalar(select(DistributionVersion).where(DistributionVersion.distribution_id == dist_id,
                                                                 DistributionVersion.sha256 == sha256))


@bp.route("/dataset/<slug>/resource/<dist_id>/version/<sha256>")
def version(slug: str, dist_id: str, sha256: str):
    """One archived copy, as the serving gate allows."""
    def check(ds: Dataset, dist: Distribution) -> Response | None:
        found = find(dist.id, sha256)
        if found is None or not found.path or not os.path.isfile(found.path):
            return serving.not_found("not-found", T_("No such version of this file in the archive."))
        # the profile does not read GeoJSON, ZIP or XML tables: the row store's scan of the copy says for them;
        # nor the sheets, members and notes rows outside the table: the copy leaves as a whole (quality.tabular.whole)
        clean = (found.pii == {} and not whole_copy(found.sha256, found.path, found.format, found.encoding, {})) \
            or (found.sha256 == dist.archive_hash and serving.override_covers(ds, dist))
        if not clean and not auth.can_edit(db_session(), serving.viewer(db_session()), ds.publisher):
            # as the gate's other 451 answers (docs/api.md): whom to ask, the Chinese always, what was found where,
            # and who blocks it (RFC 7725's Link: the code was its own and the Link missing)
            # a column kept by its personal name (a version recorded before they were kept by position): [redacted]
            columns = serving.public_columns(found.pii) if isinstance(found.pii, dict) else {}
            kinds = serving.Decision(action="withhold", columns=columns).kinds if columns else {}
            resp = serving.refusal(451, "personal-data", HELD_PERSONAL_DATA, message_zh=_zh(HELD_PERSONAL_DATA),
                                   contact=serving.contact(ds), dataset=ds.slug, distribution=dist.id,
                                   version=found.sha256, kinds=kinds, columns=columns, policy="withhold",
                                   scanned=found.pii is not None)
            resp.headers["Link"] = f'<{serving.site_url()}/>; rel="blocked-by"'
            resp.headers[serving.GATE_HEADER] = "withhold"
            return resp
        return None

    def produce(ds: Dataset, dist: Distribution, plan: serving.Plan) -> Response:
        found = find(dist.id, sha256)
        ext = _EXT.get((found.format or "").lower(), "bin")
        name = filenames.download_name(
            ds.slug, filenames.resource_name(pick_text(serving.public_file_texts(ds, dist)["title"]),
                                             dist.download_url or dist.access_url, dist.id)
            + "_" + found.archived_at.strftime("%Y-%m-%d"), ext)
        return serving.send_archived(found.path, plan, mimetype="application/octet-stream", download_name=name)

    resp = serving.serve(dist_id=dist_id, slug=slug, variant=f"version-{sha256}", produce=produce, check=check,
                         maskable=False)
    resp.headers.update(SAFE_HEADERS)
    return resp
