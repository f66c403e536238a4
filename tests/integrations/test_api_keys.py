from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from integrations.errors import ApplicationError
from integrations.models import ApiKey
from integrations.services import api_key_create, api_key_revoke
from tests.factories import ExternalSystemFactory

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/items/"


def client_with(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_key_is_stored_hashed_and_authenticates():
    system = ExternalSystemFactory(code="ERP-EU")
    key, raw = api_key_create(system=system, scopes=["masterdata:read"])

    assert raw not in key.hashed_key and len(key.hashed_key) == 64
    assert ApiKey.objects.filter(hashed_key=ApiKey.hash(raw)).exists()
    assert client_with(raw).get(ITEMS).status_code == 200


def test_a_revoked_key_is_refused():
    key, raw = api_key_create(system=ExternalSystemFactory(), scopes=["masterdata:read"])
    api_key_revoke(key=key)

    response = client_with(raw).get(ITEMS)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_an_expired_key_is_refused():
    key, raw = api_key_create(
        system=ExternalSystemFactory(),
        scopes=["masterdata:read"],
        expires_at=timezone.now() + timedelta(hours=1),
    )
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client_with(raw).get(ITEMS)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_key_of_a_disabled_system_is_refused():
    system = ExternalSystemFactory(enabled=False)
    _, raw = api_key_create(system=system, scopes=["masterdata:read"])
    assert client_with(raw).get(ITEMS).status_code == 401


def test_a_key_without_the_scope_is_forbidden():
    _, raw = api_key_create(system=ExternalSystemFactory(), scopes=["inbound:write"])

    response = client_with(raw).get(ITEMS)
    assert response.status_code == 403
    assert "masterdata:read" in response.json()["detail"]


def test_a_read_scope_does_not_allow_writes():
    _, raw = api_key_create(system=ExternalSystemFactory(), scopes=["masterdata:read"])

    response = client_with(raw).post(ITEMS, {"code": "X"}, format="json")
    assert response.status_code == 403
    assert "masterdata:write" in response.json()["detail"]


def test_a_key_in_the_query_string_never_authenticates():
    _, raw = api_key_create(system=ExternalSystemFactory(), scopes=["masterdata:read"])
    client = APIClient()
    for name in ("api_key", "key", "token", "access_token"):
        assert client.get(ITEMS, {name: raw}).status_code == 401


def test_unknown_and_malformed_keys_are_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer weft_not-a-real-key")
    assert client.get(ITEMS).status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert client.get(ITEMS).status_code == 401
    assert APIClient().get(ITEMS)["WWW-Authenticate"].startswith("Bearer")


def test_key_creation_refuses_unknown_scopes_and_past_expiry():
    system = ExternalSystemFactory()
    with pytest.raises(ApplicationError, match="Unknown scope 'everything'"):
        api_key_create(system=system, scopes=["everything"])
    with pytest.raises(ApplicationError, match="future"):
        api_key_create(system=system, scopes=["masterdata:read"], expires_at=timezone.now())


def test_create_api_key_command_prints_a_working_key():
    ExternalSystemFactory(code="ERP-EU")
    out = StringIO()

    call_command(
        "create_api_key",
        "ERP-EU",
        "--scope",
        "masterdata:read",
        "--scope",
        "inbound:write",
        stdout=out,
    )

    raw = next(
        line.strip() for line in out.getvalue().splitlines() if line.strip().startswith("weft_")
    )
    assert client_with(raw).get(ITEMS).status_code == 200
    assert ApiKey.objects.get(hashed_key=ApiKey.hash(raw)).scopes == [
        "inbound:write",
        "masterdata:read",
    ]


def test_create_api_key_command_names_an_unknown_system():
    with pytest.raises(CommandError, match="NOPE"):
        call_command("create_api_key", "NOPE", "--scope", "masterdata:read", stdout=StringIO())
