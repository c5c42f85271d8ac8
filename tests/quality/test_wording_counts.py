"""Findings say counts as people do: only the parts that are not zero, and one thing in the singular."""

from quality.tabular import profile_file, profile_findings


def _finding(path, slug):
    found = [f for f in profile_findings(profile_file(path), "dist-1") if f.type == slug]
    assert len(found) == 1, [f.type for f in profile_findings(profile_file(path), "dist-1")]
    return found[0]


def test_notes_rows_above_only_says_nothing_of_rows_below(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("Population by district in 2024\ndistrict,people\nA,1200\nB,3400\nC,560\nD,780\n", "utf-8")
    notes = _finding(path, "notes-rows")
    assert notes.evidence["above"] == 1 and notes.evidence["below"] == 0
    assert notes.message == "1 row above the header is a note, not data."
    assert notes.localised("zh")[0] == "表头上方有 1 行是说明文字而非数据。"


def test_notes_rows_below_only_and_both(tmp_path):
    below = tmp_path / "below.csv"
    below.write_text("district,people\nA,1200\nB,3400\nC,560\nD,780\nSource: district offices\n"
                     "Note: estimates\n", "utf-8")
    notes = _finding(below, "notes-rows")
    assert notes.evidence["above"] == 0 and notes.evidence["below"] == 2
    assert notes.message == "2 rows below the table are notes, not data."
    assert notes.localised("zh")[0] == "表格下方有 2 行是说明文字而非数据。"
    both = tmp_path / "both.csv"
    both.write_text("Population by district in 2024\ndistrict,people\nA,1200\nB,3400\nC,560\nD,780\n"
                    "Source: district offices\n", "utf-8")
    notes = _finding(both, "notes-rows")
    assert notes.message == "1 row above the header and 1 row below the table are notes, not data."
    assert notes.localised("zh")[0] == "表头上方有 1 行、表格下方有 1 行是说明文字而非数据。"
