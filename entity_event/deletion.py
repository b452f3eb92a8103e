"""Deletes that take events with them lock those events first.

Django deletes the rows that point at an event (its seen marks, actors, inbox marks and
deliveries) before the event itself. A concurrent mark locks its events in id order
(``FOR KEY SHARE``), then inserts its marks. Had it met a mark that such a delete had just
removed, it would wait for the delete while holding an event that the delete needs next: a
deadlock. Locking the events to delete first, in the same id order, makes the mark wait before
it holds anything; once the delete commits, the mark skips the deleted events.

Events, sources and source groups use the queryset and the model below, so that their deletes,
one row or many (the admin's among them), lock the events they take with them.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import models, router, transaction


@contextmanager
def events_locked(events: models.QuerySet, using: str) -> Iterator[None]:
    """A transaction on database ``using`` that starts by locking ``events`` in id order (Django
    leaves the lock out where the database has none, SQLite, which serialises its writers)."""
    with transaction.atomic(using=using, savepoint=False):
        doomed = events.model._base_manager.using(using).filter(id__in=events.values("id"))
        list(doomed.order_by("id").select_for_update().values_list("id", flat=True))
        yield


class EventsLockedOnDeleteQuerySet(models.QuerySet):
    """A queryset whose ``delete()`` locks the events it takes with it first."""

    def delete(self) -> tuple[int, dict[str, int]]:
        using = self._db or router.db_for_write(self.model, **self._hints)
        with events_locked(self.model.events_deleted_with(self), using):
            return super().delete()


class EventsLockedOnDelete(models.Model):
    """A model whose ``delete()`` locks the events it takes with it first.

    Each subclass defines the class method ``events_deleted_with(rows)``: the events that
    deleting ``rows``, a queryset of the model, deletes too.
    """

    class Meta:
        abstract = True

    def delete(self, using: str | None = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        using = using or router.db_for_write(type(self), instance=self)
        rows = type(self)._base_manager.filter(pk=self.pk)
        with events_locked(self.events_deleted_with(rows), using):
            return super().delete(using, keep_parents)
