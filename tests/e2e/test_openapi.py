"""docs/openapi.yaml is the API: the same routes Klein knows, served at /api/openapi.json."""

import re

import pytest_twisted
from support import User, body_of

from iclicker.web.openapi import load_description

DOCUMENTED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def klein_routes(app) -> set[tuple[str, str]]:
    """(path in OpenAPI form, method) for every API route of the app."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or rule.rule == "/healthz"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        routes |= {(path, method) for method in rule.methods & DOCUMENTED_METHODS}
    return routes


def documented_routes(description: dict) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in description["paths"].items()
        for method in item
        if method.upper() in DOCUMENTED_METHODS
    }


@pytest_twisted.ensureDeferred
async def test_openapi_documents_exactly_the_routes_klein_serves(server):
    """Every API route is documented, and every documented route exists."""
    description = load_description()
    assert description["openapi"].startswith("3.1")
    served = klein_routes(server.service.app)
    assert ("/api/lectures/{lecture_id}", "GET") in served
    assert documented_routes(description) == served


@pytest_twisted.ensureDeferred
async def test_openapi_json_is_served_without_a_session(server):
    """GET /api/openapi.json answers the YAML document as JSON."""
    response = await User(server).get("/api/openapi.json")
    assert response.code == 200
    assert body_of(response) == load_description()


def test_every_documented_operation_names_its_error_responses():
    """Operations that take a body document 400 and 413; user routes document 401."""
    description = load_description()
    for path, item in description["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            codes = set(operation["responses"])
            if "requestBody" in operation and operation["requestBody"].get("required"):
                assert {"400", "413"} <= codes, (path, method)
            if operation.get("security") != []:
                assert "401" in codes, (path, method)
