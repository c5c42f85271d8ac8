"""Harvest errors that keep their message id and parameters (issue 17, "Every string in zh and en").

A harvest error is stored as English text (`harvest_jobs.error`, `harvest_records.error`: logs, the API's
`error`, tests read it) and, beside it, as its `detail`: {"msgid": ..., "params": {...}} in
`error_detail`, so that the pages and the command line can say it in the reader's language from the
interface's catalog (app/translations; `N_` is one of its extraction keywords, babel.cfg reads this
package). No Flask and no `app` here: this package only imports catalog_schema and plumbing.

A parameter is plain data (text, a number) or itself a `Message` (what was expected instead: "a DCAT
catalog"), kept as a nested detail and translated too. What a library said (an exception's message) is a
parameter and stays as it was said.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def N_(msgid: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks `msgid` for extraction and returns it unchanged (translated where it is shown)."""
    return msgid


class Message(str):
    """English text that keeps its msgid and parameters (a `str`: every caller that only knows text sees the
    sentence it always saw)."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Message:
        params = {k: _plain(v) for k, v in params.items()}
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid, self.params = str(msgid), params
        return self

    def __reduce__(self):  # pickled (multiprocessing, Celery) with its parameters
        return (_rebuild, (self.msgid, self.params))

    def detail(self) -> dict[str, Any]:
        """JSON for `error_detail`: {"msgid", "params"}, a parameter that is a message nested the same way."""
        return {"msgid": self.msgid,
                "params": {k: v.detail() if isinstance(v, Message) else v for k, v in self.params.items()}}


def json_kind(value: Any) -> Message:
    """What kind of JSON value `value` is, in JSON's words (an operator reads "a string", not Python's "str")."""
    if value is None:
        return Message(N_("null"))
    if isinstance(value, bool):
        return Message(N_("true or false"))
    if isinstance(value, (int, float)):
        return Message(N_("a number"))
    if isinstance(value, str):
        return Message(N_("a string"))
    if isinstance(value, list):
        return Message(N_("a list"))
    if isinstance(value, dict):
        return Message(N_("an object"))
    return Message(type(value).__name__)


def _rebuild(msgid: str, params: dict[str, Any]) -> Message:
    return Message(msgid, **params)


def _plain(value: Any) -> Any:
    """A parameter as JSON can keep it: a message, text or a number as it is, anything else as its text."""
    if isinstance(value, Message) or type(value) in (str, int, float):
        return value
    return str(value)


def as_message(text: str) -> Message:
    """`text` as a message: a `Message` as it is, any other text taken as a msgid (marked with `N_` where it is
    written; text the catalog does not know is shown as it is)."""
    return text if isinstance(text, Message) else Message(text)


def from_detail(detail: Any, text: str | None = None) -> str | None:
    """The `Message` a stored detail was made of (its English the sentence it said), else `text` as it is."""
    if isinstance(detail, Mapping) and isinstance(detail.get("msgid"), str):
        params = detail.get("params") or {}
        if isinstance(params, Mapping):
            try:
                return Message(detail["msgid"], **{k: from_detail(v) if isinstance(v, Mapping) else v
                                                   for k, v in params.items()})
            except (KeyError, TypeError, ValueError):
                pass
    return text


def error_detail(exc: BaseException) -> dict[str, Any] | None:
    """What `error_detail` keeps for `exc`: a HarvestError's message id and parameters; None for any other
    exception (its text is kept as it is, in `error`, and shown as it is)."""
    text = getattr(exc, "message", None)
    return text.detail() if isinstance(text, Message) else None


def render(detail: Mapping[str, Any] | None, fallback: str | None, gettext: Callable[[str], str]) -> str:
    """The error kept as `detail` in the language of `gettext`, else `fallback` (the stored English text):
    for rows without detail (written before it was kept, or by an exception that is no HarvestError), and
    for a detail this version cannot read."""
    if isinstance(detail, Mapping):
        try:
            return _render(detail, gettext)
        except (KeyError, TypeError, ValueError):
            pass
    return fallback or ""


def _render(detail: Mapping[str, Any], gettext: Callable[[str], str]) -> str:
    msgid = detail["msgid"]
    if not isinstance(msgid, str):
        raise TypeError("msgid")
    params = detail.get("params") or {}
    if not isinstance(params, Mapping):
        raise TypeError("params")
    if not params:
        if "%(" in msgid:  # a message that takes parameters, kept without them
            raise KeyError(msgid)
        return gettext(msgid)
    text = gettext(msgid)
    return text % {k: _render(v, gettext) if isinstance(v, Mapping) else v for k, v in params.items()}
