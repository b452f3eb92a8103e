"""Migration 0011 makes the foreign keys to events cascade in PostgreSQL, and its reverse undoes it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="migration 0011 only changes PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

BEFORE, CASCADE = (
    ("entity_event", "0010_delivery"),
    ("entity_event", "0011_event_foreign_keys_cascade_in_database"),
)


def on_delete_of_foreign_keys_to_events() -> dict[str, str]:
    """Table -> the ON DELETE action of its foreign key to the events table, from pg_constraint."""
    actions = {"c": "CASCADE", "a": "NO ACTION"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, confdeltype FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = 'entity_event_event'::regclass"
        )
        return {table: actions[action] for table, action in cursor.fetchall()}


def migrate(*targets: tuple[str, str]) -> None:
    MigrationExecutor(connection).migrate(list(targets))


def test_migration_0011_cascades_forward_and_takes_no_action_backward():
    tables = {
        "entity_event_eventactor",
        "entity_event_eventseen",
        "entity_event_inboxmark",
        "entity_event_delivery",
    }
    try:
        migrate(BEFORE)
        before = on_delete_of_foreign_keys_to_events()
        migrate(CASCADE)
        after = on_delete_of_foreign_keys_to_events()
    finally:
        migrate(*MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert before == dict.fromkeys(tables, "NO ACTION")
    assert after == dict.fromkeys(tables, "CASCADE")
