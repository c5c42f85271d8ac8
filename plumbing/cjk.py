"""Chinese typography around values: the one rule of where a space goes between a text and the values put in it.

The Chinese texts set a value apart by spaces ("共 %(n)s 行", "%(publisher)s 的成员", "{located} 含有 {count} 个"),
which is right beside a number, a code or a Latin name and wrong beside Chinese text: "京海市统计局 的成员". Every
path that fills a Chinese text follows `cjk_spaced`: the translations (app.texts, app.i18n: gettext, the templates'
`_`, a service's `Text`) and the quality findings (quality.findings). Pure: `re` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Characters of Chinese (and Japanese) writing that take no space beside one another: the ideographs, kana, CJK
#: and full-width punctuation (“”‘’ are shared with Western text and do not count).
_WIDE = "\u2e80-\u2fdf\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_WIDE_CHAR = re.compile(f"[{_WIDE}]")
#: What makes a value a name rather than words (a file, an address, a code: 图.png, 交通/stops): its spaces set it
#: apart and stay.
_NAMELIKE = re.compile(r"[A-Za-z./\\@:_#=-]")
#: A full-width bracket's aside in a value of Chinese words (未知类型的文件（7z）): its Latin letters do not make the
#: value a name.
_ASIDE = re.compile("（[^（）]*）")
#: Quotation marks that open and close a value quoted in Chinese text (列“email”): the quotes set it apart, and no
#: space stands between them and the Chinese text beside them, whatever the value between them is.
_OPENING, _CLOSING = "“‘", "”’"
#: A value's place in a template: `%(name)s` (gettext's, with its flags, width and precision) or `{name}`,
#: `{name:spec}`, `{name!r}` (str.format's; `{{` is a brace, not a place).
_PLACE = (r"(?:%\((?P<p>\w+)\)[-#0+]*\d*(?:\.\d+)?[a-zA-Z]"
          r"|(?<!\{)\{(?P<b>\w+)(?:![rsa])?(?::[^{}]*)?\})")
_SPACE_BEFORE = re.compile(f"(?<=[{_WIDE}]) (?={_PLACE})")
_SPACE_AFTER = re.compile(f"{_PLACE} (?=[{_WIDE}])")


def cjk_spaced(template: str, values: Mapping[str, Any]) -> str:
    """`template` (a translation or a finding's text, before `%` or `str.format` puts `values` in) without the spaces
    that would stand between two Chinese characters once the values are in. A space goes when the template's
    character on its other side and the value's next to it are both Chinese and the value is Chinese words, not a
    name made of Latin letters or signs (a file 图.png, an address keeps its spaces: they set it apart), or when the
    value's end beside it is a quotation mark (列 “email” 含有: the quotes set it apart); spaces inside a value are the
    value's own and stay. Markup keeps its class (Jinja's)."""
    if " " not in template or not _WIDE_CHAR.search(template):
        return template

    def shown(m: re.Match) -> str:  # the value as read (a link's text, not its tag)
        name = m.group("p") or m.group("b")
        value = values.get(name, "") if isinstance(values, Mapping) else ""
        return value.striptags() if hasattr(value, "striptags") else str(value)

    def joins(text: str, edge: str, quotes: str) -> bool:  # no space between this end of a value and Chinese text
        words = _ASIDE.sub("", text)  # 未知类型的文件（7z） is words: its code is set apart by the brackets
        return bool(edge) and (edge in quotes or bool(_WIDE_CHAR.match(edge)) and not _NAMELIKE.search(words))

    def before(m: re.Match) -> str:
        text = shown(m)
        return "" if joins(text, text[:1], _OPENING) else " "

    def after(m: re.Match) -> str:
        whole, text = m.group(0), shown(m)
        return whole[:-1] if joins(text, text[-1:], _CLOSING) else whole

    out = _SPACE_AFTER.sub(after, _SPACE_BEFORE.sub(before, str(template)))
    if out == template:
        return template
    return type(template)(out) if hasattr(template, "__html__") else out  # Jinja's Markup stays markup
