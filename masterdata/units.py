"""Unit conversion, one rule for every caller: the item's own conversions first, then global ones.

A conversion row says `1 from = factor × to` and is used in both directions. When no direct
row exists, the shortest chain of rows is used (item rows preferred), so `g → kg → t` works
from two global rows.
"""

from collections import deque
from decimal import Decimal

from integrations.errors import ApplicationError
from masterdata.models import UomConversion

Edge = tuple[str, Decimal]


class UnitConverter:
    """Loads the conversions once; convert many quantities without a query each."""

    def __init__(self, rows: list[tuple[int | None, str, str, Decimal]]):
        self._global: dict[str, list[Edge]] = {}
        self._per_item: dict[int, dict[str, list[Edge]]] = {}
        for item_id, from_code, to_code, factor in rows:
            graph = self._global if item_id is None else self._per_item.setdefault(item_id, {})
            graph.setdefault(from_code, []).append((to_code, Decimal(factor)))
            graph.setdefault(to_code, []).append((from_code, Decimal(1) / Decimal(factor)))

    @classmethod
    def load(cls, item_ids=None) -> "UnitConverter":
        rows = UomConversion.objects.all()
        if item_ids is not None:
            from django.db.models import Q

            rows = rows.filter(Q(item__isnull=True) | Q(item_id__in=list(item_ids)))
        return cls(list(rows.values_list("item_id", "from_uom__code", "to_uom__code", "factor")))

    def factor(self, *, item_id: int | None, item_code: str, from_uom: str, to_uom: str) -> Decimal:
        if from_uom == to_uom:
            return Decimal(1)
        item_graph = self._per_item.get(item_id, {}) if item_id is not None else {}
        for graph in (item_graph, self._global):
            for target, factor in graph.get(from_uom, ()):
                if target == to_uom:
                    return factor
        chained = self._shortest_chain(item_graph, from_uom, to_uom)
        if chained is None:
            raise ApplicationError(
                f"No conversion from {from_uom} to {to_uom} for item {item_code}.",
                {"field": "uom", "value": from_uom, "item": item_code, "to_uom": to_uom},
            )
        return chained

    def convert(
        self, quantity: Decimal, *, item_id: int | None, item_code: str, from_uom: str, to_uom: str
    ) -> Decimal:
        return Decimal(quantity) * self.factor(
            item_id=item_id, item_code=item_code, from_uom=from_uom, to_uom=to_uom
        )

    def _shortest_chain(self, item_graph, start: str, goal: str) -> Decimal | None:
        def neighbours(unit: str):
            yield from item_graph.get(unit, ())
            yield from self._global.get(unit, ())

        seen = {start}
        queue: deque[tuple[str, Decimal]] = deque([(start, Decimal(1))])
        while queue:
            unit, factor = queue.popleft()
            for target, step in neighbours(unit):
                if target in seen:
                    continue
                if target == goal:
                    return factor * step
                seen.add(target)
                queue.append((target, factor * step))
        return None


def convert_quantity(
    *, item, quantity: Decimal, from_uom: str, to_uom: str | None = None
) -> Decimal:
    """Convert a quantity of `item` into `to_uom` (default: the item's base unit)."""
    target = to_uom or item.base_uom.code
    converter = UnitConverter.load(item_ids=[item.pk])
    return converter.convert(
        quantity, item_id=item.pk, item_code=item.code, from_uom=from_uom, to_uom=target
    )
