"""click's own words ("Usage:", "Options", "Error: ...", "Missing option", "No such command", "[required]", "Try
'opendata --help' for help.", "Show this message and exit." ...) in the `opendata` command's language (issue 17).

click says them through the standard library's ``gettext`` (``from gettext import gettext as _`` and
``ngettext`` in ``click.core``, ``click.exceptions``, ``click.formatting`` ...), looked up by name when a
message is made, and installs no catalog of its own. `speaking` points those names at our catalog
(app/translations, read by app/cli_lang.py) for the duration of one invocation and puts them back after it:
nothing global is changed for other users of click in the process (Flask's own command line, tests), and the
stdlib's gettext domains and the process's locale are left alone.

`WORDS` and `PLURALS` list click's messages so that the catalog's extraction (app/translations/README.md)
keeps them: the msgids are click's, word for word (placeholders in ``{}`` as click formats them).
"""

from __future__ import annotations

import importlib
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from app import cli_lang
from app.cli_lang import N_

#: The click modules that call gettext (click 8.1 to 8.3).
MODULES = ("click.core", "click.exceptions", "click.formatting", "click.parser", "click.types", "click.decorators",
           "click.termui", "click.utils", "click.shell_completion", "click._termui_impl")

#: What click says to a person running a command (its programming errors, for a command's author, are left out).
WORDS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Positional arguments"), N_("Arguments"),
    N_("Show this message and exit."), N_("Show the version and exit."), N_("%(prog)s, version %(version)s"),
    N_("Error: {message}"), N_("Try '{command} {option}' for help."), N_("Aborted!"), N_("Missing command."),
    N_("Invalid value: {message}"), N_("Invalid value for {param_hint}: {message}"), N_("Missing argument"),
    N_("Missing option"), N_("Missing parameter"), N_("Missing {param_type}"), N_("Missing parameter: {param_name}"),
    N_("No such option {name!r}."), N_("No such command {name!r}."), N_("unknown error"),
    N_("Could not open file {filename!r}: {message}"), N_("Option {name!r} does not take a value."),
    N_("Argument {name!r} takes {nargs} values."), N_("Invalid start character for option ({option})"),
    N_("required"), N_("default: {default}"), N_("env var: {var}"), N_("(dynamic)"), N_("deprecated"),
    N_("DeprecationWarning: The command {name!r} is deprecated.{extra_message}"),
    N_("DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}"),
    N_("Do you want to continue?"), N_("Confirm the action without prompting."), N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."), N_("Error: invalid input"), N_("Press any key to continue..."),
    N_("Choose from:\n\t{choices}"), N_("Choice({choices})"), N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."), N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("{value!r} is not a valid UUID."), N_("file"), N_("directory"), N_("path"),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."), N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."), N_("{name} {filename!r} is not executable."),
    N_("Value must be an iterable."), N_("{editor}: Editing failed"), N_("{editor}: Editing failed: {e}"),
)


#: click's type names (the class's `name`; a Path's is "file", "directory" or "path", in WORDS): an option's
#: metavar is its type's name upper-cased (`--name TEXT`, `--port INTEGER`), and a number's or a path's error names
#: it ("'x' is not a valid integer.", "Directory 'y' does not exist."). `speaking` has click read them translated,
#: so a zh help page says `--name 文本` as it says "选项：" (an argument's metavar is its name: `EMAIL` stays).
TYPE_NAMES = (N_("text"), N_("integer"), N_("integer range"), N_("float"), N_("float range"), N_("boolean"),
              N_("uuid"), N_("filename"), N_("datetime"))
_NAMED = frozenset(TYPE_NAMES) | {"file", "directory", "path"}


class _TypeName:
    """A click type's `name` read in the invocation's language (a data descriptor, so that the name a Path sets on
    itself when it is made is translated too); what is not one of click's names is given as it is."""

    def __init__(self, default: str | None) -> None:
        self.default = default

    def __get__(self, obj, owner=None) -> str | None:
        name = self.default if obj is None else obj.__dict__.get("name", self.default)
        return cli_lang.gettext(name) if name in _NAMED else name

    def __set__(self, obj, value: str) -> None:
        obj.__dict__["name"] = value


def _type_classes() -> list[tuple[type, str | None]]:
    """click's types whose class names them ("integer"...), and Path, whose instances name themselves."""
    import click.types

    found = [(c, c.__dict__.get("name")) for c in vars(click.types).values()
             if isinstance(c, type) and issubclass(c, click.types.ParamType)
             and isinstance(c.__dict__.get("name"), str) and c.__dict__["name"] in _NAMED]
    return [*found, (click.types.Path, None)]


def ngettext(singular: str, plural: str, n: int) -> tuple[str, str]:
    """Marks a counted message of click's for extraction (the catalog keeps both forms)."""
    return singular, plural


PLURALS = (
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1),
    ngettext("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given.", 1),
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1),
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1),
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1),
    ngettext("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}.", 1),
    ngettext("{len_type} values are required, but {len_value} was given.",
             "{len_type} values are required, but {len_value} were given.", 1),
)


def display_width(text: str) -> int:
    """The columns `text` takes on a terminal: a Chinese character (East Asian wide or full-width) takes two. click
    counts characters, so a help page's second column would start late after `--port 整数` or `用法：`."""
    from click._compat import strip_ansi

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in strip_ansi(text))


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


#: Full-width punctuation a line may not start with (it stays with the character before it), and the brackets a
#: line may not end with (they go with the character after them): Chinese line-breaking rules.
_CLOSING = frozenset("，。、；：？！）】》」』”’")
_OPENING = frozenset("（【《「『“‘")


def _wrapper_class(base: type) -> type:
    """click's TextWrapper that may break a line between two Chinese characters (Chinese has no spaces to break
    at: a long help text was one word to it) but not before a closing mark or after an opening one; the widths
    are measured by `display_width` (click's `term_len`, swapped while speaking)."""

    class Wrapper(base):
        def _split(self, text: str) -> list[str]:
            chunks: list[str] = []
            for chunk in super()._split(text):
                if not any(_wide(ch) for ch in chunk):
                    chunks.append(chunk)
                    continue
                run = ""
                for ch in chunk:
                    if _wide(ch):
                        if run:
                            chunks.append(run)
                            run = ""
                        chunks.append(ch)
                    else:
                        run += ch
                if run:
                    chunks.append(run)
            merged: list[str] = []
            for chunk in chunks:
                if merged and (chunk in _CLOSING or merged[-1] in _OPENING or merged[-1][-1:] in _OPENING):
                    merged[-1] += chunk
                else:
                    merged.append(chunk)
            return merged

    return Wrapper


def _gettext(message: str) -> str:
    return cli_lang.gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    if cli_lang.lang() == "zh":
        return cli_lang._zh().ngettext(singular, plural, n)  # noqa: SLF001 (the module's one catalog)
    return singular if n == 1 else plural


def _full_stop(format_message):
    """click ends a missing parameter's message with its own "." after the parameter's name (not a msgid: it is
    written after the translated words); in zh the sentence ends with "。"."""
    def said(self) -> str:
        text = format_message(self)
        if cli_lang.lang() != "zh":
            return text
        head, dot, rest = text.partition(".")
        return f"{head}。{rest.lstrip()}" if dot else text
    return said


@contextmanager
def speaking() -> Iterator[None]:
    """click's messages and its types' names through our catalog, in the invocation's language (`cli_lang.lang()`,
    read when each message is made, so the language chosen while the arguments are parsed applies), until the block
    ends."""
    saved = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # a platform's module (_winconsole) or one a click version lacks
            continue
        for attr, ours in (("_", _gettext), ("ngettext", _ngettext), ("term_len", display_width)):
            if hasattr(module, attr):
                saved.append((module, attr, getattr(module, attr)))
                setattr(module, attr, ours)
    import click._textwrap

    textwrap = click._textwrap
    saved += [(textwrap, "term_len", textwrap.term_len), (textwrap, "TextWrapper", textwrap.TextWrapper)]
    textwrap.term_len, textwrap.TextWrapper = display_width, _wrapper_class(textwrap.TextWrapper)
    import click.exceptions

    missing = click.exceptions.MissingParameter
    saved.append((missing, "format_message", missing.format_message))
    missing.format_message = _full_stop(missing.format_message)
    named = _type_classes()
    for cls, name in named:
        cls.name = _TypeName(name)
    try:
        yield
    finally:
        for cls, name in named:
            if name is None:
                del cls.name
            else:
                cls.name = name
        for module, attr, theirs in reversed(saved):
            setattr(module, attr, theirs)
