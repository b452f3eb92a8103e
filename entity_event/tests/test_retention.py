"""Retention: ``prune_events`` and ``manage.py prune_events`` delete old events in batches."""

import re
import threading
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test.utils import CaptureQueriesContext, isolate_apps, override_settings
from django.utils import timezone

from entity_event.management.commands.prune_events import Command
from entity_event.models import Delivery, Event, EventActor, EventSeen, InboxMark
from entity_event.retention import PruneRefused, deleted_first, dependents, prune_events
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db

NOW = timezone.now()
CUTOFF = NOW - timedelta(days=30)


@pytest.fixture
def world():
    """A subscribed reader of a newsfeed, and the source its events come from."""
    reader = helpers.entity("reader")
    source = helpers.source()
    newsfeed = helpers.medium()
    helpers.subscribe(newsfeed, source, reader)
    return reader, source, newsfeed


def events_at(world, days_ago: int, number: int) -> list[Event]:
    """``number`` events of ``days_ago`` days ago, each acted by the reader, seen on the
    newsfeed, marked in the reader's inbox and delivered to the reader."""
    reader, source, newsfeed = world
    made = Event.objects.create_events(
        {"source": source, "actors": [reader], "context": {}, "time": NOW - timedelta(days=days_ago)}
        for _ in range(number)
    )
    Event.objects.filter(id__in=[event.id for event in made]).mark_seen(newsfeed)
    newsfeed.inbox(reader).mark_seen(made)
    Delivery.objects.bulk_create(Delivery(event=event, medium=newsfeed, entity=reader) for event in made)
    return made


def rows_of(events: list[Event]) -> dict[str, int]:
    """How many rows each table holds for ``events``."""
    ids = [event.id for event in events]
    return {
        model.__name__: model.objects.filter(
            **{"event_id__in" if model is not Event else "id__in": ids}
        ).count()
        for model in (Event, EventActor, EventSeen, InboxMark, Delivery)
    }


def test_old_events_go_with_every_row_pointing_at_them_and_the_rest_stays(world):
    old, recent = events_at(world, 40, 5), events_at(world, 10, 3)

    assert prune_events(CUTOFF, batch_size=2) == 5

    assert rows_of(old) == dict.fromkeys(rows_of(old), 0)
    assert rows_of(recent) == {"Event": 3, "EventActor": 3, "EventSeen": 3, "InboxMark": 3, "Delivery": 3}


def test_every_model_with_a_key_to_events_is_pruned_with_them():
    assert [model for model, _key in dependents()] == [Delivery, EventActor, EventSeen, InboxMark]


def queries_of_pruning(world, number: int) -> int:
    events_at(world, 40, number)
    with CaptureQueriesContext(connection) as captured:
        prune_events(CUTOFF, batch_size=3)
    return len(helpers.statements(captured))


#: Statements per batch (lock its ids, delete from each table pointing at events that the
#: database does not empty itself, delete the events), and those of a whole call (on PostgreSQL,
#: the read of the catalog; the select that finds nothing left), by vendor.
PER_BATCH, PER_CALL = {"postgresql": (2, 2), "sqlite": (6, 1)}[connection.vendor]


def test_queries_grow_with_the_number_of_batches_only(world):
    assert queries_of_pruning(world, 6) == 2 * PER_BATCH + PER_CALL
    assert queries_of_pruning(world, 15) == 5 * PER_BATCH + PER_CALL


def test_rows_that_the_database_deletes_with_their_events_are_not_deleted_first():
    # On PostgreSQL the app's keys to events cascade in the database (migration 0011): its
    # triggers look for those rows whatever prune_events did before. SQLite cascades nothing.
    assert deleted_first() == ([] if connection.vendor == "postgresql" else dependents())


@isolate_apps("entity_event")
@pytest.mark.django_db(transaction=True)  # SQLite creates no table inside a transaction
def test_a_projects_model_pointing_at_events_is_deleted_first_on_every_database(world, monkeypatch):
    class Bookmark(models.Model):  # noqa: DJ008
        event = models.ForeignKey(Event, on_delete=models.CASCADE)

    key = Bookmark._meta.get_field("event")
    relations = (*Event._meta.related_objects, key.remote_field)
    monkeypatch.setitem(Event._meta.__dict__, "related_objects", relations)
    with connection.schema_editor() as editor:
        editor.create_model(Bookmark)
    try:
        old, recent = events_at(world, 40, 2), events_at(world, 10, 1)
        Bookmark.objects.bulk_create(Bookmark(event=event) for event in old + recent)

        assert (Bookmark, key) in deleted_first()
        assert prune_events(CUTOFF) == 2
        assert list(Bookmark.objects.values_list("event", flat=True)) == [recent[0].id]
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Bookmark)


def test_each_batch_is_reported_as_it_is_done(world):
    events_at(world, 40, 5)
    done = []
    prune_events(CUTOFF, batch_size=2, on_batch=done.append)
    assert done == [2, 2, 1]


@pytest.mark.parametrize("size", [0, -1, 1.5, "10", True, None])
def test_a_batch_size_must_be_a_positive_integer(world, size):
    events_at(world, 40, 1)
    with helpers.row_counts_unchanged(), pytest.raises(ValueError, match=f"not {size!r}"):
        prune_events(CUTOFF, batch_size=size)


@isolate_apps("entity_event")
@pytest.mark.parametrize("on_delete", [models.PROTECT, models.SET_NULL, models.DO_NOTHING])
def test_a_key_that_is_not_cascade_refuses_pruning_before_anything_is_deleted(world, monkeypatch, on_delete):
    class Bookmark(models.Model):  # noqa: DJ008
        event = models.ForeignKey(Event, null=True, on_delete=on_delete)

    relation = Bookmark._meta.get_field("event").remote_field
    monkeypatch.setitem(Event._meta.__dict__, "related_objects", (relation,))
    events_at(world, 40, 1)
    with helpers.row_counts_unchanged(), pytest.raises(PruneRefused, match="Bookmark.event has on_delete="):
        prune_events(CUTOFF)


@helpers.needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_writers_and_markers_go_on_while_pruning_and_nothing_else_is_deleted(world):
    reader, source, newsfeed = world
    email = helpers.medium("email")
    old = events_at(world, 40, 300)
    kept = events_at(world, 10, 20)
    pruning = threading.Event()

    def prune():
        try:
            return prune_events(CUTOFF, batch_size=10, on_batch=lambda _done: pruning.set())
        finally:
            pruning.set()

    def write():
        pruning.wait(10)
        return [helpers.event(source, [reader]).id for _ in range(20)]

    def mark():
        pruning.wait(10)
        for event in old[::-1][:50] + kept:  # the newest old events are pruned last
            Event.objects.filter(id=event.id).mark_seen(email)
            newsfeed.inbox(reader).mark_unseen([event.id])

    deleted, written, _ = helpers.run_together(prune, write, mark)

    assert deleted == 300
    assert rows_of(old) == dict.fromkeys(rows_of(old), 0)
    assert Event.objects.filter(id__in=written).count() == 20
    assert rows_of(kept) == {
        "Event": 20,
        "EventActor": 20,
        "EventSeen": 40,
        "InboxMark": 0,
        "Delivery": 20,
    }
    assert EventSeen.objects.filter(medium=email, event__in=kept).count() == 20


# The command.


def prune(*arguments: str, tty: bool = False) -> str:
    out = StringIO()
    out.isatty = lambda: tty
    call_command("prune_events", *arguments, stdout=out)
    return out.getvalue()


def test_the_command_deletes_events_older_than_a_number_of_days(world):
    old, recent = events_at(world, 40, 3), events_at(world, 10, 2)
    assert prune("--older-than", "30", "--batch-size", "2").startswith(
        "Deleted 3 events that happened before "
    )
    assert rows_of(old)["Event"] == 0 and rows_of(recent)["Event"] == 2


def test_the_command_deletes_events_before_a_date(world):
    events_at(world, 40, 2)
    day = (NOW - timedelta(days=20)).date().isoformat()
    assert prune("--before", day).startswith("Deleted 2 events that happened before ")


def test_a_dry_run_counts_and_deletes_nothing(world):
    events_at(world, 40, 4)
    with helpers.row_counts_unchanged():
        assert prune("--older-than", "30", "--dry-run").startswith(
            "Would delete 4 events that happened before"
        )


def test_on_a_terminal_a_progress_bar_follows_the_batches(world):
    events_at(world, 40, 3)
    drawn = prune("--older-than", "30", "--batch-size", "2", tty=True)
    states = [redrawn.split("] ")[1].split("\n")[0] for redrawn in drawn.split("\r")[1:]]
    assert states == ["0/3", "2/3", "3/3", "3/3"]
    assert drawn.split("\n")[1].startswith("Deleted 3 events")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--before", "yesterday"], "expected a date (2026-01-31) or a date-time, not 'yesterday'"),
        (["--before", "2026-02-30"], "not '2026-02-30'"),
        (["--before", "2026-02-30T10:00"], "not '2026-02-30T10:00'"),
        (["--before", "2026-01-01\x00"], r"not '2026-01-01\x00'"),
        (["--older-than", "0"], "at least 1, not '0'"),
        (["--older-than", "-3"], "at least 1, not '-3'"),
        (["--older-than", "²"], "at least 1, not '²'"),
        (["--older-than", "999999999"], "999999999 is out of the range of dates"),
        (["--older-than", "30", "--batch-size", "0"], "at least 1, not '0'"),
        (["--older-than", "30", "--before", "2026-01-01"], "not allowed with argument"),
        ([], "one of the arguments --before --older-than is required"),
    ],
)
def test_bad_arguments_are_refused_naming_the_value(world, arguments, message):
    events_at(world, 40, 1)
    with helpers.row_counts_unchanged(), pytest.raises(CommandError, match=re.escape(message)):
        prune(*arguments)


@override_settings(USE_TZ=True, TIME_ZONE="Europe/Paris")
def test_a_date_without_offset_is_midnight_in_the_current_time_zone():
    cutoff = Command.cutoff(datetime(2000, 1, 1), None)
    assert cutoff.isoformat() == "2000-01-01T00:00:00+01:00"


@override_settings(USE_TZ=False, TIME_ZONE="UTC")
def test_without_time_zones_a_date_time_with_offset_is_made_local():
    cutoff = Command.cutoff(datetime(2000, 1, 1, 2, tzinfo=timezone.get_fixed_timezone(120)), None)
    assert cutoff.isoformat() == "2000-01-01T00:00:00"


@override_settings(USE_TZ=True)
def test_a_date_time_with_offset_is_kept_as_given():
    given = datetime(2000, 1, 1, 2, tzinfo=timezone.get_fixed_timezone(120))
    assert Command.cutoff(given, None) is given
