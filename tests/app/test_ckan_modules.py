"""Each module of the CKAN Action API imports on its own, in any order.

`import app.api.ckan_reads` (or ckan_activity, ckan_tokens, ...) in a fresh interpreter, before app.api.ckan_action,
failed on a circular import: the sub-modules took their helpers from ckan_action, which imported them back at its
end to build its registry, and found them half-initialised. The helpers now live in app/api/ckan_core.py and only
ckan_action imports the sub-modules.

One interpreter, to keep it cheap: what the CKAN modules stand on (flask, SQLAlchemy, the services, the catalog) is
loaded once; then before each module every app.api.ckan_* module is forgotten (sys.modules and the app.api package's
attributes), so each is imported as in a fresh interpreter as far as the CKAN modules are concerned. The registry
must come out the same whichever module is imported first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CKAN_MODULES = sorted(p.stem for p in (ROOT / "app" / "api").glob("ckan_*.py")) + ["datastore"]

_PROBE = """
import importlib, json, sys, traceback
import app.api.ckan_action  # what the CKAN modules stand on, loaded once
import app.api

def forget():
    for name in [n for n in sys.modules if n.startswith(("app.api.ckan_", "app.api.datastore"))]:
        del sys.modules[name]
        leaf = name.rsplit(".", 1)[1]
        if name.count(".") == 2 and hasattr(app.api, leaf):
            delattr(app.api, leaf)

out = {}
for name in sys.argv[1:]:
    forget()
    try:
        importlib.import_module("app.api." + name)
        registry = importlib.import_module("app.api.ckan_action")
        out[name] = [sorted(registry.ACTIONS), sorted(registry.WRITES)]
    except Exception:
        out[name] = traceback.format_exc(limit=3)
print(json.dumps(out))
"""


def test_every_ckan_module_imports_first_on_its_own():
    assert {"ckan_action", "ckan_core", "ckan_reads", "ckan_tokens"} <= set(CKAN_MODULES)
    done = subprocess.run([sys.executable, "-c", _PROBE, *CKAN_MODULES], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    results = json.loads(done.stdout.splitlines()[-1])
    failed = {name: r for name, r in results.items() if isinstance(r, str)}
    assert not failed, failed
    registries = {json.dumps(r) for r in results.values()}
    assert len(registries) == 1  # the same actions, whichever module came first
    actions, writes = results["ckan_action"]
    assert {"package_search", "tag_show", "api_token_list", "dcat_catalog_show"} <= set(actions)
    assert {"package_revise", "organization_create", "follow_dataset", "api_token_create"} <= set(writes)
