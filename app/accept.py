"""What a request's `Accept` header says about who reads the answer: one answer for every door.

A door that answers a person and a program differently (an error page or the API's JSON error, a tombstone page
or its JSON) asks `is_browser()` here, never the header itself, so that every door draws the line in the same
place. An answer whose shape followed the header says `Vary: Accept`, or a shared cache would hand the JSON it
kept for a script to the next browser.
"""

from __future__ import annotations

from flask import request


def names(mime: str) -> bool:
    """Whether `Accept` names `mime` itself with a quality above 0: a wildcard (`*/*`, `text/*`) does not count,
    and `;q=0` refuses the type (RFC 9110, 12.4.2) rather than asking for it."""
    return any(named == mime and quality > 0 for named, quality in request.accept_mimetypes)


def is_browser() -> bool:
    """A browser names text/html; curl (`*/*`), scripts and RDF clients do not, nor a client giving it q=0."""
    return names("text/html")
