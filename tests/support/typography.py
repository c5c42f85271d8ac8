"""What the Chinese-punctuation tests look for in a page, in one place (tests/app/test_pages.py reads the public
pages with it, tests/app/test_publish_form.py the signed-in ones)."""

from __future__ import annotations

import re
from html import unescape


def paragraph_gaps(page: str) -> list[str]:
    """A space after 。，；： inside a paragraph of `page` (HTML), read as a browser shows it: a line break in the
    source is a space too ("本门户的地址。 涉及具体数据集的示例…", "…如何挽回失分。 检查于 …"). A button after a
    sentence is a control of its own, not the sentence's text."""
    found = []
    for para in re.findall(r"<p\b[^>]*>(.*?)</p>", page, re.S):
        para = re.sub(r"<button\b.*?</button>", "", para, flags=re.S)
        found += re.findall(r"\S{0,6}[。，；：]\s+\S{1,6}", unescape(re.sub(r"<[^>]+>", "", para)))
    return found
