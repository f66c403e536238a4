from rest_framework import viewsets

from execution import filters, selectors
from execution.api import serializers

READ = {"read": "execution:read"}


class ExecutionViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    required_scopes = READ


class InventoryBalanceViewSet(ExecutionViewSet):
    """Stock per item and plant: on hand, on quality hold, available (on hand − on hold)."""

    queryset = selectors.balances()
    serializer_class = serializers.InventoryBalanceSerializer
    filterset_class = filters.InventoryBalanceFilter


class InventoryTransactionViewSet(ExecutionViewSet):
    """The append-only ledger: one row per movement, signed, in the item's base unit."""

    queryset = selectors.movements()
    serializer_class = serializers.InventoryTransactionSerializer
    filterset_class = filters.InventoryTransactionFilter


class WorkOrderViewSet(ExecutionViewSet):
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    queryset = selectors.work_orders()
    serializer_class = serializers.WorkOrderSerializer
    filterset_class = filters.WorkOrderFilter


class InventoryMismatchViewSet(ExecutionViewSet):
    """Differences between another system's snapshot and Weft's stock as of the same time."""

    queryset = selectors.mismatches()
    serializer_class = serializers.InventoryMismatchSerializer
    filterset_class = filters.InventoryMismatchFilter
