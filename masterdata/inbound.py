"""Handlers for the master data messages: validate the canonical data, then call the service."""

from integrations.errors import ApplicationError
from integrations.handlers import inbound_handler
from masterdata import services
from masterdata.api.serializers import BomInput, ItemInput, SourcingRuleInput, SupplierInput


def validated(serializer_class, data: dict) -> dict:
    """The data as typed values, or an ApplicationError naming the first bad field (as data.<field>)."""
    payload = serializer_class(data=data)
    if payload.is_valid():
        return payload.validated_data
    from integrations.api.errors import flatten_errors

    errors = flatten_errors(payload.errors, data)
    first = errors[0]
    raise ApplicationError(
        f"data.{first['field']}: {first['message']}",
        {
            "field": f"data.{first['field']}",
            **({"value": first["value"]} if "value" in first else {}),
        },
    )


@inbound_handler("item.upserted", object_type="item")
def item_upserted(message, data: dict) -> None:
    services.item_upsert(**validated(ItemInput, data), writer=message.system.code)


@inbound_handler("supplier.upserted", object_type="supplier")
def supplier_upserted(message, data: dict) -> None:
    values = dict(data)
    values.setdefault("name", values.get("code", ""))
    services.supplier_upsert(**validated(SupplierInput, values), writer=message.system.code)


@inbound_handler("sourcing_rule.upserted", object_type="sourcing_rule")
def sourcing_rule_upserted(message, data: dict) -> None:
    services.sourcing_rule_upsert(**validated(SourcingRuleInput, data), writer=message.system.code)


@inbound_handler("bom.upserted", object_type="bom")
def bom_upserted(message, data: dict) -> None:
    services.bom_upsert(**validated(BomInput, data), writer=message.system.code)
