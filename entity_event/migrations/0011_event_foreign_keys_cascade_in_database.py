"""On PostgreSQL, the app's foreign keys to events also cascade in the database.

Django deletes an event's seen marks, actors, inbox marks and deliveries itself before the event,
but a row added by another transaction between that collection and the event's ``DELETE`` would
break the foreign key at commit. ``ON DELETE CASCADE`` makes the database remove such late rows
with the event. The constraints keep their names and their deferral; the Python-side cascade stays.
SQLite serialises its writers and needs nothing.
"""

from django.db import migrations

# (constraint, table, column) of the app's foreign keys to the events table, from the catalog.
FOREIGN_KEYS = """
    SELECT c.conname, c.conrelid::regclass::text, a.attname, c.condeferrable, c.condeferred
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'f' AND c.confrelid = %s::regclass AND c.conrelid::regclass::text = ANY(%s)
    ORDER BY c.conname
"""


def recreate_foreign_keys(apps, schema_editor, on_delete):
    """Re-create each foreign key to the events table with ``on_delete`` (``CASCADE`` or ``NO ACTION``)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    events = apps.get_model("entity_event", "Event")._meta
    tables = [model._meta.db_table for model in apps.get_app_config("entity_event").get_models()]
    with connection.cursor() as cursor:
        cursor.execute(FOREIGN_KEYS, [events.db_table, tables])
        foreign_keys = cursor.fetchall()
    for name, table, column, deferrable, deferred in foreign_keys:
        deferral = (" DEFERRABLE" if deferrable else "") + (" INITIALLY DEFERRED" if deferred else "")
        schema_editor.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}, ADD CONSTRAINT {quote(name)} "
            f"FOREIGN KEY ({quote(column)}) REFERENCES {quote(events.db_table)} ({quote(events.pk.column)}) "
            f"ON DELETE {on_delete}{deferral}"
        )


def cascade(apps, schema_editor):
    recreate_foreign_keys(apps, schema_editor, "CASCADE")


def no_action(apps, schema_editor):
    recreate_foreign_keys(apps, schema_editor, "NO ACTION")


class Migration(migrations.Migration):
    dependencies = [
        ("entity_event", "0010_delivery"),
    ]

    operations = [
        migrations.RunPython(cascade, no_action),
    ]
