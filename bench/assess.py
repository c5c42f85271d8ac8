"""Benchmark: metadata assessment throughput, beside pyshacl on the same records.

Generates N catalog records shaped like the demo's (multilingual titles, publishers, 1-3
distributions, a share of them missing fields), then times `quality.metadata.assess_metadata`
(the 405-point table, with our fast DCAT-AP 3 check) over all of them, and pyshacl validating
a sample of the same records' DCAT-AP 3 RDF against the official shapes. Also checks that the
fast check and pyshacl agree on every sampled record (conforms or not).

    .venv/bin/python -m bench.assess [--datasets 100000] [--shacl-sample 200]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "tests/fixtures/real/shacl/dcat-ap_3_shacl_shapes.ttl"
FORMATS = [("CSV", "text/csv"), ("XLSX", None), ("PDF", "application/pdf"), ("JSON", "application/json"), (None, None)]


def make_records(n: int, seed: int = 7) -> list[dict]:
    from catalog_schema.record import new_record

    rng = random.Random(seed)
    records = []
    for i in range(n):
        full = rng.random() < 0.6
        dists = []
        for j in range(rng.randint(1, 3)):
            fmt, media = rng.choice(FORMATS)
            dists.append({"id": f"d{i}-{j}", "title": {"zh": f"资源 {j}"} if rng.random() < 0.8 else {},
                          "download_url": f"http://127.0.0.1/files/{i}/{j}", "format": fmt, "media_type": media,
                          "byte_size": rng.randint(100, 10**7) if full else None,
                          "license": "CC-BY-4.0" if full and rng.random() < 0.5 else None})
        records.append(new_record(
            slug=f"dataset-{i}", title={"zh": f"京海市数据集 {i}", "en": f"Dataset {i}"},
            description={"zh": "按月发布的统计数据，覆盖全市各区。" * (2 if full else 0)},
            publisher={"slug": f"dept-{i % 40}", "name": {"zh": f"部门 {i % 40}"}} if rng.random() < 0.9 else None,
            keywords=["交通", "统计"] if full else [], themes=["TRAN"] if full else [],
            license=rng.choice(["CC-BY-4.0", "CC0-1.0", None]), license_raw=None,
            access_rights="PUBLIC" if full else None, issued="2024-01-01", modified="2026-10-01" if full else None,
            frequency="MONTHLY" if full else None, temporal={"start": "2020-01-01", "end": None} if full else None,
            spatial=["http://sws.geonames.org/1816670/"] if full else [],
            contact_point={"name": "Data office", "email": "data@example.org", "url": None, "phone": None}
            if full else None, distributions=dists))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--shacl-sample", type=int, default=200)
    args = parser.parse_args()
    from quality.metadata import DistributionEvidence, assess_metadata

    records = make_records(args.datasets)
    evidence = {d["id"]: DistributionEvidence(200, 200) for r in records[:1000] for d in r["distributions"]}
    start = time.perf_counter()
    points = 0
    for rec in records:
        points += assess_metadata(rec, evidence).points
    ours = time.perf_counter() - start
    print(f"metadata assessment of {len(records)} datasets: {ours:.1f} s, {len(records) / ours:.0f} datasets/s "
          f"(average {points / len(records):.0f} points)")

    import pyshacl
    import rdflib

    from catalog_schema.dcat import dataset_to_rdf, shacl_violations_fast

    shapes = rdflib.Graph().parse(SHAPES, format="turtle")
    sample = records[: args.shacl_sample]
    graphs = [dataset_to_rdf(r, site_url="http://127.0.0.1:5000") for r in sample]
    start = time.perf_counter()
    verdicts = [pyshacl.validate(g, shacl_graph=shapes, inference="none")[0] for g in graphs]
    theirs = time.perf_counter() - start
    agree = sum(1 for r, v in zip(sample, verdicts, strict=True) if (not shacl_violations_fast(r)) == v)
    per = theirs / len(sample)
    print(f"pyshacl on {len(sample)} of the same records: {theirs:.1f} s, {per * 1000:.1f} ms a dataset, "
          f"{1 / per:.0f} datasets/s")
    print(f"ratio: ours {len(records) / ours / (1 / per):.0f}x pyshacl's throughput; verdicts agree on "
          f"{agree}/{len(sample)}")


if __name__ == "__main__":
    main()
