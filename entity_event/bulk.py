"""Bulk writing, shared by the core and its capabilities: batches, and inserts that skip conflicts.

The inserts use the database's own conflict handling (``ON CONFLICT ... DO NOTHING``, which
PostgreSQL and SQLite share), so that two processes writing the same row at once end with one
row and no exception, instead of a check-then-insert race.
"""

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

T = TypeVar("T")


def batches(items: Iterable[T], size: int | None) -> Iterator[list[T]]:
    """Lists of ``size`` consecutive items (the last one shorter; all of them for ``None``);
    ``items`` may be an iterator."""
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def keyset_batches(rows: QuerySet, field: str, size: int) -> Iterator[list]:
    """The distinct values of ``field`` among ``rows``, ascending, in lists of ``size``: each list
    one query for the values after the previous list's last, so that no cursor stays open
    between lists (a pooler in transaction mode would not keep it) and memory holds one list."""
    values = rows.order_by(field).values_list(field, flat=True).distinct()
    batch = list(values[:size])
    while batch:
        yield batch
        if len(batch) < size:
            return
        batch = list(values.filter(**{f"{field}__gt": batch[-1]})[:size])


def parameter_batches(
    items: Iterable[T], connection: BaseDatabaseWrapper, per_item: int = 1, reserved: int = 0
) -> Iterator[list[T]]:
    """``items`` in batches that fit one statement of ``connection``: ``per_item`` parameters
    apiece plus ``reserved`` others.

    PostgreSQL takes them all at once; SQLite builds take from 999 to 250,000 parameters, and
    Django plans for 999.
    """
    items = list(items)
    limit = connection.features.max_query_params
    return batches(items, (limit - reserved) // per_item if limit else max(len(items), 1))


def insert_skipping_conflicts(
    connection: BaseDatabaseWrapper,
    table: str,
    columns: Sequence[str],
    conflict: Sequence[str],
    rows_sql: str,
    returning: Sequence[str] = (),
) -> str:
    """``INSERT INTO table (columns) rows_sql ON CONFLICT (conflict) DO NOTHING [RETURNING ...]``,
    names quoted for ``connection``; ``rows_sql`` is a ``SELECT`` or :func:`values_sql`."""
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) {rows_sql} "
        f"ON CONFLICT ({', '.join(map(quote, conflict))}) DO NOTHING"
    )
    return f"{sql} RETURNING {', '.join(map(quote, returning))}" if returning else sql


def values_sql(rows: int, width: int) -> str:
    """``VALUES (%s, ...), ...``: the placeholders of ``rows`` rows of ``width`` values."""
    row = f"({', '.join(['%s'] * width)})"
    return f"VALUES {', '.join([row] * rows)}"
