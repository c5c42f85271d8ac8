"""OpenAPI 3.1 generated from the code: every endpoint is declared once, beside its view.

Why a registry of our own rather than hand-written YAML: a description kept apart
from the code drifts from it. Here `Registry.endpoint(...)` both adds the Flask
route and records its path, method, parameters and response schema; the same
declared parameters then validate the request (`parse_args`), so what the
document promises is what the view enforces. `build_document` turns the registry
into the OpenAPI document and the docs page reads the same registry.

OpenAPI 3.1 is chosen because its schema objects are plain JSON Schema 2020-12:
the tests validate real responses against the published schemas with jsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint

from app.api.errors import ApiError
from app.texts import T_

OPENAPI_VERSION = "3.1.0"
_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")  # ASCII digits only (int() also takes '1_0' and Arabic-Indic)
_PATH_TYPES = {"int": "integer", "float": "number"}


@dataclass(frozen=True)
class Param:
    """A declared query (or path) parameter. `array`: repeatable (?format=CSV&format=JSON)."""

    name: str
    type: str = "string"
    description: str = ""
    location: str = "query"
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[str, ...] | None = None
    array: bool = False
    default: Any = None
    max_length: int | None = None
    pattern: str | None = None  # what the server takes, as an ECMA 262 regular expression

    def schema(self) -> dict[str, Any]:
        one: dict[str, Any] = {"type": self.type}
        if self.minimum is not None:
            one["minimum"] = self.minimum
        if self.maximum is not None:
            one["maximum"] = self.maximum
        if self.enum:
            one["enum"] = list(self.enum)
        if self.max_length is not None:
            one["maxLength"] = self.max_length
        if self.pattern is not None:
            one["pattern"] = self.pattern
        if self.array:
            return {"type": "array", "items": one}
        if self.default is not None:
            one["default"] = self.default
        return one

    def to_openapi(self, description: str | None = None) -> dict[str, Any]:
        description = self.description if description is None else description
        out = {"name": self.name, "in": self.location, "required": self.location == "path",
               "description": description, "schema": self.schema()}
        if self.array:
            out["style"], out["explode"] = "form", True
        return out

    def parse(self, raw: list[str]) -> Any:
        """The typed value of this parameter from its raw strings; ApiError(400) when it does not fit."""
        values = [self._one(v) for v in raw]
        if self.array:
            return values
        return values[-1] if values else self.default

    def _one(self, text: str) -> Any:
        if self.type == "integer":
            if not _INTEGER.fullmatch(text.strip()):
                raise ApiError(400, "bad-request", T_("Parameter '%(name)s' must be an integer, not %(show)s.",
                                                      name=self.name, show=_show(text)))
            value: Any = int(text.strip())
            if self.minimum is not None and value < self.minimum:
                raise ApiError(400, "bad-request", T_("Parameter '%(name)s' must be at least %(minimum)s.",
                                                      name=self.name, minimum=self.minimum))
            if self.maximum is not None and value > self.maximum:
                raise ApiError(400, "bad-request", T_("Parameter '%(name)s' must be at most %(maximum)s.",
                                                      name=self.name, maximum=self.maximum))
            return value
        if self.enum and text not in self.enum:
            raise ApiError(400, "bad-request",
                           T_("Parameter '%(name)s' must be one of %(join)s; got %(show)s.",
                              name=self.name, join=', '.join(self.enum), show=_show(text)))
        if self.max_length is not None and len(text) > self.max_length:
            raise ApiError(400, "bad-request", T_("Parameter '%(name)s' is longer than %(max_length)s characters.",
                                                  name=self.name, max_length=self.max_length))
        return text


def _show(text: str) -> str:
    """A user's value quoted for an error message, cut short (messages must stay small)."""
    return repr(text[:40] + ("..." if len(text) > 40 else ""))


@dataclass
class Endpoint:
    path: str  # Flask rule, e.g. /api/v1/datasets/<slug>
    method: str
    view: Callable
    summary: str
    description: str
    params: tuple[Param, ...]
    response: str  # name of a component schema
    errors: tuple[int, ...]
    tag: str
    cache: str | None
    media_type: str = "application/json"
    hidden: bool = False
    body: dict[str, str] | None = None  # request body: media type -> component schema name
    status: int = 200  # the success status (201 for a creation)
    auth: bool | str = False  # True: needs `Authorization: <API token>`; "optional": a token shows its user more

    @property
    def openapi_path(self) -> str:
        return _CONVERTER.sub(lambda m: "{" + m.group("name") + "}", self.path)

    @property
    def operation_id(self) -> str:
        return self.view.__name__

    def path_params(self) -> list[Param]:
        out = []
        for m in _CONVERTER.finditer(self.path):
            declared = next((p for p in self.params if p.name == m.group("name")), None)
            out.append(declared or Param(m.group("name"), _PATH_TYPES.get(m.group("conv") or "", "string"),
                                         location="path"))
        return out

    def query_params(self) -> list[Param]:
        return [p for p in self.params if p.location == "query"]

    def header_params(self) -> list[Param]:
        return [p for p in self.params if p.location == "header"]


@dataclass
class Registry:
    """The endpoints of one blueprint and the component schemas their responses use."""

    blueprint: Blueprint
    prefix: str
    title: str
    version: str
    description: str = ""
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    endpoints: list[Endpoint] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    # Numbers the texts name as %(name)s: the texts are message ids (app.i18n.N_) the docs page translates,
    # so they cannot be f-strings; `text` fills them in for the English document.
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, message: str) -> str:
        """`message` (a summary or description) with the registry's values filled in."""
        return message % self.values if "%(" in message else message

    def endpoint(self, rule: str, *, summary: str, response: str, description: str = "",
                 params: tuple[Param, ...] = (), errors: tuple[int, ...] = (), tag: str = "",
                 cache: str | None = None, media_type: str = "application/json", hidden: bool = False,
                 methods: tuple[str, ...] = ("GET",), body: dict[str, str] | None = None, status: int = 200,
                 auth: bool | str = False) -> Callable:
        """Route `rule` (relative to the prefix) on the blueprint and record it for the document."""
        def decorate(view: Callable) -> Callable:
            self.blueprint.add_url_rule(self.prefix + rule, view.__name__, view, methods=list(methods))
            for method in methods:
                self.endpoints.append(Endpoint(self.prefix + rule, method, view, summary, description, tuple(params),
                                               response, tuple(errors), tag, cache, media_type, hidden, body,
                                               status, auth))
            return view
        return decorate

    def find(self, view_name: str) -> Endpoint:
        return next(e for e in self.endpoints if e.view.__name__ == view_name)

    def documented(self) -> list[Endpoint]:
        return [e for e in self.endpoints if not e.hidden]


def parse_args(endpoint: Endpoint, args: Mapping) -> dict[str, Any]:
    """Typed query parameters of a request, validated against the endpoint's declaration.

    Unknown parameters are ignored (clients add cache busters); a NUL byte anywhere is refused
    because no database column can hold it.
    """
    out: dict[str, Any] = {}
    for p in endpoint.query_params():
        raw = args.getlist(p.name) if hasattr(args, "getlist") else ([args[p.name]] if p.name in args else [])
        for v in raw:
            if "\x00" in v:
                raise ApiError(400, "bad-request", T_("Parameter '%(name)s' contains a NUL character.", name=p.name))
        out[p.name] = p.parse(raw)
    return out


STATUS_TEXT = {200: "OK", 201: "Created", 304: "Not modified (the ETag given in If-None-Match still matches)",
               412: "Precondition failed (the version given in If-Match is not the present one)",
               400: "Bad request: a parameter is malformed or out of range", 404: "Not found",
               401: "No valid API token in the Authorization header",
               403: "The token's user may not do this (another publisher's dataset, a harvested dataset)",
               409: "Conflict with the dataset's state (taken name, already published, personal data not overridden)",
               413: "The uploaded file or the request is larger than the upload limit",
               422: "A field has a value the catalog cannot take",
               410: "Gone: the dataset was withdrawn; the error's `tombstone` says when, why and what replaces it",
               429: "Too many requests from this address (OPENDATA_API_RATE_LIMIT); Retry-After says when to retry",
               451: "Withheld: personal data was found in the file (RFC 7725); the error says which kinds in which "
                    "columns, and whom to contact"}
#: `auth=OPTIONAL`: an endpoint anyone may call, whose answer a token's user may see more of (a draft, to its editors).
OPTIONAL = "optional"
TOKEN_SCHEME = {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "An API token (`opendata token create EMAIL`), as CKAN clients send it"}


def build_document(registry: Registry, server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every documented endpoint of `registry`."""
    paths: dict[str, dict[str, Any]] = {}
    for e in registry.documented():
        responses: dict[str, Any] = {
            str(e.status): {"description": STATUS_TEXT[e.status],
                    "content": {e.media_type: {"schema": {"$ref": f"#/components/schemas/{e.response}"}}}},
        }
        if e.cache:
            responses[str(e.status)]["headers"] = {
                "ETag": {"description": "Weak validator of the representation", "schema": {"type": "string"}},
                "Cache-Control": {"description": "Caching policy", "schema": {"type": "string"}},
            }
            responses["304"] = {"description": STATUS_TEXT[304]}
        # 429: every endpoint answers it past the rate limit (schemathesis met it where no operation declared it)
        statuses = (set(e.errors) | ({400} if e.query_params() or e.body else set())
                    | ({401} if e.auth is True else set()) | {429})
        for status in sorted(statuses):
            responses[str(status)] = {"description": STATUS_TEXT.get(status, "Error"),
                                      "content": {"application/json": {
                                          "schema": {"$ref": "#/components/schemas/"
                                                             + ("Withheld" if status == 451 else "Error")}}}}
        params = [p.to_openapi(registry.text(p.description))
                  for p in e.path_params() + e.query_params() + e.header_params()]
        if e.cache:
            params.append({"name": "If-None-Match", "in": "header", "required": False,
                           "description": "An ETag from an earlier response: 304 when unchanged",
                           "schema": {"type": "string"}})
        op: dict[str, Any] = {"operationId": e.operation_id, "summary": registry.text(e.summary),
                              "responses": responses}
        if e.description:
            op["description"] = registry.text(e.description)
        if e.tag:
            op["tags"] = [e.tag]
        if params:
            op["parameters"] = params
        if e.body:
            op["requestBody"] = {"required": True, "content": {
                mt: {"schema": {"$ref": f"#/components/schemas/{name}"}} for mt, name in e.body.items()}}
        if e.auth == OPTIONAL:
            op["security"] = [{}, {"token": []}]  # anonymous, or with a token (its user sees more)
        elif e.auth:
            op["security"] = [{"token": []}]
        paths.setdefault(e.openapi_path.removeprefix(registry.prefix) or "/", {})[e.method.lower()] = op
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": registry.title, "version": registry.version,
                 "description": registry.text(registry.description)},
        "servers": [{"url": server_url}],
        "tags": [{"name": name, "description": text} for name, text in registry.tags.items()],
        "paths": paths,
        "components": {"schemas": registry.schemas, "securitySchemes": {"token": TOKEN_SCHEME}},
    }
