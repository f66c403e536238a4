"""A small world for forecast and demand tests: plants, items with units, the systems that send."""

import json
from datetime import date
from decimal import Decimal

from integrations.services import ownership_set
from masterdata.models import UnitOfMeasure
from masterdata.services import conversion_upsert
from tests.factories import ExternalSystemFactory, ItemFactory, PlantFactory, UnitFactory
from tests.integrations.conftest import CommittingClient

INBOUND = "/api/v1/inbound/"
MONDAY = date(2026, 6, 1)  # a Monday, and the 1st of a month


def world() -> dict:
    """Plants P100, P200; BIKE and TRIKE counted in EA (a BOX of BIKE holds 6), PAINT in KG."""
    UnitFactory(code="EA")
    UnitFactory(code="BOX", name="Box")
    UnitFactory(code="KG", name="Kilogram", dimension=UnitOfMeasure.Dimension.MASS)
    UnitFactory(code="G", name="Gram", dimension=UnitOfMeasure.Dimension.MASS)
    conversion_upsert(from_uom="KG", to_uom="G", factor=Decimal("1000"))
    bike = ItemFactory(code="BIKE", item_type="make")
    conversion_upsert(from_uom="BOX", to_uom="EA", factor=Decimal("6"), item=bike)
    return {
        "P100": PlantFactory(code="P100"),
        "P200": PlantFactory(code="P200"),
        "BIKE": bike,
        "TRIKE": ItemFactory(code="TRIKE", item_type="make"),
        "PAINT": ItemFactory(code="PAINT", base_uom=UnitFactory(code="KG")),
    }


def sender(code: str, object_type: str):
    system = ExternalSystemFactory(code=code, kind="planning" if "DP" in code else "erp")
    ownership_set(object_type=object_type, system=system)
    return system


def committing_client(system, partner_key, capture, *scopes):
    _, raw = partner_key(*(scopes or ("inbound:write", "messages:read")), system=system)
    client = CommittingClient()
    client.capture = capture
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.system = system
    return client


def send(client, message_type: str, data: dict, *, id: str):
    """Post one envelope; answer the HTTP response and the message's final state (or None)."""
    envelope = {
        "type": message_type,
        "version": 1,
        "id": id,
        "source": client.system.code,
        "occurred_at": "2026-05-13T10:00:00+00:00",
        "data": data,
    }
    response = client.post(INBOUND, json.dumps(envelope), content_type="application/json")
    if response.status_code not in (200, 202):
        return response, None
    return response, client.get(response.json()["url"]).json()


def forecast_data(lines=None, **overrides) -> dict:
    return {
        "plan": "DP",
        "version": 1,
        "plant": "P100",
        "bucket": "week",
        "lines": lines
        if lines is not None
        else [
            {"item": "BIKE", "period_start": "2026-06-01", "quantity": "100", "uom": "EA"},
            {"item": "BIKE", "period_start": "2026-06-08", "quantity": "120", "uom": "EA"},
            {"item": "TRIKE", "period_start": "2026-06-01", "quantity": "10", "uom": "EA"},
        ],
        **overrides,
    }
