"""The data dictionary's pure functions: units from labels and notes, inference from a profile, the layers
(inferred, declared, edited), the checks on edits and the Table Schema pair."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog_schema import dictionary
from quality import tabular

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples" / "files"


@pytest.mark.parametrize(("label", "unit"), [
    ("年末常住人口(万人)", "万人"), ("地区生产总值（亿元）", "亿元"), ("Area (km²)", "km²"), ("2017年", None),
    ("(x)", None), ("name (first) and (last)", "last"), ("", None)])
def test_unit_in_a_label(label, unit):
    assert dictionary.unit_in_label(label) == unit


def test_measure_and_unit_from_the_notes():
    assert dictionary.table_measure(["数据库：分省年度数据", "指标：地区生产总值(亿元)"]) == ("地区生产总值", "亿元")
    assert dictionary.table_measure(["单位：万元"]) == (None, "万元")
    assert dictionary.table_measure(["Indicator: Road deaths", "Unit: persons"]) == ("Road deaths", "persons")
    assert dictionary.table_measure(["数据来源：国家统计局"]) == (None, None)


def test_the_gbk_yearbook_table_gets_its_unit_and_notes():
    profile = tabular.profile_file(SAMPLES / "jh-stats" / "nbs_gdp_by_province_gbk.csv").to_dict()
    inferred = dictionary.infer(profile)
    fields = {f["name"]: f for f in inferred["fields"]}
    assert len(fields) == 26 and fields["地区"]["unit"] is None and fields["地区"]["type"] == "string"
    assert all(f["unit"] == "亿元" and f["description"] == "地区生产总值" for n, f in fields.items() if n != "地区")
    assert inferred["notes"]["above"] == ["数据库：分省年度数据", "指标：地区生产总值(亿元)", "时间：1993-2017"]
    assert inferred["notes"]["below"][-1] == "数据来源：国家统计局"


def test_notes_with_personal_data_are_redacted(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("联系人：张三 13812345678\n区,人数\n东城,1\n西城,2\n", encoding="utf-8")
    profile = tabular.profile_file(path).to_dict()
    assert profile["notes_above"] == [tabular.REDACTED]


def test_layers_inferred_then_declared_then_edited():
    stored = {"inferred": {"fields": [{"name": "a", "type": "string", "title": None, "unit": None, "description": None},
                                      {"name": "b", "type": "number", "title": None, "unit": "t", "description": None}],
                           "notes": {"above": ["n"], "below": []}},
              "edits": {"b": {"unit": "kg"}}, "edited_at": "2026-12-03T00:00:00"}
    declared = {"fields": [{"name": "a", "type": "integer", "title": "A", "description": "the a"}]}
    out = dictionary.effective(stored, declared)
    assert out["fields"] == [{"name": "a", "type": "integer", "title": "A", "unit": None, "description": "the a"},
                             {"name": "b", "type": "number", "title": None, "unit": "kg", "description": None}]
    assert out["notes"] == {"above": ["n"], "below": []} and out["edited_at"] == "2026-12-03T00:00:00"
    assert dictionary.effective(None) is None and dictionary.effective({}, None) is None
    assert [f["name"] for f in dictionary.effective(None, declared)["fields"]] == ["a"]  # declared only


def test_edits_are_checked():
    cols = ["a", "b"]
    assert dictionary.validate_edits({"a": {"title": " A ", "unit": None}}, cols) == {"a": {"title": "A", "unit": None}}
    for bad, where in (({"c": {}}, "fields.c"), ({"a": {"color": "x"}}, "fields.a.color"),
                       ({"a": {"title": 3}}, "fields.a.title"), ({"a": {"type": "geo"}}, "fields.a.type"),
                       ({"a": {"title": "x" * 2001}}, "fields.a.title"), (["a"], "fields"), ({"a": "x"}, "fields.a")):
        with pytest.raises(ValueError, match=where.replace(".", r"\.")):
            dictionary.validate_edits(bad, cols)


def test_table_schema_round_trip():
    dic = {"fields": [{"name": "地区", "type": "string", "title": "Province", "unit": None, "description": "x"},
                      {"name": "2017年", "type": "number", "title": None, "unit": "亿元", "description": None}]}
    schema = dictionary.to_table_schema(dic)
    assert schema == {"fields": [{"name": "地区", "type": "string", "title": "Province", "description": "x"},
                                 {"name": "2017年", "type": "number", "unit": "亿元"}]}
    back = dictionary.effective(None, schema)
    assert back["fields"] == [{**f, "title": f["title"], "description": f["description"]} for f in dic["fields"]]
    assert dictionary.to_table_schema(back) == schema


def test_every_refused_edit_is_named_and_controls_are_refused():
    """A NUL went into the catalog (SQLite kept it; PostgreSQL's JSON failed the request with a 500, and XML
    exports cannot hold it); a form marks every refused box, so every problem is found at once."""
    cols = ["a", "b"]
    edits = {"a": {"title": "x\x00y", "unit": "kg"}, "b": {"description": "z" * 2001}, "c": {"title": "gone"}}
    clean, problems = dictionary.edit_problems(edits, cols)
    assert [(p.column, p.prop, p.why) for p in problems] == [
        ("a", "title", "control"), ("b", "description", "too-long"), ("c", None, "no-column")]
    assert problems[1].detail == {"length": 2001, "limit": 2000} and clean == {"a": {"unit": "kg"}, "b": {}}
    for bad in ("\x07", "\x1b[0m", "\ud800", "\x7f"):
        with pytest.raises(dictionary.EditError, match=r"fields\.a\.unit: holds a control character"):
            dictionary.validate_edits({"a": {"unit": f"k{bad}g"}}, cols)
    assert dictionary.validate_edits({"a": {"description": "line one\nline two\tend"}}, cols)["a"]["description"]
