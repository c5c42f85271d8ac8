"""quality.tabular.arrow: arrays and scalars from buffers give what pyarrow's own constructors give."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from quality.tabular import arrow


@pytest.mark.parametrize("values", [[], [""], ["a", "", "çé", "数据", "x" * 1000], ["a", None, "b"]])
def test_strings_equal_pyarrows(values):
    built = arrow.strings(values)
    built.validate(full=True)
    assert built.equals(pa.array(values, pa.string()))


def test_integers_and_scalars():
    assert arrow.integers(np.array([3, 1, 2])).equals(pa.array([3, 1, 2], pa.int64()))
    assert arrow.integer(7).as_py() == 7 and arrow.ZERO.as_py() == 0 and arrow.ONE.as_py() == 1
    col = pa.array(["a", "bcd", ""])
    assert pc.take(col, arrow.integers([2, 0])).to_pylist() == ["", "a"]
    assert pc.greater(pc.binary_length(col), arrow.ZERO).to_pylist() == [True, True, False]


@pytest.mark.parametrize("array", [
    pa.array([True, False, None, True] * 5),
    pa.array([True, False, None, True] * 5).slice(3, 11),
    pa.chunked_array([[True], [False, True]]),
    pa.array([], pa.bool_()),
])
def test_booleans_read_nulls_as_false(array):
    want = [bool(v) for v in array.to_pylist()]
    assert arrow.booleans(array).tolist() == want


def test_int64s_views_a_sliced_array_and_refuses_nulls():
    ints = pa.array(list(range(20)), pa.int64()).slice(5, 4)
    assert arrow.int64s(ints).tolist() == [5, 6, 7, 8]
    with pytest.raises(ValueError):
        arrow.int64s(pa.array([1, None], pa.int64()))
