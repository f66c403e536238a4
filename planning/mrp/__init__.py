"""MRP engine: plain data in, time-phased records, planned orders, exceptions and pegs out.

No Django here: the loader builds a PlanningInput from the database, `plan` runs it, the
writer stores the PlanResult.
"""

from planning.mrp.engine import plan
from planning.mrp.network import low_level_codes
from planning.mrp.records import (
    BomLine,
    Demand,
    DirectPeg,
    Horizon,
    Item,
    ItemRecord,
    LotSizing,
    MrpException,
    Peg,
    PlannedOrder,
    PlanningInput,
    ScheduledReceipt,
    lead_time_buckets,
)
from planning.mrp.result import PlanResult

__all__ = [
    "BomLine",
    "Demand",
    "DirectPeg",
    "Horizon",
    "Item",
    "ItemRecord",
    "LotSizing",
    "MrpException",
    "Peg",
    "PlanResult",
    "PlannedOrder",
    "PlanningInput",
    "ScheduledReceipt",
    "lead_time_buckets",
    "low_level_codes",
    "plan",
]
