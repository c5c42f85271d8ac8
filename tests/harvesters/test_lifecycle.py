"""The harvest job rules of docs/harvesting.md, on real data.json payloads over real HTTP."""

from __future__ import annotations

import copy
import json
import re

from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import main
from app.jobs import harvest
from catalog_schema import harvest_report
from catalog_schema.models import Dataset, HarvestJob, HarvestRecord

FIXTURE = "real/datajson/treasury_data.json"


def _serve(local_server, document: dict) -> str:
    local_server.add_bytes("/data.json", json.dumps(document).encode(), "application/json")
    return local_server.url("/data.json")


def _active(rt) -> dict[str, str]:
    with rt.sessionmaker() as session:
        rows = session.execute(select(Dataset.remote_id, Dataset.content_hash).where(Dataset.state == "active"))
        return dict(rows.all())


def test_harvest_rerun_change_remove_restore_and_bad_record(runtime, add_source, local_server, fixtures_dir):
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    total = len(document["dataset"])
    url = _serve(local_server, document)
    add_source("treasury", "datajson", url, publisher="treasury")

    first = harvest(runtime, "treasury").to_dict()
    distinct = len({d["identifier"] for d in document["dataset"]})
    assert first["status"] == "finished"
    assert first["added"] == distinct and first["errored"] == 0
    assert distinct == total, "identifiers are unique in the real file"

    again = harvest(runtime, "treasury").to_dict()
    assert (again["added"], again["updated"], again["withdrawn"], again["errored"]) == (0, 0, 0, 0)
    assert again["unchanged"] == total

    changed = copy.deepcopy(document)
    changed["dataset"][3]["title"] = "A new title"
    _serve(local_server, changed)
    summary = harvest(runtime, "treasury").to_dict()
    assert (summary["updated"], summary["unchanged"], summary["added"]) == (1, total - 1, 0)

    removed = copy.deepcopy(changed)
    gone = removed["dataset"].pop(5)
    _serve(local_server, removed)
    summary = harvest(runtime, "treasury").to_dict()
    assert summary["withdrawn"] == 1 and summary["unchanged"] == total - 1
    with runtime.sessionmaker() as session:
        ds = session.scalar(select(Dataset).where(Dataset.remote_id == gone["identifier"]))
        assert ds.state == "withdrawn" and ds.withdrawn_at is not None  # kept, hidden, restorable

    _serve(local_server, changed)
    summary = harvest(runtime, "treasury").to_dict()
    assert summary["updated"] == 1 and summary["withdrawn"] == 0  # restored counts as updated
    with runtime.sessionmaker() as session:
        assert session.scalar(select(Dataset.state).where(Dataset.remote_id == gone["identifier"])) == "active"

    broken = copy.deepcopy(changed)
    broken["dataset"].insert(0, "this is not a dataset")
    _serve(local_server, broken)
    summary = harvest(runtime, "treasury").to_dict()
    assert summary["errored"] == 1 and summary["unchanged"] == total
    with runtime.sessionmaker() as session:
        row = session.scalar(select(HarvestRecord).where(HarvestRecord.status == "errored"))
        assert 'must be a JSON object, not "this is not a dataset"' in row.error  # JSON's words, not Python's
        assert row.payload == "this is not a dataset"
        count = session.scalar(select(func.count()).select_from(Dataset))
    assert count == total  # no duplicates, nothing lost


def test_source_down_keeps_catalog(runtime, add_source, local_server, fixtures_dir):
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    url = _serve(local_server, document)
    add_source("treasury", "datajson", url)
    harvest(runtime, "treasury")
    before = _active(runtime)
    local_server.add_bytes("/data.json", b"<html>Service Unavailable</html>", "text/html", status=503)
    summary = harvest(runtime, "treasury")
    assert summary.status == "failed" and "503" in (summary.error or "")
    assert _active(runtime) == before  # a failed gather withdraws nothing
    with runtime.sessionmaker() as session:
        statuses = session.scalars(select(HarvestJob.status).order_by(HarvestJob.id)).all()
    assert statuses == ["finished", "failed"]


def test_retry_on_500_then_success(runtime, add_source, local_server, fixtures_dir):
    body = (fixtures_dir / "real/datajson/cftc_dcatus.json").read_bytes()
    calls = []

    def flaky(_req):
        calls.append(1)
        if len(calls) <= 2:
            return 500, {"Content-Type": "text/plain"}, b"oops"
        return 200, {"Content-Type": "application/json"}, body

    local_server.add_route("/flaky.json", flaky)
    add_source("cftc", "datajson", local_server.url("/flaky.json"))
    summary = harvest(runtime, "cftc").to_dict()
    assert summary["status"] == "finished" and summary["added"] == len(json.loads(body)["dataset"])
    assert len(calls) == 3


def test_a_source_that_suddenly_lists_much_less_withdraws_nothing_until_confirmed(runtime, add_source,
                                                                                  local_server, fixtures_dir,
                                                                                  client, db_url, tmp_path):
    """A truncated data.json (a broken export, a half-written file) must not empty the catalog. The job that held
    back lists what confirming would withdraw (the report at its three doors), so a person can check first."""
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    total = len(document["dataset"])
    _serve(local_server, document)
    add_source("treasury", "datajson", local_server.url("/data.json"), publisher="treasury")
    assert harvest(runtime, "treasury").to_dict()["added"] == total

    one_gone = copy.deepcopy(document)
    del one_gone["dataset"][0]  # one dataset removed: withdrawn without asking
    _serve(local_server, one_gone)
    assert harvest(runtime, "treasury").to_dict()["withdrawn"] == 1

    truncated = copy.deepcopy(one_gone)
    truncated["dataset"] = truncated["dataset"][:10]
    _serve(local_server, truncated)
    held = harvest(runtime, "treasury")
    gone = total - 1 - 10
    assert (held.status, held.withdrawn) == ("needs-confirmation", 0)
    assert f"no longer lists {gone} of the {total - 1} datasets" in held.error
    assert "--confirm-withdrawals" in held.error
    assert len(_active(runtime)) == total - 1  # nothing withdrawn
    with runtime.sessionmaker() as session:
        assert session.scalar(select(HarvestJob.status).order_by(HarvestJob.id.desc())) == "needs-confirmation"
        listed = {d["identifier"] for d in truncated["dataset"]}
        would_go = set(session.scalars(select(Dataset.slug).where(Dataset.state == "active",
                                                                  Dataset.remote_id.not_in(listed))))
        report = harvest_report.source_report(session, "treasury", titles=500)
    assert len(would_go) == gone
    held_back = report["latest"]["held_back"]
    assert held_back["total"] == gone and {i["dataset"] for i in held_back["items"]} == would_go
    assert {i["status"] for i in held_back["items"]} == {"held-back"} and held_back["more"] == 0
    assert report["jobs"][0]["withdrawn"] == 0 and "held_back" not in report["jobs"][0]
    page = client.get("/harvest/source/treasury?lang=zh_CN").get_data(as_text=True)
    assert f"确认后将撤回（{gone}）" in page and page.count('<li data-remote-id=') >= min(gone, 20)
    env = {"OPENDATA_DATABASE_URL": db_url, "OPENDATA_INSTANCE_DIR": str(tmp_path)}
    shown = CliRunner().invoke(main, ["--lang", "en", "source", "show", "treasury"], env=env)
    assert f"to be withdrawn once confirmed ({gone}):" in shown.output, shown.output
    listing = CliRunner().invoke(main, ["source", "show", "treasury", "--json"], env=env)
    assert json.loads(listing.output)["latest"]["held_back"]["total"] == gone

    confirmed = harvest(runtime, "treasury", confirm=True)  # a person checked: the source did remove them
    assert (confirmed.status, confirmed.withdrawn) == ("finished", gone)
    assert len(_active(runtime)) == 10
    with runtime.sessionmaker() as session:  # the confirmed job withdrew them: nothing is held back any more
        latest = harvest_report.source_report(session, "treasury")["latest"]
    assert latest["withdrawn"]["total"] == gone and latest["held_back"]["total"] == 0


def test_an_incremental_ckan_run_that_lists_no_ids_withdraws_nothing(runtime, add_source, local_server,
                                                                     fixtures_dir):
    from tests.support.ckan_server import FakeCkan, real_packages

    packages = real_packages(fixtures_dir, 12)
    fake = FakeCkan(local_server, packages)
    add_source("bham", "ckan", fake.url)
    assert harvest(runtime, "bham").to_dict()["added"] == 12
    del fake.packages[:]  # the source answers an empty catalog
    held = harvest(runtime, "bham")  # incremental: the id listing comes back empty
    assert (held.status, held.withdrawn) == ("needs-confirmation", 0)
    assert "no longer lists 12 of the 12 datasets" in held.error
    assert len(_active(runtime)) == 12


def test_a_package_renamed_at_its_source_keeps_its_old_address(runtime, add_source, local_server, fixtures_dir, client):
    """A CKAN package renamed upstream changes its dataset's slug at the next harvest; links to the old one (in
    reports, search engines, other catalogs) answer 301 to the new one, as after a rename by its publisher."""
    from tests.support.ckan_server import FakeCkan
    from tests.support.sources import CKAN_RECORDS, real_packages

    packages = real_packages(fixtures_dir, CKAN_RECORDS)
    ckan = FakeCkan(local_server, packages)
    add_source("city", "ckan", ckan.url)
    assert harvest(runtime, "city").to_dict()["status"] == "finished"
    old = packages[0]["name"]
    assert client.get(f"/dataset/{old}").status_code == 200
    packages[0]["name"] = f"{old}-renamed"
    packages[0]["metadata_modified"] = "2099-01-01T00:00:00.000000"
    summary = harvest(runtime, "city", full=True).to_dict()
    assert summary["updated"] == 1, summary
    moved = client.get(f"/dataset/{old}?lang=en")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/dataset/{old}-renamed?lang=en")
    assert client.get(f"/dataset/{old}-renamed").status_code == 200
    packages[0]["name"] = old  # renamed back: its old name is its own again, not a redirect to itself
    packages[0]["metadata_modified"] = "2099-01-02T00:00:00.000000"
    assert harvest(runtime, "city", full=True).to_dict()["updated"] == 1
    assert client.get(f"/dataset/{old}").status_code == 200
    assert client.get(f"/dataset/{old}-renamed").status_code == 301
    # renamed and nothing else (metadata_modified as it was): the rename was lost, the content hash leaves it out
    packages[0]["name"] = f"{old}-moved"
    assert harvest(runtime, "city", full=True).to_dict()["updated"] == 1
    assert client.get(f"/dataset/{old}").status_code == 301 and client.get(f"/dataset/{old}-moved").status_code == 200
    assert harvest(runtime, "city", full=True).to_dict()["updated"] == 0  # and once only


def test_a_package_whose_name_is_taken_keeps_its_next_free_slug_through_changes(runtime, add_source, local_server,
                                                                                fixtures_dir, client):
    """The name a package asks for belongs to another dataset: it gets name-2, and keeps it (no rename, no old
    address of its own) when the package changes."""
    from catalog_schema.models import DatasetSlug
    from catalog_schema.record import new_record
    from catalog_schema.store import save_record
    from tests.support.ckan_server import FakeCkan
    from tests.support.sources import CKAN_RECORDS, real_packages

    packages = real_packages(fixtures_dir, CKAN_RECORDS)
    name = packages[0]["name"]
    with runtime.sessionmaker() as session:
        save_record(session, new_record(slug=name, title={"en": "Published here first"}, license="CC-BY-4.0"))
        session.commit()
    add_source("city", "ckan", FakeCkan(local_server, packages).url)
    assert harvest(runtime, "city").to_dict()["status"] == "finished"
    with runtime.sessionmaker() as session:
        assert session.scalar(select(Dataset.slug).where(Dataset.remote_id == packages[0]["id"])) == f"{name}-2"
    packages[0]["title"] = "A new title"
    packages[0]["metadata_modified"] = "2099-01-01T00:00:00.000000"
    assert harvest(runtime, "city", full=True).to_dict()["updated"] == 1
    with runtime.sessionmaker() as session:
        assert session.scalar(select(Dataset.slug).where(Dataset.remote_id == packages[0]["id"])) == f"{name}-2"
        assert session.scalar(select(func.count()).select_from(DatasetSlug)) == 0
    assert client.get(f"/dataset/{name}-2").status_code == 200


def _dataset_iris(client) -> set[str]:
    import rdflib

    g = rdflib.Graph().parse(data=client.get("/catalog.nt?page=all").data, format="nt")
    dcat_dataset = rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")
    return {str(s) for s in g.subjects(rdflib.RDF.type, dcat_dataset)}


def test_a_package_renamed_at_its_source_keeps_its_first_iri(runtime, add_source, local_server, fixtures_dir, client):
    """Our DCAT named the dataset by its slug, so a rename upstream gave it a new IRI: our own harvesters saw one
    dataset deleted and another added. Its first IRI is pinned, through the rename and the harvests after it."""
    from tests.support.ckan_server import FakeCkan
    from tests.support.sources import CKAN_RECORDS, real_packages

    packages = real_packages(fixtures_dir, CKAN_RECORDS)
    add_source("city", "ckan", FakeCkan(local_server, packages).url)
    assert harvest(runtime, "city").to_dict()["status"] == "finished"
    old = packages[0]["name"]
    before = _dataset_iris(client)
    assert any(i.endswith(f"/dataset/{old}") for i in before)
    packages[0]["name"] = f"{old}-renamed"
    packages[0]["metadata_modified"] = "2099-01-01T00:00:00.000000"
    assert harvest(runtime, "city", full=True).to_dict()["updated"] == 1
    assert _dataset_iris(client) == before
    packages[0]["title"] = "Another title"  # a later change of the package keeps the pin
    packages[0]["metadata_modified"] = "2099-01-02T00:00:00.000000"
    assert harvest(runtime, "city", full=True).to_dict()["updated"] == 1
    assert _dataset_iris(client) == before
    assert harvest(runtime, "city", full=True).to_dict()["updated"] == 0  # the pin is no change of its content
    assert client.get(f"/dataset/{old}").status_code == 301


def test_a_harvested_package_never_takes_a_pinned_iri(runtime, add_source, local_server, fixtures_dir, client):
    """A slug a dataset had before a rename is its IRI for good: a new package asking for that name gets the next
    free one, so two datasets never share an IRI."""
    from app.services import accounts, datasets
    from app.services.context import Actor
    from catalog_schema.record import new_record
    from catalog_schema.store import save_record
    from tests.support.ckan_server import FakeCkan
    from tests.support.sources import CKAN_RECORDS, real_packages

    packages = real_packages(fixtures_dir, CKAN_RECORDS)
    name = packages[0]["name"]
    with runtime.sessionmaker() as session:
        ds, _ = save_record(session, new_record(slug=name, title={"en": "Published here first"}, license="CC-BY-4.0"))
        admin = accounts.create_user(session, "root@example.gov", sysadmin=True)
        datasets.rename(Actor(session, admin, "test"), ds, f"{name}-here")
        own_id = ds.id
    add_source("city", "ckan", FakeCkan(local_server, packages).url)
    assert harvest(runtime, "city").to_dict()["status"] == "finished"
    with runtime.sessionmaker() as session:
        assert session.scalar(select(Dataset.slug).where(Dataset.remote_id == packages[0]["id"])) == f"{name}-2"
        assert session.get(Dataset, own_id).extras["publishing"]["iri_slug"] == name
    iris = [i for i in _dataset_iris(client) if i.rsplit("/", 1)[1] in (name, f"{name}-2", f"{name}-here")]
    assert sorted(i.rsplit("/", 1)[1] for i in iris) == [name, f"{name}-2"]
    moved = client.get(f"/dataset/{name}")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/dataset/{name}-here")


def _dcat(datasets: list[str]) -> bytes:
    head = ("@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
            "@prefix adms: <http://www.w3.org/ns/adms#> .\n"
            "<https://portal.example/catalog> a dcat:Catalog ; dct:title \"Portal\"@en .\n")
    return (head + "".join(datasets)).encode()


def _active_dataset(n: int) -> str:
    return (f"<https://portal.example/dataset/d{n}> a dcat:Dataset ; dct:title \"Dataset {n}\"@en ;\n"
            f"  dct:description \"Readings {n}\"@en ; dct:identifier \"d{n}\" .\n"
            f"<https://portal.example/catalog> dcat:dataset <https://portal.example/dataset/d{n}> .\n")


def _tombstone(n: int) -> str:
    """A withdrawn dataset as our changes feed (/catalog.ttl?modified_since=) and DCAT 3 describe it."""
    return (f"<https://portal.example/dataset/d{n}> a dcat:Dataset ; dct:title \"Dataset {n}\"@en ;\n"
            f"  dct:description \"Withdrawn by its publisher on 2026-12-05. Reason: replaced\"@en ;\n"
            f"  adms:status <http://purl.org/adms/status/Withdrawn> ;\n"
            f"  dct:modified \"2026-12-05T10:00:00+00:00\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n"
            f"<https://portal.example/catalog> dcat:dataset <https://portal.example/dataset/d{n}> .\n")


def test_a_dcat_dataset_marked_withdrawn_is_withdrawn_not_imported(runtime, add_source, local_server):
    """A DCAT catalog that lists a dataset with `adms:status` Withdrawn (as our own changes feed does) no longer
    publishes it: the harvest withdraws its copy, and does not import the tombstone as an active dataset."""
    local_server.add_bytes("/catalog.ttl", _dcat([_active_dataset(n) for n in (1, 2, 3)]), "text/turtle")
    add_source("portal", "dcat", local_server.url("/catalog.ttl"), publisher="portal")
    assert harvest(runtime, "portal").to_dict()["added"] == 3

    local_server.add_bytes("/catalog.ttl", _dcat([_active_dataset(1), _active_dataset(2), _tombstone(3),
                                                  _tombstone(4)]), "text/turtle")
    summary = harvest(runtime, "portal").to_dict()
    assert (summary["withdrawn"], summary["added"], summary["updated"]) == (1, 0, 0), summary
    with runtime.sessionmaker() as session:
        states = dict(session.execute(select(Dataset.remote_id, Dataset.state)).all())
        d3 = session.scalar(select(Dataset).where(Dataset.remote_id == "https://portal.example/dataset/d3"))
        assert d3.description == {"en": "Readings 3"}  # the copy kept as it was, not the tombstone's text
    assert states == {"https://portal.example/dataset/d1": "active", "https://portal.example/dataset/d2": "active",
                      "https://portal.example/dataset/d3": "withdrawn"}  # d4 was never published: not imported


def test_an_incremental_job_says_since_when_it_read_at_every_door(runtime, add_source, local_server, fixtures_dir,
                                                                   client, db_url, tmp_path):
    """An incremental CKAN run that found nothing changed shows all zeros: the source's report, its page, the job's
    page and `source show` say it read only what changed since its start, so the zeros read as "nothing changed
    since", not "saw nothing"; a first (whole) run says it read the whole source."""
    from tests.support.ckan_server import FakeCkan, real_packages

    FakeCkan(local_server, real_packages(fixtures_dir, 5))
    add_source("bham", "ckan", local_server.url(""))
    first, again = harvest(runtime, "bham"), harvest(runtime, "bham")
    assert (first.added, again.added, again.unchanged) == (5, 0, 0) and again.since is not None
    when = again.since.strftime("%Y-%m-%d %H:%M")
    with runtime.sessionmaker() as session:
        jobs = harvest_report.source_report(session, "bham")["jobs"]
    assert [j["since"] for j in jobs] == [again.since, None]
    page = client.get("/harvest/source/bham?lang=en").get_data(as_text=True)
    assert page.count(f"(changes since {when})") == 1
    assert f"（自 {when} 以来的更改）" in client.get("/harvest/source/bham?lang=zh_CN").get_data(as_text=True)
    newer = client.get(f"/harvest/job/{again.job_id}?lang=en").get_data(as_text=True)
    assert f"what the source changed since {when} (an incremental harvest)" in newer
    assert "the whole source" in client.get(f"/harvest/job/{first.job_id}?lang=en").get_data(as_text=True)
    assert "来源的全部记录" in client.get(f"/harvest/job/{first.job_id}?lang=zh_CN").get_data(as_text=True)
    env = {"OPENDATA_DATABASE_URL": db_url, "OPENDATA_INSTANCE_DIR": str(tmp_path)}
    shown = CliRunner().invoke(main, ["--lang", "en", "source", "show", "bham"], env=env).output
    assert shown.count(f"(changes since {when})") == 1, shown


def test_a_ckan_package_listed_again_unchanged_is_restored_by_an_incremental_run(runtime, add_source, local_server,
                                                                                fixtures_dir):
    """A CKAN whose search index lost a package for a day: the next (incremental) run withdrew it, and when the
    package came back unchanged it stayed withdrawn for good (410), since it was not among what changed since the
    last run and only a full run read it again; a scheduled run never is one. An incremental run now reads the
    withdrawn packages the source lists again (package_show) and restores them; one a person withdrew stays so."""
    from app.services import accounts
    from app.services import datasets as datasets_service
    from app.services.context import Actor
    from tests.support.ckan_server import FakeCkan, real_packages

    packages = real_packages(fixtures_dir, 12)
    fake = FakeCkan(local_server, packages)
    add_source("bham", "ckan", fake.url)
    assert harvest(runtime, "bham").to_dict()["added"] == 12
    lost, kept = packages[4], packages[7]
    fake.packages.remove(lost)
    gone = harvest(runtime, "bham").to_dict()
    assert gone["since"] is not None and gone["withdrawn"] == 1  # incremental
    with runtime.sessionmaker() as session:  # a person (the portal's sysadmin) withdraws another one
        admin = accounts.create_user(session, "ops@portal.example", sysadmin=True)
        ds = session.scalar(select(Dataset).where(Dataset.remote_id == kept["id"]))
        datasets_service.withdraw(Actor(session, admin, "test", lang="en"), ds, reason="Superseded")
        session.commit()
    fake.packages.append(lost)  # back, unchanged: its metadata_modified is older than the last run
    fake.calls.clear()
    back = harvest(runtime, "bham").to_dict()
    assert back["since"] is not None and back["updated"] == 1 and back["withdrawn"] == 0, back
    assert [c["id"] for c in fake.calls if c["action"] == "package_show"] == [lost["id"]]
    with runtime.sessionmaker() as session:
        states = dict(session.execute(select(Dataset.remote_id, Dataset.state)).all())
        rows = session.scalars(select(HarvestRecord.status).where(HarvestRecord.remote_id == lost["id"])
                               .order_by(HarvestRecord.id)).all()
    assert states[lost["id"]] == "active" and states[kept["id"]] == "withdrawn"
    assert rows[-1] == "restored"
    again = harvest(runtime, "bham").to_dict()  # nothing more to restore: no package_show
    assert (again["updated"], again["withdrawn"]) == (0, 0)


def test_confirming_withdraws_the_list_a_person_read_and_holds_what_went_since(runtime, add_source, local_server,
                                                                             fixtures_dir):
    """`--confirm-withdrawals` withdrew whatever the next run found missing, which may be more than the titles a person
    read under "to be withdrawn once confirmed". It withdraws that list; what went missing since is held to the rule
    unasked (held back again, and said so, when it is too many), and a second confirmation takes it."""
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    document["dataset"] = document["dataset"][:30]
    _serve(local_server, document)
    add_source("treasury", "datajson", local_server.url("/data.json"), publisher="treasury")
    assert harvest(runtime, "treasury").to_dict()["added"] == 30
    shorter = copy.deepcopy(document)
    shorter["dataset"] = shorter["dataset"][:21]  # 9 of 30 gone: held back, listed for a person
    _serve(local_server, shorter)
    held = harvest(runtime, "treasury")
    assert (held.status, held.withdrawn) == ("needs-confirmation", 0)
    reviewed = {d["identifier"] for d in document["dataset"][21:]}
    shorter["dataset"] = shorter["dataset"][:14]  # 7 more gone before the person confirms
    _serve(local_server, shorter)
    confirmed = harvest(runtime, "treasury", confirm=True)
    assert (confirmed.status, confirmed.withdrawn) == ("needs-confirmation", 9), confirmed
    assert "the 9 datasets confirmed were withdrawn; 7 more are gone" in confirmed.error
    with runtime.sessionmaker() as session:
        states = dict(session.execute(select(Dataset.remote_id, Dataset.state)).all())
        report = harvest_report.source_report(session, "treasury", titles=50)
    assert {r for r, s in states.items() if s == "withdrawn"} == reviewed
    assert report["latest"]["held_back"]["total"] == 7
    again = harvest(runtime, "treasury", confirm=True)  # the 7 now read and confirmed
    assert (again.status, again.withdrawn) == ("finished", 7)
    assert len(_active(runtime)) == 14


def test_a_source_that_renamed_every_dataset_imports_nothing_until_confirmed(runtime, add_source, local_server,
                                                                            fixtures_dir, client):
    """A data.json whose entries lost their `identifier` names every dataset by another key (its landing page,
    its title). Imported as it was, each dataset came in a second time beside the old one the withdrawal guard
    kept: the catalog doubled. Now the job imports nothing and needs confirmation, in one process and on
    workers; confirming replaces the old datasets with the new ones."""
    from app.jobs import queue_harvest
    from harvesters import registry
    from harvesters.distributed import gather_job

    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    document["dataset"] = document["dataset"][:12]
    _serve(local_server, document)
    add_source("treasury", "datajson", local_server.url("/data.json"), publisher="treasury")
    assert harvest(runtime, "treasury").added == 12
    before = _active(runtime)

    rekeyed = copy.deepcopy(document)
    for entry in rekeyed["dataset"]:
        del entry["identifier"]
    _serve(local_server, rekeyed)
    held = harvest(runtime, "treasury")
    assert (held.status, held.added, held.withdrawn) == ("needs-confirmation", 0, 0), held
    # keyed by their landing pages now, which some share (those are error rows: one identifier twice)
    listed = int(re.match(r"treasury lists (\d+) datasets and none of them is one of the 12 the catalog holds ",
                          held.error).group(1))
    assert 0 < listed <= 12
    assert "--confirm-withdrawals" in held.error
    assert _active(runtime) == before  # nothing added, nothing withdrawn
    with runtime.sessionmaker() as session:
        report = harvest_report.source_report(session, "treasury", titles=50)
        assert session.scalar(select(func.count()).select_from(Dataset)) == 12
    assert report["latest"]["held_back"]["total"] == 12  # what confirming withdraws, listed for a person
    page = client.get("/harvest/source/treasury?lang=zh_CN").get_data(as_text=True)
    assert f"treasury 列出 {listed} 个数据集，其中没有一个是目录从它收录的 12 个数据集之一" in page

    job_id = queue_harvest(runtime, "treasury")  # the same on workers: the gather sends no batch
    sent: list = []
    cls = registry.get("datajson", runtime.settings["HARVESTERS"])
    assert gather_job(runtime.sessionmaker, job_id, cls, http=runtime.http(), send_batch=sent.append) is None
    assert sent == []
    with runtime.sessionmaker() as session:
        job = session.get(HarvestJob, job_id)
        assert job.status == "needs-confirmation" and job.error == held.error
    assert _active(runtime) == before

    confirmed = harvest(runtime, "treasury", confirm=True)  # a person checked: the source did replace them
    assert (confirmed.status, confirmed.added, confirmed.withdrawn) == ("finished", listed, 12), confirmed
    assert not set(_active(runtime)) & set(before) and len(_active(runtime)) == listed


def test_a_source_adding_datasets_beside_the_ones_it_listed_is_not_held(runtime, add_source, local_server,
                                                                        fixtures_dir):
    """The check holds only a first batch naming none of what the catalog holds: a source that lists new
    datasets first and its old ones after imports as before."""
    document = json.loads((fixtures_dir / FIXTURE).read_text("utf-8"))
    first = copy.deepcopy(document)
    first["dataset"] = first["dataset"][5:15]
    _serve(local_server, first)
    add_source("treasury", "datajson", local_server.url("/data.json"), publisher="treasury")
    assert harvest(runtime, "treasury").added == 10
    grown = copy.deepcopy(document)
    grown["dataset"] = grown["dataset"][:15]  # five new ones listed before the ten
    _serve(local_server, grown)
    summary = harvest(runtime, "treasury")
    assert (summary.status, summary.added, summary.unchanged) == ("finished", 5, 10), summary
