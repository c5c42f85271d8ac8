"""Harvesters keep no state between gather and to_record: an item alone, as a batch task receives it
(JSON, on another worker), maps to the record the gathering instance would make, for every type."""

from __future__ import annotations

import json

import pytest

from catalog_schema.models import HarvestSource
from harvesters import registry
from harvesters.base import RemoteItem
from harvesters.distributed import decode_item, encode_item
from plumbing.http import GuardedSession
from tests.support.httpserver import LocalServer
from tests.support.sources import KINDS, serve_source

TYPES = ["ckan", "dcat", "datajson", "datapackage"]


def test_every_registered_type_is_covered():
    assert sorted(registry.available()) == sorted(TYPES)  # a new type needs a kind in tests/support/sources.py


@pytest.mark.parametrize("kind", KINDS)
def test_to_record_needs_only_the_item(kind, fixtures_dir, tmp_path):
    with LocalServer() as server, GuardedSession.from_settings({"ALLOW_HOSTS": ["127.0.0.1"],
                                                                "HTTP_RETRIES": 0}) as http:
        type_, url = serve_source(kind, server, fixtures_dir, tmp_path)
        cls = registry.load([type_])[type_]
        source = HarvestSource(name=kind, type=type_, url=url, config={})
        gatherer = cls(source, http)
        items = list(gatherer.gather())
    assert items and not any(item.error for item in items)
    for item in items:
        wire = encode_item(item)
        assert wire is not None, f"{item.remote_id}: no JSON form, so no batch task could import it"
        received = decode_item(json.loads(json.dumps(wire)))  # as the broker hands it to another worker
        assert received == item
        fresh = cls(source, None)  # never gathered, no network: a worker's harvester
        assert fresh.to_record(received) == gatherer.to_record(item), item.remote_id


def test_datajson_catalog_context_travels_with_each_item(fixtures_dir, tmp_path):
    """The data.json records name their catalog (its @id), which only the document around them says."""
    with LocalServer() as server, GuardedSession.from_settings({"ALLOW_HOSTS": ["127.0.0.1"]}) as http:
        _type, url = serve_source("datajson", server, fixtures_dir, tmp_path)
        cls = registry.load(["datajson"])["datajson"]
        items = list(cls(HarvestSource(name="d", type="datajson", url=url, config={}), http).gather())
    fresh = cls(HarvestSource(name="d", type="datajson", url=url, config={}), None)
    for item in items:
        record = fresh.to_record(decode_item(json.loads(json.dumps(encode_item(item)))))
        assert record["extras"]["datajson_catalog"] == "http://www.cftc.gov/data.json"
    assert fresh.to_record(RemoteItem("x", items[0].payload)).get("extras", {}).get("datajson_catalog") is None
