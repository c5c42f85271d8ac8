"""A new version of a CSV whose bytes down to its header row are those of the version before is read with the
version before's layout (delimiter, notes rows above, header), only its end scanned for notes below: the layout
a scan of it finds. Any other new version is scanned."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import pytest

from quality.tabular import csvfile
from quality.tabular.model import HEAD_BYTES

MESSY = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "messy"
FIXTURES = sorted(p.name for p in MESSY.glob("*.csv"))


def _scan(path: Path, encoding: str | None = None) -> csvfile.CsvLayout:
    return csvfile._csv_layout(str(path), encoding, "csv")


def _next_version(data: bytes, layout: csvfile.CsvLayout, *, footer: bytes | None = None) -> bytes:
    """The same head down to the header row; the body's first row gone and its last one twice; the notes below
    kept, or replaced by `footer`."""
    body = data[layout.data_start:layout.data_end].splitlines(keepends=True)
    if len(body) > 2:
        body = body[1:] + body[-1:]
    end = data[layout.data_end:] if footer is None else footer
    if body and not body[-1].endswith((b"\n", b"\r")):
        body[-1] += b"\n"
    return data[:layout.data_start] + b"".join(body) + end


def _versions(tmp_path: Path, first: bytes, second: bytes) -> tuple[Path, Path]:
    one, two = tmp_path / "v1.csv", tmp_path / "v2.csv"
    one.write_bytes(first)
    two.write_bytes(second)
    return one, two


@pytest.mark.parametrize("name", FIXTURES)
def test_a_new_version_of_a_real_file_gets_the_layout_a_scan_finds(tmp_path, name):
    data = (MESSY / name).read_bytes()
    before = csvfile._csv_layout(str(MESSY / name), None, "csv")
    one, two = _versions(tmp_path, data, _next_version(data, before))
    after = csvfile.layout_after(str(two), str(one), before, None)
    assert after is not None
    assert after == _scan(two)


@pytest.mark.parametrize("footer", [b"", "注：2024年为初步核算数。\n数据来源：国家统计局\n".encode("gb18030"),
                                    b"\n\n", "注：新的附注\n".encode("gb18030")],
                         ids=["notes-gone", "notes-longer", "blank-rows", "notes-changed"])
def test_the_notes_below_are_found_again(tmp_path, footer):
    data = (MESSY / "nbs_gdp_20y_gbk.csv").read_bytes()
    before = _scan(MESSY / "nbs_gdp_20y_gbk.csv")
    assert before.notes_above and before.footer_rows  # the statistics bureau's export: notes above and below
    one, two = _versions(tmp_path, data, _next_version(data, before, footer=footer))
    after = csvfile.layout_after(str(two), str(one), before, None)
    assert after == _scan(two)
    assert after.header == before.header and after.notes_above_text == before.notes_above_text


LONG_NOTES = "".join(f"注{i}：本表数据为初步统计，以正式公布为准。\n\n" for i in range(400)).encode()
assert len(LONG_NOTES) > csvfile.END_WINDOW


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
@pytest.mark.parametrize(("size", "notes", "footer_rows"), [
    (HEAD_BYTES // 20, "注：初步数\n".encode(), 2),
    (HEAD_BYTES // 20, LONG_NOTES, 801),
    (2000, LONG_NOTES, 801),
], ids=["larger-than-head", "larger-than-head-long-notes", "long-notes"])
def test_a_new_version_gets_the_layout_a_scan_finds(tmp_path, bom, size, notes, footer_rows):
    """Notes below longer than the end first scanned (8 kB) are found in the whole end (64 kB), as a scan finds
    them."""
    head = "指标：人口\nid;区县;人口\n".encode()
    rows = b"".join(f"{i};District {i % 90};{1000 + i}\n".encode() for i in range(size))
    foot = "数据来源：统计局\n".encode()
    first = bom + head + rows + foot
    second = bom + head + rows[: len(rows) // 2] + rows + notes + foot
    one, two = _versions(tmp_path, first, second)
    before = _scan(one)
    assert before.delimiter == ";" and before.notes_above == [0]
    assert (os.path.getsize(two) > HEAD_BYTES) is (size > 9999)
    after = csvfile.layout_after(str(two), str(one), before, None)
    assert after == _scan(two)
    assert after.footer_rows == footer_rows


def test_a_given_encoding_is_kept(tmp_path):
    data = (MESSY / "nbs_gdp_by_province_gbk.csv").read_bytes()
    before = _scan(MESSY / "nbs_gdp_by_province_gbk.csv", "gbk")
    one, two = _versions(tmp_path, data, _next_version(data, before))
    assert csvfile.layout_after(str(two), str(one), before, "gbk") == _scan(two, "gbk")


def _gdp(tmp_path: Path) -> tuple[bytes, csvfile.CsvLayout]:
    data = (MESSY / "nbs_gdp_20y_gbk.csv").read_bytes()
    return data, _scan(MESSY / "nbs_gdp_20y_gbk.csv")


def test_a_changed_header_is_scanned(tmp_path):
    data, before = _gdp(tmp_path)
    second = data.replace("地区,2024年".encode("gb18030"), "地区,2025年,2024年".encode("gb18030"), 1)
    one, two = _versions(tmp_path, data, second)
    assert csvfile.layout_after(str(two), str(one), before, None) is None


def test_changed_notes_above_are_scanned(tmp_path):
    data, before = _gdp(tmp_path)
    second = data.replace("最近20年".encode("gb18030"), "最近10年".encode("gb18030"), 1)
    one, two = _versions(tmp_path, data, second)
    assert csvfile.layout_after(str(two), str(one), before, None) is None


def test_a_head_in_another_encoding_is_scanned(tmp_path):
    first = b"district,population\nNorth,100\nSouth,200\n"
    second = first + "北山区,300\n".encode("gbk")
    one, two = _versions(tmp_path, first, second)
    before = _scan(one)
    assert before.label == "utf-8" and _scan(two).encoding == "gb18030"
    assert csvfile.layout_after(str(two), str(one), before, None) is None


def test_nothing_after_the_header_or_no_version_before_is_scanned(tmp_path):
    first = b"district,population\nNorth,100\n"
    one, two = _versions(tmp_path, first, b"district,population\n")
    before = _scan(one)
    assert csvfile.layout_after(str(two), str(one), before, None) is None
    two.write_bytes(first + b"South,200\n")
    assert csvfile.layout_after(str(two), str(tmp_path / "gone.csv"), before, None) is None
    assert csvfile.layout_after(str(two), str(one), before, None) == _scan(two)


@pytest.fixture
def scans(monkeypatch):
    seen = []
    real = csvfile._csv_layout
    monkeypatch.setattr(csvfile, "_csv_layout",
                        lambda path, enc, fmt: seen.append(Path(path).name) or real(path, enc, fmt))
    csvfile._LAYOUTS.clear()
    yield seen
    csvfile._LAYOUTS.clear()


def test_csv_layout_follows_the_version_before_it_is_offered(tmp_path, scans):
    data, before = _gdp(tmp_path)
    one, two = _versions(tmp_path, data, _next_version(data, before))
    csvfile.csv_layout(str(one), None, "csv")
    docs = csvfile.kept_layouts(str(one))
    assert csvfile.follow_layouts(str(two), str(one), docs) == 1
    scans.clear()
    assert csvfile.csv_layout(str(two), None, "csv") == _scan(two)
    assert scans == ["v2.csv"]  # the one scan: the test's own, to compare
    assert csvfile.kept_layouts(str(two)) == [{"encoding": None, "format": "csv", "layout": asdict(_scan(two))}]


def test_anything_else_offered_is_left_out_and_the_file_scanned(tmp_path, scans):
    data, before = _gdp(tmp_path)
    one, two = _versions(tmp_path, data, _next_version(data, before))
    junk = [{"layout": {"nonsense": 1}}, "x"] + [
        {"encoding": None, "format": "csv", "layout": {**asdict(before), **bad}}
        for bad in ({"header": "地区"}, {"notes_above": None}, {"data_start": "12"}, {"delimiter": ",;"},
                    {"encoding": 8}, {"size": True})]
    assert csvfile.follow_layouts(str(two), str(one), junk) == 0
    assert csvfile.follow_layouts(str(tmp_path / "gone.csv"), str(one), [{"encoding": None, "format": "csv",
                                                                          "layout": asdict(before)}]) == 0
    other = {"encoding": "utf-8", "format": "csv", "layout": asdict(before)}  # read another way: not this read's
    assert csvfile.follow_layouts(str(two), str(one), [other]) == 1
    assert csvfile.csv_layout(str(two), None, "csv") == _scan(two)
    assert scans.count("v2.csv") == 2  # scanned by csv_layout, then by the test
