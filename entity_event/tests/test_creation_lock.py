"""No event counts as seen before it was committed: events being created meanwhile stay unseen."""

import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from entity_event.admin import AdminEventForm
from entity_event.creation_lock import newest_settled_id
from entity_event.models import Event, InboxMark, InboxWatermark, SeenWatermark
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db(transaction=True)

#: How long a thread waits for the other one; a test that waits this long has failed.
PATIENCE = 10


@pytest.fixture
def world():
    """Alice, who receives every photo tag on the newsfeed, and two photo tags already there."""
    alice = helpers.entity("alice")
    newsfeed, photo = helpers.medium("newsfeed"), helpers.source("photo-tag")
    helpers.subscribe(newsfeed, photo, alice)
    old = [helpers.event(photo, context={"n": n}) for n in range(2)]
    return {"alice": alice, "newsfeed": newsfeed, "photo": photo, "old": old}


def held_open_while(world, work):
    """Create an event in a transaction that stays open while another thread creates an event
    (a later id, committed first) and then runs ``work``; return the ids of the slow and the
    quick event and what ``work`` returned."""
    taken, done = threading.Event(), threading.Event()

    def create_slowly():
        with transaction.atomic():
            slow = helpers.event(world["photo"], context={"n": "slow"})
            taken.set()
            assert done.wait(PATIENCE), "the other thread waited for this transaction"
        return slow.pk

    def create_quickly_then_work():
        assert taken.wait(PATIENCE)
        try:
            quick = helpers.event(world["photo"], context={"n": "quick"})
            return quick.pk, work()
        finally:
            done.set()

    slow, (quick, result) = helpers.run_together(create_slowly, create_quickly_then_work)
    return slow, quick, result


def seen_ids(world) -> set[int]:
    return {event.pk for event in world["newsfeed"].inbox(world["alice"]).events(seen=True)}


@helpers.needs_postgresql
@pytest.mark.parametrize("up_to", [None, "quick"])
def test_an_event_committed_after_marking_everything_stays_unseen(world, up_to):
    """The slow event's id is below the quick one's, which was committed and marked first."""
    inbox = world["newsfeed"].inbox(world["alice"])
    newest = Event.objects.order_by("-id").first().pk

    def mark():
        return inbox.mark_seen(up_to=None if up_to is None else Event.objects.order_by("-id").first().pk)

    slow, quick, marked = held_open_while(world, mark)

    assert slow < quick
    assert marked == 3
    assert seen_ids(world) == {*(event.pk for event in world["old"]), quick}
    # The watermark stops below the slow event; the quick one, committed above it, got a mark.
    assert InboxWatermark.objects.get().seen_up_to == newest
    assert list(InboxMark.objects.values_list("event_id", "seen")) == [(quick, True)]
    assert inbox.mark_seen() == 1 and InboxMark.objects.count() == 0


@helpers.needs_postgresql
def test_an_event_committed_after_a_per_medium_mark_stays_unseen_on_the_medium(world):
    """The same for the medium's watermark: marking every event seen, the quick one among them,
    leaves it below the slow event, which comes with the next ``seen=False`` call."""
    newsfeed = world["newsfeed"]
    newest = Event.objects.order_by("-id").first().pk

    slow, quick, marked = held_open_while(world, lambda: Event.objects.all().mark_seen(newsfeed))

    assert slow < quick and marked == 3
    assert SeenWatermark.objects.get(medium=newsfeed).seen_through == newest
    assert [event.pk for event in newsfeed.events(seen=False)] == [slow]
    assert [event.pk for event, _targets in newsfeed.events_targets(seen=False, mark_seen=True)] == [slow]
    assert SeenWatermark.objects.get(medium=newsfeed).seen_through == quick


@helpers.needs_postgresql
def test_the_settled_id_stays_below_a_long_transaction_creating_batch_after_batch(world):
    before = Event.objects.order_by("-id").first().pk
    taken, read = threading.Event(), threading.Event()

    def import_in_batches():
        with transaction.atomic():
            for batch in range(3):
                Event.objects.create_events(
                    [{"source": world["photo"], "context": {"n": f"{batch}.{n}"}} for n in range(5)]
                )
            locks = _own_advisory_locks()
            taken.set()
            assert read.wait(PATIENCE)
        return locks, _own_advisory_locks()

    def read_settled():
        assert taken.wait(PATIENCE)
        try:
            return newest_settled_id("default")
        finally:
            read.set()

    (during, after), settled = helpers.run_together(import_in_batches, read_settled)

    assert settled == before
    assert (during, after) == (2, 0)  # published once for the three batches, gone at commit
    assert newest_settled_id("default") == Event.objects.order_by("-id").first().pk


@helpers.needs_postgresql
def test_a_creation_rolled_back_to_its_savepoint_publishes_again_next_time(world):
    """A savepoint rolled back takes its locks and its setting with it, together."""
    before = Event.objects.order_by("-id").first().pk
    taken, read = threading.Event(), threading.Event()

    def retry_after_a_duplicate():
        with transaction.atomic():
            with pytest.raises(IntegrityError):
                helpers.event(world["photo"], uuid=world["old"][0].uuid)
            assert _own_advisory_locks() == 0
            helpers.event(world["photo"], context={"n": "retried"})
            taken.set()
            assert read.wait(PATIENCE)

    def read_settled():
        assert taken.wait(PATIENCE)
        try:
            return newest_settled_id("default")
        finally:
            read.set()

    _, settled = helpers.run_together(retry_after_a_duplicate, read_settled)

    assert settled == before


@helpers.needs_postgresql
def test_a_transaction_that_creates_then_marks_counts_its_own_events_and_waits_for_nobody(world):
    inbox = world["newsfeed"].inbox(world["alice"])

    def create_and_mark():
        with transaction.atomic():
            helpers.event(world["photo"], context={"n": "own"})
            return inbox.mark_seen()

    slow, quick, marked = held_open_while(world, create_and_mark)

    assert marked == 4  # the old ones, the quick one and its own; the slow one is not committed
    assert seen_ids(world) == {*(event.pk for event in world["old"]), quick, quick + 1}


def insert_with_create(photo) -> Event:
    return Event.objects.create(source=photo, context={"n": "slow"}, uuid="slow")


def insert_with_save(photo) -> Event:
    event = Event(source=photo, context={"n": "slow"}, uuid="slow")
    event.save()
    return event


def insert_with_get_or_create(photo) -> Event:
    return Event.objects.get_or_create(uuid="slow", defaults={"source": photo, "context": {"n": "slow"}})[0]


def insert_with_bulk_create(photo) -> Event:
    return Event.objects.bulk_create([Event(source=photo, context={"n": "slow"}, uuid="slow")])[0]


def insert_with_the_announcement_form(photo) -> Event:
    form = AdminEventForm(data={"source": photo.pk, "text": "slow"})
    assert form.is_valid(), form.errors
    return form.save()


@helpers.needs_postgresql
@pytest.mark.parametrize(
    "insert",
    [
        insert_with_create,
        insert_with_save,
        insert_with_get_or_create,
        insert_with_bulk_create,
        insert_with_the_announcement_form,
    ],
)
def test_every_way_of_inserting_an_event_through_the_orm_holds_the_settled_id_back(world, settings, insert):
    """An event inserted by the ORM's own ways, in a transaction left open while another thread
    creates and commits a later event, is not passed by ``newest_settled_id()``."""
    settings.ENTITY_EVENT_ANNOUNCEMENT_SOURCES = None  # announcements may go to photo tags
    before = Event.objects.order_by("-id").first().pk
    taken, read = threading.Event(), threading.Event()

    def insert_slowly():
        with transaction.atomic():
            slow = insert(world["photo"])
            taken.set()
            assert read.wait(PATIENCE)
        return slow.pk

    def create_quickly_then_read_settled():
        assert taken.wait(PATIENCE)
        try:
            quick = helpers.event(world["photo"], context={"n": "quick"})
            return quick.pk, newest_settled_id("default")
        finally:
            read.set()

    slow, (quick, settled) = helpers.run_together(insert_slowly, create_quickly_then_read_settled)

    assert before < slow < quick
    assert settled == before
    assert newest_settled_id("default") == quick


def test_saving_a_stored_event_again_changes_it_without_publishing_a_bound(world):
    event = world["old"][0]
    event.context = {"n": "changed"}

    with CaptureQueriesContext(connection) as saved:
        event.save()

    assert [query["sql"].split()[0] for query in saved] == ["UPDATE"]
    assert Event.objects.get(pk=event.pk).context == {"n": "changed"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's serialised writers")
def test_on_sqlite_nobody_creates_or_marks_while_an_event_is_uncommitted(world):
    """SQLite takes an id under its one write lock: while a transaction holds one, another
    connection can take no later id and mark nothing, so ids are commit-ordered there."""
    inbox = world["newsfeed"].inbox(world["alice"])
    taken, done = threading.Event(), threading.Event()

    def create_slowly():
        with transaction.atomic():
            slow = helpers.event(world["photo"], context={"n": "slow"})
            taken.set()
            assert done.wait(PATIENCE)
        return slow.pk

    def create_and_mark():
        assert taken.wait(PATIENCE)
        refused = []
        try:
            attempts = [
                lambda: helpers.event(world["photo"]),
                inbox.mark_seen,
                lambda: Event.objects.all().mark_seen(world["newsfeed"]),
            ]
            for attempt in attempts:
                with pytest.raises(OperationalError, match="locked") as error:
                    attempt()
                refused.append(str(error.value))
        finally:
            done.set()
        return refused

    slow, refused = helpers.run_together(create_slowly, create_and_mark)

    assert len(refused) == 3
    assert InboxWatermark.objects.count() == 0 and Event.objects.count() == 3
    assert SeenWatermark.objects.count() == 0
    assert inbox.mark_seen() == 3 and InboxWatermark.objects.get().seen_up_to == slow
    assert Event.objects.all().mark_seen(world["newsfeed"]) == 3
    assert SeenWatermark.objects.get().seen_through == slow


def _own_advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        return cursor.fetchone()[0]
