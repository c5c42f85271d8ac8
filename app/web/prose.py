"""A dataset's description as a page shows it: Markdown rendered, the markup a source wrote turned into it.

CKAN descriptions are Markdown (`**See also:** [the register](https://...)`), many DCAT feeds write HTML
(`<p>Der Datensatz ...</p>`); shown escaped, both read as code. The description is rendered by markdown-it-py
(CommonMark) with raw HTML off, so a source's `<script>` stays text; HTML a source wrote is first turned into the
Markdown it means (paragraphs, line breaks, lists, links, emphasis), its other tags dropped, their text kept.
Images are not rendered (no page loads a source's remote picture); a link keeps CommonMark's safe schemes
(http, https, mailto ...; never javascript:) and is marked nofollow.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markupsafe import Markup

_TAG = re.compile(r"</?(p|br|div|ul|ol|li|a|strong|b|em|i|h[1-6]|span|table|tr|td)\b[^>]*>", re.IGNORECASE)
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "ul", "ol"}


class _ToMarkdown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS:
            self.out.append("\n\n")
        elif tag == "br":
            self.out.append("  \n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.out.append("[")
        elif tag == "td":
            self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in _BLOCKS:
            self.out.append("\n\n")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "a":
            href = self.href.pop() if self.href else None
            self.out.append(f"]({href.strip()})" if href and href.strip() and " " not in href.strip() else "]")

    def handle_data(self, data):
        self.out.append(_escape_markdown(data))


def _escape_markdown(text: str) -> str:
    """Text from HTML, its Markdown-meaning characters escaped (a `*` in a sentence is not emphasis)."""
    return re.sub(r"([\\`*_\[\]<>#])", r"\\\1", re.sub(r"\s+", " ", text))


def html_to_markdown(text: str) -> str:
    """The Markdown an HTML description means: paragraphs, line breaks, lists, links and emphasis kept, other
    tags dropped (their text kept)."""
    parser = _ToMarkdown()
    parser.feed(text)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.out)).strip()


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")

    def link_open(renderer, tokens, idx, options, env):
        tokens[idx].attrSet("rel", "nofollow noopener")
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


def as_markdown(text: str | None) -> str:
    """A description as the Markdown to render (HTML a source wrote turned into it)."""
    text = (text or "").strip()
    return html_to_markdown(text) if looks_like_html(text) else text


def render(text: str | None) -> Markup:
    """A description as safe HTML for a page."""
    source = as_markdown(text)
    return Markup(_markdown().render(source)) if source else Markup("")


def plain(text: str | None) -> str:
    """A description as plain text (schema.org's description, a summary): HTML tags dropped, entities read."""
    text = (text or "").strip()
    if not looks_like_html(text):
        return text
    parser = _ToMarkdown()
    parser.feed(text)
    parser.close()
    return unescape(re.sub(r"\\(.)", r"\1", re.sub(r"\s*\n\s*", "\n", "".join(
        part for part in parser.out if part not in ("**", "*", "[") and not part.startswith("]")))).strip())


def summary(text: str | None) -> str:
    """A description as one plain text for a list (a search result): its Markdown and HTML read, the tags gone
    (a result showed "<p>Die Datensätze enthalten ..." as text)."""
    rendered = render(text)
    return re.sub(r"\s+", " ", plain(str(rendered))).strip() if rendered else ""
