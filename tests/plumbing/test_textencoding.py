"""Western (cp1252) and Central European (cp1250) text: each read in its own code page, whatever charset-normalizer
guesses. The fixtures are tables written for these tests (tests/fixtures/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plumbing.textencoding import decide_encoding, declarations, detect_encoding

WRITTEN = Path(__file__).resolve().parents[1] / "fixtures" / "written"
WESTERN = WRITTEN / "cp1252_western_towns.csv"  # French, Spanish and German: é è à ñ ß € “ ”
CENTRAL = WRITTEN / "cp1250_central_towns.csv"  # Czech and Polish: ř č ě ł ś ź ń


def _rows(path: Path, times: int) -> bytes:
    """The fixture with its rows repeated `times` times under its header."""
    head, _, rows = path.read_bytes().partition(b"\n")
    return head + b"\n" + rows * times


@pytest.mark.parametrize("times", [1, 10, 1000])
@pytest.mark.parametrize(("path", "codec"), [(WESTERN, "cp1252"), (CENTRAL, "cp1250")], ids=["western", "central"])
def test_western_and_central_european_tables_are_read_in_their_own_code_page(path, codec, times):
    """The French table was cp1250 ("Genčve", "trčs élevé ŕ côté", "mańana"), the Czech and Polish one repeated ten
    times cp1252 ("Pøerov", "£ódŸ")."""
    data = _rows(path, times)
    encoding, _ = detect_encoding(data)
    assert encoding == codec
    assert data.decode(encoding) == data.decode(codec)


def test_western_text_both_code_pages_read_alike_is_named_cp1252():
    """é, É, € and “ ” are the same bytes in both: the file was named cp1250 (so said its encoding-not-utf8 finding)."""
    data = "commune;budget\nSaint-Étienne;1 500 €\nBéziers;“élevé”\n".encode("cp1252")
    assert detect_encoding(data)[0] == "cp1252"


def test_czech_whose_accented_letters_stand_together_is_not_gbk():
    """Žďár: three accented letters in a row, and ř or á before an ASCII letter make valid GBK pairs; the table was
    read as Chinese."""
    data = b"obec;kraj;obyvatel;pozn\n" + "Žďár nad Sázavou;Vysočina;20 000;zámek\n".encode("cp1250") * 50
    assert detect_encoding(data) == ("cp1250", 0.85)
    assert "Žďár nad Sázavou" in data.decode("cp1250")


def test_a_declared_code_page_the_bytes_bear_out_still_wins():
    """Detection picks between single-byte code pages only when nothing is declared: a cp1250 declaration of bytes
    detected as cp1252 is taken (both decode them)."""
    data = WESTERN.read_bytes()
    assert decide_encoding(data, declarations(content_type="text/csv; charset=windows-1250")).encoding == "cp1250"
    assert decide_encoding(data).encoding == "cp1252"
