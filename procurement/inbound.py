"""Handlers for the procurement messages: validate the canonical data, check the sender, call the service.

Acknowledgements, ASNs and shipment updates are owned by no system of record: each is
accepted only from the supplier's own system (a carrier may also update its shipments), and a
PO or ASN of any other supplier is answered as unknown, never as someone else's.
"""

from integrations.errors import ApplicationError
from integrations.handlers import inbound_handler
from masterdata.inbound import validated
from masterdata.models import Supplier
from procurement import services
from procurement.api.serializers import (
    AcknowledgementInput,
    AsnInput,
    PurchaseOrderInput,
    ReceiptInput,
    ShipmentInput,
)
from procurement.models import PurchaseOrder


@inbound_handler("purchase_order.upserted", object_type="purchase_order")
def purchase_order_upserted(message, data: dict) -> None:
    values = validated(PurchaseOrderInput, data)
    values["lines"] = [dict(line) for line in values["lines"]]
    services.purchase_order_upsert(**values, writer=message.system.code)


@inbound_handler("purchase_order.acknowledged", object_type=None)
def purchase_order_acknowledged(message, data: dict) -> None:
    values = validated(AcknowledgementInput, data)
    po = (
        PurchaseOrder.objects.filter(number=values["po"], supplier__external_system=message.system)
        .select_related("supplier")
        .first()
    )
    if po is None:
        raise ApplicationError(
            f"{message.system.code} has no purchase order {values['po']} (only the PO's "
            "supplier's own system may acknowledge it).",
            {"field": "data.po", "value": values["po"]},
        )
    services.purchase_order_acknowledge(
        po=po,
        revision=values["revision"],
        lines=[dict(line) for line in values["lines"]],
        acting_system=message.system,
        message_id=str(message.pk),
    )


def sender_supplier(system, code: str) -> Supplier:
    """The supplier an ASN from `system` names: one whose system it is.

    EDI ASNs name the sending system's code (integrations cannot look suppliers up); that
    stands for the system's supplier when it has exactly one.
    """
    suppliers = list(Supplier.objects.filter(external_system=system))
    for supplier in suppliers:
        if supplier.code == code:
            return supplier
    if code == system.code and len(suppliers) == 1:
        return suppliers[0]
    if code == system.code and suppliers:
        raise ApplicationError(
            f"{system.code} sends for {len(suppliers)} suppliers; map its code to one of "
            f"{', '.join(sorted(s.code for s in suppliers))} (supplier code map) or name it.",
            {"field": "data.supplier", "value": code},
        )
    raise ApplicationError(
        f"Supplier {code} is not {system.code}'s; a system sends ASNs for its own suppliers only.",
        {"field": "data.supplier", "value": code},
    )


@inbound_handler("asn.created", object_type=None)
def asn_created(message, data: dict) -> None:
    values = validated(AsnInput, data)
    supplier = sender_supplier(message.system, values.pop("supplier", ""))
    lines = [dict(line) for line in values.pop("lines")]
    services.asn_create(supplier=supplier, lines=lines, acting_system=message.system, **values)


@inbound_handler("shipment.updated", object_type=None)
def shipment_updated(message, data: dict) -> None:
    values = validated(ShipmentInput, data)
    asn = services.asn_for_update(
        system=message.system, number=values.pop("asn"), tracking=values["tracking"]
    )
    services.shipment_update(asn=asn, **values)


@inbound_handler("receipt.posted", object_type="receipt")
def receipt_posted(message, data: dict) -> None:
    values = validated(ReceiptInput, data)
    values["lines"] = [dict(line) for line in values["lines"]]
    services.receipt_post(**values, writer=message.system.code)
