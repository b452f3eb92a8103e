"""Live updates: statement-level triggers that NOTIFY the live streams (PostgreSQL only).

A trigger fires inside the writing transaction and PostgreSQL delivers its notifications at
commit, so a rolled-back write notifies nobody. Every path that writes the tables is covered:
``create_events``, ``Event.objects.create()``, the admin, bulk imports and the inbox's marks.
See docs/live.rst.
"""

from django.db import migrations

#: The channel the listener of entity_event.live LISTENs on (entity_event.live.listener.CHANNEL).
CHANNEL = "entity_event_live"

FUNCTIONS = f"""
CREATE FUNCTION entity_event_live_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', 'events:' || min(id) || ':' || max(id)) FROM new_rows HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE FUNCTION entity_event_live_marks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One notification per medium naming its entities; '*' (every stream of the medium) when
    -- the names would not fit in a notification's 8000 bytes.
    PERFORM pg_notify('{CHANNEL}', 'marks:' || medium_id || ':' ||
                      CASE WHEN count(DISTINCT entity_id) > 500 THEN '*'
                           ELSE string_agg(DISTINCT entity_id::text, ',') END)
    FROM changed_rows GROUP BY medium_id;
    RETURN NULL;
END $$;
"""

TRIGGERS = [
    ("entity_event_event", "events", "INSERT", "NEW TABLE AS new_rows"),
    ("entity_event_inboxwatermark", "marks", "INSERT", "NEW TABLE AS changed_rows"),
    ("entity_event_inboxwatermark", "marks", "UPDATE", "NEW TABLE AS changed_rows"),
    ("entity_event_inboxwatermark", "marks", "DELETE", "OLD TABLE AS changed_rows"),
    ("entity_event_inboxmark", "marks", "INSERT", "NEW TABLE AS changed_rows"),
    ("entity_event_inboxmark", "marks", "UPDATE", "NEW TABLE AS changed_rows"),
    ("entity_event_inboxmark", "marks", "DELETE", "OLD TABLE AS changed_rows"),
]


def trigger_name(table: str, operation: str) -> str:
    return f"{table}_live_{operation.lower()}"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    for table, function, operation, transition in TRIGGERS:
        schema_editor.execute(
            f"CREATE TRIGGER {trigger_name(table, operation)} AFTER {operation} ON {table}"
            f" REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION entity_event_live_{function}()"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _function, operation, _transition in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER {trigger_name(table, operation)} ON {table}")
    schema_editor.execute("DROP FUNCTION entity_event_live_events(); DROP FUNCTION entity_event_live_marks();")


class Migration(migrations.Migration):
    dependencies = [
        ("entity_event", "0013_source_group_by"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
