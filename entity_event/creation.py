"""Writing events, their actors and their seen marks in a constant number of queries.

Inserts use the database's own conflict handling (``ON CONFLICT ... DO NOTHING``, which
PostgreSQL and SQLite share), so that two processes storing the same uuid at once end with one
event and no exception, instead of a check-then-insert race.
"""

import json
import uuid as uuid_module
from collections.abc import Iterable, Mapping

from django.core.exceptions import EmptyResultSet
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connections, router, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from entity.models import Entity

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


def _insert_seen(events: QuerySet | Iterable[int], medium, *, returning: bool) -> int | list[int]:
    """``INSERT ... SELECT`` of the seen marks of ``events``, in event id order, conflicts skipped;
    with ``returning``, the ids of the events marked, else their number."""
    seen_model = models.EventSeen
    database = router.db_for_write(seen_model)
    if not isinstance(events, QuerySet):
        events = models.Event.objects.using(database).filter(id__in=ids_subquery(events, database))
    connection = connections[database]
    quote = connection.ops.quote_name
    try:
        select_sql, select_params = events.values("id").query.sql_with_params()
    except EmptyResultSet:  # a queryset Django knows to be empty, such as .none() or pk__in=[]
        return [] if returning else 0
    time_seen = seen_model._meta.get_field("time_seen").get_db_prep_save(timezone.now(), connection)
    event_column = quote("event_id")
    sql = (
        f"INSERT INTO {quote(seen_model._meta.db_table)} ({event_column}, {quote('medium_id')}, "
        f"{quote('time_seen')}) SELECT marked.id, %s, %s FROM ({select_sql}) marked ORDER BY marked.id "
        f"ON CONFLICT ({event_column}, {quote('medium_id')}) DO NOTHING"
    )
    with connection.cursor() as cursor:
        if not returning:
            cursor.execute(sql, (medium.pk, time_seen, *select_params))
            return cursor.rowcount
        cursor.execute(f"{sql} RETURNING {event_column}", (medium.pk, time_seen, *select_params))
        return [event_id for (event_id,) in cursor.fetchall()]


def _parameter_batches(ids: list[int], database: str, reserved: int) -> list[list[int]]:
    """``ids`` cut so that each part and ``reserved`` other parameters fit in one statement.

    PostgreSQL takes them all at once; SQLite builds take from 999 to 250,000 parameters, and
    Django plans for 999.
    """
    limit = connections[database].features.max_query_params
    size = limit - reserved if limit else max(len(ids), 1)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


class _EventRequest:
    """One event asked for: the unsaved event, its actor ids and whether a known uuid is fine."""

    def __init__(self, kwargs: Mapping):
        kwargs = dict(kwargs)
        actors = kwargs.pop("actors", None) or ()
        self.ignore_duplicates = bool(kwargs.pop("ignore_duplicates", False))
        unknown = set(kwargs) - _event_field_names()
        if unknown:
            raise InvalidEventError(f"Unknown event field(s): {', '.join(sorted(unknown))}.")
        if kwargs.get("source") is None and kwargs.get("source_id") is None:
            raise InvalidEventError("An event needs a source (source=... or source_id=...).")
        kwargs.setdefault("context", {})
        _check_context(kwargs["context"])
        if kwargs.get("uuid") is None:
            kwargs["uuid"] = uuid_module.uuid4().hex
        # As the text the column stores, so that the uuid RETURNING gives back finds this request.
        kwargs["uuid"] = models.Event._meta.get_field("uuid").to_python(kwargs["uuid"])
        kwargs.setdefault("time", timezone.now())
        self.event = models.Event(**kwargs)
        self.actor_ids = _actor_ids(actors)


def _event_field_names() -> set[str]:
    fields = models.Event._meta.concrete_fields
    return {field.name for field in fields} | {field.attname for field in fields}


def _check_context(context) -> None:
    if not isinstance(context, Mapping):
        raise InvalidEventError(f"An event context must be a dict, not {type(context).__name__}.")
    try:
        # NaN and infinities are not JSON: PostgreSQL and SQLite refuse them at the insert.
        json.dumps(context, cls=DjangoJSONEncoder, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidEventError(f"The event context cannot be stored as JSON: {error}") from error


def _actor_ids(actors) -> list[int]:
    if isinstance(actors, Entity | int):
        actors = [actors]
    ids = []
    for actor in actors:
        if isinstance(actor, Entity):
            actor = actor.pk
        if not isinstance(actor, int) or isinstance(actor, bool):
            raise InvalidEventError(f"An actor must be an Entity or an entity id, not {actor!r}.")
        if actor not in ids:
            ids.append(actor)
    return ids


def _check_sources_exist(requests: list[_EventRequest]) -> None:
    source_ids = {request.event.source_id for request in requests}
    if None in source_ids:
        raise InvalidEventError("An event's source has not been saved.")
    unsaved_check = {
        request.event.source_id for request in requests if "source" not in request.event._state.fields_cache
    }
    if unsaved_check:
        missing = unsaved_check - set(
            models.Source.objects.filter(id__in=unsaved_check).values_list("id", flat=True)
        )
        if missing:
            raise InvalidEventError(f"No source has the id(s) {sorted(missing)}.")


def _check_actors_exist(requests: list[_EventRequest]) -> None:
    wanted = {actor_id for request in requests for actor_id in request.actor_ids}
    if wanted:
        entities = Entity.all_objects.using(router.db_for_read(Entity))
        found = set()
        for batch in _parameter_batches(sorted(wanted), entities.db, reserved=0):
            found.update(entities.filter(id__in=batch).values_list("id", flat=True))
        missing = wanted - found
        if missing:
            raise InvalidEventError(f"No entity has the id(s) {sorted(missing)}; no event was stored.")


def _insert_events(requests: list[_EventRequest], database: str) -> list[_EventRequest]:
    """Insert, skipping uuids that exist; give each inserted event its id; return the inserted ones."""
    connection = connections[database]
    quote = connection.ops.quote_name
    meta = models.Event._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    uuid_column = quote(meta.get_field("uuid").column)
    row_placeholder = f"({', '.join(['%s'] * len(fields))})"
    new_ids = {}
    events = [request.event for request in requests]
    batch_size = connection.ops.bulk_batch_size(fields, events) or len(events)
    with connection.cursor() as cursor:
        for start in range(0, len(events), batch_size):
            batch = events[start : start + batch_size]
            params = [
                field.get_db_prep_save(getattr(event, field.attname), connection)
                for event in batch
                for field in fields
            ]
            rows = ", ".join([row_placeholder] * len(batch))
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {rows} "
                f"ON CONFLICT ({uuid_column}) DO NOTHING RETURNING {quote(meta.pk.column)}, {uuid_column}",
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
