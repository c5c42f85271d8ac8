"""Run an `opendata` command inside the test process, as a user would type it.

A command started as a subprocess costs about a second of interpreter start and imports before it does
anything, and the suite types a hundred commands; click's runner calls the same `main` group with the
same arguments, environment, working folder and standard input, and hands back what it printed and its
exit status, shaped like `subprocess.CompletedProcess` so a test reads the same either way.

What a runner cannot show stays a subprocess where it is tested: the JSON log lines of a real process
(tests/app/test_logs.py), workers and servers (Popen), signals.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def opendata(*args: str, env: Mapping[str, str] | None = None, input: str | None = None,
             cwd: str | os.PathLike | None = None) -> Ran:
    """`opendata *args` with `env` as the whole environment (as subprocess.run takes it; None: this
    process's own), `input` on standard input, in `cwd` (default: the repository)."""
    from click.testing import CliRunner

    from app.cli import main

    overrides: dict[str, str | None] = {}
    if env is not None:
        overrides = {key: None for key in os.environ if key not in env}
        overrides.update(env)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    here = os.getcwd()
    try:
        os.chdir(cwd or ROOT)
        result = CliRunner().invoke(main, list(args), env=overrides, input=input, catch_exceptions=True)
    finally:
        os.chdir(here)
        root.handlers[:] = handlers  # the command configured logging on a stream the runner has closed
        root.setLevel(level)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return Ran(list(args), result.exit_code, result.stdout, stderr)


#: The catalog export's formats (`opendata export catalog --format`).
EXPORT_FORMATS = ("json", "datajson", "ttl", "csv", "xml", "rdf")


def catalog_exports(app_config: Mapping[str, str]) -> dict[str, Ran]:
    """`opendata export catalog --format F` of the catalog an app's config names (its database, instance folder and
    archive), for each of EXPORT_FORMATS, with no other OPENDATA_ setting of this process's environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENDATA_")}
    env.update({"OPENDATA_DATABASE_URL": app_config["DATABASE_URL"],
                "OPENDATA_INSTANCE_DIR": app_config["INSTANCE_DIR"], "OPENDATA_ARCHIVE_DIR": app_config["ARCHIVE_DIR"]})
    return {fmt: opendata("export", "catalog", "--format", fmt, env=env) for fmt in EXPORT_FORMATS}
