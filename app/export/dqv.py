"""Quality assessments as W3C Data Quality Vocabulary (DQV) measurements.

Each figure of the latest assessment (stars, score, metadata points, each
distribution's stars) becomes a dqv:QualityMeasurement computed on the dataset (or
distribution) URI, measuring a metric we define under `<site>/quality/metric/<name>`
(served by `/quality/metric/<name>`), so RDF consumers get our scores with the
catalog, in a vocabulary they already read. Pure functions over the assessment
document (`app.assessment.assessment_document`).
"""

from __future__ import annotations

from typing import Any

import rdflib
from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from catalog_schema import dcat as dcatmap
from catalog_schema import dcat_triples
from catalog_schema.record import Record

DQV = Namespace("http://www.w3.org/ns/dqv#")
PROV = Namespace("http://www.w3.org/ns/prov#")

# name -> (label, definition, dimension)
METRICS: dict[str, tuple[str, str, str]] = {
    "stars": ("Five-star openness", "Stars of Tim Berners-Lee's five-star open data scheme the dataset reaches "
              "(its best distribution, from the evidence of the downloaded bytes), 0 to 5.", "openness"),
    "score": ("Overall quality score", "The platform's overall quality score of the dataset, 0 to 100.", "overall"),
    "metadata-points": ("Metadata points", "Points of the metadata completeness assessment (maximum 405).",
                        "metadata"),
    "distribution-stars": ("Distribution openness", "Five-star openness of one distribution, 0 to 5.", "openness"),
}
DIMENSIONS = {"openness": "Openness", "overall": "Overall quality", "metadata": "Metadata completeness"}


def metric_uri(site_url: str, name: str) -> URIRef:
    return URIRef(f"{site_url.rstrip('/')}/quality/metric/{name}")


def dimension_uri(site_url: str, name: str) -> URIRef:
    return URIRef(f"{site_url.rstrip('/')}/quality/dimension/{name}")


def metric_graph(site_url: str, name: str | None = None) -> rdflib.Graph:
    """The metrics (all, or one) as dqv:Metric with label, definition, data type and dimension."""
    g = _graph()
    for key, (label, definition, dimension) in METRICS.items():
        if name is not None and key != name:
            continue
        node = metric_uri(site_url, key)
        g.add((node, RDF.type, DQV.Metric))
        g.add((node, SKOS.prefLabel, Literal(label, lang="en")))
        g.add((node, SKOS.definition, Literal(definition, lang="en")))
        g.add((node, DQV.expectedDataType, XSD.integer))
        dim = dimension_uri(site_url, dimension)
        g.add((node, DQV.inDimension, dim))
        g.add((dim, RDF.type, DQV.Dimension))
        g.add((dim, SKOS.prefLabel, Literal(DIMENSIONS[dimension], lang="en")))
    return g


def distribution_uris(record: Record, site_url: str) -> dict[str, str]:
    """catalog distribution id -> its URI in our DCAT (the URIs `dcat_triples.dataset_triples` writes)."""
    out = {}
    for dist, uri in zip(record.get("distributions") or [], dcat_triples.distribution_uris(record, site_url),
                         strict=True):
        key = dist.get("catalog_id") or dist.get("id")
        if key:
            out[str(key)] = uri
    return out


def assessment_to_rdf(doc: dict[str, Any], record: Record, *, site_url: str,
                      graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """An assessment document as DQV measurements on the record's dataset and distributions."""
    g = graph if graph is not None else _graph()
    ds = URIRef(dcat_triples.dataset_uri(record, site_url))
    at = Literal(doc["assessed_at"], datatype=XSD.dateTime) if doc.get("assessed_at") else None
    figures = [("stars", doc.get("stars")), ("score", doc.get("score")),
               ("metadata-points", (doc.get("metadata") or {}).get("points"))]
    for name, value in figures:
        if value is not None:
            _measure(g, ds, URIRef(f"{ds}/quality/{name}"), metric_uri(site_url, name), value, at)
    uris = distribution_uris(record, site_url)
    for dist in doc.get("distributions") or []:
        uri = uris.get(str(dist.get("id")))
        if uri and dist.get("stars") is not None:
            node = URIRef(uri)
            _measure(g, node, URIRef(f"{uri}/quality/stars"), metric_uri(site_url, "distribution-stars"),
                     dist["stars"], at)
    return g


def _measure(g: rdflib.Graph, target: URIRef, node: URIRef, metric: URIRef, value: int, at: Literal | None) -> None:
    g.add((target, DQV.hasQualityMeasurement, node))
    g.add((node, RDF.type, DQV.QualityMeasurement))
    g.add((node, DQV.computedOn, target))
    g.add((node, DQV.isMeasurementOf, metric))
    g.add((node, DQV.value, Literal(int(value), datatype=XSD.integer)))
    if at is not None:
        g.add((node, PROV.generatedAtTime, at))
        g.add((node, DCTERMS.date, at))


def _graph() -> rdflib.Graph:
    g = dcatmap.new_graph()
    g.bind("dqv", DQV)
    g.bind("prov", PROV)
    return g
