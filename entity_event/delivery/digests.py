"""Digests: a medium set in ``ENTITY_EVENT_DIGESTS`` bundles each entity's deliveries per period.

A digest medium's new deliveries are due at the end of the current period (the next full hour,
or the next midnight in the current time zone), so everything an entity receives during one
period goes out together, in one message. Its events are grouped as a feed groups them
(:doc:`groups`): the email channel shows a group as one item.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from entity_event import app_settings
from entity_event.groups import EventGroup, group_events_per_reader
from entity_event.models import Delivery, Medium

PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}


def digest_period(medium: Medium) -> str | None:
    """``"hourly"`` or ``"daily"`` for a digest medium, ``None`` for a medium sending at once."""
    period = app_settings.digest_periods().get(medium.name)
    if period is not None and period not in PERIODS:
        raise ImproperlyConfigured(
            f"ENTITY_EVENT_DIGESTS['{medium.name}'] is {period!r}; a digest period is one of "
            f"{', '.join(map(repr, PERIODS))}."
        )
    return period


def period_end(period: str, now: datetime) -> datetime:
    """The first boundary of ``period`` after ``now``, in the current time zone."""
    local = timezone.localtime(now) if settings.USE_TZ else now
    start = local.replace(minute=0, second=0, microsecond=0)
    if period == "daily":
        start = start.replace(hour=0)
    return start + PERIODS[period]


def entities_waiting(medium: Medium, period_end: datetime, entity_ids: set[int]) -> set[int]:
    """Those of ``entity_ids`` that already have deliveries waiting for the digest ending at
    ``period_end``, and so a digest task enqueued for it."""
    waiting = Delivery.objects.filter(
        medium=medium, status=Delivery.Status.PENDING, time_next_attempt=period_end, entity_id__in=entity_ids
    )
    return set(waiting.values_list("entity_id", flat=True).distinct())


def digest_groups(deliveries: list[Delivery]) -> dict[int, list[tuple[EventGroup, list[Delivery]]]]:
    """Entity id -> the groups of the events of its ``deliveries`` (its digest), each with its
    deliveries, newest event first, the groups in the order their first delivery comes in:
    every entity's in a constant number of queries. Events deleted meanwhile are left out."""
    by_entity: dict[int, dict[int, Delivery]] = {}
    for delivery in deliveries:
        by_entity.setdefault(delivery.entity_id, {})[delivery.event_id] = delivery
    groups = group_events_per_reader({entity_id: list(own) for entity_id, own in by_entity.items()})
    digests = {}
    for entity_id, own in by_entity.items():
        order = {event_id: place for place, event_id in enumerate(own)}
        ordered = sorted(
            groups[entity_id], key=lambda group: min(order[event_id] for event_id in group.event_ids)
        )
        digests[entity_id] = [(group, [own[event_id] for event_id in group.event_ids]) for group in ordered]
    return digests
