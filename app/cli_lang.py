"""The language of the `opendata` command: its messages and help texts in zh or en (issue 17, "Everywhere").

The same catalog as the web (app/translations, English msgids), read with Babel's own `Translations` because a
command runs outside any Flask request and must not load Flask to print a line. The language is chosen once per
invocation, before click parses anything (so `--help` is translated too): the group's `--lang`, then the
OPENDATA_LANG setting, then LC_ALL / LC_MESSAGES / LANG when they name Chinese, else English.

Commands write `_("text %(name)s", name=...)` for what they print and `N_("...")` for help texts (extracted with
the web's strings; the classes below translate a command's and its options' help when click formats it).
Machine outputs (JSON, the token on its own line) are printed as they are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import click

from app.texts import T_
from app.texts import say as say_text

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGS = ("en", "zh")
_state: dict[str, str | None] = {"lang": None}


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks `message` for extraction (a help text) and returns it unchanged; the classes below translate it."""
    return message


def parse_lang(value: str) -> str:
    """"zh" or "en" from a setting's text ("zh", "zh_CN", "en-GB" ...); ValueError for anything else."""
    code = value.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    if code not in LANGS:
        raise ValueError(T_("expected zh or en, not %(value)s", value=repr(value)))
    return code


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """OPENDATA_LANG, else the POSIX locale variables (the first one set) when it names Chinese, else "en"."""
    environ = os.environ if environ is None else environ
    chosen = environ.get("OPENDATA_LANG", "").strip()
    if chosen:
        try:
            return parse_lang(chosen)
        except ValueError:
            return "en"  # settings.load() reports the bad value when the command runs
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_lang(lang: str | None) -> None:
    _state["lang"] = lang if lang in LANGS else None


def lang() -> str:
    """The language of this invocation ("zh" or "en")."""
    if _state["lang"] is None:
        _state["lang"] = from_environment()
    return _state["lang"]


@lru_cache(maxsize=1)
def _zh():
    from babel.support import Translations

    return Translations.load(str(TRANSLATIONS), ["zh"])


def gettext(message: str, lang_: str | None = None) -> str:
    """`message` in this invocation's language (or `lang_`)."""
    return _zh().gettext(message) if (lang_ or lang()) == "zh" else message


def _(message: str, **params) -> str:
    """A message for people, translated, then formatted with `params` (`%(name)s`)."""
    text = gettext(message)
    return text % params if params else text


def pgettext(context: str, message: str) -> str:
    """`message` in this invocation's language, as the catalog translates it in `context` (msgctxt): one English
    word read two ways in Chinese ("datasets" after a number, 个数据集; over a column, 数据集)."""
    return _zh().pgettext(context, message) if lang() == "zh" else message


def say(message) -> str:
    """A service's refusal (an `app.texts.Text`) in this invocation's language; any other text as it is."""
    return say_text(message, gettext)


def ngettext(singular: str, plural: str, n: int, **params) -> str:
    """A counted message (`%(num)s` is `n`), in the plural form of this invocation's language."""
    text = _zh().ngettext(singular, plural, n) if lang() == "zh" else (singular if n == 1 else plural)
    return text % {"num": n, **params}


def has_translation(message: str) -> bool:
    """Whether the Chinese catalog translates `message` (the test that walks the command tree asks it)."""
    catalog = _zh()._catalog  # noqa: SLF001 (gettext keeps no public lookup that tells "absent" from "same")
    return bool(message) and bool(catalog.get(message) or catalog.get((message, 0)))


#: click's own words in a help page, translated by the formatter below (click's own catalog is not installed).
CLICK_WORDS = (N_("Usage: "), N_("Options"), N_("Commands"), N_("Arguments"), N_("Show this message and exit."))
#: The usage line's placeholders click writes as they are (a command's `options_metavar`, a group's
#: `subcommand_metavar`), translated by `Command.collect_usage_pieces`.
USAGE_WORDS = (N_("[OPTIONS]"), N_("COMMAND [ARGS]..."))


class _Formatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix=gettext(prefix or "Usage: "))

    def write_heading(self, heading: str) -> None:
        if lang() == "zh":  # "选项：", a Chinese colon after a Chinese word
            self.write(f"{'':>{self.current_indent}}{gettext(heading)}：\n")
        else:
            super().write_heading(heading)

    def write_dl(self, rows, *args, **kwargs) -> None:
        if lang() == "zh":  # "[默认：5；1<=x<=100]": click joins an option's extras with an English "; "
            rows = [(first, _extras_zh(second)) for first, second in rows]
        super().write_dl(rows, *args, **kwargs)


def _extras_zh(help_text: str) -> str:
    """The bracket click ends an option's help with ("  [default: 5; 1<=x<=100]"), its items joined by a full-width
    semicolon."""
    if not help_text.endswith("]"):
        return help_text
    start = help_text.rfind("  [") + 2 if "  [" in help_text else (0 if help_text.startswith("[") else -1)
    if start < 0:
        return help_text
    return help_text[:start] + help_text[start:].replace("; ", "；")


def _short_zh(help_text: str, limit: int) -> str:
    """A Chinese help's first sentence (to its "。") in at most `limit` terminal columns, cut with "..." when longer:
    click's own shortening breaks at spaces and counts characters, so a Chinese sentence, one word to it, came out
    as "..." alone, or wider than the column."""
    from app.cli_click import display_width

    text = " ".join(help_text.partition("\n\n")[0].split())
    end = text.find("。")
    if end >= 0:
        text = text[:end + 1]
    if display_width(text) <= limit:
        return text
    cut = ""
    for ch in text:
        if display_width(cut + ch) > limit - 3:
            break
        cut += ch
    return cut.rstrip("，、；： ") + "..."


class _Context(click.Context):
    formatter_class = _Formatter


class Command(click.Command):
    """A command whose help and options' help are translated when click formats them."""

    context_class = _Context

    def get_help_option(self, ctx: click.Context):
        """click makes the --help option once and keeps it: its help stays the msgid (translated when shown, as
        every option's help), whatever language the invocation that made it spoke."""
        import gettext as stdlib

        import click.decorators

        ours, click.decorators._ = click.decorators._, stdlib.gettext
        try:
            return super().get_help_option(ctx)
        finally:
            click.decorators._ = ours

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [gettext(piece) if piece in USAGE_WORDS else piece for piece in super().collect_usage_pieces(ctx)]

    def get_short_help_str(self, limit: int = 45) -> str:
        if lang() == "zh" and not self.short_help and self.help and not self.deprecated:
            return _short_zh(gettext(self.help), limit)
        with _translated(self, ("help", "short_help")):
            return super().get_short_help_str(limit)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self, ("help",)):
            super().format_help_text(ctx, formatter)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated_params(self.get_params(ctx)):
            super().format_options(ctx, formatter)


class Group(Command, click.Group):
    """A group of translated commands; its subgroups are of its class, its commands `Command`s."""

    command_class = Command
    group_class = type


class RootGroup(Group):
    """The `opendata` group: sets the invocation's language before anything is parsed or printed."""

    def main(self, *args, **kwargs):
        """The invocation, click's own words ("Usage:", "Error: ...", "Missing option") in its language too."""
        from app.cli_click import speaking  # it reads this module's catalog

        with speaking():
            return super().main(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        set_lang(_lang_argument(args) or from_environment())
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        """Any command: a database that cannot be reached, or has no catalog tables yet, is one sentence saying
        which and what to do, not forty lines of traceback."""
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as exc:
            raise click.ClickException(say(database_trouble(exc))) from exc


def database_trouble(exc: Exception):
    """What a database error the command could not handle says to the person who ran it."""
    from sqlalchemy.engine import make_url

    from app import settings as settings_mod

    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
    try:
        url = make_url(settings_mod.load()["DATABASE_URL"]).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a setting refused: the reason alone
        url = "OPENDATA_DATABASE_URL"
    if "no such table" in reason or "does not exist" in reason and "relation" in reason:
        return T_("the database %(url)s has no catalog tables (%(reason)s): run `opendata db upgrade`", url=url,
                  reason=reason)
    return T_("cannot use the database %(url)s (%(reason)s): check OPENDATA_DATABASE_URL; a PostgreSQL database "
              "must exist (createdb) and be migrated (`opendata db upgrade`)", url=url, reason=reason)


RootGroup.group_class = Group  # its subgroups are plain translated groups: the language is chosen once


def _lang_argument(args: list[str]) -> str | None:
    """The value of the group's own `--lang` (before the subcommand's name), if valid."""
    value = None
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        elif not arg.startswith("-") and (i == 0 or args[i - 1] != "--lang"):
            break  # the subcommand's name: what follows is its own
    return value if value in LANGS else None


class _translated:
    """Swaps the named text attributes of `obj` for their translation while click formats them."""

    def __init__(self, obj, names: tuple[str, ...]) -> None:
        self.obj, self.saved = obj, {n: getattr(obj, n, None) for n in names}

    def __enter__(self) -> None:
        for name, value in self.saved.items():
            if value:
                setattr(self.obj, name, gettext(value))

    def __exit__(self, *exc) -> None:
        for name, value in self.saved.items():
            setattr(self.obj, name, value)


class _translated_params:
    def __init__(self, params) -> None:
        self.swaps = [_translated(p, ("help",)) for p in params if getattr(p, "help", None)]

    def __enter__(self) -> None:
        for swap in self.swaps:
            swap.__enter__()

    def __exit__(self, *exc) -> None:
        for swap in self.swaps:
            swap.__exit__()
