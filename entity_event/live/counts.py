"""What a stream needs to know: the new events its entity received, and its unseen count.

:func:`refresh` asks it for one stream through the ORM, on any database. :func:`refresh_many`
asks it for many streams of one medium in one query (PostgreSQL), and counts only for the
streams that need it: the ones told to count, and the ones that received new events.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

from entity_event.live.streams import MAX_NEW_IDS, Stream


@dataclass(frozen=True)
class Refresh:
    """What to ask for one stream: new events up to ``up_to`` (``None``: none), and its count
    always (``count=True``) or only when new events came."""

    stream: Stream
    up_to: int | None
    count: bool


def refresh(stream: Stream, up_to: int | None) -> tuple[list[int], int]:
    """The ids of the events above ``stream.after`` up to ``up_to`` that its entity receives
    (none for ``None``), and its unseen count up to ``limit + 1``: two queries."""
    new_ids = list(_new_events(stream, up_to).values_list("id", flat=True)) if up_to is not None else []
    inbox = stream.medium.inbox(stream.entity)
    return new_ids, inbox.unseen_count(limit=stream.limit + 1)


def refresh_many(  # PostgreSQL only
    refreshes: Sequence[Refresh], database: str
) -> list[tuple[list[int], int | None]]:
    """For each of ``refreshes`` (streams of one medium), the new event ids and the count (``None``
    when it was not needed), in one query whatever their number.

    Each stream is a row of a ``UNION ALL``; a count that only new events call for sits in a
    ``CASE``, which PostgreSQL evaluates only when the row found some.
    """
    if not refreshes:
        return []
    parts, params = [], []
    for index, refresh_ in enumerate(refreshes):
        stream = refresh_.stream
        unseen = stream.medium.inbox(stream.entity).events(seen=False).order_by().values("id")
        count_sql, count_params = _sql(unseen[: stream.limit + 1], database)
        count = f"(SELECT count(*) FROM ({count_sql}) AS unseen)"
        if refresh_.up_to is None:
            parts.append(f"SELECT {index}, ARRAY[]::integer[], {count}")
            params += count_params
            continue
        new_sql, new_params = _sql(_new_events(stream, refresh_.up_to).values("id"), database)
        if not refresh_.count:
            count = f"CASE WHEN cardinality(new) > 0 THEN {count} END"
        parts.append(f"SELECT {index}, new, {count} FROM (SELECT ARRAY({new_sql}) AS new) AS found")
        params += count_params + new_params  # in the order of the text: the count, then the new ids
    with connections[database].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found = {index: (new_ids, counted) for index, new_ids, counted in cursor.fetchall()}
    return [found[index] for index in range(len(refreshes))]


def _new_events(stream: Stream, up_to: int) -> QuerySet:
    events = stream.medium.entity_events(stream.entity).filter(id__gt=stream.after, id__lte=up_to)
    return events.order_by("id")[: MAX_NEW_IDS + 1]


def _sql(queryset: QuerySet, database: str) -> tuple[str, list]:  # PostgreSQL only
    sql, params = queryset.query.get_compiler(using=database).as_sql()
    return sql, list(params)
