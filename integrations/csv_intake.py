"""CSV files of canonical messages: an items file or one forecast, applied whole or not at all.

Rows are numbered as a spreadsheet shows them (the header is row 1) and every error names its
row and column. A refused file is kept as one rejected message listing every error. A valid
file is stored as the envelopes it makes, through the inbox like any other message; each id is
`csv:<SHA-256 of the file and its query parameters>:<row the message starts at>`, so sending
the same file again repeats the first answers instead of applying it twice.
"""

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction

from integrations.inbox import Intake, first_occurred_at, inbound_receive_batch, inbound_refuse
from integrations.models import ExternalSystem, InboundMessage
from integrations.schemas import message_errors

ITEMS = "item.upserted"
FORECAST = "forecast.published"
CSV_TYPES = (ITEMS, FORECAST)

ITEM_COLUMNS = ("code", "description", "base_uom", "item_type", "lifecycle")
PLANT_COLUMNS = (
    "plant",
    "lead_time_days",
    "safety_stock",
    "lot_size_rule",
    "lot_size_quantity",
    "lot_size_periods",
    "min_order_quantity",
    "order_multiple",
)
FORECAST_COLUMNS = ("item", "period_start", "quantity", "uom")
FORECAST_PARAMETERS = ("plan", "version", "plant", "bucket")
WHOLE_NUMBERS = frozenset({"lead_time_days", "lot_size_periods", "version"})

REQUIRED_COLUMNS = {ITEMS: ITEM_COLUMNS, FORECAST: FORECAST_COLUMNS}
OPTIONAL_COLUMNS = {ITEMS: PLANT_COLUMNS, FORECAST: ()}
MAX_ROWS = 50_000
BATCH_SIZE = 1000
_NO_VALUE = object()


@dataclass(frozen=True)
class Row:
    number: int | None
    cells: dict[str, str]


@dataclass
class Draft:
    """The data of one message and the rows it was read from, so an error can name its row."""

    data: dict
    first_row: int | None
    entries: str
    entry_rows: list[int] = field(default_factory=list)
    field_rows: dict[str, int | None] = field(default_factory=dict)

    def locate(self, path: str | None) -> tuple[int | None, str | None]:
        """The row and column of a schema error's field, e.g. `data.plants.1.safety_stock`."""
        parts = (path or "").removeprefix("data.").split(".")
        if len(parts) >= 3 and parts[0] == self.entries and parts[1].isdigit():
            return self.entry_rows[int(parts[1])], ".".join(parts[2:])
        return self.field_rows.get(parts[0], self.first_row), parts[0] or None


@dataclass
class CsvIntake:
    """What the partner is told about one file."""

    http_status: int
    body: dict


def csv_file_receive(
    *,
    system: ExternalSystem,
    message_type: str,
    raw: bytes,
    parameters: Mapping[str, str],
    correlation_id: str | None = None,
) -> CsvIntake:
    """Store every message of a CSV file, or none: a file with any bad row is kept as rejected."""
    rows, errors = read_rows(
        raw, required=REQUIRED_COLUMNS[message_type], optional=OPTIONAL_COLUMNS[message_type]
    )
    if message_type == ITEMS:
        drafts, draft_errors = item_drafts(rows)
        parameter_errors = [
            _error(None, name, "Unknown query parameter: an items file takes none.")
            for name in parameters
        ]
    else:
        header, parameter_errors = forecast_header(parameters)
        drafts, draft_errors = forecast_drafts(rows, header)
    digest = _file_digest(raw, parameters)
    envelopes = _envelopes(system, message_type, digest, drafts)
    for envelope, draft in zip(envelopes, drafts, strict=True):
        draft_errors += _contract_errors(envelope, draft)
    errors = _one_per_cell(parameter_errors + errors + draft_errors)
    if errors:
        refusal = csv_file_refuse(system=system, raw=raw, message_type=message_type, errors=errors)
        return CsvIntake(400, refusal.answer() | {"errors": errors, "rows": len(rows)})
    intakes = _store(system, envelopes, correlation_id)
    answers = [intake.answer() | {"http_status": intake.http_status} for intake in intakes]
    return CsvIntake(_overall_status(intakes), {"messages": answers, "rows": len(rows)})


@transaction.atomic
def csv_file_refuse(
    *, system: ExternalSystem, raw: bytes, message_type: str, errors: list[dict]
) -> Intake:
    """Keep a refused file as one rejected message of its type, listing every row error."""
    intake = inbound_refuse(
        system=system, raw=raw, channel=InboundMessage.Channel.CSV, reason=_reason(errors)
    )
    InboundMessage.objects.filter(pk=intake.message.pk, channel=InboundMessage.Channel.CSV).update(
        message_type=message_type, errors=errors
    )
    return intake


def read_rows(raw: bytes, *, required: tuple, optional: tuple) -> tuple[list[Row], list[dict]]:
    """The file's non-blank data rows by column; a UTF-8 byte order mark, `;` and CRLF are fine."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return [], [
            _error(line, None, f"The file is not UTF-8: {error.reason} at byte {error.start}.")
        ]
    if "\x00" in text:
        # PostgreSQL cannot store a NUL, and no spreadsheet writes one.
        line = text[: text.index("\x00")].count("\n") + 1
        return [], [
            _error(line, None, "The file contains a NUL character: it is not a CSV text file.")
        ]
    if not text.strip():
        return [], [
            _error(
                None, None, f"The file is empty: it needs a header row with {', '.join(required)}."
            )
        ]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    header: list[str] = []
    rows: list[Row] = []
    errors: list[dict] = []
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            if number == 1:
                header = [name.strip().lower() for name in record]
                errors = _header_errors(header, required, optional)
                if errors:
                    return [], errors
            elif number > MAX_ROWS + 1:
                return rows, [
                    _error(number, None, f"The file has more than {MAX_ROWS} rows; split it.")
                ]
            elif any(cell.strip() for cell in record):
                if len(record) > len(header):
                    message = f"The row has {len(record)} cells, the header {len(header)} columns."
                    errors.append(_error(number, None, message))
                cells = {
                    name: cell.strip()
                    for name, cell in zip(header, record, strict=False)
                    if cell.strip()
                }
                rows.append(Row(number, cells))
    except csv.Error as error:
        errors.append(_error(number + 1, None, f"The row cannot be read as CSV: {error}."))
    if not rows and not errors:
        errors.append(_error(None, None, "The file has a header but no rows."))
    return rows, errors


def _delimiter(text: str) -> str:
    """The header's separator: column names never contain either, so counting them tells."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _header_errors(header: list[str], required: tuple, optional: tuple) -> list[dict]:
    errors = []
    for position, name in enumerate(header, start=1):
        if not name:
            errors.append(_error(1, None, f"Column {position} has no name."))
        elif name not in required and name not in optional:
            known = ", ".join(required + optional)
            errors.append(_error(1, name, f"Unknown column; the columns are {known}.", name))
        elif header.index(name) != position - 1:
            errors.append(_error(1, name, "The column appears twice.", name))
    errors += [
        _error(1, name, "The header has no such column.") for name in required if name not in header
    ]
    return errors


def _cells(row: Row, columns: tuple) -> tuple[dict, list[dict]]:
    """The row's values for these columns, with whole numbers as numbers (the contract's type)."""
    values, errors = {}, []
    for column in columns:
        value = row.cells.get(column)
        if value is None:
            continue
        if column in WHOLE_NUMBERS:
            if not (value.isascii() and value.isdigit()):
                errors.append(
                    _error(row.number, column, "Must be a whole number, such as 7.", value)
                )
                continue
            value = int(value)
        values[column] = value
    return values, errors


def item_drafts(rows: list[Row]) -> tuple[list[Draft], list[dict]]:
    """One item.upserted per code; its rows add plants, and must agree on the item's values.

    A blank item cell does not disagree: spreadsheets often give the item's values only once.
    """
    drafts: dict[str, Draft] = {}
    plant_rows: dict[tuple[str, str], int] = {}
    errors: list[dict] = []
    for row in rows:
        code = row.cells.get("code")
        if code is None:
            errors.append(
                _error(row.number, "code", "This field is required: every row names its item.")
            )
            continue
        draft = drafts.setdefault(
            code, Draft({"code": code}, row.number, "plants", field_rows={"code": row.number})
        )
        errors += _merge_item_values(draft, row)
        plant, plant_errors = _cells(row, PLANT_COLUMNS)
        errors += plant_errors
        if not plant and not plant_errors:
            continue
        if "plant" not in plant:
            errors.append(
                _error(
                    row.number, "plant", "This field is required when the row gives plant values."
                )
            )
        elif (code, plant["plant"]) in plant_rows:
            earlier = plant_rows[code, plant["plant"]]
            message = f"Row {earlier} gives item {code} at this plant already; one row per item and plant."
            errors.append(_error(row.number, "plant", message, plant["plant"]))
        else:
            plant_rows[code, plant["plant"]] = row.number
            draft.data.setdefault("plants", []).append(plant)
            draft.entry_rows.append(row.number)
    return list(drafts.values()), errors


def _merge_item_values(draft: Draft, row: Row) -> list[dict]:
    errors = []
    for column in ITEM_COLUMNS[1:]:
        value = row.cells.get(column)
        if value is None:
            continue
        if column not in draft.data:
            draft.data[column] = value
            draft.field_rows[column] = row.number
        elif draft.data[column] != value:
            message = (
                f"Row {draft.field_rows[column]} gives item {draft.data['code']} the {column} "
                f"{draft.data[column]!r}; an item has one {column}."
            )
            errors.append(_error(row.number, column, message, value))
    return errors


def forecast_drafts(rows: list[Row], header: dict) -> tuple[list[Draft], list[dict]]:
    """All rows are the lines of one forecast.published; its header comes from the query string."""
    if not rows:
        return [], []
    draft = Draft(header | {"lines": []}, rows[0].number, "lines")
    draft.field_rows = dict.fromkeys(FORECAST_PARAMETERS)
    line_rows: dict[tuple[str, str], int] = {}
    errors: list[dict] = []
    for row in rows:
        line, line_errors = _cells(row, FORECAST_COLUMNS)
        errors += line_errors
        period = (line.get("item", ""), line.get("period_start", ""))
        if all(period) and period in line_rows:
            message = f"Row {line_rows[period]} gives this item and period already; one row per item and period."
            errors.append(_error(row.number, "period_start", message, period[1]))
        line_rows.setdefault(period, row.number)
        draft.data["lines"].append(line)
        draft.entry_rows.append(row.number)
    return [draft], errors


def forecast_header(parameters: Mapping[str, str]) -> tuple[dict, list[dict]]:
    """The forecast's plan, version, plant and bucket, from the query string."""
    example = "?plan=S%26OP&version=3&plant=P100&bucket=week"
    errors = [
        _error(
            None, name, f"Unknown query parameter (send a '&' inside a value as %26): {example}."
        )
        for name in parameters
        if name not in FORECAST_PARAMETERS
    ]
    given = {
        name: parameters[name].strip()
        for name in FORECAST_PARAMETERS
        if parameters.get(name, "").strip()
    }
    errors += [
        _error(None, name, f"The query parameter {name} is required: {example}.")
        for name in FORECAST_PARAMETERS
        if name not in given
    ]
    header, value_errors = _cells(Row(None, given), FORECAST_PARAMETERS)
    return header, errors + value_errors


def _file_digest(raw: bytes, parameters: Mapping[str, str]) -> str:
    """The file's identity: its bytes and the query parameters that complete a forecast."""
    digest = hashlib.sha256(raw)
    if parameters:
        digest.update(json.dumps(dict(sorted(parameters.items()))).encode())
    return digest.hexdigest()


def _envelopes(
    system: ExternalSystem, message_type: str, digest: str, drafts: list[Draft]
) -> list[dict]:
    keys = [f"csv:{digest}:{draft.first_row}" for draft in drafts]
    occurred_at = first_occurred_at(system, keys[0]) if keys else None
    return [
        {
            "type": message_type,
            "version": 1,
            "id": key,
            "source": system.code,
            "occurred_at": occurred_at,
            "data": draft.data,
        }
        for key, draft in zip(keys, drafts, strict=True)
    ]


def _contract_errors(envelope: dict, draft: Draft) -> list[dict]:
    errors = []
    for error in message_errors(envelope, types={envelope["type"]}):
        row, column = draft.locate(error["field"])
        errors.append(_error(row, column, error["message"], error.get("value", _NO_VALUE)))
    return errors


@transaction.atomic
def _store(
    system: ExternalSystem, envelopes: list[dict], correlation_id: str | None
) -> list[Intake]:
    intakes: list[Intake] = []
    for start in range(0, len(envelopes), BATCH_SIZE):
        intakes += inbound_receive_batch(
            system=system,
            envelopes=envelopes[start : start + BATCH_SIZE],
            channel=InboundMessage.Channel.CSV,
            correlation_id=correlation_id,
        )
    return intakes


def _overall_status(intakes: list[Intake]) -> int:
    statuses = {intake.http_status for intake in intakes}
    if statuses == {200}:
        return 200
    return 202 if max(statuses) < 400 else max(statuses)


def _error(row: int | None, column: str | None, message: str, value=_NO_VALUE) -> dict:
    error = {"row": row, "field": column}
    if value is not _NO_VALUE:
        error["value"] = value
    error["message"] = message
    return error


def _one_per_cell(errors: list[dict]) -> list[dict]:
    """Each cell's first error, rows in order; what the schema repeats about a cell is left out."""
    first: dict[tuple, dict] = {}
    for error in errors:
        first.setdefault((error["row"], error["field"]), error)
    return sorted(first.values(), key=lambda error: error["row"] or 0)


def _reason(errors: list[dict]) -> str:
    first = errors[0]
    place = ([f"row {first['row']}"] if first["row"] else []) + (
        [first["field"]] if first["field"] else []
    )
    where = f"{', '.join(place)}: " if place else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"The file was refused and nothing of it applied. {where}{first['message']}{more}"
