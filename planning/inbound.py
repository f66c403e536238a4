"""Handlers for the planning messages: validate the canonical data, then call one service."""

from integrations.handlers import inbound_handler
from masterdata.inbound import validated
from planning.api.serializers import DemandOrderInput, ForecastPublishInput
from planning.services import demand, forecasts


@inbound_handler("forecast.published", object_type="forecast")
def forecast_published(message, data: dict) -> None:
    values = dict(validated(ForecastPublishInput, data))
    lines = [dict(line) for line in values.pop("lines")]
    forecasts.forecast_publish(
        **values,
        lines=lines,
        source_system=message.system.code,
        message_id=str(message.pk),
    )


@inbound_handler("demand_order.upserted", object_type="demand_order")
def demand_order_upserted(message, data: dict) -> None:
    values = dict(validated(DemandOrderInput, data))
    lines = [dict(line) for line in values.pop("lines")]
    demand.demand_order_upsert(
        **values,
        lines=lines,
        writer=message.system.code,
    )
