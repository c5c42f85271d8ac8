"""The native REST API under /api/v1: datasets, publishers, quality, harvest sources and jobs, publishing.

Every endpoint is declared once with `api.endpoint(...)` (app/api/openapi.py): the
declaration routes it, validates its query parameters and describes it in
/api/v1/openapi.json and on /api/v1/docs. Responses are JSON; errors have one stable
shape (app/api/errors.py). Catalog reads carry a weak ETag and answer 304 to a
matching If-None-Match, so clients that poll (harvesters, dashboards) cost little.
Reads of one dataset count as an API call in its usage counters (app/services/usage.py).

One module a resource family, each declaring its endpoints on the blueprint of `blueprint.py`:

- `datasets.py`: search, one dataset, its usage;
- `quality.py`: a dataset's assessments, a publisher's quality, the league table;
- `publishers.py`: publishers and their counts;
- `harvest.py`: harvest sources and jobs;
- `publishing.py`: the writes (token only): drafts, files, the pre-publication check, publish, withdraw;
- `docs.py`: the OpenAPI document, the documentation page, and the 404 for anything else.

`responses.py` holds what they share: query parameters, links, paging, conditional responses.
"""

from __future__ import annotations

# Importing a resource module declares its endpoints; the order is the order of the registry.
from app.api.rest import datasets, docs, harvest, publishers, publishing, quality, rows  # noqa: F401
from app.api.rest.blueprint import api, bp

__all__ = ["api", "bp"]
