"""The inbox with a real Celery worker on Redis: stored messages are drained and applied once."""

import json

import pytest
from rest_framework.test import APIClient

from integrations.models import InboundMessage
from integrations.services import api_key_create, ownership_set
from masterdata.models import Item
from tests.celery_worker import real_worker, wait_until
from tests.factories import ExternalSystemFactory, UnitFactory
from tests.integrations.conftest import envelope


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_messages_sent_one_by_one_and_in_a_batch_are_applied_once_by_a_real_worker():
    # given an ERP that owns items, and a real worker on Redis
    UnitFactory(code="EA")
    erp = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="item", system=erp)
    _, key = api_key_create(system=erp, scopes=["inbound:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    with real_worker():
        # when it sends 30 messages one by one, then a batch of 120 with 20 repeats among them
        for n in range(30):
            response = client.post(
                "/api/v1/inbound/",
                json.dumps(envelope(f"one-{n}", code=f"ONE-{n}")),
                content_type="application/json",
            )
            assert response.status_code == 202
        batch = [envelope(f"b-{n}", code=f"B-{n}") for n in range(100)] + [
            envelope(f"b-{n}", code=f"B-{n}") for n in range(20)
        ]
        answer = client.post(
            "/api/v1/inbound/batch/",
            json.dumps({"messages": batch}),
            content_type="application/json",
        ).json()
        assert answer["accepted"] == 120

        # then the worker applies every message, each once
        assert wait_until(
            lambda: not InboundMessage.objects.filter(status="received").exists(), timeout=60
        )

    assert InboundMessage.objects.filter(status="applied").count() == 130
    assert Item.objects.count() == 130
    assert Item.history.count() == 130
