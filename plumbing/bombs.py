"""The zip-bomb rule: an archive member whose declared size and compression ratio are absurd is a bomb,
and so are members that together claim too much. Read from what an archive declares (its directory, a
gzip trailer), never by unpacking. The sniffer reports a bomb; the upload vetting refuses one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

BOMB_RATIO = 100  # compression ratio above which a large member is treated as a bomb
BOMB_MIN_BYTES = 100 * 1024 * 1024  # ... when it also claims at least this many bytes
BOMB_TOTAL_BYTES = 8 * 1024 ** 3  # members together claiming this much are a bomb whatever their ratios


def member_bomb(name: str, size: int | None, compressed: int | None) -> dict[str, Any] | None:
    """The bomb one member is (name, sizes, ratio), or None; unknown sizes are no evidence."""
    if size is None or compressed is None:
        return None
    ratio = size / max(compressed, 1)
    if size >= BOMB_MIN_BYTES and ratio >= BOMB_RATIO:
        return {"member": name, "uncompressed": size, "compressed": compressed, "ratio": round(ratio)}
    return None


def total_bomb(count: int, size: int, compressed: int) -> dict[str, Any] | None:
    """The bomb `count` members are together (their summed sizes), or None."""
    if size >= BOMB_TOTAL_BYTES:
        return {"member": f"(all {count} members)", "uncompressed": size, "compressed": compressed,
                "ratio": round(size / max(compressed, 1))}
    return None


def archive_bomb(members: Iterable[tuple[str, int | None, int | None]]) -> dict[str, Any] | None:
    """The first member that is a bomb, else the members together if they are: (name, size, compressed)."""
    count = size = compressed = 0
    for name, member_size, member_compressed in members:
        found = member_bomb(name, member_size, member_compressed)
        if found is not None:
            return found
        count += 1
        size += member_size or 0
        compressed += member_compressed or 0
    return total_bomb(count, size, compressed)
