"""Two edits of one dataset from the same version at once: exactly one is made, the other is refused as stale
(REST 412, the form 409, the service StaleVersion) and nothing of it is written.

The doors compared the version (If-Match, the form's `version`) and then called the service: an edit landing
between the check and the write won, silently. The interleaving is forced, not hoped for: a hook on the engine
holds one thread at its first write of the catalog while the other edit runs, or holds the first edit with the
dataset's row claimed while the second one starts.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import event, select, text

from app.services import datasets
from app.services.context import Actor
from app.services.errors import StaleVersion
from catalog_schema.models import Dataset, User
from tests.support.accounts import csrf_from
from tests.support.publishing import build_world, sign_in

WAIT = 30  # seconds: a test that waits this long has failed


@pytest.fixture
def world(snapshot, app):
    return snapshot.once(lambda: build_world(app.extensions["opendata"]["sessionmaker"]))


def _engine(app):
    return app.extensions["opendata"]["engine"]


CATALOG_WRITE = re.compile(r"^\s*(UPDATE|INSERT INTO|DELETE FROM)\s+\"?(datasets|distributions|dataset_|audit_)",
                           re.IGNORECASE)


class Hold:
    """Holds the thread named `thread` at its first write of a catalog table (`after`: just after that statement
    ran, else just before) until `release()`; `reached` is set when it is held there."""

    def __init__(self, engine, thread: str, *, after: bool = False):
        self.engine, self.thread = engine, thread
        self.reached, self.go = threading.Event(), threading.Event()
        self.hook = "after_cursor_execute" if after else "before_cursor_execute"
        event.listen(engine, self.hook, self._hold)

    def _hold(self, conn, cursor, statement, *args) -> None:
        if threading.current_thread().name != self.thread or self.reached.is_set():
            return
        if CATALOG_WRITE.match(statement):
            self.reached.set()
            assert self.go.wait(WAIT), "never released"

    def release(self) -> None:
        self.go.set()

    def remove(self) -> None:
        self.go.set()
        event.remove(self.engine, self.hook, self._hold)


class Run(threading.Thread):
    """`fn()` in a thread of its own, named `name`: its result or the exception it raised."""

    def __init__(self, name: str, fn):
        super().__init__(name=name, daemon=True)
        self.fn, self.result, self.error = fn, None, None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def outcome(self):
        self.join(WAIT)
        assert not self.is_alive(), f"thread {self.name} still running"
        return self.result, self.error


def _saved(app, slug: str) -> Dataset:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        ds = s.scalar(select(Dataset).where(Dataset.slug == slug))
        s.expunge(ds)
        return ds


def test_two_patches_from_the_same_version_at_once_one_is_made_the_other_gets_412(app, world):
    """B read the dataset and passed the If-Match check, A's PATCH then ran whole, then B wrote: both answered 200
    and B's change was put over A's. Now B's version is checked in B's write: 412, nothing of B's written."""
    token = {"Authorization": world.tokens["editor_a"]}
    url = f"/api/v1/datasets/{world.draft_a}"
    version = datasets.edit_version(_saved(app, world.draft_a))  # what a publish result gives
    hold = Hold(_engine(app), "B")
    try:
        b = Run("B", lambda: app.test_client().patch(url, headers={**token, "If-Match": f'"{version}"'},
                                                     json={"description": "By B.", "license": "CC0-1.0"}))
        b.start()
        assert hold.reached.wait(WAIT), "B never came to its write"
        a = app.test_client().patch(url, headers={"Authorization": world.tokens["admin_a"], "If-Match": version},
                                    json={"description": "By A."})
        assert a.status_code == 200, a.get_json()
        hold.release()
        answer, error = b.outcome()
    finally:
        hold.remove()
    assert error is None, error
    assert answer.status_code == 412, answer.get_json()
    body = answer.get_json()["error"]
    assert body["code"] == "precondition-failed" and a.get_json()["version"] in body["message"]
    assert "changed since the version given in If-Match: nothing was changed" in body["message"]
    ds = _saved(app, world.draft_a)
    assert pick(ds.description) == "By A." and ds.license_id != "CC0-1.0"  # nothing of B's


def test_a_form_saved_while_another_edit_lands_saves_nothing_and_shows_both(app, world):
    """The form's version was compared before the save: an edit landing between the two was overwritten by the
    form's every box. Now the save is refused (409, the conflict page: what was typed kept, the saved values
    shown) and the other edit stays."""
    client = app.test_client()
    sign_in(client, world.emails["editor_a"])
    slug = world.draft_a
    opened = client.get(f"/publish/{slug}?lang=en").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', opened).group(1)
    form = {"title": "Draft of A, by A", "description": "", "license": "", "version": version,
            "csrf_token": csrf_from(opened)}
    hold = Hold(_engine(app), "B")
    try:
        b = Run("B", lambda: client.post(f"/publish/{slug}?lang=en", data=form))
        b.start()
        assert hold.reached.wait(WAIT), "the form's save never came to its write"
        other = app.test_client().patch(f"/api/v1/datasets/{slug}", headers={"Authorization": world.tokens["admin_a"]},
                                        json={"description": "Counted by B.", "license": "CC0-1.0"})
        assert other.status_code == 200, other.get_json()
        hold.release()
        answer, error = b.outcome()
    finally:
        hold.remove()
    assert error is None, error
    assert answer.status_code == 409, answer.status_code
    page = answer.get_data(as_text=True)
    assert 'id="form-conflict"' in page and 'value="Draft of A, by A"' in page
    assert "Saved now: Counted by B." in page and "Saved now: CC0-1.0" in page
    assert other.get_json()["version"] in page  # the new version, for a second save
    ds = _saved(app, slug)
    assert pick(ds.title) == "Draft of A" and pick(ds.description) == "Counted by B." and ds.license_id == "CC0-1.0"


def pick(langmap) -> str:
    return next(iter(v for v in (langmap or {}).values() if v), "")


def _actor(session, world, role: str) -> Actor:
    user = session.scalar(select(User).where(User.email == world.emails[role]))
    return Actor(session, user, "test", lang="en")


def _lock_waiters(session) -> int:
    """PostgreSQL: the backends of this database waiting for a lock."""
    return session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock'"))


def test_an_edit_waits_for_the_one_holding_the_dataset_then_finds_its_version_gone(app, world, db_url):
    """The service itself: A claims the dataset's row (its version checked) and is held there before it commits;
    B, started from the same version, waits for A's lock (PostgreSQL: seen waiting), then is refused
    (StaleVersion with A's version) with nothing of it written."""
    maker = app.extensions["opendata"]["sessionmaker"]
    slug = world.draft_a
    hold = Hold(_engine(app), "A", after=True)
    with maker() as sa, maker() as sb, maker() as watch:
        ds_a = sa.scalar(select(Dataset).where(Dataset.slug == slug))
        version = datasets.edit_version(ds_a)
        try:
            a = Run("A", lambda: datasets.update(_actor(sa, world, "admin_a"), ds_a, {"description": "By A."},
                                                 expected_version=version))
            a.start()
            assert hold.reached.wait(WAIT), "A never claimed the dataset"
            ds_b = sb.scalar(select(Dataset).where(Dataset.slug == slug))
            assert datasets.edit_version(ds_b) == version  # A has not committed: B starts from the same version
            b = Run("B", lambda: datasets.update(_actor(sb, world, "editor_a"), ds_b,
                                                 {"description": "By B.", "license": "CC0-1.0"},
                                                 expected_version=version))
            b.start()
            if db_url.startswith("postgresql"):
                deadline = time.monotonic() + WAIT
                while not _lock_waiters(watch) and time.monotonic() < deadline:
                    time.sleep(0.01)  # polling for B's wait, not guessing it
                assert _lock_waiters(watch) == 1, "B did not wait for A's row lock"
                watch.rollback()
            hold.release()
            made, error_a = a.outcome()
            _none, error_b = b.outcome()
        finally:
            hold.remove()
        assert error_a is None, error_a
        assert isinstance(error_b, StaleVersion), error_b
        assert error_b.status == 412 and error_b.code == "precondition-failed"
        assert error_b.detail["version"] == datasets.edit_version(made) != version
    ds = _saved(app, slug)
    assert pick(ds.description) == "By A." and ds.license_id != "CC0-1.0"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite's snapshots: PostgreSQL has none such
@pytest.mark.parametrize("other", ["same", "another"])
def test_sqlite_a_snapshot_taken_before_another_commit_is_stale_not_an_error(app, world, db_url, other):
    """SQLite in WAL mode: a transaction that read before another connection committed cannot write (SQLITE_BUSY,
    snapshot). The claim is made again in a transaction of its own: stale when the other commit changed this
    dataset, made when it changed another one; never an OperationalError (a 500)."""
    assert db_url.startswith("sqlite")
    maker = app.extensions["opendata"]["sessionmaker"]
    slug = world.draft_a
    with maker() as sa, maker() as sb:
        sb.connection().exec_driver_sql("BEGIN")  # B reads in a transaction: a snapshot
        ds_b = sb.scalar(select(Dataset).where(Dataset.slug == slug))
        version = datasets.edit_version(ds_b)
        target = sa.scalar(select(Dataset).where(Dataset.slug == (slug if other == "same" else world.draft_b)))
        who = "admin_a" if other == "same" else "editor_b"
        datasets.update(_actor(sa, world, who), target, {"description": "By A."})
        if other == "same":
            with pytest.raises(StaleVersion):
                datasets.update(_actor(sb, world, "editor_a"), ds_b, {"license": "CC0-1.0"}, expected_version=version)
        else:
            datasets.update(_actor(sb, world, "editor_a"), ds_b, {"license": "CC0-1.0"}, expected_version=version)
    ds = _saved(app, slug)
    if other == "same":
        assert pick(ds.description) == "By A." and ds.license_id != "CC0-1.0"  # nothing of B's
    else:
        assert ds.license_id == "CC0-1.0"
