"""The search index against the database it copies: stemming, exact facets (a brute-force count in Python over a
few hundred datasets), sorting and paging against Python's order, a rebuild that answers the same, an index in a
folder shared with a rebuild, and a change made in another process that this one sees.

Every database test runs on SQLite and on PostgreSQL. The two-server test is in tests/app/test_search_servers.py.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog_schema import search as S
from catalog_schema.models import Dataset
from catalog_schema.record import new_record
from catalog_schema.store import save_record

ROOT = Path(__file__).resolve().parents[2]

PUBLISHERS = [{"slug": f"pub-{i}", "name": {"en": f"Agency {i}", "zh": f"第{i}局"}} for i in range(7)]
FORMATS = ["CSV", "JSON", "XLSX", "PDF", "GeoJSON", "SHP"]
LICENCES = ["CC-BY-4.0", "CC0-1.0", "ODbL-1.0", None]
THEMES = ["TRAN", "ENVI", "ECON", "SOCI", "EDUC", "REGI", "HEAL"]
KEYWORDS = ["bus", "metro", "air", "water", "census", "budget", "公交", "交通", "人口", "教育", "roads", "taxi"]
WORDS = ["bus", "buses", "ridership", "quality", "traffic", "budget", "population", "station", "river", "school"]
CJK = ["北京市公共交通客运量", "空气质量", "人口普查", "道路交通流量", "财政预算", "公交车线路"]
PLACES = ["http://sws.geonames.org/1816670/", "http://sws.geonames.org/1796236/", "Hebei"]
N = 300


def _spec(rng: random.Random, n: int) -> dict:
    return {
        "slug": f"ds-{n:03d}-{rng.choice(['a', 'b', 'c'])}",
        "title": {"en": " ".join(rng.sample(WORDS, 2)).title() + f" {n}", "zh": rng.choice(CJK)},
        "description": {"en": " ".join(rng.sample(WORDS, 3))},
        "keywords": rng.sample(KEYWORDS, rng.randint(0, 3)) + (["bus"] if n % 17 == 0 else []),  # some twice
        "themes": rng.sample(THEMES, rng.randint(0, 2)),
        "license": rng.choice(LICENCES),
        "publisher": rng.choice(PUBLISHERS + [None]),
        "state": rng.choices(["active", "withdrawn", "draft"], [8, 1, 1])[0],
        "formats": rng.sample(FORMATS, rng.randint(0, 3)),
        "stars": rng.choice([None, 0, 1, 2, 3, 4, 5]),
        "modified": dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=rng.randint(0, 24 * 400)),
    }


@pytest.fixture
def many(snapshot, session) -> dict[str, dict]:
    """N datasets with seeded random facets; dataset id -> its spec (what a brute force counts from): made once
    per backend, a copy of them for each test."""
    return snapshot.once(lambda: _make_many(session))


def _make_many(session) -> dict[str, dict]:
    rng = random.Random(15)
    out = {}
    for n in range(N):
        sp = _spec(rng, n)
        dists = [{"download_url": f"http://127.0.0.1/{sp['slug']}.{f.lower()}", "format": f} for f in sp["formats"]]
        dists += [{"download_url": f"http://127.0.0.1/{sp['slug']}-2.csv", "format": "CSV"}] if n % 13 == 0 else []
        sp["places"] = PLACES[n % 3:n % 3 + 1 + n % 2] if n % 4 == 0 else []  # not drawn: rng's sequence stays
        ds, _ = save_record(session, new_record(
            slug=sp["slug"], title=sp["title"], description=sp["description"], keywords=sp["keywords"],
            themes=sp["themes"], license=sp["license"], publisher=sp["publisher"], state=sp["state"],
            spatial=sp["places"], distributions=dists))
        ds.stars, ds.score, ds.modified_at = sp["stars"], None if sp["stars"] is None else sp["stars"] * 20 - n % 7, \
            sp["modified"]
        sp["score"] = ds.score
        sp["formats"] = sp["formats"] + (["CSV"] if n % 13 == 0 else [])
        out[ds.id] = sp
    session.commit()
    return out


def _matches(sp: dict, f: dict) -> bool:
    if sp["state"] not in (("active", "withdrawn") if f.get("include_withdrawn") else ("active",)):
        return False
    pub = sp["publisher"]["slug"] if sp["publisher"] else None
    checks = [("publisher", lambda v: pub in v), ("format", lambda v: bool(set(sp["formats"]) & set(v))),
              ("licence", lambda v: sp["license"] in v), ("theme", lambda v: bool(set(sp["themes"]) & set(v))),
              ("keyword", lambda v: bool(set(sp["keywords"]) & set(v))), ("stars", lambda v: sp["stars"] in v)]
    for name, ok in checks:
        if f.get(name) and not ok(f[name]):
            return False
    if f.get("stars_min") is not None and (sp["stars"] is None or sp["stars"] < f["stars_min"]):
        return False
    return not (f.get("modified_since") and sp["modified"] < f["modified_since"])


def _brute_facets(specs: list[dict], limit: int) -> dict[str, list[tuple]]:
    counts = {name: Counter() for name in S.FACETS}
    for sp in specs:
        if sp["publisher"]:
            counts["publisher"][sp["publisher"]["slug"]] += 1
        counts["format"].update(set(sp["formats"]))
        if sp["license"]:
            counts["licence"][sp["license"]] += 1
        counts["theme"].update(set(sp["themes"]))
        counts["keyword"].update(set(sp["keywords"]))
        if sp["stars"] is not None:
            counts["stars"][sp["stars"]] += 1
    return {name: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:limit] for name, c in counts.items()}


def _shared(a: dict, b: dict) -> int:
    return (2 * len(set(a["keywords"]) & set(b["keywords"])) + len(set(a["themes"]) & set(b["themes"]))
            + len(set(a["places"]) & set(b["places"])))


def test_related_datasets_are_the_most_shared_of_all_matches(session, many):
    """`related` against a brute force over the whole catalog: for each dataset, the weights of what it gives are
    the best weights any active dataset of another publisher shares with it (a keyword 2, a theme or place 1),
    each weight is that dataset's true one, and nothing of its own publisher, itself, or a withdrawn or draft
    dataset is among them."""
    checked = 0
    for dataset_id, sp in sorted(many.items()):
        pub = sp["publisher"]["slug"] if sp["publisher"] else None
        others = {oid: _shared(sp, o) for oid, o in many.items()
                  if oid != dataset_id and o["state"] == "active"
                  and not (pub and o["publisher"] and o["publisher"]["slug"] == pub)}
        want = sorted((w for w in others.values() if w), reverse=True)[:5]
        got = S.related(session, dataset_id, pub, {"keyword": sp["keywords"], "theme": sp["themes"],
                                                   "place": sp["places"]}, 5)
        assert [w for _, w in got] == want, sp["slug"]
        assert all(others.get(oid) == w for oid, w in got), sp["slug"]
        checked += bool(want)
    assert checked > 200  # most datasets have related ones: the comparison is not empty


def test_related_datasets_searched_rare_values_first_are_those_of_the_whole_search(session, many, monkeypatch):
    """The search that scores first only the datasets sharing a rarer value gives exactly (ids, weights, order
    of ties) what one search over every match gives, whatever share makes a value common; and that first search
    is what answers many datasets (the fifth best shares more than the common values together weigh)."""
    def answers() -> dict[str, list]:
        return {dataset_id: S.related(session, dataset_id, sp["publisher"]["slug"] if sp["publisher"] else None,
                                      {"keyword": sp["keywords"], "theme": sp["themes"], "place": sp["places"]}, 5)
                for dataset_id, sp in many.items()}

    searcher = S.index_for(session).searcher(session)
    monkeypatch.setattr(S, "COMMON_SHARE", 10**9)  # no value is common: one search over every match
    whole = answers()
    answered_first = 0
    for share in (2, 3, 5, 8, 20):
        monkeypatch.setattr(S, "COMMON_SHARE", share)
        pruned = answers()
        assert pruned == whole, share
        for dataset_id, sp in many.items():
            values = [("keyword", v, 2) for v in sp["keywords"]] + [("theme", v, 1) for v in sp["themes"]] \
                + [("place", v, 1) for v in sp["places"]]
            common = [w for name, v, w in values if searcher.doc_freq(name, v) * share > searcher.num_docs]
            got = pruned[dataset_id]
            answered_first += 0 < len(common) < len(values) and len(got) == 5 and got[-1][1] > sum(common)
    assert answered_first >= 50, answered_first


def test_related_datasets_with_a_value_every_dataset_holds_are_those_of_the_whole_search(session, many,
                                                                                         monkeypatch):
    """A keyword every dataset holds adds the same weight to every match: the first search leaves it out and adds
    it back, and gives exactly what one search over every match gives; once a dataset loses it, it is scored
    again."""
    for ds in session.scalars(select(Dataset)):
        ds.keywords = [*ds.keywords, "everywhere"]
        many[ds.id]["keywords"] = list(ds.keywords)
    session.commit()

    def answers() -> dict[str, list]:
        return {dataset_id: S.related(session, dataset_id, sp["publisher"]["slug"] if sp["publisher"] else None,
                                      {"keyword": sp["keywords"], "theme": sp["themes"], "place": sp["places"]}, 5)
                for dataset_id, sp in many.items()}

    idx = S.index_for(session)
    searcher, view = idx.searcher_at(session)
    assert S._everyone_holds(idx, view, searcher, "keyword", "everywhere")
    assert not S._everyone_holds(idx, view, searcher, "keyword", "bus")
    monkeypatch.setattr(S, "COMMON_SHARE", 10**9)
    whole = answers()
    answered_first = 0
    for share in (2, 3, 5, 20):
        monkeypatch.setattr(S, "COMMON_SHARE", share)
        assert answers() == whole, share
        for dataset_id, sp in many.items():  # answered by the first search, "everywhere" left out of it
            values = [("keyword", v, 2) for v in sp["keywords"]] + [("theme", v, 1) for v in sp["themes"]] \
                + [("place", v, 1) for v in sp["places"]]
            common = [(n, v, w) for n, v, w in values if searcher.doc_freq(n, v) * share > searcher.num_docs]
            rest = sum(w for n, v, w in common if v != "everywhere")
            got = whole[dataset_id]
            answered_first += len(common) < len(values) and len(got) == 5 and got[-1][1] - 2 > rest
    assert answered_first >= 50, answered_first
    # an active dataset (a draft is not in the index; PostgreSQL returns rows in no set order)
    one = session.scalars(select(Dataset).where(Dataset.state == "active").order_by(Dataset.id)).first()
    one.keywords = [k for k in one.keywords if k != "everywhere"]
    many[one.id]["keywords"] = list(one.keywords)
    session.commit()
    searcher, view = idx.searcher_at(session)
    assert not S._everyone_holds(idx, view, searcher, "keyword", "everywhere")
    monkeypatch.setattr(S, "COMMON_SHARE", 10**9)
    whole = answers()
    monkeypatch.setattr(S, "COMMON_SHARE", 20)
    assert answers() == whole


def test_a_search_is_answered_again_from_memory_until_the_index_changes(session, many):
    """The same search twice: the second answer is the kept one (equal, and not the object the first caller
    got and changed); a change committed here is in the next answer."""
    idx = S.index_for(session)
    query = S.SearchQuery(q="bus", facets=list(S.FACETS), limit=10)
    first = S.search(session, query)
    _searcher, view = idx.searcher_at(session)
    assert idx.kept(view, repr(query)) == first
    first.ids.clear()
    first.facets["keyword"].append(("changed", 1))
    again = S.search(session, query)
    assert again.ids and ("changed", 1) not in again.facets["keyword"] and again == idx.kept(view, repr(query))
    assert idx.kept(view, repr(S.SearchQuery(q="bus", limit=10))) is None  # another search: its own entry

    target = next(i for i, sp in sorted(many.items()) if sp["state"] == "active" and "bus" not in sp["keywords"]
                  and "bus" not in sp["title"]["en"].lower() and "bus" not in sp["description"]["en"])
    session.get(Dataset, target).keywords = ["bus"]
    session.commit()
    after = S.search(session, query)
    assert after.total == again.total + 1 and idx.searcher_at(session)[1] > view


def test_a_rebuild_on_postgresql_first_takes_planner_statistics(session, many):
    """A catalog just copied or restored has no statistics, and the rebuild's batches were planned blind (391,139
    datasets: 146 s instead of 67 s): on PostgreSQL the rebuild ANALYZEs what it reads first (on a connection
    of its own, so the caller's transaction is left alone)."""
    from sqlalchemy import event

    sent: list[str] = []

    def spy(conn, cursor, statement, *args):
        sent.append(statement)

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", spy)
    try:
        assert S.index_for(session).rebuild(session) == sum(sp["state"] in S.INDEXED_STATES for sp in many.values())
    finally:
        event.remove(bind, "before_cursor_execute", spy)
    analyzed = [s for s in sent if s.startswith("ANALYZE")]
    wanted = ['ANALYZE "datasets", "distributions", "publishers"']
    assert analyzed == (wanted if bind.dialect.name == "postgresql" else [])
    assert S.search(session, S.SearchQuery(limit=0)).total == sum(sp["state"] == "active" for sp in many.values())


FILTERS = [
    {},
    {"include_withdrawn": True},
    {"publisher": ["pub-1", "pub-3"]},
    {"format": ["CSV"], "theme": ["TRAN", "ENVI"]},
    {"licence": ["CC-BY-4.0"], "keyword": ["bus", "公交"], "stars_min": 2},
    {"stars": [0, 5], "modified_since": dt.datetime(2025, 6, 1, tzinfo=dt.UTC)},
    {"publisher": ["pub-2"], "format": ["JSON", "PDF"], "licence": ["ODbL-1.0", "CC0-1.0"]},
]


def test_facets_and_totals_equal_a_brute_force_count(session, many):
    def check():
        for f in FILTERS:
            for limit in (3, 50):
                want = [sp for sp in many.values() if _matches(sp, f)]
                got = S.search(session, S.SearchQuery(**f, facets=list(S.FACETS), facet_limit=limit, limit=0))
                assert got.total == len(want), f
                assert got.facets == _brute_facets(want, limit), (f, limit)

    check()
    # Changes caught up in batches leave several segments (and deleted documents in the first): still exact.
    rng = random.Random(16)
    for _batch in range(3):
        for dataset_id in rng.sample(sorted(many), 25):
            ds = session.get(Dataset, dataset_id)
            ds.keywords = rng.sample(KEYWORDS, rng.randint(1, 3))
            many[dataset_id]["keywords"] = list(ds.keywords)
        session.commit()
        S.search(session, S.SearchQuery(limit=0))
    assert S.index_for(session).stats()["segments"] > 1
    check()


def test_text_query_facets_equal_a_brute_force_count(session, many):
    """交通 matches the titles holding that run and the keyword 交通; ids and facets as Python finds them."""
    for f in FILTERS[:4]:
        want = {i for i, sp in many.items()
                if _matches(sp, f) and ("交通" in sp["title"]["zh"] or "交通" in sp["keywords"])}
        got = S.search(session, S.SearchQuery(q="交通", **f, facets=list(S.FACETS), limit=1000))
        assert set(got.ids) == want and got.total == len(want), f
        assert got.facets == _brute_facets([many[i] for i in want], 50)


def _python_order(many: dict, key: str) -> list[str]:
    """The order a sort key gives, computed in Python: missing values last, ties by slug."""
    active = [i for i, sp in many.items() if sp["state"] == "active"]
    name, desc = key.lstrip("-"), key.startswith("-")
    value = {"title": lambda sp: sp["title"]["en"].lower(), "name": lambda sp: sp["slug"],
             "modified": lambda sp: sp["modified"], "stars": lambda sp: sp["stars"],
             "score": lambda sp: sp["score"]}[name]
    present = [i for i in active if value(many[i]) is not None]
    missing = [i for i in active if value(many[i]) is None]
    present.sort(key=lambda i: many[i]["slug"])
    present.sort(key=lambda i: value(many[i]), reverse=desc)  # stable: ties stay in slug order
    missing.sort(key=lambda i: many[i]["slug"])
    return present + missing


def test_sorting_and_paging_equal_python(session, many):
    for key in ("title", "-title", "name", "-name", "modified", "-modified", "stars", "-stars", "score", "-score"):
        want = _python_order(many, key)
        got = [i for page in range(1, 20) for i in S.search(session, S.SearchQuery(sort=key, limit=25, page=page)).ids]
        assert got == want, key
    ids = sorted(i for i, sp in many.items() if sp["state"] == "active")
    assert S.search(session, S.SearchQuery(sort="id", limit=1000)).ids == ids
    assert S.search(session, S.SearchQuery(sort="-id", offset=10, limit=30)).ids == ids[::-1][10:40]


def test_sorted_pages_of_any_size_and_offset_equal_python(session, many):
    """Pages of one and of seven datasets: every page boundary falls inside a group of ties somewhere, before
    and after (a group alone on its page, a group begun on the page before, one going on after it)."""
    for key in ("title", "-stars", "modified", "-score"):
        want = _python_order(many, key)
        for limit in (1, 7):
            got = [i for offset in range(0, len(want), limit)
                   for i in S.search(session, S.SearchQuery(sort=key, limit=limit, offset=offset, count=False)).ids]
            assert got == want, (key, limit)


def test_a_page_and_its_count_come_from_one_pass_and_equal_python(session, many):
    """Within the first thousand the total comes with the page (relevance or a sort key, any offset, a filter or
    none), and is the brute-force count; past the last result the page is empty and the total still right."""
    for f in FILTERS[:6]:
        want = [sp for sp in many.values() if _matches(sp, f)]
        for sort in ("title", "-stars", "modified", "name", None):
            for offset in (0, 7, len(want) - 1, len(want) + 3):
                got = S.search(session, S.SearchQuery(**f, sort=sort, limit=7, offset=max(offset, 0)))
                assert got.total == len(want), (f, sort, offset)
                assert len(got.ids) == max(0, min(7, len(want) - max(offset, 0))), (f, sort, offset)
    for word in ("bus", "交通"):
        full = S.search(session, S.SearchQuery(q=word, limit=1000))
        for offset in (0, 3):
            page = S.search(session, S.SearchQuery(q=word, limit=5, offset=offset))
            assert page.total == full.total and page.ids == full.ids[offset:offset + 5], (word, offset)


def test_latin_stemming(session, many):
    """busses and buses find bus (and the reverse); a fragment is no word: popul finds nothing once typed."""
    has = lambda word: {i for i, sp in many.items() if sp["state"] == "active" and word in  # noqa: E731
                        (sp["title"]["en"] + " " + sp["description"]["en"]).lower().split() + sp["keywords"]}
    bus = has("bus") | has("buses")
    assert bus and has("bus") != bus
    for q in ("busses ", "buses ", "bus ", "BUSES", "Busses"):
        assert set(S.search(session, S.SearchQuery(q=q, limit=1000)).ids) == bus, q
    assert S.search(session, S.SearchQuery(q="popul ", limit=1000)).ids == []
    assert set(S.search(session, S.SearchQuery(q="popul", limit=1000)).ids) == has("population")
    assert set(S.search(session, S.SearchQuery(q="stations", limit=1000)).ids) == has("station")


def _answers(session) -> list:
    queries = [S.SearchQuery(**f, q=q, facets=list(S.FACETS), sort=sort, limit=40)
               for f in FILTERS for q in ("", "交通", "bus", "quality 北京")
               for sort in (None, "title", "-stars")]
    return [(r.total, r.ids, r.facets) for r in (S.search(session, q) for q in queries)]


def test_rebuild_answers_the_same(session, many, tmp_path, db_url):
    in_memory = _answers(session)
    S.configure(db_url, tmp_path / "index")  # a folder: built from the database on first use
    try:
        first = _answers(session)
        generation = S.index_for(session).stats()["generation"]
        assert S.reindex_all(session, batch=37) == sum(sp["state"] in S.INDEXED_STATES for sp in many.values())
        again = _answers(session)
        assert S.index_for(session).stats()["generation"] != generation
        assert (tmp_path / "index" / "CURRENT").read_text() == S.index_for(session).stats()["generation"]
        assert [p.name for p in (tmp_path / "index").glob("gen-*")] != []
    finally:
        S.forget(db_url)
    assert first == in_memory and again == in_memory


def test_a_change_made_by_another_process_is_found(session, many, db_url, tmp_path):
    """Another process (another machine: its own index) withdraws and retitles datasets through the store;
    this process's index sees it within its refresh interval, without being told."""
    S.configure(db_url, tmp_path / "here", refresh=0.2)
    try:
        target = next(i for i, sp in many.items() if sp["state"] == "active")
        assert target in S.search(session, S.SearchQuery(limit=1000)).ids
        assert S.search(session, S.SearchQuery(q="zeppelin")).ids == []
        session.commit()  # end our read transaction: PostgreSQL and SQLite then show the other's commit
        script = (
            "import sys\n"
            "from catalog_schema import db\n"
            "from catalog_schema.models import Dataset\n"
            "s = db.make_sessionmaker(db.make_engine(sys.argv[1]))()\n"
            "ds = s.get(Dataset, sys.argv[2])\n"
            "ds.title = {'en': 'Zeppelin timetable'}\n"
            "s.commit()\n")
        subprocess.run([sys.executable, "-c", script, db_url, target], cwd=ROOT, check=True, timeout=120)
        import time

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = S.search(session, S.SearchQuery(q="zeppelin")).ids
            session.commit()
            if found:
                break
            time.sleep(0.1)
        assert found == [target]
    finally:
        S.forget(db_url)


def test_a_rolled_back_change_is_undone_in_the_index(session, many):
    target = next(i for i, sp in many.items() if sp["state"] == "active")
    ds = session.get(Dataset, target)
    ds.title = {"en": "Zeppelin timetable"}
    session.flush()
    assert S.search(session, S.SearchQuery(q="zeppelin")).ids == [target]  # our own transaction sees it
    session.rollback()
    assert S.search(session, S.SearchQuery(q="zeppelin")).ids == []
    assert session.scalar(select(Dataset.title).where(Dataset.id == target)) != {"en": "Zeppelin timetable"}


def test_a_page_far_past_the_end_is_empty(session, many):
    """tantivy holds offset + limit hits in memory: a page number from the web must not ask it for billions."""
    active = sum(sp["state"] == "active" for sp in many.values())
    for sort in (None, "name", "relevance"):
        for page in (10**3, 10**9, 2**62):
            result = S.search(session, S.SearchQuery(q="bus" if sort == "relevance" else "", sort=sort, page=page,
                                                     limit=1000))
            assert result.ids == [] and result.total == (active if sort != "relevance" else result.total)
        assert S.search(session, S.SearchQuery(sort=sort, offset=10**12, count=False)).ids == []


def test_a_typed_prefix_finds_what_python_finds_scored_as_the_regex_would(session, many):
    """The last word typed matches as a prefix (`po` finds population), in every field, Latin and CJK. The prefix
    query (a term of the field's edges, or a Levenshtein automaton of distance 0 for a longer prefix) matches what
    the regex `po.*` matches, with the same scores."""
    import re

    def want(prefix: str) -> set[str]:
        def words(sp):
            publisher = " ".join((sp["publisher"] or {"name": {}})["name"].values())
            text = " ".join([sp["title"]["en"], sp["description"]["en"], *sp["keywords"], publisher])
            return re.findall(r"[a-z0-9]+", text.lower())
        return {i for i, sp in many.items() if sp["state"] == "active" and any(w.startswith(prefix) for w in words(sp))}

    prefixes = sorted({w[:2] for w in WORDS})[:4]
    for prefix in prefixes:
        got = S.search(session, S.SearchQuery(q=prefix, limit=1000))
        assert want(prefix) and set(got.ids) == want(prefix) and got.total == len(want(prefix)), prefix
    index = S.index_for(session)
    searcher = index.searcher(session)
    cjk = {t for sp in many.values() for t in S.prepare_text(_chinese(sp))[1].split()[:2]}
    # beginnings held as terms (2 to PREFIX_CHARS Latin characters, one CJK character) and longer ones (automaton)
    longer = ["ridershi", "populatio", "population"]
    assert [len(t) > S.PREFIX_CHARS for t in longer] == [False, True, True]
    tokens = [*prefixes, "zz", *longer, *sorted(cjk)[:6], *sorted({t[0] for t in cjk})[:4]]
    assert any(not t.isascii() for t in tokens)
    for token in tokens:
        for field in (*S.FIELDS, *(f + "_cjk" for f in S.FIELDS)):
            regex = S.tantivy.Query.regex_query(index.schema, field, re.escape(token) + ".*")
            ours = S._prefix_query(index.schema, field, token)
            assert _scored(searcher, ours) == _scored(searcher, regex), (token, field)


def _chinese(sp) -> list[str]:
    return [sp["title"].get("zh", ""), sp["description"].get("zh", ""), *sp["keywords"]]


def _scored(searcher, query) -> list[tuple[float, int, int]]:
    hits = searcher.search(query, 100_000).hits
    return sorted((round(score, 6), address.segment_ord, address.doc) for score, address in hits)


def test_a_whole_word_led_by_its_stem_matches_and_scores_as_the_union_of_fields(session, many):
    """A whole Latin word is asked of the stem field, each field only scoring what that found: the same documents
    and scores as asking the five fields as one union (CKAN's `q` semantics unchanged), alone and within an AND.
    The scores are the same sums added in another order: equal to tantivy's float32 precision (a few units in
    the last place)."""
    Q, Occur = S.tantivy.Query, S.tantivy.Occur
    index = S.index_for(session)
    searcher = index.searcher(session)
    schema = index.schema

    def union(word: str) -> S.tantivy.Query:
        should = [Q.boost_query(Q.term_query(schema, f, word, index_option="freq"), S.BOOSTS[f]) for f in S.FIELDS]
        should.append(Q.boost_query(Q.term_query(schema, "stem", S.stem(word), index_option="freq"), S.STEM_BOOST))
        return Q.boolean_query([(Occur.Should, q) for q in should])

    def same(ours, want, what) -> None:
        got, expected = _by_address(searcher, ours), _by_address(searcher, want)
        assert expected and got.keys() == expected.keys(), what
        assert all(math.isclose(got[a], expected[a], rel_tol=1e-6) for a in got), what
        ranked = [got[a.segment_ord, a.doc] for _, a in searcher.search(ours, 1000).hits]
        assert ranked == sorted(ranked, reverse=True)

    latin = sorted({w for w in [*WORDS, *KEYWORDS] if w.isascii()})
    words = [*latin, "busses", "stations", "schools", "agency"]  # stems only, and the publishers' names
    active = Q.term_query(schema, "state", "active")
    stemmed_only = 0
    for word in words:
        term = S.parse_query(word + " ")[0]
        assert not term.prefix and term.tokens == (word,)
        ours = S._term_query(schema, searcher, term)
        same(ours, union(word), word)
        same(S._and(ours, active), S._and(union(word), active), word)
        exact = sum(searcher.search(Q.term_query(schema, f, word), 1, True).count for f in S.FIELDS)
        stemmed_only += exact == 0
    assert stemmed_only >= 2  # busses, stations ... found through the stem alone
    for a, b in [("bus", "station"), ("quality", "river"), ("buses", "school")]:
        ours = [S._term_query(schema, searcher, S.parse_query(w + " ")[0]) for w in (a, b)]
        same(S._and(*ours, active), S._and(union(a), union(b), active), (a, b))


def _by_address(searcher, query) -> dict[tuple[int, int], float]:
    return {(address.segment_ord, address.doc): score for score, address in searcher.search(query, 100_000).hits}
