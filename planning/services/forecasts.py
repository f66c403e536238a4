"""Forecast versions: publish, submit, approve, reject, activate; and the difference of two.

A version moves draft → submitted → approved → active; activating one supersedes the plan's
active version at that plant in the same transaction, and tells the ERP with
`forecast.approved`. Only planners approve, reject and activate; a source system's
`ForecastPolicy` may approve (and activate) what it publishes without one.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from integrations.errors import ApplicationError, NotFoundError
from integrations.history import acting_as
from integrations.models import ExternalSystem
from integrations.outbox import emit
from integrations.ownership import WEFT
from integrations.roles import PLANNERS
from masterdata.models import Item, Plant
from masterdata.services import resolve
from masterdata.units import UnitConverter
from planning.models import ForecastLine, ForecastPolicy, ForecastVersion

Status = ForecastVersion.Status
Bucket = ForecastVersion.Bucket
SIX_PLACES = Decimal("0.000001")
LIMIT = Decimal(10) ** 12
APPROVED_EVENT = "forecast.approved"
# A version may take other content while nobody has approved it yet.
REPLACEABLE = (Status.DRAFT, Status.SUBMITTED)


def quantity_text(value: Decimal) -> str:
    """A decimal string as MESSAGES.md writes quantities: `12.5`, `3`."""
    text = f"{Decimal(value).normalize():f}"
    return "0" if text in ("-0", "0") else text


def is_planner(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    groups = getattr(user, "groups", None)  # an API key's system has none: it is no planner
    return groups is not None and groups.filter(name=PLANNERS).exists()


def _refuse_non_planner(user, doing: str) -> None:
    if not is_planner(user):
        name = getattr(user, "username", None) or "this caller"
        raise ApplicationError(
            f"Only a planner {doing}; {name} is not one.",
            {"field": "acting_user", "value": name},
            status_code=403,
        )


def _conflict(message: str, field: str, value) -> ApplicationError:
    return ApplicationError(message, {"field": field, "value": value}, status_code=409)


def period_aligned(bucket: str, day: date) -> bool:
    """Weeks start on Monday, months on the 1st; any day starts a day bucket."""
    if bucket == Bucket.WEEK:
        return day.weekday() == 0
    if bucket == Bucket.MONTH:
        return day.day == 1
    return True


def period_end(bucket: str, start: date) -> date:
    """The first day after the bucket that starts on `start`."""
    if bucket == Bucket.WEEK:
        return start + timedelta(days=7)
    if bucket == Bucket.MONTH:
        return start + timedelta(days=calendar.monthrange(start.year, start.month)[1])
    return start + timedelta(days=1)


def _version_number(version) -> str:
    text = str(version).strip()
    if not text.isdigit() or int(text) < 1:
        raise ApplicationError(
            f"version must be a whole number from 1; '{version}' was given.",
            {"field": "version", "value": str(version)},
        )
    return str(int(text))


@dataclass(frozen=True)
class _Line:
    item_id: int
    period_start: date
    quantity: Decimal


def _lines_in_base_units(bucket: str, lines: list[dict]) -> list[_Line]:
    """Resolve items, check periods and quantities, convert to base units; refuse the first fault."""
    if not lines:
        raise ApplicationError("A forecast needs at least one line.", {"field": "lines"})
    if bucket not in Bucket.values:
        raise ApplicationError(
            f"bucket '{bucket}' is not one of {', '.join(Bucket.values)}.",
            {"field": "bucket", "value": bucket},
        )
    codes = {str(line["item"]) for line in lines}
    items = {
        item.code: item
        for item in Item.objects.select_related("base_uom")
        .filter(code__in=codes)
        .only("id", "code", "base_uom__code")
    }
    converter = UnitConverter.load(item_ids=[item.pk for item in items.values()])
    seen: dict[tuple[int, date], int] = {}
    result = []
    for index, line in enumerate(lines):
        at = f"lines.{index}"
        item = items.get(str(line["item"]))
        if item is None:
            raise ApplicationError(
                f"{at}.item: unknown item '{line['item']}'.",
                {"field": f"{at}.item", "value": line["item"]},
            )
        period = line["period_start"]
        if isinstance(period, str):
            try:
                period = date.fromisoformat(period)
            except ValueError as error:
                raise ApplicationError(
                    f"{at}.period_start must be a date as YYYY-MM-DD; '{period}' was given.",
                    {"field": f"{at}.period_start", "value": period},
                ) from error
        if not period_aligned(bucket, period):
            starts = {"week": "a Monday", "month": "the 1st of a month"}[bucket]
            raise ApplicationError(
                f"{at}.period_start {period.isoformat()} does not start a {bucket} bucket "
                f"(it must be {starts}).",
                {"field": f"{at}.period_start", "value": period.isoformat()},
            )
        key = (item.pk, period)
        if key in seen:
            raise ApplicationError(
                f"{at}.period_start: item {item.code} has a line for {period.isoformat()} "
                f"already (lines.{seen[key]}).",
                {"field": f"{at}.period_start", "value": period.isoformat()},
            )
        seen[key] = index
        try:
            entered = Decimal(str(line["quantity"]))
        except (InvalidOperation, ValueError) as error:
            raise ApplicationError(
                f"{at}.quantity must be a decimal number; '{line['quantity']}' was given.",
                {"field": f"{at}.quantity", "value": str(line["quantity"])},
            ) from error
        if not entered.is_finite() or entered < 0:
            shown = quantity_text(entered) if entered.is_finite() else str(entered)
            raise ApplicationError(
                f"{at}.quantity must be zero or more; {shown} was given.",
                {"field": f"{at}.quantity", "value": shown},
            )
        uom = str(line.get("uom") or item.base_uom.code)
        try:
            amount = converter.convert(
                entered,
                item_id=item.pk,
                item_code=item.code,
                from_uom=uom,
                to_uom=item.base_uom.code,
            )
        except ApplicationError as error:
            raise ApplicationError(
                f"{at}.uom: {error.message}", {"field": f"{at}.uom", "value": uom}
            ) from error
        amount = amount.quantize(SIX_PLACES)
        if amount >= LIMIT:
            raise ApplicationError(
                f"{at}.quantity {line['quantity']} {uom} is beyond what Weft can store.",
                {"field": f"{at}.quantity", "value": str(line["quantity"])},
            )
        result.append(_Line(item.pk, period, amount))
    return result


def _same_content(version: ForecastVersion, bucket: str, lines: list[_Line]) -> bool:
    if version.bucket != bucket:
        return False
    stored = set(version.lines.values_list("item_id", "period_start", "quantity"))
    return stored == {(line.item_id, line.period_start, line.quantity) for line in lines}


def _write_lines(version: ForecastVersion, lines: list[_Line]) -> None:
    ForecastLine.objects.bulk_create(
        [
            ForecastLine(
                version=version,
                item_id=line.item_id,
                period_start=line.period_start,
                quantity=line.quantity,
            )
            for line in lines
        ],
        batch_size=5000,
    )


def _user_or_none(user):
    return user if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) else None


@transaction.atomic
def forecast_publish(
    *,
    plan: str,
    plant: str,
    version,
    bucket: str,
    lines: list[dict],
    source_system: str = WEFT,
    message_id: str = "",
    acting_user=None,
    status: str = Status.SUBMITTED,
) -> ForecastVersion:
    """Store a published version awaiting approval; the same version again with other content is
    refused once approved, and replaces the lines while still a draft or submitted."""
    plant_row = resolve(Plant, plant, "plant")
    number = _version_number(version)
    base_lines = _lines_in_base_units(bucket, lines)
    now = timezone.now()
    user = _user_or_none(acting_user)
    existing = (
        ForecastVersion.objects.select_for_update()
        .filter(plan=plan, plant=plant_row, version=number)
        .first()
    )
    if existing is not None:
        if _same_content(existing, bucket, base_lines):
            return existing
        if existing.status not in REPLACEABLE:
            raise _conflict(
                f"Forecast {plan} version {number} at {plant_row.code} is {existing.status}; "
                "publish a new version number instead of changing it.",
                "version",
                number,
            )
        existing.lines.all().delete()
        existing.bucket = bucket
        existing.source_system = source_system
        existing.message_id = message_id
        forecast = existing
    else:
        forecast = ForecastVersion(
            plan=plan,
            plant=plant_row,
            version=number,
            bucket=bucket,
            source_system=source_system,
            message_id=message_id,
            created_by=user,
        )
    forecast.status = status
    if status == Status.SUBMITTED:
        forecast.submitted_at = now
        forecast.submitted_by = user
    else:
        forecast.submitted_at = None
        forecast.submitted_by = None
    forecast.save()
    _write_lines(forecast, base_lines)
    return _apply_policy(forecast, source_system)


def _apply_policy(forecast: ForecastVersion, source_system: str) -> ForecastVersion:
    if forecast.status != Status.SUBMITTED or source_system == WEFT:
        return forecast
    policy = ForecastPolicy.objects.filter(system__code=source_system).first()
    if policy is None or not policy.auto_approve:
        return forecast
    return forecast_approve_by_policy(forecast=forecast, activate=policy.auto_activate)


@transaction.atomic
def forecast_approve_by_policy(*, forecast: ForecastVersion, activate: bool) -> ForecastVersion:
    """Approve a submitted version without a planner (a source system's policy, the demo)."""
    forecast = _locked(forecast)
    _refuse_status(forecast, [Status.SUBMITTED], "is approved")
    forecast.status = Status.APPROVED
    forecast.approved_at = timezone.now()
    forecast.approved_by = None
    forecast.approved_by_policy = True
    forecast.save()
    return _activate(forecast) if activate else forecast


def forecast_upload(*, plan, plant, version, bucket, rows, acting_user) -> ForecastVersion:
    """A planner's upload from the console: a draft of the planner's own, submitted when ready.

    `rows` are dicts with item, period_start, quantity and uom (uom defaults to the base unit).
    """
    if not getattr(acting_user, "is_authenticated", False):
        raise ApplicationError(
            "Sign in to upload a forecast.", {"field": "acting_user"}, status_code=403
        )
    with acting_as(user=acting_user):
        return forecast_publish(
            plan=plan,
            plant=plant,
            version=version,
            bucket=bucket,
            lines=list(rows),
            source_system=WEFT,
            acting_user=acting_user,
            status=Status.DRAFT,
        )


def _locked(forecast: ForecastVersion) -> ForecastVersion:
    row = (
        ForecastVersion.objects.select_for_update(of=("self",))
        .select_related("plant")
        .filter(pk=forecast.pk)
        .first()
    )
    if row is None:
        raise NotFoundError(f"Forecast version {forecast.pk} is gone.", {"field": "id"})
    return row


def _refuse_status(forecast: ForecastVersion, allowed: Iterable[str], doing: str) -> None:
    if forecast.status not in allowed:
        raise _conflict(
            f"Forecast {forecast.plan} version {forecast.version} is {forecast.status}; "
            f"only a {' or '.join(allowed)} version {doing}.",
            "status",
            forecast.status,
        )


@transaction.atomic
def forecast_submit(*, forecast: ForecastVersion, acting_user=None) -> ForecastVersion:
    """Put a draft forward for approval."""
    forecast = _locked(forecast)
    _refuse_status(forecast, [Status.DRAFT], "is submitted")
    forecast.status = Status.SUBMITTED
    forecast.submitted_at = timezone.now()
    forecast.submitted_by = _user_or_none(acting_user)
    forecast.save()
    return _apply_policy(forecast, forecast.source_system)


@transaction.atomic
def forecast_approve(*, forecast: ForecastVersion, acting_user) -> ForecastVersion:
    """A planner approves a submitted version; it plans nothing until activated."""
    _refuse_non_planner(acting_user, "approves a forecast")
    forecast = _locked(forecast)
    _refuse_status(forecast, [Status.SUBMITTED], "is approved")
    forecast.status = Status.APPROVED
    forecast.approved_at = timezone.now()
    forecast.approved_by = acting_user
    forecast.approved_by_policy = False
    forecast.save()
    return forecast


@transaction.atomic
def forecast_reject(*, forecast: ForecastVersion, reason: str, acting_user) -> ForecastVersion:
    """A planner turns down a version not yet active, saying why."""
    _refuse_non_planner(acting_user, "rejects a forecast")
    if not reason or not reason.strip():
        raise ApplicationError("Say why the forecast is rejected.", {"field": "reason"})
    forecast = _locked(forecast)
    _refuse_status(forecast, [Status.DRAFT, Status.SUBMITTED, Status.APPROVED], "is rejected")
    forecast.status = Status.REJECTED
    forecast.rejected_reason = reason.strip()[:500]
    forecast.save()
    return forecast


@transaction.atomic
def forecast_activate(*, forecast: ForecastVersion, acting_user) -> ForecastVersion:
    """A planner makes an approved version the one MRP plans with; the previous one is superseded."""
    _refuse_non_planner(acting_user, "activates a forecast")
    return _activate(forecast)


def _activate(forecast: ForecastVersion) -> ForecastVersion:
    # Locking every version of the plan at the plant serialises concurrent activations: the
    # second waits, then sees the first's version as the active one and supersedes it.
    siblings = list(
        ForecastVersion.objects.select_for_update()
        .filter(plan=forecast.plan, plant_id=forecast.plant_id)
        .order_by("pk")
    )
    forecast = next(row for row in siblings if row.pk == forecast.pk)
    _refuse_status(forecast, [Status.APPROVED], "is activated")
    now = timezone.now()
    for previous in siblings:
        if previous.status == Status.ACTIVE:
            previous.status = Status.SUPERSEDED
            previous.superseded_at = now
            previous.save()
    forecast.status = Status.ACTIVE
    forecast.activated_at = now
    try:
        with transaction.atomic():
            forecast.save()
    except IntegrityError as error:
        raise _conflict(
            f"Another version of {forecast.plan} became active at the same moment; try again.",
            "status",
            forecast.status,
        ) from error
    emit(
        APPROVED_EVENT,
        forecast_approved_data(forecast),
        key=f"forecast:{forecast.plan}:{forecast.plant.code}",
    )
    return forecast


def forecast_approved_data(forecast: ForecastVersion) -> dict:
    """The `forecast.approved` data of MESSAGES.md, quantities in each item's base unit."""
    rows = (
        ForecastLine.objects.filter(version=forecast)
        .order_by("item__code", "period_start")
        .values_list("item__code", "period_start", "quantity", "item__base_uom__code")
    )
    return {
        "plan": forecast.plan,
        "version": int(forecast.version),
        "plant": forecast.plant.code,
        "bucket": forecast.bucket,
        "lines": [
            {
                "item": item,
                "period_start": period.isoformat(),
                "quantity": quantity_text(quantity),
                "uom": uom,
            }
            for item, period, quantity, uom in rows
        ],
    }


def forecast_policy_set(*, system: ExternalSystem, auto_approve: bool, auto_activate: bool):
    """Whether a source system's forecasts skip the planner's approval (and activation)."""
    policy, _ = ForecastPolicy.objects.update_or_create(
        system=system, defaults={"auto_approve": auto_approve, "auto_activate": auto_activate}
    )
    return policy


@dataclass(frozen=True)
class DiffRow:
    item: str
    period_start: date
    quantity_a: Decimal
    quantity_b: Decimal

    @property
    def difference(self) -> Decimal:
        return self.quantity_b - self.quantity_a


@dataclass(frozen=True)
class ForecastDiff:
    rows: list[DiffRow]
    total_a: Decimal
    total_b: Decimal

    @property
    def total_difference(self) -> Decimal:
        return self.total_b - self.total_a


DIFF_SQL = """
WITH a AS (SELECT item_id, period_start, quantity FROM planning_forecastline WHERE version_id = %s),
     b AS (SELECT item_id, period_start, quantity FROM planning_forecastline WHERE version_id = %s)
SELECT i.code, d.period_start, d.quantity_a, d.quantity_b
FROM (
    SELECT COALESCE(a.item_id, b.item_id) AS item_id,
           COALESCE(a.period_start, b.period_start) AS period_start,
           COALESCE(a.quantity, 0) AS quantity_a,
           COALESCE(b.quantity, 0) AS quantity_b
    FROM a FULL OUTER JOIN b ON a.item_id = b.item_id AND a.period_start = b.period_start
) d
JOIN masterdata_item i ON i.id = d.item_id
WHERE d.quantity_a <> d.quantity_b OR %s
ORDER BY i.code, d.period_start
"""
TOTALS_SQL = """
SELECT COALESCE(SUM(quantity) FILTER (WHERE version_id = %s), 0),
       COALESCE(SUM(quantity) FILTER (WHERE version_id = %s), 0)
FROM planning_forecastline WHERE version_id IN (%s, %s)
"""


def forecast_diff(
    version_a: ForecastVersion, version_b: ForecastVersion, *, changed_only: bool = False
) -> ForecastDiff:
    """Per item and period, version a's and version b's quantities (b − a), with both totals.

    One full outer join in SQL; items and periods only one version has count as 0 in the other.
    """
    with connection.cursor() as cursor:
        cursor.execute(DIFF_SQL, [version_a.pk, version_b.pk, not changed_only])
        rows = [DiffRow(code, period, qa, qb) for code, period, qa, qb in cursor.fetchall()]
        cursor.execute(TOTALS_SQL, [version_a.pk, version_b.pk, version_a.pk, version_b.pk])
        total_a, total_b = cursor.fetchone()
    return ForecastDiff(rows=rows, total_a=Decimal(total_a), total_b=Decimal(total_b))
