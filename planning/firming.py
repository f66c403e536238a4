"""Firming a planned order: the planner commits to it, and the system that owns the order gets it.

A buy becomes a draft purchase order when Weft keeps purchase orders, a make becomes a work order
when Weft keeps work orders; otherwise the owner (the ERP) gets `planned_order.released` and the
firmed order stands as supply until the ERP's own order arrives.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from execution.services import work_order_upsert
from integrations.errors import ApplicationError, OwnershipError
from integrations.history import acting_as
from integrations.outbox import emit
from integrations.ownership import WEFT, owner_of
from integrations.roles import is_console_user
from masterdata.models import SourcingRule, Supplier
from planning.models import PlannedOrder
from planning.runs import net_change_request
from procurement.services import purchase_order_create


def _quantity_text(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


@transaction.atomic
def planned_order_firm(
    *,
    planned_order: PlannedOrder,
    acting_user,
    quantity=None,
    due_date: date | None = None,
    supplier: str | None = None,
) -> PlannedOrder:
    """Firm a planned order, optionally with the planner's quantity, due date and supplier.

    A supplier other than MRP's choice moves the requirement to an alternate source: it must
    hold a sourcing rule valid today for the item at the plant and must not be blocked.
    """
    if acting_user is None or not is_console_user(acting_user):
        raise OwnershipError("Only a planner or buyer may firm planned orders.", {"field": "user"})
    order = (
        PlannedOrder.objects.select_for_update(of=("self",))
        .select_related("item__base_uom", "plant", "supplier")
        .get(pk=planned_order.pk)
    )
    if order.status != PlannedOrder.Status.PLANNED:
        raise ApplicationError(
            f"Planned order {order.number} is {order.status} already.",
            {"field": "status", "value": order.status},
            status_code=409,
        )
    if quantity is not None:
        try:
            order.quantity = Decimal(str(quantity))
        except InvalidOperation:
            raise ApplicationError(
                f"quantity '{quantity}' is not a number.", {"field": "quantity", "value": quantity}
            ) from None
        if not order.quantity.is_finite() or order.quantity <= 0:
            raise ApplicationError(
                "quantity must be positive.", {"field": "quantity", "value": str(quantity)}
            )
    if due_date is not None:
        if due_date < order.release_date:
            raise ApplicationError(
                f"due_date {due_date} is before the release date {order.release_date}.",
                {"field": "due_date", "value": due_date.isoformat()},
            )
        order.due_date = due_date
    if supplier and order.kind == PlannedOrder.Kind.BUY:
        order.supplier = _alternate_source(order, supplier)
    order.firmed_at, order.firmed_by = timezone.now(), acting_user
    with acting_as(user=acting_user):
        if order.kind == PlannedOrder.Kind.BUY:
            _firm_buy(order, acting_user)
        else:
            _firm_make(order)
    order.save()
    net_change_request(
        plant=order.plant, item_ids=[order.item_id], reason=f"planned order {order.number} firmed"
    )
    return order


def _alternate_source(order: PlannedOrder, code: str) -> Supplier:
    rule = (
        SourcingRule.objects.valid_on(timezone.localdate())
        .filter(item=order.item, plant=order.plant, supplier__code=code)
        .exclude(supplier__status=Supplier.Status.BLOCKED)
        .select_related("supplier")
        .first()
    )
    if rule is None:
        raise ApplicationError(
            f"{code} is not a valid source of {order.item.code} at {order.plant.code} today.",
            {"field": "supplier", "value": code},
        )
    return rule.supplier


def _firm_buy(order: PlannedOrder, acting_user) -> None:
    if owner_of("purchase_order") != WEFT:
        return _release(order)
    if order.supplier is None:
        raise ApplicationError(
            f"Planned order {order.number} has no supplier: {order.item.code} has no valid "
            f"sourcing rule at {order.plant.code}.",
            {"field": "supplier", "value": None},
        )
    po = purchase_order_create(
        number=f"PO-{order.number}",
        supplier=order.supplier.code,
        plant=order.plant.code,
        lines=[
            {
                "line": 1,
                "item": order.item.code,
                "quantity": _quantity_text(order.quantity),
                "uom": order.item.base_uom.code,
                "requested_date": order.due_date.isoformat(),
            }
        ],
        acting_user=acting_user,
    )
    order.po_line = po.lines.get()
    order.status = PlannedOrder.Status.FIRMED


def _firm_make(order: PlannedOrder) -> None:
    if owner_of("work_order") != WEFT:
        return _release(order)
    order.work_order = work_order_upsert(
        number=f"WO-{order.number}",
        item=order.item.code,
        plant=order.plant.code,
        quantity=order.quantity,
        uom=order.item.base_uom.code,
        due_date=order.due_date,
    )
    order.status = PlannedOrder.Status.FIRMED


def _release(order: PlannedOrder) -> None:
    """The ERP owns the order type: tell it, and keep the firmed order as supply meanwhile."""
    order.status = PlannedOrder.Status.RELEASED
    emit(
        "planned_order.released",
        {
            "number": order.number,
            "kind": order.kind,
            "item": order.item.code,
            "plant": order.plant.code,
            "quantity": _quantity_text(order.quantity),
            "uom": order.item.base_uom.code,
            "release_date": order.release_date.isoformat(),
            "due_date": order.due_date.isoformat(),
            "supplier": order.supplier.code if order.supplier else None,
        },
        key=f"planned_order:{order.number}",
    )
