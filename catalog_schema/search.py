"""Full-text search with facets, sorting and paging, answered by an embedded tantivy index.

The database is the source of truth; the index is a copy each machine keeps and
catches up, built for what a search page asks: matching, the exact total, exact
facet counts, sorting and paging, in about a millisecond at 100,000 datasets
(bench/RESULTS.md). docs/architecture.md ("Search") says why and how it scales.

Why the text is prepared in Python: no tokenizer splits Chinese into words, and
trigram ones do not match two-character words such as 交通. So one pure function
prepares documents and queries alike, and the index's fields are tokenized on
whitespace only (they hold exactly the tokens made here):

- Latin (and any other space-separated script) words stay whole: NFKC, case-folded,
  Latin diacritics removed, split on anything that is not a letter or digit.
- A run of CJK characters becomes its overlapping bigrams, plus the run's last
  character alone (北京市公交 -> 北京 京市 市公 公交 交). Every character of a run is then
  the first character of some indexed token, so a one-character query is a prefix
  query (交*) that finds it wherever it stands; a one-character run is indexed as
  itself. The trailing unigram also breaks phrase matching across two runs.
- CJK tokens go to fields of their own, so a query bigram is only looked up where
  bigrams are; a CJK query run becomes the phrase of its bigrams, which matches
  exactly the documents that contain that run as a substring.
- Latin words are also indexed stemmed (English Snowball, then a final doubled `s`
  or `se` folded: busses, buses and bus are all `bus`) in one field beside the exact
  ones. A query word matches its stem there too when it is a word the catalog uses or
  one the stemmer shortened, so "busses" finds bus, while a fragment such as "popul"
  (a prefix only while it is being typed) does not find population.

Query text never reaches a query parser: it is cut into the same tokens as the
documents and each becomes a term, phrase or prefix query object, so `"`, `*`,
`NEAR(`, `OR`, `'`, `title:` or SQL are plain words or nothing at all.

Keeping the index current: every change of a dataset (the services' `index_dataset`,
the harvest's `log_dataset_changes`, and any flush that adds, changes or deletes a
Dataset or Distribution row) writes the dataset's id into the `search_changes` table
with a new sequence number, in the same transaction as the change. Before it answers,
an index reads the rows above the highest number it has applied (at most every
SEARCH_REFRESH_SECONDS, and at once after this process changed something), loads those
datasets from the database and rewrites them. So a rolled-back change never reaches
the log, any number of processes and machines can change the catalog, and each
machine's index is at most a refresh interval behind the database.

On disk (SEARCH_INDEX_DIR) an index is a generation folder named by the file CURRENT;
a rebuild (`opendata search reindex`, or the first search on an empty folder) writes a
new generation and switches CURRENT, so searches go on meanwhile. Processes of one
machine share the folder: one of them at a time holds tantivy's writer lock to catch
up, the others reload their reader. Without a folder (tests, scripts) the index is
kept in memory, built from the database on first use.

The index holds active, withdrawn and draft datasets (INDEXED_STATES); deleted ones are not in it. A search
finds the active ones only unless its query names more: `include_withdrawn` (every withdrawn one: feeds,
digests), `withdrawn_of` and `drafts_of` (those of some publishers: CKAN's include_deleted and include_private
to their people, as CKAN's Solr filters by its permission labels), `include_drafts` (every draft: a sysadmin's).
It holds their texts as the app's doors say them to everyone (`use_public_texts`: personal data redacted), so
no search finds a dataset by a value its pages do not show.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import logging
import os
import re
import shutil
import struct
import threading
import time
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tantivy
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from catalog_schema import changelog, series
from catalog_schema import db as dbmod
from catalog_schema.models import Dataset, Distribution, Publisher

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Text preparation (pure; the same for documents and queries)
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

MAX_TOKEN_CHARS = 60  # longer words are cut (index and query alike)
MAX_FIELD_CHARS = 200_000  # bound the work per field
MAX_QUERY_TERMS = 32
MAX_QUERY_RUN = 32  # a CJK query run longer than this is cut: its phrase would match no better

FIELDS = ("title", "keywords", "publisher", "description")
# Relevance boosts per field: title first.
BOOSTS = {"title": 10.0, "keywords": 5.0, "publisher": 3.0, "description": 1.0}
STEM_BOOST = 1.0

#: A typed Latin prefix has 2 characters or more (parse_query), a CJK one 1 (a CJK token is a bigram). The
#: beginnings of every indexed Latin word, 2 to PREFIX_CHARS long, and the first character of every CJK token are
#: terms of a field of their own (`<field>_edges`): a typed prefix that short is one term's postings. A longer one
#: (which few words share) is matched by an automaton over the field's terms.
LATIN_PREFIX_CHARS = 2
PREFIX_CHARS = 8
EDGES = "_edges"
_EDGE_CHARS = {False: (LATIN_PREFIX_CHARS, PREFIX_CHARS), True: (1, 1)}  # (shortest, longest) of Latin, CJK edges


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


_ASCII_WORD = re.compile(r"[a-z0-9]+")  # _TOKEN's words in ASCII text folded (no CJK, no marks, "_" splits)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_SEPARATOR: dict[str, bool] = {}


def _separator(char: str) -> bool:
    """Whether `char` (not ASCII) only separates words: no letter, digit or CJK, no combining mark, and left
    as it is by `fold` (a curly quote, a dash, a bullet; not ™, which folds to "tm")."""
    known = _SEPARATOR.get(char)
    if known is None:
        known = (not char.isalnum() and not unicodedata.category(char).startswith("M") and fold(char) == char
                 and _TOKEN.match(char) is None)
        if len(_SEPARATOR) < 10_000:
            _SEPARATOR[char] = known
    return known


def _ascii_words(text_: str) -> list[str] | None:
    """The words of `text_` when it is ASCII but for separators (typographic quotes and dashes): there fold is
    lower-casing and a word is [a-z0-9]+. None for any other text (it takes the full path)."""
    if not text_.isascii():
        odd = set(_NON_ASCII.findall(text_))
        if not all(_separator(c) for c in odd):
            return None
        text_ = _NON_ASCII.sub(" ", text_)
    return _ASCII_WORD.findall(text_.lower())


def prepare_text(texts: Iterable[str]) -> tuple[str, str]:
    """(Latin words, CJK tokens) of some texts, each space-separated: the index's whitespace-tokenized fields."""
    words: list[str] = []
    grams: list[str] = []
    for t in texts:
        if not isinstance(t, str) or not t:
            continue
        latin = _ascii_words(t[:MAX_FIELD_CHARS])
        if latin is not None:  # most text: the same tokens, several times faster
            words.extend(w[:MAX_TOKEN_CHARS] for w in latin)
            continue
        for cjk, word in _TOKEN.findall(fold(t[:MAX_FIELD_CHARS])):  # _pieces, without a generator
            if word:
                words.append(word[:MAX_TOKEN_CHARS])
            else:
                grams.extend(cjk_tokens(cjk))
    return " ".join(words), " ".join(grams)


@dataclass(frozen=True)
class Term:
    """One query term: a whole word, a CJK phrase of bigrams, or a prefix."""

    tokens: tuple[str, ...]
    cjk: bool
    prefix: bool = False


#: An English possessive ("bus's", "Beijing’s"), taken off a query word: indexed text splits it into the word and
#: "s", and a query's every term must match, so "bus's" found nothing but the rare text that has an "s" alone.
_POSSESSIVE = re.compile(r"(?<=[A-Za-z0-9])['’]s\b", re.IGNORECASE)


def parse_query(q: str) -> list[Term]:
    """Terms of a user's query, all of which a document must match (AND).

    The last Latin word of at least two characters matches as a prefix (type-ahead);
    a one-character CJK term matches as a prefix of the indexed tokens.
    """
    terms: list[Term] = []
    q = _POSSESSIVE.sub("", q or "")  # "taxi's": the word, not "taxi" AND a word "s" that no text has
    for kind, piece in _pieces(q[:10 * MAX_QUERY_TERMS * MAX_TOKEN_CHARS]):
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
    if latin and terms[latin[-1]] is terms[-1] and len(terms[-1].tokens[0]) >= LATIN_PREFIX_CHARS \
            and _ends_in_word(q):
        terms[-1] = Term(terms[-1].tokens, cjk=False, prefix=True)
    return terms


#: What a query says when it asks for every dataset: nothing, spaces, Solr's "all documents" (CKAN clients send
#: q=*:*) or a bare wildcard (*, as Solr reads it: any word). Anything else that leaves no term (an emoji, "!!!",
#: "。": characters the tokenizer drops) matches no dataset, as Solr answers it, rather than every dataset as if
#: no query had been typed.
_EVERYTHING = re.compile(r"(?:\s|\*:\*|\*)*")


def matches_nothing(q: Any, terms: list[Term]) -> bool:
    """Whether the query text `q`, whose terms are `terms`, asks for something no dataset can have: text was
    given but none of it is searchable."""
    return not terms and isinstance(q, str) and _EVERYTHING.fullmatch(q) is None


def _ends_in_word(q: str) -> bool:
    """Prefix matching only while the user is still typing the last word (no trailing space or stop)."""
    tail = fold(q[-MAX_TOKEN_CHARS:]) if q else ""
    return bool(tail) and _TOKEN.match(tail[-1]) is not None


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
        "publisher": _publisher_text(json.dumps(publisher_name, sort_keys=True, ensure_ascii=False)),
        "description": prepare_text(_texts(description)),
    }


@functools.lru_cache(maxsize=4096)
def _publisher_text(name_json: str) -> tuple[str, str]:
    """A publisher's name is in every one of its datasets' documents: prepared once."""
    return prepare_text(_texts(json.loads(name_json)))


def edges(tokens: str, shortest: int, longest: int = PREFIX_CHARS) -> str:
    """The distinct beginnings, `shortest` to `longest` characters, of space-separated tokens, space-separated
    (edge n-grams: "bus station" -> "bu bus st sta stat stati statio station"). Each distinct token once: a
    description says its words many times (1.4x on the benchmark's descriptions; remembering each word's beginnings
    across documents added little)."""
    out: dict[str, None] = {}
    for token in dict.fromkeys(tokens.split()):
        for k in range(shortest, min(len(token), longest) + 1):
            out[token[:k]] = None
    return " ".join(out)


_STEMMER = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).filter(
    tantivy.Filter.stemmer("english")).build()


def stems(words: str) -> str:
    """Stems of space-separated folded words, space-separated (busses, buses, bus -> bus)."""
    return " ".join(map(stem, words.split()))


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    out = _STEMMER.analyze(word)
    return _fold_stem(out[0]) if out else word


def _fold_stem(s: str) -> str:
    """Snowball leaves busses as buss and buses as buse: fold a final `se` and a doubled `s`."""
    if len(s) > 3 and s.endswith("se"):
        s = s[:-1]
    if len(s) > 2 and s.endswith("ss"):
        s = s[:-1]
    return s


# ---------------------------------------------------------------------------
# The index's documents
# ---------------------------------------------------------------------------

#: the states the index holds: drafts and withdrawn datasets too, each search filtering by state (published ones only,
#: unless a query names others: `include_withdrawn`, `withdrawn_of`, `include_drafts`, `drafts_of`)
INDEXED_STATES = ("active", "withdrawn", "draft")
#: the states that were ever published (what a harvest's reindex counts as searchable)
LISTED_STATES = ("active", "withdrawn")
FACETS = ("publisher", "format", "licence", "theme", "keyword", "stars", "hvd_category")
SORTS = ("relevance", "title", "-title", "name", "-name", "modified", "-modified", "stars", "-stars",
         "score", "-score", "id", "-id", "created", "-created")
SCHEMA_VERSION = "10"
BBOX_FIELDS = ("bbox_w", "bbox_s", "bbox_e", "bbox_n")  # part of a generation's state: a different one is rebuilt
MAX_VALUE_CHARS = 500  # facet values (keywords, themes ...) are cut like filter values


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, fast=True, tokenizer_name="raw")
    sb.add_text_field("state", tokenizer_name="raw")
    for name in FIELDS:
        sb.add_text_field(name, tokenizer_name="whitespace")
        sb.add_text_field(name + "_cjk", tokenizer_name="whitespace")
        for edges in (name + EDGES, name + "_cjk" + EDGES):  # the words' beginnings: `_prefix_query`
            sb.add_text_field(edges, tokenizer_name="whitespace", index_option="basic")
    sb.add_text_field("stem", tokenizer_name="whitespace", index_option="freq")
    for name in ("publisher_slug", "format", "licence", "theme", "keyword", "hvd_category"):
        sb.add_text_field(name, fast=True, tokenizer_name="raw")
    sb.add_text_field("place", tokenizer_name="raw")  # the dataset's places (Dataset.spatial): related datasets
    sb.add_integer_field("stars", indexed=True, fast=True)
    sb.add_integer_field("modified", indexed=True, fast=True)
    for name in BBOX_FIELDS:  # the dataset's box (Dataset.bbox_*): `bbox` finds the boxes that intersect one
        sb.add_float_field(name, indexed=True, fast=True)
    for base in _ORDER_FIELDS:
        for level in range(LEVELS[base]):
            sb.add_unsigned_field(f"{base}_{level}", fast=True)
    sb.add_text_field("sortdata", stored=True, tokenizer_name="raw")
    return sb.build()


#: Sort orders. Each is a byte string per dataset (`_sort_keys`): the value (missing ones after every
#: other, in either direction), then the slug and the id, so ties break by name as the SQL search did and
#: paging is stable. Its first LEVELS x 8 bytes are unsigned fast fields, `<base>_0`, `<base>_1` ...: tantivy
#: orders hits by a number in microseconds where ordering by text costs tens of milliseconds to seconds at
#: 100,000 datasets (deep pages the most); `_ordered` pages through the levels, and sorts in Python the rare
#: group that ties on all of them.
#: 8-byte levels per order: enough for a title or a slug to differ (a UUID is 16 bytes).
LEVELS = {"o_title": 6, "o_title_d": 6, "o_id": 2, "o_name": 5, "o_modified": 5, "o_modified_d": 5, "o_stars": 5,
          "o_stars_d": 5, "o_score": 5, "o_score_d": 5, "o_created": 5, "o_created_d": 5}
_ORDER_FIELDS = ("o_title", "o_title_d", "o_name", "o_id", "o_modified", "o_modified_d", "o_stars", "o_stars_d",
                 "o_score", "o_score_d", "o_created", "o_created_d")
_ORDER = {
    "title": ("o_title", tantivy.Order.Asc), "-title": ("o_title_d", tantivy.Order.Asc),
    "modified": ("o_modified", tantivy.Order.Asc), "-modified": ("o_modified_d", tantivy.Order.Asc),
    "created": ("o_created", tantivy.Order.Asc), "-created": ("o_created_d", tantivy.Order.Asc),
    "stars": ("o_stars", tantivy.Order.Asc), "-stars": ("o_stars_d", tantivy.Order.Asc),
    "score": ("o_score", tantivy.Order.Asc), "-score": ("o_score_d", tantivy.Order.Asc),
    "name": ("o_name", tantivy.Order.Asc), "-name": ("o_name", tantivy.Order.Desc),
    "id": ("o_id", tantivy.Order.Asc), "-id": ("o_id", tantivy.Order.Desc),
}
_FACET_FIELD = {"publisher": "publisher_slug", "format": "format", "licence": "licence", "theme": "theme",
                "keyword": "keyword", "stars": "stars", "hvd_category": "hvd_category"}
_MISSING = b"\xff"  # after every present value (which starts with 0x01)


def _num_bytes(n: int | None, descending: bool) -> bytes:
    """Order-preserving and short: a length byte, then the magnitude's big-endian bytes (complemented, with a
    lower length byte, below zero); descending: all of it complemented."""
    if n is None:
        return _MISSING
    n = int(n)
    m = abs(n)
    raw = m.to_bytes(max(1, (m.bit_length() + 7) // 8), "big")
    out = bytes([0x80 + len(raw)]) + raw if n >= 0 else bytes([0x7F - len(raw)]) + raw.translate(_COMPLEMENT)
    return b"\x01" + (out.translate(_COMPLEMENT) if descending else out)


def _id_bytes(id_: str) -> bytes:
    """A UUID's 32 hex digits as 16 bytes (same order, and distinct within the first two levels); an id that is
    not a UUID after every one that is."""
    if _UUID.fullmatch(id_):
        return b"\x01" + bytes.fromhex(id_.replace("-", ""))
    return b"\x02" + id_.encode()


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _text_bytes(s: str | None, descending: bool) -> bytes:
    """UTF-8 order (which is code-point order) of `s`; descending: every byte complemented and a shorter text
    after a longer one it starts."""
    if s is None:
        return _MISSING
    raw = s[:64].translate(_CONTROL).encode("utf-8", "ignore")
    if descending:
        return b"\x01" + raw.translate(_COMPLEMENT) + b"\xff"
    return b"\x01" + raw + b"\x00"


def _sort_keys(title: str | None, slug: str, id_: str, modified: int | None, stars: int | None,
               score: int | None, created: int | None = None) -> dict[str, bytes]:
    tail = slug.encode() + b"\x00" + _id_bytes(id_)
    keys = {"o_title": _text_bytes(title, False) + tail, "o_title_d": _text_bytes(title, True) + tail,
            "o_name": tail, "o_id": _id_bytes(id_)}
    for name, value in (("modified", modified), ("stars", stars), ("score", score), ("created", created)):
        keys["o_" + name] = _num_bytes(value, False) + tail
        keys["o_" + name + "_d"] = _num_bytes(value, True) + tail
    return keys


_CONTROL = dict.fromkeys(range(32))  # str.translate: control characters out of a sort key
_COMPLEMENT = bytes(255 - b for b in range(256))
_UNPACK = {n: struct.Struct(f">{n}Q") for n in set(LEVELS.values())}


def _levels(key: bytes, n: int) -> tuple[int, ...]:
    return _UNPACK[n].unpack(key[:8 * n].ljust(8 * n, b"\x00"))


def title_key(title: Any) -> str | None:
    """The title to sort by: English, else Chinese, else the first language's; case-insensitive."""
    if not isinstance(title, dict):
        return None
    for lang in ("en", "zh"):
        v = title.get(lang)
        if isinstance(v, str) and v:
            return v.lower()
    for v in title.values():
        if isinstance(v, str) and v:
            return v.lower()
    return None


def _micros(value: Any) -> int | None:
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1_000_000)


def _values(value: Any) -> list[str]:
    """Distinct strings of a JSON list (a value listed twice counts once), cut to MAX_VALUE_CHARS."""
    out: list[str] = []
    for v in value if isinstance(value, list) else []:
        if isinstance(v, str) and v:
            v = v[:MAX_VALUE_CHARS]
            if v not in out:
                out.append(v)
    return out


@dataclass
class Row:
    """What the index holds of one dataset (read from the database by `_load`)."""

    id: str
    slug: str
    state: str
    title: Any
    description: Any
    keywords: Any
    themes: Any
    license_id: str | None
    stars: int | None
    score: int | None
    modified_at: dt.datetime | None
    publisher_slug: str | None
    publisher_name: Any
    formats: list[str]
    hvd_category: Any = None
    bbox: tuple[float, float, float, float] | None = None
    spatial: Any = None
    #: when the catalog's copy was made (CKAN's metadata_created): the "created" sort
    created_at: dt.datetime | None = None
    #: whom the dataset declares as its contacts (what `use_public_texts`'s reading keeps public in its texts)
    contact_point: Any = None
    creator: Any = None
    publisher_email: str | None = None
    #: the keywords that are the dataset's tags (its `keyword` facet's values): those its public texts say as they
    #: are (`_public_row`); None: all of them
    tags: Any = None


def _document(row: Row) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("id", row.id)
    doc.add_text("state", row.state)
    latin_all = []
    for name, (latin, cjk) in document(row.title, row.description, row.keywords, row.publisher_name).items():
        doc.add_text(name, latin)
        doc.add_text(name + "_cjk", cjk)
        doc.add_text(name + EDGES, edges(latin, *_EDGE_CHARS[False]))
        doc.add_text(name + "_cjk" + EDGES, edges(cjk, *_EDGE_CHARS[True]))
        latin_all.append(latin)
    doc.add_text("stem", stems(" ".join(latin_all)))
    if row.publisher_slug:
        doc.add_text("publisher_slug", row.publisher_slug)
    for fmt in _values(row.formats):
        doc.add_text("format", fmt)
    if row.license_id:
        doc.add_text("licence", row.license_id[:MAX_VALUE_CHARS])
    for theme in _values(row.themes):
        doc.add_text("theme", theme)
    for kw in _values(row.keywords if row.tags is None else row.tags):
        doc.add_text("keyword", kw)
    for cat in _values(row.hvd_category):
        doc.add_text("hvd_category", cat)
    for place in _values(row.spatial):
        doc.add_text("place", place)
    if row.stars is not None:
        doc.add_integer("stars", int(row.stars))
    modified = _micros(row.modified_at)
    if modified is not None:
        doc.add_integer("modified", modified)
    if row.bbox is not None:
        for name, value in zip(BBOX_FIELDS, row.bbox, strict=True):
            doc.add_float(name, float(value))
    title = title_key(row.title)
    created = _micros(row.created_at)
    keys = _sort_keys(title, row.slug, row.id, modified, row.stars, row.score, created)
    for base, key in keys.items():
        for level, value in enumerate(_levels(key, LEVELS[base])):
            doc.add_unsigned(f"{base}_{level}", value)
    doc.add_text("sortdata", json.dumps([title, row.slug, row.id, modified, row.stars, row.score, created],
                                        ensure_ascii=False))
    return doc


def _row_query():
    return (select(Dataset.id, Dataset.slug, Dataset.state, Dataset.title, Dataset.description, Dataset.keywords,
                   Dataset.themes, Dataset.license_id, Dataset.stars, Dataset.score, Dataset.modified_at,
                   Publisher.slug.label("pslug"), Publisher.name.label("pname"), Dataset.hvd_category,
                   Dataset.bbox_west, Dataset.bbox_south, Dataset.bbox_east, Dataset.bbox_north, Dataset.spatial,
                   Dataset.created_at, Dataset.contact_point, Dataset.creator, Publisher.email.label("pemail"))
            .outerjoin(Publisher, Publisher.id == Dataset.publisher_id))


def _rows(session: Session, rows: list) -> list[Row]:
    """Rows of `_row_query` with their distributions' formats."""
    formats: dict[str, list[str]] = {}
    if rows:
        for dataset_id, fmt in session.execute(
                select(Distribution.dataset_id, Distribution.format)
                .where(Distribution.dataset_id.in_([r.id for r in rows]), Distribution.format.is_not(None))):
            formats.setdefault(dataset_id, []).append(fmt)
    return [_public_row(Row(r.id, r.slug, r.state, r.title, r.description, r.keywords, r.themes, r.license_id,
                            r.stars, r.score, r.modified_at, r.pslug, r.pname, formats.get(r.id, []), r.hvd_category,
                            _bbox(r.bbox_west, r.bbox_south, r.bbox_east, r.bbox_north), r.spatial, r.created_at,
                            r.contact_point, r.creator, r.pemail)) for r in rows]


#: How the app's doors say a dataset's texts to everyone (`use_public_texts`): (its version, the reading).
_public_texts: tuple[str, Callable[[dict], dict]] | None = None


def use_public_texts(version: str, said: Callable[[dict], dict]) -> None:
    """Have the index hold a dataset's title, description and keywords as the app's doors say them to everyone:
    `said` is given {"title", "description", "keywords", "contact_point", "creator", "publisher": {"email"}} (a
    dataset's record, those of its keys) and gives back the record as the public reads it (the app's personal-data
    gate: each run of personal data ``[redacted]``). What is not in a text shown to everyone is then found by no
    search: a searcher could otherwise tell that a redacted value is in a dataset by finding it with that value.
    `version` names the reading: an index built with another (or none) is built again (`_compatible`); the app
    changes it when the gate changes what it redacts. This package may not import the gate (docs/architecture.md):
    the app hands it over, before its first search (create_app, the command line, the job runtime)."""
    global _public_texts
    _public_texts = (version, said)


def texts_version() -> str | None:
    """The version of `use_public_texts`'s reading this process indexes with, None when it has none."""
    return _public_texts[0] if _public_texts is not None else None


def _public_row(row: Row) -> Row:
    """`row` with its texts as `use_public_texts`'s reading says them, and as its tags the keywords said unchanged (a
    keyword with personal data redacted is shown as text, never a tag: no facet, tag list or link holds it)."""
    if _public_texts is None:
        return row
    said = _public_texts[1]({"title": row.title, "description": row.description, "keywords": row.keywords,
                             "contact_point": row.contact_point, "creator": row.creator,
                             "publisher": {"email": row.publisher_email} if row.publisher_email else None})
    keywords = said.get("keywords")
    if said.get("title") == row.title and said.get("description") == row.description and keywords == row.keywords:
        return row
    tags = [kw for kw, raw in zip(keywords, row.keywords, strict=False) if kw == raw] \
        if isinstance(keywords, list) and isinstance(row.keywords, list) else keywords
    return dataclasses.replace(row, title=said.get("title"), description=said.get("description"), keywords=keywords,
                               tags=tags)


def _bbox(*values) -> tuple[float, float, float, float] | None:
    return None if any(v is None for v in values) else tuple(float(v) for v in values)


def _load(session: Session, ids: list[str]) -> dict[str, Row]:
    out: dict[str, Row] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update((r.id, r) for r in _rows(session, session.execute(_row_query().where(Dataset.id.in_(chunk))).all()))
    return out


# ---------------------------------------------------------------------------
# The change log (table search_changes, migration 0004)
# ---------------------------------------------------------------------------

GAP_SECONDS = 300.0  # how long a skipped sequence number (a transaction still open) is looked for
MAX_GAPS = 2000


def _dialect(session_or_conn) -> str:
    bind = session_or_conn.get_bind() if isinstance(session_or_conn, Session) else session_or_conn
    name = bind.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"search is not available on {name!r}")
    return name


def _url_key(bind) -> str:
    return bind.url.render_as_string(hide_password=False)


def _key(url: str) -> str:
    """The registry's key of a database URL: as its engine renders it."""
    from sqlalchemy.engine import make_url

    from catalog_schema.db import normalize_url

    return make_url(normalize_url(str(url))).render_as_string(hide_password=False)


def _on_change(key: str, ids: set[str], rolled_back: bool) -> None:
    """changelog's news: this process logged changes (search them at once) or rolled some back (look again)."""
    idx = _registry.get(key)
    if idx is not None:
        if rolled_back:
            idx.recheck |= ids
        idx.dirty = True


changelog.listeners.append(_on_change)


# ---------------------------------------------------------------------------
# Writing: the gate's calls
# ---------------------------------------------------------------------------


def index_dataset(session: Session, dataset: Dataset) -> None:
    """Have `dataset` (re)indexed (a draft or deleted one taken out): logged with the session's transaction."""
    session.flush()
    changelog.log_changes(session, [dataset.id])


def remove_dataset(session: Session, dataset_id: str) -> None:
    """Have a dataset taken out of the index (it is, once the index sees it is gone or not published)."""
    changelog.log_changes(session, [dataset_id])


def reindex_dataset_ids(session: Session, ids: Iterable[str]) -> int:
    """Have the given datasets reindexed from their rows (e.g. after a harvest batch). Returns how many are
    searchable (active or withdrawn: LISTED_STATES)."""
    ids = log_dataset_changes(session, ids)
    if not ids:
        return 0
    done = 0
    for start in range(0, len(ids), 500):
        done += session.scalar(select(func.count()).select_from(Dataset).where(
            Dataset.id.in_(ids[start:start + 500]), Dataset.state.in_(LISTED_STATES))) or 0
    return done


def log_dataset_changes(session: Session, ids: Iterable[str]) -> list[str]:
    """Have the given datasets reindexed from their rows, without counting how many are searchable (what a
    harvest batch asks: a query a batch saved). Returns the ids, each once."""
    ids = list(dict.fromkeys(ids))
    if ids:
        session.flush()
        changelog.log_changes(session, ids)
    return ids


def reindex_publisher(session: Session, publisher_id: int) -> int:
    """Reindex a publisher's datasets: its name is part of their documents."""
    ids = session.scalars(select(Dataset.id).where(Dataset.publisher_id == publisher_id)).all()
    return reindex_dataset_ids(session, ids)


def reindex_all(session: Session, batch: int = 2000, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the index of the session's database from the datasets table (a new generation, switched to
    when complete; searches go on meanwhile). `progress(done, total)` after each batch. Returns how many
    datasets were indexed."""
    return index_for(session).rebuild(session, batch=batch, progress=progress)


# ---------------------------------------------------------------------------
# The index of one database, in memory or in a folder shared by a machine's processes
# ---------------------------------------------------------------------------


class SearchIndex:
    """One database's index in this process: opened or built on first use, caught up before answering."""

    def __init__(self, url: str, directory: str | os.PathLike | None = None, refresh: float = 1.0):
        self.url = url
        self.directory = Path(directory) if directory else None
        self.refresh = max(0.0, float(refresh))
        self.schema = _schema()
        self._lock = threading.RLock()
        self._index: tantivy.Index | None = None
        self._generation: str | None = None
        self._state: dict[str, Any] = {}  # in memory: cursor and gaps; on disk: state.json of the generation
        self._seen_cursor = -1
        self._checked = 0.0
        self.dirty = True  # this process changed something since the last catch-up
        self.recheck: set[str] = set()
        #: Bumped whenever what a new searcher sees may have changed (an index opened, built or reloaded): the
        #: kept search results (`kept`, `keep`) are those of one view.
        self._view = 0
        self._results: OrderedDict[str, SearchResult] = OrderedDict()
        self._results_view = -1
        #: the version of the texts' reading (`use_public_texts`) the open index was built with
        self._texts: str | None = None

    # --- opening and building -----------------------------------------------------------------

    def _current(self) -> str | None:
        try:
            name = (self.directory / "CURRENT").read_text().strip()
        except OSError:
            return None
        return name if name and (self.directory / name / "state.json").exists() else None

    def _read_state(self) -> dict[str, Any]:
        if self.directory is None:
            return self._state
        try:
            return json.loads((self.directory / self._generation / "state.json").read_text())
        except (OSError, ValueError):
            return {"cursor": 0, "gaps": {}}

    def _write_state(self, state: dict[str, Any], generation: str | None = None) -> None:
        if self.directory is None:
            self._state = state
            return
        path = self.directory / (generation or self._generation) / "state.json"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, path)

    def _open(self, session: Session) -> None:
        """Open the current generation, or build the first one."""
        if self.directory is None:
            if self._index is None or self._texts != texts_version():
                self.rebuild(session)
            return
        current = self._current()
        if current is not None and texts_version() is None:
            self._refuse_raw_over(current)
        if current is None or not self._compatible(current):
            self.directory.mkdir(parents=True, exist_ok=True)
            with _file_lock(self.directory / "build.lock"):
                current = self._current()  # another process may have built it meanwhile
                if current is None or not self._compatible(current):
                    log.info("search index at %s is missing or old: building it from the database", self.directory)
                    self.rebuild(session, locked=True)
                    return
        if current != self._generation:
            self._index = tantivy.Index(self.schema, str(self.directory / current), reuse=True)
            self._generation = current
            self._seen_cursor = -1
            self._view += 1
        self._texts = texts_version()

    def _refuse_raw_over(self, generation: str) -> None:
        """Raise when `generation` holds the texts as the public reads them (`use_public_texts`) and this process has
        no such reading: it would build the folder again with the texts as they are, and every server sharing it would
        then find datasets by the values their pages redact, until one of them built it back. A process that searches
        a catalog's index registers the reading first (the app's `create_app`, command line and job runtime do)."""
        try:
            built = json.loads((self.directory / generation / "state.json").read_text()).get("texts")
        except (OSError, ValueError):
            return
        if built is not None:
            raise RuntimeError(f"the search index at {self.directory} holds the texts as the public reads them "
                               f"({built!r}) and this process has no such reading: call "
                               "app.services.searchable.register() before searching it")

    def _compatible(self, generation: str) -> bool:
        """Whether the generation was built as this process builds one: the same schema, database and reading of the
        texts (`use_public_texts`: one built before the app redacted its texts is built again)."""
        try:
            state = json.loads((self.directory / generation / "state.json").read_text())
        except (OSError, ValueError):
            return False
        return state.get("schema") == SCHEMA_VERSION and state.get("url") == _safe(self.url) \
            and state.get("texts") == texts_version()

    def rebuild(self, session: Session, batch: int = 2000, progress=None, locked: bool = False) -> int:
        """Index every searchable dataset into a new generation and switch to it."""
        if self.directory is not None and not locked:
            self.directory.mkdir(parents=True, exist_ok=True)
            with _file_lock(self.directory / "build.lock"):
                return self.rebuild(session, batch, progress, locked=True)
        dialect = _dialect(session)
        # a catalog just copied, restored or bulk-loaded: each batch's `id > last ORDER BY id` planned blind
        dbmod.analyze(session.get_bind().engine, ("datasets", "distributions", "publishers"))
        cursor = session.scalar(text("SELECT coalesce(max(seq), 0) FROM search_changes")) or 0
        gaps: dict[str, float] = {}
        if dialect == "postgresql":  # numbers below the cursor not yet visible: transactions still open
            seen = set(session.scalars(text("SELECT seq FROM search_changes WHERE seq > :low"),
                                       {"low": cursor - MAX_GAPS}))
            now = time.time()
            gaps = {str(n): now for n in range(max(1, cursor - MAX_GAPS + 1), cursor + 1) if n not in seen}
        total = session.scalar(select(func.count()).select_from(Dataset).where(
            Dataset.state.in_(INDEXED_STATES))) or 0
        generation = time.strftime("gen-%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:8]
        texts = texts_version()  # the reading its documents are made with (_public_row), kept in its state
        if self.directory is None:
            index = tantivy.Index(self.schema)
        else:
            (self.directory / generation).mkdir(parents=True)
            index = tantivy.Index(self.schema, str(self.directory / generation), reuse=False)
        writer = index.writer(heap_size=256_000_000 if total > 20_000 else 30_000_000,
                              num_threads=0 if total > 20_000 else 1)
        done, last = 0, ""
        while True:
            rows = session.execute(_row_query().where(Dataset.state.in_(INDEXED_STATES), Dataset.id > last)
                                   .order_by(Dataset.id).limit(batch)).all()
            if not rows:
                break
            for row in _rows(session, rows):
                writer.add_document(_document(row))
            done += len(rows)
            last = rows[-1].id
            if progress is not None:
                progress(done, total)
        writer.commit()
        writer.wait_merging_threads()
        state = {"cursor": cursor, "gaps": gaps, "schema": SCHEMA_VERSION, "url": _safe(self.url), "texts": texts}
        with self._lock:
            if self.directory is not None:
                self._write_state(state, generation)
                tmp = self.directory / f"CURRENT.{os.getpid()}.tmp"
                tmp.write_text(generation)
                os.replace(tmp, self.directory / "CURRENT")
                self._drop_old_generations(keep={generation, self._generation})
            else:
                self._state = state
            index.reload()
            self._index, self._generation, self._seen_cursor, self._texts = index, generation, cursor, texts
            self._view += 1
            self.dirty, self._checked = True, 0.0  # catch up with what changed while building
        return done

    def _drop_old_generations(self, keep: set) -> None:
        for path in self.directory.glob("gen-*"):
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)

    # --- catching up ----------------------------------------------------------------------------

    def searcher(self, session: Session) -> tantivy.Searcher:
        """A searcher on an index at most `refresh` seconds behind the database (at once after a change here)."""
        with self._lock:
            if self._index is None or self.directory is not None and self._generation is None \
                    or self._texts != texts_version():
                self._open(session)
            now = time.monotonic()
            if self.dirty or self.recheck or now - self._checked >= self.refresh:
                self._checked = now
                self.dirty = False
                try:
                    self._catch_up(session)
                except Exception:
                    self.dirty = True
                    raise
            return self._index.searcher()

    def searcher_at(self, session: Session) -> tuple[tantivy.Searcher, int]:
        """`searcher`'s searcher and the number of the view it searches, taken together (another thread may
        catch up right after)."""
        with self._lock:
            return self.searcher(session), self._view

    def kept(self, view: int, key: str) -> SearchResult | None:
        """The result kept for the search `key` on `view` (a copy: callers may change it), or None."""
        with self._lock:
            found = self._results.get(key) if view == self._results_view else None
            if found is None:
                return None
            self._results.move_to_end(key)
            return SearchResult(found.total, list(found.ids), {k: list(v) for k, v in found.facets.items()})

    def keep(self, view: int, key: str, result: SearchResult) -> None:
        """Keep `result` of the search `key` on `view`; the results of an older view are dropped."""
        with self._lock:
            if view < self._results_view:
                return
            if view != self._results_view:
                self._results.clear()
                self._results_view = view
            self._results[key] = SearchResult(result.total, list(result.ids),
                                              {k: list(v) for k, v in result.facets.items()})
            while len(self._results) > KEPT_RESULTS:
                self._results.popitem(last=False)

    def _catch_up(self, session: Session) -> None:
        if self.directory is not None:
            current = self._current()
            if current is None or current != self._generation:
                self._open(session)  # another process rebuilt it (or the folder was emptied)
        state = self._read_state()
        if state.get("cursor", 0) != self._seen_cursor:
            self._index.reload()  # another process of this machine applied changes
            self._seen_cursor = state.get("cursor", 0)
            self._view += 1
        changes = self._changes(session, state)
        if not changes and not self.recheck:
            return
        writer = self._writer()
        if writer is None:  # another process of this machine is catching up: it will be in its next commit
            return
        try:
            state = self._read_state()  # what that other process may have applied before we got the lock
            changes = self._changes(session, state)
            recheck, self.recheck = self.recheck, set()
            ids = sorted({i for i, _ in changes} | recheck)
            if not ids:
                return
            rows = _load(session, ids)
            for dataset_id in ids:
                writer.delete_documents_by_term("id", dataset_id)
                row = rows.get(dataset_id)
                if row is not None and row.state in INDEXED_STATES:
                    writer.add_document(_document(row))
            writer.commit()
            self._write_state(self._advance(state, changes))  # while the lock is ours: no one reads it half-done
            writer.wait_merging_threads()  # gives the writer (and its lock) up
            writer = None
            self._index.reload()
            self._seen_cursor = self._read_state().get("cursor", 0)
            self._view += 1
        finally:
            if writer is not None:
                writer.rollback()
                del writer

    def _writer(self):
        try:
            return self._index.writer(heap_size=30_000_000, num_threads=1)
        except ValueError as exc:  # LockBusy: another process holds the writer
            log.debug("search index writer busy: %s", exc)
            return None

    def _changes(self, session: Session, state: dict) -> list[tuple[str, int]]:
        cursor = int(state.get("cursor", 0))
        gaps = [int(g) for g in state.get("gaps", {})]
        stmt = "SELECT dataset_id, seq FROM search_changes WHERE seq > :cursor"
        if gaps:
            stmt += " OR seq IN :gaps"
            query = text(stmt).bindparams(bindparam("gaps", expanding=True))
            return [tuple(r) for r in session.execute(query, {"cursor": cursor, "gaps": gaps})]
        return [tuple(r) for r in session.execute(text(stmt), {"cursor": cursor})]

    def _advance(self, state: dict, changes: list[tuple[str, int]]) -> dict:
        """The state after applying `changes`: the new cursor, and the numbers skipped below it (PostgreSQL:
        a transaction that took a number may commit after one that took a later number)."""
        cursor = int(state.get("cursor", 0))
        now = time.time()
        gaps = {g: t for g, t in state.get("gaps", {}).items() if now - t < GAP_SECONDS}
        seen = {seq for _, seq in changes}
        for seq in seen:
            gaps.pop(str(seq), None)
        new_cursor = max([cursor, *seen])
        if self.url.startswith("postgresql") and new_cursor - cursor > 1:
            for n in range(cursor + 1, min(new_cursor, cursor + 1 + MAX_GAPS)):
                if n not in seen:
                    gaps[str(n)] = now
        if len(gaps) > MAX_GAPS:
            gaps = dict(sorted(gaps.items(), key=lambda kv: kv[1])[-MAX_GAPS:])
        return {**state, "cursor": new_cursor, "gaps": gaps}

    def built(self) -> bool:
        """Whether a search here would answer without building the index first: it is open in this process, or
        a complete generation waits in the folder."""
        with self._lock:
            if self.directory is None:
                return self._index is not None
            return self._index is not None and self._generation is not None or self._current() is not None

    def stats(self) -> dict[str, Any]:
        with self._lock:
            searcher = self._index.searcher() if self._index is not None else None
            size = sum(p.stat().st_size for p in (self.directory / self._generation).iterdir()
                       ) if self.directory is not None and self._generation else None
            return {"documents": searcher.num_docs if searcher else 0,
                    "segments": searcher.num_segments if searcher else 0, "bytes": size,
                    "generation": self._generation, "cursor": self._read_state().get("cursor", 0)}


@contextlib.contextmanager
def _file_lock(path: Path):
    import fcntl

    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


_registry: dict[str, SearchIndex] = {}
_registry_lock = threading.Lock()


def configure(url: str, directory: str | os.PathLike | None, refresh: float = 1.0) -> SearchIndex:
    """Where this process keeps the index of the database at `url` (None: in memory), and how often it
    looks for changes. Called by create_app and the CLI; without it an index is built in memory."""
    key = _key(url)
    with _registry_lock:
        old = _registry.get(key)
        if old is not None and old.directory == (Path(directory) if directory else None):
            old.refresh = refresh
            return old
        _registry[key] = idx = SearchIndex(key, directory, refresh)
        return idx


def forget(url: str) -> None:
    """Drop this process's index of `url` (tests empty their database behind the gate's back)."""
    with _registry_lock:
        _registry.pop(_key(url), None)


def index_for(session: Session) -> SearchIndex:
    key = _url_key(session.get_bind())
    with _registry_lock:
        idx = _registry.get(key)
        if idx is None:
            _registry[key] = idx = SearchIndex(key)
        return idx


# ---------------------------------------------------------------------------
# Searching
# ---------------------------------------------------------------------------

FACET_LIMIT = 50
MAX_LIMIT = 1000
MAX_FILTER_VALUES = 100
#: Search results kept per process and database until the index changes (`search`).
KEPT_RESULTS = 512


@dataclass
class SearchQuery:
    """What to find. Filters combine with AND across facets and OR within one facet.

    sort: "relevance" (best first; the default when `q` has terms, else "-modified"),
    or a key ascending, "-key" descending: title, name (slug), modified, created, stars, score
    (the quality score), id (the dataset's catalog id: a stable, total order for paging).
    Missing values sort last; ties go by name. `offset`, when given, wins over `page`.
    """

    q: str = ""
    publisher: list[str] = field(default_factory=list)
    format: list[str] = field(default_factory=list)
    licence: list[str] = field(default_factory=list)
    theme: list[str] = field(default_factory=list)
    keyword: list[str] = field(default_factory=list)
    #: high-value dataset categories (IRIs of the EU HVD category vocabulary)
    hvd_category: list[str] = field(default_factory=list)
    #: more filters, each (a facet of FACETS but stars, its values: any one of them), every one of which must match
    #: too: the same facet twice (CKAN's `fq=tags:a tags:b`, datasets with both keywords)
    all_of: list[tuple[str, list[str]]] = field(default_factory=list)
    #: filters that leave out: (a facet of FACETS but stars, its values): no dataset holding any one of them
    #: (CKAN's `fq=-organization:a`)
    none_of: list[tuple[str, list[str]]] = field(default_factory=list)
    stars_min: int | None = None
    stars: list[int] = field(default_factory=list)
    modified_since: dt.datetime | None = None
    modified_until: dt.datetime | None = None
    #: [W, S, E, N]: datasets whose box intersects it (CKAN's ext_bbox as ckanext-spatial reads it); datasets
    #: without a box are left out.
    bbox: list[float] | None = None
    sort: str | None = None
    page: int = 1
    offset: int | None = None
    limit: int = 20
    facets: list[str] = field(default_factory=list)
    facet_limit: int = FACET_LIMIT
    include_withdrawn: bool = False
    #: the withdrawn datasets of these publishers (slugs) match too, beside the active ones: CKAN's include_deleted
    #: to those publishers' people (`include_withdrawn`: every one's)
    withdrawn_of: list[str] = field(default_factory=list)
    #: every draft matches too (CKAN's include_private to a sysadmin); `drafts_of`: the drafts of these publishers
    #: (slugs) only, CKAN's include_private to their people
    include_drafts: bool = False
    drafts_of: list[str] = field(default_factory=list)
    #: True: a published dataset series stands for its members: they are left out, and a series whose members
    #: match is found (catalog_schema/series.py).
    collapse_series: bool = False
    #: False skips counting every match: `total` is then only offset + the ids returned, for callers that
    #: want the first page alone.
    count: bool = True


@dataclass
class SearchResult:
    total: int
    ids: list[str]
    facets: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)


def search(session: Session, query: SearchQuery) -> SearchResult:
    """Dataset ids matching `query` in order, the total, and the requested facet counts (under all filters).

    The results of the last KEPT_RESULTS searches are kept until the index changes (in this process: after a
    catch-up that found changes, at most SEARCH_REFRESH_SECONDS after another process's), as Solr keeps its
    query results: the searches many people make (a word every dataset has, a publisher's or a theme's
    datasets, their facets) count and sort the whole catalog, 5-10 ms at 391,139 datasets, and are answered
    again from memory. A search that collapses series reads the series from the database: not kept."""
    idx = index_for(session)
    searcher, view = idx.searcher_at(session)
    key = None if query.collapse_series else repr(query)
    if key is not None:
        found = idx.kept(view, key)
        if found is not None:
            return found
    result = _search(session, idx, searcher, query)
    if key is not None:
        idx.keep(view, key, result)
    return result


def _search(session: Session, idx: SearchIndex, searcher: tantivy.Searcher, query: SearchQuery) -> SearchResult:
    schema = idx.schema
    terms = parse_query(query.q if isinstance(query.q, str) else "")
    tq = tantivy.Query.empty_query() if matches_nothing(query.q, terms) else _query(schema, searcher, terms, query)
    if query.collapse_series:
        tq = _collapsed(session, schema, searcher, tq)

    limit = _int(query.limit, 20, 0, MAX_LIMIT)
    offset = _int(query.offset, None, 0, None)
    if offset is None:
        offset = (_int(query.page, 1, 1, None) - 1) * limit
    key = _sort_key(query.sort, bool(terms))
    want_count = bool(query.count)
    # tantivy keeps offset + limit hits in memory: a page past the end is answered without asking it. Within
    # the first thousand, the count comes with the page, from the same pass over the matches (two passes, the
    # count's and the page's, were most of a package_search at 391,139 datasets: 5 ms each for a word in
    # every dataset).
    counted: list[int] = []
    together = want_count and limit and offset <= 1000
    count = searcher.search(tq, 1, True).count if (want_count or offset > 1000) and not together else None
    if not limit or (count is not None and offset >= count):
        addresses = []
    elif key == "relevance":
        found = searcher.search(tq, limit, bool(together), None, offset)
        addresses = [address for _, address in found.hits]
        if together:
            count = found.count
    else:
        addresses = _ordered(idx.schema, searcher, tq, *_ORDER[key], 0, offset, limit,
                             counted if together else None)
        if together:
            count = counted[0]  # _ordered counts with its first search whenever limit > 0
    ids = [searcher.doc(address)["id"][0] for address in addresses]
    total = count if want_count and count is not None else offset + len(ids)

    facets = {}
    wanted = [f for f in FACETS if f in set(_strings(query.facets))]
    facet_limit = _int(query.facet_limit, FACET_LIMIT, 1, 1000)
    if wanted:
        if total:
            facets = _facets(searcher, tq, wanted, facet_limit)
        else:
            facets = {name: [] for name in wanted}
    return SearchResult(total=total, ids=ids, facets=facets)



#: What a value shared with another dataset weighs in `related`: a keyword is more specific than a theme or place.
RELATED_WEIGHTS = {"keyword": 2.0, "theme": 1.0, "place": 1.0}
#: In `related`, a value one dataset in this many or more has is common: datasets sharing only common values are
#: scored last, when the rarer values do not find enough better ones.
COMMON_SHARE = 20


def related(session: Session, dataset_id: str, publisher_slug: str | None, values: dict[str, Any],
            limit: int) -> list[tuple[str, int]]:
    """Active datasets of other publishers sharing keywords, themes or places with one (`values`: field name ->
    its values), as (id, weight shared), the most shared first: the index scores each match as the sum of the
    weights of the values it shares (RELATED_WEIGHTS), so the best are found among every match in one search.
    Ties come in the index's order."""
    idx = index_for(session)
    searcher, view = idx.searcher_at(session)
    schema = idx.schema
    Q, Occur = tantivy.Query, tantivy.Occur
    shared = [(name, value, weight) for name, weight in RELATED_WEIGHTS.items()
              for value in sorted(_values(list(values.get(name) or [])))[:MAX_FILTER_VALUES]]
    if not shared or limit <= 0:
        return []
    filters = [(Occur.Must, Q.const_score_query(Q.term_query(schema, "state", "active"), 0.0)),
               (Occur.MustNot, Q.term_query(schema, "id", dataset_id))]
    if publisher_slug:
        filters.append((Occur.MustNot, Q.term_query(schema, "publisher_slug", publisher_slug)))

    def scored(terms):
        return [(Occur.Should, Q.const_score_query(Q.term_query(schema, name, value), weight))
                for name, value, weight in terms]

    # A value most of the catalog shares ("statistics", a theme) makes every dataset a match, and scoring them
    # all is most of the page's search (3 ms at 100,000 datasets). So first only the datasets sharing one of
    # the rarer values are scored (each by everything it shares): when the last of the best `limit` scores more
    # than the common values together can give, no dataset sharing only those could rank, nor tie, among them,
    # and the answer is the whole search's. Otherwise (few rare matches) the whole search is made.
    # A value every document holds adds its weight to every score: it changes no rank, nor any tie (tantivy breaks
    # them by address), so the first search leaves it out and adds its weight back (scoring it for 391,139
    # datasets was 4.8 ms of a dataset page).
    common = [t for t in shared if searcher.doc_freq(t[0], t[1]) * COMMON_SHARE > searcher.num_docs]
    rare = [t for t in shared if t not in common]
    if common and rare:
        everyone = [t for t in common if _everyone_holds(idx, view, searcher, t[0], t[1])]
        rest = [t for t in common if t not in everyone]
        added = sum(weight for _, _, weight in everyone)
        query = Q.boolean_query([(Occur.Must, Q.boolean_query(scored(rare))), *scored(rest), *filters])
        hits = searcher.search(query, limit).hits
        if len(hits) == limit and hits[-1][0] > sum(weight for _, _, weight in rest) + 0.5:
            return [(searcher.doc(address)["id"][0], round(score + added)) for score, address in hits]
    hits = searcher.search(Q.boolean_query([(Occur.Must, Q.boolean_query(scored(shared))), *filters]), limit).hits
    return [(searcher.doc(address)["id"][0], round(score)) for score, address in hits]


def _everyone_holds(idx: SearchIndex, view: int, searcher: tantivy.Searcher, name: str, value: str) -> bool:
    """Whether every live document of the index holds `value` in `name`: counted once a view of the index (kept
    with its search results), and only for a value whose document frequency (deleted documents included)
    says it may."""
    if searcher.doc_freq(name, value) < searcher.num_docs:
        return False
    key = f"\0every {name}={value}"  # no search's key: those are reprs of a SearchQuery
    found = idx.kept(view, key)
    if found is None:
        found = SearchResult(total=searcher.search(tantivy.Query.term_query(idx.schema, name, value), 1, True).count,
                             ids=[], facets={})
        idx.keep(view, key, found)
    return found.total == searcher.num_docs


def _query(schema, searcher, terms: list[Term], query: SearchQuery) -> tantivy.Query:
    Q, Occur = tantivy.Query, tantivy.Occur
    must: list[tantivy.Query] = []
    for term in terms:
        must.append(_term_query(schema, searcher, term))
    must.append(_states(schema, query))
    for name, values in (("publisher_slug", query.publisher), ("format", query.format),
                         ("licence", query.licence), ("theme", query.theme), ("keyword", query.keyword),
                         ("hvd_category", query.hvd_category)):
        values = _strings(values)
        if values:
            must.append(Q.term_set_query(schema, name, [v[:MAX_VALUE_CHARS] for v in values]))
    for facet, values in _list(query.all_of):
        name = _FACET_FIELD.get(facet) if facet != "stars" else None
        values = _strings(values)
        if name is not None and values:
            must.append(Q.term_set_query(schema, name, [v[:MAX_VALUE_CHARS] for v in values]))
    must_not = []
    for facet, values in _list(query.none_of):
        name = _FACET_FIELD.get(facet) if facet != "stars" else None
        values = _strings(values)
        if name is not None and values:
            must_not.append(Q.term_set_query(schema, name, [v[:MAX_VALUE_CHARS] for v in values]))
    stars_min = _int(query.stars_min, None, None, None)
    if stars_min is not None:
        must.append(Q.range_query(schema, "stars", tantivy.FieldType.Integer, stars_min, 2**31))
    stars = [s for s in (_int(v, None, None, None) for v in _list(query.stars)) if s is not None]
    if stars:
        must.append(Q.term_set_query(schema, "stars", sorted(set(stars[:MAX_FILTER_VALUES]))))
    since, until = _micros(_utc(query.modified_since)), _micros(_utc(query.modified_until))
    if since is not None or until is not None:
        must.append(Q.range_query(schema, "modified", tantivy.FieldType.Integer,
                                  since if since is not None else -(2**62), until if until is not None else 2**62))
    if query.bbox is not None:
        w, s, e, n = (float(v) for v in query.bbox)
        for name, low, high in (("bbox_w", None, e), ("bbox_e", w, None), ("bbox_s", None, n), ("bbox_n", s, None)):
            must.append(Q.range_query(schema, name, tantivy.FieldType.Float, low, high))
    if must_not:  # a boolean query of exclusions alone matches nothing: they leave out of what the rest finds
        return Q.boolean_query([(Occur.Must, q) for q in must or [Q.all_query()]]
                               + [(Occur.MustNot, q) for q in must_not])
    if not must:
        return Q.all_query()
    if len(must) == 1 and terms:
        return must[0]
    return Q.boolean_query([(Occur.Must, q) for q in must])


def _states(schema, query: SearchQuery) -> tantivy.Query:
    """The states `query` finds: the active datasets, and the withdrawn ones and the drafts it names, all of them
    or those of some publishers. A filter: it scores every match alike."""
    Q, Occur = tantivy.Query, tantivy.Occur
    states = ["active", *(["withdrawn"] if query.include_withdrawn else []),
              *(["draft"] if query.include_drafts else [])]
    either = [(Occur.Should, Q.term_set_query(schema, "state", states))]
    for state, every, publishers in (("withdrawn", query.include_withdrawn, query.withdrawn_of),
                                     ("draft", query.include_drafts, query.drafts_of)):
        slugs = [v[:MAX_VALUE_CHARS] for v in _strings(publishers)]
        if slugs and not every:
            either.append((Occur.Should, _and(Q.term_query(schema, "state", state),
                                              Q.term_set_query(schema, "publisher_slug", slugs))))
    return Q.const_score_query(Q.boolean_query(either), 1.0)


def _collapsed(session: Session, schema, searcher, tq: tantivy.Query) -> tantivy.Query:
    """`tq` with each published series standing for its members: the members are left out, and a series
    whose members match is found even when its own text does not match (q=2024-10 finds the series of the
    monthly datasets)."""
    Q, Occur = tantivy.Query, tantivy.Occur
    hidden = sorted(series.member_ids(session))
    if not hidden:
        return tq
    members = Q.term_set_query(schema, "id", hidden)
    hits = searcher.search(_and(tq, members), len(hidden)).hits
    matched = [searcher.doc(address)["id"][0] for _, address in hits]
    rest = Q.boolean_query([(Occur.Must, tq), (Occur.MustNot, members)])
    stand_ins = sorted(series.series_ids(session, matched))
    if not stand_ins:
        return rest
    found = _and(Q.term_set_query(schema, "id", stand_ins), Q.term_query(schema, "state", "active"))
    return Q.boolean_query([(Occur.Should, rest), (Occur.Should, found)])


def _ordered(schema, searcher, tq, base: str, order, level: int, offset: int, limit: int,
             counted: list[int] | None = None) -> list:
    """Addresses of the hits of `tq` at positions offset .. offset + limit in the order of the byte keys
    whose levels are `<base>_0` .. (see _ORDER_FIELDS), ordering by level `level` onwards. `counted` (a list):
    the number of hits is appended to it, counted by the first search."""
    if limit <= 0:
        return []
    if level == LEVELS[base]:  # a group equal on every level: sort it by its whole keys
        n = searcher.search(tq, 1, True).count
        if counted is not None:
            counted.append(n)
        hits = searcher.search(tq, max(n, 1)).hits
        keyed = []
        for _, address in hits:
            data = json.loads(searcher.doc(address)["sortdata"][0])
            keyed.append((_sort_keys(*data)[base], address))
        keyed.sort(key=lambda ka: ka[0], reverse=order == tantivy.Order.Desc)
        return [address for _, address in keyed[offset:offset + limit]]
    name = f"{base}_{level}"
    # One hit more on each side of the page: a group whose value the hit before (after) does not share begins
    # (ends) on this page, so a dataset alone with its value there is in its place without asking the next
    # level (on a catalog whose keys share their first bytes, the first and last groups asked it down to the
    # last level: a dozen searches for a page sorted by title).
    lead = 1 if offset > 0 else 0
    found = searcher.search(tq, limit + lead + 1, counted is not None, name, offset - lead, order)
    hits = found.hits
    if counted is not None:
        counted.append(found.count)
    page = hits[lead:lead + limit]
    before = hits[0][0] if lead and hits else None
    has_after = len(hits) > lead + limit
    after = hits[lead + limit][0] if has_after else None
    groups: list[tuple[int, list]] = []
    for value, address in page:
        if groups and groups[-1][0] == value:
            groups[-1][1].append(address)
        else:
            groups.append((value, [address]))
    Q, U = tantivy.Query, tantivy.FieldType.Unsigned
    out = []
    for i, (value, addresses) in enumerate(groups):
        first, last = i == 0, i == len(groups) - 1
        starts = not first or not lead or before != value
        ends = not last or not has_after or after != value
        if len(addresses) == 1 and starts and ends:
            out += addresses  # the only dataset with this value: its place is certain
            continue
        within = 0
        if not starts:  # the group begins before this page: where does it begin?
            before = (Q.range_query(schema, name, U, 0, value, include_upper=False)
                      if order == tantivy.Order.Asc else
                      Q.range_query(schema, name, U, value, 2**64 - 1, include_lower=False))
            within = offset - searcher.search(_and(tq, before), 1, True).count
        group = _and(tq, Q.range_query(schema, name, U, value, value))
        out += _ordered(schema, searcher, group, base, order, level + 1, within, len(addresses))
    return out


def _and(*queries) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])


def _term_query(schema, searcher, term: Term) -> tantivy.Query:
    """One query term over every field that may hold it, best field first (boosts): a document matches when
    one of the fields (or the stem field, for a Latin word) holds it, and scores the sum of those that do."""
    Q = tantivy.Query
    if not term.cjk and not term.prefix and len(term.tokens) == 1:
        word = term.tokens[0]
        s = stem(word)
        if s != word or any(searcher.doc_freq(name, word) for name in FIELDS):
            return _stem_led(schema, word, s)
    should = []
    for name in FIELDS:
        f = name + "_cjk" if term.cjk else name
        if term.prefix:
            q = _prefix_query(schema, f, term.tokens[-1]) if len(term.tokens) == 1 else \
                Q.phrase_prefix_query(schema, f, list(term.tokens))
        elif len(term.tokens) == 1:
            q = Q.term_query(schema, f, term.tokens[0], index_option="freq")
        else:
            q = Q.phrase_query(schema, f, list(term.tokens))
        should.append(Q.boost_query(q, BOOSTS[name]))
    if not term.cjk:
        word = term.tokens[0]
        s = stem(word)
        if s != word or any(searcher.doc_freq(name, word) for name in FIELDS):
            should.append(Q.boost_query(Q.term_query(schema, "stem", s, index_option="freq"), STEM_BOOST))
    return Q.boolean_query([(tantivy.Occur.Should, q) for q in should])


def _stem_led(schema, word: str, s: str) -> tantivy.Query:
    """A whole Latin word: the documents whose stem field holds its stem `s`, each scored by that and by every
    field holding the word itself. The same documents as the union of the five (the stem field holds the stem
    of every word of the four, so it holds every document one of them matches), and the same sum of scores,
    added in another order (float32: equal to a few units in the last place).

    A union of fields is costly as a part of an AND: tantivy's union fills a window of 4,096 documents from
    each field whenever it is moved past its window, so a word most datasets hold ("series", "data") was
    read for thousands of documents at each match of the query's rarer parts (at 391,139 datasets, half of a
    selective package_search's time in the index). Here the stem's postings alone decide and skip, and each
    field is asked only for a document that matched everything (a required clause with one optional one,
    nested, which tantivy scores as the sum)."""
    Q, Occur = tantivy.Query, tantivy.Occur
    query = Q.boost_query(Q.term_query(schema, "stem", s, index_option="freq"), STEM_BOOST)
    for name in FIELDS:
        field = Q.boost_query(Q.term_query(schema, name, word, index_option="freq"), BOOSTS[name])
        query = Q.boolean_query([(Occur.Must, query), (Occur.Should, field)])
    return query


def _prefix_query(schema, field: str, token: str) -> tantivy.Query:
    """The documents holding a word that begins with `token` in `field`, each scoring 1 (as the regex `token.*`
    would match and score them).

    A token of at most PREFIX_CHARS is a term of the field's edges: one posting list. An automaton over the
    field's terms had to read the postings of every word with that beginning (about 11,000 numbers begin with
    "72" in the descriptions of 391,139 generated datasets: 1-1.5 ms a field). A longer token, which few words
    share, is matched by a Levenshtein automaton of distance 0 in prefix mode, built from one tantivy keeps
    (about 0.01 ms; the regex's automaton cost 0.55-0.9 ms and about 100 KB a field)."""
    Q = tantivy.Query
    shortest, longest = _EDGE_CHARS[field.endswith("_cjk")]
    if shortest <= len(token) <= longest:
        return Q.const_score_query(Q.term_query(schema, field + EDGES, token), 1.0)
    return Q.fuzzy_term_query(schema, field, token, distance=0, transposition_cost_one=False, prefix=True)


def _facets(searcher, tq, names: list[str], limit: int) -> dict[str, list[tuple[Any, int]]]:
    """(value, datasets) pairs: most frequent first, then by value; exact. Each segment sends its most
    frequent values; when tantivy says a count may be short (doc_count_error_upper_bound) every segment is
    asked for every value, and a tie across the limit asks again for more values."""
    out: dict[str, list[tuple[Any, int]]] = {}
    size = {name: max(4 * limit, 200) + 1 for name in names}
    segment_size = {name: 10 * size[name] for name in names}
    pending = list(names)
    while pending:
        aggs = {name: {"terms": {"field": _FACET_FIELD[name], "size": size[name],
                                 "segment_size": segment_size[name]}} for name in pending}
        result = searcher.aggregate(tq, aggs)
        again = []
        for name in pending:
            agg = result.get(name, {})
            if agg.get("doc_count_error_upper_bound") and segment_size[name] < 1 << 30:
                segment_size[name] = 1 << 30  # a segment left values out: ask each for all of them
                again.append(name)
                continue
            buckets = [(b["key"], int(b["doc_count"])) for b in agg.get("buckets", [])]
            if name == "stars":
                buckets = [(int(k), n) for k, n in buckets]
            if len(buckets) >= size[name] and buckets[-1][1] == buckets[min(limit, len(buckets)) - 1][1]:
                size[name] *= 4  # values tied with the last one kept may be left out: ask for more
                segment_size[name] = max(segment_size[name], 10 * size[name])
                again.append(name)
                continue
            buckets.sort(key=lambda kn: (-kn[1], kn[0]))
            out[name] = buckets[:limit]
        pending = again
    return out


@dataclass(frozen=True)
class PublisherStats:
    """A publisher's active datasets as the index holds them: how many, how many have stars, their stars added."""

    datasets: int
    assessed: int
    stars: int

    @property
    def average(self) -> float | None:
        """The average stars of its assessed datasets (None when none is assessed), as SQL's avg(stars)."""
        return self.stars / self.assessed if self.assessed else None


def publisher_stats(session: Session) -> dict[str, PublisherStats]:
    """Every publisher's active datasets counted and their stars added up, by publisher slug: one aggregation
    of the index (a few milliseconds at 400,000 datasets, where counting them in the database per publisher
    took 200 ms). Exact: every segment sends every publisher. Publishers without an active dataset are absent."""
    idx = index_for(session)
    searcher = idx.searcher(session)
    active = tantivy.Query.term_query(idx.schema, "state", "active")
    size = 1000
    while True:
        agg = searcher.aggregate(active, {"p": {
            "terms": {"field": "publisher_slug", "size": size, "segment_size": 1 << 30},
            "aggs": {"s": {"stats": {"field": "stars"}}}}}).get("p", {})
        if not (agg.get("sum_other_doc_count") or agg.get("doc_count_error_upper_bound")) or size >= 1 << 20:
            break
        size *= 16  # more publishers than buckets asked for
    return {str(b["key"]): PublisherStats(int(b["doc_count"]), int(b["s"]["count"]), round(b["s"]["sum"] or 0))
            for b in agg.get("buckets", [])}


def star_counts(result: SearchResult) -> dict[int | None, int]:
    """Datasets per stars (0 to 5; None: not assessed yet) from a result with the "stars" facet: the datasets
    without stars are the total less the others."""
    counts: dict[int | None, int] = {int(k): n for k, n in result.facets.get("stars", [])}
    counts[None] = max(0, result.total - sum(counts.values()))
    return counts


def _sort_key(sort: Any, has_terms: bool) -> str:
    key = sort if isinstance(sort, str) and sort in SORTS else None
    if key is None or (key == "relevance" and not has_terms):
        key = "relevance" if has_terms else "-modified"
    return key


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
