"""Plumbing one floor down: what every layer needs and none owns.

- `plumbing.http`: the guarded outbound HTTP session (SSRF guard, timeouts, retries, size caps,
  circuit breaker); `plumbing.http_errors` its typed errors (`HttpError` with a `kind`).
- `plumbing.archive`: the content-addressed archive writer (stream, cap, sha256, archive/ab/abcdef...).
- `plumbing.bombs`: the zip-bomb rule (ratio and size limits) the sniffer and the upload vetting share.
- `plumbing.jsontext`: JSON text by orjson, and by json where orjson would write or read otherwise.
- `plumbing.textencoding`: the text encoding of bytes, one decision for every door that reads text.
- `plumbing.cjk`: the spaces between Chinese text and the values put in it, one rule for the translations (app) and
  the quality findings.
- `plumbing.interrupts`: a SystemExit or Ctrl-C that a database driver turned into its own error, found
  again, so that a process told to stop stops.

This package imports nothing of ours; catalog_schema, harvesters, quality and app may all import it.
"""
