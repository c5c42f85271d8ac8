"""Heavy libraries load only on the paths that need them (issue 13, item 7): measured in bench/cli_start.py,
checked here by what a fresh interpreter has imported (no timing)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "pyarrow", "numpy", "rdflib", "openpyxl", "xlrd", "charset_normalizer")


def _loaded(code: str) -> set[str]:
    script = code + f"\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_the_assessment_and_the_rule_registry_load_no_heavy_library():
    assert _loaded("import quality.assess, quality.catalog, quality.docs\n"
                   "from quality.findings import FINDING_TYPES\nFINDING_TYPES.load()") == set()


def test_sniffing_a_text_file_loads_no_heavy_library():
    assert _loaded("from quality.sniff import sniff\nsniff(b'a,b\\n1,2\\n', filename='x.csv')\n"
                   "sniff(b'{\"a\": 1}')") == set()


def test_the_table_reader_needs_only_pyarrow_and_numpy_to_import():
    assert _loaded("import quality.tabular") == {"pyarrow", "numpy"}


def test_rdf_is_parsed_with_rdflib_loaded_then():
    assert _loaded("from quality import openness") == set()
    triple = "b'<http://a.example/s> <http://a.example/p> <http://b.example/o> .'"
    assert "rdflib" in _loaded(f"from quality import openness\nopenness.rdf_link_stats({triple}, 'NTRIPLES')")


def test_opendata_help_loads_none_of_them():
    loaded = _loaded("from app.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert loaded == set()


def test_a_converted_and_masked_download_loads_no_pandas(tmp_path):
    """A gunicorn worker's first data.csv or data.json of a table (dates and numbers normalised, a column
    masked) imported pandas through arrow's `to_numpy()` on booleans: 0.4-0.7 s on that request."""
    table = tmp_path / "t.csv"
    table.write_text("id,day,phone,amount,note\n1,2024-01-02,13800138000,1.50,a\n2,2024-2-3,13900139000,2,\n"
                     "3,,not a phone,x,c\n", encoding="utf-8")
    code = (f"from app.export import convert\n"
            f"t = convert.masked(convert.open_table({str(table)!r}, format='CSV', encoding='utf-8'), ['phone'])\n"
            f"assert b'13800138000' not in b''.join(convert.to_csv(t))\n"
            f"t = convert.open_table({str(table)!r}, format='CSV', encoding='utf-8')\n"
            f"assert b'2024-01-02' in b''.join(convert.to_json(t, limit=None))\n")
    assert "pandas" not in _loaded(code)
