"""What an attempt's outcome does to its deliveries: sent, retried later, failed for good, or
cancelled (routing no longer makes them, see :mod:`~entity_event.delivery.cancelling`).

A failed attempt is retried after an exponential backoff (one minute, then two, four, ...) until
``ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS``; a :class:`~entity_event.delivery.channels.DeliveryRefused` fails
at once. Outcomes are written in a constant number of queries per batch.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from entity_event import app_settings
from entity_event.delivery.channels import DeliveryRefused
from entity_event.models import Delivery

#: Wait before the second attempt; each further attempt waits twice as long as the previous one.
FIRST_RETRY_DELAY = timedelta(minutes=1)


def next_attempt(now: datetime, attempts: int) -> datetime:
    """When a delivery that failed its ``attempts``-th attempt is tried again."""
    return now + FIRST_RETRY_DELAY * 2 ** (attempts - 1)


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class Outcomes:
    """Collects the sent, failed and cancelled deliveries of a batch, then records them together."""

    def __init__(self):
        self.sent: list[Delivery] = []
        self.failed: list[tuple[Delivery, BaseException]] = []
        self.cancelled: list[tuple[Delivery, str]] = []

    def record(self) -> list[Delivery]:
        """Store the outcomes (two queries at most); returns the deliveries to retry."""
        now = timezone.now()
        if self.sent:
            Delivery.objects.filter(id__in=[delivery.pk for delivery in self.sent]).update(
                status=Delivery.Status.SENT, time_sent=now, last_error=""
            )
        max_attempts = app_settings.delivery_max_attempts()
        retried = []
        for delivery, error in self.failed:
            delivery.last_error = describe(error)
            if isinstance(error, DeliveryRefused) or delivery.attempts >= max_attempts:
                delivery.status = Delivery.Status.FAILED
            else:
                delivery.time_next_attempt = next_attempt(now, delivery.attempts)
                retried.append(delivery)
        for delivery, reason in self.cancelled:
            delivery.status, delivery.last_error = Delivery.Status.CANCELLED, reason
        ended = [delivery for delivery, _error in self.failed] + [delivery for delivery, _ in self.cancelled]
        Delivery.objects.bulk_update(ended, ["status", "last_error", "time_next_attempt"])
        return retried
