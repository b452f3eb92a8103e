"""Cancelling at send time: what routing no longer makes is cancelled with the reason, not sent."""

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from entity.models import EntityRelationship

from entity_event.delivery import tasks
from entity_event.models import Delivery, Subscription
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import EMAIL_CHANNEL, make_due, post
from entity_event.tests.models import FollowSubEntitiesMedium


def planned(world) -> list[int]:
    """Post news and plan it (the dummy backend only records the send task); the delivery ids."""
    post(world)
    world.medium.deliver()
    return list(Delivery.objects.order_by("id").values_list("id", flat=True))


def leave_the_club(world, user) -> None:
    EntityRelationship.objects.filter(sub_entity=user, super_entity=world.club).delete()


def make_inactive(_world, user) -> None:
    user.is_active = False
    user.save()


def unsubscribe(world, user) -> None:
    helpers.unsubscribe(world.medium, world.news, user)


@pytest.mark.parametrize(
    ("stop", "reason"),
    [
        (unsubscribe, "entity {id} (member0) unsubscribed from the event's source on this medium"),
        (make_inactive, "entity {id} (member0) is inactive, and no subscription of its own reaches it"),
        (leave_the_club, "no subscription on this medium reaches entity {id} (member0) any more"),
    ],
)
def test_an_entity_stopping_after_planning_is_not_sent_its_email(club, dummy_tasks, stop, reason):
    ids = planned(club)
    stop(club, club.users[0])

    assert tasks.send_deliveries.call(ids) == 2

    cancelled = Delivery.objects.get(entity=club.users[0])
    assert (cancelled.status, cancelled.attempts, cancelled.time_sent) == ("cancelled", 1, None)
    assert cancelled.last_error == reason.format(id=club.users[0].pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["member1@example.com", "member2@example.com"]


def test_a_deleted_subscription_cancels_what_it_planned(club, dummy_tasks):
    ids = planned(club)
    Subscription.objects.all().delete()

    assert tasks.send_deliveries.call(ids) == 0
    assert set(Delivery.objects.values_list("status", flat=True)) == {"cancelled"}
    assert mail.outbox == []


def test_a_retry_after_unsubscribing_is_cancelled(club):
    with override_settings(EMAIL_BACKEND="entity_event.tests.delivery.mail_backends.SilentBackend"):
        post(club)
        club.medium.deliver()
    unsubscribe(club, club.users[1])
    make_due(Delivery.objects.all())

    tasks.enqueue_due([club.medium])

    statuses = dict(Delivery.objects.values_list("entity_id", "status"))
    assert statuses == {club.users[0].pk: "sent", club.users[1].pk: "cancelled", club.users[2].pk: "sent"}
    assert Delivery.objects.get(entity=club.users[1]).attempts == 2


def test_a_digest_leaves_out_a_source_unsubscribed_during_its_period(club):
    events = helpers.source("events")
    helpers.renderer("events", helpers.style("email"), source=events, text_template="Event: {{ title }}")
    helpers.subscribe(club.medium, events, club.club, sub_kind="user")
    with override_settings(ENTITY_EVENT_DIGESTS={"email": "daily"}):
        post(club, "Picnic")
        helpers.event(events, context={"title": "Quiz"})
        club.medium.deliver()
        unsubscribe(club, club.users[0])
        make_due(Delivery.objects.all())

        tasks.enqueue_due([club.medium])

    message = next(m for m in mail.outbox if m.to == ["member0@example.com"])
    assert message.subject == "1 new notification from Email"
    assert "Quiz" in message.body and "Picnic" not in message.body
    assert Delivery.objects.filter(status="cancelled").get().entity == club.users[0]
    assert len(mail.outbox) == 3


def test_a_digest_with_everything_cancelled_sends_nothing(club):
    with override_settings(ENTITY_EVENT_DIGESTS={"email": "hourly"}):
        post(club)
        club.medium.deliver()
        make_inactive(club, club.users[2])
        make_due(Delivery.objects.all())

        assert tasks.send_digests.call(club.medium.pk, [club.users[2].pk]) == 0

    assert mail.outbox == [] and Delivery.objects.get(entity=club.users[2]).status == "cancelled"


@pytest.fixture
def mentions(club):
    """member0 receives mentions only of what the team it belongs to does; the team posted one."""
    team = helpers.entity("team", "team")
    EntityRelationship.objects.create(sub_entity=club.users[0], super_entity=team)
    source = helpers.source("mentions")
    helpers.renderer("mentions", helpers.style("email"), source=source, text_template="Mention")
    helpers.subscribe(club.medium, source, club.users[0], only_following=True)
    helpers.event(source, actors=[team])
    return team


def test_an_entity_no_longer_following_an_actor_is_not_sent_the_event(club, dummy_tasks, mentions):
    ids = planned(club)
    EntityRelationship.objects.filter(super_entity=mentions).delete()

    tasks.send_deliveries.call(ids)

    cancelled = Delivery.objects.get(status="cancelled")
    assert cancelled.event.source.name == "mentions"
    assert (
        cancelled.last_error == f"entity {club.users[0].pk} (member0) no longer follows an actor of the event"
    )


def test_an_inactive_entity_subscribed_itself_is_still_sent(club, dummy_tasks, mentions):
    ids = planned(club)
    make_inactive(club, club.users[0])

    tasks.send_deliveries.call(ids)

    statuses = Delivery.objects.filter(entity=club.users[0]).values_list("event__source__name", "status")
    assert dict(statuses) == {"news-email": "cancelled", "mentions": "sent"}


@pytest.fixture
def alerts(db):
    """A medium where entities follow their sub entities: the club hears of what its members do."""
    with override_settings(ENTITY_EVENT_CHANNELS={"alerts": EMAIL_CHANNEL["email"]}):
        mail.outbox = []
        club = helpers.entity("club", "club")
        members = [helpers.entity(f"member{n}", supers=[club]) for n in range(2)]
        medium = helpers.medium("alerts", medium_class=FollowSubEntitiesMedium)
        source = helpers.source("doings")
        helpers.renderer("doings", helpers.style("alerts"), source=source, text_template="Doing")
        medium.rendering_style = helpers.style("alerts")
        medium.save()
        helpers.subscribe(medium, source, club, only_following=True)
        yield medium, source, club, members


def test_overridden_follow_rules_decide_at_send_time_too(alerts, dummy_tasks):
    medium, source, club, members = alerts
    still, gone = (helpers.event(source, actors=[member]) for member in members)
    medium.deliver()
    EntityRelationship.objects.filter(sub_entity=members[1]).delete()

    tasks.send_deliveries.call(list(Delivery.objects.values_list("id", flat=True)))

    statuses = dict(Delivery.objects.values_list("event_id", "status"))
    assert statuses == {still.pk: "sent", gone.pk: "cancelled"}
    assert [m.to for m in mail.outbox] == [["club@example.com"]]


def count_sending_queries(world, members: int) -> int:
    """Statements of sending a batch of one news to ``members`` more members, half of whom
    unsubscribed or left after planning."""
    Delivery.objects.all().delete()
    users = [helpers.entity(f"extra{members}-{n}", supers=[world.club]) for n in range(members)]
    post(world)
    world.medium.deliver()
    for user in users[::2]:
        unsubscribe(world, user)
    leave_the_club(world, users[1])
    ids = list(Delivery.objects.values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        tasks.send_deliveries.call(ids)
    assert Delivery.objects.filter(status="cancelled").count() == len(users[::2]) + 1
    return len(helpers.statements(captured))


def test_cancelling_costs_no_query_per_delivery(club, dummy_tasks):
    assert count_sending_queries(club, members=2) == count_sending_queries(club, members=8)


def count_overridden_queries(alerts, events: int) -> int:
    """Statements of sending ``events`` doings of two new members, one of whom left the club."""
    medium, source, club, _members = alerts
    Delivery.objects.all().delete()
    members = [helpers.entity(f"new{events}-{n}", supers=[club]) for n in range(2)]
    for number in range(events):
        helpers.event(source, actors=[members[number % 2]])
    medium.deliver()
    EntityRelationship.objects.filter(sub_entity=members[1]).delete()
    ids = list(Delivery.objects.values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        tasks.send_deliveries.call(ids)
    assert Delivery.objects.filter(status="cancelled").count() == events // 2
    return len(helpers.statements(captured))


def test_overridden_follow_rules_cost_one_query_per_batch(alerts, dummy_tasks):
    assert count_overridden_queries(alerts, events=2) == count_overridden_queries(alerts, events=8)
