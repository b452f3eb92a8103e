"""Routing under concurrent use: real threads, each on its own connection to PostgreSQL.

The world: an organisation ``hq`` with two teams of three users. On the email medium every user
gets the ``news`` source (the first user by a subscription of their own too), and team members
get ``mentions`` when they follow an actor; some events come from ``chatter``, a source nobody
subscribes to on email.
"""

import time
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import connection
from entity.models import Entity

from entity_event import routing
from entity_event.models import Event, EventSeen, Source, Subscription
from entity_event.tests import helpers

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent connections need a server database (PostgreSQL)"
    ),
    pytest.mark.django_db(transaction=True),
]


def build_world(events: int) -> SimpleNamespace:
    hq = helpers.entity("hq", "organization")
    teams = [helpers.entity(f"team{t}", "team", supers=[hq]) for t in range(2)]
    users = [
        helpers.entity(f"user{t}-{u}", supers=[team, hq]) for t, team in enumerate(teams) for u in range(3)
    ]
    news, mentions, chatter = helpers.source("news"), helpers.source("mentions"), helpers.source("chatter")
    email = helpers.medium("email")
    news_subscription = helpers.subscribe(email, news, hq, sub_kind="user")
    helpers.subscribe(email, news, users[0])  # also subscribed on their own
    for team in teams:
        helpers.subscribe(email, mentions, team, sub_kind="user", only_following=True)
    sources = [news, mentions, chatter]
    Event.objects.create_events(
        {"source": sources[n % 3], "actors": [users[n % len(users)]], "context": {"n": n}}
        for n in range(events)
    )
    return SimpleNamespace(
        email=email, users=users, news=news, chatter=chatter, news_subscription=news_subscription
    )


def in_another_thread(work) -> None:
    """Run ``work`` on a connection of its own, committed at once, and wait for it."""
    helpers.run_together(work)


def routed_ids(medium) -> set[int]:
    return {event.id for event, _targets in medium.events_targets()}


# Deletions while events_targets and iter_events_targets run.


def deletion(world, deleted: str):
    """The deletion of the first user, the news subscription or the news source."""
    return {
        "entity": lambda: Entity.all_objects.filter(id=world.users[0].id).delete(force=True),
        "subscription": lambda: Subscription.objects.filter(id=world.news_subscription.id).delete(),
        "source": lambda: Source.objects.filter(id=world.news.id).delete(),
    }[deleted]


@pytest.mark.parametrize("deleted", ["entity", "subscription", "source"])
def test_events_targets_survives_a_deletion_between_its_queries(monkeypatch, deleted):
    world = build_world(events=12)
    read_entities = routing._Routes._subscribed_entities
    injected = []

    def delete_then_read_entities(routes):
        # The subscriptions are read; the entities they name, and the events, are not yet.
        in_another_thread(deletion(world, deleted))
        injected.append(deleted)
        return read_entities(routes)

    monkeypatch.setattr(routing._Routes, "_subscribed_entities", delete_then_read_entities)

    pairs = world.email.events_targets()

    assert injected == [deleted]
    targets = {target.id for _event, event_targets in pairs for target in event_targets}
    news_targets = {
        tuple(t.id for t in event_targets) for e, event_targets in pairs if e.source_id == world.news.id
    }
    outcome = {
        "entity": world.users[0].id not in targets,
        # The news events reach only the first user, through the subscription of their own.
        "subscription": news_targets == {(world.users[0].id,)},
        "source": all(event.source_id != world.news.id for event, _targets in pairs),
    }
    assert pairs and outcome[deleted]


@pytest.mark.parametrize("deleted", ["entity", "subscription", "source"])
def test_a_stream_survives_a_deletion_between_chunks_and_hands_out_no_deleted_event(deleted):
    world = build_world(events=12)
    stream = world.email.iter_events_targets(chunk_size=1, seen=False, mark_seen=True)
    first = next(stream)

    in_another_thread(deletion(world, deleted))
    rest = list(stream)

    existing = set(Event.objects.values_list("id", flat=True))
    assert rest and {event.id for event, _targets in rest} <= existing
    assert first[0].id not in {event.id for event, _targets in rest}


# mark_seen: no deadlock, and each event to exactly one caller.


def test_a_feed_marking_its_page_and_a_mailer_claiming_never_deadlock():
    world = build_world(events=3000)

    def feed(user, delay):
        def mark_page():
            # Staggered, so that some feed marks while a mailer is inserting its marks.
            time.sleep(delay)
            return world.email.entity_events(user, seen=False).mark_seen(world.email)

        return mark_page

    def mailer():
        return len(world.email.events_targets(seen=False, mark_seen=True))

    for round_number in range(12):
        EventSeen.objects.all().delete()
        delays = [(round_number * 3 + number) * 0.005 for number in range(3)]
        helpers.run_together(*map(feed, world.users[:3], delays), mailer, mailer, mailer)

    assert EventSeen.objects.count() == 3000


def test_concurrent_mark_seen_calls_hand_each_event_to_exactly_one_caller():
    world = build_world(events=300)
    routed = routed_ids(world.email)

    def events_targets():
        return [event.id for event, _targets in world.email.events_targets(seen=False, mark_seen=True)]

    def stream():
        pairs = world.email.iter_events_targets(chunk_size=25, seen=False, mark_seen=True)
        return [event.id for event, _targets in pairs]

    def events():
        return [event.id for event in world.email.events(seen=False, mark_seen=True)]

    for _round in range(5):
        EventSeen.objects.all().delete()
        handed = helpers.run_together(events_targets, events_targets, stream, stream, events, events)

        counts = Counter(event_id for ids in handed for event_id in ids)
        assert max(counts.values()) == 1
        assert set(counts) == routed
        assert EventSeen.objects.count() == 300
