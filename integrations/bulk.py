"""Many rows at once: COPY on PostgreSQL, bulk_create elsewhere (in the caller's transaction);
raw SQL filters on many ids."""

import json
from collections.abc import Iterable, Sequence

import numpy as np
from django.db import connection, models


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert plain value rows into the model's table; JSON columns take Python values.

    `columns` are field attnames (`item_id`, not `item`); primary keys come from the table.
    """
    json_columns = {
        index
        for index, name in enumerate(columns)
        if isinstance(model._meta.get_field(_field_name(model, name)), models.JSONField)
    }
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=2000)
        return len(objects)
    table = model._meta.db_table
    names = ", ".join(f'"{model._meta.get_field(_field_name(model, c)).column}"' for c in columns)
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
    ):
        for row in rows:
            if json_columns:
                row = [json.dumps(v) if i in json_columns else v for i, v in enumerate(row)]
            copy.write_row(row)
            count += 1
    return count


def ids_in(column: str, ids: Iterable[int], *, vendor: str | None = None) -> tuple[str, list]:
    """`column IN the ids` for raw SQL: one bigint array on PostgreSQL (no limit on how many ids,
    one plan whatever their count), a list of parameters elsewhere (SQLite)."""
    ids = list(ids)
    if (vendor or connection.vendor) == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [id_array(ids)]
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def id_array(ids: Iterable[int]) -> str:
    """The ids as one PostgreSQL array literal, to bind as `%s::bigint[]`: the driver binds on
    the client and would quote a list id by id."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


class InIds(models.Lookup):
    """`item_id__in_ids=[...]`: `ids_in` for the ORM, registered on id and foreign key fields.

    Django's `__in` sends one parameter per id; a net change's queries name hundreds of items,
    and composing and planning such a statement costs more than running it.
    """

    lookup_name = "in_ids"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql, params = ids_in(lhs, self.rhs, vendor=connection.vendor)
        return sql, [*lhs_params, *params]


def register_lookups() -> None:
    for field in (models.AutoField, models.BigAutoField, models.ForeignKey):
        field.register_lookup(InIds)


def _field_name(model, attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.name
    raise ValueError(f"{model.__name__} has no column {attname!r}")


def copy_columns(model: type[models.Model], columns: dict[str, Sequence]) -> int:
    """Insert rows given column by column (lists or NumPy arrays, all of one length).

    On PostgreSQL the columns become one COPY text block without a Python object per row; the
    values must already be what the column stores (ids, numbers, dates, strings, bytes, None).
    """
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if count == 0:
        return 0
    if connection.vendor != "postgresql":
        values = [c.tolist() if isinstance(c, np.ndarray) else list(c) for c in columns.values()]
        return copy_rows(model, names, zip(*values, strict=True))
    texts = [_copy_text(column) for column in columns.values()]
    table = model._meta.db_table
    fields = ", ".join(f'"{model._meta.get_field(_field_name(model, c)).column}"' for c in names)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f'COPY "{table}" ({fields}) FROM STDIN') as copy,
    ):
        for start in range(0, count, 50_000):
            block = zip(*(text[start : start + 50_000] for text in texts), strict=True)
            copy.write("".join("\t".join(row) + "\n" for row in block))
    return count


def _copy_text(column) -> list[str]:
    """COPY text format of one column: \\N for null, t/f, escaped strings, hex bytea."""
    if isinstance(column, np.ndarray) and column.dtype != object:
        if column.dtype == bool:
            return np.where(column, "t", "f").tolist()
        return column.astype(str).tolist()
    return [_copy_value(value) for value in column]


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, str):
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return str(value)
