"""PDFs made byte by byte, as a government office's software writes them: Chinese text in a CID font (Type0,
Identity-H) whose ToUnicode map says which character each glyph is, content streams compressed with FlateDecode,
scanned pages that are an image and no text, and bombs (a page tree of a million pages in a few kilobytes, a content
stream that unpacks to 256 MiB, objects nested far deeper than any reader's stack). No library writes them: what
the personal-data tests publish is what a reader must decode."""

from __future__ import annotations

import zlib

from tests.support.personal import HEADER, ROWS

#: A list of subsidy recipients as a notice prints it: a title, a header line and one line per resident.
RECIPIENTS = ["临江区2026年高龄津贴发放名单", "  ".join(HEADER[:4]), *["  ".join(row[:4]) for row in ROWS]]
NOTICE = ["临江区2026年高龄津贴发放公告", "根据《临江区高龄津贴发放办法》，本季度共发放津贴 1,204,000 元。",
          "各街道共 3,210 人领取，详见各街道公示栏。咨询：区民政局办公室。"]


class _Doc:
    """Objects in order (1-based numbers), written with an xref table."""

    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def reserve(self) -> int:
        return self.add(b"null")

    def put(self, number: int, body: bytes) -> None:
        self.objects[number - 1] = body

    def stream(self, data: bytes, extra: bytes = b"", *, flate: bool = True) -> int:
        if flate:
            data, extra = zlib.compress(data), extra + b" /Filter /FlateDecode"
        return self.add(b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream")

    def bytes(self, root: int, trailer: bytes = b"") -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(self.objects) + 1, root, trailer, xref)
        return bytes(out)


def _cid_font(doc: _Doc, chars: list[str]) -> int:
    """A Type0 font, Identity-H, whose glyph n+1 is chars[n] by its ToUnicode map (no glyphs embedded: a reader
    that shows the page substitutes a system font; what the text is comes from the map)."""
    entries = [b"<%04X> <%s>" % (n + 1, ch.encode("utf-16-be").hex().upper().encode()) for n, ch in enumerate(chars)]
    blocks = b"".join(b"%d beginbfchar\n" % len(entries[i:i + 100]) + b"\n".join(entries[i:i + 100]) +
                      b"\nendbfchar\n" for i in range(0, len(entries), 100))
    cmap = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n" + blocks +
            b"endcmap\nCMapName currentdict /defineresource pop\nend\nend\n")
    to_unicode = doc.stream(cmap)
    descendant = doc.add(b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /CIDSystemInfo << /Registry "
                         b"(Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>")
    return doc.add(b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts "
                   b"[%d 0 R] /ToUnicode %d 0 R >>" % (descendant, to_unicode))


def _image(doc: _Doc) -> int:
    """A small grey scan (what a scanner's PDF holds instead of text)."""
    pixels = bytes((x * 7 + y * 13) % 256 for y in range(64) for x in range(64))
    return doc.stream(pixels, b" /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray "
                              b"/BitsPerComponent 8")


def pdf_bytes(*pages: list[str] | None, flate: bool = True) -> bytes:
    """A PDF of these pages: each a list of lines of text (Chinese and digits, in a CID font), or None for a scanned
    page (an image, no text)."""
    doc = _Doc()
    catalog, tree = doc.reserve(), doc.reserve()
    chars = sorted({ch for page in pages if page for line in page for ch in line})
    font = _cid_font(doc, chars) if chars else None
    image = _image(doc) if any(page is None for page in pages) else None
    kids = []
    for page in pages:
        if page is None:
            content, resources = b"q 500 0 0 700 50 70 cm /Im1 Do Q", b"<< /XObject << /Im1 %d 0 R >> >>" % image
        else:
            shown = b"".join(b"<" + "".join(f"{chars.index(ch) + 1:04X}" for ch in line).encode() + b"> Tj T*\n"
                             for line in page)
            content = b"BT /F1 10 Tf 14 TL 40 800 Td\n" + shown + b"ET"
            resources = b"<< /Font << /F1 %d 0 R >> >>" % font
        stream = doc.stream(content, flate=flate)
        kids.append(doc.add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %d 0 R >>"
                            % (tree, resources, stream)))
    doc.put(tree, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    doc.put(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % tree)
    return doc.bytes(catalog)


def page_bomb(fanout: int = 1000) -> bytes:
    """A page tree of fanout² pages in a few kilobytes: the root's kids are one node `fanout` times, whose kids are
    one page `fanout` times (a reader flattening the tree copies the page once per reference)."""
    doc = _Doc()
    catalog, root, node = doc.reserve(), doc.reserve(), doc.reserve()
    font = _cid_font(doc, sorted(set(RECIPIENTS[0])))
    stream = doc.stream(b"BT /F1 10 Tf 40 800 Td <" + "".join(f"{n:04X}" for n in range(1, 5)).encode() + b"> Tj ET")
    page = doc.add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                   b"/Contents %d 0 R >>" % (node, font, stream))
    doc.put(node, b"<< /Type /Pages /Parent %d 0 R /Kids [%s] /Count %d >>" % (root, b" ".join([b"%d 0 R" % page] *
                                                                                             fanout), fanout))
    doc.put(root, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join([b"%d 0 R" % node] * fanout), fanout ** 2))
    doc.put(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % root)
    return doc.bytes(catalog)


def flate_bomb(unpacked: int = 1 << 28) -> bytes:
    """One page whose content stream is `unpacked` bytes (256 MiB, eight times the scan's bound of a stream) of
    text-showing operators, FlateDecoded to about a thousandth of that: `(1) Tj` over and over."""
    doc = _Doc()
    catalog, tree = doc.reserve(), doc.reserve()
    packer = zlib.compressobj(9)
    block = b"(1) Tj " * (1 << 20)
    packed = bytearray(packer.compress(b"BT /F1 10 Tf 40 800 Td\n"))
    for _ in range(unpacked // len(block)):
        packed += packer.compress(block)
    packed += packer.compress(b"ET") + packer.flush()
    stream = doc.add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + bytes(packed) + b"\nendstream")
    return _one_page(doc, catalog, tree, stream)


def _one_page(doc: _Doc, catalog: int, tree: int, stream: int) -> bytes:
    """`doc` finished as one page of `stream` in Helvetica, under the reserved catalog and page tree."""
    font = doc.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    page = doc.add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                   b"/Contents %d 0 R >>" % (tree, font, stream))
    doc.put(tree, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    doc.put(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % tree)
    return doc.bytes(catalog)


def nested_bomb(depth: int = 200_000) -> bytes:
    """One page whose content stream nests arrays `depth` deep before its text: a parser that recurses runs out of
    stack."""
    doc = _Doc()
    catalog, tree = doc.reserve(), doc.reserve()
    stream = doc.stream(b"[" * depth + b"]" * depth + b" pop BT /F1 10 Tf 40 800 Td (x) Tj ET")
    return _one_page(doc, catalog, tree, stream)


def encrypted(data: bytes, user_password: str, algorithm: str = "RC4-128") -> bytes:
    """`data` (a PDF) encrypted by pypdf's writer: with an empty `user_password` it opens in any reader (only its
    owner's permissions are restricted); with one, nobody reads it without the password."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
