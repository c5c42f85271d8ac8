"""The row store keeps a copy once per declared table schema (app.datastore.load.store_key).

The demo's district table is harvested from a Data Package that declares `district_code` a string; the same CSV
linked by hand declares nothing, so its conversions infer integers. Keyed by the file's hash alone, the store held
the first load for both: the link's rows API and datastore_search said text while its data.json said integer."""

from __future__ import annotations

from types import SimpleNamespace

from app.datastore import load as store

CSV = "district_code,district_name,households\n990101,海城区,216791\n990102,临江区,117658\n".encode()
SCHEMA = {"fields": [{"name": "district_code", "type": "string"}, {"name": "district_name", "type": "string"},
                     {"name": "households", "type": "integer"}]}
SHA = "e" * 64


def _dist(path, schema):
    return SimpleNamespace(archive_hash=SHA, archive_path=str(path), detected_format="CSV", detected_encoding="utf-8",
                           table_schema=schema)


def _types(got: store.Loaded) -> dict[str, str]:
    return {f.id: f.schema_type for f in got.fields}


def test_two_distributions_of_one_file_are_typed_each_by_its_own_schema(tmp_path):
    path = tmp_path / "population.csv"
    path.write_bytes(CSV)
    root = tmp_path / "store"
    declared, plain = _dist(path, SCHEMA), _dist(path, None)
    assert store.key_of(plain) == SHA and store.key_of(declared).startswith(SHA + "-")
    first = store.ensure(root, declared)  # the harvested one is loaded first, as in the demo
    second = store.ensure(root, plain)
    assert _types(first)["district_code"] == "string" and _types(second)["district_code"] == "integer"
    assert first.path != second.path and first.sha256 == second.sha256 == SHA
    # each door finds its own: by the key of the distribution it serves
    assert store.lookup(root, store.key_of(declared)) == first and store.lookup(root, store.key_of(plain)) == second
    loaded = store.load_all(root, [store.Source.of(declared), store.Source.of(plain)])
    assert set(loaded) == {store.key_of(declared), SHA}
    # kept and pruned with their file: both are the copy's, whatever schema read them
    assert len(store.stored_hashes(root)[SHA]) >= 2
    assert store.prune(root, {SHA}) == {}
    gone = store.prune(root, set())
    assert {p.name.split(".")[0] for p in gone[SHA]} >= {SHA, store.key_of(declared)}
    assert store.lookup(root, store.key_of(declared)) is None and store.lookup(root, SHA) is None


def test_a_schema_is_keyed_by_what_it_says_not_how_it_is_written():
    reordered = {"fields": [dict(reversed(list(f.items()))) for f in SCHEMA["fields"]]}
    assert store.store_key(SHA, SCHEMA) == store.store_key(SHA, reordered)
    assert store.store_key(SHA, {}) == store.store_key(SHA, None) == SHA
    other = {"fields": [{**SCHEMA["fields"][0], "type": "integer"}, *SCHEMA["fields"][1:]]}
    assert store.store_key(SHA, other) != store.store_key(SHA, SCHEMA)
