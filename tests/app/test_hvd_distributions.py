"""A distribution's own high-value dataset fields (issue 18 item 3): `dcatap:hvdCategory` (among its dataset's,
from the HVD category vocabulary) and `dcatap:applicableLegislation` (ELI URIs, the HVD regulation kept while
the dataset or the file has a category), set through one service (app/services/distributions.set_hvd) by the
publish page's form per file, CKAN resource_patch/resource_update and package_update; shown on the public
page, written as DCAT-AP that conforms to the HVD shapes. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.services import datasets, distributions
from app.services.context import Actor
from app.services.errors import Forbidden, Invalid
from catalog_schema import vocab
from catalog_schema.models import AuditEvent, Dataset, User
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record, to_record
from tests.app.test_hvd import violations_free
from tests.support.publishing import build_world, form_post, sign_in, snapshot

MOBILITY = "http://data.europa.eu/bna/c_b79e35eb"
STATISTICS = "http://data.europa.eu/bna/c_e1da4e07"
GEOSPATIAL = "http://data.europa.eu/bna/c_ac64a52d"
HVD = vocab.HVD_LEGISLATION
INSPIRE = "http://data.europa.eu/eli/dir/2007/2/oj"


@pytest.fixture
def world(snapshot, app):
    """build_world and a published high-value dataset of A: built once per backend, a copy for each test."""
    return snapshot.once(lambda: _build(app.extensions["opendata"]["sessionmaker"]))


def _build(sessionmaker):
    world = build_world(sessionmaker)
    with sessionmaker() as s:  # a published high-value dataset of A with two files
        save_record(s, new_record(
            slug="bus-ridership", title={"en": "Bus ridership", "zh": "公交客运量"}, publisher={"slug": "agency-a"},
            license="CC-BY-4.0", hvd_category=[MOBILITY, STATISTICS], applicable_legislation=[HVD],
            distributions=[new_distribution(download_url="http://127.0.0.1:9/bus.csv", format="CSV",
                                            applicable_legislation=[HVD]),
                           new_distribution(download_url="http://127.0.0.1:9/bus.json", format="JSON",
                                            applicable_legislation=[HVD])]))
        s.commit()
    return world


def _actor(s, world, role="editor_a") -> Actor:
    return Actor(s, s.scalar(select(User).where(User.email == world.emails[role])), "test", lang="en")


def _dataset(s, slug="bus-ridership") -> Dataset:
    return s.scalar(select(Dataset).where(Dataset.slug == slug))


def _stored(app, slug="bus-ridership") -> dict:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return to_record(_dataset(s, slug))


def test_the_service_sets_a_files_categories_and_legislation_and_audits_it(app, world):
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = _dataset(s)
        first = ds.distributions[0].id
        row = distributions.set_hvd(_actor(s, world), ds, first, categories=["MOB"], legislation=[INSPIRE])
        assert row.hvd_category == [MOBILITY] and row.applicable_legislation == [INSPIRE, HVD]
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "publish.distribution_hvd")).one()
        assert event.detail["distribution"] == first and event.detail["hvd_category"] == [MOBILITY]
        # the HVD regulation stays while the dataset is a high-value one, even when the form leaves it out
        row = distributions.set_hvd(_actor(s, world), ds, first, legislation="")
        assert row.hvd_category == [MOBILITY] and row.applicable_legislation == [HVD]
    rec = _stored(app)
    assert rec["distributions"][0]["hvd_category"] == [MOBILITY]
    assert violations_free(rec)  # DCAT-AP HVD shapes: the file's category has the regulation beside it


def test_the_service_refuses_what_dcat_ap_hvd_does_not_take_and_changes_nothing(app, world):
    factory = app.extensions["opendata"]["sessionmaker"]
    before = snapshot(factory)
    cases = [({"categories": ["weather-ish"]}, "hvd_category", "vocabulary"),
             ({"categories": [GEOSPATIAL]}, "hvd_category", "hvd-subset"),  # not one of the dataset's
             ({"legislation": "reg 2023/138"}, "applicable_legislation", "legislation"),
             ({"legislation": ["ftp://eli.example/law"]}, "applicable_legislation", "legislation")]
    for kwargs, field, why in cases:
        with factory() as s:
            ds = _dataset(s)
            with pytest.raises(Invalid) as refused:
                distributions.set_hvd(_actor(s, world), ds, ds.distributions[0].id, **kwargs)
            assert (refused.value.detail["field"], refused.value.detail["why"]) == (field, why), kwargs
            assert refused.value.message.msgid  # a T_() text, said in each reader's language
    with factory() as s:
        ds = _dataset(s)
        with pytest.raises(Forbidden):
            distributions.set_hvd(_actor(s, world, "editor_b"), ds, ds.distributions[0].id, categories=["MOB"])
        harvested = _dataset(s, world.harvested)
        with pytest.raises(Forbidden):
            distributions.set_hvd(_actor(s, world), harvested, harvested.distributions[0].id, categories=[])
    assert snapshot(factory) == before


def test_a_category_the_dataset_loses_its_files_lose(app, world):
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = _dataset(s)
        distributions.set_hvd(_actor(s, world), ds, ds.distributions[0].id, categories=[MOBILITY, STATISTICS])
        datasets.update(_actor(s, world), ds, {"hvd_category": ["STA"]})
    rec = _stored(app)
    assert rec["distributions"][0]["hvd_category"] == [STATISTICS]
    assert violations_free(rec)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        datasets.update(_actor(s, world), _dataset(s), {"hvd_category": []})
    rec = _stored(app)
    assert [(d["hvd_category"], d["applicable_legislation"]) for d in rec["distributions"]] == [([], []), ([], [])]


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start:html.index("</details>", start)]


def test_the_publish_page_edits_a_files_hvd_fields_and_keeps_a_refused_input(app, client, world):
    sign_in(client, world.emails["editor_a"])
    edit_url = "/publish/bus-ridership"
    dist_id = _stored(app)["distributions"][0]["id"]
    action = f"{edit_url}/distributions/{dist_id}/hvd"
    page = client.get(edit_url + "?lang=zh").get_data(as_text=True)
    form = _section(page, f'id="hvd-{dist_id}"')
    assert f'action="{action}"' in form and 'name="applicable_legislation"' in form
    assert f'value="{MOBILITY}"' in form and "交通出行" in form and "统计" in form
    assert f'value="{GEOSPATIAL}"' not in form  # only the dataset's own categories are offered

    saved = form_post(client, edit_url, action, {"hvd_category": [MOBILITY], "applicable_legislation":
                                                 f"{INSPIRE}\n{HVD}\n"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"#hvd-{dist_id}")
    dist = _stored(app)["distributions"][0]
    assert dist["hvd_category"] == [MOBILITY] and dist["applicable_legislation"] == [INSPIRE, HVD]

    refused = form_post(client, edit_url + "?lang=en", action + "?lang=en",
                        {"hvd_category": [MOBILITY], "applicable_legislation": "not a law"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f'id="applicable_legislation-{dist_id}-error"' in html and "not an http(s) URI" in html
    assert ">not a law</textarea>" in html  # what was typed is kept
    assert _stored(app)["distributions"][0]["applicable_legislation"] == [INSPIRE, HVD]  # unchanged

    refused = form_post(client, edit_url + "?lang=zh", action + "?lang=zh", {"hvd_category": [GEOSPATIAL]})
    form = _section(refused.get_data(as_text=True), f'id="hvd-{dist_id}"')
    assert refused.status_code == 422 and f'id="hvd_category-{dist_id}-error"' in form
    assert f'value="{GEOSPATIAL}" checked' in form  # the refused choice is shown, ticked
    assert "文件只能使用其数据集的高价值类别" in form and "此文件的高价值数据集类别" in form

    public = client.get("/dataset/bus-ridership?lang=zh").get_data(as_text=True)
    assert f'id="hvd-{dist_id}"' in public and "交通出行" in public[public.index(f'id="hvd-{dist_id}"'):][:400]


def test_ckan_resource_patch_and_update_and_package_update_reach_the_service(app, client, world):
    auth = {"Authorization": world.tokens["editor_a"]}
    pkg = client.get("/api/3/action/package_show?id=bus-ridership").get_json()["result"]
    res_id = pkg["resources"][0]["id"]
    patched = client.post("/api/3/action/resource_patch", headers=auth, json={"id": res_id, "hvd_category": ["MOB"]})
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["result"]["hvd_category"] == [MOBILITY]
    assert patched.get_json()["result"]["applicable_legislation"] == [HVD]
    # a form post sends the list as its JSON text
    patched = client.post("/api/3/action/resource_patch", headers=auth,
                          data={"id": res_id, "applicable_legislation": json.dumps([INSPIRE])})
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["result"]["applicable_legislation"] == [INSPIRE, HVD]
    assert patched.get_json()["result"]["hvd_category"] == [MOBILITY]  # patch keeps what it leaves out

    bad = client.post("/api/3/action/resource_patch", headers=auth, json={"id": res_id, "hvd_category": ["GEO"]})
    assert bad.status_code == 409 and "hvd_category" in bad.get_json()["error"]

    updated = client.post("/api/3/action/resource_update", headers=auth,
                          json={"id": res_id, "url": "http://127.0.0.1:9/bus.csv", "name": "Bus CSV"})
    assert updated.status_code == 200, updated.get_json()
    assert "hvd_category" not in updated.get_json()["result"]  # update clears what it leaves out ...
    assert updated.get_json()["result"]["applicable_legislation"] == [HVD]  # ... but the regulation stays

    pkg = client.get("/api/3/action/package_show?id=bus-ridership").get_json()["result"]
    pkg["resources"][1]["hvd_category"] = ["STA"]
    saved = client.post("/api/3/action/package_update", headers=auth, json=pkg)
    assert saved.status_code == 200, saved.get_json()
    assert _stored(app)["distributions"][1]["hvd_category"] == [STATISTICS]
    pkg["resources"][1]["hvd_category"] = ["GEO"]
    refused = client.post("/api/3/action/package_update", headers=auth, json=pkg)
    assert refused.status_code == 409 and "resources[1].hvd_category" in refused.get_json()["error"]
    assert _stored(app)["distributions"][1]["hvd_category"] == [STATISTICS]


def test_rest_patch_sets_a_distributions_hvd_fields_in_the_readers_language(app, client, world):
    auth = {"Authorization": world.tokens["editor_a"]}
    dist_id = _stored(app)["distributions"][1]["id"]
    url = f"/api/v1/datasets/bus-ridership/distributions/{dist_id}/hvd"
    ok = client.patch(url, json={"hvd_category": ["Statistics"], "applicable_legislation": [INSPIRE]}, headers=auth)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert ok.get_json() == {"dataset": "bus-ridership", "distribution": dist_id, "hvd_category": [STATISTICS],
                             "applicable_legislation": [INSPIRE, HVD]}
    shown = client.get("/api/v1/datasets/bus-ridership").get_json()
    assert next(d for d in shown["distributions"] if d["id"] == dist_id)["hvd_category"] == [STATISTICS]
    bad = client.patch(url + "?lang=zh", json={"hvd_category": ["GEO"]}, headers=auth)
    assert bad.status_code == 422
    assert "资源的高价值数据集类别必须属于其数据集的类别" in bad.get_json()["error"]["message"]
    assert client.patch(url, json={"hvd_category": ["MOB"]}, headers={"Authorization": world.tokens["editor_b"]}
                        ).status_code == 403
    assert _stored(app)["distributions"][1]["hvd_category"] == [STATISTICS]


def test_a_new_file_can_be_given_its_hvd_fields_by_ckan_and_api_v1_and_a_refused_one_is_not_added(app, client, world):
    auth = {"Authorization": world.tokens["editor_a"]}
    made = client.post("/api/3/action/resource_create", headers=auth, json={
        "package_id": "bus-ridership", "url": "http://127.0.0.1:9/stops.csv", "name": "Stops",
        "hvd_category": ["MOB"], "applicable_legislation": [INSPIRE]})
    assert made.status_code == 200, made.get_json()
    assert made.get_json()["result"]["hvd_category"] == [MOBILITY]
    assert made.get_json()["result"]["applicable_legislation"] == [INSPIRE, HVD]
    before = len(_stored(app)["distributions"])
    refused = client.post("/api/3/action/resource_create", headers=auth, json={
        "package_id": "bus-ridership", "url": "http://127.0.0.1:9/x.csv", "hvd_category": ["GEO"]})
    assert refused.status_code == 409 and "hvd_category" in refused.get_json()["error"]
    assert len(_stored(app)["distributions"]) == before  # nothing added

    created = client.post("/api/v1/datasets", headers=auth, json={
        "publisher": "agency-a", "name": "ferry-lines", "title": "Ferry lines", "hvd_category": ["MOB"],
        "distributions": [{"url": "http://127.0.0.1:9/ferry.csv", "hvd_category": ["Mobility"]}]})
    assert created.status_code == 201, created.get_data(as_text=True)
    dist = _stored(app, "ferry-lines")["distributions"][0]
    assert dist["hvd_category"] == [MOBILITY] and dist["applicable_legislation"] == [HVD]
    added = client.post("/api/v1/datasets/ferry-lines/distributions", headers=auth,
                        json={"url": "http://127.0.0.1:9/piers.csv", "hvd_category": ["STA"]})
    assert added.status_code == 422 and len(_stored(app, "ferry-lines")["distributions"]) == 1


def test_legislation_is_split_on_lines_never_cut_and_a_hand_typed_law_of_a_plain_dataset_stays(app, world):
    long_eli = "http://data.europa.eu/eli/reg/2016/679/oj?" + "x" * 300
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = _dataset(s, world.draft_a)
        row = distributions.add_link(_actor(s, world), ds, "http://127.0.0.1:9/plain.csv")
        row = distributions.set_hvd(_actor(s, world), ds, row.id, legislation=f"{long_eli}\r\n{HVD}, {INSPIRE}\n")
        assert row.applicable_legislation == [long_eli, INSPIRE, HVD]
        datasets.update(_actor(s, world), ds, {"title": "Draft of A, renamed", "hvd_category": []})
    assert _stored(app, world.draft_a)["distributions"][0]["applicable_legislation"] == [long_eli, INSPIRE, HVD]


def _with_api(app) -> str:
    """A third file of bus-ridership reached through a data service (an API endpoint); its id."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        rec = to_record(_dataset(s))
        rec["distributions"].append(new_distribution(
            catalog_id="api-1", access_url="http://127.0.0.1:9/api", applicable_legislation=[HVD],
            access_service={"title": {"en": "Ridership API"}, "endpoint_url": "http://127.0.0.1:9/api",
                            "hvd_category": [], "applicable_legislation": []}))
        save_record(s, rec, dataset=_dataset(s))
        s.commit()
    return "api-1"


def test_the_data_service_of_a_file_gets_its_hvd_fields_by_the_same_rules(app, client, world):
    api_id = _with_api(app)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = _dataset(s)
        row = distributions.set_hvd(_actor(s, world), ds, api_id, service_categories=["MOB"])
        assert row.access_service["hvd_category"] == [MOBILITY]
        assert row.access_service["applicable_legislation"] == [HVD]
        assert row.access_service["endpoint_url"] == "http://127.0.0.1:9/api"  # the rest of it kept
        with pytest.raises(Invalid) as refused:
            distributions.set_hvd(_actor(s, world), ds, api_id, service_categories=["GEO"])
        assert refused.value.detail["field"] == "service_hvd_category"
        plain = ds.distributions[0].id
        with pytest.raises(Invalid) as refused:
            distributions.set_hvd(_actor(s, world), ds, plain, service_categories=["MOB"])
        assert refused.value.detail["why"] == "no-service"
    rec = _stored(app)
    assert violations_free(rec)  # the HVD data service: endpoint, served dataset, regulation

    sign_in(client, world.emails["editor_a"])
    edit_url = "/publish/bus-ridership"
    action = f"{edit_url}/distributions/{api_id}/hvd"
    form = _section(client.get(edit_url + "?lang=zh").get_data(as_text=True), f'id="hvd-{api_id}"')
    assert 'name="service_hvd_category"' in form and f'value="{MOBILITY}" checked' in form
    assert "此文件的数据服务（API）的高价值数据集类别" in form
    refused = form_post(client, edit_url, action, {"service_sent": "1", "service_hvd_category": [MOBILITY],
                                                   "service_applicable_legislation": "eli 2023/138"})
    assert refused.status_code == 422
    form = _section(refused.get_data(as_text=True), f'id="hvd-{api_id}"')
    assert f'id="service_applicable_legislation-{api_id}-error"' in form and ">eli 2023/138</textarea>" in form
    saved = form_post(client, edit_url, action, {"hvd_category": [STATISTICS], "service_sent": "1",
                                                 "service_hvd_category": [MOBILITY, STATISTICS]})
    assert saved.status_code == 303
    dist = next(d for d in _stored(app)["distributions"] if d["id"] == api_id)
    assert dist["hvd_category"] == [STATISTICS]
    assert dist["access_service"]["hvd_category"] == [MOBILITY, STATISTICS]

    auth = {"Authorization": world.tokens["editor_a"]}
    url = f"/api/v1/datasets/bus-ridership/distributions/{api_id}/hvd"
    ok = client.patch(url, json={"service_hvd_category": ["STA"]}, headers=auth)
    assert ok.status_code == 200 and ok.get_json()["service_hvd_category"] == [STATISTICS]
    assert ok.get_json()["hvd_category"] == [STATISTICS]  # left out: kept

    with app.extensions["opendata"]["sessionmaker"]() as s:  # the dataset stops being HVD: so does its API
        datasets.update(_actor(s, world), _dataset(s), {"hvd_category": []})
    svc = next(d for d in _stored(app)["distributions"] if d["id"] == api_id)["access_service"]
    assert svc["hvd_category"] == [] and svc["applicable_legislation"] == []
