"""Insert many rows fast: COPY on PostgreSQL, bulk_create elsewhere; in the caller's transaction."""

import json
from collections.abc import Iterable, Sequence

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


def _field_name(model, attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.name
    raise ValueError(f"{model.__name__} has no column {attname!r}")
