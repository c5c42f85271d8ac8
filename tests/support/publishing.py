"""Test helpers of the publish flow: two agencies, their people and tokens, hostile files, DB snapshots.

Agency A (`agency-a`) and agency B (`agency-b`), each with an editor; A also has an admin; a sysadmin.
A has a harvested dataset (from a source) and a draft; B has a draft. `snapshot` is every row that a
refused write must leave as it was: datasets, distributions and audit events.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.services import accounts, datasets
from app.services.context import Actor
from catalog_schema.models import AuditEvent, Dataset, Distribution, HarvestSource, User
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import ensure_publisher, save_record, to_record

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data_samples" / "files"
GBK_CSV = SAMPLES / "jh-stats" / "nbs_gdp_by_province_gbk.csv"
PII_CSV = SAMPLES / "jh-gov-office" / "hotline-complaints-2026.csv"
CLEAN_CSV = SAMPLES / "jh-stats" / "population-by-district-2024.csv"
HTML_CSV = SAMPLES / "jh-transport" / "parking-lots.csv"  # a 404 page saved under a .csv name
XLSX = SAMPLES / "jh-transport" / "taxi-fares.xlsx"
PASSWORD = "correct horse battery"
ROLES = ("anonymous", "editor_a", "admin_a", "editor_b", "sysadmin")


@dataclass
class World:
    emails: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    harvested: str = "harvested-a"
    draft_a: str = "draft-a"
    draft_b: str = "draft-b"


def build_world(sessionmaker) -> World:
    world = World()
    with sessionmaker() as s:
        a = ensure_publisher(s, {"slug": "agency-a", "name": {"en": "Agency A", "zh": "甲局"}})
        b = ensure_publisher(s, {"slug": "agency-b", "name": {"en": "Agency B", "zh": "乙局"}})
        people = {"editor_a": (a, "editor"), "admin_a": (a, "admin"), "editor_b": (b, "editor"), "sysadmin": None}
        for role, grant in people.items():
            email = f"{role.replace('_', '.')}@example.gov"
            user = accounts.create_user(s, email, sysadmin=grant is None)
            user.password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")  # fast in tests
            if grant is not None:
                accounts.grant(s, user, grant[0], grant[1])
            world.emails[role] = email
            world.tokens[role] = accounts.create_token(s, user, name="tests")
        source = HarvestSource(name="agency-a-ckan", type="ckan", url="http://127.0.0.1:9/", publisher=a, config={})
        s.add(source)
        s.flush()
        rec = new_record(slug=world.harvested, title={"en": "Harvested from A's CKAN"}, publisher={"slug": "agency-a"},
                         license="CC-BY-4.0",
                         distributions=[new_distribution(download_url="http://127.0.0.1:9/x.csv", format="CSV")])
        save_record(s, rec, source_id=source.id, remote_id="remote-1")
        for n in (1, 2, 3):  # published datasets of A (not harvested), one per role allowed to withdraw them
            save_record(s, new_record(slug=f"active-a-{n}", title={"en": f"Published by A {n}"},
                                      publisher={"slug": "agency-a"}, license="CC-BY-4.0",
                                      distributions=[new_distribution(download_url=f"http://127.0.0.1:9/{n}.csv",
                                                                      format="CSV")]))
        admin = s.scalar(select(User).where(User.email == world.emails["admin_a"]))
        datasets.create(Actor(s, admin, "test", lang="en"), "agency-a", {"title": "Draft of A"}, slug=world.draft_a)
        editor_b = s.scalar(select(User).where(User.email == world.emails["editor_b"]))
        datasets.create(Actor(s, editor_b, "test", lang="en"), "agency-b", {"title": "Draft of B"}, slug=world.draft_b)
        s.commit()
    return world


def snapshot(sessionmaker) -> dict:
    """Every dataset, distribution and audit row, as plain data (compare before and after a refused write).
    Sign-ins are left out of the audit rows: a door signing in to try a write is no write."""
    def rows(s, model):
        out = []
        query = select(model)
        if model is AuditEvent:
            query = query.where(AuditEvent.action.not_in(("account.sign_in", "account.sign_in_failed")))
        for obj in s.scalars(query):
            out.append({c.name: _plain(getattr(obj, c.key)) for c in model.__table__.columns})
        return sorted(out, key=lambda r: json.dumps(r, sort_keys=True, default=str))

    with sessionmaker() as s:
        return {"datasets": rows(s, Dataset), "distributions": rows(s, Distribution), "audit": rows(s, AuditEvent),
                "sources": rows(s, HarvestSource)}


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def distributions_of(app, slug: str) -> list[dict] | None:
    """The distributions of dataset `slug` as the catalog keeps them (None: there is no such dataset)."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        return None if ds is None else to_record(ds)["distributions"]


def sign_in(client, email: str) -> None:
    """Sign in through the login form, with the CSRF token the form carries."""
    page = client.get("/login?next=/publish")
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "next": "/publish",
                                       "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert resp.status_code in (302, 303) and resp.headers["Location"].endswith("/publish"), resp.status_code


def form_post(client, page_url: str, action: str, data: dict, **kw):
    """POST `data` to `action` with the CSRF token read from the page at `page_url`."""
    html = client.get(page_url).get_data(as_text=True)
    return client.post(action, data={**data, "csrf_token": csrf_from(html)}, **kw)


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert m, "the form carries no CSRF token"
    return m.group(1)


# --------------------------------------------------------------------------- hostile files


def html_named_csv() -> bytes:
    return (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
            b"<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n")


def zip_bomb(uncompressed: int = 120 * 1024 * 1024, padding: int = 0) -> bytes:
    """A real ZIP whose member data.csv inflates ~200-fold (zeros): above the sniffer's bomb thresholds.
    `padding`: bytes of random data stored first, so the bomb and the directory come after them."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        if padding:
            zf.writestr(zipfile.ZipInfo("padding.bin"), os.urandom(padding), compress_type=zipfile.ZIP_STORED)
        with zf.open("data.csv", "w", force_zip64=True) as member:
            chunk = b"0" * (1024 * 1024)
            for _ in range(uncompressed // len(chunk)):
                member.write(chunk)
    return buf.getvalue()


def xlsx_with_xxe(source: Path = XLSX) -> bytes:
    """The sample workbook with an external-entity declaration put into its shared strings part."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        names = zin.namelist()
        target = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else "xl/workbook.xml"
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == target:
                text = data.decode("utf-8")
                decl = '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                if text.startswith("<?xml"):
                    end = text.index("?>") + 2
                    text = text[:end] + decl + text[end:]
                else:
                    text = decl + text
                data = text.encode("utf-8")
            zout.writestr(info, data)
    return out.getvalue()


def files_outside(root: Path, allowed: list[Path]) -> list[Path]:
    """Files under `root` that are not under one of the `allowed` folders."""
    out = []
    for path in root.rglob("*"):
        if path.is_file() and not any(path.is_relative_to(a) for a in allowed):
            out.append(path)
    return out


def publish_uploads(app, editor: str, publisher: str, slug: str, title: str, files: dict[str, bytes],
                    added: dict[str, bytes] | None = None) -> dict[str, str]:
    """A dataset `slug` of `publisher` made of these uploaded `files`, published through the services by `editor`
    (an e-mail, made an editor of the publisher), and `added` uploaded once it is published: personal data found
    in a file blocks publishing, while a file added to a published dataset is withheld by the serving gate.
    Returns {file name: distribution id}."""
    import io

    from app.services import datasets, distributions
    from app.services.context import Actor, Runtime
    from catalog_schema.models import User
    from tests.support.accounts import make_user

    make_user(app, editor, editor_of=publisher)
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    out = {}
    try:
        with factory() as s:
            actor = Actor(s, s.query(User).filter_by(email=editor).one(), "test", runtime=runtime, lang="en")
            ds = datasets.create(actor, publisher, {"title": title, "license": "CC-BY-4.0"}, slug=slug)
            for name, body in files.items():
                out[name] = distributions.add_upload(actor, ds, io.BytesIO(body), name).id
            datasets.publish(actor, ds)
            for name, body in (added or {}).items():
                out[name] = distributions.add_upload(actor, ds, io.BytesIO(body), name).id
    finally:
        runtime.close()
    return out


def withdraw_dataset(app, editor: str, slug: str, *, reason: str, successor: str | None = None) -> None:
    """Withdraw dataset `slug` through the services as `editor` (an e-mail of one who may edit it)."""
    from app.services import datasets
    from app.services.context import Actor, Runtime
    from catalog_schema.models import Dataset, User

    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        with factory() as s:
            actor = Actor(s, s.query(User).filter_by(email=editor).one(), "test", runtime=runtime, lang="en")
            datasets.withdraw(actor, s.query(Dataset).filter_by(slug=slug).one(), reason=reason, successor=successor)
    finally:
        runtime.close()


DOOR_TABLE = b"district,amount\r\neast,1\r\nwest,2\r\n"
DOOR_PHONES = "name,phone\r\n" + "".join(f"n{i},1381234567{i}\r\n" for i in range(6))


def withheld_and_withdrawn(app) -> dict[str, str]:
    """{"phones", "old"}: of agency-doors, a table with phone numbers added to the published dataset `rows`
    (withheld by the serving gate), and the table of `old-rows`, withdrawn in favour of `rows` (gone)."""
    rows = publish_uploads(app, "editor@doors.example", "agency-doors", "rows", "Rows", {"table.csv": DOOR_TABLE},
                           added={"phones.csv": DOOR_PHONES.encode()})
    old = publish_uploads(app, "archivist@doors.example", "agency-doors", "old-rows", "Old rows",
                          {"table.csv": DOOR_TABLE})
    withdraw_dataset(app, "archivist@doors.example", "old-rows", reason="Replaced by Rows.", successor="rows")
    return {"phones": rows["phones.csv"], "old": old["table.csv"]}
