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


# docs/architecture.md: what each package may import of ours (app may import everything)
ALLOWED = {"catalog_schema": {"plumbing"}, "harvesters": {"catalog_schema", "plumbing"},
           "quality": {"catalog_schema", "plumbing"}}


def test_each_layer_imports_only_the_layers_under_it():
    root = Path(__file__).parents[2]
    for package, allowed in ALLOWED.items():
        sources = sorted((root / package).rglob("*.py"))
        assert len(sources) > 3, package
        for source in sources:
            wrong = _imported(source) & (OURS | {"plumbing"}) - allowed - {package}
            assert not wrong, f"{source.relative_to(root)} imports {sorted(wrong)}"
