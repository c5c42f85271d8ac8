"""The SQL search the tantivy index replaced (catalog_schema/search.py before migration 0004), kept as the peer of
bench/search.py: full-text search with facets and sorting, on SQLite FTS5 and on PostgreSQL, behind the same
interface. Its tables are created by `create_tables` (migration 0004 dropped them from the catalog's schema).

Why the text is prepared in Python: neither backend splits Chinese into words
(whitespace tokenizers keep a whole sentence as one token; SQLite's trigram
tokenizer and pg_trgm do not match two-character words such as 交通). So the same
pure function prepares text for both backends (docs/architecture.md):

- Latin (and any other space-separated script) words stay whole: NFKC, case-folded,
  Latin diacritics removed, split on anything that is not a letter or digit.
- A run of CJK characters becomes its overlapping bigrams, plus the run's last
  character alone (北京市公交 -> 北京 京市 市公 公交 交). Every character of a run is then
  the first character of some indexed token, so a one-character query is a prefix
  query (交*) that finds it wherever it stands; a one-character run is indexed as
  itself. The trailing unigram also breaks phrase matching across two runs.
- CJK tokens go to columns of their own (SQLite) so a query bigram is only looked
  up where bigrams are; a CJK query run becomes the phrase of its bigrams, which
  matches exactly the documents that contain that run as a substring.

SQLite: FTS5 table `search_fts` (unicode61, remove_diacritics 2) with a Latin and a
CJK column per field, bm25 with field weights for relevance. PostgreSQL:
`search_docs.doc`, a tsvector built by to_tsvector('simple', ...) over the
prepared text, weighted A-D per field, ts_rank for relevance. Both live in
migration 0002, outside the models.

The index holds active and withdrawn datasets (so `include_withdrawn` also works
for text queries); drafts and deleted ones are removed. Call `index_dataset`
after `save_record`.

Query text never reaches either engine's query syntax: it is cut into the same
tokens as the documents, each quoted, so `"`, `*`, `NEAR(`, `OR`, `'` or SQL are
plain words or nothing at all.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    Select,
    String,
    bindparam,
    case,
    func,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from catalog_schema.models import Dataset, Distribution, Publisher

# ---------------------------------------------------------------------------
# Text preparation (pure; shared by both backends, for documents and queries)
# ---------------------------------------------------------------------------

# Han (with extensions and compatibility ideographs), radicals, kana, bopomofo,
# Hangul, and the ideographic iteration/zero marks 々〆〇.
_CJK_RANGES = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\u1100-\u11ff\U00020000-\U0003134f"
)
_TOKEN = re.compile(rf"(?P<cjk>[{_CJK_RANGES}]+)|(?P<word>[^\W_{_CJK_RANGES}]+)")
# Latin-script combining marks only: kana voicing marks (U+3099/309A) and the like must survive.
_DIACRITIC = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

MAX_TOKEN_CHARS = 60  # longer words are cut (index and query alike); PostgreSQL drops > 2 KB lexemes
MAX_FIELD_CHARS = 200_000  # bound the work (and tsvector size, 1 MB max) per field
MAX_QUERY_TERMS = 32
MAX_QUERY_RUN = 32  # a CJK query run longer than this is cut: its phrase would match no better

FIELDS = ("title", "keywords", "publisher", "description")
FTS_COLUMNS = tuple(c for f in FIELDS for c in (f, f + "_cjk"))
_FTS_LATIN = " ".join(FIELDS)
_FTS_CJK = " ".join(f + "_cjk" for f in FIELDS)
# bm25 weights per FTS column, and PostgreSQL weight classes per field: title first.
_BM25_WEIGHTS = {"title": 10.0, "keywords": 5.0, "publisher": 3.0, "description": 1.0}
_PG_WEIGHT = {"title": "A", "keywords": "B", "publisher": "C", "description": "D"}


def fold(text_: str) -> str:
    """Compatibility-normalised, case-folded, without Latin diacritics (Müller -> muller, ＡＢＣ -> abc)."""
    norm = unicodedata.normalize("NFKC", text_).casefold()
    return unicodedata.normalize("NFC", _DIACRITIC.sub("", unicodedata.normalize("NFKD", norm)))


def _pieces(text_: str) -> Iterable[tuple[str, str]]:
    """("word", w) and ("cjk", run) pieces of folded text, in order."""
    for m in _TOKEN.finditer(fold(text_)):
        if m.group("word"):
            yield "word", m.group("word")[:MAX_TOKEN_CHARS]
        else:
            yield "cjk", m.group("cjk")


def cjk_tokens(run: str) -> list[str]:
    """Overlapping bigrams of a CJK run plus its last character alone."""
    return [run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]] if run else []


def prepare_text(texts: Iterable[str]) -> tuple[str, str]:
    """(Latin words, CJK tokens) of some texts, each space-separated, ready for either index."""
    words: list[str] = []
    grams: list[str] = []
    for t in texts:
        if not isinstance(t, str) or not t:
            continue
        for kind, piece in _pieces(t[:MAX_FIELD_CHARS]):
            if kind == "word":
                words.append(piece)
            else:
                grams.extend(cjk_tokens(piece))
    return " ".join(words), " ".join(grams)


@dataclass(frozen=True)
class Term:
    """One query term: a whole word, a CJK phrase of bigrams, or a prefix."""

    tokens: tuple[str, ...]
    cjk: bool
    prefix: bool = False


def parse_query(q: str) -> list[Term]:
    """Terms of a user's query, all of which a document must match (AND).

    The last Latin word of at least two characters matches as a prefix (type-ahead);
    a one-character CJK term matches as a prefix of the indexed tokens.
    """
    terms: list[Term] = []
    for kind, piece in _pieces((q or "")[:10 * MAX_QUERY_TERMS * MAX_TOKEN_CHARS]):
        if kind == "word":
            term = Term((piece,), cjk=False)
        else:
            run = piece[:MAX_QUERY_RUN]
            term = Term((run,), cjk=True, prefix=True) if len(run) == 1 else Term(tuple(cjk_tokens(run)[:-1]), True)
        if term not in terms:
            terms.append(term)
        if len(terms) >= MAX_QUERY_TERMS:
            break
    latin = [i for i, t in enumerate(terms) if not t.cjk]
    if latin and terms[latin[-1]] is terms[-1] and len(terms[-1].tokens[0]) >= 2 and _ends_in_word(q):
        terms[-1] = Term(terms[-1].tokens, cjk=False, prefix=True)
    return terms


def _ends_in_word(q: str) -> bool:
    """Prefix matching only while the user is still typing the last word (no trailing space or stop)."""
    tail = fold(q[-MAX_TOKEN_CHARS:]) if q else ""
    return bool(tail) and _TOKEN.match(tail[-1]) is not None


def fts5_query(terms: list[Term]) -> str:
    """An FTS5 MATCH expression; every token is double-quoted (tokens hold only letters and digits)."""
    parts = []
    for t in terms:
        phrase = '"' + " ".join(t.tokens) + '"' + ("*" if t.prefix else "")
        parts.append("{" + (_FTS_CJK if t.cjk else _FTS_LATIN) + "} : " + phrase)
    return " AND ".join(parts)


def tsquery(terms: list[Term]) -> str:
    """A to_tsquery('simple', ...) expression; every lexeme single-quoted."""
    parts = []
    for t in terms:
        lexemes = [f"'{tok}'" for tok in t.tokens]
        if t.prefix:
            lexemes[-1] += ":*"
        parts.append(lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def _texts(value: Any) -> list[str]:
    """The strings of a language map, a list, or a bare string."""
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, str)]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return [value] if isinstance(value, str) else []


def document(title: Any, description: Any, keywords: Any, publisher_name: Any) -> dict[str, tuple[str, str]]:
    """Prepared (Latin, CJK) text per indexed field of one dataset."""
    return {
        "title": prepare_text(_texts(title)),
        "keywords": prepare_text(_texts(keywords)),
        "publisher": prepare_text(_texts(publisher_name)),
        "description": prepare_text(_texts(description)),
    }


_FTS_DDL = {
    "sqlite": [
        "CREATE TABLE IF NOT EXISTS search_docs (id INTEGER PRIMARY KEY,"
        " dataset_id VARCHAR(36) NOT NULL UNIQUE REFERENCES datasets (id) ON DELETE CASCADE)",
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(" + ", ".join(FTS_COLUMNS)
        + ", tokenize = 'unicode61 remove_diacritics 2')",
        "CREATE TRIGGER IF NOT EXISTS search_docs_after_delete AFTER DELETE ON search_docs BEGIN"
        " DELETE FROM search_fts WHERE rowid = old.id; END",
    ],
    "postgresql": [
        "CREATE TABLE IF NOT EXISTS search_docs (dataset_id VARCHAR(36) PRIMARY KEY"
        " REFERENCES datasets (id) ON DELETE CASCADE, doc tsvector NOT NULL)",
        "CREATE INDEX IF NOT EXISTS search_docs_doc_gin ON search_docs USING gin (doc)",
    ],
}


def create_tables(engine) -> None:
    """The tables of migration 0002, which 0004 dropped."""
    with engine.begin() as conn:
        for ddl in _FTS_DDL[engine.dialect.name]:
            conn.exec_driver_sql(ddl)


# ---------------------------------------------------------------------------
# Writing the index
# ---------------------------------------------------------------------------

INDEXED_STATES = ("active", "withdrawn")


def _dialect(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"search is not available on {name!r}")
    return name


def index_dataset(session: Session, dataset: Dataset) -> None:
    """(Re)index one dataset; a draft or deleted one is taken out of the index instead."""
    if dataset.state not in INDEXED_STATES:
        remove_dataset(session, dataset.id)
        return
    session.flush()
    pub = dataset.publisher
    doc = document(dataset.title, dataset.description, dataset.keywords, pub.name if pub is not None else None)
    _write(session, [(dataset.id, doc)])


def remove_dataset(session: Session, dataset_id: str) -> None:
    """Take a dataset out of the index (on SQLite the trigger drops its FTS5 row)."""
    session.execute(text("DELETE FROM search_docs WHERE dataset_id = :id"), {"id": dataset_id})


def reindex_dataset_ids(session: Session, ids: Iterable[str]) -> int:
    """Reindex the given datasets from their rows (e.g. after a publisher is renamed). Returns how many."""
    ids = list(ids)
    done = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = session.execute(_doc_rows().where(Dataset.id.in_(chunk))).all()
        indexed = [r for r in rows if r.state in INDEXED_STATES]
        for row in rows:
            if row.state not in INDEXED_STATES:
                remove_dataset(session, row.id)
        _write(session, [(r.id, document(r.title, r.description, r.keywords, r.pname)) for r in indexed])
        done += len(indexed)
    return done


def reindex_publisher(session: Session, publisher_id: int) -> int:
    """Reindex a publisher's datasets: its name is part of their documents."""
    ids = session.scalars(select(Dataset.id).where(Dataset.publisher_id == publisher_id)).all()
    return reindex_dataset_ids(session, ids)


def reindex_all(session: Session, batch: int = 1000) -> int:
    """Rebuild the whole index from the datasets table, in id order and batches. Returns how many were indexed."""
    dialect = _dialect(session)
    if dialect == "sqlite":
        session.execute(text("DELETE FROM search_fts"))
    session.execute(text("DELETE FROM search_docs"))
    done, last = 0, ""
    while True:
        rows = session.execute(
            _doc_rows().where(Dataset.state.in_(INDEXED_STATES), Dataset.id > last).order_by(Dataset.id).limit(batch)
        ).all()
        if not rows:
            return done
        _write(session, [(r.id, document(r.title, r.description, r.keywords, r.pname)) for r in rows])
        done += len(rows)
        last = rows[-1].id


def _doc_rows() -> Select:
    return (select(Dataset.id, Dataset.state, Dataset.title, Dataset.description, Dataset.keywords,
                   Publisher.name.label("pname"))
            .outerjoin(Publisher, Publisher.id == Dataset.publisher_id))


def _write(session: Session, docs: list[tuple[str, dict[str, tuple[str, str]]]]) -> None:
    if not docs:
        return
    if _dialect(session) == "sqlite":
        _write_sqlite(session, docs)
    else:
        _write_postgres(session, docs)


def _write_sqlite(session: Session, docs: list[tuple[str, dict[str, tuple[str, str]]]]) -> None:
    ids = [{"id": dataset_id} for dataset_id, _ in docs]
    session.execute(text("INSERT INTO search_docs (dataset_id) VALUES (:id) ON CONFLICT (dataset_id) DO NOTHING"), ids)
    rowids = dict(session.execute(
        text("SELECT dataset_id, id FROM search_docs WHERE dataset_id IN :ids").bindparams(
            bindparam("ids", expanding=True)),
        {"ids": [d["id"] for d in ids]},
    ).all())
    params = []
    for dataset_id, doc in docs:
        row: dict[str, Any] = {"rowid": rowids[dataset_id]}
        for name in FIELDS:
            row[name], row[name + "_cjk"] = doc[name]
        params.append(row)
    session.execute(text("DELETE FROM search_fts WHERE rowid = :rowid"), [{"rowid": p["rowid"]} for p in params])
    session.execute(
        text(f"INSERT INTO search_fts (rowid, {', '.join(FTS_COLUMNS)}) "
             f"VALUES (:rowid, {', '.join(':' + c for c in FTS_COLUMNS)})"),
        params,
    )


def _write_postgres(session: Session, docs: list[tuple[str, dict[str, tuple[str, str]]]]) -> None:
    vector = " || ".join(f"setweight(to_tsvector('simple', :{name}), '{_PG_WEIGHT[name]}')" for name in FIELDS)
    params = [{"id": dataset_id, **{name: " ".join(doc[name]) for name in FIELDS}} for dataset_id, doc in docs]
    session.execute(
        text(f"INSERT INTO search_docs (dataset_id, doc) VALUES (:id, {vector}) "
             "ON CONFLICT (dataset_id) DO UPDATE SET doc = EXCLUDED.doc"),
        params,
    )


# ---------------------------------------------------------------------------
# Searching
# ---------------------------------------------------------------------------

FACETS = ("publisher", "format", "licence", "theme", "keyword", "stars")
SORTS = ("relevance", "title", "-title", "name", "-name", "modified", "-modified", "stars", "-stars",
         "score", "-score", "id", "-id")
FACET_LIMIT = 50
MAX_LIMIT = 1000
MAX_FILTER_VALUES = 100


@dataclass
class SearchQuery:
    """What to find. Filters combine with AND across facets and OR within one facet.

    sort: "relevance" (best first; the default when `q` has terms, else "-modified"),
    or a key ascending, "-key" descending: title, name (slug), modified, stars, score
    (the quality score), id (the dataset's catalog id: a stable, total order for paging).
    Missing values sort last. `offset`, when given, wins over `page`.
    """

    q: str = ""
    publisher: list[str] = field(default_factory=list)
    format: list[str] = field(default_factory=list)
    licence: list[str] = field(default_factory=list)
    theme: list[str] = field(default_factory=list)
    keyword: list[str] = field(default_factory=list)
    stars_min: int | None = None
    stars: list[int] = field(default_factory=list)
    modified_since: dt.datetime | None = None
    modified_until: dt.datetime | None = None
    sort: str | None = None
    page: int = 1
    offset: int | None = None
    limit: int = 20
    facets: list[str] = field(default_factory=list)
    facet_limit: int = FACET_LIMIT
    include_withdrawn: bool = False
    #: False skips counting every match (a scan of all of them on a broad filter): `total` is then
    #: only offset + the ids returned, for callers that want the first page alone.
    count: bool = True


@dataclass
class SearchResult:
    total: int
    ids: list[str]
    facets: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)


def search(session: Session, query: SearchQuery) -> SearchResult:
    """Dataset ids matching `query` in order, the total, and the requested facet counts (under all filters)."""
    dialect = _dialect(session)
    terms = parse_query(query.q if isinstance(query.q, str) else "")
    conditions = _conditions(dialect, query)

    def filtered(stmt: Select, scored: bool = False) -> Select:
        """`stmt` (whose FROM has datasets) narrowed to the datasets the query selects."""
        if terms:
            match = _match_subquery(dialect, terms, scored)
            stmt = stmt.join(match, match.c.id == Dataset.id)
        return stmt.where(*conditions)

    total = (session.scalar(filtered(select(func.count()).select_from(Dataset))) or 0) if query.count else None

    limit = _int(query.limit, 20, 0, MAX_LIMIT)
    offset = _int(query.offset, None, 0, None)
    if offset is None:
        offset = (_int(query.page, 1, 1, None) - 1) * limit
    page_ids: list[str] = []
    if limit and (total is None or offset < total):
        relevance = bool(terms) and _sort_key(query.sort, bool(terms)) == "relevance"
        page = filtered(select(Dataset.id), scored=relevance)
        page = page.order_by(*_order(dialect, _sort_key(query.sort, bool(terms))))
        page_ids = list(session.scalars(page.offset(offset).limit(limit)))

    if total is None:
        total = offset + len(page_ids)
    facets = {}
    wanted = [f for f in FACETS if f in set(_strings(query.facets))]
    facet_limit = _int(query.facet_limit, FACET_LIMIT, 1, 1000)
    for name in wanted:
        facets[name] = _facet(session, dialect, name, filtered, facet_limit) if total else []
    return SearchResult(total=total, ids=page_ids, facets=facets)


def _match_subquery(dialect: str, terms: list[Term], scored: bool):
    """(id, score) of the datasets matching every term; higher score is more relevant.

    Ranking costs (bm25 and ts_rank read every match's statistics), so counts and facets
    ask for the ids alone and score is 0 there.
    """
    if dialect == "sqlite":
        weights = ", ".join(str(_BM25_WEIGHTS[c.removesuffix("_cjk")]) for c in FTS_COLUMNS)
        score = f"-bm25(search_fts, {weights})" if scored else "0"
        stmt = text(
            f"SELECT s.dataset_id AS id, {score} AS score "
            "FROM search_fts JOIN search_docs AS s ON s.id = search_fts.rowid WHERE search_fts MATCH :fts_q"
        ).bindparams(fts_q=fts5_query(terms))
    else:
        score = "ts_rank(s.doc, tq)" if scored else "0"
        stmt = text(
            f"SELECT s.dataset_id AS id, {score} AS score "
            "FROM search_docs AS s, to_tsquery('simple', :ts_q) AS tq WHERE s.doc @@ tq"
        ).bindparams(ts_q=tsquery(terms))
    columns = stmt.columns(id=String, score=Float)
    if dialect == "sqlite":
        # Materialised: else SQLite may put the FTS5 scan inside the loop over datasets and run MATCH per row.
        return columns.cte("m").prefix_with("MATERIALIZED")
    return columns.subquery("m")


def _conditions(dialect: str, query: SearchQuery) -> list:
    states = INDEXED_STATES if query.include_withdrawn else ("active",)
    conds: list = [Dataset.state.in_(states)]
    publishers = _strings(query.publisher)
    if publishers:
        conds.append(Dataset.publisher_id.in_(select(Publisher.id).where(Publisher.slug.in_(publishers))))
    formats = _strings(query.format)
    if formats:
        conds.append(Dataset.id.in_(select(Distribution.dataset_id).where(Distribution.format.in_(formats))))
    licences = _strings(query.licence)
    if licences:
        conds.append(Dataset.license_id.in_(licences))
    for column, values in ((Dataset.themes, _strings(query.theme)), (Dataset.keywords, _strings(query.keyword))):
        if values:
            conds.append(_json_array_has_any(dialect, column, values))
    stars_min = _int(query.stars_min, None, None, None)
    if stars_min is not None:
        conds.append(Dataset.stars >= stars_min)
    stars = [s for s in (_int(v, None, None, None) for v in _list(query.stars)) if s is not None]
    if stars:
        conds.append(Dataset.stars.in_(stars[:MAX_FILTER_VALUES]))
    since, until = _utc(query.modified_since), _utc(query.modified_until)
    if since is not None:
        conds.append(Dataset.modified_at >= since)
    if until is not None:
        conds.append(Dataset.modified_at <= until)
    return conds


def _json_array_has_any(dialect: str, column, values: list[str]):
    """The JSON array in `column` holds at least one of `values` (exact string match)."""
    if dialect == "sqlite":
        elements = func.json_each(column).table_valued("value").alias("je")
        return select(1).select_from(elements).where(elements.c.value.in_(values)).exists()
    return column.op("?|", return_type=Boolean)(bindparam(None, values, type_=ARRAY(String)))


def _json_elements(dialect: str, column):
    """(FROM item, value column, conditions): the distinct elements of the JSON array in `column`, per dataset.

    Distinct per row so that a facet is a plain count(*) (a keyword listed twice counts once).
    """
    if dialect == "sqlite":
        je = func.json_each(column).table_valued("value", "key").alias("je")
        earlier = func.json_each(column).table_valued("value", "key").alias("je_earlier")
        duplicate = select(1).select_from(earlier).where(earlier.c.value == je.c.value, earlier.c.key < je.c.key)
        return je, je.c.value, [~duplicate.exists()]  # SQLite has no LATERAL; the condition goes outside
    safe = case((func.jsonb_typeof(column) == "array", column), else_=literal_column("'[]'::jsonb"))
    elements = func.jsonb_array_elements_text(safe).table_valued("value").alias("je")
    distinct_elements = select(elements.c.value).distinct().lateral("je_distinct")
    return distinct_elements, distinct_elements.c.value, []


def _facet(session: Session, dialect: str, name: str, filtered, limit: int) -> list[tuple[Any, int]]:
    """(value, datasets) pairs among the filtered datasets: most frequent first, then by value."""
    if name == "publisher":
        value, count = Publisher.slug, func.count()
        stmt = select(value, count).select_from(Dataset).join(Publisher, Publisher.id == Dataset.publisher_id)
    elif name in ("licence", "stars"):
        value, count = (Dataset.license_id if name == "licence" else Dataset.stars), func.count()
        stmt = select(value, count).select_from(Dataset).where(value.is_not(None))
    elif name == "format":
        # Distinct (dataset, format) pairs first: a hash aggregate, where count(DISTINCT) would sort per group.
        pairs = filtered(select(Distribution.dataset_id, Distribution.format.label("value")).distinct()
                         .select_from(Distribution).join(Dataset, Dataset.id == Distribution.dataset_id)
                         .where(Distribution.format.is_not(None))).subquery("fp")
        value, count = pairs.c.value, func.count()
        stmt = select(value, count).group_by(value).order_by(count.desc(), value).limit(limit)
        return [(v, int(n)) for v, n in session.execute(stmt).all()]
    else:
        array = Dataset.themes if name == "theme" else Dataset.keywords
        elements, value, distinct_only = _json_elements(dialect, array)
        count = func.count()
        stmt = (select(value, count).select_from(Dataset).join(elements, true())
                .where(value.is_not(None), *distinct_only))
    stmt = filtered(stmt).group_by(value).order_by(count.desc(), value).limit(limit)
    return [(v, int(n)) for v, n in session.execute(stmt).all()]


def _sort_key(sort: Any, has_terms: bool) -> str:
    key = sort if isinstance(sort, str) and sort in SORTS else None
    if key is None or (key == "relevance" and not has_terms):
        key = "relevance" if has_terms else "-modified"
    return key


def _order(dialect: str, key: str) -> list:
    """ORDER BY for a sort key; relevance reads the score of the match subquery `m`."""
    descending = key.startswith("-")
    name = key.lstrip("-")
    if name == "relevance":
        return [literal_column("m.score").desc(), Dataset.modified_at.desc(), Dataset.id]
    if name == "id":  # unique: no tie to break
        return [Dataset.id.desc() if descending else Dataset.id.asc()]
    column = {
        "title": _title_key(dialect),
        "name": Dataset.slug,
        "modified": Dataset.modified_at,
        "stars": Dataset.stars,
        "score": Dataset.score,
    }[name]
    first = (column.desc() if descending else column.asc()).nulls_last()
    return [first, Dataset.slug, Dataset.id]


def _title_key(dialect: str):
    """The title to sort by: English, else Chinese, else any language; case-insensitive."""
    if dialect == "sqlite":
        expr = ("coalesce(nullif(json_extract(datasets.title, '$.en'), ''), nullif(json_extract(datasets.title, "
                "'$.zh'), ''), (SELECT value FROM json_each(datasets.title) WHERE value <> '' LIMIT 1))")
    else:
        expr = ("coalesce(nullif(datasets.title ->> 'en', ''), nullif(datasets.title ->> 'zh', ''), "
                "(SELECT value FROM jsonb_each_text(datasets.title) WHERE value <> '' LIMIT 1))")
    return func.lower(literal_column(expr, String))


# ---------------------------------------------------------------------------
# Input hygiene: a query string from the web must never make the database raise
# ---------------------------------------------------------------------------


def _list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [value]
    try:
        return list(value)
    except TypeError:
        return []


def _strings(value: Any) -> list[str]:
    """Filter values as strings without NUL bytes (PostgreSQL rejects them) or lone surrogates (not UTF-8).

    Bounded in number and length.
    """
    out = []
    for v in _list(value):
        if isinstance(v, (str, int)) and not isinstance(v, bool):
            s = str(v).replace("\x00", "")[:500].encode("utf-8", "ignore").decode("utf-8")
            if s and s not in out:
                out.append(s)
    return out[:MAX_FILTER_VALUES]


def _int(value: Any, default: int | None, low: int | None, high: int | None) -> int | None:
    try:
        n = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    if low is not None:
        n = max(low, n)
    if high is not None:
        n = min(high, n)
    return max(-(2**31), min(2**31 - 1, n))


def _utc(value: Any) -> dt.datetime | None:
    """A UTC datetime (naive ones are taken as UTC), or None for anything else."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
