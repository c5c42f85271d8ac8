"""`opendata search reindex` rebuilds this machine's index from the database, with progress; `status` tells
what it holds; a server process then answers from that folder without building it again."""

from __future__ import annotations

import os
from pathlib import Path

from catalog_schema import search
from catalog_schema.record import new_record
from catalog_schema.store import save_record
from tests.support.cli import Ran, opendata

ROOT = Path(__file__).resolve().parents[2]


def _opendata(*args: str, env: dict[str, str]) -> Ran:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    return opendata(*args, env={**base, **env})


def test_reindex_with_progress_then_status(session, db_url, tmp_path):
    for i in range(25):
        save_record(session, new_record(slug=f"ds-{i:02d}", title={"en": f"Bus ridership {i}", "zh": "公交客运量"},
                                        state="draft" if i == 0 else "active"))
    session.commit()
    index_dir = tmp_path / "index"
    env = {"OPENDATA_DATABASE_URL": db_url, "OPENDATA_INSTANCE_DIR": str(tmp_path),
           "OPENDATA_SEARCH_INDEX_DIR": str(index_dir)}
    done = _opendata("search", "reindex", "--batch", "10", env=env)
    assert done.returncode == 0, done.stderr
    # the draft is indexed too (found only by the searches of those who may read it: CKAN's include_private)
    assert "10/25 datasets" in done.stdout or "25/25 datasets (100%)" in done.stdout
    assert "indexed 25 datasets" in done.stdout
    generation = (index_dir / "CURRENT").read_text()
    assert generation in done.stdout

    status = _opendata("search", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert "documents: 25" in status.stdout and generation in status.stdout

    search.configure(db_url, index_dir)
    try:
        found = search.search(session, search.SearchQuery(q="公交", limit=100))
        assert found.total == 24
        assert search.index_for(session).stats()["generation"] == generation  # opened, not rebuilt
    finally:
        search.forget(db_url)
