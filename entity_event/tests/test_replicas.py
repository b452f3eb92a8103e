"""Read replicas: with ReplicaRouter, reads run on the ``replica`` alias, writes and the reads that
decide them on ``default`` (the primary).

Without ``REPLICA_URL`` the ``replica`` alias reaches the default database through a connection
of its own, so these tests prove on which alias each query ran; CI runs them again with a real
streaming replica (``.ci/run``), where :func:`caught_up` waits for it to replay the primary's
writes, and where the last test shows what a lagging replica does.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.db import connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from entity_event.databases import on_primary, read_database, reading, reads_on_primary
from entity_event.models import Event, EventSeen, Subscription
from entity_event.preferences import preferences, set_receiving
from entity_event.replicas import ReplicaRouter
from entity_event.tests import helpers
from entity_event.tests.web.test_entity import mirror

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

ROUTED = {
    "DATABASE_ROUTERS": ["entity_event.replicas.ReplicaRouter"],
    "ENTITY_EVENT_READ_REPLICAS": ["replica"],
}


def is_standby(alias: str = "replica") -> bool:
    """Whether ``alias`` is a PostgreSQL server in recovery: a real streaming replica."""
    if connections[alias].vendor != "postgresql":
        return False
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return cursor.fetchone()[0]


def caught_up() -> None:
    """Wait until the replica has replayed every write the primary made so far (nothing to wait
    for when the alias reaches the primary itself)."""
    if not is_standby():
        return
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    with connections["replica"].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)


class Ran:
    """The SQL statements each alias ran in a ``with ran_on() as ran`` block."""

    def __init__(self, captured: dict):
        self.captured = captured

    def on(self, alias: str) -> list[str]:
        return helpers.statements(self.captured[alias])


@contextmanager
def ran_on() -> Iterator[Ran]:
    captured = {alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")}
    for capture in captured.values():
        capture.__enter__()
    try:
        yield Ran(captured)
    finally:
        for capture in captured.values():
            capture.__exit__(None, None, None)


@pytest.fixture
def world():
    """The company of helpers, alice's team subscribed to photo tags on the newsfeed, two events
    made by bob; the router sends reads to the replica, which has caught up."""
    world = helpers.company()
    helpers.subscribe(world.newsfeed, world.photo, world.red, sub_kind="user")
    world.events = [helpers.event(world.photo, actors=[world.bob]) for _ in range(2)]
    with override_settings(**ROUTED):
        caught_up()
        yield world


def test_the_router_reads_on_a_replica_and_writes_on_the_primary():
    router = ReplicaRouter()
    with override_settings(ENTITY_EVENT_READ_REPLICAS=["replica"]):
        assert (router.db_for_read(Event), router.db_for_write(Event)) == ("replica", "default")
        with reads_on_primary():
            assert router.db_for_read(Event) == "default"
    with override_settings(ENTITY_EVENT_READ_REPLICAS=[]):
        assert router.db_for_read(Event) == "default"
    assert router.allow_relation(Event(), Subscription()) is True
    assert (
        router.allow_migrate("default", "entity_event"),
        router.allow_migrate("replica", "entity_event"),
    ) == (
        True,
        False,
    )


def test_routing_reads_run_on_the_replica(world):
    with ran_on() as ran:
        events = list(world.newsfeed.events())
        received = list(world.newsfeed.entity_events(world.alice))
        pairs = world.newsfeed.events_targets()
        streamed = list(world.newsfeed.iter_events_targets(chunk_size=1))
        filtered = list(world.newsfeed.get_filtered_events())

    expected = [event.id for event in reversed(world.events)]
    assert [event.id for event in events] == [event.id for event in received] == expected
    assert [event.id for event in filtered] == expected
    assert [(event.id, [target.id for target in targets]) for event, targets in pairs] == [
        (event_id, [world.alice.id, world.bob.id]) for event_id in expected
    ]
    assert [(event.id, targets) for event, targets in streamed] == [
        (event.id, targets) for event, targets in pairs
    ]
    assert ran.on("default") == [] and len(ran.on("replica")) >= 4


def test_inbox_and_preference_reads_run_on_the_replica(world):
    inbox = world.newsfeed.inbox(world.alice)
    with ran_on() as ran:
        assert inbox.unseen_count() == 2
        assert [event.is_seen for event in inbox.events()] == [False, False]
        assert [(pair.source, pair.receiving) for pair in preferences(world.alice)] == [(world.photo, True)]
    # The count, the page of events and their sources, the preferences.
    assert ran.on("default") == [] and len(ran.on("replica")) == 4


def test_marking_and_claiming_read_and_write_on_the_primary_only(world):
    with ran_on() as ran:
        claimed = list(world.newsfeed.events(seen=False, mark_seen=True))
        world.newsfeed.inbox(world.alice).mark_seen()
        streamed = list(world.newsfeed.iter_events_targets(mark_seen=True))
        set_receiving(world.alice, world.newsfeed.id, world.photo.id, False)

    assert len(claimed) == 2 and len(streamed) == 2
    assert ran.on("replica") == []
    assert EventSeen.objects.using("default").count() == 2


def test_after_marking_the_inbox_a_pinned_count_reads_the_primary(world):
    inbox = world.newsfeed.inbox(world.alice)
    with ran_on() as ran:
        inbox.mark_seen()
        with reads_on_primary():
            assert inbox.unseen_count() == 0
    assert ran.on("replica") == []


def test_the_json_endpoints_read_on_the_replica_and_mark_on_the_primary(world):
    user = User.objects.create_user("reader")
    helpers.subscribe(world.newsfeed, world.photo, mirror(user))
    client = Client()
    client.force_login(user)
    count_url = reverse("entity_event:inbox_unseen_count", args=["newsfeed"])
    mark_url = reverse("entity_event:inbox_mark_seen", args=["newsfeed"])
    caught_up()

    with ran_on() as reading_the_count:
        assert client.get(count_url).json() == {"unseen": 2}
    with ran_on() as marking:
        answer = client.post(mark_url, {"all": True}, content_type="application/json")
    assert answer.json() == {"marked": 2}

    assert [sql for sql in reading_the_count.on("replica") if "entity_event" in sql] != []
    assert [sql for sql in reading_the_count.on("default") if "entity_event" in sql] == []
    assert [sql for sql in marking.on("replica") if "entity_event" in sql] == []


def test_a_queryset_that_names_its_database_keeps_it(world):
    events = Event.objects.using("default")
    with ran_on() as ran:
        assert reading(events).db == "default" and reading(Event.objects.all()).db == "replica"
        assert on_primary(Event.objects.using("replica")).db == "default"
        assert read_database(Event) == "replica"
        assert list(world.newsfeed.events().using("default")) == list(reversed(world.events))
        # Marking what a replica's queryset names reads the ids on the primary, which it writes.
        assert Event.objects.using("replica").filter(id=world.events[0].id).mark_seen(world.newsfeed) == 1
    assert ran.on("replica") == []


def test_read_replicas_must_be_aliases_of_other_databases():
    def errors(replicas) -> list[str]:
        with override_settings(ENTITY_EVENT_READ_REPLICAS=replicas):
            return [message.id for message in run_checks() if message.id == "entity_event.E020"]

    assert errors(["replica"]) == errors([]) == []
    assert errors(["default"]) == errors(["nowhere"]) == errors("replica") == ["entity_event.E020"]


@pytest.mark.skipif(not settings.REPLICA_URL, reason="a lagging replica needs a real one (REPLICA_URL)")
def test_a_lagging_replica_answers_stale_reads_and_decides_no_write(world):
    """The replica stops replaying (as under load): its reads miss the newest event until it
    catches up, while marking, decided on the primary, takes that event at once."""
    inbox = world.newsfeed.inbox(world.alice)
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
        try:
            newest = helpers.event(world.photo, actors=[world.bob])
            assert inbox.unseen_count() == 2
            assert newest not in world.newsfeed.events()
            with reads_on_primary():
                assert inbox.unseen_count() == 3
            claimed = world.newsfeed.events(seen=False, mark_seen=True)
            assert sorted(event.id for event in claimed) == sorted([*(e.id for e in world.events), newest.id])
        finally:
            cursor.execute("SELECT pg_wal_replay_resume()")
    caught_up()
    assert inbox.unseen_count() == 3
    assert set(world.newsfeed.events(seen=True)) == {*world.events, newest}
