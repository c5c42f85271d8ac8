"""Messages for people that each door says in its reader's language (issue 17, "Everywhere").

`T_("No dataset with slug %(slug)s.", slug=...)` is a `Text`: a `str` holding the English sentence (so logs,
JSON, tests and every caller that only knows `str` see what they always saw) that also keeps its msgid and
parameters, so the REST and CKAN APIs (app/api/lang.py) and the command line (app/cli_lang.py) can say it in
Chinese from the one catalog, app/translations. `T_` is an extraction keyword like `N_`.
No Flask here: services raise these, and they run under the command line and Celery too.
"""

from __future__ import annotations

from collections.abc import Callable

from plumbing.cjk import cjk_spaced  # the one rule of spaces around values, the quality findings' too

__all__ = ["T_", "Text", "cjk_spaced", "join", "say"]


class Text(str):
    """English text that remembers how to be translated."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params) -> Text:
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid, self.params = msgid, params
        return self

    def __reduce__(self):  # pickled by Celery results and multiprocessing like any str, with its parameters
        return (_rebuild, (self.msgid, self.params))

    def translate(self, gettext: Callable[[str], str]) -> str:
        """This text through `gettext` (one language's), its parameters translated too when they are texts."""
        text = gettext(self.msgid)
        if not self.params:
            return text
        params = {k: say(v, gettext) if isinstance(v, Text) else v for k, v in self.params.items()}
        return cjk_spaced(text, params) % params


def _rebuild(msgid: str, params: dict) -> Text:
    return Text(msgid, **params)


def T_(msgid: str, **params) -> Text:  # noqa: N802 (the gettext family's way of naming a marker)
    """A message for people, translated where it is shown."""
    return Text(msgid, **params)


def say(message, gettext: Callable[[str], str]) -> str:
    """`message` in the language of `gettext` when it is a `Text`; any other string as it is."""
    return message.translate(gettext) if isinstance(message, Text) else str(message)


def join(separator: str, items) -> Text:
    """`separator.join(items)` that stays translatable: each item a text or a plain string (a field's name)."""
    items = list(items)
    sep = separator.replace("%", "%%")
    return Text(sep.join(f"%(p{i})s" for i in range(len(items))), **{f"p{i}": item for i, item in enumerate(items)})
