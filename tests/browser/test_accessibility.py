"""axe-core finds no serious or critical accessibility violation on the main pages of the demo portal, in both
languages, on a laptop's width (a phone's: test_accessibility_phone.py).

The two widths are two files so that two xdist workers check them at once: each walks 28 pages through axe-core
(about 40 s on a quiet machine, 90 s under load), and as one file they were the longest file of the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
LANGS = (("zh_CN", "zh-CN"), ("en", "en"))

PAGES = ["/", "/dataset?q=%E5%85%AC%E4%BA%A4", "/dataset/taxi-fares", "/dashboard", "/dashboard/hvd",
         "/dashboard/weekly", "/dashboard/publisher/jh-transport", "/harvest", "/harvest/source/jh-transport-ckan",
         # a finding's datasets: a card each on a phone, each cell named by its column
         "/dashboard/finding/link-broken",
         # tables and examples that scroll in their box (the keyboard could not reach them): a preview, a
         # dictionary, the score's history, several files' previews, the API's examples
         "/dataset/government-service-statistics", "/dataset/road-works", "/dataset/jinghai-statistical-tables-2024",
         "/api/v1/docs"]


def serious_violations(page, width: int) -> list[str]:
    """What axe-core finds serious or critical on PAGES, in both languages, at `width` pixels."""
    problems = []
    page.set_viewport_size({"width": width, "height": 900})
    # An init script (injected over DevTools, before the page's own) is not an inline <script>: the CSP allows it.
    page.add_init_script(path=str(AXE))
    for url in PAGES:
        for lang, _html_lang in LANGS:
            page.goto(url + ("&" if "?" in url else "?") + f"lang={lang}")
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
            for v in result["violations"]:
                # and two landmarks of one name (a section and the scrolling table in it, both named by the heading)
                if v["impact"] in ("serious", "critical") or v["id"] == "landmark-unique":
                    targets = [" ".join(n["target"]) for n in v["nodes"][:3]]
                    problems.append(f"{url} [{lang}] {v['id']} ({v['impact']}): {v['help']} at {targets}")
    return problems


def test_no_serious_accessibility_violations_on_a_laptop(page):
    problems = serious_violations(page, 1280)
    assert not problems, "\n".join(problems)
