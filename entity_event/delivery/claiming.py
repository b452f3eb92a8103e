"""Taking work so that no two processes do it: events by their seen mark, deliveries by a lease.

An event is claimed for a medium by inserting its seen mark
(:func:`entity_event.creation.claim_seen`), which hands each mark to exactly one of two overlapping
runs. A due delivery is claimed by
a worker under a row lock (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL), which counts the
attempt and moves its next attempt a lease (``ENTITY_EVENT_DELIVERY_LEASE``) ahead: if the worker
dies, the delivery falls due again once the lease is over and ``deliver_events`` re-enqueues it.
The deliveries are read with what routing decides from (:mod:`~entity_event.delivery.cancelling`),
so that those it would no longer make are cancelled, not sent.
"""

from datetime import timedelta

from django.db import router, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from entity_event import app_settings
from entity_event.delivery.cancelling import annotate_routing
from entity_event.models import Delivery


def claim_due(deliveries: QuerySet) -> list[Delivery]:
    """Take the pending, due deliveries among ``deliveries`` for one attempt; returns them by id.

    Three queries: the locking select, the update, and the read of the deliveries with their
    entities and routing's verdict (:func:`~entity_event.delivery.cancelling.annotate_routing`).
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
    claimed = Delivery.objects.filter(id__in=ids).select_related("entity").order_by("id")
    return list(annotate_routing(claimed))
