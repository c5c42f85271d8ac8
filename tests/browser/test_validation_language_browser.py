"""A form's own checks speak the page's language (site.js, the messages of base.html), in Chromium.

The browser says a `required`, `type=email` or `minlength` check failed in its own language: a Chinese page asked
"Please select a file." and "Please lengthen this text to 10 characters" in English (the upload and replace forms, the
discard box, the invitation's e-mail and password). Each now says it in the page's language, on a browser set to the
other one, and the message goes as soon as the field changes."""

from __future__ import annotations

import pytest

from tests.support.portals import SIZES, editor_portal, new_dataset, sign_in_to_publish

SAID = {"zh": {"file": "请选择文件。", "box": "请勾选此框后继续。", "email": "请填写完整的电子邮件地址"},
        "en": {"file": "Choose a file.", "box": "Tick this box to go on.", "email": "Give a whole e-mail address"}}


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with editor_portal(tmp_path_factory.mktemp("validation-portal"), secret="browser-validation",
                       editor="clerk@stats.example.gov") as url:
        yield url


@pytest.mark.parametrize(("lang", "size"), [("zh", "phone"), ("en", "desktop")])
def test_the_forms_own_checks_are_said_in_the_pages_language(browser, portal, lang, size):
    browser_locale = "en-GB" if lang == "zh" else "zh-CN"  # the browser speaks the other language
    context = browser.new_context(base_url=portal, viewport=SIZES[size], locale=browser_locale)
    page = context.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in_to_publish(page, "clerk@stats.example.gov", lang)
        new_dataset(page, "校验" if lang == "zh" else "Checks", f"checks-{lang}-{size}")
        here = page.url
        page.click("#upload-form button[type=submit]")  # no file chosen: the browser keeps the form
        assert page.url == here
        assert page.eval_on_selector("#upload-file", "el => el.validationMessage") == SAID[lang]["file"]
        page.locator("#discard-button").click()
        assert page.eval_on_selector("#discard-confirm", "el => el.validationMessage") == SAID[lang]["box"]
        page.click("label[for=discard-confirm]")  # changed: the message goes, and the check passes
        assert page.eval_on_selector("#discard-confirm", "el => el.validity.valid")
        anonymous = browser.new_context(base_url=portal, viewport=SIZES[size], locale=browser_locale)
        other = anonymous.new_page()  # the sign-in form's e-mail box checks its type
        other.goto(f"/login?lang={'zh_CN' if lang == 'zh' else 'en'}")
        other.fill("#login-email", "not an address")
        other.fill("#login-password", "whatever it is")
        other.click("#login-form button[type=submit]")
        assert other.eval_on_selector("#login-email", "el => el.validationMessage").startswith(SAID[lang]["email"])
        anonymous.close()
        assert errors == []
    finally:
        context.close()
