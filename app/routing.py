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

#: Serving routes that also answer POST, because the clients they are for POST reads (ckanapi sends every CKAN
#: action as a POST): they change nothing, as the write guard checks like any other route.
POSTED_READS = frozenset({"api_datastore.search", "api_datastore.info", "api_datastore.search_sql"})

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
    "dashboard.finding": READS,
    "dashboard.finding_download": READS,
    "dashboard.hvd": READS,
    "dashboard.hvd_download": READS,
    "weekly.index": READS,  # the weekly evaluation: stored reports, read only (written by `opendata evaluate`)
    "weekly.week": READS,
    "weekly.week_download": READS,
    "weekly.report": READS,
    "weekly.report_download": READS,
    "weekly.publisher": READS,
    "harvest_status.index": READS,
    "harvest_status.job": READS,
    "harvest_status.source": READS,
    "audit.index": READS,
    "audit.index_json": READS,
    "health.health": READS,
    "health.live": READS,  # reads nothing at all
    "health.ready": READS,  # SELECT 1, the broker, the search change log: no catalog row
    "metrics.metrics": READS,  # counts and sizes, no catalog row
    "static": READS,
    "site.favicon": READS,  # a redirect to the fingerprinted icon
    # catalog exports and metadata formats
    "exports.catalog": READS,
    "exports.catalog_dump": READS,
    "exports.catalog_resource": READS,
    "exports.distribution_resource": READS,
    "exports.data_json": READS,
    "exports.dataset_format": READS,
    "exports.dataset_badge": READS,
    "exports.publisher_badge": READS,
    "exports.quality_metric": READS,
    "croissant.croissant_document": READS,  # metadata: it points at the archived copy's serving route
    "sitemap.index": READS,
    "feeds.site_feed": READS,
    "feeds.publisher_feed": READS,
    "feeds.theme_feed": READS,
    "feeds.search_feed": READS,
    "sitemap.part": READS,
    "sitemap.robots": READS,
    # a distribution's bytes and rows
    "data.data": SERVES,
    "data.csv_metadata": SERVES,
    "data.geojson": SERVES,  # a GeoJSON distribution's features, through the gate (app/export/data.py)
    "versions.version": SERVES,
    "data.table_schema": READS,  # the data dictionary as a Table Schema: metadata, no row of the table
    "uploads.uploaded_file": SERVES,
    "api_datastore.search": SERVES,  # CKAN datastore_search (GET or POST: ckanapi POSTs every action)
    "api_datastore.info": SERVES,  # CKAN datastore_info (GET or POST)
    "api_datastore.search_sql": SERVES,  # CKAN datastore_search_sql (off unless DATASTORE_SQL_ENABLED)
    "api_datastore.dump": SERVES,
    "api_rest.rows": SERVES,
    "api_rest.rows_openapi": SERVES,  # the table's columns and types: through the gate as datastore_info is
    # the REST API
    "api_rest.not_found": READS,
    "api_rest.datasets": READS,
    "api_rest.dataset": READS,
    "api_rest.dataset_quality": READS,
    "api_rest.dataset_quality_history": READS,
    "api_rest.dataset_usage": READS,
    "api_rest.distribution_dictionary": READS,
    "api_rest.distribution_versions": READS,
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
    "api_rest.distribution_dictionary_edit": WRITES,
    "api_rest.distribution_hvd_edit": WRITES,  # a distribution's own HVD fields (distributions.set_hvd)
    "api_rest.dataset_publish": WRITES,
    "api_rest.dataset_withdraw": WRITES,
    "api_rest.dataset_restore": WRITES,
    "api_rest.dataset_discard": WRITES,
    "api_rest.distribution_edit": WRITES,
    "api_rest.distribution_remove": WRITES,
    "api_rest.dataset_pii_override": WRITES,
    "api_rest.dataset_pii_override_revoke": WRITES,
    "api_rest.dataset_detach": WRITES,
    # the CKAN Action API: reads and writes by action name (app/api/ckan_action.py ACTIONS and WRITES)
    "api_ckan_action.action": WRITES,
    # agencies' pages and accounts
    "publish.index": READS,
    "publish.places": READS,
    "publish.edit": WRITES,  # runs the pre-publication check and keeps its link evidence
    "publish.create": WRITES,
    "publish.update": WRITES,
    "publish.add_distribution": WRITES,
    "publish.remove_distribution": WRITES,
    "publish.replace_distribution": WRITES,
    "publish.edit_dictionary": WRITES,
    "publish.distribution_hvd": WRITES,  # a file's own HVD categories and legislation (distributions.set_hvd)
    "publish.distribution_media_type": WRITES,  # a file's declared media type (distributions.replace)
    "publish.change_state": WRITES,
    "publish.make_series": WRITES,  # a fragmented-series finding's one click (app/services/series.py)
    "account.login": WRITES,
    "account.logout": WRITES,
    "account.index": READS,
    "account.token_create": WRITES,
    "account.token_revoke": WRITES,
    "follows.follow": WRITES,  # following: app/services/follows.py
    "follows.unfollow": WRITES,
    "follows.period": WRITES,
    "credentials.invite": WRITES,
    "credentials.revoke_invitation": WRITES,
    "credentials.accept": WRITES,
    "credentials.forgot": WRITES,
    "credentials.reset": WRITES,
    "credentials.change": WRITES,
    "members.index": READS,  # a publisher's members, for its admins: app/web/members.py
    "members.confirm_remove": READS,  # the confirmation page; its POST is members.remove
    "members.change_role": WRITES,  # app/services/accounts.py set_member_role, remove_member
    "members.remove": WRITES,
    "licences.index": READS,
    "licences.map_licence": WRITES,
    "licences.unmap_licence": WRITES,
    "audit.export": READS,
}


def kind_of(endpoint: str | None) -> str | None:
    return ROUTE_KINDS.get(endpoint or "")


def request_kind(endpoint: str | None, view_args: dict | None) -> str:
    """What one request was (the metrics' `kind`): its route's kind, except the CKAN Action API's one route,
    whose kind is its action's (package_show reads, package_update writes): every CKAN read was counted a
    write."""
    if endpoint == "api_ckan_action.action":
        from app.api.ckan_action import WRITES as CKAN_WRITES

        return WRITES if (view_args or {}).get("name") in CKAN_WRITES else READS
    return ROUTE_KINDS.get(endpoint or "", "unknown")
