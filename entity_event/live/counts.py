"""What a stream needs to know: the new events its entity received, and its unseen count.

:func:`refresh` asks it for one stream through the ORM, on any database. On PostgreSQL the
listener asks it for all the streams of a medium at once: :func:`received` routes the new events
once for all of them, and :func:`refresh_many` counts the entities that need it (and looks for
the events missed by the streams that resume) in one query.
"""

from collections import defaultdict
from collections.abc import Collection, Sequence

from django.db import connections
from django.db.models import QuerySet
from entity.models import Entity

from entity_event.live.streams import MAX_NEW_IDS, Stream
from entity_event.models import Event, Medium
from entity_event.routing import targets_of_events, uses_default_following


def refresh(stream: Stream, up_to: int | None) -> tuple[list[int], int]:
    """The ids of the events above ``stream.after`` up to ``up_to`` that its entity receives
    (none for ``None``), and its unseen count up to ``limit + 1``: two queries."""
    new_ids = list(_new_events(stream, up_to).values_list("id", flat=True)) if up_to is not None else []
    inbox = stream.medium.inbox(stream.entity)
    return new_ids, inbox.unseen_count(limit=stream.limit + 1)


def received(  # PostgreSQL only
    medium: Medium, after: int, up_to: int, entity_ids: Collection[int], database: str
) -> dict[int, list[int]]:
    """Entity id -> the ids of the events above ``after`` up to ``up_to`` that it receives on
    ``medium``, in order, for those of ``entity_ids`` that received some; read on ``database``.

    The events are routed once, whoever they reach (:func:`~entity_event.routing.targets_of_events`):
    the queries follow the medium's subscriptions and the new events, not the number of entities
    asked about.
    """
    wanted = set(entity_ids)
    found = defaultdict(list)
    targets = targets_of_events(medium, Event.objects.using(database).filter(id__gt=after, id__lte=up_to))
    for event_id in sorted(targets):
        for entity_id in targets[event_id] & wanted:
            found[entity_id].append(event_id)
    return dict(found)


def refresh_many(  # PostgreSQL only
    medium: Medium,
    resuming: Sequence[Stream],
    up_to: int,
    to_count: Collection[tuple[Entity, int]],
    database: str,
) -> tuple[list[tuple[list[int], int]], dict[tuple[int, int], int]]:
    """In one query whatever their number: for each of the ``resuming`` streams of ``medium``
    (streams opening with a ``Last-Event-ID``), the ids of the events above its ``after`` up to
    ``up_to`` that its entity receives and its count; and the count of each ``(entity, limit)`` of
    ``to_count``, by ``(entity id, limit)``.

    Each is a row of a ``UNION ALL``; a count stops at ``limit + 1``.
    """
    parts, params = [], []
    for index, stream in enumerate(resuming):
        count_sql, count_params = _count(medium, stream.entity, stream.limit, database)
        new_sql, new_params = _sql(_new_events(stream, up_to).values("id"), database)
        parts.append(f"SELECT {index}, ARRAY({new_sql}), {count_sql}")
        params += new_params + count_params
    counting = _Counts(medium, database)
    for index, (entity, limit) in enumerate(to_count, start=len(resuming)):
        count_sql, count_params = counting.sql(entity, limit)
        parts.append(f"SELECT {index}, NULL::integer[], {count_sql}")
        params += count_params
    if not parts:
        return [], {}
    with connections[database].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found = {index: (new_ids, counted) for index, new_ids, counted in cursor.fetchall()}
    counts = {
        (entity.pk, limit): found[index][1]
        for index, (entity, limit) in enumerate(to_count, start=len(resuming))
    }
    return [found[index] for index in range(len(resuming))], counts


#: The id and kind of the stand-in entity whose count's SQL serves every entity of a refresh:
#: values no row holds, replaced in the parameters by each entity's own.
_STAND_IN_ID, _STAND_IN_KIND = -(2**31) + 1, -(2**31) + 2


class _Counts:  # PostgreSQL only
    """The SQL of the unseen counts of many entities of ``medium``.

    Building the ORM query of one count costs a few milliseconds of Python, more than the database
    spends running it. With the default follow rules, the SQL of a count depends on the entity
    only through its id and kind (as parameters) and whether it is active, so it is built once per
    (active, limit), for a stand-in entity, and each entity's id and kind are put in the place of
    the stand-in's. Overridden follow rules may depend on anything: each count is built.
    """

    def __init__(self, medium: Medium, database: str):
        self.medium, self.database = medium, database
        self.shared = uses_default_following(medium)
        self.templates: dict[tuple[bool, int], tuple[str, list]] = {}

    def sql(self, entity: Entity, limit: int) -> tuple[str, list]:
        """The SQL of ``entity``'s unseen count up to ``limit + 1``, and its parameters."""
        if not self.shared:
            return _count(self.medium, entity, limit, self.database)
        key = (entity.is_active, limit)
        if key not in self.templates:
            stand_in = Entity(pk=_STAND_IN_ID, entity_kind_id=_STAND_IN_KIND, is_active=entity.is_active)
            self.templates[key] = _count(self.medium, stand_in, limit, self.database)
        sql, params = self.templates[key]
        own = {_STAND_IN_ID: entity.pk, _STAND_IN_KIND: entity.entity_kind_id}
        return sql, [own.get(param, param) if type(param) is int else param for param in params]


def _count(medium: Medium, entity: Entity, limit: int, database: str) -> tuple[str, list]:  # PostgreSQL only
    """The SQL of the entity's unseen count up to ``limit + 1``, as a scalar subquery."""
    unseen = medium.inbox(entity).events(seen=False).order_by().values("id")
    sql, params = _sql(unseen[: limit + 1], database)
    return f"(SELECT count(*) FROM ({sql}) AS unseen)", params


def _new_events(stream: Stream, up_to: int) -> QuerySet:
    events = stream.medium.entity_events(stream.entity).filter(id__gt=stream.after, id__lte=up_to)
    return events.order_by("id")[: MAX_NEW_IDS + 1]


def _sql(queryset: QuerySet, database: str) -> tuple[str, list]:  # PostgreSQL only
    sql, params = queryset.query.get_compiler(using=database).as_sql()
    return sql, list(params)
