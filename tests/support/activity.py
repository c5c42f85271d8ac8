"""A small catalog with a history for the activity, follow and digest tests: agency A's editor publishes,
changes and withdraws datasets through the services, keeps a draft, and a harvest adds one (the harvest
store's own rows)."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.services import datasets, distributions, lifecycle
from app.services.context import Actor, Runtime
from catalog_schema import harvest_store
from catalog_schema.models import Dataset, HarvestSource, Publisher, User
from catalog_schema.record import new_record
from tests.support.accounts import make_user
from tests.support.personal import csv_bytes

EDITOR = "editor@a.example"

TABLE = csv_bytes(["站点", "人数"], [["人民广场", "12"], ["东港站", "7"]])


def as_editor(app, fn) -> None:
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        with factory() as s:
            user = s.query(User).filter_by(email=EDITOR).one()
            fn(Actor(s, user, "test", runtime=runtime, lang="en"), s)
            s.commit()
    finally:
        runtime.close()


def make(app, slug: str, title: str, *, publish: bool = True) -> None:
    def run(actor, s):
        ds = datasets.create(actor, "agency-a", {"title": {"en": title, "zh": f"{title}（中文）"},
                                                 "description": f"About {title}", "license": "CC-BY-4.0",
                                                 "themes": ["TRAN"]}, slug=slug)
        distributions.add_upload(actor, ds, io.BytesIO(TABLE), f"{slug}.csv")
        if publish:
            datasets.publish(actor, ds)
    as_editor(app, run)


def update(app, slug: str, description: str) -> None:
    as_editor(app, lambda actor, s: datasets.update(actor, lifecycle.find(s, slug)[0], {"description": description}))


def withdraw(app, slug: str) -> None:
    as_editor(app, lambda actor, s: datasets.withdraw(actor, lifecycle.find(s, slug)[0], reason="replaced"))


def harvest(app, slug: str, title: str) -> str:
    """A dataset a harvest job of source `city-ckan` added (the harvest store's own rows)."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        pub = s.scalar(select(Publisher).where(Publisher.slug == "agency-a"))
        source = HarvestSource(name="city-ckan", type="ckan", url="http://127.0.0.1:9/", publisher_id=pub.id)
        s.add(source)
        s.flush()
        job = harvest_store.create_job(s, source)
        rec = new_record(slug=slug, title={"en": title, "zh": title}, state="active",
                         publisher={"slug": "agency-a", "name": {"en": "Agency-A"}})
        ds, outcome = harvest_store.import_record(s, job.id, source.id, f"remote-{slug}", rec, payload_text="{}",
                                                  payload={}, stage="import")
        assert outcome == "added"
        s.commit()
        return ds.id


def build(app) -> dict[str, str]:
    """Agency A: `bus-stops` published then changed, `air` published then withdrawn, a draft edited twice
    (`secret-draft`, never public), and `harvested` added by a harvest. Returns the ids by slug."""
    make_user(app, EDITOR, editor_of="agency-a")
    make(app, "bus-stops", "Bus stops")
    update(app, "bus-stops", "Every stop of every line")
    make(app, "secret-draft", "Secret draft", publish=False)
    update(app, "secret-draft", "Still a draft")
    make(app, "air", "Air quality")
    withdraw(app, "air")
    harvest(app, "harvested", "Harvested parks")
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return {d.slug: d.id for d in s.scalars(select(Dataset))}
