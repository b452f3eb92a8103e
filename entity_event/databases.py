"""Which database a read goes to: the router's read database, or the primary where it must be.

Django sends reads to ``router.db_for_read`` and writes to ``router.db_for_write``; with read
replicas the two differ, and a replica may lag behind the primary. A read that decides a write
(``mark_seen=True``, claiming, an inbox's marking) and a read that must see a write just made
(read-your-writes) go to the primary instead: :func:`reads_on_primary` pins the reads of a block
of code, and :func:`read_database` is where the package's reads ask. See docs/scaling_out.rst.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import router
from django.db.models import QuerySet

_on_primary: ContextVar[bool] = ContextVar("entity_event_reads_on_primary", default=False)


@contextmanager
def reads_on_primary() -> Iterator[None]:
    """Within the block, read on the primary (``router.db_for_write``) rather than a replica,
    so that the reads see the writes made before them; blocks may nest."""
    token = _on_primary.set(True)
    try:
        yield
    finally:
        _on_primary.reset(token)


def primary_pinned() -> bool:
    """Whether the code running now is inside :func:`reads_on_primary`."""
    return _on_primary.get()


def read_database(model) -> str:
    """The alias ``model`` is read on: the primary inside :func:`reads_on_primary`, else the
    router's read database."""
    return router.db_for_write(model) if primary_pinned() else router.db_for_read(model)


def reading(queryset: QuerySet) -> QuerySet:
    """``queryset`` on the database it is read on: the one it names (``.using(alias)``), else
    :func:`read_database` of its model."""
    if queryset._db is not None:
        return queryset
    return queryset.using(read_database(queryset.model))


def on_primary(queryset: QuerySet) -> QuerySet:
    """``queryset`` read on the primary (``router.db_for_write``), whatever alias it named: for a
    read that decides a write, which a lagging replica would decide wrongly."""
    return queryset.using(router.db_for_write(queryset.model))
