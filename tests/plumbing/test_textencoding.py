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


def test_portuguese_whose_accented_letters_come_in_pairs_is_read_as_western():
    """"situação" in cp1252 is valid GBK ("situa玢o": E7 E3 a GB2312 pair, E3 6F one with an ASCII trail): one short
    Brazilian table in ten was read as Chinese, and as HP Roman-8 once it was not. 300 random short tables of
    Portuguese words (one to six rows, cp1252 and Latin-1) are all read as Western now; Chinese with Latin terms glued
    to it ("GDP总量", "B超X光机") and Big5 whose trail bytes are ASCII letters (臺北: B1 4F A5 5F) stay Chinese."""
    import random

    words = ["educação", "população", "São Paulo", "região", "município", "informação", "administração", "saúde",
             "Maranhão", "Paraná", "Goiânia", "Belém", "ações", "gestão", "média", "número", "público", "situação",
             "Ceará", "Piauí", "conceição", "ano", "total", "valor", "escola", "cidade", "estado"]
    rng = random.Random(1)
    wrong = []
    for _ in range(300):
        rows = ["nome;valor;situação"] + [f"{rng.choice(words)} {rng.choice(words)};{rng.randint(1, 999)};"
                                          f"{rng.choice(words)}" for _ in range(rng.randint(1, 6))]
        data = ("\n".join(rows) + "\n").encode(rng.choice(["cp1252", "latin-1"]))
        if detect_encoding(data)[0] not in ("cp1252", "latin-1"):
            wrong.append((detect_encoding(data)[0], data))
    assert wrong == []
    chinese = "指标;数值;备注\nGDP总量;1200;同比增长\nB超X光机;3;A栋\nPM2.5浓度;35;北京市\n" * 3
    assert detect_encoding(chinese.encode("gbk"))[0] == "gbk"
    taipei = "名稱,數值\n臺北市,12\n新竹縣鄉鎮,7\n高雄市區人口,30\n" * 3
    assert detect_encoding(taipei.encode("big5"))[0] == "big5"
