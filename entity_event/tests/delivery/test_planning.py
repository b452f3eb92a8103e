"""Medium.deliver: claims the unseen events, writes a delivery per target, enqueues their sending."""

import threading

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from entity_event.delivery import planning, tasks
from entity_event.models import Delivery, EventActor, EventSeen, Unsubscription
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import DUMMY_TASKS, EMAIL_CHANNEL, build_club, post


def test_each_target_gets_one_delivery_sent_through_the_channel(club):
    picnic, quiz = post(club, "Picnic"), post(club, "Quiz")

    assert club.medium.deliver() == 6

    deliveries = Delivery.objects.order_by("event_id", "entity_id")
    assert [(d.event_id, d.entity_id, d.status, d.attempts) for d in deliveries] == [
        (event.pk, user.pk, "sent", 1) for event in (picnic, quiz) for user in club.users
    ]
    assert all(d.time_sent is not None and d.last_error == "" for d in deliveries)
    expected = [(f"{user}@example.com", f"News: {t}") for t in ("Picnic", "Quiz") for user in club.users]
    assert sorted((message.to[0], message.subject) for message in mail.outbox) == sorted(expected)
    assert set(EventSeen.objects.filter(medium=club.medium).values_list("event_id", flat=True)) == {
        picnic.pk,
        quiz.pk,
    }


def test_a_second_run_with_nothing_new_plans_nothing(club):
    post(club)
    club.medium.deliver()

    assert club.medium.deliver() == 0
    post(club, "Quiz")
    assert club.medium.deliver() == 3
    assert Delivery.objects.count() == 6 and len(mail.outbox) == 6


def test_events_seen_on_the_medium_already_are_not_delivered(club):
    seen = post(club, "Old news")
    EventSeen.objects.create(event=seen, medium=club.medium)
    fresh = post(club, "Fresh news")

    assert club.medium.deliver() == 3
    assert set(Delivery.objects.values_list("event_id", flat=True)) == {fresh.pk}


def events_routed_to_nobody(world) -> list:
    """An event of a source nobody subscribes to, one that no subscriber follows an actor of, and
    one of a source whose only subscriber unsubscribed."""
    unheard = helpers.event(helpers.source("unheard"))
    mentions = helpers.source("mentions")
    helpers.subscribe(world.medium, mentions, world.club, sub_kind="user", only_following=True)
    unfollowed = helpers.event(mentions, actors=[helpers.entity("stranger")])
    left = helpers.source("left")
    helpers.subscribe(world.medium, left, world.users[0])
    helpers.unsubscribe(world.medium, left, world.users[0])
    return [unheard, unfollowed, helpers.event(left)]


def test_events_routed_to_nobody_are_marked_seen_and_never_read_again(club):
    nobody = events_routed_to_nobody(club)
    post(club)

    assert club.medium.deliver() == 3

    seen = EventSeen.objects.filter(medium=club.medium).values_list("event_id", flat=True)
    assert {event.pk for event in nobody} <= set(seen)
    with CaptureQueriesContext(connection) as captured:
        assert club.medium.deliver() == 0
    actors_table = EventActor._meta.db_table
    assert not [sql for sql in helpers.statements(captured) if actors_table in sql]


def test_a_later_subscriber_does_not_get_old_mail(club):
    [unheard, _unfollowed, left] = events_routed_to_nobody(club)
    club.medium.deliver()
    helpers.subscribe(club.medium, unheard.source, club.club, sub_kind="user")
    Unsubscription.objects.all().delete()

    assert club.medium.deliver() == 0
    post(club)
    assert club.medium.deliver() == 3 and len(mail.outbox) == 3


def test_a_chunk_size_below_one_is_refused(club):
    with pytest.raises(ValueError, match="chunk_size must be a positive number of events, not 0"):
        club.medium.deliver(chunk_size=0)


def test_event_filters_narrow_the_events(club):
    early = post(club, "Early")
    post(club, "Late")

    assert club.medium.deliver(end_time=early.time) == 3
    assert set(Delivery.objects.values_list("event_id", flat=True)) == {early.pk}


def test_a_medium_without_channel_is_refused_before_anything_is_claimed(club):
    post(club)
    silent = helpers.medium("sms")
    helpers.subscribe(silent, club.news, club.club, sub_kind="user")

    with pytest.raises(ImproperlyConfigured, match="'sms'.*ENTITY_EVENT_CHANNELS"):
        silent.deliver()
    assert EventSeen.objects.count() == 0 and Delivery.objects.count() == 0


@pytest.mark.parametrize("argument", ["seen", "mark_seen"])
def test_planning_sets_the_seen_arguments_itself(club, argument):
    post(club)
    with pytest.raises(TypeError, match=argument):
        club.medium.deliver(**{argument: True})
    assert EventSeen.objects.count() == 0 and Delivery.objects.count() == 0


def count_planning_queries(members: int, events: int, chunk_size: int) -> tuple[int, int]:
    """(statements, deliveries planned) of one deliver() call in a club of ``members``."""
    world = build_club(members, medium_name=f"email-{members}-{events}")
    for number in range(events):
        post(world, f"News {number}")
    with override_settings(ENTITY_EVENT_CHANNELS={world.medium.name: EMAIL_CHANNEL["email"]}):
        with CaptureQueriesContext(connection) as captured:
            planned = planning.deliver(world.medium, chunk_size=chunk_size)
    return len(helpers.statements(captured)), planned


@pytest.mark.django_db
def test_planning_costs_a_constant_number_of_queries_per_chunk(dummy_tasks):
    small, planned_small = count_planning_queries(members=2, events=3, chunk_size=3)
    large, planned_large = count_planning_queries(members=8, events=3, chunk_size=3)
    assert (planned_small, planned_large) == (6, 24)
    assert small == large
    two_chunks, planned = count_planning_queries(members=2, events=6, chunk_size=3)
    three_chunks, planned = count_planning_queries(members=2, events=9, chunk_size=3)
    assert three_chunks - two_chunks == two_chunks - small
    assert len(dummy_tasks.results) > 0


@pytest.mark.django_db
def test_enqueuing_reads_batches_without_a_server_side_cursor(dummy_tasks, monkeypatch):
    monkeypatch.setattr(tasks, "BATCH_SIZE", 2)
    club = build_club(members=5)
    post(club)
    with override_settings(ENTITY_EVENT_CHANNELS=EMAIL_CHANNEL):
        club.medium.deliver()
    dummy_tasks.clear()
    with helpers.no_server_side_cursor():
        assert tasks.enqueue_pending(Delivery.objects.all()) == 5
    assert [len(result.args[0]) for result in dummy_tasks.results] == [2, 2, 1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_never_take_the_same_event():
    with override_settings(ENTITY_EVENT_CHANNELS=EMAIL_CHANNEL, TASKS=DUMMY_TASKS):
        mail.outbox = []
        world = build_club(members=5)
        for number in range(60):
            post(world, f"News {number}")
        barrier = threading.Barrier(3)
        planned, enqueued = [], []

        def run():
            try:
                barrier.wait()
                planned.append(planning.deliver(world.medium, chunk_size=7))
                # Each thread has its own dummy backend, which recorded the thread's tasks.
                enqueued.extend(result.args[0] for result in tasks.send_deliveries.get_backend().results)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert len(planned) == 3 and sum(planned) == 300 and Delivery.objects.count() == 300
        delivery_ids = [delivery_id for batch in enqueued for delivery_id in batch]
        assert sorted(delivery_ids) == sorted(Delivery.objects.values_list("id", flat=True))
        for batch in enqueued:
            tasks.send_deliveries.call(batch)
        assert (
            len({message.extra_headers["Message-ID"] for message in mail.outbox}) == len(mail.outbox) == 300
        )
