"""Querysets and managers of events and subscriptions."""

from collections.abc import Iterable, Mapping

from django.db import models

from entity_event import context_loader, creation
from entity_event.deletion import EventsLockedOnDeleteQuerySet


class EventQuerySet(EventsLockedOnDeleteQuerySet):
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
