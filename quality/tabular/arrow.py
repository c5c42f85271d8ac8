"""Arrow arrays and scalars built straight from their buffers.

``pyarrow.array()``, ``pyarrow.scalar()`` and every compute call given a Python value first ask whether
it is a pandas object, which imports pandas (0.4-0.7 s) the first time. Reading and profiling a CSV
needs no pandas, so the table reader builds the arrays and scalars it needs from Python values here.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_MAX_OFFSET = 2**31 - 1


def strings(values) -> pa.Array:
    """A ``pa.string()`` array of the given str values (None allowed, as nulls)."""
    values = list(values)
    data = [v.encode("utf-8", "surrogatepass") for v in values if v is not None]
    if len(data) < len(values) or sum(len(b) for b in data) > _MAX_OFFSET:
        return pa.array(values, pa.string())  # nulls, or beyond 32-bit offsets: pyarrow's own way
    offsets = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in data], out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


def integers(values) -> pa.Array:
    """A ``pa.int64()`` array (positions for ``pyarrow.compute.take``, for instance)."""
    ints = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(ints), [None, pa.py_buffer(ints)])


def integer(value: int) -> pa.Scalar:
    """An int64 scalar, for compute calls that compare with a number."""
    return integers([value])[0]


ZERO = integer(0)
ONE = integer(1)
ZERO32 = pa.Array.from_buffers(pa.int32(), 1, [None, pa.py_buffer(np.zeros(1, dtype=np.int32))])[0]


def _bits(buffer, offset: int, length: int) -> np.ndarray:
    packed = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(packed, bitorder="little")[offset:offset + length].astype(bool)


def booleans(mask) -> np.ndarray:
    """A numpy bool array of an arrow boolean array (nulls read as False), from its bit buffers."""
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    n = len(mask)
    if n == 0:
        return np.zeros(0, dtype=bool)
    validity, data = mask.buffers()[:2]
    out = _bits(data, mask.offset, n)
    if validity is not None and mask.null_count:
        out &= _bits(validity, mask.offset, n)
    return out


def from_booleans(values) -> pa.Array:
    """A ``pa.bool_()`` array of a numpy bool array (no nulls), its bits packed here."""
    bits = np.packbits(np.ascontiguousarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def text(value: str, type_: pa.DataType | None = None) -> pa.Scalar:
    """A string scalar (of `type_`, a string type, when given)."""
    arr = strings([value])
    return (arr.cast(type_) if type_ is not None and type_ != arr.type else arr)[0]


def int64s(values) -> np.ndarray:
    """A numpy int64 view of a null-free arrow int64 array (``np.asarray`` on it goes through pandas)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count:
        raise ValueError("int64s takes an array without nulls")
    return np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset:values.offset + len(values)]
