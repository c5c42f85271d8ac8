"""The catalog's counts come from the search index, and stay what counting the database's rows gives (issue 15).

The home page (datasets, the star table), the publishers' list (each one's datasets and average stars) and a
publisher's page (its count, average and datasets) no longer count rows of the whole catalog: the search
index answers them. The database stays the source of truth: after each change the services make (create,
publish, withdraw, restore, move to another publisher, delete, new stars), every figure is compared with a
brute-force count of the rows, on SQLite and PostgreSQL. The DCAT pages, read from anchors instead of an
OFFSET (app/export/paging.py), are compared with the rows in slug order the same way.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import rdflib
from rdflib.namespace import RDF
from sqlalchemy import func, select

from app.export import paging
from app.services import datasets as ds_service
from catalog_schema import search
from catalog_schema.models import Dataset, Publisher
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import to_record
from tests.support.accounts import acting_as, make_user

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
ADMIN = "admin@counts.example"


@pytest.fixture
def admin(app):
    make_user(app, ADMIN, sysadmin=True)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        for slug in ("dept-a", "dept-b", "dept-c", "dept-empty"):
            s.add(Publisher(slug=slug, name={"en": slug.title(), "zh": slug}))
        s.commit()
    return ADMIN


def _create(app, slug: str, pub: str, stars: int | None = None) -> str:
    """A dataset published through the services (a CKAN package_create), with `stars` as an assessment leaves."""
    with acting_as(app, ADMIN) as (actor, s):
        publisher = s.scalar(select(Publisher).where(Publisher.slug == pub))
        rec = new_record(slug=slug, title={"en": slug.replace("-", " ")}, license="CC-BY-4.0",
                         distributions=[new_distribution(title={"en": "Table"}, format="CSV",
                                                         download_url=f"http://127.0.0.1:9/{slug}.csv")])
        ds = ds_service.save_package(actor, rec, publisher=publisher)
        ds.stars = stars
        s.commit()
        return ds.id


def _change(app, slug: str, what: str, arg=None) -> None:
    with acting_as(app, ADMIN) as (actor, s):
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        if what == "withdraw":
            ds_service.withdraw(actor, ds, reason="replaced")
        elif what == "restore":
            ds_service.restore(actor, ds)
        elif what == "delete":
            ds_service.delete(actor, ds)
        elif what == "move":  # to another publisher, as a CKAN package_update with another owner_org does
            ds_service.save_package(actor, to_record(ds), dataset=ds,
                                    publisher=s.scalar(select(Publisher).where(Publisher.slug == arg)))
        elif what == "stars":
            ds.stars = arg
        s.commit()


def _truth(session) -> tuple[dict[str, tuple[int, float | None]], dict[int | None, int]]:
    """By brute force in the database: each publisher's active datasets and average stars, and the active
    datasets per stars."""
    session.expire_all()
    active = (Dataset.publisher_id == Publisher.id) & (Dataset.state == "active")
    per_pub = {slug: (n, None if avg is None else float(avg)) for slug, n, avg in session.execute(
        select(Publisher.slug, func.count(Dataset.id), func.avg(Dataset.stars)).outerjoin(Dataset, active)
        .group_by(Publisher.slug))}
    stars = dict(session.execute(select(Dataset.stars, func.count()).where(Dataset.state == "active")
                                 .group_by(Dataset.stars)).all())
    return per_pub, stars


def _check(client, session) -> None:
    per_pub, stars = _truth(session)
    # the index's answers
    stats = search.publisher_stats(session)
    for slug, (n, avg) in per_pub.items():
        got = stats.get(slug, search.PublisherStats(0, 0, 0))
        assert got.datasets == n, (slug, got, n)
        assert (got.average is None) == (avg is None) and (avg is None or abs(got.average - avg) < 1e-9), (slug, got)
    assert set(stats) <= set(per_pub)
    # the home page
    home = client.get("/?lang=en").get_data(as_text=True)
    assert f'id="count-datasets">{sum(stars.values())}<' in home
    assert f'id="count-publishers">{len(per_pub)}<' in home
    table = home.split('id="star-distribution"')[1].split("</table>")[0]
    cells = [int(n) for n in re.findall(r"</th><td>(\d+)</td>", table)]
    assert cells == [stars.get(n, 0) for n in range(6)] + [stars.get(None, 0)]
    # the publishers' list
    listed = client.get("/publisher?lang=en").get_data(as_text=True)
    rows = {slug: (int(n), avg) for slug, n, avg in re.findall(
        r'href="/publisher/([^"]+)">.*?</th><td>(\d+)</td><td>([^<]*)</td>', listed)}
    # two decimals, as the publisher's page, the dashboard and the weekly report (it read 2.8 where they said 2.83)
    assert rows == {slug: (n, "—" if avg is None else f"{avg:.2f}") for slug, (n, avg) in per_pub.items()}
    # each publisher's page: its count, its average, its datasets (most stars first, the unassessed last)
    for slug, (n, avg) in per_pub.items():
        page = client.get(f"/publisher/{slug}?lang=en").get_data(as_text=True)
        assert f'id="publisher-count">{n}<' in page, slug
        assert f'id="publisher-average">{"not assessed yet" if avg is None else f"{avg:.2f}"}<' in page, slug
        mine = session.execute(select(Dataset.slug, Dataset.stars).join(Publisher).where(
            Publisher.slug == slug, Dataset.state == "active")).all()
        wanted = [s for s, _ in sorted(mine, key=lambda r: (r[1] is None, -(r[1] or 0), r[0]))]
        shown = re.findall(r'href="/dataset/([^"/?]+)"', page.split('id="activity-h"')[0])
        assert list(dict.fromkeys(shown)) == wanted, slug


def test_counts_follow_every_change_the_services_make(app, client, session, admin):
    for i, (pub, stars) in enumerate([("dept-a", 3), ("dept-a", 5), ("dept-a", None), ("dept-a", 0),
                                      ("dept-b", 2), ("dept-b", None), ("dept-b", 4)]):
        _create(app, f"data-{i}", pub, stars)
    _check(client, session)
    _create(app, "data-new", "dept-b", 1)  # created
    _check(client, session)
    _change(app, "data-1", "withdraw")
    _check(client, session)
    _change(app, "data-0", "move", "dept-c")  # to another publisher
    _check(client, session)
    _change(app, "data-1", "restore")
    _change(app, "data-2", "stars", 4)  # assessed at last
    _check(client, session)
    _change(app, "data-4", "delete")
    _change(app, "data-0", "move", "dept-a")
    _check(client, session)
    for i in range(7):  # a publisher whose every dataset is withdrawn counts none
        if session.scalar(select(Dataset.state).where(Dataset.slug == f"data-{i}")) == "active":
            _change(app, f"data-{i}", "withdraw")
    _check(client, session)


def test_publisher_stats_sees_every_publisher_of_a_many_segment_index(app, client, session, admin):
    """Each change a commit of its own: the index holds many small segments, and every publisher's count is
    still exact (the aggregation asks every segment for every publisher)."""
    for i in range(24):
        _create(app, f"many-{i:02d}", ("dept-a", "dept-b", "dept-c")[i % 3], i % 6)
    _check(client, session)


# --------------------------------------------------------------------------- the DCAT pages


def _page_slugs(client, url: str) -> tuple[list[str], int, str | None]:
    graph = rdflib.Graph().parse(data=client.get(url).data, format="turtle")
    page = next(graph.subjects(RDF.type, rdflib.URIRef("http://www.w3.org/ns/hydra/core#PagedCollection")))
    hydra = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
    nxt = graph.value(page, hydra.next)
    slugs = sorted(str(s).rsplit("/", 1)[1] for s in graph.subjects(RDF.type, DCAT.Dataset))
    nxt_path = None
    if nxt is not None:
        parts = urlsplit(str(nxt))
        nxt_path = parts.path + "?" + parts.query
    return slugs, int(graph.value(page, hydra.totalItems)), nxt_path


def _active_slugs(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(Dataset.slug).where(Dataset.state == "active").order_by(Dataset.slug)))


@pytest.fixture
def anchored(monkeypatch):
    """Anchors every 2 datasets, used from the first page on, read again at once after a change."""
    paging.forget()
    monkeypatch.setattr(paging, "ANCHOR_STEP", 2)
    monkeypatch.setattr(paging, "SMALL_OFFSET", 0)
    monkeypatch.setattr(paging, "REFRESH_SECONDS", 0.0)
    yield
    paging.forget()


def test_dcat_pages_read_from_anchors_are_the_rows_in_slug_order(app, client, session, admin, anchored):
    for i in range(11):
        _create(app, f"cat-{(i * 7) % 11:02d}", "dept-a")
    for change in (None, ("cat-03", "withdraw"), ("new", "cat-005"), ("cat-00", "delete"), ("cat-03", "restore")):
        if change is not None:
            if change[0] == "new":
                _create(app, change[1], "dept-b")
            else:
                _change(app, change[0], change[1])
        truth = _active_slugs(session)
        for per_page in (2, 3, 4):  # pages of whole anchor ranges, and pages that start between two anchors
            pages = -(-len(truth) // per_page)
            for n in range(1, pages + 1):
                slugs, total, _ = _page_slugs(client, f"/catalog.ttl?page={n}&per_page={per_page}")
                assert total == len(truth)
                assert slugs == truth[(n - 1) * per_page:n * per_page], (change, per_page, n)
            assert client.get(f"/catalog.ttl?page={pages + 1}&per_page={per_page}").status_code == 404


def test_dcat_pages_between_a_change_and_the_next_anchors(app, client, session, admin, anchored, monkeypatch):
    """Anchors read before datasets were added and withdrawn, and not read again yet (REFRESH_SECONDS): a page
    still holds per_page active datasets in slug order (the last one fewer); once the anchors are read again
    (the catalog changed and they are old enough, or older than MAX_AGE_SECONDS whatever changed), the pages
    are exact."""
    for i in range(12):
        _create(app, f"walk-{i:02d}", "dept-a")
    assert _page_slugs(client, "/catalog.ttl?page=1&per_page=4")[0] == _active_slugs(session)[:4]
    monkeypatch.setattr(paging, "REFRESH_SECONDS", 10**9)  # the anchors read above stay
    for slug in ("walk-00a", "walk-05a", "walk-05b", "walk-99"):
        _create(app, slug, "dept-b")
    _change(app, "walk-07", "withdraw")
    truth = _active_slugs(session)
    for n in range(1, 5):
        slugs, total, _ = _page_slugs(client, f"/catalog.ttl?page={n}&per_page=4")
        assert total == len(truth) == 15
        assert (len(slugs) == 4 if n < 4 else 1 <= len(slugs) <= 3) and set(slugs) <= set(truth)
        assert slugs == [s for s in truth if s >= slugs[0]][:len(slugs)]  # consecutive in slug order
    monkeypatch.setattr(paging, "MAX_AGE_SECONDS", 0.0)  # too old: read again, whatever the change number says
    for n in range(1, 5):
        assert _page_slugs(client, f"/catalog.ttl?page={n}&per_page=4")[0] == truth[4 * (n - 1):4 * n]
