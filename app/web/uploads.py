"""`/uploads/<distribution id>/<name>`: an uploaded file, through the serving gate (app.services.serving).

Always a download, never rendered on this site (attachment, nosniff, a sandboxing CSP, and no media type a
browser would run); drafts only for who may edit them; personal data withheld (451), or under the redact
policy a CSV, TSV or PSV masked as it streams (served as the masked CSV conversion: the bytes cannot be
the original's once cells are masked). An XLSX or PDF with personal data cannot be masked as it is: it
stays withheld, and the answer points at the masked conversions (data.csv ...).
"""

from __future__ import annotations

import os
from urllib.parse import quote

from flask import Blueprint, Response

from app.datastore.gate import whole_file
from app.export import convert
from app.services import serving
from app.services.uploads import UPLOAD_PATH, is_upload
from app.texts import T_
from catalog_schema.models import Dataset, Distribution

bp = Blueprint("uploads", __name__)

#: Uploaded originals that can be served with personal data masked (as the masked CSV conversion).
MASKABLE_FORMATS = frozenset({"CSV", "TSV", "PSV"})
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


def _available(ds: Dataset, row: Distribution) -> Response | None:
    if not is_upload(row) or not row.archive_path or not os.path.isfile(row.archive_path):
        return serving.not_found("not-found", T_("No such file in this catalog."))
    return None


def _maskable(row: Distribution) -> bool:
    return (row.detected_format or "").upper() in MASKABLE_FORMATS


def _produce(ds: Dataset, row: Distribution, plan: serving.Plan) -> Response:
    filename = row.extras["upload"].get("filename") or "download"
    if plan.mask is not None:
        table = convert.open_table(row.archive_path, format=(row.detected_format or "").upper(),
                                   encoding=row.detected_encoding)
        resp = Response(convert.to_csv(convert.masked(table, plan.mask)), mimetype="text/csv")
        resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return resp
    mimetype = (row.detected_media_type or "application/octet-stream").split(";")[0].strip().lower()
    if any(word in mimetype for word in ("html", "svg", "javascript")) or "/" not in mimetype:
        mimetype = "application/octet-stream"  # never anything a browser would run on our origin
    resp = serving.send_archived(row.archive_path, plan, mimetype=mimetype, download_name=filename)
    if mimetype.startswith("text/") and row.detected_encoding:  # werkzeug says utf-8 of any text: a GBK CSV
        resp.headers["Content-Type"] = f"{mimetype}; charset={charset_name(row.detected_encoding)}"  # (garbled)
    return resp


#: Python's codec names as a Content-Type charset names them (IANA).
_CHARSETS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "ascii": "utf-8", "gbk": "GBK", "gb18030": "GB18030",
             "gb2312": "GB2312", "big5": "Big5", "latin-1": "ISO-8859-1", "iso8859-1": "ISO-8859-1",
             "cp1252": "windows-1252", "cp1250": "windows-1250", "cp1251": "windows-1251", "cp949": "EUC-KR",
             "euc_kr": "EUC-KR", "cp932": "Shift_JIS", "shift_jis": "Shift_JIS", "euc_jp": "EUC-JP",
             "utf-16": "utf-16", "utf-16-le": "utf-16le", "utf-16-be": "utf-16be"}


def charset_name(encoding: str) -> str:
    return _CHARSETS.get(encoding.lower().replace("_", "-"), _CHARSETS.get(encoding.lower(), encoding))


@bp.route(f"{UPLOAD_PATH}/<dist_id>/<path:name>")
def uploaded_file(dist_id: str, name: str):
    """An uploaded file, as a download, as the serving gate allows."""
    resp = serving.serve(dist_id=dist_id, slug=None, variant="original", produce=_produce, check=_available,
                         maskable=_maskable, found=whole_file)
    resp.headers.update(SAFE_HEADERS)
    return resp
