"""Medium.explain: why an entity receives an event on a medium, or why not.

The world is the small company of the routing tests: ``acme`` has a red team (alice, bob, and
erin, who left: her entity is inactive) and a blue team (carol); dave is in no team. Every user
is a sub entity of their team and of acme.
"""

import random
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from entity.models import Entity, EntityRelationship

from entity_event.explain import Explanation, Reach, reach_counts, reached_entities, recipients
from entity_event.models import Event, EventActor, Medium, Subscription, Unsubscription
from entity_event.tests import helpers
from entity_event.tests.models import FollowSubEntitiesMedium

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return helpers.company()


def membership(sub: Entity, group: Entity) -> EntityRelationship:
    return EntityRelationship.objects.get(sub_entity=sub, super_entity=group)


# What reaches the entity, and how.


def test_a_subscription_of_the_entity_itself(company):
    own = helpers.subscribe(company.newsfeed, company.photo, company.alice)
    photo = helpers.event(company.photo)

    explanation = company.newsfeed.explain(photo, company.alice)

    assert explanation == Explanation(
        receives=True,
        subscriptions=(Reach(own, company.alice),),
        unsubscriptions=(),
        reasons=("You are subscribed to Photo-Tag on Newsfeed.",),
    )
    assert explanation.subscriptions[0].actor_is is None


def test_a_group_subscription_names_the_group_and_the_membership(company):
    group = helpers.subscribe(company.newsfeed, company.photo, company.acme, sub_kind="user")
    photo = helpers.event(company.photo)

    explanation = company.newsfeed.explain(photo, company.bob)

    assert explanation.receives
    assert explanation.subscriptions == (Reach(group, company.bob, membership(company.bob, company.acme)),)
    assert explanation.reasons == (
        "You are subscribed to Photo-Tag on Newsfeed as a member of acme, which subscribes its members"
        " of kind User.",
    )


def test_a_group_subscription_does_not_reach_an_inactive_member_nor_another_kind(company):
    helpers.subscribe(company.newsfeed, company.photo, company.acme, sub_kind="user")
    photo = helpers.event(company.photo)

    for outside in (company.erin, company.red):
        explanation = company.newsfeed.explain(photo, outside)
        assert not explanation.receives and explanation.subscriptions == ()
        assert explanation.reasons == ("No subscription on Newsfeed sends you this event of Photo-Tag.",)


def test_every_reaching_subscription_is_listed_by_id(company):
    team = helpers.subscribe(company.newsfeed, company.photo, company.red, sub_kind="user")
    own = helpers.subscribe(company.newsfeed, company.photo, company.alice)
    helpers.subscribe(company.newsfeed, company.photo, company.blue, sub_kind="user")
    photo = helpers.event(company.photo)

    reaching = company.newsfeed.explain(photo, company.alice).subscriptions

    assert [reach.subscription for reach in reaching] == [team, own]
    assert [reach.membership for reach in reaching] == [membership(company.alice, company.red), None]


# Only-following subscriptions: the actor followed, and how.


@pytest.fixture
def photo_email(company):
    """Every user gets the photos in which somebody they follow is tagged."""
    company.email = helpers.medium("email")
    company.tagged = helpers.subscribe(
        company.email, company.photo, company.acme, sub_kind="user", only_following=True
    )
    return company


def test_an_actor_that_is_the_entity_itself(photo_email):
    company = photo_email
    photo = helpers.event(company.photo, actors=[company.red, company.alice])

    (reach,) = company.email.explain(photo, company.alice).subscriptions

    assert (reach.actor, reach.follow_relationship, reach.actor_is) == (company.alice, None, "self")
    assert company.email.explain(photo, company.alice).reasons[1] == (
        "This subscription sends only the events of those you follow, and you are an actor of this one."
    )


def test_an_actor_that_is_a_group_of_the_entity(photo_email):
    company = photo_email
    photo = helpers.event(company.photo, actors=[company.red, company.carol])

    explanation = company.email.explain(photo, company.bob)

    (reach,) = explanation.subscriptions
    assert (reach.actor, reach.follow_relationship) == (company.red, membership(company.bob, company.red))
    assert reach.actor_is == "super_entity"
    assert explanation.reasons[1] == (
        "This subscription sends only the events of those you follow: you follow red, an actor of this"
        " one, as its member."
    )


def test_no_followed_actor_means_the_subscription_does_not_reach(photo_email):
    company = photo_email
    photo = helpers.event(company.photo, actors=[company.carol])

    explanation = company.email.explain(photo, company.bob)

    assert explanation == Explanation(
        receives=False,
        subscriptions=(),
        unsubscriptions=(),
        reasons=("No subscription on Email sends you this event of Photo-Tag.",),
    )


def test_a_medium_with_its_own_follow_rules_explains_with_them(company):
    alerts = helpers.medium("alerts", medium_class=FollowSubEntitiesMedium)
    helpers.subscribe(alerts, company.photo, company.acme, sub_kind="team", only_following=True)
    photo = helpers.event(company.photo, actors=[company.alice, company.acme])

    red = alerts.explain(photo, company.red)
    blue = alerts.explain(photo, company.blue)

    (reach,) = red.subscriptions
    assert (reach.actor, reach.actor_is) == (company.alice, "sub_entity")
    assert reach.follow_relationship == membership(company.alice, company.red)
    assert red.reasons[1].endswith("you follow alice, an actor of this one and one of your members.")
    assert not blue.receives


def test_an_actor_followed_by_other_rules_than_relationships(company, monkeypatch):
    alerts = helpers.medium("alerts", medium_class=FollowSubEntitiesMedium)
    helpers.subscribe(alerts, company.photo, company.dave, only_following=True)
    photo = helpers.event(company.photo, actors=[company.carol])
    monkeypatch.setattr(
        FollowSubEntitiesMedium, "followed_by", lambda medium, entities: Entity.all_objects.all()
    )

    explanation = alerts.explain(photo, company.dave)

    (reach,) = explanation.subscriptions
    assert (reach.actor, reach.follow_relationship, reach.actor_is) == (company.carol, None, None)
    assert explanation.reasons[1].endswith("you follow carol, an actor of this one.")
    assert photo in alerts.entity_events(company.dave)


# Unsubscriptions.


def test_an_unsubscription_stops_every_subscription(company):
    group = helpers.subscribe(company.newsfeed, company.photo, company.acme, sub_kind="user")
    own = helpers.subscribe(company.newsfeed, company.photo, company.carol)
    stop = helpers.unsubscribe(company.newsfeed, company.photo, company.carol)
    helpers.unsubscribe(helpers.medium("email"), company.photo, company.carol)
    photo = helpers.event(company.photo)

    explanation = company.newsfeed.explain(photo, company.carol)

    assert not explanation.receives
    assert [reach.subscription for reach in explanation.subscriptions] == [group, own]
    assert explanation.unsubscriptions == (stop,)
    assert (
        explanation.reasons[-1] == "You unsubscribed from Photo-Tag on Newsfeed: you receive none of it here."
    )


def test_an_unsubscription_without_subscription_is_listed_too(company):
    stop = helpers.unsubscribe(company.newsfeed, company.photo, company.dave)
    photo = helpers.event(company.photo)

    explanation = company.newsfeed.explain(photo, company.dave)

    assert (explanation.receives, explanation.unsubscriptions) == (False, (stop,))
    assert explanation.reasons == ("No subscription on Newsfeed sends you this event of Photo-Tag.",)


@pytest.mark.parametrize(
    ("event", "entity"), [("photo", None), ("photo", "1"), (None, "alice"), (7, "alice")]
)
def test_explain_needs_an_event_and_an_entity(company, event, entity):
    photo = helpers.event(company.photo)
    arguments = {"photo": photo, "alice": company.alice}

    with pytest.raises(TypeError, match="^An explanation needs an (Entity|Event), not "):
        company.newsfeed.explain(arguments.get(event, event), arguments.get(entity, entity))


# Cost: a fixed number of queries.


def grow(company, size: int) -> tuple[Event, Entity]:
    """``size`` more groups, each subscribing its users (only what they follow) and holding a new
    user, ``size`` more subscriptions of that user and an event with ``size`` actors."""
    user = helpers.entity(f"user-{size}")
    for number in range(size):
        group = helpers.entity(f"group-{size}-{number}", "team", supers=[])
        EntityRelationship.objects.create(sub_entity=user, super_entity=group)
        helpers.subscribe(company.newsfeed, company.photo, group, sub_kind="user", only_following=True)
        helpers.subscribe(company.newsfeed, company.photo, user, only_following=number % 2 == 0)
        helpers.entity(f"member-{size}-{number}", supers=[group])
    helpers.unsubscribe(company.newsfeed, company.photo, user)
    actors = [helpers.entity(f"actor-{size}-{number}") for number in range(size)]
    event = helpers.event(company.photo, actors=[*actors, group, user])
    return Event.objects.get(pk=event.pk), user


def test_the_number_of_queries_does_not_grow_with_the_world(company):
    counts = []
    for size in (2, 9):
        event, user = grow(company, size)
        with CaptureQueriesContext(connection) as captured:
            explanation = company.newsfeed.explain(event, user)
            assert len(explanation.subscriptions) == 2 * size
            assert explanation.reasons
        counts.append(len(helpers.statements(captured)))

    assert counts == [4, 4]


# Agreement with routing, on random worlds.


def random_world(seed: int, medium_class) -> SimpleNamespace:
    """Entities in a random hierarchy (some inactive), random subscriptions of every shape on two
    sources, unsubscriptions of entities some of them name, and events of both sources (some
    expired) with random actors."""
    rng = random.Random(seed)
    medium = helpers.medium(f"medium-{seed}", medium_class=medium_class)
    sources = [helpers.source(f"source-{seed}-{n}") for n in range(2)]
    entities = []
    for number in range(12):
        supers = rng.sample(entities, rng.randint(0, min(2, len(entities))))
        kind = rng.choice(["user", "team"])
        entities.append(helpers.entity(f"e-{seed}-{number}", kind, supers, is_active=rng.random() > 0.2))
    subscriptions = [
        helpers.subscribe(
            medium,
            rng.choice(sources),
            rng.choice(entities),
            sub_kind=rng.choice([None, "user", "team"]),
            only_following=rng.random() < 0.5,
        )
        for _ in range(14)
    ]
    for subscription in rng.sample(subscriptions, 6):
        if named := list(subscription.subscribed_entities()):
            helpers.unsubscribe(medium, subscription.source, rng.choice(named))
    # Whatever the draw, one more entity receives the first source and has left the second.
    entities.append(helpers.entity(f"e-{seed}-sure"))
    for source in sources:
        helpers.subscribe(medium, source, entities[-1])
    helpers.unsubscribe(medium, sources[1], entities[-1])
    expired = timezone.now() - timedelta(days=1)
    for number in range(10):
        fields = {"time_expires": expired} if number % 4 == 0 else {}
        helpers.event(sources[number % 2], actors=rng.sample(entities, rng.randint(0, 4)), **fields)
    return SimpleNamespace(medium=medium, entities=entities, events=list(Event.objects.all()))


def reaching(medium, event: Event, entity: Entity) -> list[Subscription]:
    """The subscriptions of the event's source that name ``entity`` and, when only-following, have an
    actor of the event that ``entity`` follows: the rules, asked one subscription at a time."""
    follows_an_actor = EventActor.objects.filter(event=event, entity__in=medium.followed_by(entity)).exists()
    return [
        subscription
        for subscription in Subscription.objects.filter(medium=medium, source=event.source_id).order_by("id")
        if entity in subscription.subscribed_entities()
        and (follows_an_actor or not subscription.only_following)
    ]


def assert_really_reaches(reach: Reach, medium, event: Event, entity: Entity) -> None:
    """The reach is true of the world: through the membership it gives, and for an only-following
    subscription with an actor of the event that the entity follows."""
    subscription = reach.subscription
    assert reach.entity == entity
    if subscription.sub_entity_kind_id is None:
        assert reach.membership is None
    else:
        assert (reach.membership.sub_entity, reach.membership.super_entity) == (entity, subscription.entity)
    if subscription.only_following:
        assert EventActor.objects.filter(event=event, entity=reach.actor).exists()
        assert reach.actor in medium.followed_by(entity)
    else:
        assert reach.actor is None


@pytest.mark.parametrize("medium_class", [Medium, FollowSubEntitiesMedium], ids=["default", "overridden"])
@pytest.mark.parametrize("seed", range(4))
def test_receives_agrees_with_entity_events_on_random_worlds(seed, medium_class):
    world = random_world(seed, medium_class)
    medium = world.medium

    checked = set()
    for entity in world.entities:
        received = set(medium.entity_events(entity, include_expired=True).values_list("id", flat=True))
        for event in world.events:
            explanation = medium.explain(event, entity)
            assert explanation.receives == (event.id in received), (entity, event)
            assert [reach.subscription for reach in explanation.subscriptions] == reaching(
                medium, event, entity
            )
            for reach in explanation.subscriptions:
                assert_really_reaches(reach, medium, event, entity)
            unsubscribed = Unsubscription.objects.filter(entity=entity, medium=medium, source=event.source_id)
            assert set(explanation.unsubscriptions) == set(unsubscribed)
            checked.add((explanation.receives, bool(explanation.subscriptions)))
    # The world holds every case: received, stopped by an unsubscription or reached by none.
    assert checked == {(True, True), (False, True), (False, False)}
    assert Subscription.objects.filter(only_following=True).exists()


# Previews: whom a subscription reaches, and whom an event reaches on a medium.


@pytest.mark.parametrize("medium_class", [Medium, FollowSubEntitiesMedium], ids=["default", "overridden"])
@pytest.mark.parametrize("seed", range(4))
def test_recipients_are_the_targets_events_targets_hands_out_on_random_worlds(seed, medium_class):
    world = random_world(seed, medium_class)
    targets = {
        event.id: {entity.id for entity in entities}
        for event, entities in world.medium.events_targets(include_expired=True)
    }

    reached = {
        event.id: set(recipients(world.medium, event).values_list("id", flat=True)) for event in world.events
    }

    assert reached == {event.id: targets.get(event.id, set()) for event in world.events}
    assert any(reached.values())


def test_a_group_subscription_reaches_its_active_members_of_the_kind_and_counts_who_left(company):
    group = helpers.subscribe(company.newsfeed, company.photo, company.acme, sub_kind="user")
    helpers.unsubscribe(company.newsfeed, company.photo, company.bob)
    helpers.unsubscribe(helpers.medium("email"), company.photo, company.carol)  # another medium

    reached = {entity.display_name: entity.unsubscribed for entity in reached_entities(group)}

    assert reached == {"alice": False, "bob": True, "carol": False, "dave": False}  # not erin, inactive
    assert reach_counts(group) == {"reached": 4, "unsubscribed": 1}


def test_a_subscription_of_the_entity_itself_reaches_it_even_inactive(company):
    own = helpers.subscribe(company.newsfeed, company.photo, company.erin)

    assert [entity.display_name for entity in reached_entities(own)] == ["erin"]
    assert reach_counts(own) == {"reached": 1, "unsubscribed": 0}


@pytest.mark.parametrize("size", [3, 30])
def test_the_counts_of_a_reach_are_one_query_whatever_the_size_of_the_group(size):
    team = helpers.entity("team", "team")
    members = [helpers.entity(f"member-{n}", supers=[team]) for n in range(size)]
    newsfeed, photo = helpers.medium("newsfeed"), helpers.source("photo-tag")
    group = helpers.subscribe(newsfeed, photo, team, sub_kind="user")
    for member in members[:2]:
        helpers.unsubscribe(newsfeed, photo, member)

    with CaptureQueriesContext(connection) as counted:
        counts = reach_counts(group)

    assert counts == {"reached": size, "unsubscribed": 2}
    assert len(counted) == 1


def test_an_event_of_a_source_nobody_subscribes_reaches_nobody(company):
    assert list(recipients(company.newsfeed, helpers.event(company.photo))) == []
