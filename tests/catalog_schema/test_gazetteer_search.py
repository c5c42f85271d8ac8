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


def test_a_name_written_without_its_kind_is_the_one_place_it_names():
    """"北京" was refused as an unknown place while the picker offered 北京市; a short name names a place when only one
    place has it (朝阳: a district, a city and a county, stays refused)."""
    from catalog_schema import gazetteer

    assert {q: gazetteer.place(q).code for q in ("北京", "杭州", "浙江", "内蒙古", "香港")} == {
        "北京": "110000", "杭州": "330100", "浙江": "330000", "内蒙古": "150000", "香港": "810000"}
    assert gazetteer.place("朝阳") is None and gazetteer.place("北京市").code == "110000"
