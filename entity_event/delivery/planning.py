"""Planning: turning a medium's unseen events into pending deliveries, chunk by chunk.

The events and their targets are streamed as ``Medium.iter_events_targets(seen=False)`` streams
them (:func:`entity_event.routing.chunks_to_claim`), so memory stays bounded by one chunk. The
events that reach nobody are marked seen first, in one query, as 3.x's email job did: later runs
skip them, and a later subscriber does not get old mail. Each chunk costs a constant number of
queries in one transaction: the claim of all its events, those without targets too (their seen
marks, inserted first so that an overlapping run skips them), for a digest medium the look-up
of the entities whose digest task is enqueued already, and the insert of its deliveries. Its
send tasks are enqueued afterwards, one per batch of deliveries; should that fail, the
deliveries stay pending and ``deliver_events`` enqueues them later.
"""

from django.db import connections, router, transaction
from django.utils import timezone

from entity_event import routing
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
    nobody, chunks = routing.chunks_to_claim(medium, chunk_size=chunk_size, seen=False, **event_filters)
    mark_seen(nobody, medium)
    for events, pairs in chunks:
        now = timezone.now()
        due = now if period is None else digests.period_end(period, now)
        with transaction.atomic(using=router.db_for_write(Delivery)):
            claimed = set(claim_seen([event.pk for event in events], medium))
            rows = [
                (event.pk, target.pk) for event, targets in pairs if event.pk in claimed for target in targets
            ]
            entity_ids = {entity_id for _event_id, entity_id in rows}
            if period is not None:  # a digest task is enqueued once per entity and period
                entity_ids -= digests.entities_waiting(medium, due, entity_ids)
            delivery_ids = insert_deliveries(medium, rows, now, due)
        tasks.enqueue_planned(medium, period, delivery_ids, entity_ids, due)
        planned += len(delivery_ids)
    return planned


def insert_deliveries(medium: Medium, rows: list[tuple[int, int]], now, due) -> list[int]:
    """Insert a pending delivery per ``(event id, entity id)``; returns the new ids, ascending.

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
        field("time_next_attempt").get_db_prep_save(due, connection),
    ]
    ids = []
    with connection.cursor() as cursor:
        for batch in parameter_batches(rows, connection, per_item=2, reserved=len(constants)):
            select = (
                f"SELECT v.column1, %s, v.column2, %s, %s, %s, %s, %s "
                f"FROM ({values_sql(len(batch), 2)}) v WHERE 1 = 1"
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
