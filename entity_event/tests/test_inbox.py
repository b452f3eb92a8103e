"""Per-entity read state: Medium.inbox(entity)."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from entity.models import Entity

from entity_event.inbox import Inbox, older_than
from entity_event.models import Event, EventSeen, InboxMark, InboxWatermark
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Alice and Bob of a team that receives every photo tag on the newsfeed; Carol outside it."""
    team = helpers.entity("team", kind_name="team")
    alice, bob = helpers.entity("alice", supers=[team]), helpers.entity("bob", supers=[team])
    carol = helpers.entity("carol")
    newsfeed, email = helpers.medium("newsfeed"), helpers.medium("email")
    photo = helpers.source("photo-tag")
    helpers.subscribe(newsfeed, photo, team, sub_kind="user")
    helpers.subscribe(email, photo, team, sub_kind="user")
    return {"alice": alice, "bob": bob, "carol": carol, "newsfeed": newsfeed, "email": email, "photo": photo}


def photos(world, count: int) -> list[Event]:
    """``count`` photo events, oldest first."""
    now = timezone.now()
    return [
        helpers.event(world["photo"], time=now - timedelta(minutes=count - n), context={"n": n})
        for n in range(count)
    ]


def seen_states(inbox: Inbox) -> list[tuple[int, bool]]:
    return [(event.context["n"], event.is_seen) for event in inbox.events()]


def writes(captured) -> list[str]:
    return [sql for sql in helpers.statements(captured) if sql.split()[0] in ("INSERT", "UPDATE", "DELETE")]


def test_an_inbox_holds_the_entity_events_in_their_order_all_unseen_at_first(world):
    photos(world, 3)
    inbox = world["newsfeed"].inbox(world["alice"])

    assert repr(inbox) == "<Inbox of alice on Newsfeed>"
    assert list(inbox.events()) == list(world["newsfeed"].entity_events(world["alice"]))
    assert seen_states(inbox) == [(2, False), (1, False), (0, False)]
    assert inbox.unseen_count() == 3
    assert list(world["newsfeed"].inbox(world["carol"]).events()) == []


def test_older_than_gives_the_next_page_after_an_event_even_at_the_same_time(world):
    events = photos(world, 3)
    same_time = helpers.event(world["photo"], time=events[1].time, context={"n": 3})
    inbox = world["newsfeed"].inbox(world["alice"])

    after = older_than(inbox.events(), same_time.time, same_time.id)

    assert [event.context["n"] for event in after] == [1, 0]


def test_event_filters_pass_through_to_entity_events(world):
    events = photos(world, 3)
    inbox = world["newsfeed"].inbox(world["alice"])

    assert list(inbox.events(start_time=events[1].time)) == [events[2], events[1]]
    assert inbox.unseen_count(end_time=events[0].time) == 1


def test_marking_single_events_seen_by_event_id_iterable_or_queryset(world):
    events = photos(world, 5)
    inbox = world["newsfeed"].inbox(world["alice"])

    assert inbox.mark_seen(events[0]) == 1
    assert inbox.mark_seen(events[1].pk) == 1
    assert inbox.mark_seen([events[2], events[3].pk]) == 2
    assert inbox.mark_seen(Event.objects.filter(pk=events[4].pk)) == 1

    assert inbox.unseen_count() == 0
    assert [event.is_seen for event in inbox.events()] == [True] * 5


def test_watermarks_and_marks_say_what_they_record(world):
    events = photos(world, 2)
    inbox = world["newsfeed"].inbox(world["alice"])
    inbox.mark_seen(events[0])
    inbox.mark_seen()
    inbox.mark_unseen(events[1])

    assert str(InboxWatermark.objects.get()) == f"alice has seen events up to #{events[1].pk} on Newsfeed"
    assert str(InboxMark.objects.get()) == f"{events[1]} marked unseen by alice on Newsfeed"
    InboxMark.objects.update(seen=True)
    assert str(InboxMark.objects.get()).endswith("marked seen by alice on Newsfeed")


def test_marking_seen_is_idempotent_and_counts_only_changes(world):
    events = photos(world, 3)
    inbox = world["newsfeed"].inbox(world["alice"])

    assert inbox.mark_seen(events[:2]) == 2
    assert inbox.mark_seen(events) == 1
    assert inbox.mark_seen(events) == 0
    assert inbox.mark_seen() == 0
    assert InboxMark.objects.count() == 0  # marking everything folded the single marks into the watermark


def test_the_seen_filter_keeps_seen_or_unseen_events_in_order(world):
    events = photos(world, 4)
    inbox = world["newsfeed"].inbox(world["alice"])
    inbox.mark_seen([events[0], events[2]])

    assert list(inbox.events(seen=True)) == [events[2], events[0]]
    assert list(inbox.events(seen=False)) == [events[3], events[1]]
    assert inbox.unseen_count() == 2


def test_mark_everything_seen_then_new_events_arrive_unseen(world):
    photos(world, 3)
    inbox = world["newsfeed"].inbox(world["alice"])

    assert inbox.mark_seen() == 3
    later = helpers.event(world["photo"], context={"n": 3})

    assert seen_states(inbox) == [(3, False), (2, True), (1, True), (0, True)]
    assert list(inbox.events(seen=False)) == [later]
    assert inbox.mark_seen() == 1
    assert inbox.unseen_count() == 0


def test_mark_unseen_after_marking_everything_and_after_single_marks(world):
    events = photos(world, 4)
    inbox = world["newsfeed"].inbox(world["alice"])
    inbox.mark_seen()
    newer = helpers.event(world["photo"], context={"n": 4})
    inbox.mark_seen(newer)

    assert inbox.mark_unseen([events[1], newer]) == 2
    assert inbox.mark_unseen([events[1], newer]) == 0
    assert seen_states(inbox) == [(4, False), (3, True), (2, True), (1, False), (0, True)]
    assert inbox.mark_seen(events[1]) == 1
    assert inbox.mark_unseen(events[1].pk) == 1
    assert inbox.mark_seen() == 2
    assert inbox.unseen_count() == 0


def test_events_the_entity_does_not_receive_are_left_alone(world):
    other_source = helpers.source("private")
    hidden = helpers.event(other_source)
    inbox = world["newsfeed"].inbox(world["alice"])

    assert inbox.mark_seen(hidden) == 0
    assert inbox.mark_unseen(hidden) == 0
    assert inbox.mark_seen([]) == 0
    assert InboxMark.objects.count() == 0


def test_expired_events_are_marked_and_counted_like_the_others(world):
    expired = helpers.event(world["photo"], time_expires=timezone.now() - timedelta(days=1))
    inbox = world["newsfeed"].inbox(world["alice"])

    assert inbox.unseen_count() == 0
    assert inbox.mark_seen(expired) == 1
    assert list(inbox.events(seen=True, include_expired=True)) == [expired]


def test_one_entitys_marks_leave_other_entities_and_per_medium_marks_alone(world):
    events = photos(world, 3)
    newsfeed = world["newsfeed"]
    alice, bob = newsfeed.inbox(world["alice"]), newsfeed.inbox(world["bob"])
    alice_by_email = world["email"].inbox(world["alice"])

    alice.mark_seen()
    alice.mark_unseen(events[0])
    bob.mark_seen(events[2])

    assert alice.unseen_count() == 1
    assert seen_states(bob) == [(2, True), (1, False), (0, False)]
    assert alice_by_email.unseen_count() == 3
    assert EventSeen.objects.count() == 0


def test_per_medium_marks_do_not_change_the_inbox(world):
    photos(world, 2)
    newsfeed = world["newsfeed"]
    Event.objects.all().mark_seen(newsfeed)
    inbox = newsfeed.inbox(world["alice"])

    assert inbox.unseen_count() == 2
    assert list(inbox.events(seen=False)) == list(newsfeed.entity_events(world["alice"]))
    assert list(newsfeed.entity_events(world["alice"], seen=False)) == []


def test_unseen_count_and_a_page_with_read_state_are_one_query_each(world):
    events = photos(world, 30)
    inbox = world["newsfeed"].inbox(world["alice"])
    inbox.mark_seen()
    inbox.mark_unseen(events[:5])

    with CaptureQueriesContext(connection) as counted:
        assert inbox.unseen_count() == 5
    with CaptureQueriesContext(connection) as paged:
        page = list(inbox.events()[:20])
    assert len(counted) == 1 and len(paged) == 2
    assert [event.is_seen for event in page] == [True] * 20


@pytest.mark.parametrize("size", [3, 60])
def test_marking_everything_seen_takes_the_same_writes_whatever_the_number_of_events(world, size):
    events = photos(world, size)
    inbox = world["newsfeed"].inbox(world["alice"])
    inbox.mark_seen()
    inbox.mark_unseen(events)
    helpers.event(world["photo"], context={"n": size})
    inbox.mark_seen(Event.objects.order_by("-id")[:1])

    with CaptureQueriesContext(connection) as captured:
        assert inbox.mark_seen() == size
    # The watermark row ensured, moved, and the marks below it dropped.
    assert len(writes(captured)) == 3
    # And the lock, the newest settled id, the count, the committed events above it (none here).
    assert len(helpers.statements(captured)) == 7
    assert InboxMark.objects.count() == 0
    assert InboxWatermark.objects.get().seen_up_to == Event.objects.order_by("-id").first().pk


def test_the_seen_argument_must_be_a_flag_and_mark_seen_is_not_an_event_filter(world):
    inbox = world["newsfeed"].inbox(world["alice"])

    with pytest.raises(TypeError, match=r"seen must be True, False or None, not 'false'\."):
        inbox.events(seen="false")
    with pytest.raises(TypeError, match="takes no mark_seen argument"):
        inbox.events(mark_seen=True)
    with pytest.raises(TypeError, match="needs the events to mark unseen"):
        inbox.mark_unseen(None)


@pytest.mark.parametrize("bad", ["12", True, 1.5, [3, "x"]])
def test_events_that_are_not_events_or_ids_are_refused_with_nothing_written(world, bad):
    photos(world, 2)
    inbox = world["newsfeed"].inbox(world["alice"])

    with pytest.raises(TypeError, match="events must be events or event ids, not"):
        inbox.mark_seen(bad)
    assert InboxMark.objects.count() == InboxWatermark.objects.count() == 0


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the concurrent writes need a server database (PostgreSQL)"
)


def _run_at_once(count, work):
    """Run ``work(n)`` in ``count`` threads released together; return their results."""
    barrier = threading.Barrier(count)

    def run(n):
        barrier.wait()
        try:
            return work(n)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return [future.result() for future in [pool.submit(run, n) for n in range(count)]]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_marks_of_everything_count_each_event_once(world):
    photos(world, 40)
    newsfeed, alice = world["newsfeed"], world["alice"]

    results = _run_at_once(6, lambda n: newsfeed.inbox(alice).mark_seen())

    assert sorted(results) == [0, 0, 0, 0, 0, 40]
    assert newsfeed.inbox(alice).unseen_count() == 0
    assert InboxWatermark.objects.count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_single_marks_and_unmarks_count_each_change_once(world):
    events = photos(world, 30)
    newsfeed, alice = world["newsfeed"], world["alice"]
    newsfeed.inbox(alice).mark_seen(events[:10])

    def work(n):
        inbox = newsfeed.inbox(alice)
        if n % 3 == 0:
            return ("seen", inbox.mark_seen(events[5:25]))
        if n % 3 == 1:
            return ("seen", inbox.mark_seen())
        return ("unseen", inbox.mark_unseen(events[:5]))

    results = _run_at_once(9, work)

    seen = sum(count for kind, count in results if kind == "seen")
    unseen = sum(count for kind, count in results if kind == "unseen")
    final_unseen = newsfeed.inbox(alice).unseen_count()
    # Every change is counted once: 20 unseen at first, plus those unmarked, minus those marked.
    assert 20 + unseen - seen == final_unseen
    assert unseen <= 5 * 3 and InboxWatermark.objects.count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_watermark_deleted_between_its_insert_and_its_lock_is_created_again(world):
    events = photos(world, 2)
    inbox = world["newsfeed"].inbox(world["alice"])
    inbox.mark_seen(events[:1])
    deleted = []

    def delete_after_the_insert(execute, sql, params, many, context):
        """Another connection deletes the watermark, and commits, right after the inbox's insert."""
        result = execute(sql, params, many, context)
        if not deleted and sql.startswith(f'INSERT INTO "{InboxWatermark._meta.db_table}"'):
            deleted.extend(helpers.run_together(lambda: InboxWatermark.objects.all()._raw_delete("default")))
        return result

    with connection.execute_wrapper(delete_after_the_insert):
        assert inbox.mark_seen(events) == 1

    assert deleted == [1]
    assert InboxWatermark.objects.get().seen_up_to == 0
    assert inbox.unseen_count() == 0


@pytest.mark.parametrize("size", [2, 50])
def test_marking_given_events_takes_the_same_statements_whatever_their_number(world, size):
    inbox = world["newsfeed"].inbox(world["alice"])
    photos(world, size)
    inbox.mark_seen()
    events = list(Event.objects.all()) + photos(world, size)  # half below the watermark, half above

    with CaptureQueriesContext(connection) as seen:
        assert inbox.mark_seen(events) == size
    with CaptureQueriesContext(connection) as unseen:
        assert inbox.mark_unseen(Event.objects.all()) == size * 2

    # Watermark ensured and locked, the events to change read, their marks deleted and inserted.
    assert len(helpers.statements(seen)) == len(helpers.statements(unseen)) == 5


@pytest.mark.parametrize("bad", [b"12", bytearray(b"12"), memoryview(b"12"), [b"1"], {3: "x"}.items()])
def test_bytes_text_and_other_iterables_that_are_not_ids_are_refused(world, bad):
    photos(world, 60)  # events 49 and 50 exist, so reading b"12" as ids would mark them
    inbox = world["newsfeed"].inbox(world["alice"])

    with helpers.row_counts_unchanged(), pytest.raises(TypeError, match="events must be events or event ids"):
        inbox.mark_seen(bad)


def test_a_queryset_of_other_rows_than_events_is_refused(world):
    inbox = world["newsfeed"].inbox(world["alice"])

    with pytest.raises(TypeError, match="not a queryset of Entity rows"):
        inbox.mark_seen(Entity.objects.all())


@pytest.mark.parametrize("bad", [2**63, -(2**63) - 1, 10**30, [1, 10**30]])
def test_ids_outside_64_bits_are_a_value_error_naming_them_with_nothing_written(world, bad):
    photos(world, 2)
    inbox = world["newsfeed"].inbox(world["alice"])
    named = bad[-1] if isinstance(bad, list) else bad

    for mark in (inbox.mark_seen, inbox.mark_unseen):
        with helpers.row_counts_unchanged(), pytest.raises(ValueError, match=f"{named} is not an event id"):
            mark(bad)


def test_the_largest_64_bit_ids_are_ids_of_no_event(world):
    inbox = world["newsfeed"].inbox(world["alice"])

    assert inbox.mark_seen([2**63 - 1, -(2**63)]) == 0


def test_unseen_count_takes_no_per_medium_seen_filter_nor_mark_seen(world):
    photos(world, 2)
    inbox = world["newsfeed"].inbox(world["alice"])

    with pytest.raises(TypeError, match=r"Inbox.unseen_count\(\) takes no seen argument"):
        inbox.unseen_count(seen=True)
    with pytest.raises(TypeError, match=r"Inbox.unseen_count\(\) takes no mark_seen argument"):
        inbox.unseen_count(mark_seen=True)


@pytest.mark.parametrize("bad", [None, 3, "alice"])
def test_an_inbox_needs_an_entity(world, bad):
    with pytest.raises(TypeError, match=f"An inbox needs an Entity, not {bad!r}"):
        world["newsfeed"].inbox(bad)


@pytest.mark.parametrize("size", [2, 400])
def test_many_ids_take_the_same_statements_and_fit_sqlites_limit_of_parameters(world, size):
    inbox = world["newsfeed"].inbox(world["alice"])
    events = photos(world, size)
    unknown = list(range(10**9, 10**9 + 40_000))  # ids of no event: more than SQLite takes as parameters

    with CaptureQueriesContext(connection) as seen:
        assert inbox.mark_seen([event.pk for event in events] + unknown) == size
    inbox.mark_seen()
    with CaptureQueriesContext(connection) as unseen:
        assert inbox.mark_unseen(unknown + [event.pk for event in events]) == size

    assert len(helpers.statements(seen)) == len(helpers.statements(unseen)) == 5
    assert InboxMark.objects.count() == size


def test_marking_up_to_an_id_marks_what_a_page_showed_and_leaves_later_events_unseen(world):
    events = photos(world, 4)
    inbox = world["newsfeed"].inbox(world["alice"])
    inbox.mark_seen(events[3])

    assert inbox.mark_seen(up_to=events[1].pk) == 2
    assert seen_states(inbox) == [(3, True), (2, False), (1, True), (0, True)]
    assert InboxWatermark.objects.get().seen_up_to == events[1].pk
    assert inbox.mark_seen(up_to=events[0].pk) == 0  # the watermark never moves back
    assert InboxWatermark.objects.get().seen_up_to == events[1].pk
    assert inbox.mark_seen(up_to=2**63 - 1) == 1


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ("12", TypeError, "up_to must be an event id (an int), not '12'."),
        (True, TypeError, "up_to must be an event id (an int), not True."),
        (1.5, TypeError, "up_to must be an event id (an int), not 1.5."),
        (2**63, ValueError, f"up_to={2**63} is not an event id: ids are 64-bit integers."),
        (-(2**63) - 1, ValueError, f"up_to={-(2**63) - 1} is not an event id"),
    ],
)
def test_an_up_to_that_is_not_an_event_id_is_refused_naming_it_with_nothing_written(
    world, bad, error, message
):
    photos(world, 2)
    inbox = world["newsfeed"].inbox(world["alice"])

    with helpers.row_counts_unchanged(), pytest.raises(error, match=re.escape(message)):
        inbox.mark_seen(up_to=bad)


def test_up_to_does_not_go_with_events(world):
    events = photos(world, 2)
    inbox = world["newsfeed"].inbox(world["alice"])

    with helpers.row_counts_unchanged(), pytest.raises(TypeError, match="either events or up_to, not both"):
        inbox.mark_seen(events[0], up_to=events[1].pk)


@pytest.mark.parametrize("size", [5, 60])
def test_a_capped_unseen_count_is_one_query_counting_at_most_the_limit(world, size):
    events = photos(world, size)
    inbox = world["newsfeed"].inbox(world["alice"])
    inbox.mark_seen(events[:2])

    with CaptureQueriesContext(connection) as counted:
        capped = inbox.unseen_count(limit=4)

    assert capped == 3 if size == 5 else 4
    assert inbox.unseen_count(limit=size) == inbox.unseen_count() == size - 2
    assert len(counted) == 1 and "LIMIT 4" in counted[0]["sql"]


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (0, ValueError, "limit=0 is not a positive 64-bit integer."),
        (-3, ValueError, "limit=-3 is not a positive 64-bit integer."),
        (2**63, ValueError, f"limit={2**63} is not a positive 64-bit integer."),
        ("99", TypeError, "limit must be a positive int, not '99'."),
        (True, TypeError, "limit must be a positive int, not True."),
    ],
)
def test_a_limit_that_is_not_a_positive_int_is_refused_naming_it(world, bad, error, message):
    inbox = world["newsfeed"].inbox(world["alice"])

    with pytest.raises(error, match=re.escape(message)):
        inbox.unseen_count(limit=bad)
