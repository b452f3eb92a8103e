"""Per-entity read state: what one entity has seen of what it receives on a medium.

The per-medium marks of 3.x (:class:`~entity_event.models.EventSeen`) say an event was seen on a
medium by everyone at once, which suits an email sent once. An inbox keeps marks of its own
entity only, in two tables:

- one :class:`~entity_event.models.InboxWatermark` row per entity and medium: the events up to
  an event id are seen. Marking everything seen moves it, in a constant number of writes;
- :class:`~entity_event.models.InboxMark` rows for the exceptions: events above the watermark
  marked seen one by one, events below it marked unseen again.

An event is seen when its mark says so, otherwise when its id is not above the watermark. Writes
to one inbox take a lock on its watermark row, so concurrent calls count each change once.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import router, transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Max,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from entity.models import Entity

from entity_event.arguments import check_flag
from entity_event.creation import locked_event_ids
from entity_event.models import Event, InboxMark, InboxWatermark, Medium


class Inbox:
    """The events ``entity`` receives on ``medium``, with that entity's own seen marks."""

    def __init__(self, medium: Medium, entity: Entity):
        self.medium = medium
        self.entity = entity

    def __repr__(self) -> str:
        return f"<Inbox of {self.entity} on {self.medium}>"

    # Reading.

    def events(self, seen: bool | None = None, **event_filters) -> QuerySet:
        """The events of ``medium.entity_events(entity, **event_filters)``, in the same order, each
        with ``is_seen``; ``seen=False`` keeps the unseen ones, ``seen=True`` the seen ones.

        ``seen`` here is this entity's read state: the per-medium filter of
        :meth:`Medium.entity_events <entity_event.models.Medium.entity_events>` is not available
        under that name, and neither is its ``mark_seen`` (use :meth:`mark_seen`).
        """
        is_seen = self._is_seen()
        events = self._filtered(seen, is_seen, event_filters)
        return events.annotate(is_seen=ExpressionWrapper(is_seen, BooleanField()))

    def unseen_count(self, **event_filters) -> int:
        """How many of the events this entity receives it has not seen, in one query."""
        return self._filtered(False, self._is_seen(), event_filters).count()

    def _filtered(self, seen: bool | None, is_seen: Q, event_filters: dict) -> QuerySet:
        """``entity_events`` narrowed to the read state ``seen`` (all events for ``None``)."""
        check_flag("seen", seen, allow_none=True)
        if "mark_seen" in event_filters:
            raise TypeError("Inbox.events() takes no mark_seen argument; call Inbox.mark_seen() instead.")
        events = self.medium.entity_events(self.entity, **event_filters)
        if seen is None:
            return events
        return events.filter(is_seen if seen else ~is_seen)

    def _is_seen(self) -> Q:
        """The read state of an event: marked seen, or below the watermark and not marked unseen.

        The marks are read as ``id IN (...)`` of this entity's marks, which PostgreSQL hashes
        once per query, rather than a lookup per event (whose estimated cost grows with the
        events and switches on JIT compilation, which costs more than the query).
        """
        marks = self._own_marks()
        below_watermark = Q(pk__lte=Coalesce(self._watermark(), Value(0)))
        marked_seen = Q(pk__in=marks.filter(seen=True).values("event_id"))
        marked_unseen = Q(pk__in=marks.filter(seen=False).values("event_id"))
        return marked_seen | (below_watermark & ~marked_unseen)

    def _watermark(self) -> Subquery:
        watermark = InboxWatermark.objects.filter(entity=self.entity, medium=self.medium)
        return Subquery(watermark.values("seen_up_to")[:1])

    # Writing.

    def mark_seen(self, events=None) -> int:
        """Mark events seen for this entity; returns how many became seen.

        ``None`` marks everything received up to now, in a constant number of writes. Otherwise
        ``events`` is an event, an event id, an iterable of them or a queryset of events; those
        that this entity does not receive are left alone. Expired events count like the others.
        """
        if events is None:
            with self._locked() as watermark:
                return self._mark_everything_seen(watermark)
        ids = _event_ids(events)
        with self._locked() as watermark:
            changed = self._ids(ids, seen=False)
            _delete(self._marks(changed))
            above = [event_id for event_id in changed if event_id > watermark.seen_up_to]
            self._add_marks(above, seen=True)
            return len(changed)

    def mark_unseen(self, events) -> int:
        """Mark ``events`` (as for :meth:`mark_seen`, but not ``None``) unseen for this entity;
        returns how many became unseen."""
        if events is None:
            raise TypeError("mark_unseen() needs the events to mark unseen, not None.")
        ids = _event_ids(events)
        with self._locked() as watermark:
            changed = self._ids(ids, seen=True)
            _delete(self._marks(changed))
            self._add_marks(
                [event_id for event_id in changed if event_id <= watermark.seen_up_to], seen=False
            )
            return len(changed)

    def _mark_everything_seen(self, watermark: InboxWatermark) -> int:
        """Move the watermark to the newest event and drop the marks it makes pointless."""
        newest = max(Event.objects.aggregate(newest=Max("id"))["newest"] or 0, watermark.seen_up_to)
        became_seen = self._ids_query(seen=False).filter(id__lte=newest).count()
        InboxWatermark.objects.filter(pk=watermark.pk).update(seen_up_to=newest, time_marked=timezone.now())
        _delete(self._own_marks().filter(event_id__lte=newest))
        return became_seen

    @contextmanager
    def _locked(self) -> Iterator[InboxWatermark]:
        """A transaction holding this inbox's watermark row (created at 0 if missing) locked."""
        key = {"entity": self.entity, "medium": self.medium}
        with transaction.atomic(using=router.db_for_write(InboxWatermark)):
            InboxWatermark.objects.bulk_create([InboxWatermark(**key)], ignore_conflicts=True)
            yield InboxWatermark.objects.select_for_update().get(**key)

    def _ids(self, ids: QuerySet | list[int], *, seen: bool) -> list[int]:
        """Those of ``ids`` that this entity receives and whose read state is ``seen``, kept from
        deletion until the transaction ends, so that their marks never refer to a deleted event."""
        return locked_event_ids(self._ids_query(seen=seen).filter(id__in=ids))

    def _ids_query(self, *, seen: bool) -> QuerySet:
        return self._filtered(seen, self._is_seen(), {"include_expired": True}).order_by()

    def _own_marks(self) -> QuerySet:
        return InboxMark.objects.filter(entity=self.entity, medium=self.medium)

    def _marks(self, event_ids: list[int]) -> QuerySet:
        return self._own_marks().filter(event_id__in=event_ids)

    def _add_marks(self, event_ids: list[int], *, seen: bool) -> None:
        now = timezone.now()
        InboxMark.objects.bulk_create(
            InboxMark(entity=self.entity, medium=self.medium, event_id=event_id, seen=seen, time_marked=now)
            for event_id in event_ids
        )


def older_than(events: QuerySet, time: datetime, event_id: int) -> QuerySet:
    """Those of ``events`` after ``(time, event_id)`` in newest-first order: the page after the
    event ``event_id`` of a keyset pagination, which costs the same deep in the feed as on top."""
    return events.filter(Q(time__lt=time) | Q(time=time, id__lt=event_id))


def _delete(marks: QuerySet) -> None:
    """Delete ``marks`` in one statement: nothing refers to a mark, so there is nothing to collect,
    even when a project listens to every ``post_delete`` (django-entity's syncing does)."""
    marks._raw_delete(marks.db)


def _event_ids(events) -> QuerySet | list[int]:
    """Event ids of an event, an id, an iterable of either, or a queryset of events."""
    if isinstance(events, QuerySet):
        return events.values("id")
    if isinstance(events, Event | int) or not isinstance(events, Iterable) or isinstance(events, str):
        events = [events]
    ids = []
    for event in events:
        if isinstance(event, Event):
            ids.append(event.pk)
        elif isinstance(event, int) and not isinstance(event, bool):
            ids.append(event)
        else:
            raise TypeError(f"events must be events or event ids, not {event!r}.")
    return ids
