"""Floors: a call's exact answer, read back from a table that holds exactly its rows.

A floor is a true lower bound of a call. After the call, its answer rows (the columns its SQL
returns, joined relations included, in the same order) are materialised into a temporary table
and ANALYZEd; the floor reads that table over the same connection and builds the same Python
result with the same Django machinery. A call faster than its floor by more than ``NOISE``
therefore means the floor is wrong, and the scripts fail (see ``check``).
"""

import sys
from collections.abc import Callable
from itertools import count

#: A call faster than its floor by more than this share is reported as a wrong floor.
NOISE = 0.10

_tables = count(1)


def materialise(sql: str, params) -> str:
    """A temporary table holding the rows of ``sql``, column by column, in its order; its name.

    Its columns are numbered (a join may return two columns of the same name). Rows read back
    by a sequential scan come in insertion order: a temporary table is never scanned in sync
    with another scan. The table is checked to hold exactly the rows of ``sql``.
    """
    from django.db import connection

    name = f"floor_answer_{next(_tables)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        columns = ", ".join(f"c{number}" for number in range(1, len(cursor.description) + 1))
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) AS {sql}", params)
        cursor.execute(f"ANALYZE {name}")
        cursor.execute(f"SELECT * FROM {name}")
        if cursor.fetchall() != rows:
            raise AssertionError(f"{name} does not hold the rows of: {sql}")
    return name


def read_back(queryset, table: str):
    """``queryset`` with its SQL replaced by a read of ``table``: the same model instances (their
    ``select_related`` relations and annotations) or tuples, built by the same iterable."""
    from django.db import connections
    from django.db.models import Value

    class AnswerCompiler(connections[queryset.db].ops.compiler("SQLCompiler")):
        def as_sql(self, with_limits=True, with_col_aliases=False):
            self.pre_sql_setup()  # the columns' mapping onto the model instances
            return f"SELECT * FROM {table}", ()

    class AnswerQuery(type(queryset.query)):
        def get_compiler(self, using=None, connection=None, elide_empty=True):
            return AnswerCompiler(self, connection or connections[using], using, elide_empty)

    answer = queryset._chain()
    answer.query = queryset.query.chain(AnswerQuery)
    for name, expression in answer.query.annotations.items():
        # Its value comes from the table: its SQL (subqueries, say) need not be compiled.
        answer.query.annotations[name] = Value(None, output_field=expression.output_field)
    return answer


def answer(queryset):
    """``queryset`` reading its answer from a table holding exactly its rows (``.all()`` it for
    each run: a queryset keeps what it read)."""
    return read_back(queryset, materialise(*queryset.query.get_compiler(queryset.db).as_sql()))


def rows_floor(queryset) -> Callable[[], int]:
    """The floor of reading ``queryset``: its answer read back and built, counted."""
    return counted(answer(queryset))


def counted(read) -> Callable[[], int]:
    """Building the rows of the read-back queryset ``read``, counted."""
    return lambda: len(list(read.all()))


def events_floor(events) -> Callable[[], int]:
    """The floor of a call answering events: the rows of its own SQL when it answers a queryset,
    else (3.1.0 answers lists) the events by id with the relations they came with."""
    from django.db.models import QuerySet

    from entity_event.models import Event

    if isinstance(events, QuerySet):
        return rows_floor(events)
    events = list(events)
    return counted(by_id(Event.objects.all(), [event.id for event in events], loaded_relations(events)))


def value_floor(call: Callable) -> Callable:
    """The floor of a call answering one value by one SELECT (a count): that row read back."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        value = call()
    (statement,) = captured.captured_queries
    table = materialise(statement["sql"], None)

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")
            (read,) = cursor.fetchone()
        return read

    if floor() != value:
        raise AssertionError(f"{table} does not hold the answer {value!r} of {call}")
    return floor


def groups_floor(groups: list) -> Callable[[], int]:
    """The floor of a page of groups (``EventGroup`` objects): its groups' aggregate rows (source,
    key, count, newest time, shown event ids, actor ids and count), read back from a table
    holding exactly them; it counts them."""
    import json

    from django.db import connection

    rows = [
        {
            "source": group.source.pk,
            "key": json.dumps(group.key),
            "count": group.count,
            "time": group.time.isoformat(),
            "events": [event.pk for event in group.events],
            "actors": [actor.pk for actor in group.actors],
            "actor_count": group.actor_count,
        }
        for group in groups
    ]
    table = materialise(
        "SELECT source, key, count, time, events, actors, actor_count FROM jsonb_to_recordset(%s::jsonb) "
        "AS answer(source int, key text, count int, time timestamptz, events bigint[], actors int[], "
        "actor_count int)",
        [json.dumps(rows)],
    )

    def floor() -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")
            return len(cursor.fetchall())

    return floor


def pairs_floor(pairs, chunk_size: int | None = None) -> tuple[Callable[[], int], list[int]]:
    """The floor of the ``(event, [entity, ...])`` pairs of ``events_targets`` (or, streamed
    ``chunk_size`` events at a time, of ``iter_events_targets``), and the answer's event ids.

    It reads back the answer's events and its distinct targets, and builds the same pairs from
    the answer's layout, known in advance: each distinct list of targets is built once, and each
    event gets its own copy of it (the call, too, copies a list prepared per source); it counts
    the targets. Events that came with their source joined to each row are read back joined;
    events that share one source object per source get theirs from a read-back of the distinct
    sources, as the call did. ``pairs`` is gone through once, so a stream need not be held in
    memory.
    """
    from entity.models import Entity

    from entity_event.models import Event, Source

    event_ids, related, position, layout, keys, sources = [], None, {}, [], {}, {}
    shares_sources = True
    for event, targets in pairs:
        event_ids.append(event.id)
        related = loaded_relations([event]) if related is None else related
        if related:
            shares_sources &= sources.setdefault(event.source_id, event.source) is event.source
        key = tuple(position.setdefault(target.id, len(position)) for target in targets)
        layout.append(keys.setdefault(key, len(keys)))
    attached = bool(related) and shares_sources
    read_events = by_id(Event.objects.all(), event_ids, () if attached else related or ())
    read_entities = by_id(Entity.all_objects.all(), list(position))
    read_sources = by_id(Source.objects.all(), list(sources), tuple(related[1:])) if attached else None
    cache_source = Event._meta.get_field("source").set_cached_value

    def floor() -> int:
        entities = list(read_entities.all())
        prepared = [[entities[number] for number in key] for key in keys]
        events = read_events.all()
        streamed = events.iterator(chunk_size=chunk_size) if chunk_size else events
        if attached:
            by_source = {source.id: source for source in read_sources.all()}
            streamed = (cache_source(event, by_source[event.source_id]) or event for event in streamed)
        built = ((event, prepared[number].copy()) for event, number in zip(streamed, layout, strict=True))
        if not chunk_size:
            built = list(built)  # events_targets answers a list
        return sum(len(targets) for _event, targets in built)

    return floor, event_ids


def loaded_relations(events: list) -> list[str]:
    """The relations the answer's events come with already loaded (their columns are part of it)."""
    from entity_event.models import Event, Source

    if not events or not Event._meta.get_field("source").is_cached(events[0]):
        return []
    if Source._meta.get_field("group").is_cached(events[0].source):
        return ["source__group"]
    return ["source"]


def by_id(rows, ids: list[int], related: tuple[str, ...] = ()):
    """The ``rows`` of ``ids`` with ``related`` joined, read back from a table holding them in
    that order and as often as ``ids`` names them: the answer of a call that returns a list (3.1.0's
    lists may repeat an event).

    Each id is looked up by its primary key beside its position (a lateral join over the ids with
    their ordinality), so the table is made in time linear in the number of ids.
    """
    from django.db.models.expressions import RawSQL

    one = rows.filter(pk=RawSQL("wanted.id", ()))
    one = one.select_related(*related) if related else one
    sql, params = one.query.get_compiler(one.db).as_sql()
    listed = (
        "SELECT answer.* FROM unnest(%s::bigint[]) WITH ORDINALITY AS wanted(id, position) "
        f"CROSS JOIN LATERAL ({sql}) AS answer ORDER BY wanted.position"
    )
    return read_back(one, materialise(listed, (list(ids), *params)))


def beats_floor(seconds: float, floor_seconds: float) -> bool:
    """Whether a call of ``seconds`` beats a floor of ``floor_seconds`` by more than ``NOISE``."""
    return seconds < (1 - NOISE) * floor_seconds


def check(cells: dict, quick: bool = False) -> int:
    """Print a loud line per call (by name, its ``measure.compare`` figures) that beat its
    floor; 1 if any did, else 0. In a ``quick`` run the lines are printed but the answer is 0:
    its calls take milliseconds, where a call level with its floor seems to beat it by chance."""
    seconds = {name: (cell["mine"]["seconds"], cell["floor"]["seconds"]) for name, cell in cells.items()}
    wrong = [name for name, (mine, floor) in seconds.items() if beats_floor(mine, floor)]
    for name in wrong:
        mine, floor = seconds[name]
        print(
            f"FLOOR BEATEN: {name}: {mine * 1000:.1f} ms against a floor of {floor * 1000:.1f} ms; "
            "a floor is a lower bound, so this one is wrong",
            file=sys.stderr,
            flush=True,
        )
    return 1 if wrong and not quick else 0
