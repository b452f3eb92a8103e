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

The inbox is a capability on top of the core: :func:`install` gives ``Medium`` its
``inbox(entity)`` method when the app is ready, so the core never imports this module.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connections, router, transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from entity.models import Entity

from entity_event.arguments import ID_RANGE, check_flag
from entity_event.creation import ids_subquery, locked_event_ids
from entity_event.creation_lock import newest_settled_id
from entity_event.databases import reads_on_primary
from entity_event.models import Event, InboxMark, InboxWatermark, Medium
from entity_event.routing import older_than as older_than  # where the inbox views and 4.0 found it


def install() -> None:
    """Give every medium ``medium.inbox(entity)``, this module's entry point (see docs/architecture.rst)."""
    Medium.inbox = medium_inbox


def medium_inbox(medium: Medium, entity: Entity) -> "Inbox":
    """What ``entity`` receives on ``medium``, with its own seen marks: ``medium.inbox(entity)``."""
    return Inbox(medium, entity)


class Inbox:
    """The events ``entity`` receives on ``medium``, with that entity's own seen marks."""

    def __init__(self, medium: Medium, entity: Entity):
        if not isinstance(entity, Entity):
            raise TypeError(f"An inbox needs an Entity, not {entity!r}.")
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

    def unseen_count(self, limit: int | None = None, **event_filters) -> int:
        """How many of the events this entity receives it has not seen, in one query; with
        ``limit``, at most that many, counted at a cost bounded by ``limit`` (for a "99+" badge)."""
        if "seen" in event_filters:
            raise TypeError("Inbox.unseen_count() takes no seen argument: it counts the unseen events.")
        _check_limit(limit)
        received = self._filtered(None, Q(), event_filters, "unseen_count").order_by()
        above, again = self._unseen_parts()
        # Two disjoint parts, counted as one: the OR of their conditions is no index condition,
        # while "above the watermark" alone is a range of the primary key.
        unseen = received.filter(above).union(received.filter(again), all=True)
        return (unseen if limit is None else unseen[:limit]).count()

    def _filtered(
        self, seen: bool | None, is_seen: Q, event_filters: dict, method: str = "events"
    ) -> QuerySet:
        """``entity_events`` narrowed to the read state ``seen`` (all events for ``None``)."""
        check_flag("seen", seen, allow_none=True)
        if "mark_seen" in event_filters:
            raise TypeError(f"Inbox.{method}() takes no mark_seen argument; call Inbox.mark_seen() instead.")
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

    def _unseen_parts(self) -> tuple[Q, Q]:
        """The negation of :meth:`_is_seen` as two disjoint conditions: above the watermark and
        not marked seen; below it and marked unseen again."""
        marks = self._own_marks()
        watermark = Coalesce(self._watermark(), Value(0))
        marked_seen = Q(pk__in=marks.filter(seen=True).values("event_id"))
        marked_unseen = Q(pk__in=marks.filter(seen=False).values("event_id"))
        return Q(pk__gt=watermark) & ~marked_seen, Q(pk__lte=watermark) & marked_unseen

    def _watermark(self) -> Subquery:
        watermark = InboxWatermark.objects.filter(entity=self.entity, medium=self.medium)
        return Subquery(watermark.values("seen_up_to")[:1])

    # Writing.

    def mark_seen(self, events=None, *, up_to: int | None = None) -> int:
        """Mark events seen for this entity; returns how many became seen.

        ``None`` marks everything received up to now, in a constant number of writes, and
        ``up_to=<event id>`` everything received with an id up to it (what a page showed);
        either leaves out the events other transactions are still creating. Otherwise
        ``events`` is an event, an event id, an iterable of them or a queryset of events; those
        that this entity does not receive are left alone. Expired events count like the others.
        """
        if events is None:
            _check_up_to(up_to)
            with self._locked() as watermark:
                return self._mark_everything_seen(watermark, up_to)
        if up_to is not None:
            raise TypeError("mark_seen() takes either events or up_to, not both.")
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

    def _mark_everything_seen(self, watermark: InboxWatermark, up_to: int | None) -> int:
        """Move the watermark to the newest settled event (at most ``up_to``) and drop the marks
        it makes pointless; mark the committed events above it (up to ``up_to``) one by one.

        Events above the settled id exist only while another transaction is still creating
        events below them, so there are few of them, and they get marks until a later call
        moves the watermark past them.
        """
        settled = newest_settled_id(router.db_for_write(Event))
        newest = max(settled if up_to is None else min(settled, up_to), watermark.seen_up_to)
        became_seen = self._ids_query(seen=False).filter(id__lte=newest).count()
        InboxWatermark.objects.filter(pk=watermark.pk).update(seen_up_to=newest, time_marked=timezone.now())
        _delete(self._own_marks().filter(event_id__lte=newest))
        above = self._ids_query(seen=False).filter(id__gt=newest)
        above = locked_event_ids(above if up_to is None else above.filter(id__lte=up_to))
        self._add_marks(above, seen=True)
        return became_seen + len(above)

    @contextmanager
    def _locked(self) -> Iterator[InboxWatermark]:
        """A transaction holding this inbox's watermark row (created at 0 if missing) locked.

        A delete that commits between the insert and the lock (``forget_entity``, a deleted
        entity or medium) leaves nothing to lock: the row is then created again.
        """
        key = {"entity": self.entity, "medium": self.medium}
        # What is read here decides what is written: it is read on the primary, in the transaction.
        with reads_on_primary(), transaction.atomic(using=router.db_for_write(InboxWatermark)):
            watermark = None
            while watermark is None:
                InboxWatermark.objects.bulk_create([InboxWatermark(**key)], ignore_conflicts=True)
                watermark = InboxWatermark.objects.select_for_update().filter(**key).first()
            yield watermark

    def _ids(self, ids: QuerySet | list[int], *, seen: bool) -> list[int]:
        """Those of ``ids`` that this entity receives and whose read state is ``seen``, kept from
        deletion until the transaction ends, so that their marks never refer to a deleted event."""
        if not isinstance(ids, QuerySet):
            ids = ids_subquery(ids, router.db_for_write(Event))
        return locked_event_ids(self._ids_query(seen=seen).filter(id__in=ids))

    def _ids_query(self, *, seen: bool) -> QuerySet:
        return self._filtered(seen, self._is_seen(), {"include_expired": True}).order_by()

    def _own_marks(self) -> QuerySet:
        return InboxMark.objects.filter(entity=self.entity, medium=self.medium)

    def _marks(self, event_ids: list[int]) -> QuerySet:
        return self._own_marks().filter(event_id__in=ids_subquery(event_ids, router.db_for_write(InboxMark)))

    def _add_marks(self, event_ids: list[int], *, seen: bool) -> None:
        """Insert the marks of ``event_ids`` in one statement, the ids as one JSON parameter (a
        ``bulk_create`` takes a statement per few hundred rows on SQLite)."""
        if not event_ids:
            return
        database = router.db_for_write(InboxMark)
        connection = connections[database]
        quote = connection.ops.quote_name
        ids = ids_subquery(event_ids, database)
        time_marked = InboxMark._meta.get_field("time_marked").get_db_prep_save(timezone.now(), connection)
        columns = ", ".join(map(quote, ["entity_id", "medium_id", "seen", "time_marked", "event_id"]))
        sql = (
            f"INSERT INTO {quote(InboxMark._meta.db_table)} ({columns}) "
            f"SELECT %s, %s, %s, %s, ids.* FROM ({ids.sql}) AS ids"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, (self.entity.pk, self.medium.pk, seen, time_marked, *ids.params))


def _delete(marks: QuerySet) -> None:
    """Delete ``marks`` in one statement: nothing refers to a mark, so there is nothing to collect,
    even when a project listens to every ``post_delete`` (django-entity's syncing does)."""
    marks._raw_delete(marks.db)


def _check_limit(limit) -> None:
    """Refuse a ``limit`` that is not a positive 64-bit ``int``, naming it."""
    if limit is None:
        return
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise TypeError(f"limit must be a positive int, not {limit!r}.")
    if not 1 <= limit <= ID_RANGE[-1]:
        raise ValueError(f"limit={limit} is not a positive 64-bit integer.")


def _check_up_to(up_to) -> None:
    """Refuse an ``up_to`` that is not an event id, naming it, before anything is written."""
    if up_to is None:
        return
    if not isinstance(up_to, int) or isinstance(up_to, bool):
        raise TypeError(f"up_to must be an event id (an int), not {up_to!r}.")
    if up_to not in ID_RANGE:
        raise ValueError(f"up_to={up_to} is not an event id: ids are 64-bit integers.")


def _event_ids(events) -> QuerySet | list[int]:
    """Event ids of an event, an id, an iterable of either, or a queryset of events.

    Text and bytes are refused whole: iterating ``b"12"`` would give the ids 49 and 50.
    """
    if isinstance(events, QuerySet):
        if events.model is not Event:
            raise TypeError(
                f"events must be a queryset of events, not a queryset of {events.model.__name__} rows."
            )
        return events.values("id")
    if isinstance(events, str | bytes | bytearray | memoryview) or not isinstance(events, Iterable):
        events = [events]
    ids = []
    for event in events:
        if isinstance(event, Event):
            ids.append(event.pk)
        elif isinstance(event, int) and not isinstance(event, bool):
            if event not in ID_RANGE:
                raise ValueError(f"{event} is not an event id: ids are 64-bit integers.")
            ids.append(event)
        else:
            raise TypeError(f"events must be events or event ids, not {event!r}.")
    return ids
