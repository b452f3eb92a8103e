"""Medium.iter_events_targets: the pairs of events_targets, read a chunk of events at a time.

The world: an organisation ``hq`` with ``teams`` teams of ``per_team`` users each. On the
newsfeed, every user of hq gets the ``news`` source, team members get ``mentions`` only when
they follow an actor, the first user also subscribes to ``mentions`` on their own, and the
second user opted out of ``news``. Events alternate between the two sources; a mention names
two users, or (for numbers divisible by three) a whole team.
"""

from itertools import islice
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from entity_event.models import Event, EventSeen, Source
from entity_event.tests import helpers
from entity_event.tests.models import FollowSubEntitiesMedium

pytestmark = pytest.mark.django_db


def build_world(
    teams: int, per_team: int, events: int, sources: int = 1, prefix: str = ""
) -> SimpleNamespace:
    """The world above; with ``sources`` above one, as many pairs of news and mentions sources.
    ``prefix`` names a second world's sources and medium apart from the first one's."""
    hq = helpers.entity("hq", "organization")
    newsfeed = helpers.medium(f"{prefix}newsfeed")
    team_entities = [helpers.entity(f"team{t}", "team", supers=[hq]) for t in range(teams)]
    users = [
        helpers.entity(f"user{t}-{u}", supers=[team, hq])
        for t, team in enumerate(team_entities)
        for u in range(per_team)
    ]
    suffixes = [""] + [f"-{number}" for number in range(1, sources)]
    news_sources = [helpers.source(f"{prefix}news{suffix}") for suffix in suffixes]
    mention_sources = [helpers.source(f"{prefix}mentions{suffix}") for suffix in suffixes]
    for news, mentions in zip(news_sources, mention_sources, strict=True):
        helpers.subscribe(newsfeed, news, hq, sub_kind="user")
        for team in team_entities:
            helpers.subscribe(newsfeed, mentions, team, sub_kind="user", only_following=True)
        helpers.subscribe(newsfeed, mentions, users[0])
        helpers.unsubscribe(newsfeed, news, users[1])
    for number in range(events):
        news, mentions = news_sources[number % sources], mention_sources[number % sources]
        if number % 2 == 0:
            helpers.event(news, actors=[users[number % len(users)]])
        elif number % 3 == 0:
            helpers.event(mentions, actors=[team_entities[number // 3 % teams]])
        else:
            helpers.event(mentions, actors=[users[number % len(users)], users[(number + 1) % len(users)]])
    return SimpleNamespace(newsfeed=newsfeed, users=users)


def as_ids(pairs) -> list[tuple[int, list[int]]]:
    return [(event.id, [target.id for target in targets]) for event, targets in pairs]


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 1000, None])
def test_the_stream_yields_the_pairs_of_events_targets_in_the_same_order(chunk_size):
    world = build_world(teams=3, per_team=3, events=14)
    expected = as_ids(world.newsfeed.events_targets())
    assert len(expected) == 14 and len({len(targets) for _event, targets in expected}) > 2

    assert as_ids(world.newsfeed.iter_events_targets(chunk_size=chunk_size)) == expected


def test_filters_and_the_entity_kind_are_passed_on():
    world = build_world(teams=2, per_team=2, events=6)
    helpers.subscribe(world.newsfeed, helpers.source("alerts"), helpers.entity("ops", "team"))
    first, *_rest = world.newsfeed.events_targets()

    only_teams = world.newsfeed.iter_events_targets(entity_kind=helpers.kind("team"), chunk_size=2)
    assert list(only_teams) == []
    unseen = world.newsfeed.iter_events_targets(chunk_size=2, seen=False, end_time=first[0].time)
    assert as_ids(unseen) == as_ids(world.newsfeed.events_targets(seen=False, end_time=first[0].time))


def test_a_medium_without_subscriptions_streams_nothing():
    assert list(helpers.medium("silent").iter_events_targets()) == []


def count_queries(stream) -> tuple[int, int]:
    """(statements run, pairs yielded) while consuming ``stream``."""
    with CaptureQueriesContext(connection) as captured:
        pairs = sum(1 for _pair in stream)
    return len(helpers.statements(captured)), pairs


def test_queries_grow_with_the_number_of_chunks_only():
    # Up front: subscriptions, the entities they name, unsubscriptions and the sources; then per
    # chunk its page of events, its actors and the followers of its actors (each world's actors
    # are new in every chunk).
    small = build_world(teams=2, per_team=6, events=6)
    small_queries, small_pairs = count_queries(small.newsfeed.iter_events_targets(chunk_size=3))
    large = build_world(teams=6, per_team=11, events=60, sources=4, prefix="large-")
    large_queries, large_pairs = count_queries(large.newsfeed.iter_events_targets(chunk_size=12))

    assert (small_pairs, large_pairs) == (6, 60)
    assert small_queries == 4 + 3 * 2
    assert large_queries == 4 + 3 * 5


def test_chunks_are_read_without_a_server_side_cursor_that_a_transaction_pooler_would_drop():
    world = build_world(teams=2, per_team=3, events=7)
    expected = as_ids(world.newsfeed.events_targets())

    with helpers.no_server_side_cursor():
        assert as_ids(world.newsfeed.iter_events_targets(chunk_size=2)) == expected


def test_mark_seen_marks_every_streamed_event_once_consumed():
    world = build_world(teams=2, per_team=2, events=7)

    streamed = as_ids(world.newsfeed.iter_events_targets(chunk_size=3, seen=False, mark_seen=True))

    seen = set(EventSeen.objects.filter(medium=world.newsfeed).values_list("event_id", flat=True))
    assert seen == {event_id for event_id, _targets in streamed} and len(seen) == 7
    assert list(world.newsfeed.iter_events_targets(seen=False)) == []


def seen_ids(medium) -> set[int]:
    return set(EventSeen.objects.filter(medium=medium).values_list("event_id", flat=True))


def test_mark_seen_claims_a_chunk_before_handing_it_out():
    world = build_world(teams=2, per_team=2, events=7)
    stream = world.newsfeed.iter_events_targets(chunk_size=3, seen=False, mark_seen=True)

    taken = as_ids(islice(stream, 4))

    assert seen_ids(world.newsfeed) >= {event_id for event_id, _targets in taken}
    assert len(seen_ids(world.newsfeed)) == 6
    stream.close()


def test_a_stream_closed_in_the_middle_of_a_chunk_gives_back_what_it_did_not_hand_out():
    world = build_world(teams=2, per_team=2, events=7)
    stream = world.newsfeed.iter_events_targets(chunk_size=3, seen=False, mark_seen=True)
    taken = as_ids(islice(stream, 4))

    stream.close()

    assert seen_ids(world.newsfeed) == {event_id for event_id, _targets in taken}
    left = as_ids(world.newsfeed.iter_events_targets(seen=False))
    assert [event_id for event_id, _targets in left] == [
        event_id for event_id, _targets in as_ids(world.newsfeed.events_targets())
    ][4:]


def test_closing_the_stream_keeps_marks_it_did_not_make():
    world = build_world(teams=2, per_team=2, events=4)
    newest, *_others = world.newsfeed.events_targets()
    helpers.Event.objects.filter(id=newest[0].id).mark_seen(world.newsfeed)
    stream = world.newsfeed.iter_events_targets(chunk_size=4, mark_seen=True)

    assert next(stream)[0] == newest[0]
    stream.close()

    assert seen_ids(world.newsfeed) == {newest[0].id}


@pytest.mark.django_db(transaction=True)
def test_an_event_deleted_while_its_chunk_is_handed_out_does_not_stop_the_marking():
    world = build_world(teams=1, per_team=2, events=4)
    stream = world.newsfeed.iter_events_targets(chunk_size=4, seen=False, mark_seen=True)
    (deleted, _targets), *others = islice(stream, 4)

    deleted.delete()
    assert list(stream) == []

    seen = set(EventSeen.objects.filter(medium=world.newsfeed).values_list("event_id", flat=True))
    assert seen == {event.id for event, _targets in others} and len(seen) == 3


def test_overridden_follow_rules_ask_for_each_actor_once_across_chunks():
    hq = helpers.entity("hq", "organization")
    red, blue = (helpers.entity(name, "team", supers=[hq]) for name in ("red", "blue"))
    alice, bob = (helpers.entity(name, supers=[red, hq]) for name in ("alice", "bob"))
    carol = helpers.entity("carol", supers=[blue, hq])
    photo, alerts = (
        helpers.source("photo-tag"),
        helpers.medium("alerts", medium_class=FollowSubEntitiesMedium),
    )
    helpers.subscribe(alerts, photo, hq, sub_kind="team", only_following=True)
    for actors in ([alice], [carol], [alice, bob], [carol], [bob], [alice]):
        helpers.event(photo, actors=actors)
    expected = as_ids(alerts.events_targets())
    assert {tuple(targets) for _event, targets in expected} == {(red.id,), (blue.id,)}

    queries, pairs = count_queries(alerts.iter_events_targets(chunk_size=2))

    assert pairs == 6
    assert as_ids(alerts.iter_events_targets(chunk_size=2)) == expected
    # Up front 4 (subscriptions, the entities they name, unsubscriptions, sources); per chunk of
    # two events its page and its actors (3 chunks); then one followers_of query per distinct
    # actor (alice, bob, carol), whichever chunk meets it first.
    assert queries == 4 + 2 * 3 + 3


@pytest.mark.parametrize("chunk_size", [0, -5])
def test_a_chunk_size_below_one_is_refused(chunk_size):
    with pytest.raises(ValueError, match="chunk_size must be a positive number"):
        next(helpers.medium("newsfeed").iter_events_targets(chunk_size=chunk_size))


def test_a_chunk_may_hold_more_events_than_a_sqlite_statement_takes_parameters(sqlite_at_999_parameters):
    world = build_world(teams=1, per_team=2, events=0)
    mentions = Source.objects.get(name="mentions")
    Event.objects.create_events(
        {"source": mentions, "actors": [world.users[0]], "context": {}} for _number in range(1200)
    )

    pairs = as_ids(world.newsfeed.iter_events_targets(chunk_size=1500))

    assert len(pairs) == 1200
    assert {tuple(targets) for _event, targets in pairs} == {(world.users[0].id,)}
