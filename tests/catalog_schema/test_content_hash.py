"""A record's content hash (catalog_schema/record.py): its text written by orjson is the text json.dumps gave
for every record without a float in exponent form, so the hashes stored before stay valid; where the two differ,
a store that meets the earlier spelling calls the content unchanged and writes the hash as spelled now."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from catalog_schema import record as rec
from catalog_schema import store
from catalog_schema.models import Dataset
from catalog_schema.record import content_hash, content_text, earlier_content_hash, new_distribution, new_record

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)  # any character but a surrogate
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                      max_leaves=20)


def _json_text(body) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


# 100 generated records, and the cases the property is about written out, so that every run has them whatever
# the generator draws: CJK, control and astral characters, quotes and backslashes in keys and text, the integer
# bounds orjson writes, empty and nested containers, and a distribution. 400 generated records took 4 s alone and
# 20 s in a worker of `make test` (its full collections walk a big heap); 100 take 1 s alone.
@settings(max_examples=100, deadline=None)
@example({}, [])
@example({"title": {"zh": "公交站点", "en": 'Bus "stops"\\'}, "键": "\x00\x1f\x7f\u2028\ufeff", "𝄞😀": "𠀀"},
         [{"title": {"zh": "线路"}, "\n": None, "byte_size": 2**63 - 1}])
@example({"extras": {"min": -(2**63), "max": 2**63 - 1, "zero": 0, "neg": -1, "flags": [True, False, None]}},
         [{}, {"a": []}])
@example({"b": {"a": {"": [[], {}, [{"z": "", "y": [None]}]]}}, "a": ["</script>", "\u00e9", "e\u0301"]},
         [{"kind": "x", "in_series": ""}])
@given(st.dictionaries(TEXT, VALUES, max_size=6), st.lists(st.dictionaries(TEXT, VALUES, max_size=4), max_size=3))
def test_the_text_is_json_s_for_every_record_without_floats(fields, distributions):
    """Any keys and text (CJK, control characters, astral characters, quotes), integers, nesting: the same text,
    so the hash a dataset was stored with before is the hash made now."""
    record = {**fields, "distributions": distributions}
    assert content_text(record) == _json_text(rec._content(record))
    assert content_hash(record) == earlier_content_hash(record)


def test_what_orjson_refuses_is_written_by_json_as_before():
    big = {"title": {"en": "x"}, "extras": {"n": 2**70}, "distributions": []}
    assert content_text(big) == _json_text(rec._content(big))
    lone = {"title": {"en": "\ud800"}, "distributions": []}
    assert content_text(lone) == _json_text(rec._content(lone))


def test_a_dataset_stored_with_the_earlier_spelling_is_unchanged_and_takes_the_new_one(session):
    """A float in exponent form is spelled 1e-05 by json and 1e-5 by orjson: the hashes differ, the content not."""
    record = new_record(slug="tiny-box", title={"en": "A tiny box"}, publisher={"slug": "roads"},
                        extras={"resolution": 1e-05, "population": 1.5e16},
                        distributions=[new_distribution(download_url="http://127.0.0.1/a.csv", format="CSV")])
    assert content_hash(record) != earlier_content_hash(record)
    ds, outcome = store.save_record(session, record)
    session.commit()
    assert outcome == "added" and ds.content_hash == content_hash(record)
    ds.content_hash = earlier_content_hash(record)  # as a dataset saved by the code before has it
    session.commit()
    again, outcome = store.save_record(session, new_record(**record))
    session.commit()
    assert (again.id, outcome) == (ds.id, "unchanged")
    assert session.get(Dataset, ds.id).content_hash == content_hash(record)
    changed = new_record(**{**record, "extras": {"resolution": 2e-05, "population": 1.5e16}})
    assert store.save_record(session, changed)[1] == "updated"
