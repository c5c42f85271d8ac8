"""Every harvester type's source, served from the real recorded fixtures: one function a kind.

    with LocalServer() as server:
        type_, url = serve_source("dcat-turtle", server, fixtures_dir, tmp_path)

Kinds (`KINDS`): CKAN (the Action API over real packages, two pages), DCAT in each syntax (the real
Destatis catalog cut into Hydra pages), data.json (a real catalog with a catalog "@id"), a
datapackage.json, a folder of files and a list of file URLs (each with a metadata sheet). A few
dozen records each: enough for a batch task, small enough for a test that starts workers.
"""

from __future__ import annotations

import json
from pathlib import Path

import rdflib
from rdflib import RDF, Literal, URIRef

from tests.support.ckan_server import FakeCkan, real_packages
from tests.support.httpserver import LocalServer

DCAT_SYNTAXES = {"dcat-xml": ("xml", "application/rdf+xml", "rdf"),
                 "dcat-turtle": ("turtle", "text/turtle", "ttl"),
                 "dcat-jsonld": ("json-ld", "application/ld+json", "jsonld"),
                 "dcat-nt": ("nt", "application/n-triples", "nt")}
KINDS = ("ckan", *DCAT_SYNTAXES, "datajson", "datapackage", "folder", "file-list")

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
CKAN_RECORDS = 120  # two package_search pages of 100
DCAT_RECORDS, DCAT_PAGE = 30, 12  # three Hydra pages
FOLDER_FILES = 24


def serve_source(kind: str, server: LocalServer, fixtures_dir: Path, tmp_path: Path) -> tuple[str, str]:
    """Serve (or write) the source of `kind`; returns (harvester type, source URL or path)."""
    if kind == "ckan":
        return "ckan", FakeCkan(server, real_packages(fixtures_dir, CKAN_RECORDS)).url
    if kind in DCAT_SYNTAXES:
        fmt, media, ext = DCAT_SYNTAXES[kind]
        pages = dcat_pages(fixtures_dir / "real/dcat/destatis_catalog.rdf", DCAT_RECORDS, DCAT_PAGE)
        urls = [server.url(f"/catalog-{i + 1}.{ext}") for i in range(len(pages))]
        for i, page in enumerate(pages):
            add_paging(page, urls[i], urls[i + 1] if i + 1 < len(urls) else None)
            server.add_bytes(f"/catalog-{i + 1}.{ext}", page.serialize(format=fmt, encoding="utf-8"), media)
        return "dcat", urls[0]
    if kind == "datajson":
        server.add_file("/data.json", fixtures_dir / "real/datajson/cftc_dcatus.json", "application/json")
        return "datajson", server.url("/data.json")
    if kind == "datapackage":
        descriptor = {"name": "air-quality", "title": "Air quality", "licenses": [{"name": "CC-BY-4.0"}],
                      "resources": [{"name": f"station-{i}", "path": f"data/station-{i}.csv", "format": "csv",
                                     "schema": {"fields": [{"name": "pm25", "type": "number"}]}} for i in range(3)]}
        server.add_bytes("/pkg/datapackage.json", json.dumps(descriptor).encode(), "application/json")
        return "datapackage", server.url("/pkg/datapackage.json")
    if kind == "folder":
        folder = tmp_path / "agency-files"
        (folder / "budget").mkdir(parents=True, exist_ok=True)
        for name in _file_names():
            (folder / name).write_text(f"id,value\n1,{len(name)}\n", "utf-8")
        (folder / "metadata.csv").write_text(SHEET, "utf-8")
        return "datapackage", str(folder)
    if kind == "file-list":
        lines = ["# the bureau's published tables"]
        for name in _file_names():
            server.add_bytes(f"/files/{name}", f"id,value\n1,{len(name)}\n".encode(), "text/csv")
            lines.append(server.url(f"/files/{name}") if "/" in name else name)  # URLs, and paths relative to the list
        server.add_bytes("/files/list.txt", "\n".join(lines).encode(), "text/plain")
        server.add_bytes("/files/metadata.csv", SHEET.encode(), "text/csv")
        return "datapackage", server.url("/files/list.txt")
    raise ValueError(f"unknown source kind {kind!r}; one of {', '.join(KINDS)}")


SHEET = ("file,title,licence,keywords\n"
         "bus_stops_0.csv,Bus stops,CC-BY-4.0,transport;stops\n"
         "budget-2001.csv,Budget 2001,CC0-1.0,budget\n")  # a bare name: one file answers


def _file_names() -> list[str]:
    return [f"budget/budget-{2000 + i}.csv" if i % 2 else f"bus_stops_{i}.csv" for i in range(FOLDER_FILES)]


def dcat_pages(path: Path, n: int, per_page: int) -> list[rdflib.Graph]:
    """The first `n` datasets of a real DCAT catalog, each with everything it describes (distributions,
    agents, blank nodes), in pages of `per_page` datasets."""
    source = rdflib.Graph()
    source.parse(path, format="xml")
    datasets = sorted(source.subjects(RDF.type, DCAT.Dataset), key=str)[:n]
    others = set(source.subjects(RDF.type, DCAT.Dataset)) | set(source.subjects(RDF.type, DCAT.Catalog))
    pages = []
    for start in range(0, len(datasets), per_page):
        page = rdflib.Graph()
        todo = list(datasets[start:start + per_page])
        done: set = set()
        while todo:
            node = todo.pop()
            if node in done:
                continue
            done.add(node)
            for p, o in source.predicate_objects(node):
                page.add((node, p, o))
                if not isinstance(o, Literal) and o not in others and (o, None, None) in source:
                    todo.append(o)
        pages.append(page)
    return pages


def add_paging(page: rdflib.Graph, url: str, next_url: str | None) -> None:
    """Hydra paging triples on a page: its URL a hydra:PagedCollection, with hydra:next when there is one."""
    node = URIRef(url)
    page.add((node, RDF.type, HYDRA.PagedCollection))
    if next_url:
        page.add((node, HYDRA.next, URIRef(next_url)))
    page.add((node, HYDRA.itemsPerPage, Literal(len(set(page.subjects(RDF.type, DCAT.Dataset))))))

