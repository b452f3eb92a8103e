"""Planning: turning a medium's unseen events into pending deliveries, chunk by chunk.

The events and their targets are streamed as ``Medium.iter_events_targets(seen=False)`` streams
them (:func:`entity_event.routing.chunks_to_claim`), so memory stays bounded by one chunk. The
events that reach nobody are marked seen first, in one query, as 3.x's email job did: later runs
skip them, and a later subscriber does not get old mail. Each chunk costs a constant number of
queries in one transaction: the claim of all its events, those without targets too (their seen
marks, inserted first so that an overlapping run skips them), for a digest medium the look-up
of the entities whose digest task is enqueued already, and the insert of its deliveries. Its
send tasks are enqueued afterwards, one per batch of deliveries (for digests, per batch of
entities and end of period: a daily digest ends at an hour of each recipient's own time zone);
should that fail, the deliveries stay pending and ``deliver_events`` enqueues them later.
"""

from datetime import datetime

from django.db import connections, router, transaction
from django.utils import timezone

from entity_event import languages, routing
from entity_event.bulk import insert_skipping_conflicts, parameter_batches, values_sql
from entity_event.creation import claim_seen, mark_seen
from entity_event.delivery import digests, tasks
from entity_event.delivery.channels import channel_for
from entity_event.models import Delivery, Medium

#: Events per chunk.
CHUNK_SIZE = 500

#: Arguments of ``iter_events_targets`` that planning sets itself.
RESERVED_FILTERS = ("seen", "mark_seen")


def install() -> None:
    """Give every medium ``medium.deliver(**event_filters)``, delivery's entry point (see
    docs/architecture.rst)."""
    Medium.deliver = deliver


def deliver(medium: Medium, *, chunk_size: int = CHUNK_SIZE, **event_filters) -> int:
    """Claim ``medium``'s unseen events, write a delivery per target and enqueue their sending.

    Returns how many deliveries were planned. Raises ``ImproperlyConfigured`` before claiming
    anything when no channel delivers the medium, or its channel cannot be built (a webhook
    without its settings, email links without a site address).
    """
    reserved = sorted(set(event_filters) & set(RESERVED_FILTERS))
    if reserved:
        raise TypeError(f"Medium.deliver() sets {', '.join(reserved)} itself; it cannot be passed.")
    channel_for(medium)
    period = digests.digest_period(medium)
    planned = 0
    resolver = languages.Resolver() if period == "daily" else None
    nobody, chunks = routing.chunks_to_claim(medium, chunk_size=chunk_size, seen=False, **event_filters)
    mark_seen(nobody, medium)
    for events, pairs in chunks:
        now = timezone.now()
        with transaction.atomic(using=router.db_for_write(Delivery)):
            claimed = set(claim_seen([event.pk for event in events], medium))
            reached = {
                target.pk: target for event, targets in pairs if event.pk in claimed for target in targets
            }
            ends = _ends(period, now, reached, resolver)
            rows = [
                (event.pk, target.pk, ends[target.pk])
                for event, targets in pairs
                if event.pk in claimed
                for target in targets
            ]
            if period is not None:  # a digest task is enqueued once per entity and period
                for entity_id in digests.entities_waiting(medium, ends):
                    del ends[entity_id]
            delivery_ids = insert_deliveries(medium, rows, now)
        tasks.enqueue_planned(medium, period, delivery_ids, ends)
        planned += len(delivery_ids)
    return planned


def _ends(period: str | None, now: datetime, targets: dict, resolver: languages.Resolver | None) -> dict:
    """Entity id -> when its deliveries are due: ``now``, or the end of its digest's period (a
    daily digest's in the entity's time zone)."""
    if period is None:
        return dict.fromkeys(targets, now)
    if period == "hourly":
        return dict.fromkeys(targets, digests.period_end(period, now))
    return {
        entity_id: digests.period_end(period, now, resolver.timezone(target))
        for entity_id, target in targets.items()
    }


def insert_deliveries(medium: Medium, rows: list[tuple[int, int, datetime]], now: datetime) -> list[int]:
    """Insert a pending delivery per ``(event id, entity id, due)``; returns the new ids, ascending.

    Existing deliveries are skipped. One statement on PostgreSQL; on SQLite, as many as its
    limit of parameters needs.
    """
    connection = connections[router.db_for_write(Delivery)]
    field = Delivery._meta.get_field
    columns = ["event_id", "medium_id", "entity_id", "status", "attempts", "last_error"]
    columns += ["time_created", "time_next_attempt"]
    constants = [
        medium.pk,
        Delivery.Status.PENDING.value,
        0,
        "",
        field("time_created").get_db_prep_save(now, connection),
    ]
    due_field = field("time_next_attempt")
    rows = [
        (event_id, entity_id, due_field.get_db_prep_save(due, connection))
        for event_id, entity_id, due in rows
    ]
    ids = []
    with connection.cursor() as cursor:
        for batch in parameter_batches(rows, connection, per_item=3, reserved=len(constants)):
            select = (
                f"SELECT v.column1, %s, v.column2, %s, %s, %s, %s, v.column3 "
                f"FROM ({values_sql(len(batch), 3)}) v WHERE 1 = 1"
            )
            cursor.execute(
                insert_skipping_conflicts(
                    connection,
                    Delivery._meta.db_table,
                    columns,
                    ["event_id", "medium_id", "entity_id"],
                    select,
                    ["id"],
                ),
                (*constants, *(value for row in batch for value in row)),
            )
            ids.extend(delivery_id for (delivery_id,) in cursor.fetchall())
    return sorted(ids)
