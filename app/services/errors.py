"""Refused changes, as data: an HTTP status, a stable code and a message for people.

Every door turns a `ServiceError` into its own shape (a flash message on a page, the REST error object,
a CKAN `__type`), so the same refusal reads the same whichever door the change came in by.
"""

from __future__ import annotations

#: Every stable code a refusal carries: each door says it (the REST API's error `code`, whose values its OpenAPI
#: document lists, so a client may branch on them; CKAN's `code`). A refusal's code is one of these
#: (tests/app/test_refusal_codes.py reads every one the code raises).
CODES = frozenset({
    # the classes' own
    "bad-request", "forbidden", "not-found", "invalid", "conflict", "precondition-failed", "rejected-file",
    # a file not taken (UploadRejected)
    "too-large", "empty", "html-not-data", "zip-bomb", "xml-entities", "program", "not-data",
    # a change refused by the dataset's state or the gate
    "harvested", "pii-blocked", "second-admin-required", "no-distributions", "duplicate-file", "not-draft",
    "in-series", "is-series", "no-fragments", "no-override",
    # people and sources
    "bad-role", "not-a-member", "last-admin", "source-has-datasets", "publisher-has-datasets", "publisher-has-sources",
})


class ServiceError(Exception):
    """A refused change: `status` (HTTP), `code` (a stable slug) and a message for people."""

    status = 400
    code = "bad-request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **detail):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.detail = detail


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not-found"


class Invalid(ServiceError):
    status, code = 422, "invalid"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class StaleVersion(ServiceError):
    """The change started from a version of the dataset (`datasets.edit_version`) that is no longer its version:
    someone changed it since. Nothing was changed; `detail["version"]` is its version now."""

    status, code = 412, "precondition-failed"


class UploadRejected(ServiceError):
    """The file is not taken; `code` says why (too-large, html-not-data, zip-bomb, xml-entities, empty)."""

    status, code = 400, "rejected-file"
