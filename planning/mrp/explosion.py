"""Dependent demand: parent planned releases exploded through the BOM lines effective then."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planning.mrp.network import Network


def expand_ranges(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Concatenated ranges start[i] .. start[i] + count[i] - 1."""
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(count) - count
    return np.repeat(start - offsets, count) + np.arange(total)


def dependent_requirements(
    network: Network, planned_releases: np.ndarray, components: np.ndarray
) -> np.ndarray:
    """Gross requirements the parents' planned releases put on these components, per bucket.

    Dense: each BOM line scales its parent's release row; lines are summed per component in
    one fixed order, so a full and a net-change run add them up identically.
    """
    buckets = planned_releases.shape[1]
    count = network.edges_of_component_count[components]
    required = np.zeros((components.size, buckets))
    edges = expand_ranges(network.edges_of_component_start[components], count)
    if edges.size == 0:
        return required
    contribution = (
        planned_releases[network.edge_parent[edges]] * network.edge_factor[edges][:, None]
    )
    if not network.edges_all_apply:
        # A BOM revision applies to parent orders released while it is effective.
        bucket = np.arange(buckets)
        contribution *= (network.edge_from[edges][:, None] <= bucket) & (
            bucket < network.edge_to[edges][:, None]
        )
    used = count > 0
    required[used] = np.add.reduceat(contribution, (np.cumsum(count) - count)[used], axis=0)
    return required


@dataclass(frozen=True, slots=True)
class DependentDemand:
    """One row per parent planned order and BOM line into a component, at the parent's release."""

    component: np.ndarray
    bucket: np.ndarray
    quantity: np.ndarray
    order: np.ndarray
    edge: np.ndarray


def explode(
    network: Network,
    order_release: np.ndarray,
    order_quantity: np.ndarray,
    order_start_of_item: np.ndarray,
    order_count_of_item: np.ndarray,
    components: np.ndarray,
) -> DependentDemand:
    """Requirements on the components from every parent order: release × quantity per × (1 + scrap).

    Rows come component by component, then BOM line, then the parent's orders by due bucket,
    so sums over them add up in the same order in a full and a net-change run.
    """
    edges = expand_ranges(
        network.edges_of_component_start[components], network.edges_of_component_count[components]
    )
    parents = network.edge_parent[edges]
    count = order_count_of_item[parents]
    order = expand_ranges(order_start_of_item[parents], count)
    edge = np.repeat(edges, count)
    release = order_release[order]
    factor = network.edge_factor[edge]
    if not network.edges_all_apply:
        # A BOM revision applies to parent orders released while it is effective.
        keep = (
            (network.edge_from[edge] <= release) & (release < network.edge_to[edge]) & (factor > 0)
        )
        order, edge, release, factor = order[keep], edge[keep], release[keep], factor[keep]
    return DependentDemand(
        component=network.edge_component[edge],
        bucket=release,
        quantity=order_quantity[order] * factor,
        order=order,
        edge=edge,
    )
