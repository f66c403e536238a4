"""The demo's connectors: ERP-EU's items pulled from the stand-in ERP, and requisitions pushed to it.

Start the stand-in with `manage.py run_erp_standin` (port 8765) and the seeded connector pulls
its items; without it, seeding still succeeds and the sync run records why it failed.
"""

from django.db import transaction

from integrations.connectors.mapping import (
    mapping_create,
    mapping_version_activate,
    mapping_version_create,
    mapping_version_test,
)
from integrations.connectors.pull import connector_sync
from integrations.connectors.push import api_call_create
from integrations.connectors.services import connector_create, partner_api_configure
from integrations.connectors.standin import EPOCH, item_record
from integrations.models import ApiCall, Connector, ExternalSystem, Mapping, PartnerApi, SyncRun

STANDIN_PORT = 8765
STANDIN_URL = f"http://127.0.0.1:{STANDIN_PORT}/api/v1"
STANDIN_TOKEN_URL = f"http://127.0.0.1:{STANDIN_PORT}/oauth/token"
STANDIN_CLIENT_ID = "weft-client"
STANDIN_CLIENT_SECRET = "standin-secret"

# The stand-in ERP's material → the canonical item.upserted data (MESSAGES.md).
ITEM_MAPPING = """{
  code: material,
  description: text,
  base_uom: unit,
  item_type: procurement_type == 'E' && 'make' || 'buy',
  lifecycle: status == 'NEW' && 'new' || status == 'OBSOLETE' && 'obsolete' || 'active',
  plants: plants[].{
    plant: plant,
    lead_time_days: lead_time_days,
    safety_stock: safety_stock,
    lot_size_rule: lot_size == 'FX' && 'fixed' || lot_size == 'PD' && 'period' || 'lot_for_lot',
    lot_size_quantity: lot_size_quantity,
    min_order_quantity: moq,
    order_multiple: rounding
  }
}"""

# planned_order.released → the stand-in ERP's purchase requisition.
REQUISITION_MAPPING = """{
  material: item,
  plant: plant,
  quantity: quantity,
  unit: uom,
  delivery_date: due_date,
  release_date: release_date,
  vendor: supplier,
  reference: join('', ['WEFT-', number])
}"""

REQUISITION_SAMPLE = {
    "number": "PLN-000001",
    "kind": "buy",
    "item": "SM-000001",
    "plant": "P100",
    "quantity": "120",
    "uom": "EA",
    "release_date": "2026-06-01",
    "due_date": "2026-06-15",
    "supplier": "S001",
}


def mapping_ready(*, name: str, direction: str, message_type: str, expression: str, sample):
    """The mapping with its first version tested and activated (made once)."""
    mapping = Mapping.objects.filter(name=name).first()
    if mapping is None:
        mapping = mapping_create(name=name, direction=direction, message_type=message_type)
    if mapping.active_version_id is None:
        version = mapping_version_create(
            mapping=mapping, expression=expression, sample_payload=sample
        )
        mapping_version_test(version=version)
        mapping = mapping_version_activate(version=version)
    return mapping


@transaction.atomic
def configure_standin_connectors(
    *, system: ExternalSystem, base_url: str = STANDIN_URL, token_url: str = STANDIN_TOKEN_URL
) -> Connector:
    """Point a system at the stand-in ERP: OAuth2, an items connector, a requisition call."""
    api = partner_api_configure(
        system=system,
        base_url=base_url,
        auth_kind=PartnerApi.AuthKind.OAUTH2,
        token_url=token_url,
        username=STANDIN_CLIENT_ID,
        secret=STANDIN_CLIENT_SECRET,
        timeout_seconds=5,
        requests_per_second=20,
        max_concurrency=2,
    )
    items = mapping_ready(
        name="standin-items",
        direction=Mapping.Direction.INBOUND,
        message_type="item.upserted",
        expression=ITEM_MAPPING,
        sample=item_record(5, EPOCH),
    )
    requisitions = mapping_ready(
        name="standin-requisitions",
        direction=Mapping.Direction.OUTBOUND,
        message_type="planned_order.released",
        expression=REQUISITION_MAPPING,
        sample=REQUISITION_SAMPLE,
    )
    connector = Connector.objects.filter(api=api, resource="items").first() or connector_create(
        api=api,
        resource="items",
        path="items",
        mapping=items,
        pagination=Connector.Pagination.PAGE,
        page_size=100,
        schedule_seconds=300,
        page_attempts=2,
        retry_base_seconds=0.5,
        max_wait_seconds=10,
    )
    if not ApiCall.objects.filter(api=api, name="requisitions").exists():
        api_call_create(
            api=api,
            name="requisitions",
            event_types=["planned_order.released"],
            path_template="requisitions",
            mapping=requisitions,
            object_type="planned_order",
            document_number_path="document_number",
        )
    return connector


def seed_connectors(*, system_code: str = "ERP-EU") -> SyncRun | None:
    """The demo's connectors, and a first sync run (which says so plainly if the stand-in is off)."""
    system = ExternalSystem.objects.get(code=system_code)
    connector = configure_standin_connectors(system=system)
    return connector_sync(connector=connector, trigger="seed_demo")
