"""Archives built for tests: a zip bomb the sniffer and the stars rule must see through."""

from __future__ import annotations

import struct
import zlib


def deflated_zip_bomb(size: int = 1 << 30, name: str = "zeros.csv", names: list[str] | None = None) -> bytes:
    """A valid ZIP whose members each inflate to `size` zero bytes, built without holding them.

    One MiB of zeros is deflated once, ending in a full flush so the block depends on nothing
    before it; a member is that block repeated, then an empty final block.
    """
    chunk = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    stream = block * (size // len(chunk)) + b"\x03\x00"
    crc = 0
    for _ in range(size // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    body, directory = b"", b""
    for member in names or [name]:
        raw = member.encode()
        offset = len(body)
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(stream), size, len(raw),
                            0) + raw + stream
        directory += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(stream),
                                 size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    count = len(names or [name])
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(body), 0)
    return body + directory + eocd
