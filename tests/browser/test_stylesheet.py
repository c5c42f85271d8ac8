"""The cut USWDS stylesheet (app/css_purge.py) draws our pages exactly as the whole one does.

Each page is loaded as served (with `uswds.used.min.css`) and its picture taken, the link is pointed at the
vendored `uswds.min.css`, and the picture taken again: at a phone's width and a laptop's, in Chinese and English,
not a pixel may differ. When the cut was made, every element's computed style was compared too (13 pages, both
widths): the same."""

from __future__ import annotations

import json

import pytest

from app import css_purge
from tests.browser.conftest import SIZES

PAGES = ["/", "/dataset", "/dataset/bus-stops", "/dashboard", "/dashboard/weekly", "/login"]

STYLES = """async (detail) => {
  await document.fonts.ready;  // the web fonts' metrics size `ex`-based widths: read after they are in
  const out = [];
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      let i = 1;
      for (let s = e.previousElementSibling; s; s = s.previousElementSibling) i++;
      parts.unshift(`${e.tagName.toLowerCase()}:nth-child(${i})`);
    }
    return parts.join('>');
  };
  const hash = (text) => {  // FNV-1a, 32 bits: the styles cross to Python as one number an element
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    return h >>> 0;
  };
  for (const el of document.querySelectorAll('*')) {
    for (const pseudo of [null, '::before', '::after']) {
      if (pseudo && getComputedStyle(el, pseudo).content === 'none') continue;  // no such box
      const cs = getComputedStyle(el, pseudo);
      const values = [];
      for (let i = 0; i < cs.length; i++) values.push(cs[i] + ':' + cs.getPropertyValue(cs[i]));
      const key = path(el) + (pseudo || '');
      if (!detail) out.push([key, hash(values.join(';'))]);
      else if (detail.includes(key)) out.push([key, values.join(';')]);
    }
  }
  return out;
}"""

SWAP = """(href) => new Promise((resolve, reject) => {
  const link = [...document.querySelectorAll('link[rel=stylesheet]')].find(l => l.href.includes('uswds.used'));
  if (!link) { reject(new Error('the page does not link uswds.used.min.css')); return; }
  link.onload = () => resolve(true);
  link.onerror = () => reject(new Error('could not load ' + href));
  link.href = href;
})"""


def _differences(before: list, after: list, before_detail: list, after_detail: list) -> list[str]:
    """Each differing element's changed properties (from the detailed reads of just those elements)."""
    assert [k for k, _ in before] == [k for k, _ in after]
    out = []
    for (key, a), (_, b) in zip(before_detail, after_detail, strict=True):
        da, db = dict(p.split(":", 1) for p in a.split(";") if p), dict(p.split(":", 1) for p in b.split(";") if p)
        changed = {p: (da.get(p), db.get(p)) for p in da.keys() | db.keys() if da.get(p) != db.get(p)}
        out.append(f"{key}: {json.dumps(changed, ensure_ascii=False)[:300]}")
    return out


def _picture(page) -> bytes:
    page.evaluate("document.fonts.ready.then(() => true)")  # web fonts set `ex`-based widths: wait for them
    return page.screenshot(full_page=True, animations="disabled", caret="hide")


def _same_picture(page, url: str, whole: str, *, settle: bool = False) -> bool:
    """Whether `url` is drawn the same with the cut and the whole stylesheet. `settle`: each picture taken once the
    page has been quiet on the network (a chart the page draws after loading, as /dashboard/weekly's, was caught
    half drawn in one picture of a CI run, and no style differed); a real difference differs settled too."""
    page.goto(url, wait_until="networkidle" if settle else "load")
    served = _picture(page)
    page.evaluate(SWAP, whole)
    if settle:
        page.wait_for_load_state("networkidle")
    return _picture(page) == served


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh-CN"), ("desktop", "en")])
def test_every_page_is_drawn_the_same_with_the_cut_stylesheet(browser, portal, size, lang):
    """The page's picture with each stylesheet, pixel for pixel; where they differ, every element's computed
    style (and its ::before and ::after) says which elements and properties."""
    context = browser.new_context(base_url=portal, viewport=SIZES[size], locale=lang)
    page = context.new_page()
    page.set_default_timeout(15000)
    whole = f"{portal}/static/vendor/uswds/css/{css_purge.SOURCE.name}"
    try:
        for url in PAGES:
            if _same_picture(page, url, whole) or _same_picture(page, url, whole, settle=True):
                continue
            page.goto(url)
            cut = page.evaluate(STYLES, None)
            page.evaluate(SWAP, whole)
            full = page.evaluate(STYLES, None)
            keys = [k for (k, a), (_, b) in zip(cut, full, strict=True) if a != b][:10]
            with_whole = page.evaluate(STYLES, keys)
            page.goto(url)
            differences = _differences(cut, full, page.evaluate(STYLES, keys), with_whole)
            pytest.fail(f"{url} ({size}, {lang}) is drawn otherwise with the cut stylesheet: {differences}")
    finally:
        context.close()


def test_the_cut_stylesheet_is_current_and_much_smaller():
    """Written again from the vendored file and today's templates, it is byte for byte the one served: a
    template that starts using another USWDS class fails here until `python -m app.css_purge` is run."""
    assert css_purge.TARGET.read_text(encoding="utf-8") == css_purge.build(), "run: python -m app.css_purge"
    assert css_purge.TARGET.stat().st_size < css_purge.SOURCE.stat().st_size / 5


def test_what_a_selector_requires():
    assert css_purge.required_classes(".usa-button:not(.usa-button--unstyled):hover") == {"usa-button"}
    assert css_purge.required_classes(r".tablet\:grid-col-6 > .usa-card__body") == {"tablet:grid-col-6",
                                                                                   "usa-card__body"}
    assert css_purge.required_classes("[type=submit],button") == set()
    css = (".a,.b .c{color:red}.d:is(.e,.f){x:1}@media (min-width:30em){.b{color:blue}.a{margin:0}}"
           "@font-face{font-family:X}p{margin:0}.alert--warn{y:2}")
    assert css_purge.purge(css, {"a", "d"}, ("alert--",)) == (
        ".a{color:red}.d:is(.e,.f){x:1}@media (min-width:30em){.a{margin:0}}@font-face{font-family:X}p{margin:0}"
        ".alert--warn{y:2}")
