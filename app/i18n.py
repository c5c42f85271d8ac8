"""Interface language: Flask-Babel with zh_CN and en.

Why this order (issue 6 item 2): an explicit `?lang=` wins and is remembered in the
session cookie, so a visitor who switched once keeps their language on every page; without a choice
the browser's Accept-Language decides; the DEFAULT_LOCALE setting covers browsers that ask for
neither language. Catalog texts are language maps ({"zh": ..., "en": ...}), picked with
`current_lang()` ("zh" or "en"), the key those maps and the finding registry use.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, g, request, session
from flask_babel import Babel, Domain, get_locale
from jinja2 import pass_context
from markupsafe import Markup

from app import delivery
from app.request_context import setting
from app.texts import cjk_spaced

LOCALES = ("zh_CN", "en")
_ALIASES = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh-cn": "zh_CN", "zh-hans": "zh_CN", "en": "en", "en_us": "en",
            "en-us": "en", "en_gb": "en", "en-gb": "en"}
# The Chinese catalog lives in translations/zh/: Babel parses "zh_CN" as zh_Hans_CN, and gettext looks
# for zh_Hans_CN then zh, never zh_CN. How to update: app/translations/README.md.
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# Our catalogs, parsed once per process for every app of it (Flask-Babel parses them once per app: a process
# that builds many apps, as a test run does, parsed the Chinese catalog again for each).
_DOMAIN: list[Domain] = []


class _Domain(Domain):
    """Flask-Babel's domain, each request's translations kept for the request while its locale stays.

    Flask-Babel finds them anew for every text: three lookups of its context on `g`, the locale, its name
    spelled again and a dict lookup, some 25 microseconds a text on a slow host (11.6 kept), and a page shows
    60-85 texts. Kept on Flask-Babel's own context (`g._flask_babel`), with the locale object they
    were found for: `force_locale` sets another locale object (and puts the first one back), so the texts
    of a forced locale are found again, as are the request's own after it."""

    def get_translations(self):
        try:
            ctx = g._flask_babel  # made by Flask-Babel's first lookup in the request (AttributeError before)
        except (AttributeError, RuntimeError):  # RuntimeError: no application context
            return super().get_translations()
        kept = getattr(ctx, "opendata_translations", None)
        locale = getattr(ctx, "babel_locale", None)
        if kept is not None and locale is not None and kept[0] is locale and kept[1] is self:
            return kept[2]
        translations = super().get_translations()
        ctx.opendata_translations = (getattr(ctx, "babel_locale", None), self, translations)
        return translations


    # Each text's values put in as Flask-Babel does, less the spaces that would stand between two Chinese characters
    # (app.texts.cjk_spaced): "%(publisher)s 的成员" said of 京海市统计局.

    def gettext(self, string, **variables):
        s = self.get_translations().ugettext(string)
        return s if not variables else cjk_spaced(s, variables) % variables

    def ngettext(self, singular, plural, num, **variables):
        variables.setdefault("num", num)
        s = self.get_translations().ungettext(singular, plural, num)
        return cjk_spaced(s, variables) % variables

    def pgettext(self, context, string, **variables):
        s = self.get_translations().upgettext(context, string)
        return s if not variables else cjk_spaced(s, variables) % variables

    def npgettext(self, context, singular, plural, num, **variables):
        variables.setdefault("num", num)
        s = self.get_translations().unpgettext(context, singular, plural, num)
        return cjk_spaced(s, variables) % variables


def _template_gettext(env) -> None:
    """The templates' `_`, `gettext` and `ngettext` as Jinja's new-style ones (the text, made markup under
    autoescape, then `%` with the values escaped), with the spaces between Chinese characters taken out as
    `_Domain` takes them out (Jinja puts the values in itself, so Flask-Babel's domain never sees them)."""
    from flask_babel import get_translations

    @pass_context
    def gettext(__context, __string, **variables):
        rv = __context.call(lambda s: get_translations().ugettext(s), __string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return cjk_spaced(rv, variables) % variables

    @pass_context
    def ngettext(__context, __singular, __plural, __num, **variables):
        variables.setdefault("num", __num)
        rv = __context.call(lambda s, p, n: get_translations().ungettext(s, p, n), __singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return cjk_spaced(rv, variables) % variables

    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks `message` for extraction and returns it unchanged: texts declared once in English (the API's
    endpoint summaries, which the OpenAPI document keeps in English) and translated where they are shown,
    with `_(message)`."""
    return message


def normalise(value: str | None) -> str | None:
    """A locale we have for `value` ("zh", "zh-CN", "en-GB" ...), else None."""
    if not value:
        return None
    return _ALIASES.get(value.strip().lower()) or (value if value in LOCALES else None)


def select_locale() -> str:
    """?lang, then the remembered choice, then Accept-Language, then DEFAULT_LOCALE. An answer that is the same for
    every visitor (a feed, app/delivery.py) never reads the session: its language is its URL's or the request's."""
    chosen = normalise(request.args.get("lang"))
    if chosen:
        return chosen
    remembered = None if delivery.visitor_free(request) else normalise(session.get("lang"))
    if remembered:
        return remembered
    best = request.accept_languages.best_match(["zh_CN", "zh-CN", "zh", "en"])
    if best:
        return normalise(best) or "en"
    return normalise(str(setting("DEFAULT_LOCALE"))) or "zh_CN"


def current_lang() -> str:
    """"zh" or "en": the key of language maps and of the finding registry for this request."""
    locale = get_locale()
    return "zh" if locale is not None and locale.language == "zh" else "en"


def site_title() -> str:
    """The portal's name in this request's language (SITE_TITLE, or the default name translated)."""
    from app.settings import site_titles

    return site_titles({"SITE_TITLE": setting("SITE_TITLE")})[current_lang()]


@pass_context
def colon(_context, label: str) -> str:
    """A label followed by the language's colon: "数据集：" in Chinese (the full-width colon, no space after it),
    "Datasets: " in English. Templates write `{{ _('Datasets')|colon }}{{ n }}`: an ASCII colon after a Chinese
    label ("数据集: 10") is a misprint a Chinese reader sees on every page. A Markup label stays Markup.

    It takes the render's context so that Jinja never folds it at compile time: `{{ ""|colon }}` has a constant
    argument, and was compiled once with the language of the first page that used it (processes share compiled
    templates, app/templating.py)."""
    return label + ("：" if current_lang() == "zh" else ": ")


def list_sep() -> str:
    """What separates the items of a list in running text: the enumeration comma in Chinese (公交、站点、交通, no
    space), ", " in English. Keywords, themes, kinds of personal data ... joined with an ASCII comma after a
    Chinese word ("公交, 站点") read as a misprint, as an ASCII colon does (`colon`)."""
    return "、" if current_lang() == "zh" else ", "


@pass_context
def bracketed(_context, text) -> str:
    """`text` in the language's brackets: "（已上传，535 B）" in Chinese (full-width, no space before), " (uploaded,
    535 B)" in English. Markup stays Markup (a link inside); a `{% filter bracketed %}` block takes a composed
    part."""
    zh = current_lang() == "zh"
    opening, closing = ("（", "）") if zh else (" (", ")")
    if isinstance(text, Markup):
        return Markup(opening) + text + Markup(closing)
    return opening + str(text) + closing


def clause_sep() -> str:
    """What separates the clauses of one sentence: the full-width semicolon in Chinese, "; " in English."""
    return "；" if current_lang() == "zh" else "; "


def phrase_sep() -> str:
    """What separates the phrases of one clause: the full-width comma in Chinese (响应：application/json，结构
    Dataset), ", " in English. Not a list's items (`list_sep`: 、)."""
    return "，" if current_lang() == "zh" else ", "


def sentence_sep() -> str:
    """What goes between two sentences the page composes: nothing in Chinese (。 is a wide character: "文档。 基础地址"
    read as a misprint on the API docs), a space in English."""
    return "" if current_lang() == "zh" else " "


def full_stop() -> str:
    """The end of a sentence the page composes of translated parts: 。 in Chinese, "." in English."""
    return "。" if current_lang() == "zh" else "."


@pass_context
def listed(_context, items) -> str:
    """`items` joined with the language's list separator (`list_sep`); Markup stays Markup. Takes the render's
    context for the reason `colon` does: a constant list is never folded with the first render's language."""
    items = list(items)
    sep = list_sep()
    if any(isinstance(item, Markup) for item in items):
        return Markup(sep).join(items)
    return sep.join(str(item) for item in items)


def html_lang() -> str:
    return "zh-CN" if current_lang() == "zh" else "en"


def url_with_lang(lang: str) -> str:
    """This page's URL with `lang` set (the language switch links)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.path + "?" + urlencode(args, doseq=True)


def _remember() -> None:
    if delivery.visitor_free(request):  # a dump, a feed or a badge is no page: a shared cache may keep it, so its
        return  # `?lang=zh` must not set (nor change) the visitor's session cookie (app/delivery.py)
    chosen = normalise(request.args.get("lang"))
    if chosen and session.get("lang") != chosen:
        session["lang"] = chosen


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh_CN")
    babel = Babel(app, locale_selector=select_locale)
    if app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(TRANSLATIONS):
        if not _DOMAIN:
            _DOMAIN.append(_Domain(translation_directories=[str(TRANSLATIONS)]))
        babel.domain_instance = _DOMAIN[0]
    _template_gettext(app.jinja_env)
    app.before_request(_remember)
    app.jinja_env.globals.update(current_lang=current_lang, html_lang=html_lang, url_with_lang=url_with_lang,
                                site_title=site_title, list_sep=list_sep,
                                clause_sep=clause_sep, full_stop=full_stop,
                                phrase_sep=phrase_sep, sentence_sep=sentence_sep)
    app.jinja_env.filters["colon"] = colon
    app.jinja_env.filters["listed"] = listed
    app.jinja_env.filters["bracketed"] = bracketed
