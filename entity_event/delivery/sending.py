"""Sending claimed deliveries through their medium's channel and recording the outcomes.

Each call runs a constant number of queries whatever the number of deliveries: the claim (which
reads routing's verdict on each delivery too), the mediums, the channel's loading and rendering,
and the recording; one more per batch for a medium overriding the follow rules. Deliveries that
routing no longer makes are cancelled, not sent (:mod:`~entity_event.delivery.cancelling`). One
delivery's exception fails that delivery only; the others of the batch are sent. Messages are
sent grouped by their recipient's language and time zone, each group under its locale
(:mod:`entity_event.languages`).
"""

from collections.abc import Callable
from itertools import groupby

from entity_event import languages
from entity_event.delivery.cancelling import cancellations
from entity_event.delivery.channels import channel_for
from entity_event.delivery.claiming import claim_due
from entity_event.delivery.mediums import specific
from entity_event.delivery.retry import Outcomes
from entity_event.models import Delivery, Medium


def send_deliveries(delivery_ids: list[int]) -> tuple[int, list[Delivery]]:
    """Send those of ``delivery_ids`` that are pending and due, one message each.

    Returns how many were sent and the deliveries to retry.
    """
    deliveries = claim_due(Delivery.objects.filter(id__in=delivery_ids))
    outcomes = Outcomes()
    mediums = {
        medium.pk: medium
        for medium in specific(Medium.objects.filter(id__in={delivery.medium_id for delivery in deliveries}))
    }
    for medium_id, group in groupby(sorted(deliveries, key=_medium_id), key=_medium_id):
        _run(mediums[medium_id], list(group), outcomes, _send_each)
    return len(outcomes.sent), outcomes.record()


def send_digests(medium_id: int, entity_ids: list[int]) -> tuple[int, list[Delivery]]:
    """Send each of ``entity_ids`` one message with all its pending, due deliveries on the medium.

    Returns how many deliveries were sent and the deliveries to retry.
    """
    [medium] = specific(Medium.objects.filter(pk=medium_id))
    deliveries = claim_due(Delivery.objects.filter(medium_id=medium_id, entity_id__in=entity_ids))
    deliveries.sort(key=_entity_id)  # stable: each entity's deliveries stay in order of id
    outcomes = Outcomes()
    if deliveries:
        _run(medium, deliveries, outcomes, _send_digests)
    return len(outcomes.sent), outcomes.record()


def _run(medium: Medium, deliveries: list[Delivery], outcomes: Outcomes, send: Callable) -> None:
    """Cancel what routing no longer makes, prepare the channel and send the rest; if the channel
    cannot even be prepared, all of the rest fail (and retry)."""
    cancelled = cancellations(medium, deliveries)
    outcomes.cancelled.extend(cancelled)
    cancelled_ids = {delivery.pk for delivery, _reason in cancelled}
    deliveries = [delivery for delivery in deliveries if delivery.pk not in cancelled_ids]
    if not deliveries:
        return
    try:
        channel = channel_for(medium)
        channel.prepare(deliveries)
    except Exception as error:
        outcomes.failed.extend((delivery, error) for delivery in deliveries)
        return
    try:
        send(channel, deliveries, outcomes)
    finally:
        channel.close()


def _send_each(channel, deliveries: list[Delivery], outcomes: Outcomes) -> None:
    for locale, group in groupby(sorted(deliveries, key=channel.locale), key=channel.locale):
        with languages.activated(locale):
            for delivery in group:
                try:
                    channel.send(delivery)
                except Exception as error:
                    outcomes.failed.append((delivery, error))
                else:
                    outcomes.sent.append(delivery)


def _send_digests(channel, deliveries: list[Delivery], outcomes: Outcomes) -> None:
    for _entity, group in groupby(deliveries, key=_entity_id):
        group = list(group)
        try:
            with languages.activated(channel.locale(group[0])):
                channel.send_digest(group[0].entity, group)
        except Exception as error:
            outcomes.failed.extend((delivery, error) for delivery in group)
        else:
            outcomes.sent.extend(group)


def _medium_id(delivery: Delivery) -> int:
    return delivery.medium_id


def _entity_id(delivery: Delivery) -> int:
    return delivery.entity_id
