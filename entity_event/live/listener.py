"""The listening side: one PostgreSQL connection per server process LISTENs, and a thread fans
each notification out to the open streams it concerns.

Notifications (sent by the triggers of migration ``0014_live_notify``) say
``events:<lowest id>:<highest id>`` when events were created, and
``marks:<medium id>:<entity ids>`` (or ``*`` for all) when inbox marks changed. The thread takes
every notification waiting, then asks, per medium, one query (:func:`.counts.refresh_many`) for
the streams concerned: all the medium's streams for new events (counting only for those that
received some), the named entities' streams for marks, and the streams that just opened.
"""

import logging
import os
import select
import threading
from collections import defaultdict

import psycopg2
from django.conf import settings
from django.db import close_old_connections, connections, router

from entity_event import app_settings
from entity_event.creation_lock import newest_settled_id
from entity_event.live.counts import Refresh, refresh_many
from entity_event.live.streams import END, Stream
from entity_event.models import Event
from entity_event.numbers import parse_number

logger = logging.getLogger(__name__)

#: The channel the triggers NOTIFY on.
CHANNEL = "entity_event_live"

#: Seconds between attempts to reconnect a lost listening connection.
RECONNECT_SECONDS = 1.0


def listen_connection():  # PostgreSQL only
    """A new psycopg2 connection in autocommit mode to the server that ``ENTITY_EVENT_LISTEN_DATABASE``
    names: a libpq DSN or URL, or the alias of a database of ``DATABASES`` (by default the one
    events are read from). It must reach PostgreSQL itself, not a transaction-pooling PgBouncer."""
    target = app_settings.listen_database() or router.db_for_read(Event)
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
        """Listen until closed; after a lost connection, listen again and refresh every stream, so
        that no change made meanwhile is missed."""
        try:
            while not self._stopping.is_set():
                try:
                    self._listen()
                except (psycopg2.Error, OSError) as error:
                    logger.warning("entity_event live: listening failed (%s); retrying", error)
                    with self._lock:
                        self._joining = [stream for streams in self._streams.values() for stream in streams]
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
        database = router.db_for_read(Event)
        settled = newest_settled_id(database)
        joined = set(joining)
        for medium_id, medium_streams in streams.items():
            refreshes = []
            for stream in medium_streams:
                named = marked.get(medium_id, ())
                marks = "*" in named or stream.entity.pk in named
                if stream in joined or events_created:
                    refreshes.append(Refresh(stream, settled, count=stream in joined or marks))
                elif marks:
                    refreshes.append(Refresh(stream, None, count=True))
            found = refresh_many(refreshes, database)
            for refresh_, (new_ids, counted) in zip(refreshes, found, strict=True):
                refresh_.stream.apply(new_ids, counted, refresh_.up_to)


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
