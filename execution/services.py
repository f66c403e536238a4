"""Every write to stock and work orders. Callers pass canonical codes; writers are system codes or `weft`.

All stock movements go through `inventory_post`: one ledger row and the balance it changes, in
one transaction, with the balance row locked. A `(source system, transaction key)` is applied
once: a repeat that describes the same movement is a no-op, one that describes another
movement is refused.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from execution.models import (
    InventoryBalance,
    InventoryTransaction,
    PlantTolerance,
    QualityHold,
    WorkOrder,
)
from integrations.atomic import service_atomic
from integrations.errors import ApplicationError
from integrations.history import current_actor
from integrations.memo import memoized
from integrations.outbox import emit
from integrations.ownership import WEFT, ownership_check
from masterdata.models import Bom, BomLine, Item, Plant
from masterdata.services import resolve
from masterdata.units import convert_quantity

Kind = InventoryTransaction.Kind
SIX_PLACES = Decimal("0.000001")
DEFAULT_OVER_COMPLETION_PERCENT = Decimal("10")


def quantity_text(value: Decimal) -> str:
    """A decimal string as MESSAGES.md writes quantities: `12.5`, `3`, `-2.25`."""
    text = f"{Decimal(value).normalize():f}"
    return "0" if text in ("-0", "0") else text


def shown(value) -> str:
    """A value as the sender wrote it, give or take the trailing zeros a decimal field adds."""
    return quantity_text(value) if isinstance(value, Decimal) else str(value)


def item_for(code: str, field: str) -> Item:
    """The item with this canonical code and its base unit, or an error naming the field."""
    item = Item.objects.select_related("base_uom").filter(code=code).first()
    if item is None:
        raise ApplicationError(f"Unknown item '{code}'.", {"field": field, "value": code})
    return item


def base_quantity(item: Item, quantity, uom: str, *, field: str = "quantity") -> Decimal:
    """`quantity uom` of the item in its base unit, rounded to the ledger's six places."""
    try:
        amount = Decimal(quantity)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ApplicationError(
            f"{field} must be a decimal number.", {"field": field, "value": shown(quantity)}
        ) from error
    if uom != item.base_uom.code:
        amount = convert_quantity(item=item, quantity=amount, from_uom=uom)
    rounded = amount.quantize(SIX_PLACES)
    if abs(rounded) >= Decimal(10) ** 12:
        raise ApplicationError(
            f"{field} {quantity} {uom} is beyond what Weft can book.",
            {"field": field, "value": shown(quantity)},
        )
    return rounded


def positive(quantity: Decimal, entered, *, field: str = "quantity") -> Decimal:
    if quantity <= 0:
        raise ApplicationError(
            f"{field} must be above zero; {entered} was given.",
            {"field": field, "value": shown(entered)},
        )
    return quantity


def plant_tolerance(plant: Plant) -> PlantTolerance:
    """The plant's tolerances with the global defaults filled in (unsaved, never to be saved)."""
    try:
        own = plant.tolerance
    except PlantTolerance.DoesNotExist:
        own = PlantTolerance(plant=plant)
    weft = settings.WEFT

    def value(mine, name: str, default) -> Decimal:
        return mine if mine is not None else Decimal(str(weft.get(name, default)))

    return PlantTolerance(
        plant=plant,
        over_completion_percent=value(
            own.over_completion_percent, "OVER_COMPLETION_PERCENT", DEFAULT_OVER_COMPLETION_PERCENT
        ),
        mismatch_quantity=value(own.mismatch_quantity, "MISMATCH_TOLERANCE_QUANTITY", "0"),
        mismatch_percent=value(own.mismatch_percent, "MISMATCH_TOLERANCE_PERCENT", "0"),
    )


def _occurred(occurred_at: datetime | None) -> datetime:
    # A movement cannot have happened after Weft heard of it; a sender's clock ahead of ours
    # would otherwise hide it from every as-of balance until that time.
    now = timezone.now()
    return now if occurred_at is None or occurred_at > now else occurred_at


def locked_balance(item: Item, plant: Plant) -> InventoryBalance:
    """The balance row, locked for this transaction; made (at zero) the first time.

    The unique (item, plant) constraint makes two first-time writers meet: one inserts, the other
    waits for its commit, gets the IntegrityError, and reads and locks the committed row.
    """
    balance, _ = InventoryBalance.objects.select_for_update().get_or_create(item=item, plant=plant)
    balance.item, balance.plant = item, plant
    return balance


def _add_on_hand(item: Item, plant: Plant, quantity: Decimal) -> InventoryBalance:
    """Add to the balance's on hand in one statement, which locks its row till commit.

    `UPDATE ... SET on_hand = on_hand + q` waits for a concurrent writer's lock like SELECT FOR
    UPDATE does and then adds to the committed value, so this is one round trip where the lock,
    the read and the write were three. The first movement of a pair makes the row.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {InventoryBalance._meta.db_table} SET on_hand = on_hand + %s, updated_at = %s "
            "WHERE item_id = %s AND plant_id = %s RETURNING id, on_hand, on_hold",
            [quantity, now, item.pk, plant.pk],
        )
        row = cursor.fetchone()
    if row is None:
        balance = locked_balance(item, plant)
        balance.on_hand += quantity
        balance.save(update_fields=["on_hand", "updated_at"])
        return balance
    balance_id, on_hand, on_hold = row
    return InventoryBalance(
        id=balance_id, item=item, plant=plant, on_hand=on_hand, on_hold=on_hold, updated_at=now
    )


def inventory_changed(
    balance: InventoryBalance, *, cause: str, quantity: Decimal, reference: str = ""
) -> None:
    """Tell planning that an item's stock at a plant changed, and to what."""
    item, plant = balance.item, balance.plant
    emit(
        "inventory.changed",
        {
            "item": item.code,
            "plant": plant.code,
            "uom": item.base_uom.code,
            "on_hand": quantity_text(balance.on_hand),
            "on_hold": quantity_text(balance.on_hold),
            "available": quantity_text(balance.available),
            "cause": cause,
            "quantity": quantity_text(quantity),
            "reference": reference,
        },
        key=f"inventory:{plant.code}:{item.code}",
    )


def _insert_once(movement: InventoryTransaction) -> bool:
    """Insert the ledger row unless its (source system, key) is booked; True when this inserted it.

    `ON CONFLICT DO NOTHING` waits for a concurrent insert of the same key to commit or roll back,
    as the unique index made a plain insert do, but needs no savepoint to survive the duplicate:
    one round trip where a caught IntegrityError took three. Any other violation still raises.
    """
    meta = InventoryTransaction._meta
    quote = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(movement, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            "ON CONFLICT (source_system, transaction_key) DO NOTHING "
            f"RETURNING {quote(meta.pk.column)}",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return False
    movement.pk = row[0]
    movement._state.adding, movement._state.db = False, connection.alias
    return True


@dataclass
class Posting:
    movement: InventoryTransaction
    created: bool
    balance: InventoryBalance | None = None


def posted_before(
    *, source_system: str, transaction_key: str, kind: str, item: Item, plant: Plant, quantity
) -> InventoryTransaction | None:
    """The earlier posting of this key when it is the same movement; refuse a key reused for another."""
    earlier = InventoryTransaction.objects.filter(
        source_system=source_system, transaction_key=transaction_key
    ).first()
    if earlier is None:
        return None
    if not earlier.same_movement(
        kind=kind, item_id=item.pk, plant_id=plant.pk, quantity=Decimal(quantity)
    ):
        raise ApplicationError(
            f"Transaction {transaction_key} from {source_system} was posted before as another "
            f"movement (ledger row {earlier.pk}: {earlier.kind} of {quantity_text(earlier.quantity)} "
            f"for item id {earlier.item_id} at plant id {earlier.plant_id}).",
            {"field": "transaction_id", "value": transaction_key},
        )
    return earlier


# No savepoint of its own: every caller is a service with its own transaction (or none), and a
# refusal here fails the whole movement anyway. This is the hot path of every MES event.
@transaction.atomic(savepoint=False)
def inventory_post(
    *,
    kind: str,
    item: Item,
    plant: Plant,
    quantity: Decimal,
    source_system: str,
    transaction_key: str,
    entered_quantity: Decimal | None = None,
    entered_uom: str = "",
    reference: str = "",
    reason: str = "",
    work_order: WorkOrder | None = None,
    occurred_at: datetime | None = None,
    message_id: str = "",
) -> Posting:
    """Book one movement (signed, base unit) and its balance together; a repeated key books nothing."""
    if kind not in Kind.values:
        raise ApplicationError(f"Unknown movement kind '{kind}'.", {"field": "kind", "value": kind})
    quantity = Decimal(quantity).quantize(SIX_PLACES)
    if quantity == 0:
        raise ApplicationError(
            "A movement needs a quantity other than zero.",
            {"field": "quantity", "value": quantity_text(quantity)},
        )
    if not transaction_key:
        raise ApplicationError(
            "A movement needs a transaction key.", {"field": "transaction_id", "value": ""}
        )
    now = timezone.now()
    movement = InventoryTransaction(
        kind=kind,
        item=item,
        plant=plant,
        quantity=quantity,
        entered_quantity=quantity if entered_quantity is None else entered_quantity,
        entered_uom=entered_uom or item.base_uom.code,
        source_system=source_system,
        transaction_key=transaction_key[:200],
        reference=reference[:200],
        reason=reason[:300],
        work_order=work_order,
        occurred_at=_occurred(occurred_at),
        recorded_at=now,
        message_id=message_id,
    )
    if not _insert_once(movement):
        # The key was booked first by another message (committed by now: the unique index made
        # this insert wait for it). The same movement again is a no-op; another one is refused.
        earlier = posted_before(
            source_system=source_system,
            transaction_key=movement.transaction_key,
            kind=kind,
            item=item,
            plant=plant,
            quantity=quantity,
        )
        if earlier is None:  # booked and gone again meanwhile: cannot happen to a ledger
            raise IntegrityError(f"Ledger key {movement.transaction_key} conflicted but is absent.")
        return Posting(earlier, created=False)
    balance = _add_on_hand(item, plant, quantity)
    inventory_changed(balance, cause=kind, quantity=quantity, reference=reference)
    return Posting(movement, created=True, balance=balance)


def _writer_message_id() -> str:
    actor = current_actor()
    return actor.message_id if actor else ""


@service_atomic
def inventory_adjust(
    *,
    transaction_id: str,
    plant: str,
    item: str,
    quantity: Decimal,
    uom: str,
    reason: str = "",
    occurred_at: datetime | None = None,
    writer: str = WEFT,
) -> Posting:
    """Correct stock by a signed quantity (a count, a write-off); zero is refused."""
    ownership_check(object_type="inventory", writer=writer)
    item_row = item_for(item, "item")
    plant_row = resolve(Plant, plant, "plant")
    amount = base_quantity(item_row, quantity, uom)
    if amount == 0:
        raise ApplicationError(
            "An adjustment must change stock; a quantity of zero was given.",
            {"field": "quantity", "value": shown(quantity)},
        )
    return inventory_post(
        kind=Kind.ADJUSTMENT,
        item=item_row,
        plant=plant_row,
        quantity=amount,
        entered_quantity=Decimal(quantity),
        entered_uom=uom,
        source_system=writer,
        transaction_key=transaction_id,
        reference=f"adjustment:{transaction_id}",
        reason=reason,
        occurred_at=occurred_at,
        message_id=_writer_message_id(),
    )


@transaction.atomic
def inventory_receive(
    *,
    item: Item | str,
    plant: Plant | str,
    quantity: Decimal,
    uom: str,
    transaction_key: str,
    reference: str,
    received_at: datetime | None = None,
    source_system: str = WEFT,
) -> Posting:
    """Book goods received at a plant (procurement calls this per receipt line); once per key."""
    item_row = item if isinstance(item, Item) else item_for(item, "item")
    plant_row = plant if isinstance(plant, Plant) else resolve(Plant, plant, "plant")
    amount = positive(base_quantity(item_row, quantity, uom), quantity)
    return inventory_post(
        kind=Kind.RECEIPT,
        item=item_row,
        plant=plant_row,
        quantity=amount,
        entered_quantity=Decimal(quantity),
        entered_uom=uom,
        source_system=source_system,
        transaction_key=transaction_key,
        reference=reference,
        occurred_at=received_at,
        message_id=_writer_message_id(),
    )


@transaction.atomic
def inventory_transfer(
    *,
    item: str,
    from_plant: str,
    to_plant: str,
    quantity: Decimal,
    uom: str,
    transaction_key: str,
    reference: str = "",
    writer: str = WEFT,
) -> tuple[Posting, Posting]:
    """Move stock between plants: one row out of the first, one into the second, both or neither."""
    ownership_check(object_type="inventory", writer=writer)
    item_row = item_for(item, "item")
    source = resolve(Plant, from_plant, "from_plant")
    target = resolve(Plant, to_plant, "to_plant")
    if source.pk == target.pk:
        raise ApplicationError(
            "A transfer needs two different plants.", {"field": "to_plant", "value": to_plant}
        )
    amount = positive(base_quantity(item_row, quantity, uom), quantity)
    # Lock both balances in a fixed order so two opposite transfers cannot deadlock.
    for plant_row in sorted((source, target), key=lambda p: p.pk):
        locked_balance(item_row, plant_row)
    common = {
        "kind": Kind.TRANSFER,
        "item": item_row,
        "entered_quantity": Decimal(quantity),
        "entered_uom": uom,
        "source_system": writer,
        "reference": reference or f"transfer:{transaction_key}",
    }
    out = inventory_post(
        **common, plant=source, quantity=-amount, transaction_key=f"{transaction_key}:out"
    )
    into = inventory_post(
        **common, plant=target, quantity=amount, transaction_key=f"{transaction_key}:in"
    )
    return out, into


def work_order_changed(order: WorkOrder) -> None:
    emit(
        "work_order.changed",
        {
            "number": order.number,
            "item": order.item.code,
            "plant": order.plant.code,
            "uom": order.item.base_uom.code,
            "quantity": quantity_text(order.quantity),
            "completed_quantity": quantity_text(order.completed_quantity),
            "scrapped_quantity": quantity_text(order.scrapped_quantity),
            "open_quantity": quantity_text(order.open_quantity),
            "due_date": order.due_date.isoformat(),
            "status": order.status,
        },
        key=f"work_order:{order.number}",
    )


@transaction.atomic
def work_order_upsert(
    *,
    number: str,
    item: str,
    plant: str,
    quantity: Decimal,
    uom: str,
    due_date: date,
    status: str | None = None,
    writer: str = WEFT,
) -> WorkOrder:
    """Create or change a work order; its item and plant stay fixed once production was posted."""
    ownership_check(object_type="work_order", writer=writer)
    item_row = item_for(item, "item")
    plant_row = resolve(Plant, plant, "plant")
    amount = positive(base_quantity(item_row, quantity, uom), quantity)
    if status is not None and status not in WorkOrder.Status.values:
        raise ApplicationError(
            f"status '{status}' is not one of {', '.join(WorkOrder.Status.values)}.",
            {"field": "status", "value": status},
        )
    order = (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("item__base_uom", "plant")
        .filter(number=number)
        .first()
    )
    if order is None:
        order = WorkOrder.objects.create(
            number=number,
            item=item_row,
            plant=plant_row,
            quantity=amount,
            due_date=due_date,
            status=status or WorkOrder.Status.PLANNED,
            source_system=writer,
        )
        work_order_changed(order)
        return order
    moved = (order.item_id, order.plant_id) != (item_row.pk, plant_row.pk)
    if moved and order.movements.exists():
        raise ApplicationError(
            f"Work order {number} has production posted for {order.item.code} at "
            f"{order.plant.code}; its item and plant cannot change.",
            {"field": "item" if order.item_id != item_row.pk else "plant", "value": item},
        )
    values = {
        "item": item_row,
        "plant": plant_row,
        "quantity": amount,
        "due_date": due_date,
        "status": status or order.status,
    }
    changed = [name for name, value in values.items() if getattr(order, name) != value]
    if changed:
        for name in changed:
            setattr(order, name, values[name])
        order.save()
        work_order_changed(order)
    return order


def _work_order(number: str, *, lock: bool) -> WorkOrder:
    orders = WorkOrder.objects.select_related("item__base_uom", "plant__tolerance")
    if lock:
        # NO KEY UPDATE: the order's number and id stay, and a ledger row that references the
        # order (its foreign key check takes KEY SHARE) need not wait for this lock.
        orders = orders.select_for_update(of=("self",), no_key=True)
    order = orders.filter(number=number).first()
    if order is None:
        raise ApplicationError(
            f"Unknown work order '{number}'.", {"field": "work_order", "value": number}
        )
    return order


def _refuse_cancelled(order: WorkOrder) -> None:
    if order.status == WorkOrder.Status.CANCELLED:
        raise ApplicationError(
            f"Work order {order.number} is cancelled; no production is posted to it.",
            {"field": "work_order", "value": order.number},
        )


def effective_boms(order: WorkOrder, day: date):
    return Bom.objects.filter(parent_id=order.item_id, plant_id=order.plant_id).filter(
        Q(effective_from__isnull=True) | Q(effective_from__lte=day),
        Q(effective_to__isnull=True) | Q(effective_to__gte=day),
    )


def bom_component(order: WorkOrder, code: str, field: str = "item") -> Item:
    """The item `code` as a component of the order's BOM effective today, or why it is not one.

    The components of a parent's effective BOMs at a plant are read once per inbox drain
    (integrations.memo); outside a drain, once per call.
    """
    day = timezone.localdate()
    components = memoized(
        ("bom_components", order.item_id, order.plant_id, day),
        lambda: _effective_components(order, day),
    )
    if code in components:
        return components[code]
    boms = effective_boms(order, day)
    component = item_for(code, field)
    if not boms.exists():
        raise ApplicationError(
            f"{order.item.code} has no BOM effective at {order.plant.code} on {day} "
            f"(work order {order.number}); {component.code} cannot be checked against it.",
            {"field": field, "value": component.code},
        )
    raise ApplicationError(
        f"{component.code} is not on the BOM of {order.item.code} effective at "
        f"{order.plant.code} on {day} (work order {order.number}).",
        {"field": field, "value": component.code},
    )


def _effective_components(order: WorkOrder, day: date) -> dict[str, Item]:
    lines = BomLine.objects.filter(bom__in=effective_boms(order, day)).select_related(
        "component__base_uom"
    )
    return {line.component.code: line.component for line in lines.order_by()}


def _start(order: WorkOrder) -> None:
    """Production on a planned or released order means it is under way."""
    if order.status in (WorkOrder.Status.PLANNED, WorkOrder.Status.RELEASED):
        order.status = WorkOrder.Status.IN_PROGRESS
        order.save()
        work_order_changed(order)


@service_atomic
def production_consume(
    *,
    transaction_id: str,
    work_order: str,
    item: str,
    quantity: Decimal,
    uom: str,
    occurred_at: datetime | None = None,
    writer: str = WEFT,
) -> Posting:
    """Issue a component to a work order; only items on its effective BOM, only above zero."""
    ownership_check(object_type="production", writer=writer)
    order = _work_order(work_order, lock=False)
    _refuse_cancelled(order)
    component = bom_component(order, item)
    amount = positive(base_quantity(component, quantity, uom), quantity)
    # A repeated transaction id is caught by inventory_post (a no-op when it is the same movement).
    if order.status in (WorkOrder.Status.PLANNED, WorkOrder.Status.RELEASED):
        # Work order before balance, the order every production service locks in.
        order = _work_order(work_order, lock=True)
        _start(order)
    return inventory_post(
        kind=Kind.CONSUMPTION,
        item=component,
        plant=order.plant,
        quantity=-amount,
        entered_quantity=Decimal(quantity),
        entered_uom=uom,
        source_system=writer,
        transaction_key=transaction_id,
        reference=f"work_order:{order.number}",
        work_order=order,
        occurred_at=occurred_at,
        message_id=_writer_message_id(),
    )


@service_atomic
def production_complete(
    *,
    transaction_id: str,
    work_order: str,
    quantity: Decimal,
    uom: str,
    completed_at: datetime | None = None,
    writer: str = WEFT,
) -> Posting:
    """Receive finished quantity into stock and reduce what is open; at zero the order completes.

    Completing beyond the ordered quantity plus the plant's tolerance is refused.
    """
    ownership_check(object_type="production", writer=writer)
    order = _work_order(work_order, lock=True)
    amount = positive(base_quantity(order.item, quantity, uom), quantity)
    # Checked before the tolerance, under the order's lock: a retry of the last completion is a
    # no-op, not a refusal for going beyond the ordered quantity.
    earlier = posted_before(
        source_system=writer,
        transaction_key=transaction_id,
        kind=Kind.COMPLETION,
        item=order.item,
        plant=order.plant,
        quantity=amount,
    )
    if earlier is not None:
        return Posting(earlier, created=False)
    _refuse_cancelled(order)
    percent = plant_tolerance(order.plant).over_completion_percent
    limit = (order.quantity * (1 + percent / 100)).quantize(SIX_PLACES)
    total = order.completed_quantity + amount
    if total > limit:
        uom_code = order.item.base_uom.code
        raise ApplicationError(
            f"Completing {quantity_text(amount)} {uom_code} would bring work order "
            f"{order.number} to {quantity_text(total)} of {quantity_text(order.quantity)} "
            f"ordered, beyond the {quantity_text(percent)}% tolerance "
            f"({quantity_text(limit)} at most).",
            {"field": "quantity", "value": shown(quantity)},
        )
    posting = inventory_post(
        kind=Kind.COMPLETION,
        item=order.item,
        plant=order.plant,
        quantity=amount,
        entered_quantity=Decimal(quantity),
        entered_uom=uom,
        source_system=writer,
        transaction_key=transaction_id,
        reference=f"work_order:{order.number}",
        work_order=order,
        occurred_at=completed_at,
        message_id=_writer_message_id(),
    )
    if posting.created:
        order.completed_quantity = total
        order.status = (
            WorkOrder.Status.COMPLETED if order.open_quantity == 0 else WorkOrder.Status.IN_PROGRESS
        )
        order.save()
        work_order_changed(order)
    return posting


@service_atomic
def production_scrap(
    *,
    transaction_id: str,
    work_order: str,
    item: str,
    quantity: Decimal,
    uom: str,
    reason: str = "",
    occurred_at: datetime | None = None,
    writer: str = WEFT,
) -> Posting:
    """Write off scrapped stock of the order's item or one of its components, with the reason."""
    ownership_check(object_type="production", writer=writer)
    order = _work_order(work_order, lock=False)
    scrapped = item_for(item, "item")
    amount = positive(base_quantity(scrapped, quantity, uom), quantity)
    _refuse_cancelled(order)
    is_parent = scrapped.pk == order.item_id
    if is_parent:
        order = _work_order(work_order, lock=True)
    else:
        bom_component(order, scrapped.code)
    posting = inventory_post(
        kind=Kind.SCRAP,
        item=scrapped,
        plant=order.plant,
        quantity=-amount,
        entered_quantity=Decimal(quantity),
        entered_uom=uom,
        source_system=writer,
        transaction_key=transaction_id,
        reference=f"work_order:{order.number}",
        reason=reason,
        work_order=order,
        occurred_at=occurred_at,
        message_id=_writer_message_id(),
    )
    if posting.created and is_parent:
        order.scrapped_quantity += amount
        order.save()
        work_order_changed(order)
    return posting


@service_atomic
def quality_hold_place(
    *,
    hold_id: str,
    plant: str,
    item: str,
    quantity: Decimal,
    uom: str,
    reason: str = "",
    writer: str = WEFT,
) -> QualityHold:
    """Hold available stock from use; a hold needs that much available, and each hold id is placed once."""
    ownership_check(object_type="quality", writer=writer)
    item_row = item_for(item, "item")
    plant_row = resolve(Plant, plant, "plant")
    amount = positive(base_quantity(item_row, quantity, uom), quantity)
    balance = locked_balance(item_row, plant_row)
    earlier = QualityHold.objects.filter(source_system=writer, hold_id=hold_id).first()
    if earlier is not None:
        if (earlier.item_id, earlier.plant_id, earlier.placed_quantity) == (
            item_row.pk,
            plant_row.pk,
            amount,
        ):
            return earlier
        raise ApplicationError(
            f"Hold {hold_id} was placed before for {quantity_text(earlier.placed_quantity)} of "
            f"another item, plant or quantity; a hold id is placed once.",
            {"field": "hold_id", "value": hold_id},
        )
    if balance.available < amount:
        raise ApplicationError(
            f"Only {quantity_text(balance.available)} {item_row.base_uom.code} of {item_row.code} "
            f"is available at {plant_row.code}; a hold of {quantity_text(amount)} needs that much.",
            {"field": "quantity", "value": shown(quantity)},
        )
    hold = QualityHold.objects.create(
        hold_id=hold_id,
        source_system=writer,
        item=item_row,
        plant=plant_row,
        placed_quantity=amount,
        held_quantity=amount,
        reason=reason[:300],
    )
    balance.on_hold += amount
    balance.save(update_fields=["on_hold", "updated_at"])
    inventory_changed(balance, cause="hold_placed", quantity=amount, reference=f"hold:{hold_id}")
    return hold


@service_atomic
def quality_hold_release(
    *,
    hold_id: str,
    plant: str,
    item: str,
    quantity: Decimal,
    uom: str,
    reason: str = "",
    writer: str = WEFT,
) -> QualityHold:
    """Return held stock to available; never more than the hold still holds."""
    ownership_check(object_type="quality", writer=writer)
    item_row = item_for(item, "item")
    plant_row = resolve(Plant, plant, "plant")
    amount = positive(base_quantity(item_row, quantity, uom), quantity)
    balance = locked_balance(item_row, plant_row)
    hold = (
        QualityHold.objects.select_for_update()
        .filter(source_system=writer, hold_id=hold_id)
        .first()
    )
    if hold is None:
        raise ApplicationError(
            f"Unknown hold '{hold_id}' from {writer}.", {"field": "hold_id", "value": hold_id}
        )
    if hold.item_id != item_row.pk:
        raise ApplicationError(
            f"Hold {hold_id} is on another item, not {item_row.code}.",
            {"field": "item", "value": item},
        )
    if hold.plant_id != plant_row.pk:
        raise ApplicationError(
            f"Hold {hold_id} is at another plant, not {plant_row.code}.",
            {"field": "plant", "value": plant},
        )
    if amount > hold.held_quantity:
        raise ApplicationError(
            f"Releasing {quantity_text(amount)} is more than the {quantity_text(hold.held_quantity)} "
            f"hold {hold_id} still holds.",
            {"field": "quantity", "value": shown(quantity)},
        )
    hold.held_quantity -= amount
    if hold.held_quantity == 0:
        hold.status, hold.released_at = QualityHold.Status.RELEASED, timezone.now()
    if reason:
        hold.reason = f"{hold.reason}; released: {reason}"[:300] if hold.reason else reason[:300]
    hold.save()
    balance.on_hold -= amount
    balance.save(update_fields=["on_hold", "updated_at"])
    inventory_changed(balance, cause="hold_released", quantity=amount, reference=f"hold:{hold_id}")
    return hold


@dataclass(frozen=True)
class Drift:
    item: str
    plant: str
    stored_on_hand: Decimal
    ledger_on_hand: Decimal
    stored_on_hold: Decimal
    held: Decimal


def _ledger_sums(**lookup) -> dict[tuple[int, int], Decimal]:
    rows = (
        InventoryTransaction.objects.filter(**lookup)
        .order_by()
        .values("item_id", "plant_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "plant_id", "total")
    )
    return {(item_id, plant_id): total for item_id, plant_id, total in rows}


def _hold_sums(**lookup) -> dict[tuple[int, int], Decimal]:
    rows = (
        QualityHold.objects.filter(status=QualityHold.Status.OPEN, **lookup)
        .order_by()
        .values("item_id", "plant_id")
        .annotate(total=Sum("held_quantity"))
        .values_list("item_id", "plant_id", "total")
    )
    return {(item_id, plant_id): total for item_id, plant_id, total in rows}


def balances_rebuild(
    *, fix: bool = False, progress: Callable[[int], None] | None = None
) -> list[Drift]:
    """Recompute every balance from the ledger (on hand) and open holds (on hold); report drift.

    The scan is set-based and may race live postings, so every suspect pair is checked again
    with its balance locked before it is reported (and, with `fix`, corrected).
    """
    progress = progress or (lambda count: None)
    ledger, held = _ledger_sums(), _hold_sums()
    stored = {
        (item_id, plant_id): (on_hand, on_hold)
        for item_id, plant_id, on_hand, on_hold in InventoryBalance.objects.values_list(
            "item_id", "plant_id", "on_hand", "on_hold"
        )
    }
    zero = Decimal("0")
    suspects = []
    for pair in stored.keys() | ledger.keys() | held.keys():
        on_hand, on_hold = stored.get(pair, (None, None))
        if on_hand != ledger.get(pair, zero) or on_hold != held.get(pair, zero):
            suspects.append(pair)
        progress(1)
    drift = []
    for item_id, plant_id in sorted(suspects):
        found = _confirm_drift(item_id, plant_id, fix=fix)
        if found is not None:
            drift.append(found)
    return drift


@transaction.atomic
def _confirm_drift(item_id: int, plant_id: int, *, fix: bool) -> Drift | None:
    item = Item.objects.select_related("base_uom").get(pk=item_id)
    plant = Plant.objects.get(pk=plant_id)
    balance = locked_balance(item, plant)
    zero = Decimal("0")
    on_hand = _ledger_sums(item_id=item_id, plant_id=plant_id).get((item_id, plant_id), zero)
    on_hold = _hold_sums(item_id=item_id, plant_id=plant_id).get((item_id, plant_id), zero)
    if (balance.on_hand, balance.on_hold) == (on_hand, on_hold):
        return None
    found = Drift(item.code, plant.code, balance.on_hand, on_hand, balance.on_hold, on_hold)
    if fix:
        correction = on_hand - balance.on_hand
        balance.on_hand, balance.on_hold = on_hand, on_hold
        balance.save(update_fields=["on_hand", "on_hold", "updated_at"])
        inventory_changed(balance, cause="rebuilt", quantity=correction, reference="rebuild")
    return found
