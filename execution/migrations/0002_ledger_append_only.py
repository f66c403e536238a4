"""The ledger refuses UPDATE and DELETE in PostgreSQL itself, whoever the client is."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION execution_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The inventory ledger is append-only: % refused on row %', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER execution_ledger_append_only
    BEFORE UPDATE OR DELETE ON execution_inventorytransaction
    FOR EACH ROW EXECUTE FUNCTION execution_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS execution_ledger_append_only ON execution_inventorytransaction;
DROP FUNCTION IF EXISTS execution_ledger_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("execution", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
