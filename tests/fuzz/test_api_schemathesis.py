"""Schemathesis against /api/v1/openapi.json, in-process on the WSGI app, on a small loaded catalog.

Every operation of the published document is called with generated parameters (deterministic:
hypothesis derandomized, a fixed number of examples per operation). No answer may be a 5xx, and
every answer must be one the document declares, with its declared content type and schema.
Writes are called without credentials: they must refuse (401/403) in the documented shape.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from catalog_schema import search
from catalog_schema.models import HarvestJob, HarvestSource
from catalog_schema.record import new_record
from catalog_schema.store import ensure_publisher, save_record

EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def loaded(app):
    """Three datasets of one publisher (so slugs exist), a harvest source with a finished job."""
    factory = app.extensions["opendata"]["sessionmaker"]
    with factory() as session:
        ensure_publisher(session, {"slug": "city", "name": {"en": "City", "zh": "市"}})
        for i, title in enumerate(("Bus stops", "Road works", "Air quality")):
            ds, _ = save_record(session, new_record(
                slug=f"ds-{i}", title={"en": title}, keywords=["transport"], publisher={"slug": "city"},
                license="CC-BY-4.0", distributions=[{"download_url": f"http://127.0.0.1:9/{i}.csv", "format": "CSV"}]))
            session.flush()
            search.index_dataset(session, ds)
        src = HarvestSource(name="city-ckan", type="ckan", url="http://127.0.0.1:9/")
        session.add(src)
        session.flush()
        session.add(HarvestJob(source_id=src.id, status="finished", added=3))
        session.commit()
    return app


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_operation_answers_as_documented(loaded):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", loaded)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: dict[str, str] = {}
    called = 0
    for operation in operations:
        seen: list[int] = []
        try:
            _fuzz(operation, seen)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure, report them together
            failures[operation.label] = f"{type(exc).__name__}: {str(exc)[:1500]}"
        called += len(seen)
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
    assert called >= len(operations) * 2


def _fuzz(operation, seen: list[int]) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        # schemathesis' WSGI transport does not undo Content-Encoding (an HTTP client would): ask for identity,
        # as compression is tested on its own (tests/app/test_delivery.py)
        response = case.call(headers={"Accept-Encoding": "identity"})
        seen.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    run()
