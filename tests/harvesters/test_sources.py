"""Each source type harvests the real recorded catalogs with exactly their dataset and distribution counts."""

from __future__ import annotations

import json
from pathlib import Path

import rdflib
from sqlalchemy import func, select

from app.jobs import harvest
from catalog_schema.models import Dataset, Distribution, HarvestRecord, HarvestSource, Publisher
from tests.support.ckan_server import FakeCkan


def _counts(rt, source: str) -> tuple[int, int]:
    with rt.sessionmaker() as session:
        sid = session.scalar(select(HarvestSource.id).where(HarvestSource.name == source))
        datasets = session.scalar(select(func.count()).select_from(Dataset).where(Dataset.source_id == sid,
                                                                                  Dataset.state == "active"))
        dists = session.scalar(select(func.count()).select_from(Distribution).join(Dataset)
                               .where(Dataset.source_id == sid, Dataset.state == "active"))
    return datasets, dists


DCAT_DATASET = rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")
DCAT_DISTRIBUTION = rdflib.URIRef("http://www.w3.org/ns/dcat#distribution")


def _rdf_truth(path: Path) -> tuple[int, int]:
    g = rdflib.Graph()
    g.parse(path, format="xml")
    datasets = set(g.subjects(rdflib.RDF.type, DCAT_DATASET))
    dists = {o for s in datasets for o in g.objects(s, DCAT_DISTRIBUTION)}
    return len(datasets), len(dists)


def test_dcat_sources(runtime, add_source, local_server, fixtures_dir):
    for name, expected in (("bremen", (153, 237)), ("destatis", (135, 135)), ("unibo", (12, 50))):
        path = fixtures_dir / f"real/dcat/{name}_catalog.rdf"
        assert _rdf_truth(path) == expected, name
        local_server.add_file(f"/{name}.rdf", path, "application/rdf+xml")
        add_source(name, "dcat", local_server.url(f"/{name}.rdf"))
        summary = harvest(runtime, name).to_dict()
        assert summary["status"] == "finished" and summary["errored"] == 0, summary
        assert _counts(runtime, name) == expected, name


def test_dcat_hydra_pages_followed(runtime, add_source, local_server):
    """Every page once, to the last (no hydra:next); a page that loops back fails: test_source_errors.py."""
    def page(n: int, nxt: str | None) -> bytes:
        ds = "\n".join(
            f'<http://example.org/ds/{n}-{i}> a dcat:Dataset ; dct:title "Dataset {n}-{i}"@en ; '
            f'dct:description "d"@en ; dct:identifier "{n}-{i}" .' for i in range(3))
        link = f'hydra:next <{nxt}> ;' if nxt else ""
        return (f"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<{local_server.url(f'/p{n}.ttl')}> a hydra:PagedCollection ; {link} hydra:totalItems 9 .
{ds}""").encode()

    local_server.add_bytes("/p1.ttl", page(1, local_server.url("/p2.ttl")), "text/turtle")
    local_server.add_bytes("/p2.ttl", page(2, local_server.url("/p3.ttl")), "text/turtle")
    local_server.add_bytes("/p3.ttl", page(3, None), "text/turtle")
    add_source("paged", "dcat", local_server.url("/p1.ttl"))
    summary = harvest(runtime, "paged").to_dict()
    assert summary["added"] == 9 and summary["status"] == "finished"
    assert [r.path for r in local_server.requests] == ["/p1.ttl", "/p2.ttl", "/p3.ttl"]


def test_datajson_sources(runtime, add_source, local_server, fixtures_dir):
    for name, expected in (("treasury_data", 233), ("philadelphia_dcatus", 402), ("cfpb_data", 11),
                           ("cftc_dcatus", 7)):
        path = fixtures_dir / f"real/datajson/{name}.json"
        doc = json.loads(path.read_text("utf-8"))
        assert len(doc["dataset"]) == expected
        true_dists = sum(len(d.get("distribution") or []) for d in doc["dataset"])
        local_server.add_file(f"/{name}.json", path, "application/json")
        add_source(name, "datajson", local_server.url(f"/{name}.json"))
        summary = harvest(runtime, name).to_dict()
        assert summary["status"] == "finished" and summary["errored"] == 0, summary
        assert _counts(runtime, name) == (expected, true_dists), name


def test_datajson_identifier_used_twice_is_an_error_row_not_a_silent_loss(runtime, add_source, local_server,
                                                                          fixtures_dir):
    """Two different datasets under one identifier: the second was dropped without a word (300 entries listed,
    299 datasets, no error). It is now an error row naming both entries; an entry listed twice word for word is
    still one dataset."""
    from harvesters.messages import render
    from tests.harvesters.test_error_language import _zh

    doc = json.loads((fixtures_dir / "real/datajson/cftc_dcatus.json").read_text("utf-8"))
    first = doc["dataset"][0]
    other = {**doc["dataset"][1], "identifier": first["identifier"]}
    doc["dataset"] += [dict(first), other]  # entry 8: a repeat of entry 1; entry 9: another dataset, same id
    local_server.add_bytes("/dup.json", json.dumps(doc).encode(), "application/json")
    add_source("dup", "datajson", local_server.url("/dup.json"))
    summary = harvest(runtime, "dup").to_dict()
    assert (summary["added"], summary["errored"]) == (7, 1), summary
    with runtime.sessionmaker() as session:
        row = session.scalars(select(HarvestRecord).where(HarvestRecord.status == "errored")).one()
    assert row.remote_id == f"{first['identifier']}#entry-9"
    assert row.error == (f"ValueError: dataset entry 9 has the identifier {first['identifier']!r} of entry 1, "
                         "with other content: it is not imported (give it an identifier of its own)")
    assert render(row.error_detail, row.error, _zh).startswith("第 9 个数据集条目与第 1 个条目的标识符")


def test_an_organization_made_publisher_before_the_harvest_gets_what_its_source_says(runtime, add_source,
                                                                                  local_server, fixtures_dir):
    """A publisher made by `source add --publisher <slug>` kept no description, image or other organization
    field once the harvest met its organization (organization_show answered description "")."""
    packages = [p for p in json.loads((fixtures_dir / "real/ckan/birmingham_package_search.json")
                                      .read_text("utf-8"))["result"]["results"]
                if (p.get("organization") or {}).get("description", "").strip()]
    org = packages[0]["organization"]
    fake = FakeCkan(local_server, packages)
    add_source("pre", "ckan", fake.url, publisher=org["name"])  # the publisher exists, named by its slug only
    assert harvest(runtime, "pre").to_dict()["status"] == "finished"
    with runtime.sessionmaker() as session:
        pub = session.scalar(select(Publisher).where(Publisher.slug == org["name"]))
        assert pub.description == {"": org["description"].strip()}
        assert pub.extras["ckan"]["id"] == org["id"]


def test_ckan_source_real_packages_and_incremental(runtime, add_source, local_server, fixtures_dir):
    bham = json.loads((fixtures_dir / "real/ckan/birmingham_package_search.json").read_text("utf-8"))
    packages = list(bham["result"]["results"])
    for name in ("datagovuk_package_show_inspire", "datagovuk_package_show_update", "datagovuk_package_show_create"):
        packages.append(json.loads((fixtures_dir / f"real/ckan/{name}.json").read_text("utf-8"))["result"])
    for path in sorted((fixtures_dir / "real/ckan/demockan").glob("*-*-*.json")):
        packages.append(json.loads(path.read_text("utf-8"))["result"])
    packages = list({p["id"]: p for p in packages}.values())
    fake = FakeCkan(local_server, packages)
    add_source("ckan", "ckan", fake.url)
    summary = harvest(runtime, "ckan").to_dict()
    assert summary["status"] == "finished" and summary["errored"] == 0, summary
    true_dists = sum(len(p.get("resources") or []) for p in packages)
    assert _counts(runtime, "ckan") == (len(packages), true_dists)
    with runtime.sessionmaker() as session:
        biggest = session.scalar(select(Dataset).join(Distribution).group_by(Dataset.id)
                                 .order_by(func.count(Distribution.id).desc()).limit(1))
        assert len(biggest.distributions) == 45
        assert all((d.format or d.format_raw or "").upper() in ("XLS", "") for d in biggest.distributions)
        orgs = {p["organization"]["name"] for p in packages if p.get("organization")}
        assert {d.publisher.slug for d in session.scalars(select(Dataset)) if d.publisher} == orgs
        # what the organizations say of themselves is the publishers' (organization_show answered description "")
        described = {p["organization"]["name"]: p["organization"]["description"].strip() for p in packages
                     if (p.get("organization") or {}).get("description", "").strip()}
        assert described
        for pub in session.scalars(select(Publisher).where(Publisher.slug.in_(described))):
            assert pub.description == {"": described[pub.slug]}, pub.slug
    first_calls = [c for c in fake.calls if c["action"] == "package_search"]
    assert all("metadata_modified" not in c.get("fq", "") for c in first_calls)

    fake.calls.clear()
    summary = harvest(runtime, "ckan").to_dict()  # incremental: asks only for what changed since
    searches = [c for c in fake.calls if c["action"] == "package_search"]
    records = [c for c in searches if "fl" not in c]
    assert records and all("metadata_modified:[" in c["fq"] for c in records)
    listing = [c for c in searches if "fl" in c]  # and, beside it, the ids of all (cheap: ids only)
    assert listing and all(c["fl"] == "id,name" and int(c["rows"]) == 1000 for c in listing)
    assert summary["withdrawn"] == 0 and summary["added"] == 0

    deleted = fake.packages.pop()  # package_delete upstream, then a scheduled (incremental) run
    summary = harvest(runtime, "ckan").to_dict()
    assert (summary["status"], summary["withdrawn"], summary["added"]) == ("finished", 1, 0), summary
    with runtime.sessionmaker() as session:
        gone = session.scalar(select(Dataset).where(Dataset.remote_id == deleted["id"]))
        assert gone.state == "withdrawn" and "No longer listed by its source ckan" in gone.withdrawn_reason
    fake.packages.append(deleted)  # back upstream: the next full run restores it
    summary = harvest(runtime, "ckan", full=True).to_dict()
    assert summary["updated"] == 1 and summary["withdrawn"] == 0

    summary = harvest(runtime, "ckan", full=True).to_dict()
    assert summary["unchanged"] == len(packages) and summary["withdrawn"] == 0


def test_datapackage_descriptor_and_folder(runtime, add_source, tmp_path):
    folder = tmp_path / "agency"
    folder.mkdir()
    (folder / "bus_stops.csv").write_text("id,name\n1,North\n", "utf-8")
    (folder / "budget-2024.xlsx").write_bytes(b"PK\x03\x04 not really")
    (folder / ".hidden").write_text("x")
    add_source("folder", "datapackage", str(folder), publisher="agency")
    summary = harvest(runtime, "folder").to_dict()
    assert summary["added"] == 2
    with runtime.sessionmaker() as session:
        titles = sorted(d.title[""] for d in session.scalars(select(Dataset)))
        formats = sorted(d.format for d in session.scalars(select(Distribution)))
    assert titles == ["budget 2024", "bus stops"]
    assert formats == ["CSV", "XLSX"]

    descriptor = {"name": "air-quality", "title": "Air quality", "licenses": [{"name": "CC-BY-4.0"}],
                  "resources": [{"name": "pm25", "path": "pm25.csv", "format": "csv",
                                 "schema": {"fields": [{"name": "pm25", "type": "number"}]}}]}
    (folder / "pkg").mkdir()
    (folder / "pkg" / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    add_source("pkg", "datapackage", str(folder / "pkg" / "datapackage.json"))
    summary = harvest(runtime, "pkg").to_dict()
    assert summary["added"] == 1
    with runtime.sessionmaker() as session:
        ds = session.scalar(select(Dataset).where(Dataset.slug == "air-quality"))
        assert ds.license_id == "CC-BY-4.0"
        assert ds.distributions[0].download_url.endswith("/pkg/pm25.csv")
        assert ds.distributions[0].table_schema == descriptor["resources"][0]["schema"]
