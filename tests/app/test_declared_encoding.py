"""A Data Package harvested over HTTP whose resources declare their encoding, and a server's charset: the row store
reads each table as declared when its bytes bear the declaration out, records it as declared (a later detector never
reads it otherwise), and a wrong declaration is the publisher's finding. Real bytes over a real local server."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.datastore import load as store
from app.jobs import assess, harvest
from catalog_schema.models import Assessment, Dataset, Distribution

MENU = "떡볶이,값\n떡볶이,4000\n"  # short EUC-KR that the detector alone reads as GBK (侗汉捞,蔼)
DISTRICTS = "区名,面积\n西城区,50.7\n东城区,41.8\n"
STREETS = "街道,户数\n朝阳门,2300\n"
CITIES = "名称,人口\n北京,2189\n上海,2487\n"  # in UTF-8, decodes strictly as GB18030 too (鍚嶇О,浜哄彛)


def _serve(local_server) -> str:
    files = {"menu.csv": (MENU.encode("euc_kr"), "EUC-KR"), "districts.csv": (DISTRICTS.encode("gbk"), "gbk"),
             "wrong.csv": (STREETS.encode("gbk"), "utf-8"), "cities.csv": (CITIES.encode(), "gb18030")}
    for name, (body, _) in files.items():
        local_server.add_bytes(f"/pkg/{name}", body, "text/csv")
    local_server.add_bytes("/pkg/header.csv", MENU.encode("euc_kr"), "text/csv; charset=euc-kr")
    resources = [{"name": name.removesuffix(".csv"), "path": name, "format": "csv", "encoding": enc}
                 for name, (_, enc) in files.items()]
    resources.append({"name": "header", "path": "header.csv", "format": "csv"})
    descriptor = {"name": "declared", "title": "Declared encodings", "licenses": [{"name": "CC-BY-4.0"}],
                  "resources": resources}
    local_server.add_bytes("/pkg/datapackage.json", json.dumps(descriptor).encode(), "application/json")
    return local_server.url("/pkg/datapackage.json")


def _rows(client, dist_id: str) -> list[list[str]]:
    result = client.get("/api/3/action/datastore_search", query_string={"resource_id": dist_id}).get_json()
    assert result["success"], result
    names = [f["id"] for f in result["result"]["fields"] if f["id"] != "_id"]
    return [names] + [[str(r[n]) for n in names] for r in result["result"]["records"]]


def test_declared_encodings_of_a_harvested_data_package(app, client, runtime, add_source, local_server):
    add_source("declared", "datapackage", _serve(local_server), publisher="agency")
    assert harvest(runtime, "declared").to_dict()["added"] == 1
    with runtime.sessionmaker() as s:
        dataset_id = s.scalar(select(Dataset.id).where(Dataset.slug == "declared"))
    assess(runtime, [dataset_id])
    root = store.root_of(app.config["OPENDATA"])
    with runtime.sessionmaker() as s:
        dists = {d.download_url.rsplit("/", 1)[1]: d for d in s.scalars(select(Distribution))}
        findings = s.scalar(select(Assessment.findings).where(Assessment.dataset_id == dataset_id)) or []
        encodings = {name: d.detected_encoding for name, d in dists.items()}
        by_hand = {name: store.Source.of(d).encoding_by_hand for name, d in dists.items()}
        ids = {name: d.id for name, d in dists.items()}
    assert encodings == {"menu.csv": "euc_kr", "districts.csv": "gbk", "wrong.csv": "gbk", "cities.csv": "utf-8",
                         "header.csv": "euc_kr"}
    assert by_hand == {"menu.csv": True, "districts.csv": True, "wrong.csv": False, "cities.csv": False,
                       "header.csv": True}
    # every door reads the rows the publisher wrote
    assert _rows(client, ids["menu.csv"]) == [["떡볶이", "값"], ["떡볶이", "4000"]]
    assert _rows(client, ids["header.csv"]) == [["떡볶이", "값"], ["떡볶이", "4000"]]
    assert _rows(client, ids["districts.csv"])[1][0] == "西城区"
    assert _rows(client, ids["wrong.csv"])[1][0] == "朝阳门"
    assert _rows(client, ids["cities.csv"])[0] == ["名称", "人口"]
    # the table's footer says the encoding was declared: a later detector's decision never reads it otherwise
    for name, declared in by_hand.items():
        found = store.lookup(root, store.key_of(dists[name]))
        assert isinstance(found, store.Loaded) and found.encoding_by_hand is declared, name
        assert store.stale_encoding(found, "cp949")[0] is not declared, name
        assert store.stale_encoding(found, "cp949", by_hand=True)[0], name  # another declaration is read again
    wrong = sorted((f["distribution"], f["evidence"]["declared_encoding"], f["evidence"]["encoding"]) for f in findings
                   if f["type"] == "encoding-declared-wrong")
    assert wrong == sorted([(ids["wrong.csv"], "utf-8", "gbk"), (ids["cities.csv"], "gb18030", "utf-8")])
    assert not [f for f in findings if f["type"] == "encoding-header-wrong"]
