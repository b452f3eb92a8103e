"""The per-medium watermark that keeps ``seen=False`` bounded by what is new.

The 3.x marks (:class:`~entity_event.models.EventSeen`, one row per event and medium) stay the
record of what was seen. Beside them, each medium has:

- a :class:`~entity_event.models.SeenWatermark`: every event with an id up to ``seen_through``
  is marked seen on the medium, or listed as a gap;
- :class:`~entity_event.models.SeenGap` rows: the events up to the watermark without a mark
  (an expired event, one a filter left out, a mark deleted since).

An unseen event therefore has an id above the watermark, or a gap row, so ``seen=False`` reads
those events only, and still checks their marks. The watermark moves only when marks are
written (:func:`advance`), only up to :func:`~entity_event.creation_lock.newest_settled_id`, so
an event still being created is never passed by. Database triggers (migration 0016) add a gap
for each mark deleted of an event that still exists, however it is deleted (below the watermark
or not, so that no lock is needed against a move), and remove the gaps of deleted events and
mediums. See docs/read_state.rst.
"""

from django.db import connections
from django.db.models import BooleanField, F, Func, Q
from django.db.models.expressions import RawSQL

from entity_event import creation
from entity_event.bulk import insert_skipping_conflicts
from entity_event.creation_lock import newest_settled_id
from entity_event.registry import models

#: At most this many gaps are added by one move of the watermark: a medium whose history is
#: mostly unmarked moves its watermark by this many unmarked events per marking call.
MOST_GAPS = 1000

#: The ids of a medium's gaps, in SQL.
_GAP_IDS = "SELECT g.event_id FROM {table} g WHERE g.medium_id = %s"


class _InGaps(Func):
    """``id IN (gap ids)``, on PostgreSQL ``id = ANY(ARRAY(gap ids))``: there the array is read
    once and its ids looked up in the primary key beside the range above the watermark, where
    ``IN (subquery)`` would filter a scan of the events."""

    template = "%(expressions)s"
    arg_joiner = " IN "
    output_field = BooleanField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(  # PostgreSQL only
            compiler, connection, arg_joiner=" = ANY(ARRAY", template="%(expressions)s)", **extra_context
        )


def may_be_unseen(medium, database: str) -> Q:
    """The events that may be unseen on ``medium``: above its watermark, or gaps below it.

    The watermark is read now (one query) and written into the condition as a number, so that
    the planner knows how few events lie above it; it never moves back, and the gaps are read
    when the query runs, so a queryset evaluated later stays exact.
    """
    table = connections[database].ops.quote_name(models.SeenGap._meta.db_table)
    in_gaps = _InGaps(F("id"), RawSQL(_GAP_IDS.format(table=table), [medium.pk]))
    return Q(id__gt=seen_through(medium, database)) | Q(in_gaps)


def seen_through(medium, database: str) -> int:
    """The watermark of ``medium``: 0 until marks have moved it."""
    watermark = models.SeenWatermark.objects.using(database).filter(medium_id=medium.pk)
    return watermark.values_list("seen_through", flat=True).first() or 0


#: The larger of two values, per vendor.
_GREATEST = {"postgresql": "GREATEST", "sqlite": "MAX"}


def advance(medium, database: str, marked: list[int]) -> None:
    """Drop the gaps of the events just ``marked``, then move the watermark of ``medium`` up to
    the newest settled event, listing the unmarked events it passes as gaps (at most
    :data:`MOST_GAPS`, the watermark stopping before the next one). Run it in the marking
    transaction, after the marks: six statements, whose cost follows the events marked and
    those since the watermark.

    Concurrent moves need no lock: each lists every event its own scan sees unmarked (a mark not
    yet committed by another move counts as missing: an extra gap, harmless), conflicts are
    skipped, and the watermark only ever takes the larger value.
    """
    connection = connections[database]
    quote = connection.ops.quote_name
    gap_table = quote(models.SeenGap._meta.db_table)
    table = quote(models.SeenWatermark._meta.db_table)
    with connection.cursor() as cursor:
        ids = creation.ids_subquery(marked, database)
        cursor.execute(
            f"DELETE FROM {gap_table} WHERE medium_id = %s AND event_id IN ({ids.sql})",
            [medium.pk, *ids.params],
        )
        cursor.execute(f"SELECT seen_through FROM {table} WHERE medium_id = %s", [medium.pk])
        old = (cursor.fetchone() or [0])[0]
        settled = newest_settled_id(database)
        events, seen = quote(models.Event._meta.db_table), quote(models.EventSeen._meta.db_table)
        cursor.execute(
            f"SELECT e.id FROM {events} e WHERE e.id > %s AND e.id <= %s AND NOT EXISTS"
            f" (SELECT 1 FROM {seen} s WHERE s.event_id = e.id AND s.medium_id = %s)"
            f" ORDER BY e.id LIMIT %s",
            [old, settled, medium.pk, MOST_GAPS + 1],
        )
        gaps = [event_id for (event_id,) in cursor.fetchall()]
        new = settled if len(gaps) <= MOST_GAPS else gaps.pop() - 1
        ids = creation.ids_subquery(gaps, database)
        cursor.execute(
            insert_skipping_conflicts(
                connection,
                models.SeenGap._meta.db_table,
                ["medium_id", "event_id"],
                ["medium_id", "event_id"],
                f"SELECT %s, ids.* FROM ({ids.sql}) AS ids WHERE true",
            ),
            [medium.pk, *ids.params],
        )
        greatest = _GREATEST[connection.vendor]
        cursor.execute(
            f"INSERT INTO {table} (medium_id, seen_through) VALUES (%s, %s) ON CONFLICT (medium_id)"
            f" DO UPDATE SET seen_through = {greatest}({table}.seen_through, excluded.seen_through)",
            [medium.pk, new],
        )
