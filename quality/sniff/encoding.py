"""The text encoding of a file's bytes: BOMs, UTF-8, UTF-16 without a BOM, Chinese and Western legacy codecs."""

from __future__ import annotations

import codecs
import re

from quality.sniff.model import HEAD_BYTES

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (9, 10, 12, 13, 27))


def looks_binary(chunk: bytes) -> bool:
    """Many NULs or C0 control bytes: not text in any encoding we read (UTF-16 is caught first)."""
    if not chunk:
        return False
    controls = len(chunk) - len(chunk.translate(None, _CONTROL_BYTES))
    return controls / len(chunk) > 0.05


_NON_ASCII = re.compile(rb"[\x80-\xff]")


_HIGH_RUN = re.compile(rb"[\x80-\xff]+")


_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


_CENTRAL_EUROPEAN = frozenset({"Polish", "Czech", "Slovak", "Hungarian", "Croatian", "Slovene", "Romanian"})


_WESTERN_PUNCT = frozenset("€‚„…†‡‰‹›‘’“”•–—™«»°£§©®¿¡½¼¾²³µ·\xa0\xad")


_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F),  # ideographs
    (0x3000, 0x303F), (0xFF00, 0xFFEF), (0xFE30, 0xFE4F),  # CJK and full-width punctuation
    (0x2010, 0x203B), (0x2160, 0x217F), (0x2460, 0x24FF), (0x2190, 0x21FF), (0x25A0, 0x25FF),
    (0x00B7, 0x00B7), (0x00D7, 0x00D7), (0x00B0, 0x00B1), (0x2103, 0x2103), (0x2116, 0x2116),
)


def detect_encoding(data: bytes) -> tuple[str | None, float]:
    """(encoding, confidence) of text bytes; (None, 0.0) for binary or empty input.

    Order: a BOM; pure ASCII; valid UTF-8; UTF-16 without a BOM (NUL pattern); then for legacy
    8-bit text our own byte-pattern rules before charset-normalizer, because on government
    files charset-normalizer often names short GBK as Big5 and Latin-1 as cp1250: Chinese
    double-byte text shows as even-length runs of high bytes (GBK when every pair lies in the
    GB2312 block, Big5 when trail bytes fall below 0x80), Western text as isolated accented
    letters inside ASCII words (Latin-1, or cp1252 when its 0x80-0x9F punctuation is used).
    Only the first `HEAD_BYTES` are examined, plus a window at the first non-ASCII byte when
    the head is pure ASCII, so an accent on line 10,000 is still seen.
    """
    if not data:
        return None, 0.0
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, 1.0
    head = data[:HEAD_BYTES]
    cut = len(data) > HEAD_BYTES
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16:
            return utf16, 0.9
        if head.count(b"\x00") > len(head) // 100 or looks_binary(head):
            return None, 0.0
    elif looks_binary(head):
        return None, 0.0
    sample, sample_cut = head, cut
    if head.isascii():
        if not cut or data.isascii():
            return "ascii", 1.0
        pos = _NON_ASCII.search(data).start()
        sample = data[pos: pos + HEAD_BYTES]
        sample_cut = pos + HEAD_BYTES < len(data)
    if decodes(sample, "utf-8", sample_cut):
        return "utf-8", 0.99
    return _legacy_encoding(sample, sample_cut)


def after_ascii(fh, start: int, size: int) -> bytes | None:
    """The lines of the binary file `fh` from its first byte that is not ASCII at or after offset `start` (`size`
    bytes at most, cut after a line's end so that no character is cut), or None when the rest is ASCII too: an
    ASCII head says nothing of the encoding of what follows it."""
    fh.seek(start)
    at = start
    while block := fh.read(1 << 20):
        if not block.isascii():
            at += len(block) - len(block.lstrip(_ASCII))
            fh.seek(at)
            window = fh.read(size)
            end = max(window.rfind(b"\n"), window.rfind(b"\r"))
            return window[:end + 1] if end > 0 and len(window) == size else window
        at += len(block)
    return None


_ASCII = bytes(range(0x80))


def decodes(sample: bytes, encoding: str, cut: bool) -> bool:
    """True when `sample` decodes strictly, allowing a multi-byte character split by the cut."""
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=not cut)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _utf16_without_bom(head: bytes) -> str | None:
    window = head[:4096]
    pairs = len(window) // 2
    if pairs < 2:
        return None
    even_nul = sum(1 for i in range(0, pairs * 2, 2) if window[i] == 0)
    odd_nul = sum(1 for i in range(1, pairs * 2, 2) if window[i] == 0)
    if odd_nul >= pairs * 0.4 and even_nul <= pairs * 0.05:
        name = "utf-16-le"
    elif even_nul >= pairs * 0.4 and odd_nul <= pairs * 0.05:
        name = "utf-16-be"
    else:
        return None
    return name if decodes(head[: len(head) // 2 * 2], name, True) else None


def _legacy_encoding(sample: bytes, cut: bool) -> tuple[str | None, float]:
    runs = [len(m.group()) for m in _HIGH_RUN.finditer(sample)]
    isolated = sum(1 for r in runs if r == 1) / len(runs)
    if isolated >= 0.5 and _plausible_western(sample):
        guess = _normalizer_guess(sample)
        if guess and guess[0] in ("cp1250", "iso8859-2") and guess[2] in _CENTRAL_EUROPEAN:
            return guess[0], guess[1]
        c1 = {b for b in sample if 0x80 <= b <= 0x9F}
        if c1 and not c1 & _CP1252_UNDEFINED:
            return "cp1252", 0.85
        return "latin-1", 0.85
    guess = _normalizer_guess(sample)
    chinese = _chinese_encoding(sample, cut)
    if guess and guess[2] in ("Korean", "Japanese") and decodes(sample, guess[0], cut) \
            and (chinese is None or _reads_as(guess[2], sample, guess[0], cut)):
        return guess[0], guess[1]  # EUC-KR and EUC-JP share GB2312's byte ranges: the text decides
    if chinese is not None:
        return chinese
    if guess is None or guess[0].startswith(("utf-16", "utf-32")) or not decodes(sample, guess[0], cut):
        return None, 0.0
    if guess[0] == "gb18030" and decodes(sample, "gbk", cut):
        return "gbk", guess[1]
    return guess[0], guess[1]


#: Hangul syllables that make up most Korean text (particles, endings, common nouns' syllables). Chinese GBK
#: bytes read as EUC-KR/CP949 decode to Hangul too, but to rare syllables (地区,人口 -> 뒈혐,훙왯): charset-normalizer
#: calls a short GBK table Korean, and every public copy of it was garbled.
_COMMON_HANGUL = frozenset(
    "이다는의에하고을가지기로서한사자대시수리정도인보어주제전일과나부생있들성상그해스아게만것니등장여국라구적우학경를"
    "었소면무동문안원거모개마신비유오내은요세회연드되까현위방미후선물공화간계식조민용관중발실업단및결법진습없명차분통"
    "합설품번호금산행체남교재강영각출청속역표였데처토종저북특별입치록터외린울월년개월말더또때문면서받반복본불새석순승"
    "심양억예완왕운율음응의임작점접조직집초최추충타파평포필향헌혁형확활황효히")
_KANA = (0x3040, 0x30FF)


def _reads_as(language: str, sample: bytes, encoding: str, cut: bool) -> bool:
    """Whether `sample`, which GBK also decodes into Chinese, reads as `language` ("Korean", "Japanese") in
    `encoding`: Korean text is mostly common Hangul syllables, Japanese text has kana. GBK read as EUC-KR gives
    rare syllables and hanja, read as EUC-JP kanji alone (姓名 -> 侖兆)."""
    text = codecs.getincrementaldecoder(encoding)("replace").decode(sample[:20_000], final=not cut)
    wide = [ch for ch in text if ord(ch) >= 0x80]
    if not wide:
        return True
    if language == "Japanese":
        kana = sum(1 for ch in wide if _KANA[0] <= ord(ch) <= _KANA[1])
        return kana / len(wide) >= 0.05
    hangul = [ch for ch in wide if 0xAC00 <= ord(ch) <= 0xD7A3]
    if len(hangul) < 0.8 * len(wide):
        return False
    return sum(1 for ch in hangul if ch in _COMMON_HANGUL) / len(hangul) >= 0.3


def _cjk_share(text: str) -> tuple[float, int]:
    """Share of non-ASCII characters that Chinese text is made of, and how many there were.

    GB2312 rows A4-A9 hold kana, Greek, Cyrillic and box drawing: Big5 text decoded as GBK
    lands there, so the share tells the right decoding from a wrong one that merely decodes.
    """
    total = cjk = 0
    for ch in text:
        code = ord(ch)
        if code < 0x80:
            continue
        total += 1
        if any(lo <= code <= hi for lo, hi in _CJK_RANGES):
            cjk += 1
    return (cjk / total if total else 0.0), cjk


def _chinese_encoding(sample: bytes, cut: bool) -> tuple[str, float] | None:
    """GBK, GB18030 or Big5, whichever decodes `sample` into Chinese text; ties go to GBK."""
    best: tuple[float, str, int] | None = None
    for name in ("gbk", "gb18030", "big5"):
        if name == "gb18030" and best is not None:
            continue  # GBK decoded it: GBK suffices, report the smaller encoding
        try:
            text = codecs.getincrementaldecoder(name)("strict").decode(sample, final=not cut)
        except UnicodeDecodeError:
            continue
        share, count = _cjk_share(text[:20_000])
        if best is None or share > best[0]:
            best = (share, name, count)
    if best is None or best[0] < 0.8:
        return None
    return best[1], (0.9 if best[2] >= 8 else 0.7)


def _plausible_western(sample: bytes) -> bool:
    """Accented letters sitting inside words, or typographic punctuation: Western 8-bit text."""
    text = sample.decode("cp1252", "replace")
    total = plausible = 0
    for idx, ch in enumerate(text):
        if ord(ch) < 0x80:
            continue
        total += 1
        if ch in _WESTERN_PUNCT:
            plausible += 1
        elif ch.isalpha():
            before = text[idx - 1] if idx else " "
            after = text[idx + 1] if idx + 1 < len(text) else " "
            if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha()):
                plausible += 1
    return total > 0 and plausible / total >= 0.8


def _normalizer_guess(sample: bytes) -> tuple[str, float, str] | None:
    """charset-normalizer's best guess as (canonical codec name, confidence, language)."""
    import charset_normalizer  # only for the bytes our own rules cannot place

    best = charset_normalizer.from_bytes(sample[:16384]).best()
    if best is None:
        return None
    return _canonical(best.encoding), max(0.1, 0.8 * (1.0 - best.chaos)), best.language


def _canonical(name: str) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return name
    return {"iso8859-1": "latin-1", "gb2312": "gbk", "utf_8": "utf-8", "windows-1252": "cp1252"}.get(codec, codec)


SELF_EVIDENT = frozenset({"ascii", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"})


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")


def xml_declared_encoding(head: bytes) -> str | None:
    match = _XML_ENCODING.match(head[:200])
    if not match:
        return None
    name = _canonical(match.group(1).decode("ascii"))
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def decode_head(head: bytes, encoding: str, cut: bool) -> str:
    try:
        decoder = codecs.getincrementaldecoder(encoding)("replace")
    except LookupError:
        decoder = codecs.getincrementaldecoder("latin-1")("replace")
    return decoder.decode(head, final=not cut)
