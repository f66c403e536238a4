"""Fixtures for the backbone tests: an ERP partner that owns items, and its API client."""

import pytest
from rest_framework.test import APIClient

from integrations.services import ownership_set
from tests.factories import ExternalSystemFactory, PlantFactory, UnitFactory


def envelope(message_id="msg-1", source="ERP-EU", **data):
    item = {
        "code": "BRK-1001",
        "description": "Brake caliper",
        "base_uom": "EA",
        "item_type": "buy",
    }
    return {
        "type": "item.upserted",
        "version": 1,
        "id": message_id,
        "source": source,
        "occurred_at": "2026-05-13T10:00:00+00:00",
        "correlation_id": "4b6c0e52-0d0c-4c43-9d3e-5c1b2f6a7e11",
        "data": item | data,
    }


@pytest.fixture
def erp():
    UnitFactory(code="EA")
    PlantFactory(code="P100")
    system = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="item", system=system)
    return system


class CommittingClient(APIClient):
    """An API client whose requests end as a real commit would: queued tasks run (eagerly)."""

    capture = None

    def generic(self, *args, **kwargs):
        with self.capture(execute=True):
            return super().generic(*args, **kwargs)


@pytest.fixture
def erp_client(erp, partner_key, django_capture_on_commit_callbacks):
    _, raw = partner_key("inbound:write", "messages:read", "messages:replay", system=erp)
    client = CommittingClient()
    client.capture = django_capture_on_commit_callbacks
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client
