"""SVG star badges (datasets and publishers), in the shields.io two-panel style.

Every text that reaches the SVG (a dataset title in <title>, labels) is escaped, so
a title like `<script>` stays text. The bytes depend only on the inputs, so the
routes can answer with an ETag and let caches keep them.
"""

from __future__ import annotations

from html import escape as _escape

from plumbing.xmlchars import XML_ILLEGAL


def escape(text: str) -> str:
    """`text` escaped for SVG, without the characters XML 1.0 cannot carry (a control character in a title
    would make the badge not well-formed, and browsers then show no image)."""
    return _escape(XML_ILLEGAL.sub("", text))


COLOURS = {0: "#9f9f9f", 1: "#e05d44", 2: "#fe7d37", 3: "#dfb317", 4: "#97ca00", 5: "#4c1"}


def _width(text: str) -> int:
    """Approximate rendered width in px at 11px Verdana (wide glyphs count double)."""
    return sum(13 if ord(ch) > 0x2E7F else 7 for ch in text) + 10


def star_text(stars: float | None, unassessed: str = "not assessed") -> str:
    if stars is None:
        return unassessed
    full = int(round(stars))
    return "★" * full + "☆" * (5 - full)


def badge(label: str, stars: float | None, title: str, *, detail: str | None = None,
          unassessed: str = "not assessed") -> str:
    """An SVG badge: `label` on the left, the stars (and `detail`) on the right; `title` is the tooltip;
    `unassessed` the words in place of the stars before the first assessment."""
    value = star_text(stars, unassessed) + (f" {detail}" if detail else "")
    colour = COLOURS[int(round(stars))] if stars is not None else COLOURS[0]
    return _panels(label, value, colour, title)


def withdrawn_badge(label: str, title: str, word: str = "withdrawn") -> str:
    """The badge of a withdrawn dataset: no stars, the word "withdrawn" (`word`) on grey."""
    return _panels(label, word, COLOURS[0], title)


def _panels(label: str, value: str, colour: str, title: str) -> str:
    lw, vw = _width(label), _width(value)
    total = lw + vw
    tooltip = f"{title}: {value}" if title else value
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{escape(tooltip)}">'
        f"<title>{escape(tooltip)}</title>"
        f'<rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{vw}" height="20" fill="{colour}"/>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{lw / 2:.1f}" y="14">{escape(label)}</text>'
        f'<text x="{lw + vw / 2:.1f}" y="14">{escape(value)}</text>'
        f"</g></svg>"
    )
