"""Grouped notifications: several events about the same thing shown as one entry ("Alice and 3
others commented on your photo").

A source whose ``group_by`` names a context key groups its events: those with equal values
under that key form a group, within a time window. The rule is sequential: an event joins the
newest group of its (source, value) when it comes less than ``window`` after that group's first
event, otherwise it starts a new group. Events without the key, or of a source without
``group_by``, are groups of one.

How it is computed (docs/groups.rst says more): one query reads the id, time, source, grouping
value and read state of every event the feed holds up to a settled event id (the snapshot), and
the groups are formed in Python, oldest first; then the groups of the page asked for get their
newest events, their distinct actors and the actors' count from three more queries, whatever
their sizes. The snapshot keeps keyset pages consistent while events arrive.

Groups are a capability: :func:`install` gives ``Medium`` its ``entity_event_groups`` and
``render_groups``, and :class:`~entity_event.inbox.Inbox` its ``groups`` and the grouped forms
of ``unseen_count``, ``mark_seen`` and ``mark_unseen``, so the core never imports this module.
"""

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, overload

from django.db import connections
from django.db.models import Case, Exists, OuterRef, QuerySet, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop, ngettext
from entity.models import Entity

from entity_event import context_loader
from entity_event.arguments import check_flag
from entity_event.creation_lock import newest_settled_id
from entity_event.exceptions import Message
from entity_event.inbox import Inbox
from entity_event.models import Event, EventActor, EventSeen, Medium, Source
from entity_event.rendering import medium_context, render_chosen_template, render_event

#: The window of the groups when none is given.
DEFAULT_WINDOW = timedelta(days=1)
#: How many of its newest events, and of its most recent actors, a group carries.
EVENTS_PER_GROUP = 10

# The inbox's own methods, which the grouped forms installed below fall back to.
_events_unseen_count = Inbox.unseen_count
_mark_events_seen = Inbox.mark_seen
_mark_events_unseen = Inbox.mark_unseen


def install() -> None:
    """Give ``Medium`` and ``Inbox`` their group methods (see docs/architecture.rst)."""
    Medium.entity_event_groups = entity_event_groups
    Medium.render_groups = render_groups
    Inbox.groups = inbox_groups
    Inbox.unseen_count = unseen_count
    Inbox.mark_seen = mark_seen
    Inbox.mark_unseen = mark_unseen


@dataclass(eq=False)
class EventGroup:
    """Events of one source about the same thing, shown as one entry.

    ``key`` is the value of the source's ``group_by`` key (``None`` for a group of one),
    ``count`` the number of its events, ``time`` its newest event's time, ``events`` its newest
    events (newest first, at most :data:`EVENTS_PER_GROUP`), ``actors`` its distinct actors
    (most recent first, at most :data:`EVENTS_PER_GROUP`), ``actor_count`` all its distinct
    actors, ``is_seen`` whether every event of it is seen, and ``id`` a string that stays the
    same while the group keeps its first event.
    """

    id: str
    source: Source
    key: Any
    count: int
    time: datetime
    events: list[Event]
    actors: list[Entity]
    actor_count: int
    is_seen: bool
    event_ids: list[int] = field(repr=False)

    @property
    def newest(self) -> Event:
        """The newest event of the group."""
        return self.events[0]


@dataclass
class _Found:
    """A group as the scan forms it: its events' ids, newest first, and their read states;
    ``group_by`` is its source's key (``None`` for an event without it)."""

    source_id: int
    group_by: str | None
    window: timedelta
    ids: list[int] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    seen: list[bool] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The first event's id and the window in seconds: they name the group while it lasts."""
        return f"{self.ids[-1]}-{int(self.window.total_seconds())}"

    @property
    def place(self) -> tuple[datetime, int]:
        """The group's place in newest-first order: its newest event's time and id."""
        return self.times[0], self.ids[0]


class EventGroups(Sequence):
    """The groups of a feed, newest first by their newest event; lazily evaluated and sliceable.

    Indexing or slicing runs a constant number of queries for the groups taken, whatever their
    sizes. :meth:`older_than` gives the next keyset page: the groups after a group, formed from
    the same events (those up to :attr:`snapshot`), so that no group is split, repeated or lost
    while events arrive between pages.
    """

    def __init__(
        self,
        events: QuerySet,
        window: timedelta,
        seen: bool | None = None,
        snapshot: int | None = None,
        before: tuple[datetime, int] | None = None,
    ):
        self._events = events
        self.window = window
        self._seen = seen
        self._snapshot = snapshot
        self._before = before
        self._found: list[_Found] | None = None

    @property
    def snapshot(self) -> int:
        """The newest event id these groups are formed from (a settled id: nothing below it is
        still being created)."""
        if self._snapshot is None:
            self._snapshot = newest_settled_id(self._events.db)
        return self._snapshot

    def older_than(
        self, place: "EventGroup | tuple[datetime, int]", snapshot: int | None = None
    ) -> "EventGroups":
        """The groups after ``place`` (a group, or its newest event's ``(time, id)``), formed from
        the same events as these, or from those up to ``snapshot`` (the :attr:`snapshot` of the
        first page, as a cursor carries it)."""
        if isinstance(place, EventGroup):
            place = (place.time, place.newest.pk)
        return EventGroups(
            self._events, self.window, self._seen, self.snapshot if snapshot is None else snapshot, place
        )

    def __len__(self) -> int:
        return len(self._groups())

    def count(self) -> int:
        """The number of groups (all of them are formed to know it)."""
        return len(self)

    @overload
    def __getitem__(self, index: int) -> EventGroup: ...

    @overload
    def __getitem__(self, index: slice) -> list[EventGroup]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [group for group in _build(self._groups()[index], self._events.db) if group]
        return _build([self._groups()[index]], self._events.db)[0]

    def __iter__(self) -> Iterator[EventGroup]:
        return iter(self[:])

    def _groups(self) -> list[_Found]:
        if self._found is None:
            found = form_groups(self._events.filter(id__lte=self.snapshot), self.window)
            if self._seen is not None:
                found = [group for group in found if all(group.seen) is self._seen]
            if self._before is not None:
                found = [group for group in found if group.place < self._before]
            self._found = found
        return self._found


def check_window(window) -> timedelta:
    """Refuse a window that is not a positive ``timedelta``, naming it."""
    if not isinstance(window, timedelta):
        raise TypeError(f"window must be a timedelta, not {window!r}.")
    if window <= timedelta(0):
        raise ValueError(f"window must be positive, not {window!r}.")
    return window


def form_groups(events: QuerySet, window: timedelta) -> list[_Found]:
    """The groups of ``events`` (annotated with ``is_seen``), newest first, from one query."""
    return _form(_scan(events), window)


def _scan(events: QuerySet) -> list[tuple]:
    """``(id, time, source id, grouping value as text or None, is_seen)`` of ``events``, oldest
    first, in one query (and one for the sources that group)."""
    keys = dict(Source.objects.exclude(group_by="").values_list("id", "group_by"))
    whens = [
        When(source_id=source_id, then=KeyTextTransform(key, "context")) for source_id, key in keys.items()
    ]
    value = Case(*whens, default=Value(None), output_field=TextField()) if whens else Value(None, TextField())
    rows = events.order_by("time", "id").values_list("id", "time", "source_id", value, "is_seen")
    # SQLite gives numbers as numbers; the grouping source's key is kept to read the value back.
    return [
        (event_id, time, source_id, None if value is None else (keys[source_id], str(value)), seen)
        for event_id, time, source_id, value, seen in rows
    ]


def _form(rows: Iterable[tuple], window: timedelta) -> list[_Found]:
    """The groups of the scanned ``rows`` (oldest first) by the window rule, newest first."""
    open_groups: dict[tuple, tuple[datetime, _Found]] = {}
    found = []
    for event_id, time, source_id, key, seen in rows:
        first, group = open_groups.get((source_id, key), (None, None))
        if key is None or group is None or time - first >= window:
            first, group = time, _Found(source_id, None if key is None else key[0], window)
            found.append(group)
            if key is not None:
                open_groups[source_id, key] = (first, group)
        group.ids.append(event_id)
        group.times.append(time)
        group.seen.append(seen)
    for group in found:
        group.ids.reverse()
        group.times.reverse()
        group.seen.reverse()
    found.sort(key=lambda group: group.place, reverse=True)
    return found


def _build(found: list[_Found], database: str) -> list[EventGroup | None]:
    """The groups of ``found`` with their newest events and actors, in three queries (``None``
    in place of a group whose events were all deleted since the scan)."""
    if not found:
        return []
    shown = [event_id for group in found for event_id in group.ids[:EVENTS_PER_GROUP]]
    events = Event.objects.using(database).filter(id__in=shown).with_sources().in_bulk()
    seen = {event_id: state for group in found for event_id, state in zip(group.ids, group.seen, strict=True)}
    for event in events.values():
        event.is_seen = seen[event.pk]
    actors, actor_counts = _actors(found, database)
    groups = []
    for index, group in enumerate(found):
        group_events = [events[event_id] for event_id in group.ids[:EVENTS_PER_GROUP] if event_id in events]
        if not group_events:  # deleted since the scan
            groups.append(None)
            continue
        groups.append(
            EventGroup(
                id=group.id,
                source=group_events[0].source,
                key=None if group.group_by is None else group_events[0].context.get(group.group_by),
                count=len(group.ids),
                time=group.times[0],
                events=group_events,
                actors=actors.get(index, []),
                actor_count=actor_counts.get(index, 0),
                is_seen=all(group.seen),
                event_ids=group.ids,
            )
        )
    return groups


#: The (event id, group index) pairs of one JSON parameter, as rows, per vendor.
_PAIRS_FROM_JSON = {
    "postgresql": "SELECT (pair->>0)::bigint AS event_id, (pair->>1)::int AS label "
    "FROM jsonb_array_elements(%s::jsonb) AS pair",
    "sqlite": "SELECT json_extract(value, '$[0]') AS event_id, json_extract(value, '$[1]') AS label "
    "FROM json_each(%s)",
}


def _actors(found: list[_Found], database: str) -> tuple[dict[int, list[Entity]], dict[int, int]]:
    """Per group index, its most recent distinct actors (at most :data:`EVENTS_PER_GROUP`) and
    the number of all of them: one aggregate query ranks them in SQL, one more loads the entities.

    The events' ids travel as one JSON parameter of (event id, group index) pairs, so the
    statement and the rows read back do not grow with the groups' sizes.
    """
    connection = connections[database]
    quote = connection.ops.quote_name
    pairs = json.dumps([[event_id, index] for index, group in enumerate(found) for event_id in group.ids])
    event_table, actor_table = quote(Event._meta.db_table), quote(EventActor._meta.db_table)
    sql = f"""
        SELECT label, entity_id, actor_count FROM (
            SELECT label, entity_id,
                ROW_NUMBER() OVER (PARTITION BY label ORDER BY last_time DESC, last_id DESC) AS place,
                COUNT(*) OVER (PARTITION BY label) AS actor_count
            FROM (
                SELECT pairs.label, actor.entity_id, MAX(event.time) AS last_time, MAX(event.id) AS last_id
                FROM ({_PAIRS_FROM_JSON[connection.vendor]}) AS pairs
                JOIN {actor_table} AS actor ON actor.event_id = pairs.event_id
                JOIN {event_table} AS event ON event.id = pairs.event_id
                GROUP BY pairs.label, actor.entity_id
            ) AS distinct_actors
        ) AS ranked
        WHERE place <= %s
        ORDER BY label, place
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [pairs, EVENTS_PER_GROUP])
        rows = cursor.fetchall()
    entities = Entity.all_objects.using(database).in_bulk({entity_id for _label, entity_id, _count in rows})
    actors: dict[int, list[Entity]] = {}
    counts: dict[int, int] = {}
    for label, entity_id, actor_count in rows:
        actors.setdefault(label, []).append(entities[entity_id])
        counts[label] = actor_count
    return actors, counts


# Entry points.


def group_events_per_reader(
    event_ids: dict[Any, list[int]], window: timedelta = DEFAULT_WINDOW
) -> dict[Any, list[EventGroup]]:
    """For each reader of ``event_ids`` (reader -> ids of its events), all the groups of its
    events, newest first, none seen; every reader's in a constant number of queries. For bounded
    sets of events, such as the digests of a batch (see :mod:`entity_event.delivery.digests`)."""
    every_id = {event_id for ids in event_ids.values() for event_id in ids}
    rows = _scan(Event.objects.filter(id__in=every_id).annotate(is_seen=Value(False)))
    found = {}
    for reader, ids in event_ids.items():
        own = set(ids)
        found[reader] = _form((row for row in rows if row[0] in own), window)
    built = iter(_build([group for groups in found.values() for group in groups], Event.objects.db))
    return {
        reader: [group for _found in groups if (group := next(built))] for reader, groups in found.items()
    }


def entity_event_groups(
    medium: Medium, entity: Entity, window: timedelta = DEFAULT_WINDOW, **entity_events_filters
) -> EventGroups:
    """The groups of ``medium.entity_events(entity, **entity_events_filters)``, newest first:
    ``medium.entity_event_groups(entity)``. A group is seen when every event of it is seen on
    the medium (the per-medium marks of 3.x)."""
    check_window(window)
    events = medium.entity_events(entity, **entity_events_filters)
    seen_here = Exists(EventSeen.objects.filter(event=OuterRef("pk"), medium=medium))
    return EventGroups(events.annotate(is_seen=seen_here), window)


def inbox_groups(inbox: Inbox, window: timedelta = DEFAULT_WINDOW, seen: bool | None = None, **event_filters):
    """The groups of the inbox, newest first: ``inbox.groups()``. Groups are formed from all the
    events the filters keep, whatever their read state; ``seen=False`` then keeps the groups with
    an unseen event, ``seen=True`` those seen whole."""
    check_window(window)
    events = inbox.events(**event_filters)
    check_flag("seen", seen, allow_none=True)
    return EventGroups(events, window, seen=seen)


def unseen_count(inbox: Inbox, limit: int | None = None, grouped: bool = False, **event_filters) -> int:
    """``Inbox.unseen_count``; with ``grouped=True``, the number of groups (of the default window)
    with an unseen event, at most ``limit``."""
    check_flag("grouped", grouped)
    counted = _events_unseen_count(inbox, limit=limit, **event_filters)
    if not grouped or not counted:
        return counted
    groups = inbox_groups(inbox, seen=False, **event_filters).count()
    return groups if limit is None else min(groups, limit)


def mark_seen(inbox: Inbox, events=None, *, up_to: int | None = None) -> int:
    """``Inbox.mark_seen``, also taking a group or groups: all their events."""
    return _mark_events_seen(inbox, _group_event_ids(events), up_to=up_to)


def mark_unseen(inbox: Inbox, events) -> int:
    """``Inbox.mark_unseen``, also taking a group or groups: all their events."""
    return _mark_events_unseen(inbox, _group_event_ids(events))


def _group_event_ids(events):
    """The event ids of a group, or of a list of groups; anything else as it is."""
    if isinstance(events, EventGroup):
        return events.event_ids
    if isinstance(events, list | tuple) and events and all(isinstance(group, EventGroup) for group in events):
        return [event_id for group in events for event_id in group.event_ids]
    return events


def group_event_ids(inbox: Inbox, group_ids: Iterable[str]) -> list[int]:
    """The ids of the events of the inbox's groups named by ``group_ids`` (as
    :attr:`EventGroup.id` gives them); names of groups the inbox does not hold are left out.
    ``ValueError`` naming a string that is not a group id."""
    wanted: dict[timedelta, set[str]] = {}
    for group_id in group_ids:
        first, _, seconds = group_id.partition("-")
        if not (first.isascii() and first.isdigit() and seconds.isascii() and seconds.isdigit()):
            raise ValueError(Message(gettext_noop("%(id)r is not a group id."), id=group_id))
        if int(seconds) == 0 or len(seconds) > 10:
            raise ValueError(
                Message(gettext_noop("%(id)r is not a group id: its window is out of range."), id=group_id)
            )
        wanted.setdefault(timedelta(seconds=int(seconds)), set()).add(group_id)
    ids = []
    for window, names in wanted.items():
        for group in form_groups(inbox.events(include_expired=True), window):
            if group.id in names:
                ids.extend(group.ids)
    return ids


# Rendering.


def render_groups(medium: Medium, groups: Iterable[EventGroup]) -> dict:
    """``{group: (text, html)}``: ``groups`` rendered in this medium's style, in a constant number
    of queries (their newest events are loaded together): ``medium.render_groups(groups)``.

    A renderer with group templates renders them with ``group`` and the newest event's context;
    otherwise a group of several events shows its newest event's rendering after its actors'
    names ("Alice, Bob and 3 others").
    """
    groups = list(groups)
    load_groups(medium, groups)
    return render_loaded_groups(medium, groups)


def load_groups(medium: Medium, groups: list[EventGroup]) -> None:
    """Load what rendering ``groups`` in ``medium`` needs (their newest events' contexts and
    renderers), in a constant number of queries."""
    context_loader.load_contexts_and_renderers([group.newest for group in groups], [medium])


def render_loaded_groups(medium: Medium, groups: Iterable[EventGroup]) -> dict:
    """``{group: (text, html)}`` of groups loaded by :func:`load_groups`, in the active language,
    without a query: a digest batch renders its groups once per language from one load."""
    return {group: _render_group(medium, group) for group in groups}


def _render_group(medium: Medium, group: EventGroup) -> tuple[str, str]:
    renderer = context_loader.loaded_rendering(group.newest, medium).renderer
    if renderer is not None and (
        renderer.group_text_template_path
        or renderer.group_html_template_path
        or renderer.group_text_template
        or renderer.group_html_template
    ):
        context = {**medium_context(group.newest, medium), "group": group}
        text = render_chosen_template(
            renderer, "group text", renderer.group_text_template_path, renderer.group_text_template, context
        )
        html = render_chosen_template(
            renderer, "group html", renderer.group_html_template_path, renderer.group_html_template, context
        )
        return text.strip(), html.strip()
    text, html = render_event(group.newest, medium)
    if group.count == 1 or not group.actors:
        return text, html
    names = actor_names(group)
    return (
        gettext("%(actors)s: %(rendering)s") % {"actors": names, "rendering": text},
        format_html(gettext("{actors}: {rendering}"), actors=names, rendering=mark_safe(html)),
    )


def actor_names(group: EventGroup) -> str:
    """ "Alice", "Alice and Bob", or "Alice, Bob and 3 others": who acted in ``group``."""
    names = [actor.display_name for actor in group.actors]
    if group.actor_count == 1:
        return names[0]
    if group.actor_count == 2:
        return gettext("%(first)s and %(second)s") % {"first": names[0], "second": names[1]}
    others = group.actor_count - 2
    return ngettext(
        "%(first)s, %(second)s and %(count)d other",
        "%(first)s, %(second)s and %(count)d others",
        others,
    ) % {"first": names[0], "second": names[1], "count": others}
