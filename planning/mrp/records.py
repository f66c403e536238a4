"""What the MRP engine takes in and gives back: plain dataclasses, quantities in base units."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal, NamedTuple

import numpy as np

ItemId = str | int
DemandSource = tuple[str, str]
LotRule = Literal["lot_for_lot", "fixed", "period"]
MakeOrBuy = Literal["make", "buy"]
ReceiptKind = Literal["purchase_order", "work_order"]
SupplyKind = Literal["on_hand", "scheduled_receipt", "planned_order"]
ExceptionKind = Literal[
    "shortage", "reschedule_in", "reschedule_out", "cancel", "expedite", "late_confirmation"
]


def lead_time_buckets(lead_time_days: float, bucket_length_days: float) -> int:
    """A lead time in days covers this many whole buckets, rounded up."""
    if bucket_length_days <= 0:
        raise ValueError("bucket length must be positive")
    if lead_time_days < 0:
        raise ValueError("lead time cannot be negative")
    # Fractions of the decimal strings, so 14 days of 7-day weeks is exactly 2, never 3.
    return math.ceil(Fraction(str(lead_time_days)) / Fraction(str(bucket_length_days)))


@dataclass(frozen=True, slots=True)
class Horizon:
    """The planning buckets: the engine works in bucket indexes 0..bucket_count-1."""

    bucket_count: int
    today_bucket: int = 0
    bucket_starts: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if self.bucket_count <= 0:
            raise ValueError("a horizon needs at least one bucket")
        if not 0 <= self.today_bucket < self.bucket_count:
            raise ValueError("today must fall inside the horizon")
        if self.bucket_starts and len(self.bucket_starts) != self.bucket_count:
            raise ValueError("one start date per bucket")

    @classmethod
    def weekly(cls, first_monday: date, weeks: int, *, today: date | None = None) -> Horizon:
        """Weekly buckets from the given start; today falls in the bucket containing it."""
        starts = tuple(first_monday + timedelta(weeks=week) for week in range(weeks))
        horizon = cls(bucket_count=weeks, bucket_starts=starts)
        if today is None:
            return horizon
        return cls(bucket_count=weeks, today_bucket=horizon.bucket_of(today), bucket_starts=starts)

    def bucket_of(self, day: date) -> int:
        """The bucket a date falls in: -1 before the horizon, bucket_count after it."""
        if not self.bucket_starts:
            raise ValueError("this horizon has no dates")
        index = bisect.bisect_right(self.bucket_starts, day) - 1
        if index == self.bucket_count - 1:
            last_length = (
                self.bucket_starts[-1] - self.bucket_starts[-2]
                if self.bucket_count > 1
                else timedelta(days=7)
            )
            if day >= self.bucket_starts[-1] + last_length:
                return self.bucket_count
        return index


@dataclass(frozen=True, slots=True)
class LotSizing:
    """How net requirements become order quantities, before minimum and multiple."""

    rule: LotRule = "lot_for_lot"
    fixed_quantity: float = 0.0
    periods: int = 1

    def __post_init__(self) -> None:
        if self.rule == "fixed" and self.fixed_quantity <= 0:
            raise ValueError("a fixed order quantity must be positive")
        if self.rule == "period" and self.periods < 1:
            raise ValueError("a period order quantity covers at least one period")
        if self.rule not in ("lot_for_lot", "fixed", "period"):
            raise ValueError(f"unknown lot-sizing rule {self.rule!r}")

    @classmethod
    def lot_for_lot(cls) -> LotSizing:
        """Order exactly each bucket's net requirement."""
        return cls()

    @classmethod
    def fixed(cls, quantity: float) -> LotSizing:
        """Order the fixed quantity, or as many of it as one bucket's net requirement takes."""
        return cls(rule="fixed", fixed_quantity=quantity)

    @classmethod
    def period(cls, periods: int) -> LotSizing:
        """Order the net requirements of this many buckets at once, from the first one short."""
        return cls(rule="period", periods=periods)


LOT_FOR_LOT = LotSizing()


@dataclass(frozen=True, slots=True)
class BomLine:
    """One component of a parent; effective in buckets [from, to) of the parent's release."""

    component_id: ItemId
    quantity_per: float
    scrap_percent: float = 0.0
    effective_from_bucket: int | None = None
    effective_to_bucket: int | None = None

    @property
    def gross_quantity_per(self) -> float:
        """Quantity per parent including the scrap allowance."""
        return self.quantity_per * (1.0 + self.scrap_percent / 100.0)

    def effective_in(self, bucket: int) -> bool:
        """Whether this line applies to a parent order released in the bucket."""
        starts = self.effective_from_bucket is None or self.effective_from_bucket <= bucket
        return starts and (self.effective_to_bucket is None or bucket < self.effective_to_bucket)


class Demand(NamedTuple):
    """Independent demand in a bucket, named by what it came from for pegging.

    A named tuple, not a dataclass: a full run builds one per forecast bucket (over a hundred
    thousand at 10,000 items), and a frozen dataclass costs several times more to make.
    """

    bucket: int
    quantity: float
    source: DemandSource


@dataclass(frozen=True, slots=True)
class ScheduledReceipt:
    """An open order: MRP nets it in `bucket` (confirmed else requested for POs, due for WOs)."""

    receipt_id: str
    quantity: float
    bucket: int
    kind: ReceiptKind = "purchase_order"
    requested_bucket: int | None = None
    confirmed_bucket: int | None = None

    @classmethod
    def purchase_order(
        cls,
        receipt_id: str,
        quantity: float,
        *,
        requested_bucket: int,
        confirmed_bucket: int | None = None,
    ) -> ScheduledReceipt:
        """An open PO line, expected at the supplier's confirmed bucket, else the requested one."""
        bucket = requested_bucket if confirmed_bucket is None else confirmed_bucket
        return cls(
            receipt_id, quantity, bucket, "purchase_order", requested_bucket, confirmed_bucket
        )

    @classmethod
    def work_order(cls, receipt_id: str, quantity: float, *, due_bucket: int) -> ScheduledReceipt:
        """An open work order, expected at its due bucket."""
        return cls(receipt_id, quantity, due_bucket, "work_order")


@dataclass(frozen=True, slots=True)
class Item:
    """One item at one plant with its planning parameters, structure, demand and open orders."""

    item_id: ItemId
    low_level_code: int
    make_or_buy: MakeOrBuy
    lead_time: int
    on_hand: float = 0.0
    safety_stock: float = 0.0
    lot_sizing: LotSizing = LOT_FOR_LOT
    minimum_order_quantity: float = 0.0
    order_multiple: float = 0.0
    bom: tuple[BomLine, ...] = ()
    demands: tuple[Demand, ...] = ()
    scheduled_receipts: tuple[ScheduledReceipt, ...] = ()
    supplier_id: str | int | None = None
    # Gross requirements per bucket from parents outside this run (a net change's parents above
    # its items, which keep their stored plan): added to the demand as they are, not pegged.
    outside_requirements: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class PlanningInput:
    """Everything one MRP run plans: the horizon and the items (holds already excluded)."""

    horizon: Horizon
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """The time-phased MRP record of one item, one value per bucket."""

    item_id: ItemId
    gross_requirements: np.ndarray
    scheduled_receipts: np.ndarray
    projected_on_hand: np.ndarray
    net_requirements: np.ndarray
    planned_receipts: np.ndarray
    planned_releases: np.ndarray


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """A planned order: released in one bucket, due in another; past due if released late."""

    item_id: ItemId
    kind: MakeOrBuy
    quantity: float
    release_bucket: int
    due_bucket: int
    supplier_id: str | int | None = None
    past_due: bool = False


@dataclass(frozen=True, slots=True)
class MrpException:
    """A condition a planner must act on; bucket is where it starts, to_bucket where to move."""

    kind: ExceptionKind
    item_id: ItemId
    bucket: int
    quantity: float
    reason: str
    to_bucket: int | None = None
    receipt_id: str | None = None


@dataclass(frozen=True, slots=True)
class Peg:
    """Part of a supply that serves one demand: supply_id is the receipt id or the due bucket."""

    item_id: ItemId
    supply_kind: SupplyKind
    supply_id: str | int | None
    demand_item_id: ItemId
    demand_source: DemandSource
    quantity: float


@dataclass(frozen=True, slots=True)
class DirectPeg:
    """Part of a supply serving one demand a level up: independent, or a parent planned order."""

    item_id: ItemId
    supply_kind: SupplyKind
    supply_id: str | int | None
    quantity: float
    demand_source: DemandSource | None = None
    parent_item_id: ItemId | None = None
    parent_due_bucket: int | None = None
