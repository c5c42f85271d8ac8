"""The publish form's place picker in Chromium (app/static/site.js, backed by `/publish/places?q=`): an agency types
a county's name in Chinese, the suggestions come from the GB/T 2260 gazetteer (counties are not in the page, only
fetched as one types), it picks one, saves, and the draft holds that county (its form and its check say so)."""

from __future__ import annotations

import pytest

from tests.support.portals import editor_portal, new_dataset, sign_in_to_publish

COUNTY = "浙江省金华市义乌市 (330782)"  # a county-level city: only /publish/places knows it


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with editor_portal(tmp_path_factory.mktemp("place-portal"), secret="browser-places",
                       editor="clerk@places.example.gov") as url:
        yield url


def test_an_agency_picks_a_county_by_its_chinese_name(browser, portal, screenshots):

    context = browser.new_context(base_url=portal, viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20000)
    slug = "yiwu-markets"
    try:
        sign_in_to_publish(page, "clerk@places.example.gov", "zh")
        new_dataset(page, "义乌市集贸市场名录", slug)

        places = page.locator("#places option")
        assert not [v for v in places.evaluate_all("os => os.map(o => o.value)") if "义乌" in v]  # not in the page
        spatial = page.locator("#m-spatial")
        with page.expect_response(lambda r: "/publish/places?q=" in r.url and r.status == 200) as asked:
            spatial.press_sequentially("义乌", delay=80)  # typed key by key, as a person does (an input event each)
        assert any(p["label"] == COUNTY and p["level"] == 3 for p in asked.value.json())
        # the answer to "义乌", not the one to "义" that may land first: every suggestion names 义乌, and ours is there
        page.wait_for_function("() => { const os = [...document.querySelectorAll('#places option')];"
                               " return os.some(o => o.value === '浙江省金华市义乌市 (330782)')"
                               " && os.every(o => o.value.includes('义乌')); }")
        offered = places.evaluate_all("os => os.map(o => o.value)")
        assert COUNTY in offered and all("义乌" in v for v in offered), offered
        # Picking from the list: Chromium's datalist pop-up is the browser's own, outside the page, so the pick is
        # what choosing an option does to the input, its value becoming the option's (an input event follows).
        spatial.fill(offered[offered.index(COUNTY)])
        assert spatial.input_value() == COUNTY
        page.screenshot(path=str(screenshots / "place-picker-zh.png"), full_page=False)
        assert page.locator(".finding[data-type='missing-spatial']").count() == 1  # the check before: none
        page.click("#save-metadata")
        page.wait_for_selector("#flash-success")
        # the draft holds the county: its form read back from it, and its check no longer misses a place
        assert page.locator("#m-spatial").input_value() == COUNTY
        assert page.locator(".finding[data-type='missing-spatial']").count() == 0
        page.goto(f"/publish/{slug}?lang=zh")
        assert page.locator("#m-spatial").input_value() == COUNTY
        assert page.locator(".finding[data-type='missing-spatial']").count() == 0
    finally:
        context.close()
