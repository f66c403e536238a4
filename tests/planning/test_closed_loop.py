"""The closed loop once, with a real Celery worker on Redis: a published forecast that makes an
issued PO too late reaches the supplier's webhook as a signed change request.

The chain: inbound API → inbox → forecast policy approves and activates → `forecast.approved` →
net-change request → net-change run → automatic change request → `purchase_order.revise` →
`purchase_order.change_requested` → webhook delivery. Nothing in it is called directly.
"""

import json

import pytest
from rest_framework.test import APIClient

from integrations.delivery import subscription_create
from integrations.services import api_key_create, ownership_set
from integrations.webhooks import verify
from planning.models import ForecastVersion, MrpRun, SupplierPlanningSettings
from planning.runs import mrp_run_full
from planning.services.forecasts import forecast_policy_set
from procurement.models import PurchaseOrderLine
from tests.celery_worker import real_worker, wait_until
from tests.factories import ExternalSystemFactory
from tests.partner_server import PartnerServer
from tests.planning.mrp_fixtures import bike_plant, week
from tests.procurement.factories import issued_po


def forecast_envelope(version: int, lines: list[dict]) -> dict:
    return {
        "type": "forecast.published",
        "version": 1,
        "id": f"dp-{version}",
        "source": "DP",
        "occurred_at": "2026-05-13T10:00:00+00:00",
        "data": {
            "plan": "DP",
            "version": version,
            "plant": "P100",
            "bucket": "week",
            "lines": lines,
        },
    }


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_published_forecast_reaches_the_supplier_as_a_change_request_through_a_real_worker():
    # given a bike plant planned once, its wheel supplier set for automatic change requests and
    # subscribed to change requests, and a PO of 20 wheels due in week 6 that nothing needs yet
    plant = bike_plant(wheel_on_hand="0")
    SupplierPlanningSettings.objects.create(supplier=plant.supplier, automatic_change_requests=True)
    po = issued_po(
        plant.supplier,
        lines=[
            {"line": 10, "item": "WHEEL", "quantity": "20", "uom": "EA", "requested_date": week(6)}
        ],
    )
    mrp_run_full(plant=plant.plant)
    assert PurchaseOrderLine.objects.get(po=po).requested_date == week(6)
    # and a demand planning system whose forecasts its policy approves and activates
    dp = ExternalSystemFactory(code="DP", kind="planning")
    ownership_set(object_type="forecast", system=dp)
    forecast_policy_set(system=dp, auto_approve=True, auto_activate=True)
    _, key = api_key_create(system=dp, scopes=["inbound:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    with PartnerServer() as partner, real_worker():
        _, secret = subscription_create(
            system=ExternalSystemFactory(code="RIMS-PORTAL", kind="supplier"),
            url=partner.url,
            event_types=["purchase_order.change_requested"],
        )

        # when the planning system publishes 10 bikes for week 4: 20 wheels needed in week 3
        response = client.post(
            "/api/v1/inbound/",
            json.dumps(
                forecast_envelope(
                    1,
                    [
                        {
                            "item": "BIKE",
                            "period_start": week(4).isoformat(),
                            "quantity": "10",
                            "uom": "EA",
                        }
                    ],
                )
            ),
            content_type="application/json",
        )
        assert response.status_code == 202, response.content

        # then the supplier's receiver gets the signed change request for week 3
        assert partner.wait_for(1, timeout=60), "no change request reached the supplier"
        assert wait_until(
            lambda: not MrpRun.objects.filter(status__in=["queued", "running"]).exists()
        )

    received = partner.received[0]
    assert verify(secret, received.header("X-Weft-Signature"), received.body)
    body = json.loads(received.body)
    assert body["type"] == "purchase_order.change_requested"
    assert body["data"]["po"] == po.number
    assert [line["requested_date"] for line in body["data"]["lines"]] == [week(3).isoformat()]
    assert ForecastVersion.objects.get().status == ForecastVersion.Status.ACTIVE
    assert PurchaseOrderLine.objects.get(po=po).requested_date == week(3)
    net_change = MrpRun.objects.filter(mode=MrpRun.Mode.NET_CHANGE).order_by("pk").first()
    assert net_change.trigger == "forecast DP 1 active"
    assert len(partner.received) == 1
