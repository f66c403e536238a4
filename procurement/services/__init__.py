"""Every write to procurement, in one transaction each, emitting the events it causes.

The portal, the console, the API and the inbound handlers all call these; none writes rows
itself.
"""

from procurement.services.acknowledgements import (
    AcknowledgementResult,
    proposal_accept,
    proposal_reject,
    purchase_order_acknowledge,
)
from procurement.services.orders import (
    purchase_order_cancel,
    purchase_order_close,
    purchase_order_create,
    purchase_order_issue,
    purchase_order_revise,
    purchase_order_upsert,
)
from procurement.services.receiving import receipt_post
from procurement.services.reminders import stale_acknowledgements_remind
from procurement.services.shipping import asn_create, asn_for_update, shipment_update

__all__ = [
    "AcknowledgementResult",
    "asn_create",
    "asn_for_update",
    "proposal_accept",
    "proposal_reject",
    "purchase_order_acknowledge",
    "purchase_order_cancel",
    "purchase_order_close",
    "purchase_order_create",
    "purchase_order_issue",
    "purchase_order_revise",
    "purchase_order_upsert",
    "receipt_post",
    "shipment_update",
    "stale_acknowledgements_remind",
]
