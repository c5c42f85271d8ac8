"""Chinese typography around values: the catalog sets a value apart by spaces ("%(publisher)s 的成员"), right beside
a number, a code or a Latin name and wrong between two Chinese words ("京海市统计局 的成员"). One rule
(plumbing.cjk.cjk_spaced, app.texts.cjk_spaced to app code) on every path a translation gets its values: Python's
gettext, the templates' `_`, and a service's Text said in Chinese; the quality findings' `{name}` templates follow it
too (tests/quality/test_chinese_wording.py)."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale, gettext
from markupsafe import Markup

from app.texts import T_, cjk_spaced, say


def _fill(template, **values):
    return cjk_spaced(template, values) % values


def test_the_space_goes_between_chinese_words_only():
    assert _fill("%(publisher)s 的成员", publisher="京海市统计局") == "京海市统计局的成员"
    assert _fill("%(publisher)s 的成员", publisher="Demo agency") == "Demo agency 的成员"
    assert _fill("共 %(n)s 行", n=3) == "共 3 行"
    assert _fill("%(days)d 天", days=3) == "3 天"
    assert _fill("状态为 %(state)s。", state="草稿") == "状态为草稿。"
    # a value that is a name (a file, an address, a code) keeps the spaces that set it apart
    assert _fill("文件 %(name)s 是图片", name="图.png") == "文件 图.png 是图片"
    assert _fill("文件 %(name)s 是图片", name="交通/站点") == "文件 交通/站点 是图片"
    # the value's own spaces are its own; only the template's go
    assert _fill("%(title)s 的数据", title="京海 公交") == "京海 公交的数据"
    # a value Chinese at one end only: the space on that end goes
    assert _fill("共 %(title)s 条", title="2024年三") == "共 2024年三条"
    # a quoted value is set apart by its quotes, whatever is between them
    assert _fill("位于 %(where)s 中", where="“email”") == "位于“email”中"
    assert _fill("%(where)s 含有 %(n)d 个", where="“b.csv”", n=2) == "“b.csv”含有 2 个"
    # Chinese words with a code aside in full-width brackets are words: "文件实际为 未知类型的文件（7z）。" had a space
    assert _fill("文件实际为 %(kind)s。", kind="未知类型的文件（7z）") == "文件实际为未知类型的文件（7z）。"
    assert _fill("文件 %(name)s 是图片", name="数据（2024）.csv") == "文件 数据（2024）.csv 是图片"
    # str.format's places, plain and with a spec or a conversion; {{ is a brace
    values = {"publisher": "京海市统计局", "n": 3.14159, "code": "CSV"}
    template = cjk_spaced("{publisher} 的 {n:.1f} 个 {code!s} 文件", values)
    assert template.format(**values) == "京海市统计局的 3.1 个 CSV 文件"
    assert cjk_spaced("为 {{publisher}} 的", values) == "为 {{publisher}} 的"


def test_markup_stays_markup_and_its_values_are_escaped():
    template = Markup("您现在是 %(publisher)s 的编辑。")
    linked = Markup('<a href="/publisher/jh">交通局</a>')
    out = _fill(template, publisher=linked)
    assert isinstance(out, Markup)
    assert out == '您现在是<a href="/publisher/jh">交通局</a>的编辑。'  # a link's text decides, not its tag
    assert _fill(template, publisher="<b>交通局</b>") == "您现在是 &lt;b&gt;交通局&lt;/b&gt; 的编辑。"


def test_every_path_a_translation_takes(app):
    with app.test_request_context("/?lang=zh"), force_locale("zh_CN"):
        assert gettext("Members of %(publisher)s", publisher="京海市统计局") == "京海市统计局的成员"
        assert render_template_string("{{ _('Members of %(publisher)s', publisher=name) }}",
                                      name="京海市统计局") == "京海市统计局的成员"
        assert render_template_string("{{ _('Members of %(publisher)s', publisher=name) }}",
                                      name="Demo <agency>") == "Demo &lt;agency&gt; 的成员"
        assert say(T_("Members of %(publisher)s", publisher="京海市统计局"), gettext) == "京海市统计局的成员"
    with app.test_request_context("/?lang=en"), force_locale("en"):
        assert gettext("Members of %(publisher)s", publisher="京海市统计局") == "Members of 京海市统计局"
