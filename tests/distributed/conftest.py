"""Real processes for the distributed tests: PostgreSQL databases, private PostgreSQL and Redis servers
(so that restarting one never disturbs the shared services other tests use), Celery workers and gunicorn."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from app.jobs import Runtime
from app.settings import load as load_settings
from catalog_schema import db as dbmod
from catalog_schema.models import Dataset, HarvestSource
from catalog_schema.record import content_hash
from catalog_schema.store import ensure_publisher, to_record
from tests.support import services
from tests.support.ckan_server import ckan_packages, real_packages, serve_files  # noqa: F401 (re-exported to the tests here)

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, poll: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# --- catalog contents ------------------------------------------------------------------------------


def snapshot(rt: Runtime) -> dict[str, tuple]:
    """Per remote record: the content hash of its catalog record, its state, stars and score."""
    with rt.sessionmaker() as session:
        rows = session.scalars(select(Dataset).options(selectinload(Dataset.distributions),
                                                       selectinload(Dataset.publisher))).all()
        return {ds.remote_id: (content_hash(to_record(ds)), ds.state, ds.stars, ds.score) for ds in rows}


def add_source(rt: Runtime, name: str, url: str, publisher: str = "birmingham", type_: str = "ckan") -> str:
    with rt.sessionmaker() as session:
        pub = ensure_publisher(session, {"slug": publisher, "name": {"": publisher}})
        session.add(HarvestSource(name=name, type=type_, url=url, publisher=pub, config={}))
        session.commit()
    return name


def reference_snapshot(db_url: str, archive_dir: str, url: str, name: str = "big", *,
                       assessed: bool = False) -> dict[str, tuple]:
    """The catalog one process makes of the CKAN source at `url` (`snapshot`): what a distributed run must equal."""
    from app.jobs import assess, harvest

    ref = runtime_for(db_url, archive_dir)
    try:
        add_source(ref, name, url)
        assert harvest(ref, name).status == "finished"
        if assessed:
            with ref.sessionmaker() as session:
                ids = sorted(session.scalars(select(Dataset.id)))
            assess(ref, ids)
        return snapshot(ref)
    finally:
        ref.close()


def runtime_for(db_url: str, archive_dir: str, **extra) -> Runtime:
    values = load_settings({})
    values.update({"DATABASE_URL": db_url, "ALLOW_HOSTS": ["127.0.0.1"], "HTTP_TIMEOUT": 10.0, "HTTP_RETRIES": 1,
                   "ASSESS_AFTER_HARVEST": False, "INSTANCE_DIR": str(Path(archive_dir).parent),
                   "ARCHIVE_DIR": archive_dir, "BROKER_URL": None, "RESULT_BACKEND": None, **extra})
    return Runtime(values)


def process_env(db_url: str, archive_dir: str, broker: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": db_url, "OPENDATA_ALLOW_HOSTS": "127.0.0.1",
                "OPENDATA_ASSESS_AFTER_HARVEST": "0", "OPENDATA_HTTP_TIMEOUT": "10", "OPENDATA_HTTP_RETRIES": "1",
                "OPENDATA_ARCHIVE_DIR": archive_dir, "OPENDATA_INSTANCE_DIR": str(Path(archive_dir).parent),
                "OPENDATA_LOG_LEVEL": "INFO", **extra})
    if broker:
        env["OPENDATA_BROKER_URL"] = broker
    return env


# --- processes -------------------------------------------------------------------------------------


class Proc:
    """A child process in a session of its own (so SIGKILL takes its whole tree), logging to a file."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path):
        self.log = log
        self._fh = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._fh, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def text(self) -> str:
        return self.log.read_text("utf-8", "replace")

    def kill(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=20)

    def stop(self) -> None:
        """End the process and its children at once. The test is over: nothing a warm shutdown does is
        checked any more, and a worker would first finish the task it holds (seconds)."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)  # the group: pool children and gunicorn workers too
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=20)
        self._fh.close()


SERVICES = ("pg_databases", "private_postgres", "private_redis")


@pytest.fixture
def procs(request):
    """Start processes; all are stopped at the end of the test, before the servers they use go away (the
    databases are dropped with no worker left to reconnect)."""
    for name in SERVICES:  # set up first, so torn down last, whatever order the test names them in
        if name in request.fixturenames:
            request.getfixturevalue(name)
    started: list[Proc] = []

    def start(argv, env, log) -> Proc:
        proc = Proc(argv, env, log)
        started.append(proc)
        return proc

    yield start
    for proc in reversed(started):
        proc.stop()


def start_workers(procs, env: dict[str, str], names: list[str], log_dir: Path, concurrency: int = 1) -> list[Proc]:
    """Start a worker per name, all at once, and wait until every one is ready."""
    started = [procs([sys.executable, "-m", "app.cli", "worker", "--concurrency", str(concurrency), "--name", name],
                     env, log_dir / f"{name}.log") for name in names]
    for name, proc in zip(names, started, strict=True):
        wait_for(lambda p=proc: "ready." in p.text() or p.popen.poll() is not None, 60, f"worker {name} to start")
        assert proc.popen.poll() is None, proc.text()[-3000:]
    return started


def start_worker(procs, env: dict[str, str], name: str, log_dir: Path, concurrency: int = 1) -> Proc:
    return start_workers(procs, env, [name], log_dir, concurrency)[0]


def tasks_done(proc: Proc, task: str) -> int:
    """How many tasks of this name the worker ran to success (its log says so)."""
    return sum(1 for line in proc.text().splitlines() if f"Task {task}[" in line and " succeeded in " in line)


# --- services --------------------------------------------------------------------------------------


def _pg_databases():
    if not services.port_open("127.0.0.1", 5432):
        services.missing("PostgreSQL on 127.0.0.1:5432")
    admin_url = services.postgres_url()
    admin = dbmod.make_engine(admin_url, isolation_level="AUTOCOMMIT")
    names: list[str] = []

    def make() -> str:
        name = f"opendata_dist_{os.getpid()}_{len(names)}_{uuid.uuid4().hex[:6]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            services.fast_commits(conn, name)
        names.append(name)
        url = admin_url.rsplit("/", 1)[0] + "/" + name
        dbmod.upgrade(url)
        return url

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_databases():
    """Make fresh, migrated databases on the machine's PostgreSQL; dropped afterwards."""
    yield from _pg_databases()


class PrivateRedis:
    """A redis-server of our own on a free port, without persistence: a restart empties it."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            services.missing("redis-server (the Redis binary)")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--daemonize", "no", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: services.port_open("127.0.0.1", self.port, 0.2), 20, "redis-server to listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temporary folder, a free port) that a test may restart."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            services.missing("PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
        self.bin = Path(bins[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="opendata-pg-"))
        self.data = self.dir / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
            runuser = shutil.which("runuser")
            if runuser is None:
                services.missing("runuser (to run a private PostgreSQL as the postgres user)")
            self.as_user = [runuser, "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                   "-E", "UTF8"])

    def _run(self, argv: list[str]) -> None:
        out = subprocess.run(self.as_user + argv, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr

    def _ctl(self, *args: str) -> None:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "60",
                   *args])

    def start(self) -> None:
        self._ctl("-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                        f"-c max_connections=100", "start")

    def restart(self) -> None:
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("-m", "immediate", "stop")

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        admin = dbmod.make_engine(self.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        dbmod.upgrade(self.url(name))
        return self.url(name)


@pytest.fixture
def private_postgres():
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.dir, ignore_errors=True)


class Cluster:
    """Two `opendata worker` processes on a private Redis and a PostgreSQL database of their own (`dist`,
    harvested through the broker), beside a second database harvested in this process (`ref`)."""

    def __init__(self, ref: Runtime, dist: Runtime, workers: list[Proc]):
        self.ref, self.dist, self.workers = ref, dist, workers


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """A Cluster shared by a module's tests (the workers start once): each test uses sources of its own."""
    if shutil.which("redis-server") is None:
        services.missing("redis-server (the Redis binary)")
    tmp = tmp_path_factory.mktemp("two-workers")
    databases = _pg_databases()
    make_db = next(databases)
    redis_server = PrivateRedis(tmp)
    started: list[Proc] = []
    runtimes: list[Runtime] = []
    try:
        redis_server.start()
        broker = redis_server.url()
        ref_url, dist_url, archive = make_db(), make_db(), str(tmp / "archive")
        env = process_env(dist_url, archive, broker)
        for name in ("w1", "w2"):
            proc = Proc([sys.executable, "-m", "app.cli", "worker", "--concurrency", "1", "--name", name], env,
                        tmp / f"{name}.log")
            started.append(proc)
            wait_for(lambda p=proc: "ready." in p.text() or p.popen.poll() is not None, 60, f"worker {name} to start")
            assert proc.popen.poll() is None, proc.text()[-3000:]
        runtimes = [runtime_for(ref_url, archive), runtime_for(dist_url, archive, BROKER_URL=broker)]
        yield Cluster(runtimes[0], runtimes[1], started)
    finally:
        for rt in runtimes:
            rt.close()
        for proc in reversed(started):
            proc.stop()
        redis_server.stop()
        databases.close()  # drops the databases
