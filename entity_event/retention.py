"""Retention: deleting old events, and every row that points at them, in short batches.

After a year, a project holds millions of events. ``QuerySet.delete()`` would gather every
dependent row in memory and send ``pre_delete``/``post_delete`` per row (django-entity listens
to every model's), which took minutes for half a million events. :func:`prune_events` instead
deletes a batch of the oldest events at a time, each batch in its own short transaction, with a
fixed number of statements:

1. lock the batch's events (``FOR UPDATE``, in id order, as :mod:`entity_event.deletion`
   explains: a concurrent mark of these events waits for the batch, then skips them);
2. for each model with a foreign key to events (actors, seen marks, inbox marks, deliveries, and
   a project's own models), delete its rows of the batch, unless the database deletes them with
   the events itself (the app's own keys on PostgreSQL, ``ON DELETE CASCADE`` since migration
   0011: its per-row triggers look for those rows anyway, so deleting them first only repeated
   the work);
3. delete the events.

Creating, marking and routing go on meanwhile: they wait at most for one batch. No delete
signal is sent, as with ``QuerySet.update()``.
"""

from collections.abc import Callable
from datetime import datetime

from django.db import connections, models, router, transaction

from entity_event.creation import ids_subquery
from entity_event.registry import models as schema

#: Events per batch: big enough that the statements' overhead vanishes, small enough that a
#: batch holds its locks for a fraction of a second.
BATCH_SIZE = 2000


class PruneRefused(ValueError):
    """A model points at events in a way that batches of plain deletes cannot honour."""


def dependents() -> list[tuple[type[models.Model], models.ForeignKey]]:
    """``(model, foreign key)`` of every model with a foreign key to events, by label.

    Raises :class:`PruneRefused`, naming the key, for a key whose ``on_delete`` is not
    ``CASCADE`` (``PROTECT``, ``SET_NULL``...: the project decides what becomes of those rows
    first). Rows that point at these rows in turn are not followed: the database refuses the
    batch, which is rolled back whole.
    """
    found = []
    for relation in schema.Event._meta.related_objects:
        model, key = relation.related_model, relation.field
        if key.remote_field.on_delete is not models.CASCADE:
            raise PruneRefused(
                f"{model._meta.label}.{key.name} has on_delete={key.remote_field.on_delete.__name__}; "
                "prune_events deletes the rows of CASCADE keys only."
            )
        found.append((model, key))
    return sorted(found, key=lambda pair: (pair[0]._meta.label, pair[1].name))


#: The ``(table, column)`` of each foreign key to the events table (``%s``) that the database
#: itself cascades on delete.
_CASCADING_IN_DATABASE = {
    "postgresql": [
        """
        SELECT c.conrelid::regclass::text, a.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.confdeltype = 'c' AND c.confrelid = %s::regclass
        """
    ],
}


def deleted_first(using: str | None = None) -> list[tuple[type[models.Model], models.ForeignKey]]:
    """The :func:`dependents` whose rows :func:`prune_events` deletes before the events: those
    that the database does not delete with the events itself (``ON DELETE CASCADE``).

    On PostgreSQL the app's own keys cascade in the database (migration 0011), so only a
    project's models are left; SQLite cascades nothing, so every dependent is. Raises
    :class:`PruneRefused` as :func:`dependents` does.
    """
    keys = dependents()
    connection = connections[using or router.db_for_write(schema.Event)]
    cascading = set()
    with connection.cursor() as cursor:
        for sql in _CASCADING_IN_DATABASE.get(connection.vendor, []):  # PostgreSQL only
            cursor.execute(sql, [connection.ops.quote_name(schema.Event._meta.db_table)])
            cascading.update(cursor.fetchall())
    return [(model, key) for model, key in keys if (model._meta.db_table, key.column) not in cascading]


def prunable(before: datetime, using: str | None = None) -> models.QuerySet:
    """The events that :func:`prune_events` would delete: those that happened before ``before``."""
    database = using or router.db_for_write(schema.Event)
    return schema.Event._base_manager.using(database).filter(time__lt=before)


def prune_events(
    before: datetime,
    *,
    batch_size: int = BATCH_SIZE,
    using: str | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Delete the events that happened before ``before`` and the rows pointing at them.

    Works in batches of ``batch_size`` events, each in its own transaction of
    ``2 + len(deleted_first(using))`` statements, so memory stays bounded by one batch of ids
    and queries grow with the number of batches only. ``on_batch`` is called after each batch
    with the number of events it deleted. Returns how many events were deleted.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, not {batch_size!r}.")
    database = using or router.db_for_write(schema.Event)
    keys = deleted_first(database)
    oldest = prunable(before, database).order_by("id").values_list("id", flat=True)
    deleted = last = 0
    while True:
        with transaction.atomic(using=database):
            # Each batch starts after the last one's ids, so that no batch walks the index
            # entries of the rows deleted before it.
            ids = list(oldest.filter(id__gt=last).select_for_update()[:batch_size])
            if not ids:
                return deleted
            for model, key in keys:
                _delete(model, key, ids, database)
            _delete(schema.Event, schema.Event._meta.pk, ids, database)
        deleted, last = deleted + len(ids), ids[-1]
        if on_batch is not None:
            on_batch(len(ids))


def _delete(model: type[models.Model], field: models.Field, ids: list[int], database: str) -> None:
    """``DELETE`` the rows of ``model`` whose ``field`` is one of ``ids``: one statement."""
    connection = connections[database]
    quote = connection.ops.quote_name
    ids_sql = ids_subquery(ids, database)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote(field.column)} IN ({ids_sql.sql})",
            ids_sql.params,
        )
