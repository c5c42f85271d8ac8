"""The place picker's search over the GB/T 2260 gazetteer: counties reachable, own-name matches first."""

from __future__ import annotations

from catalog_schema import gazetteer


def test_counties_are_found_by_name_and_code():
    labels = [p.picker_label for p in gazetteer.search("西湖")]
    assert labels[:2] == ["浙江省杭州市西湖区 (330106)", "江西省南昌市西湖区 (360103)"]
    assert "湖北省武汉市东西湖区 (420112)" in labels  # contains, after the names that start with it
    by_code = gazetteer.search("3301", limit=3)
    assert [p.code for p in by_code] == ["330100", "330102", "330105"]  # the prefecture, then its counties
    assert all(p.level == 3 for p in gazetteer.search("西湖区"))
    # what the picker sends back is what the form takes
    assert gazetteer.place(labels[0]).code == "330106" and gazetteer.place(labels[0]).level == 3


def test_search_is_bounded_and_ignores_spaces():
    assert gazetteer.search("") == [] and gazetteer.search("   ") == []
    assert len(gazetteer.search("区", limit=20)) == 20
    assert [p.code for p in gazetteer.search("杭 州 市 西湖")] == ["330106"]
    assert gazetteer.search("no such place") == []
