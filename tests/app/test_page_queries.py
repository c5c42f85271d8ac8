"""Pages cost a fixed number of SQL statements, whatever the size of the catalog (issue 15 item 2).

Every SQL statement a request sends is counted (SQLAlchemy's `before_cursor_execute` on the app's engine).
Each page kind is requested on a catalog of 3 datasets and again after it grew to 30 (more publishers,
more distributions, more assessments, more downloads): the counts must be equal and small. Statements sent
inside `catalog_schema.search.search` are counted apart (the search engine is its own concern); the
page's own statements are the ones held to the limit.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from sqlalchemy import event, select

from app.assessment import assess_datasets
from app.services.usage import record_usage
from catalog_schema import search
from catalog_schema.models import Dataset
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import add_audit_event, save_record, to_record

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
CSV = "year,passengers,line\n" + "".join(f"{2000 + i},{1000 + i * 7},L{i % 4}\n" for i in range(20))
PUBLISHERS_PER = 2  # one publisher for every two datasets: the publisher list grows too, and even the
#                    smallest catalog has related datasets of another publisher

# The most statements a page of each kind may send outside the search engine (SQLite and PostgreSQL).
LIMITS = {
    "home": 6,  # the dataset and star counts from the search index; the shown datasets' latest findings (one:
    #             personal data outside a table keeps a dataset off the page)
    "search": 3,
    "search-filtered": 3,
    "dataset": 10,  # the file versions kept; its activity (two); the related datasets (one: the index ranks them);
    #                 the past scores (five columns a row) and the latest assessment whole (two)
    "publishers": 1,  # each one's datasets and stars from the search index
    "publisher": 5,  # its activity: two (the audit log and the harvest records, app/activity.py); its datasets,
    #                  their count and stars from the search index
    "themes": 0,
    "theme": 3,
    # the officials' pages (issue 17 item 3): every figure from a fixed set of statements; the league table's
    # personal-data count reads the files' facts as fix-first does (one)
    "dashboard": 14,
    "dashboard-publisher": 11,  # and its datasets not assessed yet, listed after the assessed ones (one)
    "finding": 2,
    "weekly": 2,
    "weekly-week": 2,
    "weekly-report": 1,
    "weekly-publisher": 2,
}


class StatementCounter:
    """The SQL statements an engine sends, split into those sent inside the search engine and the rest."""

    def __init__(self, engine, monkeypatch):
        self.page: list[str] = []
        self.in_search: list[str] = []
        self._depth = 0
        event.listen(engine, "before_cursor_execute", self._seen)
        self._engine = engine
        for name in ("search", "publisher_stats"):  # what the search engine answers
            monkeypatch.setattr(search, name, self._counted(getattr(search, name)))

    def _counted(self, real):
        def counted(*args, **kwargs):
            self._depth += 1
            try:
                return real(*args, **kwargs)
            finally:
                self._depth -= 1

        return counted

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        (self.in_search if self._depth else self.page).append(statement)

    @contextlib.contextmanager
    def counting(self):
        self.page, self.in_search = [], []
        yield self

    def close(self):
        event.remove(self._engine, "before_cursor_execute", self._seen)


@pytest.fixture
def counter(app, monkeypatch):
    c = StatementCounter(app.extensions["opendata"]["engine"], monkeypatch)
    yield c
    c.close()


def _grow(runtime, base_url: str, start: int, stop: int) -> list[str]:
    """Datasets start..stop-1: two files each (served by a local server, downloaded and assessed), shared
    keywords and themes (so every dataset has related ones), a publisher for every two, downloads."""
    with runtime.sessionmaker() as session:
        ids = []
        for i in range(start, stop):
            pub = i // PUBLISHERS_PER
            rec = new_record(
                slug=f"bus-data-{i:03d}", title={"en": f"Bus passengers {i}", "zh": f"公交客运量 {i}"},
                description={"en": "Passengers per year on each bus line."}, license="CC-BY-4.0",
                keywords=["bus", f"line-{i % 5}", f"kw-{i}"], themes=["TRAN", "ECON"] if i % 2 else ["TRAN"],
                publisher={"slug": f"dept-{pub:02d}", "name": {"en": f"Department {pub}"}},
                distributions=[new_distribution(title={"en": f"Table {i}"}, format="CSV",
                                                download_url=base_url + f"table-{i}.csv"),
                               new_distribution(title={"en": f"Copy {i}"}, format="CSV",
                                                download_url=base_url + f"copy-{i}.csv")])
            ds, _ = save_record(session, rec)
            search.index_dataset(session, ds)
            ids.append(ds.id)
            # a history that grows with the catalog: the Activity sections read it
            session.flush()
            for before, after in ((None, "active"), ("active", "active")):
                add_audit_event(session, action="publish.update", object_type="dataset", object_id=ds.id,
                                publisher_id=ds.publisher_id, before=before and {"state": before},
                                after={**to_record(ds), "state": after}, detail={})
        session.commit()
    assess_datasets(runtime, ids, now=NOW)
    with runtime.sessionmaker() as session:
        for n, dataset_id in enumerate(ids):
            record_usage(session, dataset_id, "download", n=n + 1)
        session.commit()
    return ids


PAGES = {
    "home": "/",
    "search": "/dataset",
    "search-filtered": "/dataset?q=bus&theme=TRAN&format=CSV&sort=-modified",
    "dataset": "/dataset/bus-data-001",
    "publishers": "/publisher",
    "publisher": "/publisher/dept-00",
    "themes": "/theme",
    "theme": "/theme/TRAN",
    "dashboard": "/dashboard",
    "dashboard-publisher": "/dashboard/publisher/dept-00",
    "finding": "/dashboard/finding/no-uris",
    "weekly": "/dashboard/weekly",
    "weekly-week": "/dashboard/weekly/2026-W48",
    "weekly-report": "/dashboard/weekly/2026-W48/dept-00",
    "weekly-publisher": "/dashboard/publisher/dept-00/weekly",
}


def _weekly_reports(runtime) -> None:
    """The weekly evaluation of the week the datasets were assessed in, for every publisher there is now."""
    from app.services.weekly import evaluate_week

    with runtime.sessionmaker() as session:
        evaluate_week(session, "2026-W48", now=NOW)
        session.commit()


def _measure(client, counter, runtime) -> dict[str, tuple[int, int]]:
    # The index looks for other processes' changes once a refresh period has passed: a statement more whenever
    # the period ends between the warm request and the counted one (seen on a loaded machine). Nothing else
    # writes here, and this process's own changes are caught up at once, so the periodic look is off.
    with runtime.sessionmaker() as session:
        search.index_for(session).refresh = 10**9
    out = {}
    for kind, url in PAGES.items():
        client.get(url + ("&" if "?" in url else "?") + "lang=en")  # warm: the first request loads what is loaded once
        with counter.counting():
            resp = client.get(url)
        assert resp.status_code == 200, (kind, resp.status_code)
        out[kind] = (len(counter.page), len(counter.in_search))
    return out


def test_pages_send_a_fixed_number_of_statements(app, client, counter, runtime, local_server, capsys):
    for i in range(30):
        local_server.add_bytes(f"/table-{i}.csv", CSV.encode(), content_type="text/csv")
        local_server.add_bytes(f"/copy-{i}.csv", CSV.encode(), content_type="text/csv")
    base = local_server.url("/")
    _grow(runtime, base, 0, 3)
    _weekly_reports(runtime)
    small = _measure(client, counter, runtime)
    _grow(runtime, base, 3, 30)
    _weekly_reports(runtime)
    with runtime.sessionmaker() as session:
        assert session.query(Dataset).count() == 30
        assert len(session.scalars(select(Dataset.publisher_id).distinct()).all()) == 15
    large = _measure(client, counter, runtime)
    with capsys.disabled():
        print("\nstatements per page (page's own, inside search) at 3 and 30 datasets:")
        for kind in PAGES:
            print(f"  {kind:16} {small[kind]} -> {large[kind]}")
    grew = {k: (small[k], large[k]) for k in PAGES if small[k][0] != large[k][0]}
    assert not grew, f"statements grow with the catalog: {grew}"
    over = {k: large[k][0] for k in PAGES if large[k][0] > LIMITS[k]}
    assert not over, f"more statements than allowed ({LIMITS}): {over}"
    search_grew = {k: (small[k][1], large[k][1]) for k in PAGES if small[k][1] != large[k][1]}
    assert not search_grew, f"search statements grow with the catalog: {search_grew}"
