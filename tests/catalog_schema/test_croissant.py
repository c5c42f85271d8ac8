"""The Croissant mapping pair: a dataset written as Croissant JSON-LD reads back the same."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from catalog_schema.croissant import CONFORMS_TO, Column, CroissantDataset, File, from_croissant, to_croissant

TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "time")
text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


def _dataset() -> CroissantDataset:
    cols = (Column("站点", "string", "公交站点名称"), Column("日均客流", "integer", "人次 (人次)"),
            Column("日期", "date"))
    return CroissantDataset(
        name="公交站点客流", description="每日客流", url="http://127.0.0.1:5000/dataset/bus", license="https://x/cc-by",
        cite_as="交通局 (2026). 公交站点客流. http://127.0.0.1:5000/dataset/bus", date_published="2026-01-02",
        date_modified="2026-11-30", version="2", keywords=("公交", "客流"), creator="交通局",
        files=(File("d1", "客流.csv", "http://127.0.0.1:5000/v/abc", "a" * 64, "text/csv", cols),
               File("d2", "notes.tsv", "http://127.0.0.1:5000/v/def", "b" * 64, "text/tab-separated-values")))


def test_a_dataset_round_trips_through_croissant():
    ds = _dataset()
    doc = to_croissant(ds)
    assert doc["conformsTo"] == CONFORMS_TO and doc["@type"] == "sc:Dataset"
    assert [d["sha256"] for d in doc["distribution"]] == ["a" * 64, "b" * 64]
    [rs] = doc["recordSet"]  # only a file with columns has a record set
    assert [f["dataType"] for f in rs["field"]] == ["sc:Text", "sc:Integer", "sc:Date"]
    assert rs["field"][1]["source"] == {"fileObject": {"@id": "file-d1"}, "extract": {"column": "日均客流"}}
    assert from_croissant(doc) == ds


@given(st.lists(st.tuples(text, st.sampled_from(TYPES)), min_size=1, max_size=6, unique_by=lambda c: c[0]))
def test_any_columns_round_trip(columns):
    cols = tuple(Column(name, type_) for name, type_ in columns)
    ds = CroissantDataset("n", "d", "http://127.0.0.1/x", files=(File("f", "f.csv", "http://127.0.0.1/f", "c" * 64,
                                                                      "text/csv", cols),))
    assert from_croissant(to_croissant(ds)) == ds
