"""Every code a refusal carries is one the REST API's OpenAPI document lists (its Error schema's `code` enum), so a
client generated from the document, or branching on it, meets no code it was not told of.

Found by schemathesis with a token on the write operations: `rate-limited` (429) and `not-draft` (409) were answered
but not listed, and so were `duplicate-file`, `program` and `not-data` (an upload refused) and others the services
raise. The codes are one registry (app/services/errors.py CODES); this test reads every refusal the code raises.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.services import errors

ROOT = Path(__file__).resolve().parents[2]
REFUSALS = {"ServiceError", "Forbidden", "NotFound", "Invalid", "Conflict", "StaleVersion", "UploadRejected"}


def _raised_codes() -> dict[str, str]:
    """code -> where, of every refusal built with a literal `code=` in the application."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name not in REFUSALS:
                continue
            for kw in node.keywords:
                if kw.arg == "code" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    found.setdefault(kw.value.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_refusal_code_is_registered():
    raised = _raised_codes()
    assert len(raised) >= 15, raised  # the reading found the refusals
    assert {code: where for code, where in raised.items() if code not in errors.CODES} == {}
    classes = {cls.code for cls in vars(errors).values()
               if isinstance(cls, type) and issubclass(cls, errors.ServiceError)}
    assert classes <= errors.CODES


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_openapi_document_lists_every_code_the_api_answers(client, openapi):
    listed = set(openapi["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    assert errors.CODES <= listed
    assert "rate-limited" in listed  # the limiter's (app/security.py)
