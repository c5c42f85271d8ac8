"""The typed errors of the outbound HTTP session, apart from the session so that code which only
catches them (the link checker) does not load requests.

Every failure is an `HttpError` whose `kind` is one of `KINDS`, with a message an agency can act on.
"""

from __future__ import annotations

from typing import Any

KINDS = ("ssrf-blocked", "timeout", "connection", "dns", "too-large", "http-status", "redirect-loop",
         "circuit-open", "invalid-url")

#: What a "connection" failure was: nothing listening, the secure connection refused, the connection broken
#: before the answer was whole; and the whole-time cap of a "timeout".
REASONS = ("refused", "tls", "broken", "deadline")


class HttpError(Exception):
    """An outbound request that did not give a usable answer.

    `kind` is one of KINDS; `status` is the HTTP status when there was one; `body` holds the
    start of the error page for "http-status" (APIs explain their errors there); `retryable`
    says whether trying the same URL later may help; `reason` narrows a "connection" failure (one of
    `REASONS`), and marks the "timeout" of a fetch's whole-time cap ("deadline"), so callers can say it in
    their reader's language without reading the English message; `facts` holds the numbers that message
    names (a limit, a size, the bytes announced, the seconds allowed) for the same reason.
    """

    def __init__(self, kind: str, url: str, message: str, *, status: int | None = None,
                 body: bytes | None = None, retryable: bool = False, reason: str | None = None,
                 facts: dict[str, Any] | None = None):
        super().__init__(message)
        self.kind = kind
        self.reason = reason
        self.facts = dict(facts or {})  # the numbers the message names (limit, size, expected, seconds)
        self.url = url
        self.status = status
        self.body = body
        self.retryable = retryable
        self.message = message

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        """The error as data, for a harvest error row or a link-check finding."""
        return {"kind": self.kind, "url": self.url, "status": self.status, "message": self.message}

    def __reduce__(self):
        # Exceptions pickle through their args (the message only here); Celery and process
        # pools need the whole error back, so rebuild from the attributes.
        return _rebuild_error, (type(self), dict(self.__dict__))


def _rebuild_error(cls: type[HttpError], state: dict[str, Any]) -> HttpError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class InvalidJson(HttpError, ValueError):
    """The answer arrived but is not JSON we accept (syntax, encoding or nesting depth)."""

    def __init__(self, url: str, message: str):
        super().__init__("invalid-json", url, message)
