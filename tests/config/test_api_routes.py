"""Every API route refuses anonymous callers; the schema generates without warnings."""

import json
import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def concrete_path(pattern: str) -> str:
    """Turn a route pattern into a path a client can call, with placeholder arguments."""
    path = pattern.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
    path = re.sub(r"\(\?P<format>[^)]*\)", "json", path)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", "1", path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", "1", path)
    path = path.replace("?", "")
    return "/" + path


def api_paths():
    paths = sorted(
        {concrete_path(p) for p, _ in walk(get_resolver().url_patterns) if p.startswith("api/")}
    )
    assert len(paths) > 10, "the URL walk found too few API routes"
    return paths


def test_every_api_route_refuses_anonymous_callers():
    client = APIClient()
    failures = []
    for path in api_paths():
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code not in (401, 403):
                failures.append(f"{method.upper()} {path} → {response.status_code}")
    assert failures == []


def test_anonymous_api_answers_say_how_to_authenticate():
    response = APIClient().get("/api/v1/items/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="weft"'
    assert response.json()["detail"]


def test_openapi_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.json"
    call_command(
        "spectacular",
        "--fail-on-warn",
        "--validate",
        "--format",
        "openapi-json",
        "--file",
        str(target),
    )

    schema = json.loads(target.read_text())
    assert "/api/v1/items/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKeyBearer"]["scheme"] == "bearer"


def test_schema_endpoint_serves_partners(partner_client):
    response = partner_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
