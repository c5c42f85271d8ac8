"""Messages for people that each door says in its reader's language (issue 17, "Everywhere").

`T_("No dataset with slug %(slug)s.", slug=...)` is a `Text`: a `str` holding the English sentence (so logs,
JSON, tests and every caller that only knows `str` see what they always saw) that also keeps its msgid and
parameters, so the REST and CKAN APIs (app/api/lang.py) and the command line (app/cli_lang.py) can say it in
Chinese from the one catalog, app/translations. `T_` is an extraction keyword like `N_`.
No Flask here: services raise these, and they run under the command line and Celery too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any


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


# --------------------------------------------------------------------------- Chinese spacing around values

#: Characters of Chinese (and Japanese) writing that take no space beside one another: the ideographs, kana, CJK
#: and full-width punctuation (“”‘’ are shared with Western text and do not count).
_WIDE = "\u2e80-\u2fdf\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_WIDE_CHAR = re.compile(f"[{_WIDE}]")
#: What makes a value a name rather than words (a file, an address, a code: 图.png, 交通/stops): its spaces set it
#: apart and stay.
_NAMELIKE = re.compile(r"[A-Za-z./\\@:_#=-]")
_SPACE_BEFORE = re.compile(f"(?<=[{_WIDE}]) (?=%\\((\\w+)\\))")
_SPACE_AFTER = re.compile(f"%\\((\\w+)\\)[-#0+]*\\d*(?:\\.\\d+)?[a-zA-Z] (?=[{_WIDE}])")


def cjk_spaced(template: str, values: Mapping[str, Any]) -> str:
    """`template` (a translation, before `%` puts `values` in) without the spaces that would stand between two
    Chinese characters once the values are in. The Chinese catalog sets a value apart by spaces ("共 %(n)s 行",
    "%(publisher)s 的成员"), which is right beside a number, a code or a Latin name and wrong beside Chinese text:
    "京海市统计局 的成员". A space goes when the template's character on its other side and the value's next to it
    are both Chinese and the value is Chinese words, not a name made of Latin letters or signs (a file 图.png, an
    address keeps its spaces: they set it apart); spaces inside a value are the value's own and stay. Markup keeps its
    class (Jinja's)."""
    if " " not in template or not _WIDE_CHAR.search(template):
        return template

    def shown(name: str) -> str:  # the value as read (a link's text, not its tag), when it is Chinese words
        value = values.get(name, "") if isinstance(values, Mapping) else ""
        text = value.striptags() if hasattr(value, "striptags") else str(value)
        return "" if _NAMELIKE.search(text) else text

    def before(m: re.Match) -> str:
        return "" if _WIDE_CHAR.match(shown(m.group(1))[:1]) else " "

    def after(m: re.Match) -> str:
        whole = m.group(0)
        return whole[:-1] if _WIDE_CHAR.match(shown(m.group(1))[-1:]) else whole

    out = _SPACE_AFTER.sub(after, _SPACE_BEFORE.sub(before, str(template)))
    if out == template:
        return template
    return type(template)(out) if hasattr(template, "__html__") else out  # Jinja's Markup stays markup
