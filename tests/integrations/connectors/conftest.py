"""Fixtures for connector tests: the stand-in ERP on a free port, ERP-EU owning items, its API."""

import pytest
import redis
from django.db import connection

from integrations.connectors.demo import ITEM_MAPPING, mapping_ready
from integrations.connectors.limits import shared_store
from integrations.connectors.services import connector_create, partner_api_configure
from integrations.connectors.standin import EPOCH, StandinErp, item_record
from integrations.models import Connector, Mapping
from integrations.services import ownership_set
from tests.celery_worker import BROKER_URL as WORKER_BROKER_URL
from tests.factories import ExternalSystemFactory, PlantFactory, UnitFactory


@pytest.fixture(autouse=True)
def clean_shared_store():
    """Rate counters, pauses, tokens and locks of earlier tests must not leak into this one."""
    pattern = f"weft:conn:{connection.settings_dict['NAME']}:*"
    for client in (shared_store().client, redis.Redis.from_url(WORKER_BROKER_URL)):
        for name in client.scan_iter(pattern):
            client.delete(name)


@pytest.fixture
def standin():
    with StandinErp(items=120) as erp:
        yield erp


@pytest.fixture
def erp_eu(db):
    UnitFactory(code="EA")
    UnitFactory(code="KG", name="Kilogram", dimension="mass")
    PlantFactory(code="P100")
    PlantFactory(code="P200")
    system = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="item", system=system)
    return system


@pytest.fixture
def item_mapping(db):
    return mapping_ready(
        name="standin-items",
        direction=Mapping.Direction.INBOUND,
        message_type="item.upserted",
        expression=ITEM_MAPPING,
        sample=item_record(5, EPOCH),
    )


@pytest.fixture
def make_connector(erp_eu, item_mapping, standin):
    """A factory: the items connector of ERP-EU against the stand-in, with quick retries."""

    def make(*, api_options=None, system=None, erp=None, **options) -> Connector:
        erp = erp or standin
        api = partner_api_configure(
            system=system or erp_eu,
            base_url=erp.url,
            **{"timeout_seconds": 5, "requests_per_second": 0, **(api_options or {})},
        )
        values = {
            "resource": "items",
            "path": "items",
            "mapping": item_mapping,
            "page_size": 50,
            "retry_base_seconds": 0.05,
            "max_wait_seconds": 10,
            **options,
        }
        return connector_create(api=api, **values)

    return make
