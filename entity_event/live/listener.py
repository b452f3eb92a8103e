"""The listening side: one PostgreSQL connection per server process LISTENs, and a thread fans
each notification out to the open streams it concerns.

Notifications (sent by the triggers of migration ``0014_live_notify``) say
``events:<lowest id>:<highest id>`` when events were created, and
``marks:<medium id>:<entity ids>`` (or ``*`` for all) when inbox marks changed. The thread takes
every notification waiting, then, per medium with open streams, routes the new events once
(:func:`.counts.received`: which of the streams' entities receive them, in a few queries whatever
the number of streams) and asks one query (:func:`.counts.refresh_many`) for the counts of the
entities that received some, of the named entities for marks, and for the streams that just
opened.
"""

import logging
import os
import select
import threading
from collections import defaultdict

import psycopg2
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections, router, transaction

from entity_event import app_settings
from entity_event.creation_lock import newest_settled_id
from entity_event.live.counts import received, refresh_many
from entity_event.live.streams import END, MAX_NEW_IDS, Stream
from entity_event.models import Event, Medium
from entity_event.numbers import parse_number

logger = logging.getLogger(__name__)

#: The channel the triggers NOTIFY on.
CHANNEL = "entity_event_live"

#: Seconds between attempts to reconnect a lost listening connection.
RECONNECT_SECONDS = 1.0


def listen_connection():  # PostgreSQL only
    """A new psycopg2 connection in autocommit mode to the server that ``ENTITY_EVENT_LISTEN_DATABASE``
    names: a libpq DSN or URL, or the alias of a database of ``DATABASES`` (by default the one
    events are written to: a standby refuses ``LISTEN`` and never sees the primary's ``NOTIFY``).
    It must reach PostgreSQL itself, not a transaction-pooling PgBouncer."""
    target = app_settings.listen_database() or router.db_for_write(Event)
    if target in settings.DATABASES:
        wrapper = connections[target]
        raw = psycopg2.connect(**wrapper.get_connection_params())
    else:
        raw = psycopg2.connect(target)
    raw.autocommit = True
    return raw


class Hub:  # PostgreSQL only
    """The streams of this process, and the thread that listens for them (started by the first)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._streams: dict[int, set[Stream]] = defaultdict(set)
        self._joining: list[Stream] = []
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)

    def add(self, stream: Stream) -> None:
        """Serve ``stream``: its first count (and the events above its ``after``) come from the thread."""
        with self._lock:
            self._streams[stream.medium.pk].add(stream)
            self._joining.append(stream)
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(
                    target=self._run, name="entity_event live listener", daemon=True
                )
                self._thread.start()
        self._wake()

    def remove(self, stream: Stream) -> None:
        """Stop serving ``stream`` (its client went away)."""
        with self._lock:
            self._streams[stream.medium.pk].discard(stream)
            if not self._streams[stream.medium.pk]:
                del self._streams[stream.medium.pk]

    def count(self) -> int:
        """How many streams are open."""
        with self._lock:
            return sum(map(len, self._streams.values()))

    def close(self) -> None:
        """End every stream and stop listening (the server shuts down)."""
        with self._lock:
            streams = [stream for streams in self._streams.values() for stream in streams]
            self._streams.clear()
            self._joining.clear()
            thread = self._thread
        self._stopping.set()
        self._wake()
        for stream in streams:
            stream.push(END)
        if thread is not None:
            thread.join()

    def _wake(self) -> None:
        try:
            os.write(self._wake_write, b"!")
        except BlockingIOError:  # the pipe is full: the thread is awake already
            pass

    def _run(self) -> None:
        """Listen until closed; after a lost connection or a failed query, listen again and refresh
        every stream, so that no change made meanwhile is missed."""
        try:
            while not self._stopping.is_set():
                try:
                    self._listen()
                except (psycopg2.Error, DatabaseError, OSError) as error:
                    # DatabaseError: a query of the refresh failed (the server is full, restarting).
                    logger.warning("entity_event live: listening failed (%s); retrying", error)
                    connections.close_all()
                    with self._lock:
                        self._joining = [stream for streams in self._streams.values() for stream in streams]
                    self._wake()  # refresh them as soon as listening again, not at the next notification
                    self._stopping.wait(RECONNECT_SECONDS)
        finally:
            connections.close_all()

    def _listen(self) -> None:
        listener = listen_connection()
        try:
            with listener.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            while not self._stopping.is_set():
                ready, _, _ = select.select([listener, self._wake_read], [], [])
                if self._wake_read in ready:
                    os.read(self._wake_read, 4096)
                listener.poll()
                payloads = [notify.payload for notify in listener.notifies]
                listener.notifies.clear()
                if not self._stopping.is_set():
                    self._dispatch(payloads)
        finally:
            listener.close()

    def _dispatch(self, payloads: list[str]) -> None:
        """Refresh the streams that ``payloads`` and the newly opened streams concern."""
        events_created, marked = parse(payloads)
        with self._lock:
            joining, self._joining = self._joining, []
            streams = {medium_id: list(streams) for medium_id, streams in self._streams.items()}
        if not (joining or events_created or marked):
            return
        close_old_connections()
        # The primary, where the notified writes are: a lagging replica would count without them,
        # and nothing would tell the stream again.
        database = router.db_for_write(Event)
        with transaction.atomic(using=database), connections[database].cursor() as cursor:
            # The counts of many entities in one statement look costly to the planner, which
            # would JIT-compile it: on a server with jit on, that took 1.7 s per notification
            # for a query that runs in milliseconds (docs/live.rst).
            cursor.execute("SET LOCAL jit = off")
            settled = newest_settled_id(database)
            joined = set(joining)
            for medium_id, medium_streams in streams.items():
                staying = [stream for stream in medium_streams if stream not in joined]
                _refresh_medium(
                    medium_streams[0].medium,
                    [stream for stream in medium_streams if stream in joined],
                    staying if events_created else [],
                    [stream for stream in staying if _named(stream, marked.get(medium_id, ()))],
                    settled,
                    database,
                )


def _named(stream: Stream, entity_ids: set) -> bool:  # PostgreSQL only
    return "*" in entity_ids or stream.entity.pk in entity_ids


def _refresh_medium(  # PostgreSQL only
    medium: Medium,
    joining: list[Stream],
    told_of_events: list[Stream],
    marked: list[Stream],
    settled: int,
    database: str,
) -> None:
    """Refresh the streams of ``medium``: the ``joining`` ones (their count, and for those resuming
    from an older ``after`` their events since), those ``told_of_events`` (the events their entity
    received up to ``settled``, routed once for all, and their count when they received some)
    and the ``marked`` ones (their count). Whatever the number of streams: the routing of the new
    events, then one query for all the counts, each entity's counted once."""
    new_ids = {}
    if told_of_events:
        after = min(stream.after for stream in told_of_events)
        if after < settled:
            new_ids = received(
                medium, after, settled, {stream.entity.pk for stream in told_of_events}, database
            )
    resuming = [stream for stream in joining if stream.after < settled]
    recounted = {*marked, *(stream for stream in told_of_events if stream.entity.pk in new_ids)}
    recounted.update(stream for stream in joining if stream.after >= settled)
    to_count = {(stream.entity.pk, stream.limit): stream.entity for stream in recounted}
    found, counts = refresh_many(
        medium, resuming, settled, [(entity, limit) for (_, limit), entity in to_count.items()], database
    )
    for stream, (ids, counted) in zip(resuming, found, strict=True):
        stream.apply(ids, counted, settled)
    up_to = settled if told_of_events else None
    for stream in {*told_of_events, *marked, *joining} - set(resuming):
        ids = [event_id for event_id in new_ids.get(stream.entity.pk, []) if event_id > stream.after]
        stream.apply(ids[: MAX_NEW_IDS + 1], counts.get((stream.entity.pk, stream.limit)), up_to)


def parse(payloads: list[str]) -> tuple[bool, dict[int, set]]:
    """Whether events were created, and per medium id the entity ids whose marks changed (``"*"``
    for all), from the payloads of the triggers."""
    events = False
    marked: dict[int, set] = defaultdict(set)
    for payload in payloads:
        kind, _, rest = payload.partition(":")
        if kind == "events":
            events = True
        elif kind == "marks":
            medium_id, _, entity_ids = rest.partition(":")
            marked[parse_number(medium_id)] |= (
                {"*"} if entity_ids == "*" else set(map(parse_number, entity_ids.split(",")))
            )
    return events, dict(marked)
