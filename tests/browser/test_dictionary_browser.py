"""The data dictionary's form in Chromium: a column whose header holds a line break is edited (the browser posts
its name back with CR LF, and the edit was refused as a column the table lacks); a refused box comes back marked,
its message read out with it, and every box holding what was typed."""

from __future__ import annotations

import pytest

from tests.support.portals import editor_portal, new_dataset, sign_in_to_publish, upload

TABLE = '地区,"年末常住人口\n(万人)",面积\n北京市,2154,16410\n天津市,1560,11966\n河北省,7556,188800\n'


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dictionary-portal")
    with editor_portal(tmp, secret="browser-dictionary", editor="clerk@stats.example.gov") as url:
        yield url, tmp


def test_a_refused_dictionary_box_is_marked_and_the_typed_words_stay(browser, portal):
    base, tmp = portal
    table = tmp / "population.csv"
    table.write_text(TABLE, encoding="utf-8")
    context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        sign_in_to_publish(page, "clerk@stats.example.gov", "en")
        new_dataset(page, "Population", "population")
        upload(page, table)
        dist = page.locator("#distributions li[id^=dist-]").first.get_attribute("id").removeprefix("dist-")

        box = page.locator(f"#dictionary-{dist}")
        box.locator("summary").click()
        page.fill(f"#title-{dist}-0", "Region")
        page.fill(f"#title-{dist}-1", "Resident population")
        page.fill(f"#unit-{dist}-2", "km\x07²")  # a control character pasted in: refused
        box.locator("button[type=submit]").click()
        page.wait_for_selector(f"#unit-{dist}-2-error")
        unit = page.locator(f"#unit-{dist}-2")
        assert unit.get_attribute("aria-invalid") == "true"
        assert unit.get_attribute("aria-describedby") == f"unit-{dist}-2-error"
        message = page.locator(f"#unit-{dist}-2-error").inner_text()
        assert "“面积”" in message and "Unit" in message and "control character" in message
        assert page.locator(f"#dictionary-{dist}").get_attribute("open") is not None
        assert page.input_value(f"#title-{dist}-0") == "Region"  # what was typed, kept
        assert page.input_value(f"#title-{dist}-1") == "Resident population"

        page.fill(f"#unit-{dist}-2", "km²")
        page.locator(f"#dictionary-{dist} button[type=submit]").click()
        page.wait_for_selector("#flash-success")
        page.goto("/publish/population?lang=en")  # the saved words, as the form shows them again
        assert page.input_value(f"#title-{dist}-0") == "Region"
        assert page.input_value(f"#title-{dist}-1") == "Resident population"  # the line-break header's column
        assert page.input_value(f"#unit-{dist}-2") == "km²"
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dictionary_form_fits_a_phone(browser, portal, lang):
    """At 390 px the open data dictionary's "Save the data dictionary" button was 40 px wider than its form (its
    padding added to the full width a phone gives a button) and the edit page scrolled sideways."""
    base, tmp = portal
    table = tmp / f"gdp-{lang}.csv"
    table.write_text("地区,地区生产总值（亿元）\n东城区,3012.5\n西城区,5321.2\n", encoding="utf-8")
    context = browser.new_context(base_url=base, viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        sign_in_to_publish(page, "clerk@stats.example.gov", lang)
        new_dataset(page, "地区生产总值", f"gdp-phone-{lang}")
        upload(page, table)
        dist = page.locator("#distributions li[id^=dist-]").first.get_attribute("id").removeprefix("dist-")
        page.locator(f"#dictionary-{dist} summary").click()
        button = page.locator(f"#dictionary-{dist} button[type=submit]").bounding_box()
        form = page.locator(f"#dictionary-{dist} form").bounding_box()
        assert button["x"] + button["width"] <= form["x"] + form["width"] + 0.5, (button, form)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
