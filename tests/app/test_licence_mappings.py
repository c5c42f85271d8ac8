"""Licence mappings (issue 17 item 4): a raw licence text the vocabulary does not know, mapped by a sysadmin on
/licences or with `opendata licence map`; the datasets carrying it take the licence and are re-assessed, later
harvests of the text apply the mapping, and removing it gives the records back what the vocabulary makes."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select

from app.services import accounts
from catalog_schema.models import Assessment, AuditEvent, Dataset, LicenceMapping
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record
from tests.support.accounts import make_user, page_token, sign_in
from tests.support.cli import Ran, opendata

ROOT = Path(__file__).resolve().parents[2]
TROUBLE = {"licence-missing", "licence-unknown", "licence-not-open"}
RAW = "本市公共数据开放协议（第一版）"


def _db(app):
    return app.extensions["opendata"]["sessionmaker"]()


def _datasets(app) -> None:
    with _db(app) as s:
        for slug, raw in (("bus-stops", RAW), ("bus-lines", "  本市公共数据开放协议(第一版) "), ("parks", "CC-BY-4.0")):
            lid = "CC-BY-4.0" if raw == "CC-BY-4.0" else None
            save_record(s, new_record(slug=slug, title={"zh": slug}, publisher={"slug": "roads"}, license_raw=raw,
                                      license=lid,
                                      distributions=[new_distribution(download_url=f"http://127.0.0.1:9/{slug}.csv",
                                                                      format="CSV", license_raw=raw)]))
        s.commit()


def _licence_of(app, slug: str) -> tuple[str | None, int]:
    with _db(app) as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        runs = s.scalar(select(func.count(Assessment.id)).where(Assessment.dataset_id == ds.id))
        return ds.license_id, runs


def test_a_sysadmin_maps_a_licence_text_on_the_page_and_its_datasets_are_reassessed(app, client):
    _datasets(app)
    make_user(app, "root@example.gov", sysadmin=True)
    make_user(app, "boss@roads.example", admin_of="roads")
    assert _licence_of(app, "bus-stops") == (None, 0)
    boss = app.test_client()
    sign_in(boss, "boss@roads.example")
    assert boss.get("/licences").status_code == 403
    assert boss.post("/licences", data={"csrf_token": page_token(boss), "raw": RAW,
                                        "licence_id": "cc-by-4.0"}).status_code == 403
    sign_in(client, "root@example.gov")
    page = client.get("/licences?lang=en").get_data(as_text=True)
    unmapped = page.split('id="unmapped"')[1].split("</table>")[0]
    assert RAW in unmapped and "<td>2</td>" in unmapped and "CC-BY-4.0" not in unmapped  # both spellings, one row
    assert 'href="/licences"' in client.get("/account").get_data(as_text=True)
    token = page_token(client, "/licences")
    bad = client.post("/licences", data={"csrf_token": token, "raw": RAW, "licence_id": "no-such-licence"})
    assert bad.status_code == 303 and 'id="flash-error"' in client.get("/licences").get_data(as_text=True)
    done = client.post("/licences", data={"csrf_token": token, "raw": RAW, "licence_id": "CC-BY-4.0"})
    assert done.status_code == 303
    after = client.get("/licences?lang=en").get_data(as_text=True)
    assert "2 datasets changed and re-assessed" in after and 'id="none-unmapped"' in after
    assert RAW in after.split('id="mappings"')[1]
    for slug in ("bus-stops", "bus-lines"):
        licence, runs = _licence_of(app, slug)
        assert licence == "CC-BY-4.0" and runs == 1, slug
    assert _licence_of(app, "parks")[1] == 0  # not affected, not re-assessed
    with _db(app) as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == "bus-stops"))
        assert ds.distributions[0].license_id == "CC-BY-4.0"
        findings = s.scalar(select(Assessment.findings).where(Assessment.dataset_id == ds.id))
        assert findings and not TROUBLE & {f.get("type") for f in findings}
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "licence.map",
                                                  AuditEvent.object_type == "licence_mapping"))
        assert event.after == {"raw": RAW, "licence_id": "CC-BY-4.0"} and event.detail["datasets"] == 2
        # a later harvest of the same text applies the mapping
        save_record(s, new_record(slug="new-one", title={"zh": "x"}, publisher={"slug": "roads"},
                                  license_raw=RAW.replace("（", "(").replace("）", ")").upper(), distributions=[]))
        s.commit()
        assert s.scalar(select(Dataset.license_id).where(Dataset.slug == "new-one")) == "CC-BY-4.0"
    removed = client.post("/licences/remove", data={"csrf_token": page_token(client, "/licences"), "raw": RAW})
    assert removed.status_code == 303
    licence, runs = _licence_of(app, "bus-stops")
    assert licence is None and runs == 2
    with _db(app) as s:
        ds_id = s.scalar(select(Dataset.id).where(Dataset.slug == "bus-stops"))
        latest = s.scalar(select(Assessment.findings).where(Assessment.dataset_id == ds_id)
                          .order_by(Assessment.id.desc()).limit(1))
        assert TROUBLE & {f.get("type") for f in latest}
    with _db(app) as s:
        assert s.scalar(select(func.count(LicenceMapping.id))) == 0
    audit = client.get("/audit.json?action=licence.").json
    assert [(e["action"], e["object_type"]) for e in audit["events"]] == [  # the mapping, then each dataset it changed
        ("licence.unmap", "licence_mapping"), *[("licence.unmap", "dataset")] * 3,  # new-one too
        ("licence.map", "licence_mapping"), ("licence.map", "dataset"), ("licence.map", "dataset")]


def _opendata(db_url: str, *args: str) -> Ran:
    return opendata(*args, env={**os.environ, "OPENDATA_DATABASE_URL": db_url})


def test_licence_commands(app, db_url, session):
    _datasets(app)
    refused = _opendata(db_url, "licence", "map", RAW, "cc-by-4.0")
    assert refused.returncode != 0 and "no sysadmin account" in refused.stderr
    accounts.create_user(session, "root@example.gov", sysadmin=True)
    session.commit()
    listed = _opendata(db_url, "licence", "list")
    assert listed.returncode == 0 and "0 mapping" in listed.stdout and f"{RAW!r}: 2 dataset" in listed.stdout
    unknown = _opendata(db_url, "licence", "map", RAW, "made-up")
    assert unknown.returncode != 0 and "No licence 'made-up'" in unknown.stderr
    done = _opendata(db_url, "licence", "map", RAW, "odc-by")
    assert done.returncode == 0, done.stderr
    assert "2 dataset(s) changed, 2 re-assessed" in done.stdout
    assert _licence_of(app, "bus-lines") == ("ODC-BY-1.0", 1)
    assert f"{RAW!r} -> ODC-BY-1.0" in _opendata(db_url, "licence", "list").stdout
    gone = _opendata(db_url, "licence", "unmap", RAW)
    assert gone.returncode == 0 and _licence_of(app, "bus-lines")[0] is None
    assert _opendata(db_url, "licence", "unmap", RAW).returncode != 0
    session.expire_all()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "licence.map")).all()
    assert sorted(e.object_type for e in events) == ["dataset", "dataset", "licence_mapping"]
    assert {e.detail["via"] for e in events} == {"cli"} and len({e.user_id for e in events}) == 1


def test_a_mapping_is_in_each_changed_datasets_audit_trail_and_activity(app, client):
    """A mapping changes the licence of published datasets (of a dataset, or of its files only) as a CKAN
    package_patch of license_id does; the patch was audited on the dataset (its publisher's admins saw it in their
    audit log, the dataset's Activity and package_activity_list had it), the mapping only as one catalog-wide
    entry: those datasets' licences changed with no trace on them."""
    _datasets(app)
    with _db(app) as s:  # a published dataset whose own licence is known: only its file carries the text
        save_record(s, new_record(slug="depots", title={"zh": "depots"}, publisher={"slug": "roads"},
                                  license="CC-BY-4.0", license_raw="CC-BY-4.0",
                                  distributions=[new_distribution(download_url="http://127.0.0.1:9/depots.csv",
                                                                  format="CSV", license_raw=RAW)]))
        s.commit()
    make_user(app, "root@example.gov", sysadmin=True)
    make_user(app, "boss@roads.example", admin_of="roads")
    sign_in(client, "root@example.gov")
    done = client.post("/licences", data={"csrf_token": page_token(client, "/licences"), "raw": RAW,
                                          "licence_id": "CC-BY-4.0"})
    assert done.status_code == 303
    boss = app.test_client()
    sign_in(boss, "boss@roads.example")
    events = boss.get("/audit.json?publisher=roads").json["events"]
    assert sorted((e["action"], e["detail"]["name"], e["user"]) for e in events) == [
        ("licence.map", slug, "root@example.gov") for slug in ("bus-lines", "bus-stops", "depots")]
    changes = {e["detail"]["name"]: {c["field"]: (c["before"], c["after"]) for c in e["changes"]} for e in events}
    assert changes["bus-stops"]["license"] == (None, "CC-BY-4.0")
    assert "license" not in changes["depots"]  # its file's licence changed, not its own
    anon = app.test_client()
    for slug in ("bus-stops", "depots"):
        activity = anon.get(f"/api/3/action/package_activity_list?id={slug}").json["result"]
        assert [a["activity_type"] for a in activity] == ["changed package"], (slug, activity)
    assert _opendata_events(app) == {"licence_mapping": 1, "dataset": 3}
    client.post("/licences/remove", data={"csrf_token": page_token(client, "/licences"), "raw": RAW})
    actions = [e["action"] for e in boss.get("/audit.json?publisher=roads").json["events"]]
    assert actions.count("licence.unmap") == 3 and actions.count("licence.map") == 3


def _opendata_events(app) -> dict[str, int]:
    with _db(app) as s:
        kinds = s.scalars(select(AuditEvent.object_type).where(AuditEvent.action == "licence.map"))
        out: dict[str, int] = {}
        for kind in kinds:
            out[kind] = out.get(kind, 0) + 1
        return out
