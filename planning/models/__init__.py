"""Forecasts, demand orders, MRP runs and their plan, and the exception workbench (planning)."""

from planning.models.demand import DemandOrder, DemandOrderLine
from planning.models.forecasts import (
    ForecastAccuracy,
    ForecastLine,
    ForecastPolicy,
    ForecastVersion,
)
from planning.models.mrp import (
    MrpMessage,
    MrpRecord,
    MrpRun,
    NetChangeRequest,
    PlannedOrder,
    PlantPlanningSettings,
    SupplierPlanningSettings,
)

__all__ = [
    "DemandOrder",
    "DemandOrderLine",
    "ForecastAccuracy",
    "ForecastLine",
    "ForecastPolicy",
    "ForecastVersion",
    "MrpMessage",
    "MrpRecord",
    "MrpRun",
    "NetChangeRequest",
    "PlannedOrder",
    "PlantPlanningSettings",
    "SupplierPlanningSettings",
]
