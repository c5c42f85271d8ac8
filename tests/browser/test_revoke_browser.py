"""Revoking a personal-data override in a real browser, and the pages it changes: the publish page's form and note,
the dataset page's notice and activity, and a harvest job's and source's pages that now redact an error's quoted
value. At 390 and 1366 px, in zh and en: nothing wider than the window, no console error."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS
from tests.support.personal import PAGE_MARK
from tests.support.portals import signed_in_page
from tests.support.publishing import PASSWORD
from tests.support.wsgiserver import ServedApp

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}
REASON = "The numbers are the public hotline lines of the offices."
REVOKE = "The numbers turned out to be private lines of callers."


@pytest.fixture
def revoke_portal(tmp_path):
    from app import create_app
    from app.services import datasets, distributions, gate, lifecycle
    from app.services.context import Actor, Runtime
    from catalog_schema.db import upgrade
    from catalog_schema.models import HarvestJob, HarvestRecord, HarvestSource, Publisher, User
    from tests.support.personal import IDS, PHONES
    from tests.support.publishing import PII_CSV, build_world

    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    upgrade(url)
    application = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "browser-revoke",
                              "ALLOW_HOSTS": ["127.0.0.1"], "ARCHIVE_DIR": str(tmp_path / "archive")})
    factory = application.extensions["opendata"]["sessionmaker"]
    world = build_world(factory)
    runtime = Runtime(factory, application.config["OPENDATA"])
    try:
        with factory() as s:
            admin = s.scalar(select(User).where(User.email == world.emails["admin_a"]))
            actor = Actor(s, admin, "test", runtime=runtime, lang="en")
            ds, _ = lifecycle.find(s, world.draft_a)
            distributions.add_upload(actor, ds, io.BytesIO(PII_CSV.read_bytes()), "hotline.csv")
            gate.override_pii(actor, ds, REASON)
            datasets.publish(actor, ds)
            pub = s.scalar(select(Publisher).where(Publisher.slug == "agency-a"))
            src = HarvestSource(name="hotline-src", type="datajson", url="http://127.0.0.1:9/data.json",
                                publisher=pub, config={})
            s.add(src)
            s.flush()
            job = HarvestJob(source_id=src.id, status="finished", errored=1)
            s.add(job)
            s.flush()
            value = json.dumps(f"张三 {IDS[0]} {PHONES[0]}", ensure_ascii=False)
            s.add(HarvestRecord(job_id=job.id, remote_id="data.json#entry-2", status="errored", stage="import",
                                error=f"a dataset entry must be a JSON object, not {value}",
                                error_detail={"msgid": "a dataset entry must be a JSON object, not %(value)s",
                                              "params": {"value": value}},
                                payload=value))
            s.commit()
            job_id = job.id
    finally:
        runtime.close()
    served = ServedApp(application, threads=2, ident="opendata-test")
    yield served.url, world, factory, job_id
    served.close()
    application.extensions["opendata"]["engine"].dispose()


def _fits(page, size: str, where: str) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], (where, width)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_an_admin_revokes_an_override_and_the_pages_say_it(browser, revoke_portal, lang, size):
    from tests.support.personal import IDS

    base, world, factory, job_id = revoke_portal
    query = "?lang=en" if lang == "en" else "?lang=zh_CN"
    context = browser.new_context(base_url=base, viewport=SIZES[size])
    errors: list[str] = []
    try:
        page = signed_in_page(context, world.emails["admin_a"], PASSWORD, query)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        edit = f"/publish/{world.draft_a}"
        page.goto(edit)
        page.wait_for_selector("#revoke-override-form")
        _fits(page, size, "publish page with the override")
        page.locator("#pii").screenshot(path=str(SCREENSHOTS / f"revoke-form-{lang}-{size}.png"))
        page.fill("#revoke-override-reason", REVOKE)
        page.click("#revoke-override-form button[type=submit]")
        page.wait_for_selector("#pii-override-revoked")
        assert REVOKE in page.locator("#pii-override-revoked").inner_text()
        assert page.locator("#override-form").count() == 1  # a new override may be given
        _fits(page, size, "publish page after revoking")
        page.locator("#pii").screenshot(path=str(SCREENSHOTS / f"revoke-publish-{lang}-{size}.png"))
        page.goto(f"/dataset/{world.draft_a}")
        assert REVOKE in page.locator("#pii-override-revoked").inner_text()
        assert page.locator("#activity li").count() >= 1
        _fits(page, size, "dataset page")
        page.locator("#pii-override-revoked").screenshot(path=str(SCREENSHOTS / f"revoke-dataset-{lang}-{size}.png"))
        # the harvest pages: the editor reads the error as it came
        page.goto(f"/harvest/job/{job_id}")
        assert IDS[0] in page.content()
        _fits(page, size, "harvest job page")
        page.goto("/harvest/source/hotline-src")
        _fits(page, size, "harvest source page")
        assert not errors, errors
        # the public: the file is withheld, the error redacted
        anonymous = browser.new_context(base_url=base, viewport=SIZES[size])
        try:
            public = anonymous.new_page()
            public.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            public.on("pageerror", lambda e: errors.append(str(e)))
            for path in (f"/dataset/{world.draft_a}", f"/harvest/job/{job_id}", "/harvest/source/hotline-src"):
                public.goto(path + query)
                assert IDS[0] not in public.content(), path
                _fits(public, size, path)
            public.goto(f"/harvest/job/{job_id}{query}")
            assert PAGE_MARK[lang] in public.locator(".harvest-error__message").first.inner_text()
            public.locator(".harvest-error").first.screenshot(
                path=str(SCREENSHOTS / f"revoke-harvest-job-{lang}-{size}.png"))
        finally:
            anonymous.close()
        assert not errors, errors
    finally:
        context.close()
