"""What every route of the app is, declared in one place: it reads metadata, serves a distribution's bytes
or rows, or writes.

- `READS`: metadata, pages, feeds, figures. It changes no catalog row.
- `SERVES`: hands out a distribution's content or rows. It answers through `app.services.serving` (serve,
  serve masked, or withhold), which also counts the download and sets the cache headers.
- `WRITES`: changes the catalog, accounts or sources. It calls the services (`app/services/`), which alone
  change catalog rows while a request is answered.

tests/app/test_route_guard.py walks the URL map: a route missing here, a serving route that answers
without the gate, or a write outside the services fails the suite. A new route is declared here first.
"""

from __future__ import annotations

READS, SERVES, WRITES = "reads", "serves", "writes"

ROUTE_KINDS: dict[str, str] = {
    # pages
    "datasets.home": READS,
    "datasets.index": READS,
    "datasets.show": READS,  # /dataset/<slug>: the page; other representations are negotiated by app/export/routes.py
    "publishers.index": READS,
    "publishers.show": READS,
    "themes.index": READS,
    "themes.show": READS,
    "dashboard.index": READS,
    "dashboard.download": READS,
    "dashboard.publisher": READS,
    "dashboard.publisher_download": READS,
    "harvest_status.index": READS,
    "harvest_status.job": READS,
    "harvest_status.source": READS,
    "audit.index": READS,
    "audit.index_json": READS,
    "health.health": READS,
    "static": READS,
    # catalog exports and metadata formats
    "exports.catalog": READS,
    "exports.catalog_dump": READS,
    "exports.data_json": READS,
    "exports.dataset_format": READS,
    "exports.dataset_badge": READS,
    "exports.publisher_badge": READS,
    "exports.quality_metric": READS,
    # a distribution's bytes and rows
    "data.data": SERVES,
    "data.csv_metadata": SERVES,
    "uploads.uploaded_file": SERVES,
    # the REST API
    "api_rest.not_found": READS,
    "api_rest.datasets": READS,
    "api_rest.dataset": READS,
    "api_rest.dataset_quality": READS,
    "api_rest.dataset_quality_history": READS,
    "api_rest.dataset_usage": READS,
    "api_rest.docs": READS,
    "api_rest.openapi_document": READS,
    "api_rest.harvest_job": READS,
    "api_rest.harvest_sources": READS,
    "api_rest.harvest_source": READS,
    "api_rest.harvest_source_report": READS,
    "api_rest.publishers": READS,
    "api_rest.publisher": READS,
    "api_rest.publisher_quality": READS,
    "api_rest.quality_publishers": READS,
    "api_rest.dataset_check": WRITES,  # keeps the evidence of the link checks it makes
    "api_rest.dataset_create": WRITES,
    "api_rest.dataset_patch": WRITES,
    "api_rest.dataset_distributions": WRITES,
    "api_rest.dataset_publish": WRITES,
    "api_rest.dataset_withdraw": WRITES,
    "api_rest.dataset_restore": WRITES,
    "api_rest.dataset_pii_override": WRITES,
    "api_rest.dataset_detach": WRITES,
    # the CKAN Action API: reads and writes by action name (app/api/ckan_action.py ACTIONS and WRITES)
    "api_ckan_action.action": WRITES,
    # agencies' pages and accounts
    "publish.index": READS,
    "publish.edit": WRITES,  # runs the pre-publication check and keeps its link evidence
    "publish.create": WRITES,
    "publish.update": WRITES,
    "publish.add_distribution": WRITES,
    "publish.remove_distribution": WRITES,
    "publish.change_state": WRITES,
    "account.login": WRITES,
    "account.logout": WRITES,
    "account.index": READS,
    "account.token_create": WRITES,
    "account.token_revoke": WRITES,
}


def kind_of(endpoint: str | None) -> str | None:
    return ROUTE_KINDS.get(endpoint or "")
