"""Net requirements and lot sizing for many items at once, one bucket after another."""

from __future__ import annotations

import numpy as np

from planning.mrp.network import FIXED, LOT_FOR_LOT, PERIOD

# Quantities below this are float noise, not requirements: no planned order for 1e-12 units.
TOLERANCE = 1e-7


def _period_cover(shortfall: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """For each bucket, the largest shortfall over it and the next periods-1 buckets."""
    cover = shortfall.copy()
    for ahead in range(1, int(periods.max(initial=1))):
        reaches = (ahead < periods)[:, None]
        later = shortfall[:, ahead:]
        window = cover[:, :-ahead]
        np.copyto(window, np.maximum(window, later), where=reaches)
    return cover


def plan_lots(
    projected: np.ndarray,
    safety_stock: np.ndarray,
    rule: np.ndarray,
    fixed_quantity: np.ndarray,
    periods: np.ndarray,
    minimum: np.ndarray,
    multiple: np.ndarray,
    today: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Planned receipts and net requirements that keep projected on hand at safety stock.

    `projected` is on hand plus scheduled receipts less gross requirements, cumulated per
    bucket, before any planned order. A bucket is short when that balance, plus the planned
    receipts so far, falls below safety stock; the planned receipt lands in that bucket.
    """
    items, buckets = projected.shape
    planned = np.zeros((items, buckets))
    net = np.zeros((items, buckets))
    if items == 0 or today >= buckets:
        return planned, net
    # shortfall[t]: what bucket t lacks to reach safety stock before any planned receipt.
    shortfall = safety_stock[:, None] - projected[:, today:]
    shortfall[shortfall <= TOLERANCE] = 0.0

    # Without a minimum, cumulative planned receipts follow the running maximum of the
    # shortfall, rounded up to the step: lot-for-lot (step 0 or the multiple) or a fixed
    # quantity that the multiple divides. Only the other rules need bucket after bucket.
    step = np.where(rule == FIXED, fixed_quantity, multiple)
    fixed_divides = np.mod(fixed_quantity, np.where(multiple > 0, multiple, 1.0)) == 0
    closed = (minimum <= 0) & (
        (rule == LOT_FOR_LOT) | ((rule == FIXED) & ((multiple <= 0) | fixed_divides))
    )
    if closed.any():
        short = shortfall[closed]
        stepped = step[closed][:, None]
        covered = np.maximum.accumulate(short, axis=1)
        covered = np.where(
            stepped > 0,
            np.ceil(covered / np.where(stepped > 0, stepped, 1.0) - 1e-9) * stepped,
            covered,
        )
        before = np.zeros_like(covered)
        before[:, 1:] = covered[:, :-1]
        receipts = covered - before
        receipts[receipts <= TOLERANCE] = 0.0
        planned[closed, today:] = receipts
        net[closed, today:] = np.where(receipts > 0, short - before, 0.0)

    rows = np.flatnonzero(~closed)
    if rows.size == 0:
        return planned, net
    lots, nets = _bucket_by_bucket(
        shortfall[rows],
        rule[rows],
        fixed_quantity[rows],
        periods[rows],
        minimum[rows],
        multiple[rows],
    )
    planned[rows, today:] = lots
    net[rows, today:] = nets
    return planned, net


def _bucket_by_bucket(
    shortfall: np.ndarray,
    rule: np.ndarray,
    fixed_quantity: np.ndarray,
    periods: np.ndarray,
    minimum: np.ndarray,
    multiple: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Planned receipts bucket after bucket, for rules whose lot depends on earlier lots."""
    is_period, is_fixed, has_multiple = rule == PERIOD, rule == FIXED, multiple > 0
    fixed = np.where(is_fixed, fixed_quantity, 1.0)
    step = np.where(has_multiple, multiple, 1.0)
    # Bucket-major copies, so each step reads and writes one contiguous row.
    short_by_bucket = np.ascontiguousarray(shortfall.T)
    if is_period.any():
        cover_by_bucket = np.ascontiguousarray(
            _period_cover(shortfall, np.where(is_period, periods, 1)).T
        )
    else:
        cover_by_bucket = short_by_bucket
    lots = np.zeros_like(short_by_bucket)
    nets = np.zeros_like(short_by_bucket)
    covered = np.zeros(shortfall.shape[0])
    for bucket in range(short_by_bucket.shape[0]):
        short = short_by_bucket[bucket] - covered
        needs = short > TOLERANCE
        if not needs.any():
            continue
        quantity = np.where(is_period, cover_by_bucket[bucket] - covered, short)
        quantity = np.where(is_fixed, np.ceil(quantity / fixed - 1e-9) * fixed, quantity)
        quantity = np.maximum(quantity, minimum)
        quantity = np.where(has_multiple, np.ceil(quantity / step - 1e-9) * step, quantity)
        quantity *= needs
        lots[bucket] = quantity
        nets[bucket] = short * needs
        covered += quantity
    return lots.T, nets.T
