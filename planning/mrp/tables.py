"""The run's outputs as columns: planned orders, exceptions and pegs, one row each."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXCEPTION_KINDS = (
    "shortage",
    "reschedule_in",
    "reschedule_out",
    "cancel",
    "expedite",
    "late_confirmation",
)
SHORTAGE, RESCHEDULE_IN, RESCHEDULE_OUT, CANCEL, EXPEDITE, LATE_CONFIRMATION = range(6)
SUPPLY_KINDS = ("on_hand", "scheduled_receipt", "planned_order")
ON_HAND, SCHEDULED_RECEIPT, PLANNED_ORDER = range(3)
NONE = -1


@dataclass(frozen=True, slots=True)
class OrderTable:
    """Planned orders, each item's together; release is clamped to today, planned_release not."""

    item: np.ndarray
    due: np.ndarray
    release: np.ndarray
    planned_release: np.ndarray
    quantity: np.ndarray
    start_of_item: np.ndarray
    count_of_item: np.ndarray


@dataclass(frozen=True, slots=True)
class ExceptionTable:
    """Exceptions as columns; receipt is the ordinal of the open order within its item."""

    kind: np.ndarray
    item: np.ndarray
    bucket: np.ndarray
    to_bucket: np.ndarray
    quantity: np.ndarray
    receipt: np.ndarray
    detail: np.ndarray


@dataclass(frozen=True, slots=True)
class PegTable:
    """One-level pegs; a supply is (item, kind, ref), ref = receipt ordinal or due bucket.

    The demand is (demand_item, demand_ref, edge): an independent demand of demand_item
    (ref = its ordinal, edge = -1), or the planned order of parent demand_item due in bucket
    demand_ref, through the parent's BOM line number `edge`. The offsets say where the peg
    sits inside its supply and inside its demand, so pegs chain FIFO up to end demand.
    """

    supply_item: np.ndarray
    supply_kind: np.ndarray
    supply_ref: np.ndarray
    demand_item: np.ndarray
    demand_ref: np.ndarray
    edge: np.ndarray
    quantity: np.ndarray
    supply_offset: np.ndarray
    demand_offset: np.ndarray
