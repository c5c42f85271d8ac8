"""Who may write what: roles (anonymous, editor of A, admin of A, editor of B, sysadmin) x doors (web form,
REST API, CKAN action) x actions (create, edit, withdraw) on agency A's datasets. Allowed ones succeed;
refused ones are refused and change NOTHING (datasets, distributions, audit rows, sources compared whole).
Drafts stay invisible to whoever may not edit them, through every door."""

from __future__ import annotations

import pytest

from tests.support.publishing import build_world, csrf_from, form_post, sign_in, snapshot

ALLOWED = ("editor_a", "admin_a", "sysadmin")
REFUSED = ("anonymous", "editor_b")


@pytest.fixture
def world(snapshot, app):
    """Two agencies, their people and tokens, harvested, published and draft datasets: built once per backend,
    a copy for each test."""
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


class Door:
    """One way in: `create`, `edit`, `withdraw` return (ok, response) for a role."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.clients: dict[str, object] = {}

    def client(self, role: str):
        if role not in self.clients:
            self.clients[role] = self.app.test_client()
            if role != "anonymous" and self.kind == "web":
                sign_in(self.clients[role], self.world.emails[role])
        return self.clients[role]

    def headers(self, role: str) -> dict:
        return {} if role == "anonymous" else {"Authorization": self.world.tokens[role]}


class Web(Door):
    kind = "web"

    def create(self, role, name):
        c = self.client(role)
        page = "/publish" if role != "anonymous" else "/login"
        r = c.post("/publish", data={"publisher": "agency-a", "title": f"New {name}", "name": name,
                                     "csrf_token": csrf_from(c.get(page).get_data(as_text=True))})
        return r.status_code == 303 and f"/publish/{name}" in r.headers.get("Location", ""), r

    def edit(self, role, slug):
        c = self.client(role)
        page = "/publish" if role != "anonymous" else "/login"
        r = c.post(f"/publish/{slug}", data={"title": f"Edited by {role}",
                                             "csrf_token": csrf_from(c.get(page).get_data(as_text=True))})
        return r.status_code == 303 and r.headers["Location"].endswith(f"/publish/{slug}"), r

    def withdraw(self, role, slug):
        c = self.client(role)
        page = "/publish" if role != "anonymous" else "/login"
        r = form_post(c, page, f"/publish/{slug}/withdraw", {})
        return r.status_code == 303 and r.headers["Location"].endswith(f"/publish/{slug}"), r


class Rest(Door):
    kind = "rest"

    def create(self, role, name):
        r = self.client(role).post("/api/v1/datasets", headers=self.headers(role),
                                   json={"publisher": "agency-a", "name": name, "title": f"New {name}"})
        return r.status_code == 201, r

    def edit(self, role, slug):
        r = self.client(role).patch(f"/api/v1/datasets/{slug}", headers=self.headers(role),
                                    json={"title": f"Edited by {role}", "lang": "en"})
        return r.status_code == 200, r

    def withdraw(self, role, slug):
        r = self.client(role).post(f"/api/v1/datasets/{slug}/withdraw", headers=self.headers(role))
        return r.status_code == 200 and r.get_json()["state"] == "withdrawn", r


class Ckan(Door):
    kind = "ckan"

    def _call(self, role, action, body):
        r = self.client(role).post(f"/api/3/action/{action}", headers=self.headers(role), json=body)
        return r.status_code == 200 and r.get_json()["success"], r

    def create(self, role, name):
        return self._call(role, "package_create", {"name": name, "title": f"New {name}", "owner_org": "agency-a"})

    def edit(self, role, slug):
        return self._call(role, "package_patch", {"id": slug, "title": f"Edited by {role}"})

    def withdraw(self, role, slug):  # CKAN's nearest: delete (hidden for all but the editors)
        return self._call(role, "package_delete", {"id": slug})


DOORS = {"web": Web, "rest": Rest, "ckan": Ckan}


def _refusal(kind: str, role: str, resp, draft: bool = False) -> bool:
    """Refused as `role` is at that door; a `draft` (one the public may not know of) is not found at every door, as a
    slug nobody has (app.services.access.dataset_for_edit), to whoever shows a token or signs in."""
    if kind == "web":
        if role == "anonymous":
            return resp.status_code in (302, 303) and "/login" in resp.headers["Location"]
        return resp.status_code == (404 if draft else 403)
    if kind == "rest":
        if draft and role != "anonymous":
            return resp.status_code == 404 and resp.get_json()["error"]["code"] == "not-found"
        want = 401 if role == "anonymous" else 403
        return resp.status_code == want and resp.get_json()["error"]["code"] in ("unauthorized", "forbidden")
    if draft and role != "anonymous":
        return resp.status_code == 404 and resp.get_json()["error"] == {"__type": "Not Found Error",
                                                                        "message": "Not found"}
    return resp.status_code == 403 and resp.get_json()["error"]["__type"] == "Authorization Error"


@pytest.mark.parametrize("kind", list(DOORS))
def test_role_matrix(app, world, kind):
    factory = app.extensions["opendata"]["sessionmaker"]
    door = DOORS[kind](app, world)
    for role in REFUSED:
        for action, target in (("create", f"refused-{kind}"), ("edit", "active-a-1"), ("withdraw", "active-a-1"),
                               ("edit", world.draft_a)):
            before = snapshot(factory)
            ok, resp = getattr(door, action)(role, target)
            refused = _refusal(kind, role, resp, draft=target == world.draft_a)
            assert not ok and refused, (kind, role, action, resp.status_code, resp.data[:300])
            assert snapshot(factory) == before, (kind, role, action)
    # harvested datasets are read-only to the publisher's own editors and admins too
    for role in ("editor_a", "admin_a"):
        before = snapshot(factory)
        ok, resp = door.edit(role, world.harvested)
        assert not ok and resp.status_code == 403, (kind, role, resp.status_code)
        assert snapshot(factory) == before
    for n, role in enumerate(ALLOWED, 1):
        for action, target in (("create", f"new-{kind}-{n}"), ("edit", f"active-a-{n}"),
                               ("withdraw", f"active-a-{n}")):
            before = snapshot(factory)
            ok, resp = getattr(door, action)(role, target)
            assert ok, (kind, role, action, resp.status_code, resp.data[:300])
            after = snapshot(factory)
            assert after["audit"] != before["audit"]  # every accepted write is in the audit log
    with factory() as s:
        from sqlalchemy import select

        from catalog_schema.models import Dataset
        states = dict(s.execute(select(Dataset.slug, Dataset.state)).all())
    assert {states[f"new-{kind}-{n}"] for n in (1, 2, 3)} == {"active" if kind == "ckan" else "draft"}
    # CKAN's package_delete withdraws (kept, a tombstone, restorable) for a publisher's people; a sysadmin's deletes
    withdrawn = {"withdrawn", "deleted"} if kind == "ckan" else {"withdrawn"}
    assert {states[f"active-a-{n}"] for n in (1, 2, 3)} == withdrawn
    assert f"refused-{kind}" not in states


def test_drafts_are_invisible_without_edit_rights(app, client, world):
    slug = world.draft_a
    for role in ("anonymous", "editor_b"):
        headers = {} if role == "anonymous" else {"Authorization": world.tokens[role]}
        assert client.get(f"/dataset/{slug}", headers={"Accept": "text/html"}).status_code == 404
        for ext in ("ttl", "json", "csv"):
            assert client.get(f"/dataset/{slug}.{ext}").status_code == 404
        assert client.get(f"/api/v1/datasets/{slug}").status_code == 404
        shown = client.get(f"/api/3/action/package_show?id={slug}", headers=headers)
        assert shown.status_code == 404
        assert slug not in client.get("/api/3/action/package_list").get_data(as_text=True)
        assert client.get("/api/3/action/package_search?q=Draft", headers=headers).get_json()["result"]["count"] == 0
        check = client.get(f"/api/v1/datasets/{slug}/check", headers=headers)
        assert check.status_code == (401 if role == "anonymous" else 404)
    b = app.test_client()
    sign_in(b, world.emails["editor_b"])
    assert b.get(f"/publish/{slug}").status_code == 404  # as for a slug nobody has (test below)
    assert "Draft of A" not in b.get("/publish").get_data(as_text=True)
    # its own editors see it everywhere they edit from
    a = app.test_client()
    sign_in(a, world.emails["editor_a"])
    assert a.get(f"/publish/{slug}").status_code == 200
    own = client.get(f"/api/3/action/package_show?id={slug}", headers={"Authorization": world.tokens["editor_a"]})
    assert own.status_code == 200 and own.get_json()["result"]["name"] == slug
    check = client.get(f"/api/v1/datasets/{slug}/check", headers={"Authorization": world.tokens["editor_a"]})
    assert check.status_code == 200 and check.get_json()["blocked_by"] == ["no-distributions"]


def _publish_urls(app, slug: str, dist_id: str) -> list[tuple[str, str]]:
    """(method, url) of the publish page of `slug` and every action on it, walked from the URL map: an action added
    later is covered too."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/publish/<slug>"):
            continue
        actions = sorted(rule._converters["action"].items) if "action" in rule.arguments else [None]
        for action in actions:
            url = rule.rule.replace("<slug>", slug).replace("<dist_id>", dist_id)
            if action is not None:
                url = url[:url.index("/<any(")] + f"/{action}"
            out += [(method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return out


def test_the_publish_page_of_another_publishers_draft_is_not_found(app, world):
    """The publish page answered another publisher's editor 403 for a draft and 404 for a slug nobody has: it said
    that a draft of that name existed, which the dataset page, /api/v1 and CKAN do not. The page and every action
    on it now answer 404 for a draft to whoever may not edit it (lifecycle.visible: a draft is MISSING), and change
    nothing; a published or withdrawn dataset of another publisher, whose page or tombstone is public, still
    answers 403; the draft's own editors still reach it."""
    factory = app.extensions["opendata"]["sessionmaker"]
    b = app.test_client()
    sign_in(b, world.emails["editor_b"])
    a = app.test_client()
    sign_in(a, world.emails["editor_a"])
    assert form_post(a, "/publish", "/publish/active-a-2/withdraw", {}).status_code == 303
    with factory() as s:
        from sqlalchemy import select

        from catalog_schema.models import Dataset, Distribution
        dist_id = s.scalar(select(Distribution.id).join(Dataset).where(Dataset.slug == "active-a-1"))
        assert s.scalar(select(Dataset.state).where(Dataset.slug == "active-a-2")) == "withdrawn"
    token = csrf_from(b.get("/publish").get_data(as_text=True))
    urls = {slug: _publish_urls(app, slug, dist_id) for slug in (world.draft_a, "no-such-dataset", "active-a-1",
                                                                 "active-a-2")}
    assert len(urls[world.draft_a]) >= 13 and ("POST", f"/publish/{world.draft_a}/override") in urls[world.draft_a]
    before = snapshot(factory)
    said = {}
    for slug, calls in urls.items():
        for method, url in calls:
            resp = b.get(url) if method == "GET" else b.post(url, data={"csrf_token": token, "title": "Mine now",
                                                                        "reason": "Taken over by agency B."})
            said.setdefault(slug, set()).add(resp.status_code)
            if slug == world.draft_a:
                assert resp.status_code == 404, (method, url, resp.status_code)
                assert resp.get_data() == b.get("/publish/no-such-dataset").get_data() or method == "POST"
    assert said == {world.draft_a: {404}, "no-such-dataset": {404}, "active-a-1": {403}, "active-a-2": {403}}
    assert snapshot(factory) == before
    # the draft's own editors still open it, and a draft of their own is theirs to edit
    assert a.get(f"/publish/{world.draft_a}").status_code == 200
    assert b.get(f"/publish/{world.draft_b}").status_code == 200


def _ckan_write_params(name: str, ds_ref: str, res_id: str) -> dict | None:
    """The parameters of the CKAN write `name` naming the dataset `ds_ref` (id or name) or its resource `res_id`, with
    what the write would otherwise take; None for the writes that name no existing dataset (package_create, the
    organization_member_* ones: tests/app/test_members.py; the other organization_* and the group_* ones:
    tests/app/test_ckan_organization_writes.py; the follows, which change no dataset and anyone may make of a
    published one, the API tokens and the configuration options, which name none: tests/app/test_ckan_client_gaps.py).
    By name, so a write added to the registry later is walked too (a package_*, resource_* or datastore_* one)."""
    if name == "package_create" or name.startswith(("organization_", "group_", "follow_", "unfollow_", "api_token_",
                                                    "config_option_")):
        return None
    if name == "resource_create":
        return {"package_id": ds_ref, "url": "https://example.org/new.csv", "name": "New"}
    if name == "package_revise":  # the dataset is named by its match
        return {"match": {"id": ds_ref}, "update": {"title": "Mine now", "notes": "Taken over."}}
    if name == "package_resource_reorder":
        return {"id": ds_ref, "order": [res_id]}
    if name.startswith(("resource_", "datastore_")):
        return {"id": res_id, "resource_id": res_id, "url": "https://example.org/other.csv", "name": "Renamed",
                "fields": [{"id": "a", "info": {"label": "A"}}]}
    return {"id": ds_ref, "title": "Mine now", "notes": "Taken over.", "organization_id": "agency-b",
            "owner_org": "agency-a"}


def test_ckan_writes_on_another_publishers_draft_are_not_found(app, world):
    """Every CKAN write that names a dataset (or a resource of one), walked from the action registry, answered another
    publisher's editor an Authorization Error (403) for a draft and a Not Found Error for a dataset nobody has: it said
    that a draft of that name existed, which package_show, the publish page and /api/v1 do not. It now answers what
    CKAN answers for a dataset the user cannot see, the Not Found Error of a name (or resource id) nobody has
    (access.dataset_for_edit, the gate of the other doors); another publisher's published dataset still answers
    403; nothing changes. ckanapi raises NotFound for the draft, NotAuthorized for the published one."""
    import uuid

    from ckanapi import NotAuthorized, NotFound, RemoteCKAN
    from sqlalchemy import select

    from app.api.ckan_action import WRITES
    from catalog_schema.models import Dataset, Distribution
    from tests.support.wsgiserver import ServedApp

    factory = app.extensions["opendata"]["sessionmaker"]
    client = app.test_client()
    own = client.post("/api/3/action/resource_create", headers={"Authorization": world.tokens["editor_a"]},
                      json={"package_id": world.draft_a, "url": "http://127.0.0.1:9/draft.csv", "name": "Draft file"})
    assert own.status_code == 200, own.data[:300]
    with factory() as s:
        ids = dict(s.execute(select(Dataset.slug, Dataset.id)).all())
        res = {slug: s.scalar(select(Distribution.id).where(Distribution.dataset_id == ids[slug]))
               for slug in (world.draft_a, "active-a-1")}
    nobody = {"slug": "no-such-dataset", "id": str(uuid.uuid4()), "res": str(uuid.uuid4())}
    targets = {"draft": [(world.draft_a, res[world.draft_a]), (ids[world.draft_a], res[world.draft_a])],
               "published": [("active-a-1", res["active-a-1"]), (ids["active-a-1"], res["active-a-1"])],
               "nobody": [(nobody["slug"], nobody["res"]), (nobody["id"], nobody["res"])]}
    walked = [name for name in sorted(WRITES) if _ckan_write_params(name, "x", "y") is not None]
    assert {"package_update", "package_patch", "package_delete", "resource_create", "resource_update",
            "resource_patch", "resource_delete"} <= set(walked), walked
    headers = {"Authorization": world.tokens["editor_b"]}
    before = snapshot(factory)
    for name in walked:
        said: dict[str, list] = {}
        for kind, refs in targets.items():
            for ds_ref, res_id in refs:
                resp = client.post(f"/api/3/action/{name}", headers=headers,
                                   json=_ckan_write_params(name, ds_ref, res_id))
                body = resp.get_json()
                said.setdefault(kind, []).append((resp.status_code, body["success"], body["error"]))
        assert said["draft"] == said["nobody"], (name, said)  # the draft is a name nobody has
        assert {s for s, _, _ in said["draft"]} == {404}, (name, said["draft"])
        assert {e["__type"] for _, _, e in said["draft"]} == {"Not Found Error"}, (name, said["draft"])
        for status, ok, error in said["published"]:
            assert (status, ok, error["__type"]) == (403, False, "Authorization Error"), (name, error)
    assert snapshot(factory) == before
    # the package writes say CKAN's plain "Not found"
    patched = client.post("/api/3/action/package_patch", headers=headers, json={"id": world.draft_a, "title": "x"})
    assert patched.get_json()["error"] == {"__type": "Not Found Error", "message": "Not found"}

    served = ServedApp(app)
    try:
        ck = RemoteCKAN(served.url, apikey=world.tokens["editor_b"])
        with pytest.raises(NotFound):
            ck.action.package_patch(id=world.draft_a, title="Mine now")
        with pytest.raises(NotFound):
            ck.action.resource_delete(id=res[world.draft_a])
        with pytest.raises(NotAuthorized):
            ck.action.package_patch(id="active-a-1", title="Mine now")
    finally:
        served.close()
    assert snapshot(factory) == before
    # the draft's own editors still write to it
    mine = client.post("/api/3/action/package_patch", headers={"Authorization": world.tokens["editor_a"]},
                       json={"id": world.draft_a, "title": "Draft of A, edited"})
    assert mine.status_code == 200 and mine.get_json()["result"]["title"] == "Draft of A, edited"


def test_a_harvested_tables_data_dictionary_is_read_only_until_detached_at_every_door(app, local_server, runtime,
                                                                                         add_source):
    """A harvested dataset is read-only to its publisher's editors and admins until detached (app.services.access):
    /api/v1 and CKAN's datastore_create refused their edit of a harvested table's data dictionary (403 'harvested'),
    but the publish page saved it (303, audited as theirs), because the service took the door's word for it. The
    service now refuses it at every door, changing nothing; the page shows the dictionary without a form to save; a
    sysadmin still edits it."""
    import json

    from sqlalchemy import select

    from app.jobs import assess, harvest
    from catalog_schema import datajson
    from catalog_schema.models import Dataset
    from catalog_schema.record import new_distribution, new_record
    from tests.support.publishing import CLEAN_CSV

    factory = app.extensions["opendata"]["sessionmaker"]
    world = build_world(factory)
    local_server.add_bytes("/population.csv", CLEAN_CSV.read_bytes(), "text/csv")
    rec = new_record(identifier="population", title={"en": "Population by district"},
                     publisher={"slug": "agency-a", "name": {"en": "Agency A"}}, license="CC-BY-4.0",
                     distributions=[new_distribution(download_url=local_server.url("/population.csv"),
                                                     format="CSV", media_type="text/csv")])
    body = json.dumps(datajson.catalog_to_datajson([rec], site_url=local_server.url(""))).encode()
    local_server.add_bytes("/data.json", body, "application/json")
    add_source("agency-a-json", "datajson", local_server.url("/data.json"), publisher="agency-a")
    assert harvest(runtime, "agency-a-json", full=True).to_dict()["added"] == 1
    with factory() as s:
        ds = s.scalar(select(Dataset).join(Dataset.source).where(Dataset.source.has(name="agency-a-json")))
        slug, ds_id, dist_id = ds.slug, ds.id, ds.distributions[0].id
    assess(runtime, [ds_id])
    client = app.test_client()
    fields = client.get(f"/api/v1/datasets/{slug}/distributions/{dist_id}/dictionary").get_json()["fields"]
    column = fields[0]["name"]

    def web(role):
        c = app.test_client()
        sign_in(c, world.emails[role])
        page = c.get(f"/publish/{slug}").get_data(as_text=True)
        form = f"/publish/{slug}/distributions/{dist_id}/dictionary"
        shown = f'action="{form}"' in page
        sent = c.post(form, data={"csrf_token": csrf_from(page), "column:0": column, "title:0": f"By {role}"})
        return shown, sent

    opened = app.test_client()
    sign_in(opened, world.emails["editor_a"])
    assert opened.get(f"/publish/{slug}").status_code == 200  # its first view keeps the check it ran: no write
    for role in ("editor_a", "admin_a"):
        before = snapshot(factory)
        headers = {"Authorization": world.tokens[role]}
        shown, sent = web(role)
        assert not shown and sent.status_code == 403, (role, shown, sent.status_code)
        rest = client.patch(f"/api/v1/datasets/{slug}/distributions/{dist_id}/dictionary", headers=headers,
                            json={"fields": {column: {"title": f"By {role}"}}})
        assert rest.status_code == 403 and rest.get_json()["error"]["code"] == "harvested", rest.get_json()
        ckan = client.post("/api/3/action/datastore_create", headers=headers,
                           json={"resource_id": dist_id, "fields": [{"id": column, "info": {"label": f"By {role}"}}]})
        assert ckan.status_code == 403 and ckan.get_json()["error"]["__type"] == "Authorization Error"
        assert snapshot(factory) == before, role
    shown, sent = web("sysadmin")
    assert shown and sent.status_code == 303, sent.status_code
    fields = client.get(f"/api/v1/datasets/{slug}/distributions/{dist_id}/dictionary").get_json()["fields"]
    assert {f["name"]: f.get("title") for f in fields}[column] == "By sysadmin"


def test_moving_a_dataset_to_another_publisher_needs_both_publishers_edit_rights(app, world):
    """datasets.save_package asked only that the actor edit the publisher a dataset moves TO: editor_b could take
    agency A's published dataset into agency B through the service (the CKAN door checked the old publisher itself,
    so no door allowed it, but the gate is the service's). It now asks for both; nothing changes when refused."""
    from sqlalchemy import select

    from app.services import datasets
    from app.services.context import Actor
    from app.services.errors import Forbidden
    from catalog_schema.models import Dataset, Publisher, User
    from catalog_schema.store import to_record

    sessionmaker = app.extensions["opendata"]["sessionmaker"]
    before = snapshot(sessionmaker)
    with sessionmaker() as s:
        editor_b = s.scalar(select(User).where(User.email == world.emails["editor_b"]))
        ds = s.scalar(select(Dataset).where(Dataset.slug == "active-a-1"))
        b = s.scalar(select(Publisher).where(Publisher.slug == "agency-b"))
        with pytest.raises(Forbidden):
            datasets.save_package(Actor(s, editor_b, "test", lang="en"), to_record(ds), dataset=ds, publisher=b,
                                  action="package_update")
        s.rollback()
    assert snapshot(sessionmaker) == before
    with sessionmaker() as s:  # the sysadmin may, as before
        root = s.scalar(select(User).where(User.email == world.emails["sysadmin"]))
        ds = s.scalar(select(Dataset).where(Dataset.slug == "active-a-1"))
        b = s.scalar(select(Publisher).where(Publisher.slug == "agency-b"))
        moved = datasets.save_package(Actor(s, root, "test", lang="en"), to_record(ds), dataset=ds, publisher=b,
                                      action="package_update")
        assert moved.publisher.slug == "agency-b"
