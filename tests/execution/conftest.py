"""A small shop floor: one bike made from a frame, bolts and paint, and the systems that report it."""

import json
from datetime import date
from decimal import Decimal

import pytest

from integrations.services import api_key_create, ownership_set
from masterdata.models import UnitOfMeasure
from masterdata.services import bom_upsert, conversion_upsert
from tests.factories import ExternalSystemFactory, ItemFactory, PlantFactory, UnitFactory
from tests.integrations.conftest import CommittingClient

INBOUND = "/api/v1/inbound/"


@pytest.fixture
def shop(db):
    """Plants P100 and P200; BIKE (make) = 1 FRAME + 4 BOLT + 0.2 KG PAINT at P100 only."""
    UnitFactory(code="EA")
    UnitFactory(code="KG", name="Kilogram", dimension=UnitOfMeasure.Dimension.MASS)
    UnitFactory(code="G", name="Gram", dimension=UnitOfMeasure.Dimension.MASS)
    UnitFactory(code="BOX", name="Box")
    conversion_upsert(from_uom="KG", to_uom="G", factor=Decimal("1000"))
    p100, p200 = PlantFactory(code="P100"), PlantFactory(code="P200")
    bike = ItemFactory(code="BIKE", item_type="make")
    frame = ItemFactory(code="FRAME", item_type="make")
    bolt = ItemFactory(code="BOLT")
    paint = ItemFactory(code="PAINT", base_uom=UnitFactory(code="KG"))
    ItemFactory(code="SADDLE")
    bom_upsert(
        parent="BIKE",
        plant="P100",
        revision="A",
        components=[
            {"item": "FRAME", "quantity": "1"},
            {"item": "BOLT", "quantity": "4"},
            {"item": "PAINT", "quantity": "0.2", "uom": "KG"},
        ],
    )
    return {"P100": p100, "P200": p200, "BIKE": bike, "FRAME": frame, "BOLT": bolt, "PAINT": paint}


@pytest.fixture
def mes(shop):
    """MES-1 keeps inventory, work orders, production and quality (one system, for brevity)."""
    system = ExternalSystemFactory(code="MES-1", kind="mes")
    for object_type in ("inventory", "work_order", "production", "quality"):
        ownership_set(object_type=object_type, system=system)
    return system


@pytest.fixture
def mes_client(mes, partner_key, django_capture_on_commit_callbacks):
    _, raw = partner_key("inbound:write", "messages:read", system=mes)
    client = CommittingClient()
    client.capture = django_capture_on_commit_callbacks
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.system = mes
    return client


def envelope(message_type: str, data: dict, *, id: str, source: str = "MES-1", **extra) -> dict:
    return {
        "type": message_type,
        "version": 1,
        "id": id,
        "source": source,
        "occurred_at": extra.pop("occurred_at", "2026-05-13T10:00:00+00:00"),
        "data": data,
        **extra,
    }


def send(client, message_type: str, data: dict, *, id: str, **extra) -> dict:
    """Post one envelope and answer the message's final status (applied/rejected) with its reason."""
    response = client.post(
        INBOUND,
        json.dumps(envelope(message_type, data, id=id, **extra)),
        content_type="application/json",
    )
    assert response.status_code in (200, 202, 400), response.json()
    return client.get(response.json()["url"]).json()


def key_for(system, *scopes):
    _, raw = api_key_create(system=system, scopes=list(scopes))
    return raw


def day(text: str) -> date:
    return date.fromisoformat(text)
