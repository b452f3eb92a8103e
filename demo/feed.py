"""What a signed-in user receives: the newsfeed and the notification bar, rendered, with seen marks.

Everything a page needs goes through this module, so the views stay thin. Seen marks belong to
an event and a medium (that is how entity_event records them), so marking the feed seen marks
those events seen on the newsfeed for every reader.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from entity.models import Entity

from demo.rendering import render
from entity_event.models import Event, EventSeen, Medium

NEWSFEED = "newsfeed"
NOTIFICATION_BAR = "notification-bar"
EVENTS_PER_PAGE = 20


@dataclass(frozen=True)
class FeedItem:
    """One event as the feed shows it."""

    event: Event
    text: str
    html: str
    seen: bool


def user_entity(user: User) -> Entity | None:
    """The entity django-entity mirrors ``user`` to, or ``None`` if it has none (yet)."""
    return Entity.all_objects.filter(
        entity_type__app_label="auth", entity_type__model="user", entity_id=user.pk
    ).first()


def medium_named(name: str) -> Medium | None:
    """A demo medium, ``None`` until ``manage.py seed_demo`` made it."""
    return Medium.objects.filter(name=name).first()


def newsfeed() -> Medium | None:
    return medium_named(NEWSFEED)


def received(user: User, medium_name: str = NEWSFEED, **filters) -> QuerySet:
    """The events ``user`` receives on the medium, newest first."""
    entity, medium = user_entity(user), medium_named(medium_name)
    if entity is None or medium is None:
        return Event.objects.none()
    return medium.entity_events(entity, **filters)


def feed_events(user: User, **filters) -> QuerySet:
    """The events ``user`` receives on the newsfeed, newest first."""
    return received(user, NEWSFEED, **filters)


def unseen_count(user: User) -> int:
    return feed_events(user, seen=False).count()


def mark_all_seen(user: User, medium_name: str = NEWSFEED) -> int:
    """Mark every unseen event ``user`` receives on the medium seen there; returns how many."""
    entity, medium = user_entity(user), medium_named(medium_name)
    if entity is None or medium is None:
        return 0
    return medium.entity_events(entity, seen=False).mark_seen(medium)


def notification(user: User) -> FeedItem | None:
    """The newest event of the notification bar that ``user`` has not dismissed, rendered."""
    event = received(user, NOTIFICATION_BAR, seen=False).first()
    if event is None:
        return None
    text, html = render(medium_named(NOTIFICATION_BAR), [event])[event]
    return FeedItem(event, text, html, seen=False)


def feed_page(user: User, number) -> tuple[Page, list[FeedItem]]:
    """Page ``number`` of ``user``'s feed and its events rendered in the newsfeed's style."""
    page = Paginator(feed_events(user), EVENTS_PER_PAGE).get_page(number)
    events = list(page.object_list)
    medium = newsfeed()
    seen = set(EventSeen.objects.filter(medium=medium, event__in=events).values_list("event_id", flat=True))
    rendered = render(medium, events) if events else {}
    return page, [FeedItem(event, *rendered[event], seen=event.pk in seen) for event in events]
