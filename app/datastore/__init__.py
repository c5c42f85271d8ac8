"""The row store behind the data API: each archived table as a Parquet file, queried with DuckDB.

A derived store, never a source of truth (docs/architecture.md, "The row store"): `load.py` turns an
archived copy (any table `quality.tabular.read_table` reads) into ``<DATASTORE_DIR>/ab/<key>.parquet``,
keyed by the copy's hash and its distribution's declared table schema (`load.store_key`), when the
assessment archives it, or on `opendata datastore rebuild`; a copy that
cannot be loaded leaves ``<sha256>.error.json`` saying why. `query.py` answers searches over one file with
SQL built only from validated, quoted column names and bound values. The doors (CKAN `datastore_*`, the
dump, `/api/v1/.../rows`) hand their rows out through `app.services.serving`. `vet.py` and `sandbox.py` are
CKAN's `datastore_search_sql` (off by default): a client's SELECT checked on DuckDB's parse tree, then run
over the gate's tables in a locked in-memory DuckDB.
"""
