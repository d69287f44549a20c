"""``GET /api/openapi.json``: the API's OpenAPI description, from ``docs/openapi.yaml``."""

import json

import yaml
from klein import Klein
from twisted.web.server import Request

from iclicker.web.http import add_route
from iclicker.web.templating import resource_dir


def load_description() -> dict:
    """The OpenAPI document shipped with the package (or beside the checkout)."""
    with open(resource_dir("docs") / "openapi.yaml", encoding="utf-8") as source:
        return yaml.safe_load(source)


class ApiDescription:
    """Serves the OpenAPI document, encoded once at start-up."""

    def __init__(self, description: dict) -> None:
        self._body = json.dumps(description, separators=(",", ":")).encode("utf-8")

    def install(self, app: Klein) -> None:
        add_route(app, "/api/openapi.json", self.document, ["GET"])

    def document(self, request: Request) -> bytes:
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"cache-control", b"public, max-age=3600")
        return self._body
