"""Version comparison (quality/tabular/compare.py) and the pyarrow reading it stands on (issue 19).

`compare` works column-wise with pyarrow; `compare_rows` is the row-by-row comparison it replaced, kept as
the reference: the two must give the same answer on every pair of tables. `read_table` reads delimited text
with pyarrow while pyarrow reads it as Python's csv module does and hands over to Python's reader at the
first row that is not; the rows must be the same as Python's reader alone gives, in the same order."""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pytest

from quality.tabular import compare as compare_mod
from quality.tabular import csvfile, read_table
from quality.tabular import read as read_mod
from quality.tabular.compare import compare, compare_rows, load_digest, save_digest, table_digest


def write_csv(path, header, rows):
    def cell(c):
        return f'"{c}"' if any(ch in c for ch in ',"\n') else c

    path.write_text("\n".join([",".join(header)] + [",".join(cell(c) for c in r) for r in rows]) + "\n",
                    encoding="utf-8")
    return {"path": str(path), "format": "csv", "encoding": None}


def with_digest(version):
    """`version` with the digest of its table beside it, as the row store keeps it (None when none can be made)."""
    try:
        digest = table_digest(read_table(version["path"], format=version["format"], encoding=version["encoding"]),
                              (version["format"], version["encoding"]))
    except Exception:  # noqa: BLE001 - an unreadable table has no digest
        return None
    if digest is None:
        return None
    path = version["path"] + ".rows.bin"
    assert save_digest(path, digest)
    return {**version, "digest": path}


def both(old, new):
    """compare, compare from the version before's digest, and the row-by-row reference agree."""
    fast, slow = compare(old, new), compare_rows(old, new)
    assert fast == slow
    digested = with_digest(old)
    if digested is not None:
        assert compare(digested, new) == slow
    return fast


def test_a_digest_stands_in_for_reading_the_version_before(tmp_path, monkeypatch):
    old = write_csv(tmp_path / "a.csv", ["id", "v"], [[str(i), "x"] for i in range(50)])
    new = write_csv(tmp_path / "b.csv", ["id", "v"], [[str(i), "y" if i % 10 == 0 else "x"] for i in range(5, 60)])
    digested = with_digest(old)
    read = []
    real = compare_mod._table
    monkeypatch.setattr(compare_mod, "_table", lambda path, fmt, enc: read.append(path) or real(path, fmt, enc))
    assert compare(digested, new) == compare_rows(old, new) == {
        "compared": True, "rows_before": 50, "rows_after": 55, "rows_added": 10, "rows_removed": 5,
        "rows_changed": 4, "columns_added": [], "columns_removed": [], "key": "id"}
    assert read == [new["path"]]  # the version before was not read again
    read.clear()
    # read another way (another encoding), a broken file or no file: the version before is read as before
    for other in ({**digested, "encoding": "gbk"}, {**digested, "digest": str(tmp_path / "none.bin")}):
        assert compare(other, new)["rows_changed"] == 4
        assert read == [old["path"], new["path"]]
        read.clear()
    (tmp_path / "broken.bin").write_bytes(b"PK\x03\x04 not a digest")
    whole = open(digested["digest"], "rb").read()
    (tmp_path / "cut.bin").write_bytes(whole[:-8])  # a digest cut short
    assert load_digest(str(tmp_path / "cut.bin")) is None
    (tmp_path / "other.bin").write_bytes(whole.replace(b'"code": "', b'"code": "x'))  # written by other code
    assert load_digest(str(tmp_path / "other.bin")) is None
    assert compare({**digested, "digest": str(tmp_path / "broken.bin")}, new)["rows_changed"] == 4
    assert load_digest(str(tmp_path / "broken.bin")) is None and load_digest(None) is None


def test_no_digest_where_it_could_not_tell_rows_apart(tmp_path, monkeypatch):
    sep = write_csv(tmp_path / "a.csv", ["id", "v"], [["1", "a\x1fb"]])
    assert with_digest(sep) is None  # a cell holding the joining character
    monkeypatch.setattr(compare_mod, "MAX_ROWS", 3)
    assert with_digest(write_csv(tmp_path / "b.csv", ["id"], [[str(i)] for i in range(5)])) is None
    assert table_digest([], ("csv", None)) is None  # no rows


def test_keyed_changes_are_counted_as_before(tmp_path):
    old = write_csv(tmp_path / "a.csv", ["id", "name", "n"], [["1", "a", "10"], ["2", "b", "20"], ["3", "c", "30"]])
    new = write_csv(tmp_path / "b.csv", ["id", "name", "n", "extra"],
                    [["3", "c", "31", "x"], ["1", "a", "10", "y"], ["4", "d", "40", "z"]])
    assert both(old, new) == {"compared": True, "rows_before": 3, "rows_after": 3, "rows_added": 1,
                              "rows_removed": 1, "rows_changed": 1, "columns_added": ["extra"],
                              "columns_removed": [], "key": "id"}


def test_without_a_unique_key_rows_are_compared_as_multisets(tmp_path):
    old = write_csv(tmp_path / "a.csv", ["k", "v"], [["1", "a"], ["1", "a"], ["2", "b"], ["3", "c"]])
    new = write_csv(tmp_path / "b.csv", ["v", "k"], [["a", "1"], ["b", "2"], ["b", "2"], ["d", "4"]])
    assert both(old, new) == {"compared": True, "rows_before": 4, "rows_after": 4, "rows_added": 2,
                              "rows_removed": 2, "rows_changed": 0, "columns_added": [], "columns_removed": [],
                              "key": None}


def test_edge_cases_match_the_row_by_row_compare(tmp_path):
    sep = "\x1f"  # the joining character inside cells: rows compare as the joined text, as before
    cases = [
        (["id", "v"], [["a" + sep + "b", "c"], ["x", "y"]], ["id", "v"], [["a", "b" + sep + "c"], ["x", "y"]]),
        (["id", "v"], [["1", "a"]], ["other"], [["q"], ["r"]]),  # no common column
        (["id"], [["1"], ["2"]], ["id"], [["2"], ["3"], ["3"]]),  # one column, keys repeated in the new version
        (["id", "v"], [], ["id", "v"], [["1", "a"]]),  # a header without rows before
        (["id", "v"], [["1", ""], ["2", " "]], ["id", "v"], [["1", " "], ["2", ""]]),  # empty vs blank cells
        (["a", "a"], [["1", "2"]], ["a", "a"], [["1", "3"]]),  # repeated labels (a, a2)
    ]
    for n, (h1, r1, h2, r2) in enumerate(cases):
        both(write_csv(tmp_path / f"o{n}.csv", h1, r1), write_csv(tmp_path / f"n{n}.csv", h2, r2))


def test_random_versions_match_the_row_by_row_compare(tmp_path):
    rnd = random.Random(19)
    values = ["a", "b", "", " ", "1", "é", "北京", 'q"uote', "x,y", "x\x1fy"]
    for n in range(150):
        width = rnd.randint(1, 4)
        header = [f"c{i}" for i in range(width)]
        keyed = rnd.random() < 0.6
        old = [[str(i) if keyed else str(rnd.randint(0, 4))] + [rnd.choice(values) for _ in range(width - 1)]
               for i in range(rnd.randint(0, 25))]
        new = [list(r) for r in old if rnd.random() < 0.8]
        for r in new:
            if width > 1 and rnd.random() < 0.3:
                r[rnd.randrange(1, width)] = rnd.choice(values)
        new += [[str(rnd.randint(0, 40))] + [rnd.choice(values) for _ in range(width - 1)]
                for _ in range(rnd.randint(0, 4))]
        rnd.shuffle(new)
        new_header = list(header)
        if rnd.random() < 0.3:
            new_header.append("added")
            new = [r + ["z"] for r in new]
        if width > 1 and rnd.random() < 0.2:
            gone = rnd.randrange(width)
            new_header.pop(gone)
            new = [r[:gone] + r[gone + 1:] for r in new]
        both(write_csv(tmp_path / f"o{n}.csv", header, old), write_csv(tmp_path / f"n{n}.csv", new_header, new))


def test_unreadable_and_other_formats_as_before(tmp_path):
    csv_old = write_csv(tmp_path / "a.csv", ["id", "v"], [["1", "a"], ["2", "b"]])
    missing = {"path": str(tmp_path / "gone.csv"), "format": "csv", "encoding": None}
    assert both(missing, csv_old)["compared"] is False
    (tmp_path / "j.json").write_text(json.dumps([{"id": 1, "v": "a"}, {"id": 2, "v": "c"}, {"id": 3, "v": None}]),
                                     encoding="utf-8")
    assert both(csv_old, {"path": str(tmp_path / "j.json"), "format": "json", "encoding": None})["rows_changed"] == 1


def test_too_big_tables_are_not_compared(tmp_path, monkeypatch):
    from quality.tabular import compare as compare_mod

    monkeypatch.setattr(compare_mod, "MAX_ROWS", 5)
    big = write_csv(tmp_path / "a.csv", ["id"], [[str(i)] for i in range(10)])
    assert both(big, big) == {"compared": False, "reason": "more than 5 rows"}


# --------------------------------------------------------------------------- read_table's pyarrow path


def python_only(path, **kwargs):
    """read_table's rows through Python's csv module alone (what it gave before the pyarrow path)."""
    def python(path, layout, names, skip_blank_rows, batch_rows):
        yield from read_mod.fitted_batches(read_mod.python_csv_rows(path, layout), names, skip_blank_rows,
                                           batch_rows)

    original = read_mod._csv_batches
    read_mod._csv_batches = python
    try:
        return [b.to_pydict() for b in read_table(path, **kwargs)]
    finally:
        read_mod._csv_batches = original


QUIRKS = {
    "quoted.csv": 'a,b\n"x,1","y ""z"""\n"multi\nline",2\n"x\r\ny",3\n"ab"c,d"e\n',
    "blank_lines.csv": "a,b\n1,2\n\n3,4\n,\n5,6\n\n",
    "ragged.csv": "a,b,c\n1,2,3\n4,5\n6,7,8,9\n\n10,11,12\n",
    "crlf_cr.csv": "a;b\r\n1;2\r\n3;4\r5;6\r\n",
    "one_column.csv": "a\n1\n\n2\n",
    "unterminated.csv": 'a,b\n1,2\n3,"4\n5,6\n',
}


@pytest.mark.parametrize("name", sorted(QUIRKS))
@pytest.mark.parametrize("block", [4 << 20, 16])
def test_read_table_gives_what_pythons_reader_gives(tmp_path, monkeypatch, name, block):
    """Small blocks make pyarrow meet the irregular rows after it has given rows out: Python's reader goes on
    from there, and the rows stay in file order."""
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", block)
    path = tmp_path / name
    path.write_text(QUIRKS[name], encoding="utf-8", newline="")
    for kwargs in ({}, {"batch_rows": 2}, {"skip_blank_rows": False, "batch_rows": 3}):
        assert [b.to_pydict() for b in read_table(path, **kwargs)] == python_only(path, **kwargs)


def test_a_long_regular_file_is_read_by_pyarrow_in_batches_of_the_size_asked(tmp_path, monkeypatch):
    path = tmp_path / "long.csv"
    path.write_text("id,v\n" + "".join(f"{i},v{i}\n" for i in range(1000)) + "1000,last,extra\n",
                    encoding="utf-8")
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 512)
    handed_over = []
    original = read_mod.fitted_batches

    def spy(rows, names, skip_blank_rows, batch_rows, skip=0):
        handed_over.append(skip)
        return original(rows, names, skip_blank_rows, batch_rows, skip=skip)

    monkeypatch.setattr(read_mod, "fitted_batches", spy)
    batches = list(read_table(path, batch_rows=300))
    assert [b.num_rows for b in batches] == [300, 300, 300, 101]
    assert handed_over and handed_over[0] > 0 and handed_over[0] % 300 == 0  # pyarrow read the first rows
    monkeypatch.setattr(read_mod, "fitted_batches", original)
    assert [b.to_pydict() for b in batches] == python_only(path, batch_rows=300)
    assert batches[-1].column(1).to_pylist()[-1] == "last"  # the long last row, cut by Python's reader


def test_bytes_pyarrow_cannot_decode_go_through_pythons_reader(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n" + b"".join(b"%d,x\n" % i for i in range(3000)) + b"1,caf\xe9\n2,y\n")
    table = pa.Table.from_batches(list(read_table(path, encoding="utf-8")))
    assert table.num_rows == 3002 and table.column("b").to_pylist()[-2] == "caf\ufffd"
    assert [b.to_pydict() for b in read_table(path, encoding="utf-8")] == python_only(path, encoding="utf-8")


def test_the_layout_is_kept_per_file_and_handed_out_as_a_copy(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("note\na,b\n1,2\n", encoding="utf-8")
    first = csvfile.csv_layout(str(path), None, "csv")
    first.encoding = "latin-1"
    first.header.append("changed")
    again = csvfile.csv_layout(str(path), None, "csv")
    assert again.encoding == "utf-8" and again.header == ["a", "b"] and again.notes_above == [0]
    path.write_text("x;y;z\n1;2;3\n", encoding="utf-8")  # the file rewritten: read again
    assert csvfile.csv_layout(str(path), None, "csv").header == ["x", "y", "z"]


def test_a_digest_reads_columns_of_any_text_kind_as_their_text():
    """Batches of large strings or numbers (a reader other than the CSV one) hash as the same cells written as text."""
    from quality.tabular.compare import table_digest

    wide = pa.record_batch([pa.array(["1", "2"], pa.large_string()), pa.array([1, None])], names=["a", "b"])
    text = pa.record_batch([pa.array(["1", "2"]), pa.array(["1", None])], names=["a", "b"])
    one, two = table_digest([wide], ("csv", None)), table_digest([text], ("csv", None))
    assert (one.rows == two.rows).all() and (one.keys == two.keys).all()
