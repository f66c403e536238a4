"""Open orders against need: when each is needed, and the advice to move, cancel or chase it."""

from __future__ import annotations

import numpy as np

from planning.mrp.lot_sizing import TOLERANCE
from planning.mrp.tables import CANCEL, LATE_CONFIRMATION, NONE, RESCHEDULE_IN, RESCHEDULE_OUT


def exclusive_running_total(owner: np.ndarray, quantity: np.ndarray) -> np.ndarray:
    """Per owner (sorted), the sum of the quantities before each row."""
    if quantity.size == 0:
        return quantity.copy()
    running = np.cumsum(quantity) - quantity
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    return running - np.repeat(running[first], np.diff(np.r_[first, owner.size]))


def need_buckets(
    cumulative_gross: np.ndarray,
    receipt_row: np.ndarray,
    supply_before: np.ndarray,
    safety_stock: np.ndarray,
    today: int,
) -> np.ndarray:
    """The bucket each open order is needed in; bucket_count when never within the horizon.

    An open order is needed from the first bucket where on hand plus the open orders due
    before it no longer cover cumulative gross requirements plus safety stock.
    """
    buckets = cumulative_gross.shape[1]
    if receipt_row.size == 0:
        return np.zeros(0, dtype=np.int64)
    uncovered = cumulative_gross[receipt_row] > (supply_before - safety_stock)[:, None] + TOLERANCE
    need = np.where(uncovered.any(axis=1), uncovered.argmax(axis=1), buckets)
    return np.maximum(need, today)


def receipt_exceptions(
    item: np.ndarray,
    ordinal: np.ndarray,
    bucket: np.ndarray,
    need: np.ndarray,
    quantity: np.ndarray,
    is_purchase: np.ndarray,
    requested: np.ndarray,
    confirmed: np.ndarray,
    buckets: int,
) -> tuple[np.ndarray, ...]:
    """Reschedule in/out, cancel and late confirmation advice for open orders, as columns."""
    within = bucket < buckets
    needed = need < buckets
    kinds = (
        (RESCHEDULE_IN, need < bucket, bucket, need, NONE),
        (RESCHEDULE_OUT, within & needed & (need > bucket), bucket, need, NONE),
        (CANCEL, within & ~needed, bucket, np.full(bucket.size, NONE), NONE),
        (
            LATE_CONFIRMATION,
            is_purchase
            & needed
            & (confirmed >= 0)
            & (requested >= 0)
            & (confirmed > need)
            & (confirmed > requested),
            confirmed,
            need,
            requested,
        ),
    )
    columns: list[list[np.ndarray]] = [[] for _ in range(7)]
    for kind, mask, at, to, detail in kinds:
        rows = np.flatnonzero(mask)
        detail_column = np.full(rows.size, NONE) if np.isscalar(detail) else detail[rows]
        for column, values in zip(
            columns,
            (
                np.full(rows.size, kind),
                item[rows],
                at[rows],
                to[rows],
                quantity[rows],
                ordinal[rows],
                detail_column,
            ),
            strict=True,
        ):
            column.append(values)
    return tuple(np.concatenate(column) for column in columns)
