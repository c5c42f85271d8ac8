"""What reading a file found is kept without the personal data its column names or notes rows hold.

A file without a header row has its first row of data read as its column names, so a citizen's ID number is the name
of a column. The facts kept beside the archive to spare the next re-check a read (quality.facts_cache: the profile,
the CSV scan) held that name in the profile's header, types and counts, and a notes row's phone number in the kept
scan, and the check kept with the dataset (`datasets.prepublication_check`) held it in its preview's header: personal
data at rest beyond what the serving gate needs (the distribution's facts and data dictionary), where a later door
could give it out. A profile whose column names are personal data is not kept (the copy is read again at each
re-check), nor a scan whose header or notes are, and the check's preview says such a name as ``[redacted]``.
Re-assessed, the copy gives the same findings (the column named by its position) and the gate the same facts.

A new version of such a file is kept with how it changed (`DistributionVersion.change`: the columns added and removed,
the rows' key) and what its profile found per column (`DistributionVersion.pii`): a column named by personal data is
kept there by its position, which the versions doors say ("column 2", 第 2 列); the row store's digest of its table
(kept to spare the next comparison a read) is not kept. A version kept before, by name, is said without them.

What was kept by name before (a version's change and counts, the findings of an assessment and of a kept check, a
check's preview header, an audit entry of a dictionary edit, which now keeps such a column by position) is rewritten
as it is written now by `opendata pii scrub`.

Real HTTP through the Flask test client on a real database; the files are uploaded through the services to a
published dataset (a file added to a published dataset is checked, and withheld by the serving gate).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import select, text

from app.services.context import Runtime
from catalog_schema.models import Assessment, Dataset, Distribution
from quality import facts_cache
from tests.support.accounts import sign_in
from tests.support.personal import IDS, PHONES, leaked
from tests.support.publishing import DOOR_TABLE, publish_uploads

OWN = "editor@at-rest.example"
BODY = "".join(f"临江区{n},{120000 + n * 7}\r\n" for n in range(12))
#: Headerless: the first row, a citizen's ID number and phone, is read as the column names.
FIRST_ROW = (f"{IDS[0]},{PHONES[0]}\r\n" + BODY).encode()
#: A header row below a notes row that holds a phone number.
NOTED = (f"联系人 {PHONES[1]}\r\n区县,人口\r\n" + BODY).encode()


def _kept(archive: Path) -> dict[str, str]:
    """Every document the facts cache keeps, by its name."""
    return {p.name: p.read_text("utf-8") for p in (archive / facts_cache.FOLDER).rglob("*.json")}


def _state(app, ids: dict[str, str]) -> tuple[dict[str, Distribution], list[dict], dict | None]:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == "at-rest"))
        rows = {name: s.get(Distribution, dist_id) for name, dist_id in ids.items()}
        a = s.scalars(select(Assessment).where(Assessment.dataset_id == ds.id)
                      .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())).first()
        return rows, list(a.findings), ds.prepublication_check


def _header_findings(findings: list[dict], dist_id: str) -> list[tuple]:
    return sorted((f["type"], f["evidence"].get("column_position"), f["evidence"].get("header_row"))
                  for f in findings if f.get("distribution") == dist_id and f["type"].startswith("pii-"))


def test_personal_names_and_notes_are_not_kept_at_rest(app):
    ids = publish_uploads(app, OWN, "agency-at-rest", "at-rest", "At rest", {"clean.csv": DOOR_TABLE},
                          added={"first-row.csv": FIRST_ROW, "noted.csv": NOTED})
    rows, findings, _ = _state(app, ids)
    archive = Path(rows["clean.csv"].archive_path).parent.parent
    kept = _kept(archive)
    assert {name: leaked(text) for name, text in kept.items() if leaked(text)} == {}
    for name in ("clean.csv", "noted.csv"):  # the facts of other files are kept as before
        assert any(doc.startswith(rows[name].archive_hash) for doc in kept), name
    assert facts_cache.has_scan(archive, rows["clean.csv"].archive_hash)

    # what the gate needs is kept: the names, in the copy's facts; the findings name the column by its position
    first = ids["first-row.csv"]
    assert rows["first-row.csv"].pii["columns"] == {IDS[0]: {"id_number": 1}, PHONES[0]: {"phone": 1}}
    assert _header_findings(findings, first) == [("pii-id-number", 1, True), ("pii-phone", 2, True)]

    # the check kept with the dataset: its preview's header says the names as [redacted]
    client = app.test_client()
    assert sign_in(client, OWN).status_code == 302
    assert client.get("/publish/at-rest").status_code == 200  # the publish page runs the check and keeps it
    _, _, check = _state(app, ids)
    assert check is not None
    preview = {p["distribution"]: p for p in check["result"]["preview"]}
    assert preview[first]["header"] == ["[redacted]", "[redacted]"], preview[first]
    assert leaked(json.dumps(check, ensure_ascii=False)) == []

    # assessed again: the copy read again, the same findings and facts, and what an older engine kept of it (its
    # profile as it was, under another code digest's key) is dropped
    sha = rows["first-row.csv"].archive_hash
    assert facts_cache.save(archive, sha, "older-engine", {"profile": {"header": [IDS[0], PHONES[0]]}})
    runtime = Runtime(app.extensions["opendata"]["sessionmaker"], app.config["OPENDATA"])
    try:
        runtime.assess([rows["clean.csv"].dataset_id])
    finally:
        runtime.close()
    again, findings_again, _ = _state(app, ids)
    assert again["first-row.csv"].pii["columns"] == rows["first-row.csv"].pii["columns"]
    assert _header_findings(findings_again, first) == [("pii-id-number", 1, True), ("pii-phone", 2, True)]
    assert {name: leaked(text) for name, text in _kept(archive).items() if leaked(text)} == {}
    assert client.get(f"/dataset/at-rest/resource/{first}/data.csv").status_code == 200  # its editor: served
    anonymous = app.test_client().get(f"/dataset/at-rest/resource/{first}/data.csv")
    assert anonymous.status_code == 451 and leaked(anonymous.get_data(as_text=True)) == []



#: The next copy of the headerless file: headerless too, its first row the same ID number beside another citizen's
#: phone. The column named by the ID number is kept (the rows' key), the one named by the first phone removed and one
#: named by the second added: how the version changed names them, and its profile found them.
NEXT_ROW = (f"{IDS[0]},{PHONES[2]}\r\n" + BODY).encode()


def _versions(app, dist_id: str) -> list:
    """(sha256, change, pii) of each version of a file, oldest first, as the database holds them."""
    with app.extensions["opendata"]["sessionmaker"]() as s:
        rows = s.execute(text("SELECT sha256, change, pii FROM distribution_versions WHERE distribution_id = :d "
                              "ORDER BY archived_at, id"), {"d": dist_id}).all()
    return [(sha, _json(change), _json(pii)) for sha, change, pii in rows]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _headerless_replaced(app, *, dictionary: dict | None = None) -> tuple[dict[str, str], str]:
    """Publish a clean file and a headerless one whose first row is personal data, then replace the latter with the
    next copy (a second version), and edit its dictionary with `dictionary` if given: (the files' ids, the
    headerless file's id)."""
    from app.services import distributions
    from app.services.context import Actor
    from catalog_schema.models import User

    ids = publish_uploads(app, OWN, "agency-at-rest", "at-rest", "At rest", {"clean.csv": DOOR_TABLE},
                          added={"first-row.csv": FIRST_ROW})
    first = ids["first-row.csv"]
    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        with factory() as s:
            actor = Actor(s, s.scalar(select(User).where(User.email == OWN)), "test", runtime=runtime, lang="en")
            ds = s.scalar(select(Dataset).where(Dataset.slug == "at-rest"))
            distributions.replace(actor, ds, first, stream=io.BytesIO(NEXT_ROW), filename="first-row.csv")
            s.commit()
            if dictionary is not None:
                distributions.edit_dictionary(actor, ds, first, dictionary)
                s.commit()
    finally:
        runtime.close()
    return ids, first


def test_a_new_version_of_a_headerless_file_keeps_the_names_it_changed_by_position(app):
    """The version's change (columns added and removed, the rows' key) and what its profile found per column are kept
    with each version; a column named by personal data is kept by its position, which the versions doors say."""
    from catalog_schema.models import DistributionVersion

    ids, first = _headerless_replaced(app)
    factory = app.extensions["opendata"]["sessionmaker"]

    stored = _versions(app, first)
    assert len(stored) == 2
    assert leaked(json.dumps(stored, ensure_ascii=False)) == []
    change = stored[1][1]
    assert (change["columns_added"], change["columns_removed"], change["key"]) == ([2], [2], 1)
    assert stored[1][2] == {"#1": {"id_number": 1}, "#2": {"phone": 1}}
    # nor the row store's digests of the copies, kept to spare the next comparison a read: that of a table whose
    # names are personal data is not kept
    with factory() as s:
        store = Path(s.get(Distribution, ids["clean.csv"]).archive_path).parent.parent.parent / "datastore"
    digests = {p.name: p.read_bytes().decode("utf-8", "replace") for p in store.rglob("*.rows.bin")}
    assert digests and {name for name, body in digests.items() if leaked(body)} == set()

    # the versions doors say which column changed, by its position, to the public and to the file's editor
    editor = app.test_client()
    assert sign_in(editor, OWN).status_code == 302
    for client in (app.test_client(), editor):
        got = client.get(f"/api/v1/datasets/at-rest/distributions/{first}/versions")
        newest = got.get_json()["versions"][0]["change"]
        assert (newest["columns_added"], newest["columns_removed"], newest["key"]) == ([2], [2], 1)
        assert leaked(got.get_data(as_text=True)) == []
        for lang, said in (("en", "columns added: column 2; columns removed: column 2"),
                           ("zh_CN", "新增列：第 2 列；删除列：第 2 列")):
            page = client.get(f"/dataset/at-rest?lang={lang}").get_data(as_text=True)
            assert said in page, lang
            assert client is editor or leaked(page) == []  # the editor is shown the names, in the dictionary

    # a version kept before (its change and findings by name) is said without them to the public
    with factory() as s:
        older = s.scalar(select(DistributionVersion).where(DistributionVersion.sha256 == stored[1][0]))
        older.change = {**change, "columns_added": [PHONES[2]], "columns_removed": [PHONES[0]], "key": IDS[0]}
        older.pii = {IDS[0]: {"id_number": 1}, PHONES[2]: {"phone": 1}}
        s.commit()
    public = app.test_client()
    for url in (f"/api/v1/datasets/at-rest/distributions/{first}/versions", "/dataset/at-rest?lang=en",
                *(f"/dataset/at-rest/resource/{first}/version/{sha}" for sha, _, _ in stored)):
        got = public.get(url, headers={"Accept": "application/json"})
        assert got.status_code in (200, 451), url
        assert leaked(got.get_data(as_text=True)) == [], url


# --------------------------------------------------------------------------- what was kept before: `opendata pii scrub`


def _at_rest(app) -> dict[str, list]:
    """Where a column name was kept before it was said by position: every version's change and per-column counts,
    every check kept with a dataset, every audit entry of a dictionary edit (its detail), as the database holds them."""
    queries = {"versions": "SELECT id, change, pii FROM distribution_versions ORDER BY id",
               "checks": "SELECT id, prepublication_check FROM datasets WHERE prepublication_check IS NOT NULL "
                         "ORDER BY id",
               "edits": "SELECT id, detail FROM audit_events WHERE action = 'publish.edit_dictionary' ORDER BY id"}
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return {kind: [[key, *map(_json, values)] for key, *values in s.execute(text(sql)).all()]
                for kind, sql in queries.items()}


def test_pii_scrub_rewrites_what_was_kept_by_name_before(app, tmp_path):
    """Rows written before a personal column name was said by position keep the name: `opendata pii scrub` rewrites
    them as they are written now (a version's change and counts by position in its copy, a check's preview header
    and an old audit entry's edits [redacted]), says how many of each, changes nothing with --dry-run or a second time,
    and is audited once a run. A dictionary edit of such a column is audited by position."""
    import os

    from catalog_schema.models import AuditEvent, DistributionVersion
    from tests.support.cli import opendata

    ids, first = _headerless_replaced(app, dictionary={IDS[0]: {"description": "居民身份证号码"}})
    factory = app.extensions["opendata"]["sessionmaker"]
    editor = app.test_client()
    assert sign_in(editor, OWN).status_code == 302
    assert editor.get("/publish/at-rest").status_code == 200  # the check, kept with the dataset
    now = _at_rest(app)
    assert [leaked(json.dumps(now[kind], ensure_ascii=False)) for kind in now] == [[], [], []]
    assert now["edits"][0][1]["edits"]["after"] == {"#1": {"description": "居民身份证号码"}}  # audited by position

    # each forced back to the form it was kept in before: by name
    with factory() as s:
        old, new = s.scalars(select(DistributionVersion).where(DistributionVersion.distribution_id == first)
                             .order_by(DistributionVersion.id)).all()
        assert (new.change["columns_added"], new.change["columns_removed"], new.change["key"]) == ([2], [2], 1)
        kept = {"old": old.pii, "new": new.pii}
        assert kept == {"old": {"#1": {"id_number": 1}, "#2": {"phone": 1}}, "new": {"#1": {"id_number": 1},
                                                                                    "#2": {"phone": 1}}}
        new.change = {**new.change, "columns_added": [PHONES[2]], "columns_removed": [PHONES[0]], "key": IDS[0]}
        old.pii, new.pii = {IDS[0]: {"id_number": 1}, PHONES[0]: {"phone": 1}}, {IDS[0]: {"id_number": 1},
                                                                                   PHONES[2]: {"phone": 1}}
        ds = s.scalar(select(Dataset).where(Dataset.slug == "at-rest"))
        check = json.loads(json.dumps(ds.prepublication_check))
        preview = next(p for p in check["result"]["preview"] if p["distribution"] == first)
        assert preview["header"] == ["[redacted]", "[redacted]"]
        preview["header"] = [IDS[0], PHONES[2]]
        ds.prepublication_check = check
        edit = s.scalar(select(AuditEvent).where(AuditEvent.action == "publish.edit_dictionary"))
        edit.detail = {**edit.detail, "edits": {"before": {}, "after": {IDS[0]: {"description": "居民身份证号码"}}}}
        s.commit()
    before = _at_rest(app)
    assert [bool(leaked(json.dumps(before[kind], ensure_ascii=False))) for kind in before] == [True, True, True]

    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": app.config["OPENDATA"]["DATABASE_URL"],
                "OPENDATA_ARCHIVE_DIR": app.config["OPENDATA"]["ARCHIVE_DIR"],
                "OPENDATA_INSTANCE_DIR": str(tmp_path / "cli")})

    def scrub(*args: str) -> dict:
        done = opendata("pii", "scrub", *args, env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def runs() -> list:
        with factory() as s:
            return [e.detail for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "pii.scrub"))]

    found = {"version_changes": 1, "version_pii": 2, "assessments": 0, "checks": 1, "dictionary_edits": 1,
             "by_position": 7, "redacted": 3}
    dry = scrub("--dry-run")
    assert dry == {"dry_run": True, **found}
    assert _at_rest(app) == before and runs() == []

    assert scrub() == {"dry_run": False, **found}
    after = _at_rest(app)
    assert [leaked(json.dumps(after[kind], ensure_ascii=False)) for kind in after] == [[], [], []]
    assert runs() == [{"via": "cli", **found}]
    # as they are written now: the change and the counts by position in the copy, the preview's names [redacted]; the
    # edit's column (the dictionary then, which its position was of, is not known) [redacted]
    assert [v[2] for v in after["versions"][-2:]] == [kept["old"], kept["new"]]
    change = after["versions"][-1][1]
    assert (change["columns_added"], change["columns_removed"], change["key"]) == ([2], [2], 1)
    assert after["checks"] == now["checks"]
    assert after["edits"][0][1]["edits"]["after"] == {"[redacted]": {"description": "居民身份证号码"}}

    # the doors say the change by position again, to the public and to the file's editor
    for client in (app.test_client(), editor):
        got = client.get(f"/api/v1/datasets/at-rest/distributions/{first}/versions")
        newest = got.get_json()["versions"][0]["change"]
        assert (newest["columns_added"], newest["columns_removed"], newest["key"]) == ([2], [2], 1)
        assert "columns added: column 2; columns removed: column 2" in client.get(
            "/dataset/at-rest?lang=en").get_data(as_text=True)

    # a second run finds nothing left to rewrite, and rewrites nothing
    again = scrub()
    assert again == {"dry_run": False, **{kind: 0 for kind in found}}
    assert _at_rest(app) == after and len(runs()) == 2

    # a change whose copy before can no longer be read (its file gone): its names [redacted], as the public saw them
    with factory() as s:
        old, new = s.scalars(select(DistributionVersion).where(DistributionVersion.distribution_id == first)
                             .order_by(DistributionVersion.id)).all()
        old.path = str(tmp_path / "gone.csv")
        new.change = {**new.change, "columns_added": [PHONES[2]], "columns_removed": [PHONES[0]], "key": IDS[0]}
        s.commit()
    assert scrub() == {"dry_run": False, **{kind: 0 for kind in found}, "version_changes": 1, "redacted": 3}
    change = _at_rest(app)["versions"][-1][1]
    assert (change["columns_added"], change["columns_removed"], change["key"]) == (["[redacted]"], ["[redacted]"],
                                                                                  "[redacted]")


# --------------------------------------------------------------------------- findings kept before: `opendata pii scrub`


def _cli(app, *args: str) -> dict:
    """`opendata <args>` run through Flask's CLI runner on the test's catalog; what it printed, as JSON."""
    from app.cli import main

    settings = app.config["OPENDATA"]
    env = {f"OPENDATA_{key}": str(settings[key]) for key in ("DATABASE_URL", "INSTANCE_DIR", "ARCHIVE_DIR")}
    done = app.test_cli_runner().invoke(main, list(args), env=env)
    assert done.exit_code == 0, (done.output, done.exception)
    return json.loads(done.stdout)


def _draft(app, slug: str, files: dict[str, bytes]) -> dict[str, str]:
    """A draft of OWN's publisher made of these uploaded files; {file name: distribution id}."""
    from app.services import datasets, distributions
    from app.services.context import Actor
    from catalog_schema.models import User

    factory = app.extensions["opendata"]["sessionmaker"]
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        with factory() as s:
            actor = Actor(s, s.scalar(select(User).where(User.email == OWN)), "test", runtime=runtime, lang="en")
            ds = datasets.create(actor, "agency-at-rest", {"title": "Draft", "license": "CC-BY-4.0"}, slug=slug)
            return {name: distributions.add_upload(actor, ds, io.BytesIO(body), name).id
                    for name, body in files.items()}
    finally:
        runtime.close()


def _findings_at_rest(app) -> dict[str, list]:
    """Every assessment's findings and every check kept with a dataset, as the database holds them."""
    queries = {"assessments": "SELECT id, distributions, findings FROM assessments ORDER BY id",
               "checks": "SELECT id, prepublication_check FROM datasets WHERE prepublication_check IS NOT NULL "
                         "ORDER BY id"}
    with app.extensions["opendata"]["sessionmaker"]() as s:
        return {kind: [[key, *map(_json, values)] for key, *values in s.execute(text(sql)).all()]
                for kind, sql in queries.items()}


def test_pii_scrub_says_the_findings_kept_before_by_position(app):
    """An assessment stored before a column whose name is personal data was said by its position (a pre-2026-12-07
    install's row: the findings name the column in their evidence and English message), and a draft's check kept
    then: `opendata pii scrub` rewrites their findings as the rules write them now, by the column's position in the
    copy they were made of, counts them with --dry-run (and changes nothing), is audited once a run, and a second run
    changes nothing."""
    import datetime as dt

    from catalog_schema.models import AuditEvent
    from tests.support.personal import HEADERLESS_CSV, kept_before

    ids = publish_uploads(app, OWN, "agency-at-rest", "at-rest", "At rest", {"clean.csv": DOOR_TABLE},
                          added={"headerless.csv": HEADERLESS_CSV})
    published = ids["headerless.csv"]
    drafted = _draft(app, "at-rest-draft", {"headerless.csv": HEADERLESS_CSV})["headerless.csv"]
    editor = app.test_client()
    assert sign_in(editor, OWN).status_code == 302
    assert editor.get("/publish/at-rest-draft").status_code == 200  # the draft's check, kept with it
    factory = app.extensions["opendata"]["sessionmaker"]
    assert [leaked(json.dumps(rows, ensure_ascii=False)) for rows in _findings_at_rest(app).values()] == [[], []]

    def said_now(findings: list[dict], dist: str) -> list[dict]:
        """What the rules say now of the headerless file, of the kinds they said before (the name of a column that
        is personal data is now a finding of its own, `header_row`, which they did not make)."""
        kinds = {f["type"] for f in kept_before(dist)}
        return [f for f in findings if f.get("distribution") == dist and f["type"] in kinds
                and not f["evidence"].get("header_row")]

    def old(findings: list[dict], dist: str) -> list[dict]:
        return [f for f in findings if f.get("distribution") != dist] + kept_before(dist)

    with factory() as s:  # written as a pre-2026-12-07 install kept them
        ds = s.scalar(select(Dataset).where(Dataset.slug == "at-rest"))
        latest = s.scalars(select(Assessment).where(Assessment.dataset_id == ds.id)
                           .order_by(Assessment.assessed_at.desc())).first()
        now = said_now(latest.findings, published)
        assert len(now) == 6 and leaked(json.dumps(now, ensure_ascii=False)) == []
        s.add(Assessment(dataset_id=ds.id, assessed_at=latest.assessed_at - dt.timedelta(days=7),
                         rule_version=latest.rule_version, stars=latest.stars, score=latest.score,
                         metadata_points=latest.metadata_points, metadata_rating=latest.metadata_rating,
                         subscores=latest.subscores, data=latest.data, distributions=latest.distributions,
                         findings=old(latest.findings, published)))
        draft = s.scalar(select(Dataset).where(Dataset.slug == "at-rest-draft"))
        check = json.loads(json.dumps(draft.prepublication_check))
        result = check["result"]
        draft_now = said_now(result["findings"], drafted)
        assert said_now(result["assessment"]["findings"], drafted) == draft_now
        assert [{**f, "distribution": None} for f in draft_now] == [{**f, "distribution": None} for f in now]
        result["findings"] = result["assessment"]["findings"] = old(result["findings"], drafted)
        result["pii"] = [f for f in result["findings"] if f["type"].startswith("pii-")]
        draft.prepublication_check = check
        s.commit()
    before = _findings_at_rest(app)
    assert [bool(leaked(json.dumps(rows, ensure_ascii=False))) for rows in before.values()] == [True, True]

    def runs() -> list:
        with factory() as s:
            return [e.detail for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "pii.scrub"))]

    # six findings each: the 3 pii columns, type-error's column twice (listed and counted), missing-cells' one, and
    # the repeated name's 2 columns; in the assessment and in the check (its three lists the same findings)
    found = {"version_changes": 0, "version_pii": 0, "assessments": 1, "checks": 1, "dictionary_edits": 0,
             "by_position": 16, "redacted": 0}
    assert _cli(app, "pii", "scrub", "--dry-run") == {"dry_run": True, **found}
    assert _findings_at_rest(app) == before and runs() == []

    assert _cli(app, "pii", "scrub") == {"dry_run": False, **found}
    after = _findings_at_rest(app)
    assert [leaked(json.dumps(rows, ensure_ascii=False)) for rows in after.values()] == [[], []]
    assert runs() == [{"via": "cli", **found}]
    with factory() as s:  # as the rules write them now: the same findings the latest assessment holds
        rows = s.scalars(select(Assessment).where(Assessment.dataset_id == ds.id).order_by(Assessment.assessed_at))
        kept, *_, latest = (list(a.findings) for a in rows)
        assert said_now(kept, published) == said_now(latest, published) == now
        assert [f for f in kept if f["distribution"] != published] == \
            [f for f in latest if f["distribution"] != published]
        result = s.get(Dataset, draft.id).prepublication_check["result"]
        assert said_now(result["findings"], drafted) == said_now(result["assessment"]["findings"], drafted) == \
            draft_now
        assert result["pii"] == [f for f in result["findings"] if f["type"].startswith("pii-")]

    # a second run finds nothing left to rewrite, and rewrites nothing
    assert _cli(app, "pii", "scrub") == {"dry_run": False, **{kind: 0 for kind in found}}
    assert _findings_at_rest(app) == after and len(runs()) == 2

    # one made of a copy no longer known (its file pruned with its version): such a name [redacted], as shown before
    with factory() as s:
        first = s.scalars(select(Assessment).where(Assessment.dataset_id == ds.id)
                          .order_by(Assessment.assessed_at)).first()
        gone = [{**d, "sha256": "0" * 64} if d["id"] == published else d for d in first.distributions]
        s.add(Assessment(dataset_id=ds.id, assessed_at=first.assessed_at - dt.timedelta(days=7),
                         rule_version=first.rule_version, stars=first.stars, score=first.score,
                         metadata_points=first.metadata_points, metadata_rating=first.metadata_rating,
                         subscores=first.subscores, data=first.data, distributions=gone,
                         findings=old(first.findings, published)))
        s.commit()
    assert _cli(app, "pii", "scrub") == {"dry_run": False, **{kind: 0 for kind in found}, "assessments": 1,
                                         "redacted": 7}
    assert [leaked(json.dumps(rows, ensure_ascii=False)) for rows in _findings_at_rest(app).values()] == [[], []]
    with factory() as s:
        oldest = s.scalars(select(Assessment).where(Assessment.dataset_id == ds.id)
                           .order_by(Assessment.assessed_at)).first()
        pii_found = [f for f in oldest.findings if f["distribution"] == published and f["type"].startswith("pii-")]
        assert [(f["evidence"], f["message"]) for f in pii_found][:1] == [
            ({"column": "[redacted]", "count": 159}, "Column [redacted] holds 159 mobile phone numbers.")]


# --------------------------------------------------------------------------- the facts of copies no longer current


def test_prune_removes_the_facts_kept_of_copies_no_distribution_has_now(app):
    """What reading an archived copy found is kept beside the archive (quality.facts_cache) and read by the next
    assessment of that copy; once a distribution has another copy, what was kept of the one before is never read
    again. Kept by an older engine, it may hold the column names of a headerless file (a citizen's ID number): that
    is deleted only when the copy is read again, which an older version never is. `opendata prune` removes the
    documents of every copy no distribution has now, and a CSV scan kept under another engine's key, counts them with
    --dry-run (removing nothing), keeps those of the current copies, and removes nothing the second time."""
    ids = publish_uploads(app, OWN, "agency-at-rest", "at-rest", "At rest", {"clean.csv": DOOR_TABLE},
                          added={"first-row.csv": FIRST_ROW})
    factory = app.extensions["opendata"]["sessionmaker"]

    def copies() -> dict[str, str]:
        with factory() as s:
            return {name: s.get(Distribution, dist_id).archive_hash for name, dist_id in ids.items()}

    def documents() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in (archive / facts_cache.FOLDER).rglob("*.json")}

    before = copies()
    with factory() as s:
        archive = Path(s.get(Distribution, ids["clean.csv"]).archive_path).parent.parent
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        with factory() as s:
            from app.services import distributions
            from app.services.context import Actor
            from catalog_schema.models import User

            actor = Actor(s, s.scalar(select(User).where(User.email == OWN)), "test", runtime=runtime, lang="en")
            ds = s.scalar(select(Dataset).where(Dataset.slug == "at-rest"))
            for name, body in (("clean.csv", DOOR_TABLE + b"north,3\r\n"), ("first-row.csv", NEXT_ROW)):
                distributions.replace(actor, ds, ids[name], stream=io.BytesIO(body), filename=name)
                s.commit()
    finally:
        runtime.close()
    now = copies()
    assert set(now.values()).isdisjoint(before.values())
    # what an older engine kept of the headerless copy before (its profile, whose header is the first row), which the
    # engine now deletes when it reads that copy: no assessment reads it any more
    assert facts_cache.save(archive, before["first-row.csv"], "older-engine",
                            {"profile": {"header": [IDS[0], PHONES[0]]}})
    older_scan = f"{now['clean.csv']}.scan-0123456789abcdef.json"  # a scan an older engine kept of the current copy
    assert facts_cache.save(archive, now["clean.csv"], "scan-0123456789abcdef", {"layouts": []})

    kept = documents()
    unread = {p for p in kept if p.name.split(".")[0] in before.values() or p.name == older_scan}
    assert {p.name.split(".")[0] for p in unread} == {*before.values(), now["clean.csv"]}
    assert [p.name.split(".")[0] for p in kept if p not in unread] == [now["clean.csv"]] * 2  # its facts, its scan
    assert leaked(b"".join(kept.values()).decode("utf-8"))

    dry = _cli(app, "prune", "--dry-run")
    assert dry["facts"] == {"files": len(unread), "bytes": sum(len(kept[p]) for p in unread)}
    assert documents() == kept

    assert _cli(app, "prune")["facts"] == dry["facts"]
    assert documents() == {p: body for p, body in kept.items() if p not in unread}
    assert leaked(b"".join(documents().values()).decode("utf-8")) == []
    assert _cli(app, "prune")["facts"] == {"files": 0, "bytes": 0}

    # the current copies' facts are what their next assessment reads: it reads them, and writes none anew
    runtime = Runtime(factory, app.config["OPENDATA"])
    try:
        runtime.assess([ds.id])
    finally:
        runtime.close()
    assert documents() == {p: body for p, body in kept.items() if p not in unread}
