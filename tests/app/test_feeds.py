"""Atom feeds of new, changed and withdrawn datasets, read with a real feed parser (feedparser)."""

from __future__ import annotations

import io

import feedparser
from defusedxml import ElementTree

from app.services import datasets, distributions, lifecycle
from app.services.context import Actor, Runtime
from catalog_schema.models import User
from tests.support.accounts import make_user
from tests.support.personal import csv_bytes

ATOM = "{http://www.w3.org/2005/Atom}"
TABLE = csv_bytes(["站点", "人数"], [["人民广场", "12"], ["东港站", "7"]])


def _actor(app, fn) -> None:
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        with factory() as s:
            user = s.query(User).filter_by(email="editor@a.example").one()
            fn(Actor(s, user, "test", runtime=runtime, lang="en"), s)
            s.commit()
    finally:
        runtime.close()


def _make(app, slug: str, title: str, theme: str = "TRAN") -> None:
    def run(actor, s):
        ds = datasets.create(actor, "agency-a", {"title": {"en": title, "zh": f"{title}（中文）"},
                                                 "description": f"About {title}", "license": "CC-BY-4.0",
                                                 "themes": [theme]}, slug=slug)
        distributions.add_upload(actor, ds, io.BytesIO(TABLE), f"{slug}.csv")
        datasets.publish(actor, ds)
    _actor(app, run)


def _withdraw(app, slug: str) -> None:
    _actor(app, lambda actor, s: datasets.withdraw(actor, lifecycle.find(s, slug)[0], reason="replaced"))


def _parse(client, url: str):
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml", (url, resp.status_code)
    feed = feedparser.parse(resp.data)
    assert not feed.bozo, feed.get("bozo_exception")  # well-formed, and feedparser found nothing wrong
    assert feed.version == "atom10"
    ElementTree.fromstring(resp.data)  # and a safe XML parser reads it too
    return feed


def test_the_site_feed_lists_new_changed_and_withdrawn_datasets_newest_first(app, client):
    make_user(app, "editor@a.example", editor_of="agency-a")
    _make(app, "bus-stops", "Bus stops")
    _make(app, "air", "Air quality", theme="ENVI")
    _withdraw(app, "bus-stops")
    feed = _parse(client, "/feeds/dataset.atom?lang=en")
    titles = [e.title for e in feed.entries]
    assert titles == ["Withdrawn: Bus stops", "Air quality"]  # the withdrawal is the newest change
    bus = feed.entries[0]
    assert bus.link.endswith("/dataset/bus-stops") and "withdrawn" in bus.summary
    assert feed.entries[1].author_detail.href.endswith("/publisher/agency-a")  # the publisher
    assert feed.feed.title.endswith("new and changed datasets")
    assert any(link.rel == "self" for link in feed.feed.links)
    zh = _parse(client, "/feeds/dataset.atom?lang=zh_CN")
    assert zh.entries[1].title == "Air quality（中文）" and zh.feed.title.startswith("开放数据")


def test_publisher_theme_and_search_feeds_hold_only_their_datasets(app, client):
    make_user(app, "editor@a.example", editor_of="agency-a")
    _make(app, "bus-stops", "Bus stops")
    _make(app, "air", "Air quality", theme="ENVI")
    assert [e.title for e in _parse(client, "/feeds/group/ENVI.atom?lang=en").entries] == ["Air quality"]
    assert len(_parse(client, "/feeds/organization/agency-a.atom?lang=en").entries) == 2
    found = _parse(client, "/feeds/custom.atom?q=bus&lang=en")
    assert [e.title for e in found.entries] == ["Bus stops"]
    assert [e.title for e in _parse(client, "/feeds/custom.atom?fq=groups:ENVI&lang=en").entries] == ["Air quality"]
    assert _parse(client, "/feeds/custom.atom?q=nothing-matches-this").entries == []
    assert client.get("/feeds/organization/nobody.atom").status_code == 404
    assert client.get("/feeds/group/NOPE.atom").status_code == 404
    # the group's name as CKAN's group_list gives it (envi) is the same feed
    assert [e.title for e in _parse(client, "/feeds/group/envi.atom?lang=en").entries] == ["Air quality"]
    assert client.get("/feeds/custom.atom?fq=metadata_modified:[bad").status_code == 400
    refused = client.get("/feeds/custom.atom?fq=name:x", headers={"Accept-Language": "zh-CN"})
    error = refused.get_json()["error"]  # the API's error shape, in the reader's language (English text before)
    assert refused.status_code == 400 and error["code"] == "bad-request" and "无法读取 q 或 fq：" in error["message"]


def test_pages_name_their_feed(app, client):
    make_user(app, "editor@a.example", editor_of="agency-a")
    _make(app, "air", "Air quality", theme="ENVI")
    feed = '<link rel="alternate" type="application/atom+xml" href="{}"'
    assert feed.format("/feeds/dataset.atom") in client.get("/?lang=en").get_data(as_text=True)
    assert feed.format("/feeds/organization/agency-a.atom") in client.get("/publisher/agency-a").get_data(as_text=True)
    assert feed.format("/feeds/group/ENVI.atom") in client.get("/theme/ENVI").get_data(as_text=True)


def test_an_entry_keeps_its_id_when_its_dataset_is_renamed(app, client):
    """RFC 4287 4.2.6: an entry's atom:id never changes. It held the dataset's URL, so a rename made feed readers
    show the dataset as a new entry beside the old one; the link follows the new address."""
    make_user(app, "editor@a.example", editor_of="agency-a")
    _make(app, "bus-stops", "Bus stops")
    before = _parse(client, "/feeds/dataset.atom?lang=en").entries[0]
    _actor(app, lambda actor, s: datasets.rename(actor, lifecycle.find(s, "bus-stops")[0], "bus-stops-2026"))
    after = _parse(client, "/feeds/dataset.atom?lang=en").entries[0]
    assert after.id == before.id and after.id.startswith("urn:uuid:")
    assert after.link.endswith("/dataset/bus-stops-2026") and before.link.endswith("/dataset/bus-stops")


def test_a_feed_cached_by_a_shared_cache_is_kept_per_language(app, client):
    """A feed's titles follow Accept-Language and it is `public` for minutes: without `Vary: Accept-Language` a
    proxy or CDN served the first reader's language to everyone."""
    make_user(app, "editor@a.example", editor_of="agency-a")
    _make(app, "bus-stops", "Bus stops")
    for path in ("/feeds/dataset.atom", "/feeds/organization/agency-a.atom", "/feeds/group/TRAN.atom",
                 "/feeds/custom.atom?q=bus"):
        zh = client.get(path, headers={"Accept-Language": "zh-CN"})
        en = client.get(path, headers={"Accept-Language": "en"})
        assert "public" in zh.headers["Cache-Control"]
        assert feedparser.parse(zh.data).entries[0].title != feedparser.parse(en.data).entries[0].title
        assert "Accept-Language" in zh.headers.get("Vary", ""), path


def test_a_feed_is_paged_as_rfc_5005_says(app, client, monkeypatch):
    """`?page=2` answered page 1 again, its self link saying page=2 and no next or previous link: a reader could not
    go past the newest entries. Pages of FEED_SIZE entries with first, previous, next and last links; a page past
    the last is a 404, a page that is no number a 400."""
    from app.export import feeds

    monkeypatch.setattr(feeds, "FEED_SIZE", 2)
    make_user(app, "editor@a.example", editor_of="agency-a")
    for n in range(3):
        _make(app, f"paged-{n}", f"Paged {n}")
    first = _parse(client, "/feeds/dataset.atom?lang=en")
    second = _parse(client, "/feeds/dataset.atom?lang=en&page=2")
    links = {link["rel"]: link["href"] for link in second.feed.links}
    assert len(first.entries) == 2 and len(second.entries) == 1
    assert not {e.id for e in first.entries} & {e.id for e in second.entries}
    assert links["previous"].endswith("/feeds/dataset.atom?lang=en") and "next" not in links
    assert links["first"] == links["previous"] and links["last"].endswith("page=2")
    assert {link["rel"]: link["href"] for link in first.feed.links}["next"].endswith("?lang=en&page=2")
    assert client.get("/feeds/dataset.atom?page=3").status_code == 404
    for bad in ("0", "x", "-1"):
        resp = client.get(f"/feeds/dataset.atom?page={bad}")
        assert resp.status_code == 400 and resp.get_json()["error"]["message"].startswith("page:"), bad
