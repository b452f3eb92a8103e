"""Taking work so that no two processes do it: events by their seen mark, deliveries by a lease.

An event is claimed for a medium by inserting its seen mark: ``INSERT ... ON CONFLICT DO NOTHING
RETURNING`` hands each mark to exactly one of two overlapping runs. A due delivery is claimed by
a worker under a row lock (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL), which counts the
attempt and moves its next attempt a lease (``ENTITY_EVENT_DELIVERY_LEASE``) ahead: if the worker
dies, the delivery falls due again once the lease is over and ``deliver_events`` re-enqueues it.
"""

from datetime import timedelta

from django.db import connections, router, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from entity_event import app_settings
from entity_event.creation import _parameter_batches
from entity_event.models import Delivery, Event, EventSeen, Medium


def claim_events(medium: Medium, event_ids: list[int]) -> set[int]:
    """Mark ``event_ids`` seen on ``medium``; returns those this call marked (nobody else had)."""
    database = router.db_for_write(EventSeen)
    connection = connections[database]
    quote = connection.ops.quote_name
    time_seen = EventSeen._meta.get_field("time_seen").get_db_prep_save(timezone.now(), connection)
    claimed = set()
    with connection.cursor() as cursor:
        for batch in _parameter_batches(event_ids, database, reserved=2):
            cursor.execute(
                f"INSERT INTO {quote(EventSeen._meta.db_table)} "
                f"({quote('event_id')}, {quote('medium_id')}, {quote('time_seen')}) "
                f"SELECT {quote('id')}, %s, %s FROM {quote(Event._meta.db_table)} "
                f"WHERE {quote('id')} IN ({', '.join(['%s'] * len(batch))}) "
                f"ON CONFLICT ({quote('event_id')}, {quote('medium_id')}) DO NOTHING "
                f"RETURNING {quote('event_id')}",
                (medium.pk, time_seen, *batch),
            )
            claimed.update(event_id for (event_id,) in cursor.fetchall())
    return claimed


def claim_due(deliveries: QuerySet) -> list[Delivery]:
    """Take the pending, due deliveries among ``deliveries`` for one attempt; returns them by id.

    Three queries: the locking select, the update, and the read of the deliveries with entities.
    """
    now = timezone.now()
    lease = timedelta(seconds=app_settings.delivery_lease_seconds())
    with transaction.atomic(using=router.db_for_write(Delivery)):
        ids = list(
            deliveries.select_for_update(skip_locked=True)
            .filter(status=Delivery.Status.PENDING, time_next_attempt__lte=now)
            .values_list("id", flat=True)
        )
        Delivery.objects.filter(id__in=ids).update(attempts=F("attempts") + 1, time_next_attempt=now + lease)
    return list(Delivery.objects.filter(id__in=ids).select_related("entity").order_by("id"))
