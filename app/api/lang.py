"""The language of the APIs' error messages (issue 17, "Everywhere"): the REST API's `message` and the CKAN
Action API's `message` and field errors are said in Chinese when the request asks for it, with `?lang=zh` or an
Accept-Language that prefers zh; otherwise, and for every client that asks nothing (ckanapi, curl, scripts), in
English as always. Codes, `__type`s, field names and HTTP statuses never change with the language.

Not the pages' choice (app/i18n.py): an API answer neither reads the session's remembered language nor falls back
to DEFAULT_LOCALE, so the same request always gets the same bytes whatever cookie a browser sends.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import force_locale, gettext

from app.i18n import normalise
from app.texts import Text, say


def api_lang() -> str:
    """"zh" or "en" for this API request."""
    chosen = normalise(request.args.get("lang"))
    if chosen is None:
        best = request.accept_languages.best_match(["en", "zh_CN", "zh-CN", "zh"])
        chosen = normalise(best) if best else None
    return "zh" if chosen == "zh_CN" else "en"


def localise(value: Any) -> Any:
    """`value` with every `Text` in it (in lists and dicts too) said in this request's language; for English,
    the very strings the API always answered."""
    if api_lang() == "en":
        return _plain(value)
    with force_locale("zh_CN"):
        return _said(value)


def in_chinese(value: Any) -> Any:
    """`value` with every `Text` in it said in Chinese, whatever the request asks (the ``message_zh`` fields)."""
    with force_locale("zh_CN"):
        return _said(value)


def _said(value: Any) -> Any:
    if isinstance(value, Text):
        return say(value, gettext)
    if isinstance(value, list):
        return [_said(v) for v in value]
    if isinstance(value, dict):
        return {k: _said(v) for k, v in value.items()}
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Text):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
