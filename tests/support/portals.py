"""A portal served for browser tests, and the steps every publishing walk starts with (sign in, a new dataset, a
file uploaded to it): written once here, as each browser test had its own copy of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.wsgiserver import ServedApp

#: The two windows every journey is walked in: a laptop's and a phone's (the issue's 1366 and 390 px).
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@contextmanager
def editor_portal(tmp: Path, *, secret: str, editor: str, publisher: str = "jh-stats",
                  others: tuple[str, ...] = ()) -> Iterator[str]:
    """A portal on an empty SQLite catalog in `tmp` (its archive there too), served on a local port, with one
    account, `editor`, editing `publisher` (and the `others`, editors of it too); yields its base URL. The catalog
    is `sqlite:///{tmp}/catalog.db`."""
    from app import create_app
    from catalog_schema.db import upgrade
    from tests.support.accounts import make_user

    url = f"sqlite:///{tmp / 'catalog.db'}"
    upgrade(url)
    application = create_app({"DATABASE_URL": url, "INSTANCE_DIR": str(tmp), "ARCHIVE_DIR": str(tmp / "archive"),
                              "SECRET_KEY": secret, "ALLOW_HOSTS": ["127.0.0.1"]})
    for email in (editor, *others):
        make_user(application, email, editor_of=publisher)
    served = ServedApp(application, threads=2, ident="opendata-test")
    try:
        yield served.url
    finally:
        served.close()
        application.extensions["opendata"]["engine"].dispose()


def sign_in_to_publish(page, email: str, lang: str) -> None:
    """Open the publish page in `lang`, sign in there as `email` (tests.support.accounts.PASSWORD), and wait for the
    new-dataset form."""
    from tests.support.accounts import PASSWORD

    page.goto(f"/publish?lang={lang}")
    page.fill("#login-email", email)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#new-title")


def new_dataset(page, title: str, slug: str) -> None:
    """From the publish page: a new dataset titled `title` at /publish/`slug`, its edit page open."""
    page.fill("#new-title", title)
    page.fill("#new-name", slug)
    page.click("#new-dataset button[type=submit]")
    page.wait_for_url(re.compile(rf"/publish/{re.escape(slug)}(\?|#|$)"))


def upload(page, path: Path | str, title: str | None = None) -> None:
    """On a dataset's edit page: upload the file at `path` (titled `title`) and wait for it in the list."""
    page.set_input_files("#upload-file", str(path))
    if title is not None:
        page.fill("#upload-title", title)
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#distributions li[id^=dist-]")


def signed_in_page(context, email: str, password: str, query: str = ""):
    """A new page of the browser `context` signed in as `email` through the sign-in form (`query`: the page's
    "?lang=..."), on the account page."""
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto("/login" + query)
    page.fill("#login-email", email)
    page.fill("#login-password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/account")
    return page
