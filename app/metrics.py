"""`/metrics`: what the platform is doing, in Prometheus' text format (prometheus-client).

Counted as requests are answered:

- `opendata_http_requests_total{kind, endpoint, status}` and
  `opendata_http_request_duration_seconds{kind}` (a histogram): `kind` is the route's kind from
  app/routing.py (reads, serves, writes), `endpoint` the Flask endpoint (a bounded set, never the URL).

Read from the database, the broker and the index when scraped (so every process reports the same):

- `opendata_harvest_jobs{status}`, `opendata_harvest_records_per_second{source}` (the last finished job);
- `opendata_datasets{state}`; `opendata_archive_bytes` (the archived copies the catalog references, each
  file once) and `opendata_datastore_tables`;
- `opendata_queue_depth{queue}` when the broker is Redis (tasks waiting);
- `opendata_search_index_lag` (change-log entries this machine's index has not applied) and
  `opendata_search_index_documents`.

Under gunicorn with several workers (`opendata serve --workers N`) the request metrics live in
PROMETHEUS_MULTIPROC_DIR, one file per worker, and a scrape adds them up whichever worker answers.
With METRICS_TOKEN set the page wants `Authorization: Bearer <token>`; METRICS_ENABLED off answers 404.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select, text

from app import delivery
from app.request_context import db_session, setting
from app.routing import request_kind

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

REQUESTS = Counter("opendata_http_requests", "HTTP requests answered", ["kind", "endpoint", "status"])
LATENCY = Histogram("opendata_http_request_duration_seconds", "Time to answer a request, by route kind", ["kind"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _answered(resp: Response) -> Response:
    started = g.pop("metrics_started", None)
    endpoint = request.endpoint or "unknown"
    if started is not None and endpoint != "metrics.metrics":
        kind = request_kind(endpoint, request.view_args)
        REQUESTS.labels(kind, endpoint, str(resp.status_code)).inc()
        LATENCY.labels(kind).observe(time.perf_counter() - started)
    return resp


class CatalogCollector:
    """Gauges read at scrape time from the database, the broker and the search index."""

    def __init__(self, session, settings: dict) -> None:
        self.session, self.settings = session, settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The catalog's figures, and `opendata_database_up` 1; a database that does not answer gives 0 and no
        figures (the scrape still carries the request counters, which matter most then), never a failed one."""
        up = GaugeMetricFamily("opendata_database_up", "Whether the catalog database answered this scrape")
        try:
            figures = list(self._database())
        except Exception as exc:  # noqa: BLE001 - a database down is a gap in the figures, not a failed scrape
            log.warning("metrics: the database did not answer (%s)", exc.__class__.__name__)
            with contextlib.suppress(Exception):
                self.session.rollback()
            up.add_metric([], 0)
            yield up
            yield from self._queues()
            return
        up.add_metric([], 1)
        yield up
        yield from figures
        yield from self._queues()
        yield from self._index()

    def _database(self) -> Iterator[GaugeMetricFamily]:
        from catalog_schema.models import Dataset, DistributionVersion, HarvestJob, HarvestSource

        s = self.session
        jobs = GaugeMetricFamily("opendata_harvest_jobs", "Harvest jobs by status", labels=["status"])
        for status, n in s.execute(select(HarvestJob.status, func.count()).group_by(HarvestJob.status)):
            jobs.add_metric([status], n)
        yield jobs
        rate = GaugeMetricFamily("opendata_harvest_records_per_second",
                                 "Records per second of each source's last finished job", labels=["source"])
        last = (select(HarvestJob.source_id, func.max(HarvestJob.id).label("id"))
                .where(HarvestJob.status == "finished").group_by(HarvestJob.source_id).subquery())
        for name, job in s.execute(select(HarvestSource.name, HarvestJob).join(last, last.c.id == HarvestJob.id)
                                   .join(HarvestSource, HarvestSource.id == HarvestJob.source_id)
                                   .where(HarvestSource.deleted_at.is_(None))):
            if job.started_at and job.finished_at and job.finished_at > job.started_at:
                records = job.added + job.updated + job.unchanged + job.withdrawn + job.errored
                rate.add_metric([name], records / (job.finished_at - job.started_at).total_seconds())
        yield rate
        states = GaugeMetricFamily("opendata_datasets", "Datasets by state", labels=["state"])
        for state, n in s.execute(select(Dataset.state, func.count()).group_by(Dataset.state)):
            states.add_metric([state], n)
        yield states
        files = select(DistributionVersion.sha256, func.max(DistributionVersion.size).label("size")).group_by(
            DistributionVersion.sha256).subquery()
        total = s.scalar(select(func.coalesce(func.sum(files.c.size), 0)))
        yield GaugeMetricFamily("opendata_archive_bytes", "Bytes of the archived copies (each file once)",
                                value=float(total or 0))

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        broker = self.settings.get("BROKER_URL") or ""
        if not broker.startswith("redis"):
            return
        depth = GaugeMetricFamily("opendata_queue_depth", "Tasks waiting in the broker", labels=["queue"])
        try:
            import redis

            client = redis.Redis.from_url(broker, socket_timeout=2)
            depth.add_metric(["opendata"], client.llen("opendata"))
        except Exception as exc:  # noqa: BLE001 - a broker down is a gap in the figures, not a failed scrape
            log.warning("metrics: the broker did not answer (%s)", exc.__class__.__name__)
            return
        yield depth

    def _index(self) -> Iterator[GaugeMetricFamily]:
        from catalog_schema import search

        try:
            idx = search.index_for(self.session)
            idx.searcher(self.session)
            stats = idx.stats()
            latest = self.session.scalar(text("SELECT coalesce(max(seq), 0) FROM search_changes"))
        except Exception as exc:  # noqa: BLE001 - as above
            log.warning("metrics: the search index could not be read (%s)", exc.__class__.__name__)
            return
        yield GaugeMetricFamily("opendata_search_index_lag", "Change-log entries the index has not applied",
                                value=max(0, int(latest or 0) - int(stats.get("cursor") or 0)))
        yield GaugeMetricFamily("opendata_search_index_documents", "Datasets in this machine's search index",
                                value=stats.get("documents") or 0)


@bp.get("/metrics")
def metrics() -> Response:
    if not setting("METRICS_ENABLED"):
        abort(404)
    token = setting("METRICS_TOKEN")
    if token:
        delivery.read_credentials()  # 401 or the figures, by Authorization: it says so (Vary)
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response("metrics need Authorization: Bearer <METRICS_TOKEN>\n", status=401,
                            mimetype="text/plain", headers={"WWW-Authenticate": "Bearer"})
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(CatalogCollector(db_session(), current_app.config["OPENDATA"]))
    # content_type, not mimetype: Werkzeug adds "; charset=utf-8" to a text mimetype, and CONTENT_TYPE_LATEST
    # names its charset already (a parameter twice, which Prometheus 3's scrape refuses)
    resp = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def init_metrics(app: Flask) -> None:
    app.before_request(_started)
    app.after_request(_answered)
    app.register_blueprint(bp)
