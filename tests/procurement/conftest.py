"""Two suppliers with systems of their own, a buyer, and an issued PO waiting for its answer."""

import pytest
from rest_framework.test import APIClient

from tests.factories import PlannerFactory, PlantFactory, SupplierUserFactory
from tests.integrations.conftest import CommittingClient
from tests.procurement.factories import issued_po, supplier_with_system


@pytest.fixture
def acme(db):
    PlantFactory(code="P100")
    return supplier_with_system("S001", "ACME", ack_sla_hours=48)


@pytest.fixture
def baltic(db):
    return supplier_with_system("S002", "BALTIC", ack_sla_hours=24)


@pytest.fixture
def buyer(db):
    return PlannerFactory(username="buyer", groups=["buyers"])


@pytest.fixture
def po(acme):
    return issued_po(acme)


@pytest.fixture
def system_client(partner_key, django_capture_on_commit_callbacks):
    """An API client for a system's key with the procurement scopes; commits run queued tasks."""

    def make(system, *scopes):
        _, raw = partner_key(*(scopes or ("procurement:read", "procurement:write")), system=system)
        client = CommittingClient()
        client.capture = django_capture_on_commit_callbacks
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def session_client(django_capture_on_commit_callbacks):
    """An API client signed in as a person (buyer or portal user)."""

    def make(user):
        client = CommittingClient()
        client.capture = django_capture_on_commit_callbacks
        client.force_login(user)
        return client

    return make


@pytest.fixture
def portal_user(acme):
    return SupplierUserFactory(username="anna", supplier=acme)


@pytest.fixture
def anon():
    return APIClient()
