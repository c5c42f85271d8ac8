"""A body checked against a schema of the REST API's own OpenAPI document (/api/v1/openapi.json)."""

from __future__ import annotations

import json

import jsonschema


def validate_against(openapi: dict, name: str, body) -> None:
    """Raise jsonschema's ValidationError unless `body` is a `name` (components/schemas) of `openapi`."""
    defs = json.loads(json.dumps(openapi["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/"))
    jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": defs}).validate(body)
