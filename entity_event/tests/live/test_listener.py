"""The listening side on a real PostgreSQL server: the triggers' notifications, delivered at
commit, and one listening thread fanning them out to the streams they concern, in one query per
medium."""

import asyncio
import select
import threading

import psycopg2
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import OperationalError, connection, connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from entity_event.live import listener, views
from entity_event.live.listener import CHANNEL, Hub, listen_connection
from entity_event.live.streams import END, Stream, message
from entity_event.models import Medium
from entity_event.replicas import ReplicaRouter
from entity_event.tests import helpers
from entity_event.tests.live.conftest import next_message, stream_answer, url
from entity_event.tests.models import FollowSubEntitiesMedium

pytestmark = [pytest.mark.django_db(transaction=True), helpers.needs_postgresql]


def notifications(listening, seconds: float = 0.2) -> list[str]:
    """The payloads that arrive on ``listening`` within ``seconds``."""
    payloads = []
    while select.select([listening], [], [], seconds)[0]:
        listening.poll()
        payloads += [notify.payload for notify in listening.notifies]
        listening.notifies.clear()
    return payloads


@pytest.fixture
def listening():
    """A second connection, LISTENing on the triggers' channel."""
    raw = listen_connection()
    with raw.cursor() as cursor:
        cursor.execute(f"LISTEN {CHANNEL}")
    yield raw
    raw.close()


def test_an_event_notifies_at_commit_and_a_rolled_back_one_notifies_nobody(world, listening):
    with transaction.atomic():
        helpers.event(world["source"])
        assert notifications(listening) == []
        transaction.set_rollback(True)
    assert notifications(listening) == []

    events = [helpers.event(world["source"]) for _ in range(2)]

    assert notifications(listening) == [f"events:{event.pk}:{event.pk}" for event in events]


def test_marks_notify_their_medium_and_entity(world, listening):
    event = helpers.event(world["source"])
    notifications(listening)
    newsfeed, bob = world["newsfeed"], world["entities"]["bob"]

    newsfeed.inbox(bob).mark_seen([event])
    newsfeed.inbox(bob).mark_unseen([event])

    assert set(notifications(listening)) == {f"marks:{newsfeed.pk}:{bob.pk}"}


@pytest.fixture
def loop():
    """An event loop the streams queue their messages on, run by :func:`drain`."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def open_stream(loop, medium, entity, after: int = 0, limit: int = 20) -> Stream:
    async def make():
        return Stream(medium, entity, limit, after)

    return loop.run_until_complete(make())


def drain(loop, stream: Stream) -> list:
    loop.run_until_complete(asyncio.sleep(0))
    items = []
    while not stream.queue.empty():
        items.append(stream.queue.get_nowait())
    return items


def hub_serving(streams) -> Hub:
    """A hub holding ``streams`` as if they had joined, its thread not started (the test calls
    ``_dispatch`` in its own thread)."""
    hub = Hub()
    for stream in streams:
        hub._streams[stream.medium.pk].add(stream)
    return hub


@pytest.mark.parametrize("per_entity", [1, 3])
def test_new_events_are_routed_once_and_counted_in_one_query_per_medium_whatever_the_streams(
    world, loop, per_entity
):
    other = helpers.medium("email")
    helpers.subscribe(other, world["source"], world["entities"]["alice"])
    streams = [
        open_stream(loop, medium, entity)
        for medium in (world["newsfeed"], other)
        for entity in world["entities"].values()
        for _ in range(per_entity)
    ]
    hub = hub_serving(streams)
    event = helpers.event(world["source"])

    with CaptureQueriesContext(connection) as queries:
        hub._dispatch([f"events:{event.pk}:{event.pk}"])

    # In one transaction with JIT off (BEGIN, SET LOCAL, COMMIT), the newest settled id; per
    # medium, the routing of the new events (its subscriptions, their entities, its
    # unsubscriptions, the events), then one query counting for every stream.
    assert helpers.statements(queries)[:2] == ["BEGIN", "SET LOCAL jit = off"]
    assert len(helpers.statements(queries)) == 3 + 1 + 2 * (4 + 1)
    received = message("new", {"ids": [event.pk], "more": False}, event.pk)
    counted = message("unseen-count", {"count": 1, "more": False}, event.pk)
    alice = world["entities"]["alice"]
    bob_on_email = [stream for stream in streams if stream.medium == other and stream.entity != alice]
    for stream in streams:
        expected = [] if stream in bob_on_email else [received, counted]
        assert drain(loop, stream) == expected
        assert stream.after == event.pk

    with CaptureQueriesContext(connection) as queries:  # told again of events announced already
        hub._dispatch([f"events:{event.pk}:{event.pk}"])

    assert len(helpers.statements(queries)) == 3 + 1  # the newest settled id: nothing to route
    assert all(drain(loop, stream) == [] for stream in streams)


@pytest.mark.parametrize("medium_class", [Medium, FollowSubEntitiesMedium])
def test_each_stream_hears_of_its_own_entitys_events_and_count(loop, medium_class):
    medium, source = helpers.medium("alerts", medium_class=medium_class), helpers.source()
    team = helpers.entity("team", "team")
    alice, bob = (helpers.entity(name, supers=[team]) for name in ("alice", "bob"))
    carol, dave = helpers.entity("carol", is_active=False), helpers.entity("dave")
    helpers.subscribe(medium, source, team, sub_kind="user")  # alice and bob
    helpers.subscribe(medium, source, carol)
    helpers.subscribe(medium, source, dave, only_following=True)  # the events dave is an actor of
    first = helpers.event(source)
    medium.inbox(alice).mark_seen([first])
    streams = {
        name: open_stream(loop, medium, entity, after=first.pk, limit=limit)
        for name, entity, limit in [
            ("alice", alice, 20),
            ("bob", bob, 20),
            ("bob, one at most", bob, 1),
            ("carol", carol, 20),
            ("dave", dave, 20),
        ]
    }
    second = helpers.event(source, actors=[dave])

    hub_serving(streams.values())._dispatch([f"events:{second.pk}:{second.pk}"])

    counts = {"alice": (1, False), "bob": (2, False), "bob, one at most": (1, True), "carol": (2, False)}
    counts["dave"] = (1, False)
    for name, stream in streams.items():
        count, more = counts[name]
        assert drain(loop, stream) == [
            message("new", {"ids": [second.pk], "more": False}, second.pk),
            message("unseen-count", {"count": count, "more": more}, second.pk),
        ], name
        assert medium.inbox(stream.entity).unseen_count(limit=stream.limit) == count


def test_a_stream_resuming_from_an_older_id_hears_what_it_missed_in_the_same_query(world, loop):
    missed = [helpers.event(world["source"]) for _ in range(2)]
    alice, bob = world["entities"]["alice"], world["entities"]["bob"]
    resuming = open_stream(loop, world["newsfeed"], alice, after=missed[0].pk - 1)  # Last-Event-ID
    opening = open_stream(loop, world["newsfeed"], bob, after=missed[-1].pk)
    hub = hub_serving([resuming, opening])
    hub._joining += [resuming, opening]

    with CaptureQueriesContext(connection) as queries:
        hub._dispatch([])

    assert len(helpers.statements(queries)) == 3 + 1 + 1  # the settled id, both streams in one query
    newest = missed[-1].pk
    counted = message("unseen-count", {"count": 2, "more": False}, newest)
    assert drain(loop, resuming) == [
        message("new", {"ids": [e.pk for e in missed], "more": False}, newest),
        counted,
    ]
    assert drain(loop, opening) == [counted]


def test_marks_recount_only_the_streams_of_the_marked_entity(world, loop):
    event = helpers.event(world["source"])
    alice, bob = world["entities"]["alice"], world["entities"]["bob"]
    streams = {
        name: open_stream(loop, world["newsfeed"], entity, after=event.pk)
        for name, entity in (("alice", alice), ("bob", bob))
    }
    for stream in streams.values():
        stream.sent = {"count": 1, "more": False}
    hub = hub_serving(streams.values())
    world["newsfeed"].inbox(bob).mark_seen()

    hub._dispatch([f"marks:{world['newsfeed'].pk}:{bob.pk}"])
    hub._dispatch([f"marks:{world['newsfeed'].pk}:*"])

    assert drain(loop, streams["bob"]) == [message("unseen-count", {"count": 0, "more": False}, event.pk)]
    assert drain(loop, streams["alice"]) == []


def test_nothing_to_do_asks_nothing(world, loop):
    hub = hub_serving([open_stream(loop, world["newsfeed"], world["entities"]["alice"])])

    with CaptureQueriesContext(connection) as queries:
        hub._dispatch([f"marks:{world['newsfeed'].pk + 1}:1"])
        hub._dispatch([])

    assert len(helpers.statements(queries)) == 3 + 1  # the settled id: a medium without streams


def test_a_stream_hears_a_new_event_and_its_own_marks_through_the_listening_connection(world):
    bob = world["entities"]["bob"]

    async def main():
        response = await stream_answer(url(), world["users"]["bob"])
        messages = aiter(response.streaming_content)
        first = [await next_message(messages) for _ in range(2)][1:]
        event = await sync_to_async(helpers.event)(world["source"])
        then = [await next_message(messages) for _ in range(2)]
        await sync_to_async(lambda: world["newsfeed"].inbox(bob).mark_seen())()
        marked = [await next_message(messages)]
        assert views.hub.count() == 1
        await messages.aclose()
        return first, event, then, marked

    first, event, then, marked = async_to_sync(main)()

    assert first[0].endswith('event: unseen-count\ndata: {"count": 0, "more": false}\n\n')
    assert then == [
        message("new", {"ids": [event.pk], "more": False}, event.pk),
        message("unseen-count", {"count": 1, "more": False}, event.pk),
    ]
    assert marked == [message("unseen-count", {"count": 0, "more": False}, event.pk)]
    views.hub.close()
    assert views.hub.count() == 0


def test_closing_the_hub_ends_its_streams_and_stops_its_thread(world, loop):
    hub = Hub()
    stream = open_stream(loop, world["newsfeed"], world["entities"]["alice"])
    hub.add(stream)
    thread = hub._thread
    hub.add(open_stream(loop, world["newsfeed"], world["entities"]["bob"]))
    assert hub._thread is thread and hub.count() == 2

    hub.close()

    assert not thread.is_alive()
    assert drain(loop, stream)[-1] is END
    assert hub.count() == 0


def test_a_removed_stream_is_forgotten(world, loop):
    streams = [open_stream(loop, world["newsfeed"], world["entities"]["alice"]) for _ in range(2)]
    hub = hub_serving(streams)

    hub.remove(streams[0])
    assert hub.count() == 1
    hub.remove(streams[1])
    assert hub.count() == 0 and dict(hub._streams) == {}


def test_a_full_wake_up_pipe_is_a_thread_awake_already():
    hub = Hub()
    for _ in range(70_000):  # more bytes than a pipe holds
        hub._wake()


@pytest.mark.parametrize(
    ("failing", "error"),
    [
        ("listen_connection", psycopg2.OperationalError("the server went away")),
        ("newest_settled_id", OperationalError("sorry, too many clients already")),  # the refresh's query
    ],
)
def test_a_lost_listening_connection_is_made_again_and_every_stream_refreshed(
    world, loop, monkeypatch, failing, error
):
    monkeypatch.setattr(listener, "RECONNECT_SECONDS", 0.01)
    attempts = []
    refreshed = threading.Event()
    working = getattr(listener, failing)

    def flaky(*args):
        attempts.append(1)
        if len(attempts) == 1:
            raise error
        return working(*args)

    monkeypatch.setattr(listener, failing, flaky)
    hub = Hub()
    stream = open_stream(loop, world["newsfeed"], world["entities"]["alice"])
    original = stream.apply
    monkeypatch.setattr(stream, "apply", lambda *args: [original(*args), refreshed.set()])

    hub.add(stream)

    assert refreshed.wait(10)
    hub.close()
    assert len(attempts) == 2
    assert drain(loop, stream)[0] == message("unseen-count", {"count": 0, "more": False}, stream.after)


def test_the_listening_connection_may_be_another_alias_or_a_dsn(world):
    params = connection.get_connection_params()
    dsn = " ".join(f"{key}={params[key]}" for key in ("dbname", "host", "port", "user") if params.get(key))
    for setting in ("default", dsn):
        with override_settings(ENTITY_EVENT_LISTEN_DATABASE=setting):
            raw = listen_connection()
            with raw.cursor() as cursor:
                cursor.execute("SELECT current_database()")
                assert cursor.fetchone() == (params["dbname"],)
            assert raw.autocommit
            raw.close()


def test_closing_a_hub_that_never_listened_does_nothing():
    hub = Hub()

    hub.close()

    assert hub.count() == 0 and hub._thread is None


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_with_reads_on_a_replica_streams_listen_and_recount_on_the_primary(world, loop):
    routed = override_settings(DATABASE_ROUTERS=[ReplicaRouter()], ENTITY_EVENT_READ_REPLICAS=["replica"])
    stream = open_stream(loop, world["newsfeed"], world["entities"]["bob"])
    hub = hub_serving([stream])
    with routed:
        raw = listen_connection()
        with raw.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")  # a hot standby refuses it
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone() == (False,)
        raw.close()
        event = helpers.event(world["source"])
        captured = {alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")}
        with captured["default"], captured["replica"]:
            hub._dispatch([f"events:{event.pk}:{event.pk}"])

    assert helpers.statements(captured["replica"]) == []
    assert helpers.statements(captured["default"])
    assert drain(loop, stream)[-1] == message("unseen-count", {"count": 1, "more": False}, event.pk)
