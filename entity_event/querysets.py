"""Querysets and managers of events and subscriptions."""

from collections.abc import Iterable, Iterator, Mapping

from django.db import models, router, transaction
from django.db.models.query import ModelIterable

from entity_event import context_loader, creation
from entity_event.bulk import batches
from entity_event.creation_lock import lock_creation
from entity_event.deletion import EventsLockedOnDeleteQuerySet
from entity_event.registry import models as schema


def read_sources(ids: Iterable[int], database: str) -> dict:
    """``{id: source}`` of the sources of ``ids``, each with its group, in one query."""
    return schema.Source.objects.using(database).select_related("group").in_bulk(set(ids))


def attach_sources(events: list, sources: dict, database: str) -> None:
    """Give each of ``events`` its source (with its group) from ``sources``, by id.

    The sources missing from ``sources`` are read in one query and added to it, so a caller
    that keeps ``sources`` across batches reads each source once. Events of a source deleted
    meanwhile are left as they are (reading their source raises ``DoesNotExist`` as usual).
    """
    missing = {event.source_id for event in events} - sources.keys()
    if missing:
        sources.update(read_sources(missing, database))
    cache = schema.Event._meta.get_field("source").set_cached_value
    for event in events:
        if event.source_id in sources:
            cache(event, sources[event.source_id])


class EventsWithSources(ModelIterable):
    """Events that share one ``Source`` (and ``SourceGroup``) object per source.

    Joining the source and its group to each row makes Django build two more model instances
    per event; a few distinct sources serve thousands of events, so they are read once instead
    (one query for a whole list; for ``iterator()``, one per chunk that meets new sources).
    """

    def __iter__(self) -> Iterator:
        database = self.queryset.db
        if self.queryset.query.select_related:  # the caller joined the source to each row
            yield from super().__iter__()
            return
        sources: dict = {}
        for chunk in batches(super().__iter__(), self.chunk_size if self.chunked_fetch else None):
            attach_sources(chunk, sources, database)
            yield from chunk


class EventQuerySet(EventsLockedOnDeleteQuerySet):
    def bulk_create(self, objs: Iterable, *args, **kwargs) -> list:
        """Django's ``bulk_create``, inserting under the creation lock as ``create_events`` does
        (see :mod:`entity_event.creation_lock`); prefer ``create_events``, which also validates."""
        database = self._db or router.db_for_write(self.model, **self._hints)
        with transaction.atomic(using=database):
            lock_creation(database)
            return super().bulk_create(objs, *args, **kwargs)

    def with_sources(self) -> "EventQuerySet":
        """These events with their source and source group attached, read once per call.

        Showing ``event.source.group`` then costs no query per event, and no per-row join
        builds a copy of the same source for every event (see :class:`EventsWithSources`).
        """
        clone = self._chain()
        if issubclass(clone._iterable_class, ModelIterable):  # not after values() and the like
            clone._iterable_class = EventsWithSources
        return clone

    def mark_seen(self, medium) -> int:
        """Record these events as seen on ``medium``; returns how many were new. Idempotent."""
        return creation.mark_seen(self.values_list("id", flat=True), medium)

    def cache_related(self) -> "EventQuerySet":
        """Fetch each event's source and source group in the same query."""
        return self.select_related("source", "source__group")

    def load_contexts_and_renderers(self, medium) -> list:
        """These events as a list, each ready to ``render(medium)`` (constant number of queries)."""
        return context_loader.load_contexts_and_renderers(self, [medium])


class EventManager(models.Manager.from_queryset(EventQuerySet)):
    def create_event(self, actors: Iterable = None, ignore_duplicates: bool = False, **event_fields):
        """Store one event and its actors; ``None`` if ``ignore_duplicates`` skipped its uuid."""
        created = creation.create_events(
            [{"actors": actors, "ignore_duplicates": ignore_duplicates, **event_fields}]
        )
        return created[0] if created else None

    def create_events(self, kwargs_list: Iterable[Mapping]) -> list:
        """Store many events in a constant number of queries; returns the events created.

        Each mapping holds the arguments of :meth:`create_event`, ``ignore_duplicates`` included.
        """
        return creation.create_events(list(kwargs_list))


class SubscriptionQuerySet(models.QuerySet):
    def cache_related(self) -> "SubscriptionQuerySet":
        """Fetch medium, source, entity and sub entity kind in the same query."""
        return self.select_related("medium", "source", "entity", "sub_entity_kind")


SubscriptionManager = models.Manager.from_queryset(SubscriptionQuerySet)
