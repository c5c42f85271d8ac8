"""Record-oriented XML read as a table (quality.tabular.xmltable), through read_table as every reader is used."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality.tabular import TableError, read_table
from quality.tabular.xmltable import xml_rows

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.xml"
    path.write_text(text, "utf-8")
    return path


def test_records_with_attributes_repeated_names_and_namespaces(tmp_path):
    path = _write(tmp_path, '<?xml version="1.0"?><d:rows xmlns:d="urn:x" note="root attributes are not a column">'
                            '<d:row id="1"><d:a>0164A</d:a><d:b> x </d:b><d:b>y</d:b></d:row>'
                            '<d:row id="2"><d:a>007</d:a><d:c>新</d:c></d:row></d:rows>')
    assert xml_rows(str(path)) == [["id", "a", "b", "b_2", "c"], ["1", "0164A", "x", "y", ""],
                                   ["2", "007", "", "", "新"]]
    batches = list(read_table(path, format="xml"))
    assert batches[0].to_pylist()[1] == {"id": "2", "a": "007", "b": "", "b_2": "", "c": "新"}


def test_records_under_groups_take_the_groups_attributes(tmp_path):
    path = _write(tmp_path, '<report><meta><title>t</title></meta>'
                            '<station id="s1"><m v="1"><x>1</x></m><m v="2"><x>2</x></m></station>'
                            '<station id="s2"><m v="1"><x>3</x></m></station></report>')
    assert xml_rows(str(path)) == [["station.id", "v", "x"], ["s1", "1", "1"], ["s1", "2", "2"], ["s2", "1", "3"]]


def test_a_real_gpx_track(tmp_path):
    rows = xml_rows(str(REAL / "tables" / "biketirol_etappe03.gpx"))
    assert rows[0] == ["lat", "lon", "ele"] and len(rows) == 532
    assert rows[1] == ["47.499494", "10.516238", "1103.900000"]


@pytest.mark.parametrize("text", [
    # billion laughs
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><r><row><a>&b;</a></row></r>',
    # an external entity (a file of this machine)
    '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r><row><a>&e;</a></row></r>',
    # quadratic blowup: one big entity used many times
    '<!DOCTYPE r [<!ENTITY x "' + "x" * 10000 + '">]><r><row><a>' + "&x;" * 1000 + "</a></row></r>",
])
def test_entities_are_refused_never_expanded(tmp_path, text):
    with pytest.raises(TableError) as refused:
        xml_rows(str(_write(tmp_path, text)))
    assert refused.value.reason == "unreadable" and "entities" in str(refused.value)


@pytest.mark.parametrize("text,reason", [
    ("<config><a>1</a><b>2</b></config>", "unsupported-format"),  # one level of leaves: settings, not records
    ("<r><row><a>1</a>", "unreadable"),  # cut short
    ("<r>" + "<g>" * 100 + "<x>1</x>" + "</g>" * 100 + "</r>", "unsupported-format"),  # nested too deep
])
def test_what_is_no_table_says_why(tmp_path, text, reason):
    with pytest.raises(TableError) as refused:
        xml_rows(str(_write(tmp_path, text)))
    assert refused.value.reason == reason
