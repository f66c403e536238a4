"""Demo purchase orders: for each portal supplier, a PO in every state, made through the services.

A supplier signing in to the portal finds work waiting: orders to acknowledge (some past its
acknowledgement time), a proposal with the buyer, one the buyer sent back, one the buyer
accepted twelve days late (MRP flags the late confirmation), confirmed orders,
goods in transit, received and closed ones, a cancellation. Idempotent: numbers are fixed
(`PO-S001-01` ...) and an existing PO is left as it is; dates are relative to the day it runs.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from masterdata.models import SourcingRule, Supplier, SupplierMembership
from procurement import services
from procurement.models import PurchaseOrder

DEMO_SUPPLIERS = ("S001", "S002")
STATES = [
    "awaiting",
    "overdue",
    "long_overdue",
    "proposal",
    "returned",
    "confirmed_late",
    "acknowledged",
    "in_transit",
    "partially_received",
    "received",
    "closed",
    "cancelled",
    "draft",
]


def seed_procurement(*, progress: Callable[[str, int], None] | None = None) -> int:
    """Create the demo POs that are missing; return how many were created."""
    progress = progress or (lambda step, n: None)
    buyer = get_user_model().objects.filter(username="buyer").first()
    created = 0
    for code in DEMO_SUPPLIERS:
        supplier = Supplier.objects.filter(code=code).first()
        rules = list(
            SourcingRule.objects.filter(supplier=supplier)
            .select_related("item__base_uom", "plant")
            .order_by("plant__code", "item__code")[:3]
        )
        if supplier is None or not rules:
            continue
        portal_user = (
            SupplierMembership.objects.filter(supplier=supplier).select_related("user").first()
        )
        answerer = {"acting_user": portal_user.user} if portal_user else {"acting_user": buyer}
        for index, state in enumerate(STATES, start=1):
            number = f"PO-{code}-{index:02d}"
            if PurchaseOrder.objects.filter(number=number).exists():
                continue
            with transaction.atomic():
                _seed_one(number, state, supplier, rules, buyer, answerer)
            created += 1
    progress("purchase orders", created)
    return created


def _lines(rules: list[SourcingRule], offset: int) -> list[dict]:
    today = timezone.localdate()
    return [
        {
            "line": 10 * (n + 1),
            "item": rule.item.code,
            "quantity": Decimal(50 * (n + 1) + 10 * offset),
            "uom": rule.item.base_uom.code,
            "requested_date": today + timedelta(days=14 + 7 * n + offset),
        }
        for n, rule in enumerate(rules)
    ]


def _seed_one(number, state, supplier, rules, buyer, answerer) -> None:
    lines = _lines(rules, len(number))
    po = services.purchase_order_create(
        number=number,
        supplier=supplier.code,
        plant=rules[0].plant.code,
        lines=[
            line
            for line, rule in zip(lines, rules, strict=True)
            if rule.plant_id == rules[0].plant_id
        ],
        acting_user=buyer,
    )
    if state == "draft":
        return
    services.purchase_order_issue(po=po, acting_user=buyer)
    po.refresh_from_db()
    if state in ("overdue", "long_overdue"):
        _age(po, days=4 if state == "overdue" else 9)
        return
    if state == "awaiting":
        return
    numbers = list(po.lines.values_list("line_number", flat=True))
    if state in ("proposal", "returned", "confirmed_late"):
        # The late confirmation is on a line whose part is wanted soon, so MRP flags it.
        answered = numbers[1] if state == "confirmed_late" and len(numbers) > 1 else numbers[0]
        first = po.lines.get(line_number=answered)
        result = services.purchase_order_acknowledge(
            po=po,
            revision=po.revision,
            lines=[
                {
                    "line": first.line_number,
                    "status": "changed",
                    "confirmed_date": first.requested_date + timedelta(days=12),
                    "reason_code": "capacity",
                    "reason": "Press line booked until then; we can ship twelve days later.",
                }
            ],
            **answerer,
        )
        if state == "returned" and buyer is not None:
            services.proposal_reject(
                proposal=result.proposed[0],
                reason="The line is needed for the launch build; please keep the date.",
                acting_user=buyer,
            )
        if state == "confirmed_late" and buyer is not None:
            services.proposal_accept(proposal=result.proposed[0], acting_user=buyer)
        return
    services.purchase_order_acknowledge(
        po=po,
        revision=po.revision,
        lines=[{"line": n, "status": "accepted"} for n in numbers],
        supplier_reference=f"{supplier.code}-SO-{number[-2:]}",
        **answerer,
    )
    if state == "cancelled":
        services.purchase_order_cancel(
            po=po, reason="Demand moved to another plant", acting_user=buyer
        )
        return
    if state == "acknowledged":
        return
    today = timezone.localdate()
    open_lines = list(po.lines.select_related("uom", "item"))
    services.asn_create(
        supplier=supplier,
        number=f"ASN-{number}",
        ship_date=today,
        expected_date=today + timedelta(days=3),
        carrier="DHL",
        tracking=f"JJD{number[-6:].replace('-', '')}00",
        lines=[
            {
                "po": po.number,
                "line": line.line_number,
                "quantity": line.quantity / (1 if state in ("received", "closed") else 2),
                "uom": line.uom.code,
            }
            for line in open_lines
        ],
        **answerer,
    )
    if state == "in_transit":
        return
    share = Decimal("0.5") if state == "partially_received" else Decimal("1")
    services.receipt_post(
        number=f"GR-{number}",
        plant=po.plant.code,
        received_at=timezone.now(),
        lines=[
            {
                "po": po.number,
                "line": line.line_number,
                "item": line.item.code,
                "quantity": line.quantity * share,
                "uom": line.uom.code,
            }
            for line in open_lines
        ],
        acting_user=buyer,
    )
    if state == "closed":
        services.purchase_order_close(po=po, acting_user=buyer)


def _age(po: PurchaseOrder, *, days: int) -> None:
    """Pretend the PO went out `days` ago, so its acknowledgement is past the supplier's SLA."""
    sent = timezone.now() - timedelta(days=days)
    due = sent + timedelta(hours=po.supplier.ack_sla_hours)
    po.issued_at, po.ack_due_at = sent, due
    po.save()
    for line in po.lines.all():
        line.sent_at, line.ack_due_at, line.next_reminder_at = sent, due, due
        line.save()
