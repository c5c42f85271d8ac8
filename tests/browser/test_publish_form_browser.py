"""An agency fills the publish form in Chromium, as a person would (zh and en, desktop and phone): a wrong
e-mail shown next to its field with what was typed kept, every picker used, 405 of 405 metadata points on
the check, then the dataset and its file tagged as high-value (a bad legislation refused next to its field), published,
with the contact point and the file's category on the public page."""

from __future__ import annotations

import re

import pytest

from tests.browser.walks import fill_every_scored_field
from tests.support.portals import SIZES, editor_portal, new_dataset, sign_in_to_publish, upload
from tests.support.publishing import CLEAN_CSV

TEXT = {"zh": {"saved_prefix": "已保存", "published": "已发布", "email_error": "不是电子邮箱地址"},
        "en": {"saved_prefix": "Saved", "published": "Published", "email_error": "is not an e-mail address"}}


@pytest.fixture(scope="module")
def agency_portal(tmp_path_factory):
    with editor_portal(tmp_path_factory.mktemp("publish-portal"), secret="browser-publish",
                       editor="clerk@stats.example.gov") as url:
        yield url


# The journey test (test_agency_journey.py) walks zh on a phone and en on a laptop; this walks the other two.
@pytest.mark.parametrize(("lang", "size"), [("zh", "desktop"), ("en", "phone")])
def test_an_agency_fills_the_form_to_405_and_publishes(browser, agency_portal, screenshots, lang, size):

    context = browser.new_context(base_url=agency_portal, viewport=SIZES[size],
                                  locale="zh-CN" if lang == "zh" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(20000)
    slug = f"population-{lang}-{size}"
    try:
        sign_in_to_publish(page, "clerk@stats.example.gov", lang)
        new_dataset(page, "人口统计 2024" if lang == "zh" else "Population by district 2024", slug)
        upload(page, CLEAN_CSV, "各区人口" if lang == "zh" else "Population per district")

        fill_every_scored_field(page, contact_name="统计局数据科" if lang == "zh" else "Data unit, statistics bureau",
                                contact_email="not-an-email")  # a slip: the server says so next to the field
        page.click("#save-metadata")
        error = page.locator("#contact_email-error")
        assert TEXT[lang]["email_error"] in error.inner_text()
        # the page opens at why nothing was saved, far down a long page, with the focus on it
        assert page.evaluate("document.activeElement.id") == "form-errors"
        top = page.locator("#form-errors").bounding_box()["y"]
        # a scroll lands on whole device pixels and the box may start a fraction above them (-0.3125 seen): in view
        assert -1 < top < SIZES[size]["height"] / 2, top
        assert page.locator("#m-contact-email").get_attribute("aria-describedby") == "contact_email-error"
        assert page.input_value("#m-description").startswith("2024 年末")  # what was typed is kept
        assert page.input_value("#m-temporal-end") == "2024-12-31"
        box, field = error.bounding_box(), page.locator("#m-contact-email").bounding_box()
        assert 0 <= field["y"] - (box["y"] + box["height"]) < 40  # right above its input
        page.fill("#m-contact-email", "data@stats.jinhua.gov.cn")
        page.click("#save-metadata")
        page.wait_for_selector("#flash-success")

        assert page.locator("#metadata-points").inner_text() == "405"
        assert page.locator(".finding[data-type^='missing-']").count() == 0
        _tag_as_high_value(page, lang, size, screenshots)
        publish = page.locator("#publish-button")
        assert publish.is_enabled()
        page.screenshot(path=str(screenshots / f"publish-form-405-{lang}-{size}.png"), full_page=False)
        publish.click()
        page.wait_for_selector("#flash-success")
        assert TEXT[lang]["published"] in page.locator("#flash-success").inner_text()
        scroll = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert scroll <= 1, f"the publish page scrolls sideways by {scroll} px"

        page.goto(f"/dataset/{slug}?lang={lang}")
        contact = page.locator("#contact-point").inner_text()
        assert "data@stats.jinhua.gov.cn" in contact
        assert re.search("统计局数据科|Data unit, statistics bureau", contact)
        assert "浙江省金华市" in page.content()
        assert HVD[lang] in page.locator(".distribution .dist-hvd").first.inner_text()  # the file's own, public
    finally:
        context.close()


STATISTICS = "http://data.europa.eu/bna/c_e1da4e07"
HVD = {"zh": "统计", "en": "Statistics"}
LAW_ERROR = {"zh": "不是 http(s) URI", "en": "is not an http(s) URI"}


def _tag_as_high_value(page, lang: str, size: str, screenshots) -> None:
    """The dataset tagged Statistics on the form, then its file tagged on its own: first with a legislation
    that is no web address (refused next to the field, the box kept ticked), then right."""
    page.select_option("#m-hvd_category", [STATISTICS])
    page.click("#save-metadata")
    page.wait_for_selector("#flash-success")
    dist = page.locator("#distributions li[id^=dist-]").first.get_attribute("id").removeprefix("dist-")
    box = page.locator(f"#hvd-{dist}")
    box.locator("summary").click()
    box.locator("label.usa-checkbox__label", has_text=HVD[lang]).click()  # the design system hides the box itself
    box.locator("textarea").fill("not a law")
    box.locator("button[type=submit]").click()
    box = page.locator(f"#hvd-{dist}")
    error = box.locator(".usa-error-message")
    assert LAW_ERROR[lang] in error.inner_text(), error.inner_text()
    assert box.get_by_label(HVD[lang], exact=True).is_checked()  # what was chosen is kept
    assert box.locator("textarea").input_value() == "not a law"
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"publish-file-hvd-refused-{lang}-{size}.png"))
    save, form = box.locator("button[type=submit]").bounding_box(), box.locator("form").bounding_box()
    assert save["x"] + save["width"] <= form["x"] + form["width"] + 1, "the save button sticks out of its form"
    box.locator("textarea").fill("http://data.europa.eu/eli/reg_impl/2023/138/oj")
    box.locator("button[type=submit]").click()
    page.wait_for_selector("#flash-success")
    assert HVD[lang] in page.locator(f"#hvd-{dist} summary").inner_text()
    scroll = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert scroll <= 1, f"the file's high-value form scrolls the page sideways by {scroll} px ({size})"
