"""JSON errors of the native REST API, one stable shape for every failure under /api/v1.

    {"error": {"status": 404, "code": "not-found", "message": "No dataset with slug 'x'."}}

`code` is a short slug clients can switch on (it never changes for a given kind of
error); `message` is for people and may be reworded: in Chinese when the request asks for it (`?lang=zh`
or an Accept-Language preferring zh, app/api/lang.py), else in English. Handlers are registered on the
REST blueprint only, so pages and the CKAN API keep their own error formats.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from werkzeug.exceptions import HTTPException, default_exceptions

from app.api.lang import api_lang, localise
from app.services.errors import CODES as REFUSAL_CODES
from app.texts import T_, Text

log = logging.getLogger(__name__)

CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "too-large",
    415: "unsupported-media-type",
    416: "range-not-satisfiable",
    422: "invalid",
    429: "too-many-requests",
    500: "server-error",
    503: "unavailable",
}

#: The row API's own (app/api/rest/rows.py): no table in the row store, or one that could not be loaded.
ROWS_CODES = {"not-in-datastore", "not-loaded", "file-truncated"}

#: What an HTTP error raised without a sentence of ours (werkzeug's default description) says in Chinese.
GENERIC = {
    400: T_("The request is not valid."),
    401: T_("Sign-in is required."),
    403: T_("You may not do this."),
    404: T_("Nothing is found at this address."),
    405: T_("This method is not allowed at this address."),
    406: T_("None of the formats the request accepts can be answered."),
    409: T_("The request conflicts with the present state."),
    413: T_("The request is too large."),
    415: T_("The request's content type is not supported here."),
    416: T_("The requested range is not within the file."),
    422: T_("The request cannot be processed."),
    429: T_("Too many requests: try again later."),
    500: T_("The server failed to answer this request."),
    503: T_("The service is unavailable for a moment: try again later."),
}
_DEFAULTS = {status: default_exceptions[status].description for status in GENERIC if status in default_exceptions}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {
        "type": "object",
        "required": ["status", "code", "message"],
        "additionalProperties": False,
        "properties": {
            "status": {"type": "integer", "description": "The HTTP status, repeated"},
            "code": {"type": "string",
                     # refusals of the services (why a change or a file was not taken) and the rate limiter's
                     "enum": sorted(set(CODES.values()) | {"not-assessed", "error", "withdrawn", "rate-limited"}
                                    | REFUSAL_CODES | ROWS_CODES),
                     "description": "Stable machine-readable kind of error"},
            "message": {"type": "string", "description": "What went wrong, for people: in Chinese when the "
                                                       "request asks for zh (?lang=zh, Accept-Language), else English"},
            "message_zh": {"type": "string", "description": "The message in Chinese (410 withdrawn)"},
            "tombstone": {"type": "object", "description": "410 withdrawn: what stays public of the dataset "
                                                           "(title, publisher, when, why, successor)"},
        },
    }},
}


#: The 451 of a file withheld for personal data (app.services.serving.withheld_response): the error shape with why
#: (`code`: personal-data, not-checked, unreadable, not-maskable), which kinds were found in which columns, whom to ask.
WITHHELD_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {
        "type": "object",
        "required": ["status", "code", "message", "message_zh", "contact", "dataset", "distribution", "kinds",
                     "columns", "policy"],
        "additionalProperties": False,
        "properties": {
            "status": {"type": "integer", "const": 451},
            "code": {"type": "string", "enum": ["personal-data", "not-checked", "unreadable", "not-maskable"],
                     "description": "personal-data: found in the file; not-checked: not scanned yet; unreadable: the "
                                    "file could not be read to be scanned; not-maskable: a format the gate cannot "
                                    "mask (its masked conversions are given in `masked`)"},
            "message": {"type": "string", "description": "Why, in the request's language"},
            "message_zh": {"type": "string", "description": "Why, in Chinese"},
            "contact": {"type": "object", "description": "Whom to ask: name, email, url, publisher {slug, name, page}"},
            "dataset": {"type": "string", "description": "The dataset's slug"},
            "distribution": {"type": "string", "description": "The file's id"},
            "kinds": {"type": "object", "additionalProperties": {"type": "integer"},
                      "description": "Cells found per kind of personal data (id_number, phone, email, bank_card)"},
            "columns": {"type": "object", "additionalProperties": {"type": "object",
                                                                   "additionalProperties": {"type": "integer"}},
                        "description": "Cells per kind in each column; a column named by personal data is "
                                       "[redacted]"},
            "policy": {"type": ["string", "null"], "description": "The gate's policy that decided (withhold, redact)"},
            "masked": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "not-maskable: the masked conversions' addresses by format"},
        },
    }},
}


class ApiError(Exception):
    """Raise from a view to answer with the stable error shape."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def own_words(status: int, message: str) -> str:
    """`message`, or ours for it when it is werkzeug's own English sentence for `status` (raised without one of
    ours): a `Text`, said in any language."""
    if not isinstance(message, Text) and message == _DEFAULTS.get(status):
        return GENERIC[status]
    return message


def error_response(status: int, code: str, message: str) -> Response:
    if api_lang() == "zh":
        message = own_words(status, message)  # English keeps werkzeug's sentence, as it always did
    resp = jsonify({"error": {"status": status, "code": code, "message": localise(message)}})
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    resp.vary.add("Accept-Language")  # the message in the reader's language
    if status == 401:  # RFC 9110: a 401 names the scheme to answer with; the API takes `Bearer <token>` (RFC 6750)
        resp.headers["WWW-Authenticate"] = 'Bearer realm="opendata"'
    return resp


def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message)


def http_error_response(exc: HTTPException) -> Response:
    """An HTTP error werkzeug raised (406, 416, 405 ...) in the API's shape, with the headers that belong to it
    kept (405 `Allow`, 416 `Content-Range: bytes */<size>`): only werkzeug's HTML Content-Type is left out."""
    status = exc.code or 500
    resp = error_response(status, CODES.get(status, "error"), exc.description or exc.name)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            resp.headers[name] = value
    return resp


def _unexpected(exc: Exception) -> Response:
    """A bug must still answer in the API's shape, without leaking internals."""
    from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

    if isinstance(exc, (OperationalError, ProgrammingError, InterfaceError)):  # not a bug: the database
        from app.web.unavailable import database_unavailable

        return database_unavailable(exc)
    log.exception("unhandled error in the REST API")
    return error_response(500, "server-error", T_("The server failed to answer this request."))


def register(bp: Blueprint) -> None:
    bp.register_error_handler(ApiError, _api_error)
    bp.register_error_handler(HTTPException, http_error_response)
    bp.register_error_handler(Exception, _unexpected)
