"""Writing events, their actors and their seen marks in a constant number of queries.

Inserts skip conflicts (see :mod:`entity_event.bulk`), so that two processes storing the same
uuid at once end with one event and no exception, instead of a check-then-insert race.
"""

import json
from collections.abc import Iterable, Mapping

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connections, router, transaction
from django.db.models import QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from entity.models import Entity

from entity_event import event_input, seen_watermark
from entity_event.arguments import check_flag
from entity_event.bulk import insert_skipping_conflicts, parameter_batches, values_sql
from entity_event.creation_lock import lock_creation
from entity_event.exceptions import InvalidEventError
from entity_event.registry import models


def create_events(kwargs_list: list[Mapping]) -> list:
    """Validate, then store the events of ``kwargs_list`` in one transaction; return those created."""
    requests = [_EventRequest(kwargs) for kwargs in kwargs_list]
    if not requests:
        return []
    _check_sources_exist(requests)
    _check_actors_exist(requests)
    database = router.db_for_write(models.Event)
    with transaction.atomic(using=database):
        lock_creation(database)
        created = _insert_events(requests, database)
        models.EventActor.objects.using(database).bulk_create(
            models.EventActor(event=request.event, entity_id=actor_id)
            for request in created
            for actor_id in request.actor_ids
        )
    return [request.event for request in created]


def mark_seen(events: QuerySet | Iterable[int], medium) -> int:
    """Record ``events`` (a queryset, or event ids) as seen on ``medium``; returns the new marks.

    Ids of events deleted in the meantime are skipped. One statement, which inserts the marks in
    the order of the event ids: concurrent markers of overlapping events then wait for each
    other in the same order and never deadlock.
    """
    return _insert_seen(events, medium, returning=False)


def claim_seen(events: QuerySet | Iterable[int], medium) -> list[int]:
    """Mark ``events`` seen on ``medium`` as :func:`mark_seen` does; return the ids this call marked.

    An event already seen, or marked by a concurrent call first, is left out: the ids returned
    are the events that this caller, and no other, may hand out.
    """
    return _insert_seen(events, medium, returning=True)


#: A subquery turning one JSON array parameter into rows of ids, per database vendor.
_IDS_FROM_JSON = {
    "postgresql": "SELECT value::bigint FROM jsonb_array_elements_text(%s::jsonb)",
    "sqlite": "SELECT value FROM json_each(%s)",
}


def ids_subquery(ids: Iterable[int], database: str) -> RawSQL:
    """A subquery giving ``ids``, for ``id__in=``: the ids travel as one JSON parameter, so no list
    is too long for SQLite's limit of parameters, and the statement does not grow with the list."""
    return RawSQL(_IDS_FROM_JSON[connections[database].vendor], [json.dumps(list(ids))])


#: Locks the events being marked against a concurrent delete, per vendor (SQLite serialises writers).
#: PostgreSQL's delete of a marked event then waits for the mark's transaction, and an event whose
#: delete committed first drops out of the marks instead of failing their foreign key.
_LOCK_MARKED = {"postgresql": " FOR KEY SHARE OF marked"}


def marked_events_sql(events: QuerySet, connection, also: str = "") -> tuple[str, tuple]:
    """``SELECT marked.id`` (then the columns ``also`` lists) of ``events``, in id order and locked
    as ``_LOCK_MARKED`` says: the source of an ``INSERT`` of rows that refer to these events.
    Raises ``EmptyResultSet`` for a queryset Django knows to be empty.

    The ids are compiled as a Django subquery: it keeps exactly the rows that ``events`` yields
    whatever its ordering, ``distinct()`` and slice, and selects the ids alone even where
    ``distinct()`` adds the ordering columns to the select list."""
    ids = Subquery(events.values("id"))
    select_sql, select_params = ids.as_sql(ids.query.get_compiler(connection=connection), connection)
    table = connection.ops.quote_name(models.Event._meta.db_table)
    lock = _LOCK_MARKED.get(connection.vendor, "")
    sql = f"SELECT marked.id{also} FROM {table} marked WHERE marked.id IN {select_sql} ORDER BY marked.id"
    return sql + lock, select_params


def locked_event_ids(events: QuerySet) -> list[int]:
    """The ids of ``events``, ascending, kept from deletion until the transaction ends, so that
    rows referring to them can be inserted in it (see :func:`marked_events_sql`)."""
    database = router.db_for_write(models.Event)
    connection = connections[database]
    try:
        sql, params = marked_events_sql(events.using(database), connection)
    except EmptyResultSet:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [event_id for (event_id,) in cursor.fetchall()]


def _insert_seen(events: QuerySet | Iterable[int], medium, *, returning: bool) -> int | list[int]:
    """``INSERT ... SELECT`` of the seen marks of ``events``, in event id order, conflicts skipped,
    then the move of the medium's watermark (see :mod:`entity_event.seen_watermark`), in one
    transaction; with ``returning``, the ids of the events marked, else their number."""
    seen_model = models.EventSeen
    database = router.db_for_write(seen_model)
    if not isinstance(events, QuerySet):
        events = models.Event.objects.using(database).filter(id__in=ids_subquery(events, database))
    connection = connections[database]
    try:
        select_sql, select_params = marked_events_sql(events, connection, ", %s, %s")
    except EmptyResultSet:  # a queryset Django knows to be empty, such as .none() or pk__in=[]
        return [] if returning else 0
    time_seen = seen_model._meta.get_field("time_seen").get_db_prep_save(timezone.now(), connection)
    columns, conflict = ("event_id", "medium_id", "time_seen"), ("event_id", "medium_id")
    table = seen_model._meta.db_table
    sql = insert_skipping_conflicts(connection, table, columns, conflict, select_sql, ("event_id",))
    with transaction.atomic(using=database), connection.cursor() as cursor:
        cursor.execute(sql, (medium.pk, time_seen, *select_params))
        marked = [event_id for (event_id,) in cursor.fetchall()]
        seen_watermark.advance(medium, database, marked)
    return marked if returning else len(marked)


class _EventRequest:
    """One event asked for: the unsaved event, its actor ids and whether a known uuid is fine."""

    def __init__(self, kwargs: Mapping):
        kwargs = dict(kwargs)
        actors = kwargs.pop("actors", None)
        self.ignore_duplicates = kwargs.pop("ignore_duplicates", False)
        check_flag("ignore_duplicates", self.ignore_duplicates)
        self.event = models.Event(**event_input.event_fields(kwargs))
        self.actor_ids = event_input.actor_ids(actors)


def _check_sources_exist(requests: list[_EventRequest]) -> None:
    """One query for the sources of all the events, given by id or as instances (which may have
    been deleted since they were loaded): a missing one would fail the foreign key at commit."""
    names = {}
    for request in requests:
        source = request.event._state.fields_cache.get("source")
        names.setdefault(request.event.source_id, None)
        if source is not None:
            names[request.event.source_id] = source.name
    sources = models.Source.objects.using(router.db_for_read(models.Source))
    found = set()
    for batch in parameter_batches(sorted(names), connections[sources.db]):
        found.update(sources.filter(id__in=batch).values_list("id", flat=True))
    missing = [
        f"{source_id} (source {names[source_id]!r}, deleted since it was loaded)"
        if names[source_id]
        else str(source_id)
        for source_id in sorted(set(names) - found)
    ]
    if missing:
        raise InvalidEventError(f"No source has the id(s) {', '.join(missing)}; no event was stored.")


def _check_actors_exist(requests: list[_EventRequest]) -> None:
    wanted = {actor_id for request in requests for actor_id in request.actor_ids}
    if wanted:
        entities = Entity.all_objects.using(router.db_for_read(Entity))
        found = set()
        for batch in parameter_batches(sorted(wanted), connections[entities.db]):
            found.update(entities.filter(id__in=batch).values_list("id", flat=True))
        missing = wanted - found
        if missing:
            raise InvalidEventError(f"No entity has the id(s) {sorted(missing)}; no event was stored.")


def _insert_events(requests: list[_EventRequest], database: str) -> list[_EventRequest]:
    """Insert, skipping uuids that exist; give each inserted event its id; return the inserted ones."""
    connection = connections[database]
    meta = models.Event._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    uuid_column = meta.get_field("uuid").column
    new_ids = {}
    with connection.cursor() as cursor:
        for batch in parameter_batches([request.event for request in requests], connection, len(fields)):
            params = [
                field.get_db_prep_save(getattr(event, field.attname), connection)
                for event in batch
                for field in fields
            ]
            cursor.execute(
                insert_skipping_conflicts(
                    connection,
                    meta.db_table,
                    [field.column for field in fields],
                    [uuid_column],
                    values_sql(len(batch), len(fields)),
                    [meta.pk.column, uuid_column],
                ),
                params,
            )
            new_ids.update((uuid, pk) for pk, uuid in cursor.fetchall())
    created = []
    for request in requests:
        pk = new_ids.pop(request.event.uuid, None)
        if pk is None:
            if not request.ignore_duplicates:
                raise IntegrityError(f"An event with uuid {request.event.uuid!r} exists already.")
            continue
        request.event.pk = pk
        request.event._state.adding = False
        request.event._state.db = database
        created.append(request)
    return created
