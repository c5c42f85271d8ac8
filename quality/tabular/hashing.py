"""64-bit hashes of rows, vectorised, for duplicate rows and primary keys in bounded memory."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


_BASE = 0x100000001B3  # odd, so invertible modulo 2**64


_BASE_INV = pow(_BASE, -1, 2**64)


_LEN_MIX = np.uint64(0x9E3779B97F4A7C15)


_tables: dict[str, np.ndarray] = {}


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the whole word."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**i and BASE**-i modulo 2**64 for i < n (numpy's uint64 arithmetic wraps)."""
    if len(_tables.get("pow", ())) < n:
        size = max(n, 2 * len(_tables.get("pow", ())), 1 << 16)
        for key, base in (("pow", _BASE), ("inv", _BASE_INV)):
            table = np.full(size, base, dtype=np.uint64)
            table[0] = 1
            _tables[key] = np.cumprod(table, dtype=np.uint64)
    return _tables["pow"], _tables["inv"]


def column_hash(col: pa.Array) -> np.ndarray:
    """A 64-bit hash of every string of an array, from its bytes, without a Python loop.

    Each cell's polynomial sum(byte_i * BASE**i) is computed with absolute byte positions (one
    multiply against a contiguous slice of powers, one segmented sum) and brought back to the
    cell's own origin by multiplying with BASE**-start, then mixed with the cell's length."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if not pa.types.is_string(col.type):
        col = pc.cast(col, pa.string())
    n = len(col)
    bufs = col.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[col.offset:col.offset + n + 1].astype(np.int64)
    lengths = np.diff(offsets)
    start = int(offsets[0])
    total = int(offsets[-1]) - start
    h = np.zeros(n, dtype=np.uint64)
    if total:
        pw, inv = _powers(total)
        data = np.frombuffer(bufs[2], dtype=np.uint8)[start:start + total]
        weighted = data * pw[:total]
        starts = offsets[:-1] - start
        filled = lengths > 0
        fs = starts[filled]
        h[filled] = np.add.reduceat(weighted, fs) * inv[fs]
    return _mix(h ^ (lengths.astype(np.uint64) * _LEN_MIX))


def combine_hashes(hashes: list[np.ndarray]) -> np.ndarray:
    """One hash per row from its columns' hashes, order-sensitive."""
    out = np.zeros(len(hashes[0]) if hashes else 0, dtype=np.uint64)
    for j, h in enumerate(hashes):
        out = _mix(out * _BASE + h + np.uint64(j + 1))
    return out
