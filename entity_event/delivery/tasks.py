"""The background tasks of delivery, and how they are enqueued: in batches, retries deferred.

Only the public Tasks API is used (``@task``, ``enqueue``, ``using(run_after=...)``), so any
backend configured in ``TASKS`` runs them: django-tasks-db's ``db_worker``, RQ, or the immediate
backend of the tests. Where the backend cannot defer a task (the immediate backend), retries and
digests wait for the next ``deliver_events`` run, which enqueues whatever is due.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from entity_event import app_settings
from entity_event.bulk import batches, keyset_batches
from entity_event.delivery import digests, sending
from entity_event.models import Delivery, Medium

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task

#: Deliveries per send task (entities per digest task).
BATCH_SIZE = 100


@task()
def send_deliveries(delivery_ids: list[int]) -> int:
    """Send the deliveries that are still pending and due; returns how many were sent."""
    sent, retried = sending.send_deliveries(delivery_ids)
    enqueue_retries(retried)
    return sent


@task()
def send_digests(medium_id: int, entity_ids: list[int]) -> int:
    """Send each entity its digest of the medium's due deliveries; returns how many were sent."""
    sent, retried = sending.send_digests(medium_id, entity_ids)
    enqueue_retries(retried)
    return sent


def enqueue_planned(
    medium: Medium, period: str | None, delivery_ids: list[int], ends: dict[int, datetime]
) -> None:
    """Enqueue the sending of new deliveries: now, or for a medium with a digest ``period`` the
    digests of the entities of ``ends`` (entity id -> end of its period), each batch when it ends."""
    if period is None:
        for batch in batches(delivery_ids, BATCH_SIZE):
            send_deliveries.enqueue(batch)
    elif send_digests.get_backend().supports_defer:
        for end, entity_ids in digests.ends_by_time(ends):
            deferred = send_digests.using(run_after=end)
            for batch in batches(entity_ids, BATCH_SIZE):
                deferred.enqueue(medium.pk, batch)


def enqueue_retries(deliveries: list[Delivery]) -> None:
    """Enqueue failed deliveries again at their next attempt, where the backend can defer tasks."""
    if not deliveries or not send_deliveries.get_backend().supports_defer:
        return
    by_time: dict[datetime, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        by_time[delivery.time_next_attempt].append(delivery)
    for run_after, group in by_time.items():
        enqueue_pending(Delivery.objects.filter(id__in=[delivery.pk for delivery in group]), run_after)


def enqueue_pending(deliveries: QuerySet, run_after: datetime | None = None) -> int:
    """Enqueue the sending of the pending ones of ``deliveries``, by digest for digest mediums.

    Returns how many deliveries the enqueued tasks cover. The ids are streamed, so memory stays
    bounded by a batch whatever the number of deliveries: each batch is read by a query of its own,
    so no cursor stays open while tasks are enqueued.
    """
    covered = 0
    mediums = Medium.objects.filter(id__in=deliveries.values("medium_id"))
    for medium in mediums:
        pending = deliveries.filter(medium=medium, status=Delivery.Status.PENDING)
        if digests.digest_period(medium) is None:
            send = send_deliveries.using(run_after=run_after) if run_after else send_deliveries
            for batch in keyset_batches(pending, "id", BATCH_SIZE):
                send.enqueue(batch)
                covered += len(batch)
        else:
            send = send_digests.using(run_after=run_after) if run_after else send_digests
            covered += pending.count()  # before the tasks run: the immediate backend runs them here
            for batch in keyset_batches(pending, "entity_id", BATCH_SIZE):
                send.enqueue(medium.pk, batch)
    return covered


def enqueue_due(mediums: Iterable[Medium]) -> int:
    """Enqueue the pending deliveries of ``mediums`` whose next attempt is due; returns how many.

    A backend that defers tasks got each retry and digest enqueued for its time already: then
    only deliveries overdue by more than a lease are taken, those whose task was lost (a worker
    killed, an enqueue that failed), so that a queue with a backlog is not filled twice.
    """
    due = timezone.now()
    if send_deliveries.get_backend().supports_defer:
        due -= timedelta(seconds=app_settings.delivery_lease_seconds())
    return enqueue_pending(Delivery.objects.filter(medium__in=list(mediums), time_next_attempt__lte=due))
