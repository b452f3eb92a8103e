"""What a signed-in user receives: the newsfeed and the notification bar, rendered, with seen marks.

Both show groups (docs/groups.rst): comments and likes on the same photo are one entry, "Dave
Okafor and 2 others commented on ...", and any other event is a group of one, shown as itself.

Everything a page needs goes through this module, so the views stay thin. Seen marks are the
user's own: they live in the user's inbox on each medium (``Medium.inbox``), so marking the feed
seen changes nothing for the other readers.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from entity.models import Entity

from demo.rendering import render
from entity_event.exceptions import NoRendererError
from entity_event.groups import EventGroup, EventGroups, group_event_ids
from entity_event.inbox import Inbox
from entity_event.models import Event, Medium

NEWSFEED = "newsfeed"
NOTIFICATION_BAR = "notification-bar"
EVENTS_PER_PAGE = 20


@dataclass(frozen=True)
class FeedItem:
    """One group of events as the feed shows it; ``event`` is its newest event."""

    event: Event
    text: str
    html: str
    seen: bool
    group: EventGroup


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


def inbox(user: User, medium_name: str = NEWSFEED) -> Inbox | None:
    """``user``'s inbox on the medium; ``None`` without an entity or before seeding."""
    entity, medium = user_entity(user), medium_named(medium_name)
    if entity is None or medium is None:
        return None
    return medium.inbox(entity)


def unseen_count(user: User, limit: int | None = None) -> int:
    """How many newsfeed events ``user`` has not seen; at most ``limit``, counted at a cost
    bounded by it."""
    user_inbox = inbox(user)
    return 0 if user_inbox is None else user_inbox.unseen_count(limit=limit)


def mark_seen(user: User, events=None, medium_name: str = NEWSFEED, up_to: int | None = None) -> int:
    """Mark ``events`` (everything by default, or everything up to the event id ``up_to``) seen
    for ``user`` alone; returns how many."""
    user_inbox = inbox(user, medium_name)
    return 0 if user_inbox is None else user_inbox.mark_seen(events, up_to=up_to)


def mark_own_event_seen(author: User, event: Event) -> None:
    """An author has seen what they posted, on every medium."""
    entity = user_entity(author)
    if entity is not None:
        for medium in Medium.objects.all():
            medium.inbox(entity).mark_seen(event)


def mark_group_seen(user: User, group_id: str) -> int:
    """Mark every event of ``user``'s newsfeed group ``group_id`` (an ``EventGroup.id``) seen for
    ``user`` alone; returns how many. ``ValueError`` naming a string that is not a group id."""
    user_inbox = inbox(user)
    return 0 if user_inbox is None else user_inbox.mark_seen(group_event_ids(user_inbox, [group_id]))


def feed_groups(user: User) -> EventGroups | list:
    """The groups of ``user``'s newsfeed, newest first (none without an inbox)."""
    user_inbox = inbox(user)
    return [] if user_inbox is None else user_inbox.groups()


def render_groups(medium: Medium, groups: list[EventGroup]) -> dict[EventGroup, tuple[str, str]]:
    """``{group: (text, html)}``: a larger group by its source's group templates, a group of one
    as its event. When a larger group's source has no renderer in the medium's style (say, a
    source just added in the admin), the page's groups show as their newest events, which
    :mod:`demo.rendering` renders or names, so that it cannot break the page."""
    try:
        rendered = medium.render_groups([group for group in groups if group.count > 1])
    except NoRendererError:
        rendered = {}
    lone = [group for group in groups if group not in rendered]
    events = render(medium, [group.newest for group in lone]) if lone else {}
    return rendered | {group: events[group.newest] for group in lone}


def notification(user: User) -> FeedItem | None:
    """The newest group of the notification bar that ``user`` has not dismissed, rendered."""
    user_inbox = inbox(user, NOTIFICATION_BAR)
    groups = [] if user_inbox is None else user_inbox.groups(seen=False)[:1]
    if not groups:
        return None
    (group,) = groups
    text, html = render_groups(user_inbox.medium, groups)[group]
    return FeedItem(group.newest, text, html, seen=False, group=group)


def feed_page(user: User, number) -> tuple[Page, list[FeedItem]]:
    """Page ``number`` of ``user``'s feed: its groups rendered in the newsfeed's style."""
    page = Paginator(feed_groups(user), EVENTS_PER_PAGE).get_page(number)
    groups = list(page.object_list)
    rendered = render_groups(newsfeed(), groups) if groups else {}
    return page, [
        FeedItem(group.newest, *rendered[group], seen=group.is_seen, group=group) for group in groups
    ]
