"""Personal data: what the package holds about one entity, exported as JSON data or forgotten.

:func:`export_entity` answers an access request, :func:`forget_entity` an erasure request.
Neither touches the entity itself (django-entity keeps it in sync with the project's models) nor
the events: an event belongs to its source and to every entity it reached. :doc:`/privacy` says
what stays and why.

Forgetting takes its locks in the order of the rest of the package, so that it runs beside
delivery workers, inbox marks and deletes of events without a deadlock:

1. the events its rows point at, in id order (``FOR KEY SHARE`` on PostgreSQL), as every delete
   of events and every mark does (see :mod:`entity_event.deletion`);
2. its inbox watermarks, then its inbox marks, as an inbox mark does (see :mod:`entity_event.inbox`);
3. its deliveries, all at once or none: a worker recording outcomes updates its deliveries in
   whatever order PostgreSQL scans them, so forgetting never holds some of them while it waits
   for others (see :func:`_lock_all`); then the rest.

Rows are deleted with one statement per table, without Django's per-row delete signals, for the
reasons :mod:`entity_event.retention` gives. Nothing in the package points at these rows; a
project model that does makes the database refuse the whole transaction.
"""

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import router, transaction
from django.db.models import Q, QuerySet
from entity.models import Entity

from entity_event.creation import locked_event_ids
from entity_event.event_input import check_context
from entity_event.models import (
    Delivery,
    Event,
    EventActor,
    InboxMark,
    InboxWatermark,
    Subscription,
    Unsubscription,
)

#: Seconds between two tries at locking an entity's deliveries while a worker holds some of them.
LOCK_RETRY_DELAY = 0.02

#: A function given the context of an event the entity acted in, returning the context to keep.
ContextRewriter = Callable[[dict], dict]


def export_entity(entity: Entity) -> dict[str, Any]:
    """Everything the package holds about ``entity``, as data ``json.dumps`` accepts.

    Dates are ISO 8601 strings; mediums and sources appear by name, events by id. One query per
    kind of row whatever the amounts, rows read as dicts. Seen marks per medium
    (:class:`~entity_event.models.EventSeen`) are not exported: they record that an event went
    out on a medium, for everyone at once, and name no entity.
    """
    _check_entity(entity)
    return {
        "entity": {
            "id": entity.pk,
            "entity_type": _label(ContentType.objects.get_for_id(entity.entity_type_id)),
            "entity_id": entity.entity_id,
            "display_name": entity.display_name,
        },
        "events": _rows(
            Event.objects.filter(id__in=_acted(entity).values("event_id")),
            id="id",
            uuid="uuid",
            source="source__name",
            time="time",
            context="context",
        ),
        "subscriptions": _rows(
            Subscription.objects.filter(entity=entity),
            medium="medium__name",
            source="source__name",
            sub_entity_kind="sub_entity_kind__name",
            only_following="only_following",
        ),
        "unsubscriptions": _rows(
            Unsubscription.objects.filter(entity=entity), medium="medium__name", source="source__name"
        ),
        "inbox_watermarks": _rows(
            InboxWatermark.objects.filter(entity=entity),
            medium="medium__name",
            seen_up_to="seen_up_to",
            time_marked="time_marked",
        ),
        "inbox_marks": _rows(
            InboxMark.objects.filter(entity=entity),
            medium="medium__name",
            event="event_id",
            seen="seen",
            time_marked="time_marked",
        ),
        "deliveries": _rows(
            Delivery.objects.filter(entity=entity),
            id="id",
            event="event_id",
            medium="medium__name",
            status="status",
            attempts="attempts",
            last_error="last_error",
            time_created="time_created",
            time_next_attempt="time_next_attempt",
            time_sent="time_sent",
        ),
    }


def forget_entity(entity: Entity, *, rewrite_context: ContextRewriter | None = None) -> dict[str, int]:
    """Delete what the package holds about ``entity``, in one transaction; returns counts per kind.

    Goes: its inbox watermarks and marks, its deliveries, its unsubscriptions, its own
    subscriptions (those without ``sub_entity_kind``) and its place among the actors of events.
    Stays: the events, their seen marks per medium, and the entity's subscriptions of a kind of
    its sub entities (a group's subscriptions of its members are its settings, not its data).

    ``rewrite_context``, if given, receives the context of each event the entity acted in and
    returns the context to keep (without the person's name, say); contexts it returns unchanged
    are not written. It runs before anything is deleted, and a context it returns that could not
    be stored raises :class:`~entity_event.exceptions.InvalidEventError`, with nothing changed.
    """
    _check_entity(entity)
    if rewrite_context is not None and not callable(rewrite_context):
        raise TypeError(f"rewrite_context must be a function of a context, not {rewrite_context!r}.")
    with transaction.atomic(using=router.db_for_write(Event)):
        # The lock order of the module's docstring: events, watermarks, marks, deliveries.
        locked_event_ids(
            Event.objects.filter(
                Q(id__in=_acted(entity).values("event_id"))
                | Q(id__in=InboxMark.objects.filter(entity=entity).values("event_id"))
                | Q(id__in=Delivery.objects.filter(entity=entity).values("event_id"))
            )
        )
        rewritten = _rewrite_contexts(entity, rewrite_context) if rewrite_context else 0
        counts = {"inbox_watermarks": _delete(InboxWatermark.objects.filter(entity=entity))}
        counts["inbox_marks"] = _delete(InboxMark.objects.filter(entity=entity))
        deliveries = Delivery.objects.filter(entity=entity)
        _lock_all(deliveries)
        counts["deliveries"] = _delete(deliveries)
        counts["unsubscriptions"] = _delete(Unsubscription.objects.filter(entity=entity))
        counts["subscriptions"] = _delete(Subscription.objects.filter(entity=entity, sub_entity_kind=None))
        counts["event_actors"] = _delete(_acted(entity))
    return {**counts, "event_contexts": rewritten}


def _check_entity(entity: Entity) -> None:
    if not isinstance(entity, Entity) or entity.pk is None:
        raise TypeError(f"entity must be a saved Entity, not {entity!r}.")


def _acted(entity: Entity) -> QuerySet:
    return EventActor.objects.filter(entity=entity)


def _label(content_type: ContentType) -> str:
    return f"{content_type.app_label}.{content_type.model}"


def _rows(rows: QuerySet, **columns: str) -> list[dict[str, Any]]:
    """``rows`` by id, each a dict of ``columns`` (name in the export -> lookup), dates as text."""
    values = rows.order_by("id").values(*columns.values())
    return [{name: _plain(row[lookup]) for name, lookup in columns.items()} for row in values]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _rewrite_contexts(entity: Entity, rewrite_context: ContextRewriter) -> int:
    """Store what ``rewrite_context`` makes of the contexts of the events ``entity`` acted in."""
    changed = []
    events = Event.objects.filter(id__in=_acted(entity).values("event_id")).order_by("id")
    for event_id, context in events.values_list("id", "context"):
        new = rewrite_context(context)
        if new != context:
            check_context(new)
            changed.append(Event(id=event_id, context=new))
    Event.objects.bulk_update(changed, ["context"])
    return len(changed)


def _lock_all(rows: QuerySet) -> None:
    """Lock ``rows`` all at once or none, in the current transaction.

    A try that finds some rows locked elsewhere lets go of those it took (its savepoint is rolled
    back) and tries again a moment later: holding some rows while waiting for others is how two
    transactions that take the same rows in different orders end in a deadlock.
    """
    database = router.db_for_write(rows.model)
    rows = rows.using(database)
    while True:
        with transaction.atomic(using=database):
            taken = set(rows.order_by("id").select_for_update(skip_locked=True).values_list("id", flat=True))
            if set(rows.values_list("id", flat=True)) <= taken:
                return
            transaction.set_rollback(True, using=database)  # PostgreSQL only
        time.sleep(LOCK_RETRY_DELAY)  # PostgreSQL only


def _delete(rows: QuerySet) -> int:
    """Delete ``rows`` in one statement; returns how many went."""
    return rows._raw_delete(rows.db)
