"""Fixtures for harvest tests: a runtime on the test database and a source factory."""

from __future__ import annotations

import pytest

from app import settings as settings_mod
from app.jobs import Runtime


@pytest.fixture
def runtime(db_url, tmp_path):
    values = settings_mod.load({})
    values.update({"DATABASE_URL": db_url, "ALLOW_HOSTS": ["127.0.0.1"], "HTTP_TIMEOUT": 5.0, "HTTP_RETRIES": 2,
                   "INSTANCE_DIR": str(tmp_path), "ARCHIVE_DIR": str(tmp_path / "archive")})
    rt = Runtime(values)
    yield rt
    rt.close()


@pytest.fixture
def add_source(runtime):
    from catalog_schema.models import HarvestSource
    from catalog_schema.store import ensure_publisher

    def add(name: str, type_: str, url: str, publisher: str | None = None, config: dict | None = None):
        with runtime.sessionmaker() as session:
            pub = ensure_publisher(session, {"slug": publisher, "name": {"": publisher}}) if publisher else None
            session.add(HarvestSource(name=name, type=type_, url=url, publisher=pub, config=config or {}))
            session.commit()
        return name

    return add
