"""The base package imports nothing of ours, so every layer may import it."""

from __future__ import annotations

import ast
from pathlib import Path

OURS = {"app", "catalog_schema", "harvesters", "quality", "bench"}


def _imported(source: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add((node.module or "").split(".")[0])
    return modules


def test_plumbing_imports_nothing_of_ours():
    sources = sorted((Path(__file__).parents[2] / "plumbing").glob("*.py"))
    assert {s.name for s in sources} >= {"__init__.py", "http.py", "http_errors.py", "archive.py", "bombs.py"}
    for source in sources:
        assert not _imported(source) & OURS, source.name
    assert "requests" in _imported(sources[0].parent / "http.py")
