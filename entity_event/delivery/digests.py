"""Digests: a medium set in ``ENTITY_EVENT_DIGESTS`` bundles each entity's deliveries per period.

A digest medium's new deliveries are due at the end of the current period: the next full hour,
or for a daily digest the next ``ENTITY_EVENT_DAILY_DIGEST_HOUR`` (midnight by default) of the
recipient's own day, in its time zone (:mod:`entity_event.languages`). Everything an entity
receives during one period goes out together, in one message. Its events are grouped as a feed
groups them (:doc:`groups`): the email channel shows a group as one item.
"""

import zoneinfo
from collections.abc import Iterable
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


def period_end(period: str, now: datetime, time_zone: str | None = None) -> datetime:
    """The first boundary of ``period`` after ``now``: the next full hour, or the next daily digest
    hour in ``time_zone`` (the current time zone when ``None``; without ``USE_TZ``, local time)."""
    zone = None if time_zone is None else zoneinfo.ZoneInfo(time_zone)
    local = timezone.localtime(now, zone) if settings.USE_TZ else now
    start = local.replace(minute=0, second=0, microsecond=0)
    if period == "hourly":
        return start + PERIODS[period]
    end = start.replace(hour=app_settings.daily_digest_hour())
    return end if end > local else end + PERIODS[period]


def entities_waiting(medium: Medium, ends: dict[int, datetime]) -> set[int]:
    """Those of the entities of ``ends`` (entity id -> end of its digest's period) that already
    have deliveries waiting for that digest, and so a digest task enqueued for it; one query."""
    waiting = Delivery.objects.filter(
        medium=medium,
        status=Delivery.Status.PENDING,
        time_next_attempt__in=set(ends.values()),
        entity_id__in=ends,
    )
    pairs = waiting.values_list("entity_id", "time_next_attempt").distinct()
    return {entity_id for entity_id, end in pairs if end == ends[entity_id]}


def ends_by_time(ends: dict[int, datetime]) -> Iterable[tuple[datetime, list[int]]]:
    """``(end, entity ids)`` for each distinct end of ``ends``, the ids sorted."""
    grouped: dict[datetime, list[int]] = {}
    for entity_id, end in sorted(ends.items()):
        grouped.setdefault(end, []).append(entity_id)
    return grouped.items()


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
