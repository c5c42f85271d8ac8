"""Column types inferred from the same sample cells with the same missing cells are inferred once: a changed
file's profile infers them, and its load into the row store (app/export/convert.py) finds the answer kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from app.export import convert
from quality.tabular import celltypes, profile_file


@pytest.fixture
def passes(monkeypatch):
    """The validity passes run (one per candidate type and inference), with nothing kept to begin with."""
    seen = []
    real = celltypes.valid_mask
    monkeypatch.setattr(celltypes, "valid_mask", lambda col, t, *a: seen.append(t) or real(col, t, *a))
    celltypes._INFERRED.clear()
    yield seen
    celltypes._INFERRED.clear()


def _miss(*cols):
    return [np.array([v is None or v.strip() == "" for v in c], dtype=bool) for c in cols]


def test_the_same_cells_and_missing_cells_are_inferred_once(passes):
    cols = [["1", "2", "3"], ["2024-01-02", "", "2024-03-04"]]
    arrays = [pa.array(c, pa.string()) for c in cols]
    first = celltypes.infer_types(arrays, _miss(*cols))
    assert first == ["integer", "date"] and len(passes) == len(celltypes.CANDIDATES)
    again = celltypes.infer_types([pa.array(c, pa.string()) for c in cols], _miss(*cols))
    assert again == first and len(passes) == len(celltypes.CANDIDATES)
    again.append("x")  # a caller's list is its own
    assert celltypes.infer_types(arrays, _miss(*cols)) == first


@pytest.mark.parametrize(("cols", "missing", "other", "other_missing"), [
    ([["1", "2", "3"]], None, [["1", "x", "3"]], None),  # one cell changed
    ([["1", "2", "a"]], None, [["1", "2"], ["a"]], None),  # the same cells divided into other columns
    ([["1", " ", "2"]], [np.array([False, True, False])], [["1", " ", "2"]], [np.array([False, False, False])]),
    ([["1", None, "2"]], None, [["1", "", "2"]], None),  # a null is not an empty cell
], ids=["cell", "columns", "missing", "null"])
def test_other_cells_or_missing_cells_are_inferred_again(passes, cols, missing, other, other_missing):
    arrays = [pa.array(c, pa.string()) for c in cols]
    celltypes.infer_types(arrays, missing or _miss(*cols))
    before = len(passes)
    others = [pa.array(c, pa.string()) for c in other]
    got = celltypes.infer_types(others, other_missing or _miss(*other))
    assert len(passes) == 2 * before
    celltypes._INFERRED.clear()
    assert got == celltypes.infer_types(others, other_missing or _miss(*other))


def test_a_profiled_table_is_loaded_with_the_types_its_profile_inferred(passes, tmp_path):
    path = Path(tmp_path) / "t.csv"
    path.write_text("id,district,year,amount,day\n" + "".join(
        f"{i},District {i % 7},{2000 + i % 20},{i * 1.5},2024-01-{1 + i % 28:02d}\n" for i in range(300)))
    profile_file(str(path), format="csv", encoding="utf-8")
    profiled = len(passes)
    assert profiled >= len(celltypes.CANDIDATES)
    types = [c.type for c in convert.open_table(path, format="CSV", encoding="utf-8").columns]
    assert len(passes) == profiled  # no validity pass of its own
    assert types == ["integer", "string", "integer", "number", "date"]
    celltypes._INFERRED.clear()
    convert._KNOWN_COLUMNS.clear()
    assert [c.type for c in convert.open_table(path, format="CSV", encoding="utf-8").columns] == types
