"""PostgreSQL gone during intake: 503 with Retry-After, never a 500, and nothing half-written."""

import json

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from integrations.models import InboundMessage

ENVELOPE = {
    "type": "item.upserted",
    "version": 1,
    "id": "while-db-down",
    "occurred_at": "2026-11-22T10:00:00+00:00",
    "data": {"code": "X", "description": "x", "base_uom": "EA", "item_type": "buy"},
}


def cut_our_database_connection() -> None:
    """Terminate this process's PostgreSQL session from outside, as a database restart would."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_intake_answers_503_with_retry_after_when_the_database_is_gone(partner_key):
    system, raw = partner_key("inbound:write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = json.dumps(ENVELOPE | {"source": system.code})

    cut_our_database_connection()
    response = client.post("/api/v1/inbound/", data=body, content_type="application/json")
    connection.close()

    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert json.loads(response.content)["status"] == 503
    assert not InboundMessage.objects.exists()

    again = client.post("/api/v1/inbound/", data=body, content_type="application/json")
    assert again.status_code in (202, 400)
    assert InboundMessage.objects.count() == 1
