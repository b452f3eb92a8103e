"""Who receives what: the routing behind ``Medium.events``, ``entity_events`` and ``events_targets``.

An event of a source reaches the entities that a subscription on the medium names: the
subscription's entity, or for a group subscription (one with a ``sub_entity_kind``) the active
sub entities of that kind. An only-following subscription reaches such an entity only when it
follows one of the event's actors. An unsubscription takes one entity out of one source on one
medium.

Everything here is set-based: each function runs a fixed number of queries whatever the number
of events, subscriptions, unsubscriptions or targets, and each query reads the subscriptions,
memberships, actors and events once (no subquery runs per event), so that its cost follows the
rows it reads; the one exception is a page of ``entity_events``, which tests each event it walks
for a followed actor so that it reads what it shows (see ``_HasFollowedActor``). A ``Medium``
subclass that overrides ``followed_by`` and ``followers_of`` gets the same results through its
own methods, at the cost given in each function's docstring. ``docs/querying.rst`` explains the
costs and what ``mark_seen=True`` marks.
"""

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from django.db import connections, router
from django.db.models import BooleanField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import Expression, RawSQL
from django.db.models.lookups import In, IsNull
from django.utils import timezone
from entity.models import Entity, EntityKind, EntityRelationship

from entity_event.arguments import check_flag
from entity_event.creation import claim_seen, ids_subquery
from entity_event.creation import mark_seen as mark_events_seen
from entity_event.databases import on_primary, reading
from entity_event.querysets import attach_sources, read_sources
from entity_event.registry import models
from entity_event.seen_watermark import may_be_unseen

#: The newest events first; the id breaks ties between events stored in the same instant.
NEWEST_FIRST = ("-time", "-id")


# Following.


def entity_ids(entities) -> QuerySet | list[int]:
    """The ids of an entity, a queryset of entities, or an iterable of entities or ids."""
    if isinstance(entities, Entity):
        return [entities.pk]
    if isinstance(entities, QuerySet):
        return entities.values("id")
    return [entity.pk if isinstance(entity, Entity) else entity for entity in entities]


def default_followed_by(entities) -> QuerySet:
    """``entities`` and their super entities: whom they follow by default.

    Written as a join rather than ``id IN (...) OR id IN (subquery)``, for which PostgreSQL
    guesses that half of all entities match and then reads every actor row of a feed.
    """
    ids = entity_ids(entities)
    return Entity.all_objects.filter(Q(id__in=ids) | Q(sub_relationships__sub_entity__in=ids)).distinct()


def default_followers_of(entities) -> QuerySet:
    """``entities`` and their sub entities: who follows them by default (a join, as above)."""
    ids = entity_ids(entities)
    return Entity.all_objects.filter(Q(id__in=ids) | Q(super_relationships__super_entity__in=ids)).distinct()


def uses_default_following(medium) -> bool:
    """Whether ``medium`` keeps the default follow rules, which routing can do in SQL alone."""
    medium_class = type(medium)
    return (
        medium_class.followed_by is models.Medium.followed_by
        and medium_class.followers_of is models.Medium.followers_of
    )


# Subscriptions.


def subscribed_entities(subscription) -> QuerySet:
    """The entities a subscription names: its entity, or its group's active members of the kind."""
    if subscription.sub_entity_kind_id is None:
        return Entity.all_objects.filter(id=subscription.entity_id)
    return Entity.objects.filter(
        entity_kind_id=subscription.sub_entity_kind_id,
        super_relationships__super_entity_id=subscription.entity_id,
    )


def subscriptions_reaching(subscriptions: QuerySet, entity: Entity | None) -> QuerySet:
    """The subscriptions naming ``entity`` itself or, when it is active, a group it belongs to."""
    if entity is None:
        return subscriptions
    reaching = Q(entity=entity, sub_entity_kind__isnull=True)
    if entity.is_active:
        groups = EntityRelationship.objects.filter(sub_entity=entity).values("super_entity")
        reaching |= Q(entity__in=groups, sub_entity_kind_id=entity.entity_kind_id)
    return subscriptions.filter(reaching)


def unsubscribed_entity_ids(medium, database: str | None = None) -> defaultdict[int, list[int]]:
    """Source id -> the ids of the entities unsubscribed from it on ``medium`` (``[]`` for any
    other), read on ``database`` (by default where unsubscriptions are read)."""
    unsubscribed = defaultdict(list)
    rows = models.Unsubscription.objects.filter(medium=medium)
    rows = reading(rows) if database is None else rows.using(database)
    for source_id, entity_id in rows.values_list("source_id", "entity_id"):
        unsubscribed[source_id].append(entity_id)
    return unsubscribed


# Filters common to the three queries, and the seen marks.


def filter_events(
    medium,
    events: QuerySet,
    *,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    seen: bool | None = None,
    include_expired: bool = False,
    actor: Entity | None = None,
) -> QuerySet:
    """Apply the time, expiry, actor and seen filters to ``events``; no subscription logic."""
    check_flag("seen", seen, allow_none=True)
    check_flag("include_expired", include_expired)
    if start_time is not None:
        events = events.filter(time__gte=start_time)
    if end_time is not None:
        events = events.filter(time__lte=end_time)
    if not include_expired:
        events = events.filter(time_expires__gte=timezone.now())
    if actor is not None:
        events = events.filter(Exists(models.EventActor.objects.filter(event=OuterRef("pk"), entity=actor)))
    if seen is not None:
        seen_here = Exists(models.EventSeen.objects.filter(event=OuterRef("pk"), medium=medium))
        if seen:
            events = events.filter(seen_here)
        else:
            events = events.filter(may_be_unseen(medium, events.db), ~seen_here)
    return events


def hand_out(medium, routed: QuerySet, *, mark_seen: bool = False, **event_filters) -> QuerySet:
    """``routed`` events passing ``event_filters``, newest first, their sources loaded.

    With ``mark_seen``, every event passing the filters is marked seen on ``medium`` first,
    whether ``routed`` holds it or not (the scope of django-entity-event 3.x). With
    ``seen=False`` as well, the marking is a claim: the queryset keeps the events that this
    call marked itself, so that concurrent callers never get the same event.
    """
    check_flag("mark_seen", mark_seen)
    # After marking, the events are read where the marks are: a replica may not have them yet.
    routed = (on_primary(routed) if mark_seen else reading(routed)).with_sources().order_by(*NEWEST_FIRST)
    if not mark_seen:
        return filter_events(medium, routed, **event_filters)
    in_scope = filter_events(medium, on_primary(models.Event.objects.all()), **event_filters)
    if event_filters.get("seen") is not False:
        mark_events_seen(in_scope, medium)
        return filter_events(medium, routed, **event_filters)
    claimed = claim_seen(in_scope, medium)
    return routed.filter(id__in=ids_subquery(claimed, routed.db))


# Medium.events


def medium_events(medium, *, mark_seen: bool = False, **event_filters) -> QuerySet:
    """Events that a subscription on ``medium`` routes here, each once, newest first.

    One query when evaluated, plus the marking with ``mark_seen``. The events of subscriptions
    to every event are found by source; those of only-following subscriptions by one join of
    the events' actors with what the subscribed entities follow (see below).
    With overridden follow rules, one more query at call time lists the only-following
    subscriptions, and the SQL grows with their number.
    """
    subscriptions = models.Subscription.objects.filter(medium=medium)
    routed = Q(source_id__in=subscriptions.filter(only_following=False).values("source_id"))
    if uses_default_following(medium):
        routed |= Q(id__in=_events_with_a_followed_actor(medium))
    else:
        routed |= _actor_followed_per_subscription(medium)
    return hand_out(medium, models.Event.objects.filter(routed), mark_seen=mark_seen, **event_filters)


#: Keeps PostgreSQL's planner from joining the subscriptions before the actors: it underestimates
#: a large group's members, and would then read sources x members x actors rows.
_MATERIALIZED = {"postgresql": "MATERIALIZED "}


def _events_with_a_followed_actor(medium) -> RawSQL:
    """Default rules: the ids of the events with an actor that an entity named by an
    only-following subscription of the event's source follows (the entity itself or one of its
    super entities).

    What each distinct subscribed (entity, sub entity kind) names and follows is worked out
    once, however many sources subscribe it, then joined with the actors and, through the
    event's source, with the subscriptions: the work follows the memberships and actors read,
    not sources times members. An individual subscription's kind is written 0 (no kind has that
    id), so that the keys compare with ``=``, which both databases can hash.
    """
    connection = _events_connection()
    quote, vendor = connection.ops.quote_name, connection.vendor
    subscription = quote(models.Subscription._meta.db_table)
    relationship = quote(EntityRelationship._meta.db_table)
    entity = quote(Entity._meta.db_table)
    entity_id, kind_id = quote("entity_id"), quote("sub_entity_kind_id")
    sub_entity_id, super_entity_id = quote("sub_entity_id"), quote("super_entity_id")
    only_following = f"s.{quote('medium_id')} = %s AND s.{quote('only_following')} = %s"
    sql = (
        f"WITH subscribed (entity_id, kind) AS ("
        f" SELECT DISTINCT s.{entity_id}, COALESCE(s.{kind_id}, 0) FROM {subscription} s"
        f" WHERE {only_following}"
        f"), named (entity_id, kind, named_id) AS ("
        f" SELECT entity_id, kind, entity_id FROM subscribed WHERE kind = 0"
        f" UNION ALL SELECT g.entity_id, g.kind, r.{sub_entity_id} FROM subscribed g"
        f" JOIN {relationship} r ON r.{super_entity_id} = g.entity_id"
        f" JOIN {entity} m ON m.{quote('id')} = r.{sub_entity_id} AND m.{quote('entity_kind_id')} = g.kind"
        f" WHERE m.{quote('is_active')} = %s"
        f"), followed (entity_id, kind, followed_id) AS ("
        f" SELECT entity_id, kind, named_id FROM named"
        f" UNION SELECT n.entity_id, n.kind, r.{super_entity_id} FROM named n"
        f" JOIN {relationship} r ON r.{sub_entity_id} = n.named_id"
        f"), matched (event_id, source_id, entity_id, kind) AS {_MATERIALIZED.get(vendor, '')}("
        f" SELECT a.{quote('event_id')}, e.{quote('source_id')}, f.entity_id, f.kind"
        f" FROM {quote(models.EventActor._meta.db_table)} a"
        f" JOIN {quote(models.Event._meta.db_table)} e ON e.{quote('id')} = a.{quote('event_id')}"
        f" JOIN followed f ON f.followed_id = a.{entity_id}"
        f") SELECT m.event_id FROM matched m JOIN {subscription} s"
        f" ON s.{quote('source_id')} = m.source_id AND s.{entity_id} = m.entity_id"
        f" AND COALESCE(s.{kind_id}, 0) = m.kind WHERE {only_following}"
    )
    return RawSQL(sql, [medium.pk, True, True, medium.pk, True])


def _actor_followed_per_subscription(medium) -> Q:
    """Overridden rules: one condition per only-following subscription, through ``followed_by``."""
    followed = Q(pk__in=[])
    for subscription in reading(models.Subscription.objects.filter(medium=medium, only_following=True)):
        followed_entities = medium.followed_by(subscription.subscribed_entities())
        actors = models.EventActor.objects.filter(entity__in=followed_entities).values("event_id")
        followed |= Q(source_id=subscription.source_id, id__in=actors)
    return followed


# Medium.entity_events


def entity_events(medium, entity: Entity, *, mark_seen: bool = False, **event_filters) -> QuerySet:
    """The events ``entity`` receives on ``medium``, each once, newest first.

    One query (plus the marking with ``mark_seen``): the events of the sources that reach the
    entity, and of those reaching it only when it follows an actor, the events with an actor it
    follows (see ``_HasFollowedActor``: a page tests each event it walks, a whole read
    hashes the followed entities' actor rows once). The follow rules are asked once, through
    ``medium.followed_by(entity)``, so overridden rules cost nothing more. The default rules
    are written in SQL, which Django builds in a fraction of the ORM's time (it counts in a
    feed's response time).
    """
    if uses_default_following(medium):
        followed = _followed_by_sql(entity)
    else:
        followed = medium.followed_by(entity)
    routed = models.Event.objects.filter(
        Q(source_id__in=_sources_reaching(medium, entity, only_following=False))
        | (
            Q(source_id__in=_sources_reaching(medium, entity, only_following=True))
            & _HasFollowedActor(followed)
        ),
        ~Q(source_id__in=_sources_unsubscribed(medium, entity)),
    )
    return hand_out(medium, routed, mark_seen=mark_seen, **event_filters)


#: The end of a slice up to which a read is a page, whose followed-actor test is made event by
#: event: ``[40:60]`` is one, ``[450000:450020]`` (an offset deep in the feed) walks the events
#: before it too, and reads them faster with the hashed test.
_PAGE_END = 1000


class _HasFollowedActor(Expression):
    """Whether an event has an actor among ``followed`` (entities, or a subquery of their ids),
    written for the read it is part of.

    A page (a slice ending within the first ``_PAGE_END`` rows, ``[:20]``) walks the events
    newest first and stops at its last row, so each event it walks looks up its own actors by
    the event's key: a scalar subquery, which the database runs per event (``EXISTS`` or ``IN``
    would let PostgreSQL hash every actor row of the followed entities first, the whole
    history's). Any other read (a count, a whole list, a deep offset) goes through many events,
    so it reads the followed entities' actor rows once and hashes them.
    docs/running_for_years.rst shows both plans.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, followed: QuerySet | RawSQL):
        super().__init__()
        actors = models.EventActor.objects.filter(entity__in=followed)
        self.per_event = IsNull(Subquery(actors.filter(event=OuterRef("pk")).values("entity_id")[:1]), False)
        self.at_once = In(F("pk"), actors.values("event_id"))

    def get_source_expressions(self) -> list:
        return [self.per_event, self.at_once]

    def set_source_expressions(self, expressions: list) -> None:
        self.per_event, self.at_once = expressions

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        end = compiler.query.high_mark
        return compiler.compile(self.per_event if end is not None and end <= _PAGE_END else self.at_once)


def _sources_reaching(medium, entity: Entity, *, only_following: bool) -> RawSQL:
    """The ids of the sources with a subscription on ``medium`` that reaches ``entity`` (see
    :func:`subscriptions_reaching`)."""
    quote = _events_connection().ops.quote_name
    subscription = quote(models.Subscription._meta.db_table)
    relationship = quote(EntityRelationship._meta.db_table)
    source_id, entity_id, kind_id = quote("source_id"), quote("entity_id"), quote("sub_entity_kind_id")
    reaching = f"(s.{entity_id} = %s AND s.{kind_id} IS NULL)"
    params = [entity.pk]
    if entity.is_active:
        reaching += (
            f" OR (s.{kind_id} = %s AND s.{entity_id} IN"
            f" (SELECT r.{quote('super_entity_id')} FROM {relationship} r"
            f" WHERE r.{quote('sub_entity_id')} = %s))"
        )
        params += [entity.entity_kind_id, entity.pk]
    sql = (
        f"SELECT s.{source_id} FROM {subscription} s"
        f" WHERE s.{quote('medium_id')} = %s AND s.{quote('only_following')} = %s AND ({reaching})"
    )
    return RawSQL(sql, [medium.pk, only_following, *params])


def _sources_unsubscribed(medium, entity: Entity) -> RawSQL:
    """The ids of the sources ``entity`` unsubscribed from on ``medium``: one condition on the
    events, which PostgreSQL plans and runs faster than one per subscription subquery."""
    quote = _events_connection().ops.quote_name
    sql = (
        f"SELECT u.{quote('source_id')} FROM {quote(models.Unsubscription._meta.db_table)} u"
        f" WHERE u.{quote('medium_id')} = %s AND u.{quote('entity_id')} = %s"
    )
    return RawSQL(sql, [medium.pk, entity.pk])


def _followed_by_sql(entity: Entity) -> RawSQL:
    """Default rules: the ids of the entities ``entity`` follows, itself and its super entities."""
    quote = _events_connection().ops.quote_name
    relationship = quote(EntityRelationship._meta.db_table)
    sql = (
        f"SELECT %s UNION ALL SELECT r.{quote('super_entity_id')}"
        f" FROM {relationship} r WHERE r.{quote('sub_entity_id')} = %s"
    )
    return RawSQL(sql, [entity.pk, entity.pk])


def older_than(events: QuerySet, time: datetime, event_id: int) -> QuerySet:
    """Those of ``events`` after ``(time, event_id)`` in newest-first order: the page after the
    event ``event_id`` of a keyset pagination, which costs the same deep in the feed as on top.

    The redundant ``time <= time`` lets the planner start its scan of the time index at the
    cursor; the ``OR`` alone is no index condition, so the scan would start at the newest event.
    """
    return events.filter(Q(time__lt=time) | Q(time=time, id__lt=event_id), time__lte=time)


def _newest_first_pages(events: QuerySet, size: int) -> Iterator[list]:
    """``events`` (ordered newest first) in lists of ``size``, each read by a query of its own
    after the previous list's last event; one more row is read to know whether a page follows."""
    page = list(events[: size + 1])
    while page:
        yield page[:size]
        if len(page) <= size:
            return
        last = page[size - 1]
        page = list(older_than(events, last.time, last.id)[: size + 1])


def _events_connection():
    """The connection events are read on, whose quoting and vendor the SQL here follows."""
    return connections[router.db_for_read(models.Event)]


# Medium.events_targets and Medium.iter_events_targets

#: Events read per chunk by ``iter_events_targets`` unless told otherwise.
DEFAULT_CHUNK_SIZE = 2000


def events_targets(
    medium,
    *,
    entity_kind: EntityKind | None = None,
    mark_seen: bool = False,
    **event_filters,
) -> list[tuple]:
    """``[(event, [entity, ...]), ...]``, newest first: each event with the entities it reaches.

    Six queries with the default follow rules, one more with ``seen=False`` (the medium's
    watermark), and with ``mark_seen`` two marking statements, each followed by the six that move
    the watermark; with overridden ones, one more per distinct actor of the events of
    only-following subscriptions (``followers_of`` is asked per actor).
    """
    return list(
        iter_events_targets(
            medium, entity_kind=entity_kind, chunk_size=None, mark_seen=mark_seen, **event_filters
        )
    )


def iter_events_targets(
    medium,
    *,
    entity_kind: EntityKind | None = None,
    chunk_size: int | None = DEFAULT_CHUNK_SIZE,
    mark_seen: bool = False,
    **event_filters,
) -> Iterator[tuple]:
    """The pairs of ``events_targets``, in the same order, reading events ``chunk_size`` at a time.

    Memory stays bounded by one chunk (plus the subscribed entities) whatever the number of
    events. The subscriptions, the entities they name and the unsubscriptions are read once
    (three queries, see ``_Routes.read_targets``), then each chunk takes at most three queries:
    its events (a keyset page after the previous chunk's last event, so that no cursor stays
    open between chunks, which a pooler in transaction mode would not keep), their actors, and
    the followers of actors not met in an earlier chunk. ``chunk_size=None`` reads everything in
    one chunk.

    Everything is read on the read database (a replica, see docs/scaling_out.rst); with
    ``mark_seen``, on the primary, since what is read decides what is marked.

    With ``mark_seen``, the events passing the filters whose source reaches nobody here are
    marked seen first (one query); then each chunk is claimed before its first pair is handed
    out (one query per chunk): with ``seen=False`` only the events this call marked itself are
    handed out. If the caller stops in the middle of a chunk (closing the iterator, or dropping
    it), the marks of the pairs it did not take are removed again, so they come next time.
    Arguments are checked at once, before the first pair is asked for.
    """
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive number of events or None, not {chunk_size!r}.")
    check_flag("mark_seen", mark_seen)
    events = models.Event.objects.all()
    in_scope = filter_events(medium, on_primary(events) if mark_seen else reading(events), **event_filters)
    routes = _Routes(medium, entity_kind, in_scope)
    return _stream(routes, chunk_size, mark_seen, claim=mark_seen and event_filters.get("seen") is False)


def chunks_to_claim(
    medium, *, chunk_size: int, entity_kind: EntityKind | None = None, **event_filters
) -> tuple[QuerySet, Iterator[tuple[list, list]]]:
    """For a caller that claims events itself (delivery planning): the events passing the filters
    whose source reaches nobody (a queryset), and ``(events, pairs)`` per chunk of the others, the
    chunk's events without targets included. Nothing is marked. Whom each source reaches is read
    at once (three queries); the chunks cost what those of ``iter_events_targets`` cost. All of
    it is read on the primary: it decides what the caller claims."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive number of events, not {chunk_size!r}.")
    in_scope = filter_events(medium, on_primary(models.Event.objects.all()), **event_filters)
    routes = _Routes(medium, entity_kind, in_scope)
    routes.read_targets()
    return routes.events_reaching_nobody(), routes.chunks(chunk_size)


def targets_of_events(medium, events: QuerySet) -> dict[int, set[int]]:
    """Event id -> the ids of the entities it reaches on ``medium``, for those of ``events`` (not
    expired) that reach someone: whom the new events of a notification reach, routed once for
    everyone (see docs/live.rst).

    The queries of ``events_targets`` without loading the sources: whom each source reaches
    (three, one without subscriptions), the events (one), and with only-following subscriptions
    their actors and the followers of these (two at most). The work follows the medium's
    subscriptions and the events given, whoever asks.
    """
    routes = _Routes(medium, None, filter_events(medium, reading(events)))
    routes.read_targets()
    if not routes.sources:
        return {}
    routed = routes.in_scope.filter(source_id__in=routes.sources).only("id", "source_id")
    followed = routed.filter(source_id__in=routes.following).values("id")
    followers = routes._followers_by_event(followed) if routes.following else {}
    return {event.id: targets for event in routed if (targets := routes.target_ids(event, followers))}


def _stream(routes: "_Routes", chunk_size: int | None, mark_seen: bool, claim: bool) -> Iterator[tuple]:
    """The pairs of each chunk of ``routes``, marked (or claimed) before they are handed out."""
    medium = routes.medium
    routes.read_targets()
    if mark_seen:
        mark_events_seen(routes.events_reaching_nobody(), medium)
    for events, pairs in routes.chunks(chunk_size):
        marked = set()
        if mark_seen:
            marked = set(claim_seen([event.id for event in events], medium))
        if claim:
            pairs = [pair for pair in pairs if pair[0].id in marked]
        handed = 0
        try:
            for pair in pairs:
                handed += 1
                yield pair
        except GeneratorExit:
            left = [event.id for event, _targets in pairs[handed:] if event.id in marked]
            seen_marks = on_primary(models.EventSeen.objects.filter(medium=medium))
            seen_marks.filter(event_id__in=ids_subquery(left, seen_marks.db)).delete()
            raise


class _Routes:
    """The data ``iter_events_targets`` joins in Python: targets per source, actors, followers,
    all read on the database of ``in_scope``."""

    def __init__(self, medium, entity_kind: EntityKind | None, in_scope: QuerySet):
        self.medium = medium
        self.entity_kind = entity_kind
        self.in_scope = in_scope
        self.database = in_scope.db
        self.followers_of_actor: dict[int, set[int]] = {}

    def read_targets(self) -> None:
        """Read whom each source reaches, the first step: three queries (the subscriptions, the
        entities they name and the unsubscriptions), one when the medium has no subscription.

        Each subscribed group's members are read once however many sources subscribe it, and
        the sources naming the same entities with the same unsubscriptions share one set of
        targets, so the work follows the subscriptions and memberships, not their product.
        """
        self.everyone, self.following, self.everyone_entities, self.entities = {}, {}, {}, {}
        self.sources = set()
        named_by_source = self._named_by_source()
        if not named_by_source:
            return
        self.entities, members = self._subscribed_entities()
        unsubscribed = unsubscribed_entity_ids(self.medium, self.database)
        reached = {}
        for (source_id, only_following), named in named_by_source.items():
            key = (frozenset(named), frozenset(unsubscribed[source_id]))
            if key not in reached:
                reached[key] = self._reached(named, members, key[1])
            targets, entities = reached[key]
            if not targets:
                continue
            self.sources.add(source_id)
            if only_following:
                self.following[source_id] = targets
            else:
                self.everyone[source_id], self.everyone_entities[source_id] = targets, entities

    def events_reaching_nobody(self) -> QuerySet:
        """The events passing the filters whose source has no target here."""
        return self.in_scope.exclude(source_id__in=self.sources)

    def chunks(self, chunk_size: int | None) -> Iterator[tuple[list, list[tuple]]]:
        """``(events, pairs)`` per chunk of events (a single one without ``chunk_size``);
        events without targets have no pair."""
        if not self.sources:
            return
        events = self.in_scope.filter(source_id__in=self.sources).order_by(*NEWEST_FIRST)
        sources = read_sources(self.sources, events.db)
        for event_chunk, followers in self._event_chunks(events, chunk_size):
            attach_sources(event_chunk, sources, events.db)
            pairs = [
                (event, targets) for event in event_chunk if (targets := self._targets_of(event, followers))
            ]
            yield event_chunk, pairs

    def _event_chunks(self, events: QuerySet, chunk_size: int | None) -> Iterator[tuple]:
        """``(events, followers by event id)`` per chunk; the first chunk's followers are read at once."""
        if chunk_size is None:
            # One chunk: its actors are read through a subquery, so no list of ids is sent.
            followed = events.filter(source_id__in=self.following).values("id")
            followers = self._followers_by_event(followed) if self.following else {}
            yield list(events), followers
            return
        for chunk in _newest_first_pages(events, chunk_size):
            followed = [event.id for event in chunk if event.source_id in self.following]
            yield chunk, self._followers_by_event(ids_subquery(followed, events.db)) if followed else {}

    def _targets_of(self, event, followers: dict[int, set[int]]) -> list[Entity]:
        """The entities ``event`` reaches, by id; empty when none. Most events reach exactly their
        source's subscribers to everything: they get a copy of its prepared list, and no set is
        built for them."""
        reached_by_following = self._reached_by_following(event, followers)
        reached_by_all = self.everyone.get(event.source_id, set())
        if reached_by_following <= reached_by_all:
            return list(self.everyone_entities.get(event.source_id, []))
        return [self.entities[target_id] for target_id in sorted(reached_by_all | reached_by_following)]

    def target_ids(self, event, followers: dict[int, set[int]]) -> set[int]:
        """The ids of the entities ``event`` reaches; empty when none."""
        return self.everyone.get(event.source_id, set()) | self._reached_by_following(event, followers)

    def _reached_by_following(self, event, followers: dict[int, set[int]]) -> set[int]:
        """The ids of the only-following subscribers that follow an actor of ``event``."""
        return self.following.get(event.source_id, set()) & followers.get(event.id, set())

    def _named_by_source(self) -> defaultdict[tuple, set[tuple]]:
        """(source id, only following) -> the (entity id, sub entity kind id) its subscriptions name."""
        named = defaultdict(set)
        for source_id, only_following, entity_id, kind_id in self._subscriptions().values_list(
            "source_id", "only_following", "entity_id", "sub_entity_kind_id"
        ):
            named[source_id, only_following].add((entity_id, kind_id))
        return named

    def _subscriptions(self) -> QuerySet:
        """The medium's subscriptions, those naming entities of another kind left out."""
        subscriptions = models.Subscription.objects.using(self.database).filter(medium=self.medium)
        if self.entity_kind is None:
            return subscriptions
        return subscriptions.filter(
            Q(sub_entity_kind=self.entity_kind)
            | Q(sub_entity_kind__isnull=True, entity__entity_kind=self.entity_kind)
        )

    def _subscribed_entities(self) -> tuple[dict[int, Entity], dict[tuple, set[int]]]:
        """The entities the subscriptions name, by id, and the ids of the active members of each
        subscribed (group, kind); one query."""
        subscriptions = self._subscriptions()
        groups = subscriptions.filter(sub_entity_kind__isnull=False)
        members = (
            Entity.objects.using(self.database)
            .filter(
                entity_kind_id__in=groups.values("sub_entity_kind_id"),
                super_relationships__super_entity_id__in=groups.values("entity_id"),
            )
            .annotate(group_id=F("super_relationships__super_entity_id"))
        )
        individuals = (
            Entity.all_objects.using(self.database)
            .filter(id__in=subscriptions.filter(sub_entity_kind__isnull=True).values("entity_id"))
            .annotate(group_id=Value(None, output_field=IntegerField()))
        )
        entities, members_of = {}, defaultdict(set)
        for entity in members.union(individuals, all=True):
            entities[entity.id] = entity
            if entity.group_id is not None:
                members_of[entity.group_id, entity.entity_kind_id].add(entity.id)
        return entities, members_of

    def _reached(self, named: set[tuple], members: dict, unsubscribed: frozenset) -> tuple[set[int], list]:
        """The ids of the entities that subscriptions naming ``named`` (entity id, sub entity kind
        id) reach, ``unsubscribed`` left out, and these entities sorted by id."""
        reached = set()
        for entity_id, kind_id in named:
            if kind_id is not None:
                reached |= members.get((entity_id, kind_id), set())
            elif entity_id in self.entities:
                reached.add(entity_id)
        reached -= unsubscribed
        return reached, [self.entities[target_id] for target_id in sorted(reached)]

    def _followers_by_event(self, event_ids: QuerySet | RawSQL) -> dict[int, set[int]]:
        """Event id -> the entities following at least one of its actors."""
        actors_by_event = defaultdict(list)
        actors = models.EventActor.objects.using(self.database).filter(event_id__in=event_ids)
        for event_id, actor_id in actors.values_list("event_id", "entity_id"):
            actors_by_event[event_id].append(actor_id)
        new_actor_ids = {
            actor_id for actors in actors_by_event.values() for actor_id in actors
        } - self.followers_of_actor.keys()
        if new_actor_ids:
            self.followers_of_actor.update(self._followers_of_each(new_actor_ids))
        return {
            event_id: set().union(*(self.followers_of_actor[actor_id] for actor_id in actors))
            for event_id, actors in actors_by_event.items()
        }

    def _followers_of_each(self, actor_ids: set[int]) -> dict[int, set[int]]:
        """Actor id -> the entities following it (the actor among them, with the default rules)."""
        if not uses_default_following(self.medium):
            return {
                actor_id: set(
                    self.medium.followers_of(
                        Entity.all_objects.using(self.database).filter(id=actor_id)
                    ).values_list("id", flat=True)
                )
                for actor_id in actor_ids
            }
        followers = {actor_id: {actor_id} for actor_id in actor_ids}
        actors = ids_subquery(actor_ids, self.database)
        relationships = EntityRelationship.objects.using(self.database).filter(super_entity_id__in=actors)
        for super_id, sub_id in relationships.values_list("super_entity_id", "sub_entity_id"):
            followers[super_id].add(sub_id)
        return followers
