"""A supplier reaches only its own documents: every procurement route, walked as a foreign supplier."""

import re

import pytest
from django.urls import get_resolver
from django.utils import timezone

from procurement import services
from tests.config.test_api_routes import walk
from tests.factories import SupplierUserFactory
from tests.procurement.factories import in_days, issued_po

pytestmark = pytest.mark.django_db

PREFIXES = ("purchase-orders", "proposals", "stale-acknowledgements", "asns", "receipts")


def procurement_routes():
    """(pattern, {method: action}) for every procurement API route."""
    routes = []
    for pattern, entry in walk(get_resolver().url_patterns):
        if not pattern.startswith("api/v1/"):
            continue
        rest = pattern[len("api/v1/") :].lstrip("^")
        if rest.startswith(PREFIXES) and "format" not in pattern:
            routes.append((pattern, dict(entry.callback.actions)))
    return routes


@pytest.fixture
def acme_documents(acme, buyer):
    """One of each of S001's documents: a PO with a proposal, an ASN, a receipt."""
    po = issued_po(acme)
    (proposal,) = services.purchase_order_acknowledge(
        po=po,
        revision=0,
        lines=[{"line": 10, "status": "rejected", "reason": "No"}],
        acting_system=acme.external_system,
    ).proposed
    asn = services.asn_create(
        supplier=acme,
        number="ASN-A",
        acting_system=acme.external_system,
        lines=[{"po": po.number, "line": 20, "quantity": "2", "uom": "EA"}],
    )
    receipt = services.receipt_post(
        number="GR-A",
        plant="P100",
        received_at=timezone.now(),
        lines=[{"po": po.number, "line": 20, "item": "PAD-2002", "quantity": "2", "uom": "EA"}],
    )
    return {"purchase-orders": po, "proposals": proposal, "asns": asn, "receipts": receipt}


def concrete(pattern: str, documents: dict) -> str:
    path = pattern.replace("^", "").replace("$", "").replace("\\Z", "")
    prefix = path[len("api/v1/") :].split("/")[0]
    if "(?P<pk>" in path:
        path = re.sub(r"\(\?P<pk>[^)]*\)", str(documents[prefix].pk), path)
    return "/" + path


@pytest.fixture
def foreign_clients(baltic, system_client, session_client):
    issued_po(baltic)  # Baltic has documents of its own, so it is no empty-handed stranger
    return {
        "Baltic's system key": system_client(baltic.external_system),
        "Baltic's portal user": session_client(SupplierUserFactory(username="bo", supplier=baltic)),
    }


def test_every_procurement_route_answers_404_for_another_suppliers_documents(
    acme_documents, foreign_clients
):
    routes = procurement_routes()
    assert len(routes) >= 10, "the walk found too few procurement routes"
    body = {"revision": 0, "reason": "x", "lines": [{"line": 10, "status": "accepted"}]}
    walked, failures = 0, []
    for who, client in foreign_clients.items():
        for pattern, actions in routes:
            path = concrete(pattern, acme_documents)
            for method in [m for m in actions if m != "head"]:
                if "(?P<pk>" not in pattern:
                    continue
                walked += 1
                response = (
                    getattr(client, method)(path, body, format="json")
                    if method == "post"
                    else client.get(path)
                )
                if response.status_code != 404:
                    failures.append(f"{who}: {method.upper()} {path} → {response.status_code}")
    assert walked >= 2 * 12
    assert failures == []


def test_every_procurement_list_leaves_out_another_suppliers_documents(
    acme_documents, foreign_clients
):
    own = {prefix: document.pk for prefix, document in acme_documents.items()}
    for who, client in foreign_clients.items():
        for pattern, actions in procurement_routes():
            if "(?P<pk>" in pattern or "get" not in actions:
                continue
            path = concrete(pattern, acme_documents)
            response = client.get(path)
            assert response.status_code == 200, f"{who}: GET {path} → {response.status_code}"
            prefix = path.split("/")[3]
            ids = {row.get("id") for row in response.json()["results"]}
            assert own.get(prefix) not in ids, f"{who} sees S001's document at {path}"
            if prefix == "stale-acknowledgements":
                assert {row["supplier"] for row in response.json()["results"]} <= {"S002"}


def test_foreign_writes_by_reference_are_refused_without_revealing(acme_documents, foreign_clients):
    po = acme_documents["purchase-orders"]
    for client in foreign_clients.values():
        asn = client.post(
            "/api/v1/asns/",
            {
                "number": "B-9",
                "lines": [{"po": po.number, "line": 20, "quantity": "1", "uom": "EA"}],
            },
            format="json",
        )
        assert asn.status_code == 400
        assert asn.json()["detail"] == f"S002 has no purchase order {po.number}."
        assert client.post(
            "/api/v1/asns/",
            {
                "number": "B-9",
                "supplier": "S001",
                "ship_date": in_days(1).isoformat(),
                "lines": [{"po": po.number, "line": 20, "quantity": "1", "uom": "EA"}],
            },
            format="json",
        ).status_code in (400, 403)


def test_the_owner_reaches_the_same_routes(acme_documents, acme, system_client):
    client = system_client(acme.external_system)
    po = acme_documents["purchase-orders"]
    assert client.get(f"/api/v1/purchase-orders/{po.pk}/").status_code == 200
    assert client.get(f"/api/v1/proposals/{acme_documents['proposals'].pk}/").status_code == 200
    assert client.get(f"/api/v1/asns/{acme_documents['asns'].pk}/").status_code == 200
    assert client.get(f"/api/v1/receipts/{acme_documents['receipts'].pk}/").status_code == 200


def test_a_supplier_kind_system_linked_to_no_supplier_sees_nothing(acme_documents, system_client):
    from tests.procurement.factories import SupplierSystemFactory

    loose = system_client(SupplierSystemFactory(code="LOOSE"))
    assert loose.get("/api/v1/purchase-orders/").json()["results"] == []
    assert (
        loose.get(f"/api/v1/purchase-orders/{acme_documents['purchase-orders'].pk}/").status_code
        == 404
    )


def test_keys_without_the_procurement_scopes_are_refused(acme_documents, acme, system_client):
    client = system_client(acme.external_system, "masterdata:read")
    assert client.get("/api/v1/purchase-orders/").status_code == 403
    reader = system_client(acme.external_system, "procurement:read")
    po = acme_documents["purchase-orders"]
    assert reader.get("/api/v1/purchase-orders/").status_code == 200
    assert (
        reader.post(f"/api/v1/purchase-orders/{po.pk}/acknowledge/", {}, format="json").status_code
        == 403
    )
