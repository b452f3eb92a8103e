"""The per-medium watermark: ``seen=False`` reads what is new, and means what it meant in 3.x."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from entity_event import seen_watermark
from entity_event.models import Event, EventSeen, SeenGap, SeenWatermark
from entity_event.retention import prune_events
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db

#: How long a thread waits for the other one; a test that waits this long has failed.
PATIENCE = 10


@pytest.fixture
def world():
    """Alice, who receives every photo tag on the newsfeed and by email."""
    alice = helpers.entity("alice")
    newsfeed, email, photo = helpers.medium("newsfeed"), helpers.medium("email"), helpers.source("photo-tag")
    for medium in (newsfeed, email):
        helpers.subscribe(medium, photo, alice)
    return {"alice": alice, "newsfeed": newsfeed, "email": email, "photo": photo}


def photos(world, count: int, **fields) -> list[Event]:
    return [helpers.event(world["photo"], context={"n": n}, **fields) for n in range(count)]


def unseen(medium, **filters) -> list[int]:
    return sorted(event.pk for event in medium.events(seen=False, **filters))


def watermark(medium) -> int:
    return seen_watermark.seen_through(medium, "default")


def gaps(medium) -> list[int]:
    return sorted(SeenGap.objects.filter(medium=medium).values_list("event_id", flat=True))


def test_marking_moves_the_watermark_of_its_medium_only(world):
    events = photos(world, 3)

    assert world["email"].events_targets(seen=False, mark_seen=True)

    assert watermark(world["email"]) == events[-1].pk and gaps(world["email"]) == []
    assert watermark(world["newsfeed"]) == 0
    assert unseen(world["email"]) == [] and len(unseen(world["newsfeed"])) == 3


@pytest.mark.parametrize("history", [3, 40])
def test_nothing_new_costs_the_same_statements_whatever_the_history(world, history):
    photos(world, history)
    Event.objects.all().mark_seen(world["email"])

    with CaptureQueriesContext(connection) as queries:
        assert world["email"].events_targets(seen=False) == []
    with CaptureQueriesContext(connection) as marking:
        assert world["email"].events_targets(seen=False, mark_seen=True) == []

    # Equal at both sizes: routing and the watermark read; with mark_seen, two marks and two moves.
    assert (len(helpers.statements(queries)), len(helpers.statements(marking))) == (6, 20)


def test_events_marked_one_by_one_below_and_above_the_watermark(world):
    events = photos(world, 4)
    Event.objects.filter(id__in=[events[0].pk, events[2].pk]).mark_seen(world["email"])
    # Two unmarked events were passed by: they are gaps, and still unseen.
    assert watermark(world["email"]) == events[-1].pk and gaps(world["email"]) == [events[1].pk, events[3].pk]
    assert unseen(world["email"]) == [events[1].pk, events[3].pk]

    Event.objects.filter(id=events[1].pk).mark_seen(world["email"])

    assert gaps(world["email"]) == [events[3].pk]
    assert unseen(world["email"]) == [events[3].pk]


def test_a_backdated_event_is_unseen_until_marked(world):
    photos(world, 2)
    Event.objects.all().mark_seen(world["email"])
    backdated = helpers.event(world["photo"], time=timezone.now() - timedelta(days=300))

    assert unseen(world["email"]) == [backdated.pk]
    assert [event for event, _targets in world["email"].events_targets(seen=False, mark_seen=True)] == [
        backdated
    ]
    assert unseen(world["email"]) == []


def test_an_expired_event_passed_by_the_watermark_is_still_unseen_with_expired_events(world):
    expired = helpers.event(world["photo"], time_expires=timezone.now() - timedelta(days=1))
    fresh = photos(world, 1)[0]

    world["email"].events_targets(seen=False, mark_seen=True)

    assert watermark(world["email"]) == fresh.pk and gaps(world["email"]) == [expired.pk]
    assert unseen(world["email"]) == []
    assert unseen(world["email"], include_expired=True) == [expired.pk]


def test_an_event_a_filter_left_out_stays_unseen(world):
    old = helpers.event(world["photo"], time=timezone.now() - timedelta(days=10))
    recent = photos(world, 1)[0]

    world["email"].events_targets(seen=False, mark_seen=True, start_time=timezone.now() - timedelta(days=1))

    assert gaps(world["email"]) == [old.pk]
    assert unseen(world["email"]) == [old.pk]
    assert [event.pk for event in world["email"].events(seen=True)] == [recent.pk]


def test_a_mark_deleted_below_the_watermark_makes_its_event_unseen_again(world):
    events = photos(world, 3)
    Event.objects.all().mark_seen(world["email"])

    EventSeen.objects.filter(event=events[1], medium=world["email"]).delete()

    assert gaps(world["email"]) == [events[1].pk]
    assert unseen(world["email"]) == [events[1].pk]
    assert EventSeen.objects.filter(medium=world["newsfeed"]).count() == 0


def test_a_queryset_evaluated_after_a_mark_was_deleted_sees_its_event(world):
    events = photos(world, 2)
    Event.objects.all().mark_seen(world["email"])
    later = world["email"].events(seen=False)  # the watermark is read now

    EventSeen.objects.filter(event=events[0]).delete()

    assert list(later) == [events[0]]


def test_the_watermark_passes_at_most_so_many_unmarked_events_per_move(world, monkeypatch):
    monkeypatch.setattr(seen_watermark, "MOST_GAPS", 2)
    events = photos(world, 6)

    Event.objects.filter(id=events[-1].pk).mark_seen(world["email"])

    # It stops below the third unmarked event: the next marking call moves it on.
    assert watermark(world["email"]) == events[2].pk - 1 and gaps(world["email"]) == [
        events[0].pk,
        events[1].pk,
    ]
    assert unseen(world["email"]) == [event.pk for event in events[:5]]
    Event.objects.filter(id=events[-1].pk).mark_seen(world["email"])
    assert watermark(world["email"]) == events[4].pk - 1
    assert unseen(world["email"]) == [event.pk for event in events[:5]]


def test_deleting_events_and_mediums_takes_their_gaps_with_them(world):
    events = photos(world, 4)
    Event.objects.filter(id=events[-1].pk).mark_seen(world["email"])
    Event.objects.filter(id=events[-1].pk).mark_seen(world["newsfeed"])
    assert len(gaps(world["email"])) == len(gaps(world["newsfeed"])) == 3

    events[0].delete()
    assert gaps(world["email"]) == gaps(world["newsfeed"]) == [events[1].pk, events[2].pk]
    world["newsfeed"].delete()
    assert list(SeenGap.objects.values_list("event_id", flat=True).order_by("event_id")) == [
        events[1].pk,
        events[2].pk,
    ]
    assert not SeenWatermark.objects.filter(medium_id=world["newsfeed"].pk).exists()


def test_pruning_marked_events_leaves_no_gap(world):
    photos(world, 3, time=timezone.now() - timedelta(days=400))
    kept = photos(world, 1)
    Event.objects.all().mark_seen(world["email"])

    assert prune_events(timezone.now() - timedelta(days=365)) == 3

    assert SeenGap.objects.count() == 0 and unseen(world["email"]) == []
    assert [event.pk for event in world["email"].events(seen=True)] == [kept[0].pk]


@helpers.needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_mark_deleted_while_the_watermark_moves_past_its_event_leaves_it_unseen(world):
    """A mark written without the marking functions (as 3.x code may) leaves the watermark
    below its event; a move past it, while the mark's delete is not committed yet, still sees the
    mark, and the delete's gap keeps the event unseen."""
    old = photos(world, 1)[0]
    EventSeen.objects.create(event=old, medium=world["email"])
    deleted, moved = threading.Event(), threading.Event()

    def delete_the_mark():
        with transaction.atomic():
            EventSeen.objects.filter(event=old)._raw_delete("default")
            deleted.set()
            assert moved.wait(PATIENCE), "the move waited for the delete"

    def mark_a_new_event():
        assert deleted.wait(PATIENCE)
        try:
            new = photos(world, 1)[0]
            Event.objects.filter(id=new.pk).mark_seen(world["email"])
            return new.pk
        finally:
            moved.set()

    _none, new = helpers.run_together(delete_the_mark, mark_a_new_event)

    assert watermark(world["email"]) == new and gaps(world["email"]) == [old.pk]
    assert unseen(world["email"]) == [old.pk]


def test_the_watermark_and_its_gaps_say_what_they_are(world):
    events = photos(world, 2)
    Event.objects.filter(id=events[1].pk).mark_seen(world["email"])

    assert str(SeenWatermark.objects.get()) == f"Email seen through event {events[1].pk}"
    assert str(SeenGap.objects.get()) == f"Event {events[0].pk} unseen on medium {world['email'].pk}"
