"""Harvesters: turn what a source publishes (CKAN, DCAT, data.json, Data Package) into catalog records.

Everything that goes out to the network passes through `plumbing.http.GuardedSession`, the
platform's one outbound HTTP session (timeouts, retries, size caps, SSRF guard). This package
imports `catalog_schema` and `plumbing`, nothing of `app`: settings come in as arguments.
"""
