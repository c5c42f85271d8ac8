"""A long publish form whose sign-in ends before Save loses nothing (site.js keeps what was typed in the tab): the
author is sent to sign in, comes back to the form filled in again with a notice saying so, saves, and the dataset
has what was typed; a save that succeeds leaves no copy behind; another account signed in on the same tab never
sees it. In Chromium, zh and en, at 390 and 1366 px, with no sideways scroll and no console error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from catalog_schema.models import Dataset
from tests.support.accounts import PASSWORD
from tests.support.portals import editor_portal, new_dataset, sign_in_to_publish, upload

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
EDITOR, OTHER = "clerk@stats.example.gov", "second@stats.example.gov"
NOTICE = {"zh": "重新填入", "en": "filled in again"}
SAMPLE = Path(__file__).resolve().parents[2] / "data_samples" / "files" / "jh-stats" / "population-by-district-2024.csv"
DRAFTS = "() => Object.keys(sessionStorage).filter(k => k.startsWith('odp-draft:'))"


@pytest.fixture(scope="module")
def draft_portal(tmp_path_factory):
    """(base URL, database URL): an empty portal with two editors of one publisher."""
    tmp = tmp_path_factory.mktemp("draft-portal")
    with editor_portal(tmp, secret="browser-draft", editor=EDITOR, others=(OTHER,)) as base:
        yield base, f"sqlite:///{tmp / 'catalog.db'}"


def _stored(db_url: str, slug: str) -> Dataset:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(Dataset.description, Dataset.keywords, Dataset.frequency, Dataset.themes,
                                       Dataset.contact_point).where(Dataset.slug == slug)).one()
    finally:
        engine.dispose()


def _context(browser, base: str, lang: str, size: str):
    context = browser.new_context(base_url=base, viewport=SIZES[size], locale="zh-CN" if lang == "zh" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def _end_session(context, how: str) -> None:
    """The sign-in ends while the form is open: signed out in another tab, or the session cookie gone."""
    if how == "cookie":
        context.clear_cookies(name="session")
        return
    other = context.new_page()
    other.goto("/account")
    if other.locator("#site-menu-button").is_visible():  # a phone: the sign-out button is in the menu
        other.click("#site-menu-button")
    other.click("form.site-logout button[type=submit]")
    other.wait_for_selector("#login-form")
    other.close()


def _sign_in_here(page, email: str) -> None:
    page.fill("#login-email", email)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")


def _no_sideways_scroll(page, what: str) -> None:
    scroll = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert scroll <= 1, f"{what} scrolls sideways by {scroll} px"


@pytest.mark.parametrize(("lang", "size", "how"), [("zh", "desktop", "other-tab"), ("en", "phone", "cookie"),
                                                   ("zh", "phone", "cookie"), ("en", "desktop", "other-tab")])
def test_the_edit_form_comes_back_filled_in_after_signing_in_again(browser, draft_portal, screenshots,
                                                                     lang, size, how):
    base, db_url = draft_portal
    context, page, errors = _context(browser, base, lang, size)
    slug = f"rainfall-{lang}-{size}"
    try:
        sign_in_to_publish(page, EDITOR, lang)
        new_dataset(page, "降雨量" if lang == "zh" else "Rainfall", slug)
        assert page.evaluate(DRAFTS) == []  # the new-dataset form was saved: no copy of it kept
        page.fill("#m-description", "Daily rainfall at 40 stations, 1990-2024. 每日降雨量。")
        page.fill("#m-keywords", "rain, weather, 降雨")
        page.select_option("#m-themes", ["ENVI", "AGRI"])
        page.select_option("#m-frequency", "DAILY")
        page.fill("#m-contact-email", "rain@stats.example.gov")
        _end_session(context, how)

        page.click("#save-metadata")
        page.wait_for_selector("#login-form")
        assert f"next=/publish/{slug}" in page.url
        _sign_in_here(page, EDITOR)
        page.wait_for_url(re.compile(rf"/publish/{slug}(\?|$)"))
        notice = page.locator("#draft-restored")
        notice.wait_for(state="visible")
        assert NOTICE[lang] in notice.inner_text()
        assert page.evaluate("document.activeElement.id") == "draft-restored"
        top = notice.bounding_box()["y"]
        assert -1 <= top < SIZES[size]["height"] / 2, top  # the page opens at the notice, far down a long page
        assert page.input_value("#m-description") == "Daily rainfall at 40 stations, 1990-2024. 每日降雨量。"
        assert page.input_value("#m-keywords") == "rain, weather, 降雨"
        assert page.eval_on_selector("#m-themes", "s => [...s.selectedOptions].map(o => o.value)") == ["AGRI", "ENVI"]
        assert page.input_value("#m-frequency") == "DAILY"
        assert page.input_value("#m-contact-email") == "rain@stats.example.gov"
        _no_sideways_scroll(page, "the form filled in again")
        page.screenshot(path=str(screenshots / f"publish-draft-restored-{lang}-{size}.png"))

        page.click("#save-metadata")
        page.wait_for_selector("#flash-success")
        assert page.evaluate(DRAFTS) == []  # saved: no copy left to offer again
        assert not page.locator("#draft-restored").is_visible()
        stored = _stored(db_url, slug)
        assert stored.description[lang] == "Daily rainfall at 40 stations, 1990-2024. 每日降雨量。"
        assert set(stored.keywords) == {"rain", "weather", "降雨"}
        assert stored.frequency == "DAILY" and sorted(stored.themes) == ["AGRI", "ENVI"]
        assert stored.contact_point["email"] == "rain@stats.example.gov"
        page.reload()
        assert not page.locator("#draft-restored").is_visible()
        _no_sideways_scroll(page, "the saved form")
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(("lang", "size"), [("en", "desktop"), ("zh", "phone")])
def test_the_new_dataset_form_comes_back_filled_in_and_makes_its_draft(browser, draft_portal, lang, size):
    base, db_url = draft_portal
    context, page, errors = _context(browser, base, lang, size)
    slug = f"wind-{lang}-{size}"
    try:
        sign_in_to_publish(page, EDITOR, lang)
        page.fill("#new-title", "Wind speed")
        page.fill("#new-name", slug)
        page.fill("#new-description", "Hourly wind speed. 每小时风速。")
        page.fill("#new-keywords", "wind, 风")
        _end_session(context, "other-tab")
        page.click("#new-dataset button[type=submit]")
        page.wait_for_selector("#login-form")
        _sign_in_here(page, EDITOR)
        page.locator("#draft-restored").wait_for(state="visible")
        assert NOTICE[lang] in page.locator("#draft-restored").inner_text()
        assert page.input_value("#new-title") == "Wind speed"
        assert page.input_value("#new-name") == slug
        assert page.input_value("#new-description") == "Hourly wind speed. 每小时风速。"
        _no_sideways_scroll(page, "the new-dataset form filled in again")
        page.click("#new-dataset button[type=submit]")
        page.wait_for_url(re.compile(rf"/publish/{slug}(\?|$)"))
        assert page.evaluate(DRAFTS) == []
        stored = _stored(db_url, slug)
        assert "Hourly wind speed" in next(iter(stored.description.values()))
        assert set(stored.keywords) == {"wind", "风"}
        page.goto(f"/publish?lang={lang}")
        assert not page.locator("#draft-restored").is_visible()
        assert page.input_value("#new-title") == ""
        assert errors == []
    finally:
        context.close()


def test_what_was_typed_is_not_shown_to_another_account_and_can_be_discarded(browser, draft_portal):
    base, _db_url = draft_portal
    context, page, errors = _context(browser, base, "en", "desktop")
    try:
        sign_in_to_publish(page, EDITOR, "en")
        new_dataset(page, "Snow depth", "snow-depth")
        page.fill("#m-keywords", "snow, secret plan")
        _end_session(context, "cookie")
        page.click("#save-metadata")
        page.wait_for_selector("#login-form")
        _sign_in_here(page, OTHER)  # someone else signs in on this tab, and is sent to the same form
        page.wait_for_url(re.compile(r"/publish/snow-depth(\?|$)"))
        page.wait_for_load_state("load")
        assert not page.locator("#draft-restored").is_visible()
        assert page.input_value("#m-keywords") == ""

        page.click("form.site-logout button[type=submit]")  # signing out here drops what any account typed here
        page.wait_for_selector("#login-form")
        assert page.evaluate(DRAFTS) == []

        # typed, the page left unsaved, opened again: filled in again, and the button puts the saved values back
        page.goto("/publish/snow-depth?lang=en")
        _sign_in_here(page, EDITOR)
        page.fill("#m-keywords", "snow")
        page.goto("/publish/snow-depth?lang=en")
        page.locator("#draft-restored").wait_for(state="visible")
        assert page.input_value("#m-keywords") == "snow"
        page.click("#draft-discard")
        assert not page.locator("#draft-restored").is_visible()
        assert page.input_value("#m-keywords") == ""
        assert page.evaluate(DRAFTS) == []
        page.reload()
        assert not page.locator("#draft-restored").is_visible()

        # a refused form already shows what was typed: not filled in over, no notice; then saved, nothing kept
        page.fill("#m-keywords", "snow, ice")
        page.fill("#m-contact-email", "not-an-email")
        page.click("#save-metadata")
        page.wait_for_selector("#form-errors")
        assert not page.locator("#draft-restored").is_visible()
        assert page.input_value("#m-contact-email") == "not-an-email"
        page.fill("#m-contact-email", "snow@stats.example.gov")
        page.click("#save-metadata")
        page.wait_for_selector("#flash-success")
        assert page.evaluate(DRAFTS) == []
        assert page.input_value("#m-keywords") == "snow, ice"
        assert [e for e in errors if "status of 422" not in e] == []  # the refusal's status is Chromium's only word
    finally:
        context.close()


@pytest.mark.parametrize(("lang", "size"), [("zh", "phone"), ("en", "desktop")])
def test_typing_then_uploading_a_file_then_saving_saves_at_once(browser, draft_portal, lang, size):
    """Typed in the metadata form, then a file uploaded with the form below it (the page sent, the typing not
    saved): the form comes back filled in, and Save saves, once. The copy of the form kept the page's hidden version,
    which the upload had moved on: Save answered "changed after you opened this page" (409) to the only editor."""
    base, db_url = draft_portal
    context, page, errors = _context(browser, base, lang, size)
    slug = f"river-{lang}-{size}"
    try:
        sign_in_to_publish(page, EDITOR, lang)
        new_dataset(page, "河流水位" if lang == "zh" else "River levels", slug)
        page.fill("#m-description", "Daily river levels at 12 gauges. 每日水位。")
        page.fill("#m-keywords", "river, 水位")
        upload(page, SAMPLE)
        page.locator("#draft-restored").wait_for(state="visible")
        assert page.input_value("#m-description") == "Daily river levels at 12 gauges. 每日水位。"
        page.click("#save-metadata")
        page.wait_for_selector("#flash-success")
        assert page.locator("#form-conflict").count() == 0
        assert page.evaluate(DRAFTS) == []
        stored = _stored(db_url, slug)
        assert stored.description[lang] == "Daily river levels at 12 gauges. 每日水位。"
        assert set(stored.keywords) == {"river", "水位"}
        _no_sideways_scroll(page, "the form saved after an upload")
        assert errors == []
    finally:
        context.close()


def test_a_box_another_editor_changed_meanwhile_still_stops_the_save(browser, draft_portal):
    """What was typed over boxes another editor saved since is not saved over them: the copy's version comes back
    with it, and Save answers with the boxes that differ (the conflict notice), nothing lost."""
    base, db_url = draft_portal
    context, page, errors = _context(browser, base, "en", "desktop")
    other, other_page, _ = _context(browser, base, "en", "desktop")
    try:
        sign_in_to_publish(page, EDITOR, "en")
        new_dataset(page, "Tide gauges", "tide-gauges")
        page.fill("#m-description", "Mine: hourly tide heights.")
        sign_in_to_publish(other_page, OTHER, "en")
        other_page.goto("/publish/tide-gauges?lang=en")
        other_page.fill("#m-description", "Theirs: tide heights every ten minutes.")
        other_page.click("#save-metadata")
        other_page.wait_for_selector("#flash-success")
        page.reload()  # the page left unsaved and opened again: filled in again over what the other saved
        page.locator("#draft-restored").wait_for(state="visible")
        assert page.input_value("#m-description") == "Mine: hourly tide heights."
        page.click("#save-metadata")
        page.wait_for_selector("#form-conflict")
        assert "Theirs: tide heights every ten minutes." in page.content()
        assert _stored(db_url, "tide-gauges").description["en"] == "Theirs: tide heights every ten minutes."
        assert [e for e in errors if "409" not in e] == []  # the conflict page is a 409, which the console notes
    finally:
        other.close()
        context.close()
