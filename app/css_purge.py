"""The USWDS stylesheet cut down to the rules our pages can match.

USWDS ships one stylesheet for every component it has: 527 kB, some 2,100 classes, of which our templates use
about a hundred. A browser downloads, parses and matches all of it on every page (a phone on a slow link
waits for it before it draws anything), and in our measurements it was about a third of the time Chromium
spent rendering a page. `python -m app.css_purge` writes `uswds.used.min.css` beside the vendored file, which
stays as it came from the npm package (the source, and the way to update). A rule is kept when every class
its selector requires is one our templates, Python modules or scripts mention, or starts with a prefix they
build class names from (``usa-alert--`` and a level); rules that require no class (elements, attributes,
``:root``), ``@font-face`` and ``@keyframes`` are kept whole, and ``@media`` / ``@supports`` blocks keep
what they hold of the above. A class named only inside ``:not()`` (and ``:is()``, ``:where()``, ``:has()``)
is not required: such a selector can match without it.

A test writes the file again and compares: a template that starts using another USWDS class fails it until
`python -m app.css_purge` is run.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

APP = Path(__file__).parent
SOURCE = APP / "static" / "vendor" / "uswds" / "css" / "uswds.min.css"
TARGET = SOURCE.with_name("uswds.used.min.css")

# where class names are written: the templates, the modules that build HTML or pass classes to templates, and
# the scripts that set them in the browser
SOURCES = ("templates/**/*.html", "**/*.py", "static/*.js")

_TOKEN = re.compile(r"[A-Za-z_][\w:-]*")
_SELECTOR_CLASS = re.compile(r"\.((?:[\w-]|\\.)+)")
_OPTIONAL = re.compile(r":(?:not|is|where|has|matches|-webkit-any|-moz-any)\(")


def mentioned(root: Path = APP) -> tuple[set[str], tuple[str, ...]]:
    """The class-like words in our sources, and the prefixes (words ending in ``-`` or ``_``) some are built
    from. ``tablet:grid-col-6`` counts whole and as its parts."""
    words: set[str] = set()
    for pattern in SOURCES:
        for path in sorted(root.glob(pattern)):
            if path.resolve() == Path(__file__).resolve():
                continue
            for token in _TOKEN.findall(path.read_text(encoding="utf-8", errors="replace")):
                words.add(token)
                if ":" in token:
                    words.update(part for part in token.split(":") if part)
    prefixes = tuple(sorted(w for w in words if w.endswith(("-", "_")) and len(w) > 2))
    return words, prefixes


def required_classes(selector: str) -> set[str]:
    """The classes an element must have for ``selector`` to match it (escapes undone: ``tablet\\:grid-col``
    is ``tablet:grid-col``)."""
    return {re.sub(r"\\(.)", r"\1", name) for name in _SELECTOR_CLASS.findall(_strip_optional(selector))}


def _strip_optional(selector: str) -> str:
    out, i = [], 0
    for match in _OPTIONAL.finditer(selector):
        if match.start() < i:
            continue
        out.append(selector[i:match.start()])
        depth, j = 1, match.end()
        while j < len(selector) and depth:
            depth += {"(": 1, ")": -1}.get(selector[j], 0)
            j += 1
        i = j
    out.append(selector[i:])
    return "".join(out)


def purge(css: str, words: set[str], prefixes: tuple[str, ...]) -> str:
    """``css`` without the rules that need a class outside ``words`` (and not starting with a prefix)."""
    import tinycss2

    def usable(name: str) -> bool:
        return name in words or name.startswith(prefixes)

    def rules(nodes: Iterable) -> Iterable[str]:
        for node in nodes:
            if node.type == "qualified-rule":
                selectors = _split_selectors(tinycss2.serialize(node.prelude))
                kept = [s for s in selectors if all(usable(c) for c in required_classes(s))]
                if kept:
                    yield ",".join(kept) + "{" + tinycss2.serialize(node.content).strip() + "}"
            elif node.type == "at-rule" and node.lower_at_keyword in ("media", "supports", "layer", "container") \
                    and node.content is not None:
                inner = "".join(rules(tinycss2.parse_rule_list(node.content, skip_comments=True,
                                                                skip_whitespace=True)))
                if inner:
                    yield f"@{node.at_keyword}{tinycss2.serialize(node.prelude).rstrip()}{{{inner}}}"
            elif node.type == "at-rule":
                yield node.serialize()

    sheet = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    return "".join(rules(sheet))


def _split_selectors(prelude: str) -> list[str]:
    """A selector list split at its top-level commas (never inside parentheses or brackets)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(prelude):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(prelude[start:i].strip())
            start = i + 1
    parts.append(prelude[start:].strip())
    return [p for p in parts if p]


def build(source: Path = SOURCE, root: Path = APP) -> str:
    """The cut stylesheet's text, with a header that says what it is."""
    css = source.read_text(encoding="utf-8")
    version = re.search(r"/\*! (uswds v[\d.]+) \*/", css)
    words, prefixes = mentioned(root)
    body = purge(css, words, prefixes)
    charset = re.match(r'@charset "[^"]+";', body)  # a stylesheet's @charset must be its very first bytes
    first, body = (charset.group(0), body[charset.end():]) if charset else ("", body)
    header = (f"/*! {version.group(1) if version else 'uswds'}: the rules this app's pages can match, "
              f"written by python -m app.css_purge from {source.name} */\n")
    return first + "\n" + header + body + "\n" if first else header + body + "\n"


def main() -> int:
    text = build()
    TARGET.write_text(text, encoding="utf-8")
    print(f"{TARGET.relative_to(APP.parent)}: {len(text.encode()):,} bytes "
          f"({SOURCE.stat().st_size:,} in {SOURCE.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
