# The two set-up commands: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Three xdist workers on two cores: a worker often waits (on a gunicorn, a Celery worker, a browser, a server
# restart), and with two the machine sat a third idle; with three it is busy to the end (measured: 476 s with two,
# 360 s with three, 443 s with four on the same checkout; /proc/stat showed 97% busy with three).
PYTEST_WORKERS ?= 3
# The tests' temporary files (SQLite catalogs, archives, local servers' folders: thousands of files a run) go on
# tmpfs where the machine has one: on a disk mounted with `discard` each file's deletion costs about a
# millisecond, and pytest deletes an old run's folders when the session ends.
# This machine's environment sets PYTHONDONTWRITEBYTECODE: the suite's ~100 subprocesses (the command line, gunicorn,
# Celery workers) would each compile the project's modules again, and pytest would rewrite every test module's
# asserts in both workers on every run. The test run writes the bytecode (git ignores __pycache__).
TEST_TMPDIR ?= $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm || echo $${TMPDIR:-/tmp})

.PHONY: demo test lint bench serve clean browser

# The packages go in with uv (pinned here; pyproject.toml pins the packages themselves): it installs the same
# versions as pip in about 7 s where pip took about 50 s on this machine, which is most of what `make test` spends
# before the first test. Where uv cannot be had, pip does the same install.
UV_VERSION := 0.13.9

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	{ $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) \
	  && $(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'; } \
	|| { echo "uv unavailable: installing with pip"; $(BIN)/python -m pip install --quiet -e '.[test]'; }
	touch $(STAMP)

PORT ?= 5000

demo: $(STAMP)
	$(BIN)/opendata demo --port $(PORT)

serve: $(STAMP)
	$(BIN)/opendata serve

# Debian's chromium for the browser tests (never a browser download of playwright's own). Without its recommended
# packages (a printer dialog's samba and cups, upower, a notification daemon: about 100 packages a headless browser
# never uses) the install takes 9 s instead of 20 s on a fresh machine. fonts-liberation, one of them, is named: the
# stylesheet's fallbacks after its own web fonts (Helvetica, Arial, Times) resolve to it.
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto.*cjk"; } || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fonts-liberation >/dev/null) \
	  || echo "could not install chromium: browser tests will skip (or fail under OPENDATA_REQUIRE_SERVICES=1)"; }

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) browser
	$(BIN)/ruff check .
	PYTHONDONTWRITEBYTECODE= TMPDIR=$(TEST_TMPDIR) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder -p no:cacheprovider --durations=25

# Every benchmark with its default sizes (about 25 min on 2 cores; the load test needs the PostgreSQL
# on 127.0.0.1:5432); writes bench/RESULTS.md. One of them: `.venv/bin/python -m bench load`.
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
