"""Who receives what: Medium.events, Medium.entity_events and Medium.events_targets.

The world of these tests is a small company. ``acme`` (an organisation) has two teams; alice
and bob are in the red team, carol in the blue team, dave in no team, and erin (red team) has
left: her entity is inactive. Every user is a sub entity of their team and of acme.
"""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from entity.models import Entity

from entity_event import routing
from entity_event.models import Event, EventActor, EventSeen, Medium, Subscription
from entity_event.tests import helpers
from entity_event.tests.models import FollowSubEntitiesMedium

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return SimpleNamespace(
        **vars(helpers.company()),
        outsider=helpers.entity("outsider"),
        product=helpers.source("new-product"),
        login=helpers.source("login"),
        email=helpers.medium("email"),
    )


def ids(events):
    return [event.id for event in events]


def targets_by_event(pairs):
    return {event.id: [target.display_name for target in targets] for event, targets in pairs}


# Group subscriptions to every event of a source.


def test_a_group_subscription_reaches_every_active_member_of_the_kind(company):
    helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="user")
    launch = helpers.event(company.product)

    assert ids(company.newsfeed.events()) == [launch.id]
    assert targets_by_event(company.newsfeed.events_targets()) == {
        launch.id: ["alice", "bob", "carol", "dave"]
    }
    for user in (company.alice, company.bob, company.carol, company.dave):
        assert ids(company.newsfeed.entity_events(user)) == [launch.id]
    assert ids(company.newsfeed.entity_events(company.erin)) == []
    assert ids(company.newsfeed.entity_events(company.red)) == []


def test_a_group_subscription_of_a_team_kind_reaches_the_teams_not_their_users(company):
    helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="team")
    launch = helpers.event(company.product)

    assert targets_by_event(company.newsfeed.events_targets()) == {launch.id: ["red", "blue"]}
    assert ids(company.newsfeed.entity_events(company.red)) == [launch.id]
    assert ids(company.newsfeed.entity_events(company.alice)) == []


def test_events_of_unsubscribed_sources_and_other_mediums_stay_out(company):
    helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="user")
    helpers.event(company.photo)
    helpers.event(company.product, context={"x": 1}).delete()

    assert ids(company.newsfeed.events()) == []
    assert ids(company.email.events()) == []
    assert company.newsfeed.events_targets() == []
    assert company.email.events_targets() == []


# Individual subscriptions.


def test_an_individual_subscription_reaches_the_entity_itself(company):
    helpers.subscribe(company.newsfeed, company.login, company.red)
    login = helpers.event(company.login, actors=[company.carol])

    assert ids(company.newsfeed.events()) == [login.id]
    assert ids(company.newsfeed.entity_events(company.red)) == [login.id]
    assert ids(company.newsfeed.entity_events(company.alice)) == []
    assert targets_by_event(company.newsfeed.events_targets()) == {login.id: ["red"]}


def test_an_individual_subscription_of_an_inactive_entity_still_reaches_it(company):
    helpers.subscribe(company.newsfeed, company.login, company.erin)
    login = helpers.event(company.login)

    assert ids(company.newsfeed.entity_events(company.erin)) == [login.id]
    assert targets_by_event(company.newsfeed.events_targets()) == {login.id: ["erin"]}


def test_an_individual_subscription_whose_entity_goes_while_routing_reads_reaches_nobody(
    company, monkeypatch
):
    helpers.subscribe(company.newsfeed, company.login, company.red)
    helpers.subscribe(company.newsfeed, company.login, company.erin)
    login = helpers.event(company.login)
    read_entities = routing._Routes._subscribed_entities

    def delete_red_then_read_entities(routes):
        # The subscriptions are read; the entities they name are not yet.
        Entity.all_objects.filter(id=company.red.id).delete(force=True)
        return read_entities(routes)

    monkeypatch.setattr(routing._Routes, "_subscribed_entities", delete_red_then_read_entities)

    assert targets_by_event(company.newsfeed.events_targets()) == {login.id: ["erin"]}


# Only-following subscriptions: an entity follows itself and its super entities.


@pytest.fixture
def photo_email(company):
    """Every user is mailed about photos in which somebody they follow is tagged."""
    helpers.subscribe(company.email, company.photo, company.acme, sub_kind="user", only_following=True)
    return company


@pytest.mark.parametrize(
    ("tagged", "mailed"),
    [
        (["alice"], ["alice"]),
        (["red"], ["alice", "bob"]),
        (["blue", "dave"], ["carol", "dave"]),
        (["acme"], ["alice", "bob", "carol", "dave"]),
        (["erin"], []),
        (["outsider"], []),
        ([], []),
    ],
)
def test_only_following_reaches_the_members_who_follow_an_actor(photo_email, tagged, mailed):
    company = photo_email
    photo = helpers.event(company.photo, actors=[getattr(company, name) for name in tagged])

    expected_events = [photo.id] if mailed else []
    assert targets_by_event(company.email.events_targets()) == ({photo.id: mailed} if mailed else {})
    assert ids(company.email.events()) == expected_events
    for name in ("alice", "bob", "carol", "dave", "erin"):
        received = company.email.entity_events(getattr(company, name))
        # A page tests the actors event by event, other reads all at once: the same answer.
        expected = [photo.id] if name in mailed else []
        assert ids(received) == ids(received[:10]) == ids(received[: routing._PAGE_END + 1]) == expected, name


def test_an_individual_only_following_subscription_needs_a_followed_actor(company):
    helpers.subscribe(company.email, company.login, company.dave, only_following=True)
    own_login = helpers.event(company.login, actors=[company.dave])
    company_wide = helpers.event(company.login, actors=[company.acme])
    someone_else = helpers.event(company.login, actors=[company.carol])

    assert ids(company.email.events()) == [company_wide.id, own_login.id]
    assert ids(company.email.entity_events(company.dave)) == [company_wide.id, own_login.id]
    assert targets_by_event(company.email.events_targets()) == {
        company_wide.id: ["dave"],
        own_login.id: ["dave"],
    }
    assert someone_else.id not in ids(company.email.events())


def test_an_event_with_several_matching_actors_is_returned_once(photo_email):
    company = photo_email
    helpers.subscribe(company.email, company.photo, company.red, sub_kind="user", only_following=True)
    group_photo = helpers.event(company.photo, actors=[company.alice, company.bob, company.red, company.acme])

    assert ids(company.email.events()) == [group_photo.id]
    assert company.email.events().count() == 1
    assert ids(company.email.entity_events(company.alice)) == [group_photo.id]
    assert company.email.entity_events(company.alice).count() == 1
    assert targets_by_event(company.email.events_targets()) == {
        group_photo.id: ["alice", "bob", "carol", "dave"]
    }


def test_a_subscription_to_all_events_and_an_only_following_one_combine(photo_email):
    company = photo_email
    helpers.subscribe(company.email, company.photo, company.red, sub_kind="user", only_following=False)
    photo = helpers.event(company.photo, actors=[company.carol])

    assert targets_by_event(company.email.events_targets()) == {photo.id: ["alice", "bob", "carol"]}
    assert ids(company.email.entity_events(company.bob)) == [photo.id]
    assert ids(company.email.entity_events(company.dave)) == []


# Unsubscriptions.


def test_an_unsubscribed_entity_loses_that_source_on_that_medium_only(company):
    helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="user")
    helpers.subscribe(company.email, company.product, company.acme, sub_kind="user")
    helpers.subscribe(company.newsfeed, company.login, company.acme, sub_kind="user")
    helpers.unsubscribe(company.newsfeed, company.product, company.bob)
    launch = helpers.event(company.product)
    login = helpers.event(company.login)

    assert ids(company.newsfeed.entity_events(company.bob)) == [login.id]
    assert ids(company.email.entity_events(company.bob)) == [launch.id]
    assert targets_by_event(company.newsfeed.events_targets()) == {
        login.id: ["alice", "bob", "carol", "dave"],
        launch.id: ["alice", "carol", "dave"],
    }
    assert ids(company.newsfeed.events()) == [login.id, launch.id]


def test_an_event_whose_targets_all_unsubscribed_has_no_targets(company):
    helpers.subscribe(company.newsfeed, company.login, company.red)
    helpers.unsubscribe(company.newsfeed, company.login, company.red)
    helpers.event(company.login)

    assert company.newsfeed.events_targets() == []
    assert ids(company.newsfeed.entity_events(company.red)) == []


# Filters shared by the three queries.


@pytest.fixture
def timeline(company):
    """Three product events a day apart, every user subscribed on the newsfeed."""
    helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="user")
    now = timezone.now()
    company.now = now
    company.old = helpers.event(company.product, actors=[company.alice], time=now - timedelta(days=2))
    company.middle = helpers.event(company.product, actors=[company.bob], time=now - timedelta(days=1))
    company.new = helpers.event(company.product, actors=[company.alice, company.bob], time=now)
    return company


def all_three_queries(medium, entity, **filters):
    """The event ids each of the three queries returns with ``filters``."""
    return (
        ids(medium.events(**filters)),
        ids(medium.entity_events(entity, **filters)),
        [event.id for event, _targets in medium.events_targets(**filters)],
    )


def assert_all_three(medium, entity, expected, **filters):
    assert all_three_queries(medium, entity, **filters) == ([event.id for event in expected],) * 3


def test_results_are_newest_first(timeline):
    assert_all_three(timeline.newsfeed, timeline.carol, [timeline.new, timeline.middle, timeline.old])


@pytest.mark.parametrize("use_tz", [True, False])
def test_start_and_end_times_are_inclusive(timeline, settings, use_tz):
    settings.USE_TZ = use_tz
    middle = Event.objects.get(id=timeline.middle.id)
    assert_all_three(
        timeline.newsfeed, timeline.carol, [timeline.new, timeline.middle], start_time=middle.time
    )
    assert_all_three(timeline.newsfeed, timeline.carol, [timeline.middle, timeline.old], end_time=middle.time)
    assert_all_three(
        timeline.newsfeed, timeline.carol, [timeline.middle], start_time=middle.time, end_time=middle.time
    )


def test_the_actor_filter_keeps_events_with_that_actor_once(timeline):
    assert_all_three(timeline.newsfeed, timeline.carol, [timeline.new, timeline.old], actor=timeline.alice)
    assert_all_three(timeline.newsfeed, timeline.carol, [], actor=timeline.dave)


def test_expired_events_are_left_out_unless_asked_for(timeline):
    Event.objects.filter(id=timeline.old.id).update(time_expires=timeline.now - timedelta(hours=1))
    assert_all_three(timeline.newsfeed, timeline.carol, [timeline.new, timeline.middle])
    assert_all_three(
        timeline.newsfeed,
        timeline.carol,
        [timeline.new, timeline.middle, timeline.old],
        include_expired=True,
    )


def test_seen_is_tracked_per_medium(timeline):
    helpers.subscribe(timeline.email, timeline.product, timeline.acme, sub_kind="user")
    Event.objects.filter(id=timeline.middle.id).mark_seen(timeline.newsfeed)

    assert_all_three(timeline.newsfeed, timeline.carol, [timeline.middle], seen=True)
    assert_all_three(timeline.newsfeed, timeline.carol, [timeline.new, timeline.old], seen=False)
    assert_all_three(timeline.email, timeline.carol, [], seen=True)
    assert_all_three(
        timeline.email, timeline.carol, [timeline.new, timeline.middle, timeline.old], seen=False
    )


@pytest.mark.parametrize("query", ["events", "entity_events", "events_targets"])
def test_mark_seen_returns_the_unseen_events_and_marks_them(timeline, query):
    Event.objects.filter(id=timeline.middle.id).mark_seen(timeline.newsfeed)
    arguments = [timeline.carol] if query == "entity_events" else []

    returned = getattr(timeline.newsfeed, query)(*arguments, seen=False, mark_seen=True)

    returned_ids = [item[0].id for item in returned] if query == "events_targets" else ids(returned)
    assert returned_ids == [timeline.new.id, timeline.old.id]
    assert EventSeen.objects.filter(medium=timeline.newsfeed).count() == 3
    assert list(getattr(timeline.newsfeed, query)(*arguments, seen=False)) == []


def test_mark_seen_without_the_seen_filter_marks_what_is_returned(timeline):
    returned = timeline.newsfeed.entity_events(timeline.carol, mark_seen=True, end_time=timeline.middle.time)
    assert ids(returned) == [timeline.middle.id, timeline.old.id]
    assert set(EventSeen.objects.values_list("event_id", flat=True)) == {timeline.middle.id, timeline.old.id}


def test_events_and_entity_events_are_chainable_querysets(timeline):
    feed = timeline.newsfeed.entity_events(timeline.carol)
    assert feed.count() == 3
    assert ids(feed.filter(id__in=[timeline.old.id, timeline.new.id])) == [timeline.new.id, timeline.old.id]
    assert ids(feed[1:2]) == [timeline.middle.id]
    assert timeline.newsfeed.events().exists()


def test_events_targets_can_keep_one_kind_of_target(company):
    helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="user")
    helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="team")
    helpers.subscribe(company.newsfeed, company.product, company.acme)
    launch = helpers.event(company.product)

    everyone = targets_by_event(company.newsfeed.events_targets())
    teams = targets_by_event(company.newsfeed.events_targets(entity_kind=helpers.kind("team")))
    organisations = targets_by_event(
        company.newsfeed.events_targets(entity_kind=helpers.kind("organization"))
    )

    assert everyone == {launch.id: ["acme", "red", "blue", "alice", "bob", "carol", "dave"]}
    assert teams == {launch.id: ["red", "blue"]}
    assert organisations == {launch.id: ["acme"]}


def test_each_target_appears_once_per_event(company):
    helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="user")
    helpers.subscribe(company.newsfeed, company.product, company.red, sub_kind="user")
    helpers.subscribe(company.newsfeed, company.product, company.alice, only_following=True)
    launch = helpers.event(company.product, actors=[company.alice])

    assert targets_by_event(company.newsfeed.events_targets()) == {
        launch.id: ["alice", "bob", "carol", "dave"]
    }


# Agreement between the three queries, on a mixed world.


def test_events_targets_agrees_with_entity_events_for_every_entity(photo_email):
    company = photo_email
    helpers.subscribe(company.email, company.product, company.acme, sub_kind="user")
    helpers.subscribe(company.email, company.login, company.red, sub_kind="user", only_following=True)
    helpers.subscribe(company.email, company.login, company.blue, only_following=True)
    helpers.unsubscribe(company.email, company.product, company.carol)
    helpers.unsubscribe(company.email, company.photo, company.alice)
    everybody = [
        company.acme,
        company.red,
        company.blue,
        company.alice,
        company.bob,
        company.carol,
        company.dave,
    ]
    for number, actors in enumerate(
        [[company.alice], [company.red], [company.blue, company.bob], [], [company.acme]]
    ):
        for source in (company.photo, company.product, company.login):
            helpers.event(source, actors=actors, context={"n": number})

    received = {entity.id: set() for entity in everybody}
    for event, targets in company.email.events_targets():
        for target in targets:
            received[target.id].add(event.id)

    # Both branches are exercised: most entities receive events, acme and red none.
    assert [entity.display_name for entity in everybody if not received[entity.id]] == ["acme", "red"]
    for entity in everybody:
        assert set(ids(company.email.entity_events(entity))) == received[entity.id], entity.display_name
    assert set(ids(company.email.events())) >= set().union(*received.values())


def test_targets_of_given_events_are_the_ids_events_targets_gives(photo_email):
    company = photo_email
    helpers.subscribe(company.email, company.product, company.acme, sub_kind="user")
    helpers.subscribe(company.email, company.login, company.blue, only_following=True)
    older = helpers.event(company.product)
    given = [helpers.event(source, actors=[company.blue]) for source in (company.product, company.login)]
    reaching_nobody = helpers.event(company.photo)
    events = Event.objects.filter(id__in=[event.id for event in [*given, reaching_nobody]])

    targets = routing.targets_of_events(company.email, events)

    expected = {
        event.id: {target.id for target in targets}
        for event, targets in company.email.events_targets()
        if event.id != older.id
    }
    assert targets == expected
    assert set(expected) == {event.id for event in given}
    assert routing.targets_of_events(helpers.medium("unsubscribed"), events) == {}


# Cost: a fixed number of queries whatever the sizes.


def grow_world(company, size):
    """Add ``size`` users in a new team, ``size // 3`` new sources, and subscriptions,
    unsubscriptions and events (with actors among the new users) of every kind."""
    team = helpers.entity(f"team-{size}", "team", supers=[company.acme])
    users = [helpers.entity(f"user-{size}-{n}", supers=[team, company.acme]) for n in range(size)]
    for user in users[: size // 2]:
        helpers.subscribe(company.newsfeed, company.login, user, only_following=True)
        helpers.unsubscribe(company.newsfeed, company.product, user)
    helpers.subscribe(company.newsfeed, company.photo, team, sub_kind="user", only_following=True)
    helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="user")
    sources = [company.photo, company.product, company.login]
    for number in range(size // 3):
        new_source = helpers.source(f"source-{size}-{number}")
        helpers.subscribe(company.newsfeed, new_source, company.acme, sub_kind="user", only_following=True)
        helpers.subscribe(company.newsfeed, new_source, team, sub_kind="user")
        sources.append(new_source)
    Event.objects.create_events(
        {"source": source, "actors": [users[n % size], team] if n % 3 else [users[n % size]], "context": {}}
        for n in range(size * 3)
        for source in sources
    )
    return users[0]


def count_statements(call):
    with CaptureQueriesContext(connection) as captured:
        result = call()
        if not isinstance(result, list):
            result = list(result)
    return len(helpers.statements(captured)), result


def read_sources(result) -> int:
    """The queries run to show each event's source and source group."""
    with CaptureQueriesContext(connection) as captured:
        for item in result:
            event = item[0] if isinstance(item, tuple) else item
            assert event.source.group.name
    return len(captured)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda medium, user: medium.events(), 2),
        (lambda medium, user: medium.entity_events(user), 2),
        (lambda medium, user: medium.events_targets(), 7),
        # seen=False reads the medium's watermark (one query), and each marking statement moves
        # it (six more: see entity_event.seen_watermark.advance).
        (lambda medium, user: medium.events_targets(seen=False), 8),
        (lambda medium, user: medium.events(seen=False, mark_seen=True), 10),
        (lambda medium, user: medium.entity_events(user, seen=False, mark_seen=True), 10),
        (lambda medium, user: medium.events_targets(seen=False, mark_seen=True), 22),
        (lambda medium, user: medium.get_filtered_events(seen=False, mark_seen=True), 10),
    ],
)
def test_the_number_of_queries_does_not_grow_with_the_world(company, query, expected):
    user = grow_world(company, 3)
    small, small_result = count_statements(lambda: query(company.newsfeed, user))
    user = grow_world(company, 12)
    large, large_result = count_statements(lambda: query(company.newsfeed, user))

    assert large_result and len(large_result) > len(small_result)
    assert small == large == expected
    assert read_sources(small_result) == read_sources(large_result) == 0


def actor_rows_read(events) -> int:
    """The rows of the events' actors that PostgreSQL reads to answer ``events``, counted in its
    plan as run (``EXPLAIN ANALYZE``), planned as for a long history: with statistics of the
    tables, and by the time index rather than by reading and sorting the few events of a test."""
    sql, params = events.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Event._meta.db_table}, {EventActor._meta.db_table}")
        cursor.execute("SET LOCAL enable_seqscan = off")  # local to the test's transaction
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        ((plan,),) = cursor.fetchall()

    def read(node) -> int:
        rows = 0
        if node.get("Relation Name") == EventActor._meta.db_table:
            loops = node["Actual Loops"]
            rows = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * loops
        return rows + sum(read(child) for child in node.get("Plans", []))

    return read(plan[0]["Plan"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plans read are PostgreSQL's")
@pytest.mark.parametrize("page", ["newest", "keyset"])
def test_a_feed_page_reads_the_actors_of_the_events_it_walks_not_the_whole_history(photo_email, page):
    company = photo_email
    mailed = company.email.entity_events(company.alice)

    def page_read_after(old_photos: int) -> int:
        """Store ``old_photos`` photos of alice, then four newer ones; read a page of three."""
        for _ in range(old_photos):
            helpers.event(company.photo, actors=[company.alice])
        newer = [helpers.event(company.photo, actors=[company.alice, company.red]) for _ in range(4)]
        if page == "newest":
            events, expected = mailed[:3], newer[:0:-1]
        else:
            events, expected = routing.older_than(mailed, newer[-1].time, newer[-1].id)[:3], newer[-2::-1]
        assert ids(events) == [event.id for event in expected]
        return actor_rows_read(events)

    # alice follows an actor of every old photo: hashing all their actor rows first would read
    # more at the second size.
    assert page_read_after(5) == page_read_after(50) > 0


# Overridden follow rules: a medium where entities follow their sub entities.


@pytest.fixture
def team_alerts(company):
    """A medium whose only-following subscriptions reach whoever follows an actor's members."""
    alerts = helpers.medium("alerts", medium_class=FollowSubEntitiesMedium)
    helpers.subscribe(alerts, company.photo, company.acme, sub_kind="team", only_following=True)
    return alerts


@pytest.mark.parametrize(
    ("tagged", "alerted"),
    [
        (["alice"], ["red"]),
        (["carol", "dave"], ["blue"]),
        (["red"], ["red"]),
        (["acme"], []),
        (["dave"], []),
    ],
)
def test_overridden_follow_rules_change_all_three_queries(company, team_alerts, tagged, alerted):
    photo = helpers.event(company.photo, actors=[getattr(company, name) for name in tagged])

    assert targets_by_event(team_alerts.events_targets()) == ({photo.id: alerted} if alerted else {})
    assert ids(team_alerts.events()) == ([photo.id] if alerted else [])
    for team in ("red", "blue"):
        expected = [photo.id] if team in alerted else []
        assert ids(team_alerts.entity_events(getattr(company, team))) == expected


def test_overridden_follow_rules_keep_entity_events_to_one_query(company, team_alerts):
    helpers.event(company.photo, actors=[company.alice])
    helpers.event(company.photo, actors=[company.carol])
    queries, feed = count_statements(lambda: team_alerts.entity_events(company.red))
    assert queries == 2 and len(feed) == 1


def test_overridden_follow_rules_cost_one_query_per_distinct_actor_in_events_targets(company, team_alerts):
    helpers.event(company.photo, actors=[company.alice])
    helpers.event(company.photo, actors=[company.carol, company.alice])
    queries, pairs = count_statements(team_alerts.events_targets)
    assert targets_by_event(pairs) and queries == 7 - 1 + 2


def test_default_follow_rules(company):
    medium = company.newsfeed
    assert set(medium.followed_by(company.alice)) == {company.alice, company.red, company.acme}
    assert set(medium.followers_of(company.red)) == {company.red, company.alice, company.bob, company.erin}
    teams = Entity.all_objects.filter(id__in=[company.red.id, company.blue.id])
    assert set(medium.followers_of(teams)) == {
        company.red,
        company.blue,
        company.alice,
        company.bob,
        company.carol,
        company.erin,
    }
    assert set(medium.followed_by([company.carol.id, company.dave])) == {
        company.carol,
        company.blue,
        company.dave,
        company.acme,
    }


# The methods kept from django-entity-event 3.x.


def test_subscribed_entities_of_group_and_individual_subscriptions(company):
    group = helpers.subscribe(company.newsfeed, company.product, company.red, sub_kind="user")
    individual = helpers.subscribe(company.newsfeed, company.product, company.erin)

    assert set(group.subscribed_entities()) == {company.alice, company.bob}
    assert list(individual.subscribed_entities()) == [company.erin]


def test_subset_subscriptions_keeps_those_reaching_the_entity(company):
    group = helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="user")
    helpers.subscribe(company.newsfeed, company.product, company.acme, sub_kind="team")
    own = helpers.subscribe(company.newsfeed, company.login, company.alice)
    helpers.subscribe(company.newsfeed, company.login, company.bob)
    everything = Subscription.objects.all()

    assert set(company.newsfeed.subset_subscriptions(everything, company.alice)) == {group, own}
    assert company.newsfeed.subset_subscriptions(everything) is everything


def test_unsubscriptions_by_source_and_filtering_targets(company):
    helpers.unsubscribe(company.newsfeed, company.product, company.bob)
    helpers.unsubscribe(company.newsfeed, company.product, company.carol)
    helpers.unsubscribe(company.email, company.product, company.alice)

    unsubscribed = company.newsfeed.unsubscriptions
    assert {source: sorted(entities) for source, entities in unsubscribed.items()} == {
        company.product.id: sorted([company.bob.id, company.carol.id])
    }
    users = [company.alice, company.bob, company.carol]
    assert company.newsfeed.filter_source_targets_by_unsubscription(company.product.id, users) == [
        company.alice
    ]
    assert company.newsfeed.filter_source_targets_by_unsubscription(company.login.id, users) == users
    assert company.newsfeed.unsubscriptions[company.login.id] == []


def test_get_filtered_events_applies_the_filters_without_subscriptions(timeline):
    newsfeed = timeline.newsfeed
    Event.objects.filter(id=timeline.old.id).mark_seen(newsfeed)

    assert ids(newsfeed.get_filtered_events(actor=timeline.bob).order_by("-time")) == [
        timeline.new.id,
        timeline.middle.id,
    ]
    marked = newsfeed.get_filtered_events(seen=False, mark_seen=True)
    assert set(ids(marked)) == {timeline.new.id, timeline.middle.id}
    assert not newsfeed.get_filtered_events(seen=False).exists()
    queryset = newsfeed.get_filtered_events_queryset(
        start_time=timeline.middle.time,
        end_time=None,
        seen=True,
        include_expired=False,
        actor=None,
        queryset=Event.objects.filter(source=timeline.product),
    )
    assert set(ids(queryset)) == {timeline.new.id, timeline.middle.id}


def test_a_medium_without_subscriptions_routes_nothing(company):
    helpers.event(company.product)
    quiet = Medium.objects.create(name="quiet", display_name="Quiet", description="")
    queries, pairs = count_statements(quiet.events_targets)
    assert pairs == [] and queries == 1


# mark_seen=True: what it marks, and what it hands out.


def call(medium, query: str, entity, **arguments):
    """The event ids that ``query`` (a method of ``medium``) returns."""
    if query == "entity_events":
        return ids(medium.entity_events(entity, **arguments))
    if query in ("events_targets", "iter_events_targets"):
        return [event.id for event, _targets in getattr(medium, query)(**arguments)]
    return ids(getattr(medium, query)(**arguments))


ALL_QUERIES = ["events", "entity_events", "events_targets", "iter_events_targets", "get_filtered_events"]


@pytest.fixture
def mixed(company):
    """On the newsfeed, alice gets product events, and users get logins of people they follow.
    ``routed`` reaches alice; ``unfollowed`` (a login by an outsider) and ``unrouted`` (a photo,
    a source nobody subscribes to here) reach nobody; ``expired`` has expired."""
    helpers.subscribe(company.newsfeed, company.product, company.alice)
    helpers.subscribe(company.newsfeed, company.login, company.acme, sub_kind="user", only_following=True)
    company.routed = helpers.event(company.product)
    company.unfollowed = helpers.event(company.login, actors=[company.outsider])
    company.unrouted = helpers.event(company.photo)
    company.expired = helpers.event(company.photo, time_expires=timezone.now() - timedelta(days=1))
    return company


def seen_ids(medium) -> set[int]:
    return set(EventSeen.objects.filter(medium=medium).values_list("event_id", flat=True))


@pytest.mark.parametrize("query", ALL_QUERIES)
def test_mark_seen_marks_every_event_passing_the_filters_routed_or_not(mixed, query):
    returned = call(mixed.newsfeed, query, mixed.alice, seen=False, mark_seen=True)

    passing = {mixed.routed.id, mixed.unfollowed.id, mixed.unrouted.id}
    assert set(returned) == (passing if query == "get_filtered_events" else {mixed.routed.id})
    assert seen_ids(mixed.newsfeed) == passing
    assert call(mixed.newsfeed, query, mixed.alice, seen=False) == []


@pytest.mark.parametrize("query", ALL_QUERIES)
def test_mark_seen_marks_only_what_passes_the_actor_and_time_filters(mixed, query):
    call(mixed.newsfeed, query, mixed.alice, seen=False, mark_seen=True, actor=mixed.outsider)
    assert seen_ids(mixed.newsfeed) == {mixed.unfollowed.id}

    call(mixed.newsfeed, query, mixed.alice, mark_seen=True, end_time=mixed.routed.time)
    assert seen_ids(mixed.newsfeed) == {mixed.unfollowed.id, mixed.routed.id}


@pytest.mark.parametrize("query", ALL_QUERIES)
def test_seen_false_with_mark_seen_hands_out_only_what_the_call_marked(mixed, query):
    # Marked by another caller between this call's reading and its marking: the claim skips it.
    Event.objects.filter(id=mixed.routed.id).mark_seen(mixed.newsfeed)
    assert call(mixed.newsfeed, query, mixed.alice, seen=False, mark_seen=True) == (
        [mixed.unrouted.id, mixed.unfollowed.id] if query == "get_filtered_events" else []
    )


@pytest.mark.parametrize("query", ALL_QUERIES)
def test_mark_seen_of_more_events_than_a_sqlite_statement_takes(company, query, sqlite_at_999_parameters):
    helpers.subscribe(company.newsfeed, company.product, company.alice)
    Event.objects.create_events({"source": company.product, "context": {}} for _ in range(1200))

    returned = call(company.newsfeed, query, company.alice, seen=False, mark_seen=True)

    assert len(returned) == 1200
    assert len(seen_ids(company.newsfeed)) == 1200


# Flags are booleans: anything else fails before any query.


@pytest.mark.parametrize("query", ALL_QUERIES)
@pytest.mark.parametrize(
    ("name", "value"),
    [("seen", "false"), ("seen", 0), ("include_expired", "no"), ("include_expired", None), ("mark_seen", 1)],
)
def test_a_flag_that_is_not_a_boolean_is_a_type_error_naming_it(mixed, query, name, value):
    with pytest.raises(TypeError, match=rf"^{name} must be True.* not {re.escape(repr(value))}\.$"):
        call(mixed.newsfeed, query, mixed.alice, **{name: value})
    assert not EventSeen.objects.exists()


def test_flags_of_the_filtered_events_queryset_are_checked_too(company):
    with pytest.raises(TypeError, match="^seen must be True, False or None, not 'no'"):
        company.newsfeed.get_filtered_events_queryset(None, None, "no", False, None)
    with pytest.raises(TypeError, match="^include_expired must be True or False, not None"):
        company.newsfeed.get_filtered_events_queryset(None, None, None, None, None)
