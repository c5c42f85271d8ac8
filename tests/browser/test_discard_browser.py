"""A publisher discards a draft made by mistake in Chromium (zh on a phone, en on a laptop): a file with personal data
uploaded to it blocks publishing; the box at the foot of the page must be ticked before the browser sends the form
(its `required`); then the publisher's list says it is gone and its page answers 404."""

from __future__ import annotations

import re

import pytest

from tests.support.portals import SIZES, editor_portal, new_dataset, sign_in_to_publish, upload
from tests.support.publishing import PII_CSV

SAID = {"zh": "已丢弃：草稿", "en": "Discarded: the draft"}


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with editor_portal(tmp_path_factory.mktemp("discard-portal"), secret="browser-discard",
                       editor="clerk@stats.example.gov") as url:
        yield url


@pytest.mark.parametrize(("lang", "size"), [("zh", "phone"), ("en", "desktop")])
def test_a_draft_made_by_mistake_is_discarded_once_the_box_is_ticked(browser, portal, screenshots, lang, size):
    context = browser.new_context(base_url=portal, viewport=SIZES[size], locale="zh-CN" if lang == "zh" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(20000)
    slug = f"mistake-{lang}-{size}"
    try:
        sign_in_to_publish(page, "clerk@stats.example.gov", lang)
        new_dataset(page, "上传错了" if lang == "zh" else "Uploaded by mistake", slug)
        upload(page, PII_CSV)
        assert page.locator("#publish-button").is_disabled()  # the personal data blocks it
        button = page.locator("#discard-button")
        button.scroll_into_view_if_needed()
        here = page.url
        button.click()  # not ticked: the browser keeps the form
        assert page.url == here and not page.evaluate("document.querySelector('#discard-confirm').validity.valid")
        scroll = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert scroll <= 1, f"the page scrolls sideways by {scroll} px"
        page.screenshot(path=str(screenshots / f"discard-{lang}-{size}.png"), full_page=False)
        page.click("label[for=discard-confirm]")
        button.click()
        page.wait_for_url(re.compile(r"/publish(\?|$)"))
        assert SAID[lang] in page.locator("#flash-success").inner_text()
        assert page.locator(f"a[href='/publish/{slug}']").count() == 0
        assert page.goto(f"/publish/{slug}").status == 404
    finally:
        context.close()
