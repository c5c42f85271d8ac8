"""Users, sign-in and CSRF tokens for tests of the signed-in pages (a real test client with cookies)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.security import generate_password_hash

from app.services import accounts
from catalog_schema.models import Publisher

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


_HASHES: dict[str, str] = {}


def cheap_hash(password: str) -> str:
    """A fast hash of `password` (tests only: the default scrypt costs ~0.4 s a user on a busy machine)."""
    if password not in _HASHES:
        _HASHES[password] = generate_password_hash(password, method="pbkdf2:sha256:1000")
    return _HASHES[password]


def make_user(app, email: str, *, sysadmin: bool = False, admin_of: str | None = None,
              editor_of: str | None = None, password: str = PASSWORD, active: bool = True) -> int:
    """A user (publishers named by slug are created when missing); returns the user id."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        user = accounts.create_user(s, email, sysadmin=sysadmin, name=email.split("@")[0])
        user.password_hash = cheap_hash(password)
        user.active = active
        for slug, role in ((admin_of, "admin"), (editor_of, "editor")):
            if slug:
                pub = s.query(Publisher).filter_by(slug=slug).one_or_none()
                if pub is None:
                    pub = Publisher(slug=slug, name={"en": slug.title(), "zh": slug})
                    s.add(pub)
                    s.flush()
                accounts.grant(s, user, pub, role)
        s.commit()
        return user.id


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    """POST the sign-in form as a browser would (token from the form); returns the response."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, **extra})


def page_token(client, url: str = "/account") -> str:
    """A CSRF token from a page of this client's session."""
    return csrf_from(client.get(url).get_data(as_text=True))


@contextmanager
def acting_as(app, email: str) -> Iterator:
    """(actor, session): the user `email` acting through the app's services, as a request would (English
    messages); the session is the caller's to commit, and the services' runtime is closed after."""
    from app.services.context import Actor, Runtime
    from catalog_schema.models import User

    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        with factory() as session:
            user = session.query(User).filter_by(email=email).one()
            yield Actor(session, user, "test", runtime=runtime, lang="en"), session
    finally:
        runtime.close()


def token_headers(app, email: str, name: str = "tests") -> dict[str, str]:
    """The `Authorization` header of a new API token of the user `email` (made by `make_user`)."""
    from sqlalchemy import select

    from catalog_schema.models import User

    with app.extensions["opendata"]["sessionmaker"]() as s:
        token = accounts.create_token(s, s.scalar(select(User).where(User.email == email)), name=name)
        s.commit()
    return {"Authorization": token}
