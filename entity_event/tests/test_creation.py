"""Storing events: actors, uuids, duplicates, validation and the cost of a batch."""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from entity.models import Entity

from entity_event import creation
from entity_event.exceptions import InvalidEventError
from entity_event.models import Event, EventActor, EventSeen, Source, never_expires
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo_source():
    return helpers.source("photo-tag")


def test_create_event_stores_the_event_and_one_actor_row_per_actor(photo_source):
    alice, bob = helpers.entity("alice"), helpers.entity("bob")

    event = Event.objects.create_event(source=photo_source, actors=[alice, bob.id], context={"photo": 7})

    event.refresh_from_db()
    assert event.context == {"photo": 7}
    assert event.source == photo_source
    assert set(EventActor.objects.filter(event=event).values_list("entity_id", flat=True)) == {
        alice.id,
        bob.id,
    }


def test_an_actor_named_twice_is_stored_once(photo_source):
    alice = helpers.entity("alice")
    event = Event.objects.create_event(source=photo_source, actors=[alice, alice.id], context={})
    assert EventActor.objects.filter(event=event).count() == 1


def test_a_single_entity_is_accepted_as_actors(photo_source):
    alice = helpers.entity("alice")
    event = Event.objects.create_event(source=photo_source, actors=alice, context={})
    assert list(EventActor.objects.filter(event=event).values_list("entity_id", flat=True)) == [alice.id]


def test_events_without_uuid_get_distinct_generated_ones(photo_source):
    first = Event.objects.create_event(source=photo_source, context={})
    second = Event.objects.create_event(source=photo_source, context={}, uuid=None)
    assert first.uuid and second.uuid and first.uuid != second.uuid


@pytest.mark.parametrize("given", [UUID("8a2f6a1e-3f0c-4d38-9d6e-2b1c9a7e5f10"), 20240117])
def test_a_uuid_given_as_another_type_is_stored_as_its_text(photo_source, given):
    event = Event.objects.create_event(source=photo_source, uuid=given)

    assert event.uuid == str(given)
    assert Event.objects.get(pk=event.pk).uuid == str(given)
    assert Event.objects.create_event(source=photo_source, uuid=given, ignore_duplicates=True) is None


def test_context_defaults_to_an_empty_dict(photo_source):
    assert Event.objects.create_event(source_id=photo_source.id).context == {}


def test_an_explicit_time_is_kept(photo_source):
    last_year = timezone.now() - timedelta(days=365)
    event = Event.objects.create_event(source=photo_source, context={}, time=last_year)
    event.refresh_from_db()
    assert event.time == last_year


def test_ignore_duplicates_skips_a_known_uuid_and_returns_none(photo_source):
    alice = helpers.entity("alice")
    original = Event.objects.create_event(source=photo_source, context={"n": 1}, uuid="photo-1")

    again = Event.objects.create_event(
        source=photo_source, actors=[alice], context={"n": 2}, uuid="photo-1", ignore_duplicates=True
    )

    assert again is None
    assert list(Event.objects.values_list("id", "context")) == [(original.id, {"n": 1})]
    assert not EventActor.objects.exists()


def test_a_known_uuid_without_ignore_duplicates_raises_and_stores_nothing(photo_source):
    Event.objects.create_event(source=photo_source, context={}, uuid="photo-1")
    alice = helpers.entity("alice")

    with pytest.raises(IntegrityError, match="photo-1"):
        Event.objects.create_event(source=photo_source, actors=[alice], context={}, uuid="photo-1")

    assert Event.objects.count() == 1
    assert not EventActor.objects.exists()


def test_create_events_returns_the_created_events_in_order(photo_source):
    alice = helpers.entity("alice")
    Event.objects.create_event(source=photo_source, context={}, uuid="old")

    created = Event.objects.create_events(
        [
            {"source": photo_source, "context": {"n": 1}, "actors": [alice]},
            {"source": photo_source, "context": {"n": 2}, "uuid": "old", "ignore_duplicates": True},
            {"source": photo_source, "context": {"n": 3}},
        ]
    )

    assert [event.context for event in created] == [{"n": 1}, {"n": 3}]
    assert all(event.pk for event in created)
    assert Event.objects.count() == 3
    assert list(EventActor.objects.values_list("event_id", "entity_id")) == [(created[0].id, alice.id)]


def test_the_same_uuid_twice_in_one_batch_is_stored_once_when_ignored(photo_source):
    created = Event.objects.create_events(
        [
            {"source": photo_source, "context": {"n": 1}, "uuid": "same", "ignore_duplicates": True},
            {"source": photo_source, "context": {"n": 2}, "uuid": "same", "ignore_duplicates": True},
        ]
    )
    assert [event.context for event in created] == [{"n": 1}]
    assert Event.objects.count() == 1


def test_create_events_of_nothing_returns_an_empty_list():
    assert Event.objects.create_events([]) == []


TOO_LONG_UUID = "u" * 513


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"context": {"when": object()}}, "cannot be stored as JSON: Object of type object"),
        ({"context": {"ratio": float("nan")}}, "cannot be stored as JSON: Out of range float values"),
        ({"context": {"ceiling": float("inf")}}, "cannot be stored as JSON: Out of range float values"),
        ({"context": ["not", "a", "dict"]}, "must be a dict, not list: ['not', 'a', 'dict']"),
        ({"context": "text"}, "must be a dict, not str: 'text'"),
        ({"context": {"note": "a\x00b"}}, "(context['note']) holds 'a\\x00b', with a NUL character"),
        ({"context": {"a\x00": 1}}, "(a key of context) holds 'a\\x00', with a NUL character"),
        ({"context": {"list": [{"n": "\ud800"}]}}, "(context['list'][0]['n']) holds '\\ud800'"),
        ({"uuid": "photo\x00"}, "The uuid holds 'photo\\x00'"),
        ({"uuid": TOO_LONG_UUID}, f"The uuid {TOO_LONG_UUID[:60]!r}... has 513 characters; at most 512"),
        ({"colour": "red"}, "Unknown event field(s): colour"),
        ({"id": 5}, "id=5 cannot be given"),
        ({"pk": 5}, "pk=5 cannot be given"),
        ({"actors": ["alice"]}, "An actor must be an Entity or an entity id, not 'alice'"),
        ({"actors": "alice"}, "actors must be entities or entity ids, not 'alice'"),
        ({"actors": 2.5}, "actors must be entities or entity ids, not 2.5"),
        ({"actors": [True]}, "An actor must be an Entity or an entity id, not True"),
        ({"actors": [10**9]}, "No entity has the id(s) [1000000000]"),
        ({"actors": 0}, "No entity has the id(s) [0]"),
        ({"actors": [0]}, "No entity has the id(s) [0]"),
        ({"source": "photo-tag"}, "source must be a Source, not 'photo-tag'"),
        (
            {"source": None, "source_id": "photo-tag"},
            "source_id must be the integer id of a source, not 'photo-tag'.",
        ),
        ({"source": None, "source_id": 10**6}, "No source has the id(s) 1000000"),
    ],
)
def test_bad_input_raises_a_clear_error_naming_it_and_stores_nothing(photo_source, fields, shown):
    good = {"source": photo_source, "context": {"ok": True}, "actors": [helpers.entity("alice")]}

    with helpers.row_counts_unchanged(), pytest.raises(InvalidEventError) as raised:
        Event.objects.create_events([good, {"source": photo_source, **fields}])

    assert shown in str(raised.value)


def test_text_that_only_looks_unstorable_is_stored_as_given(photo_source):
    context = {"path": "C:\\u0000", "n": 1, "items": [1, "x", None], "nested": {"word": "é😀"}}

    event = Event.objects.create_event(source=photo_source, context=context)

    event.refresh_from_db()
    assert event.context == context


@pytest.mark.parametrize("use_tz", [True, False])
@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"time": "2024-01-17 10:00"}, "time must be a datetime, not '2024-01-17 10:00'"),
        ({"time": 1705485600}, "time must be a datetime, not 1705485600"),
        (
            {"time_expires": date(2030, 1, 1)},
            "time_expires must be a datetime, not datetime.date(2030, 1, 1)",
        ),
    ],
)
def test_a_time_that_is_not_a_datetime_is_refused(photo_source, settings, use_tz, fields, shown):
    settings.USE_TZ = use_tz
    with helpers.row_counts_unchanged(), pytest.raises(InvalidEventError) as raised:
        Event.objects.create_events([{"source": photo_source}, {"source": photo_source, **fields}])
    assert shown in str(raised.value)


@pytest.mark.parametrize("use_tz", [True, False])
def test_a_time_or_expiry_of_none_gets_the_default(photo_source, settings, use_tz):
    settings.USE_TZ = use_tz
    before = timezone.now()

    event = Event.objects.create_event(source=photo_source, time=None, time_expires=None)

    event.refresh_from_db()
    assert before <= event.time <= timezone.now()
    assert event.time_expires == never_expires()


def test_an_aware_time_without_time_zone_support_is_stored_as_the_same_local_moment(photo_source, settings):
    settings.USE_TZ = False
    moment = datetime(2024, 1, 17, 10, 0, tzinfo=UTC)

    event = Event.objects.create_event(source=photo_source, time=moment)

    event.refresh_from_db()
    assert event.time == timezone.make_naive(moment)


@pytest.mark.parametrize("value", ["no", "false", 0, 1, None])
def test_ignore_duplicates_must_be_a_boolean(photo_source, value):
    Event.objects.create_event(source=photo_source, uuid="photo-1")

    with helpers.row_counts_unchanged(), pytest.raises(TypeError) as raised:
        Event.objects.create_events([{"source": photo_source, "uuid": "photo-1", "ignore_duplicates": value}])
    assert str(raised.value) == f"ignore_duplicates must be True or False, not {value!r}."

    with pytest.raises(TypeError, match="ignore_duplicates"):
        Event.objects.create_event(source=photo_source, uuid="photo-1", ignore_duplicates=value)


def test_an_event_without_source_is_refused():
    with helpers.row_counts_unchanged(), pytest.raises(InvalidEventError, match="needs a source"):
        Event.objects.create_event(context={})


def test_an_unsaved_source_is_refused_by_name():
    unsaved = helpers.source("unsaved")
    unsaved.pk = None
    with helpers.row_counts_unchanged(), pytest.raises(InvalidEventError) as raised:
        Event.objects.create_event(source=unsaved, context={})
    assert str(raised.value) == "The source 'unsaved' has no id: it was never saved, or was deleted."


def test_a_source_deleted_after_it_was_loaded_is_refused_by_name(photo_source):
    login = helpers.source("login")
    loaded = Source.objects.get(name="photo-tag")
    Source.objects.filter(pk=loaded.pk).delete()  # elsewhere: the instance still has its id
    batch = [{"source": login}, {"source_id": login.id}, {"source": loaded}, {"source_id": 10**6}]

    with helpers.row_counts_unchanged():
        with CaptureQueriesContext(connection) as queries, pytest.raises(InvalidEventError) as raised:
            Event.objects.create_events(batch)

    assert str(raised.value) == (
        f"No source has the id(s) {loaded.id} (source 'photo-tag', deleted since it was loaded), "
        f"{10**6}; no event was stored."
    )
    # Every source, given as an instance or by id, checked together.
    [source_query] = [sql for sql in helpers.statements(queries) if "entity_event_source" in sql]
    assert str(login.id) in source_query and str(loaded.id) in source_query


@pytest.mark.django_db(transaction=True)
def test_a_deleted_source_leaves_the_callers_own_work_to_commit(photo_source):
    loaded = Source.objects.get(pk=photo_source.pk)
    Source.objects.filter(pk=loaded.pk).delete()

    with transaction.atomic():
        kept = helpers.source("kept")
        with pytest.raises(InvalidEventError, match="photo-tag"):
            Event.objects.create_event(source=loaded)

    assert list(Source.objects.values_list("name", flat=True)) == ["kept"]
    assert not Event.objects.exists()
    assert kept.pk


def test_a_failure_while_storing_actors_rolls_the_events_back(photo_source, monkeypatch):
    alice = helpers.entity("alice")

    def disk_full(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(QuerySet, "bulk_create", disk_full)
    with pytest.raises(RuntimeError, match="disk full"):
        Event.objects.create_event(source=photo_source, actors=[alice], context={})
    assert not Event.objects.exists()


def _batch(source, actors, size):
    return [{"source": source, "actors": actors, "context": {"n": n}} for n in range(size)]


def _batch_of_sources_and_actors(size):
    """``size`` events over ``size // 4 + 1`` sources given by id and ``size`` distinct actors (two each)."""
    sources = [helpers.source(f"source-{size}-{n}") for n in range(size // 4 + 1)]
    actors = [helpers.entity(f"actor-{size}-{n}") for n in range(size)]
    return [
        {
            "source_id": sources[n % len(sources)].id,
            "actors": [actors[n], actors[(n + 1) % size]],
            "context": {"n": n},
        }
        for n in range(size)
    ]


def test_create_events_costs_the_same_number_of_queries_for_any_batch_size():
    small, large = _batch_of_sources_and_actors(3), _batch_of_sources_and_actors(60)

    with CaptureQueriesContext(connection) as small_queries:
        Event.objects.create_events(small)
    with CaptureQueriesContext(connection) as large_queries:
        Event.objects.create_events(large)

    # Sources checked, actors checked, (on PostgreSQL) the creation lock, events and actors inserted.
    expected = 5 if connection.vendor == "postgresql" else 4
    assert len(helpers.statements(small_queries)) == len(helpers.statements(large_queries)) == expected
    assert Event.objects.values("source_id").distinct().count() == 1 + 16
    assert EventActor.objects.count() == 2 * (3 + 60)
    assert EventActor.objects.values("entity_id").distinct().count() == 3 + 60


@pytest.mark.parametrize("use_tz", [True, False])
@pytest.mark.parametrize("time_zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def test_the_default_expiry_never_passes_with_or_without_time_zones(
    photo_source, settings, use_tz, time_zone
):
    settings.USE_TZ = use_tz
    settings.TIME_ZONE = time_zone
    newsfeed = helpers.medium()
    alice = helpers.entity("alice")
    helpers.subscribe(newsfeed, photo_source, alice)

    event = Event.objects.create_event(source=photo_source, context={})
    event.refresh_from_db()

    assert event.time_expires == never_expires()
    assert list(newsfeed.events()) == [event]
    assert list(newsfeed.entity_events(alice)) == [event]
    assert newsfeed.events_targets() == [(event, [alice])]


def test_mark_seen_is_idempotent_and_counts_new_marks(photo_source):
    newsfeed, email = helpers.medium("newsfeed"), helpers.medium("email")
    first, second = helpers.event(photo_source), helpers.event(photo_source)

    assert Event.objects.filter(id=first.id).mark_seen(newsfeed) == 1
    assert Event.objects.all().mark_seen(newsfeed) == 1
    assert Event.objects.all().mark_seen(newsfeed) == 0
    assert Event.objects.mark_seen(email) == 2

    assert EventSeen.objects.filter(medium=newsfeed).count() == 2
    assert set(EventSeen.objects.filter(medium=email).values_list("event_id", flat=True)) == {
        first.id,
        second.id,
    }


def test_a_batch_with_more_actors_than_a_statement_takes_is_stored(photo_source, sqlite_at_999_parameters):
    user, entity_type = helpers.kind("user"), ContentType.objects.get_for_model(Entity)
    people = Entity.all_objects.bulk_create(
        Entity(display_name=f"person{n}", entity_id=n, entity_type=entity_type, entity_kind=user)
        for n in range(1200)
    )

    created = Event.objects.create_events({"source": photo_source, "actors": [person]} for person in people)

    assert len(created) == 1200
    assert EventActor.objects.count() == 1200


def test_mark_seen_of_event_ids_counts_only_new_marks(photo_source):
    newsfeed = helpers.medium()
    first, second = helpers.event(photo_source), helpers.event(photo_source)

    assert creation.mark_seen([first.id], newsfeed) == 1
    assert creation.mark_seen([first.id, second.id], newsfeed) == 1
    assert creation.mark_seen([], newsfeed) == 0


def test_mark_seen_of_more_ids_than_sqlite_takes_in_one_statement(photo_source):
    newsfeed = helpers.medium()
    created = Event.objects.create_events(_batch(photo_source, [], 1500))

    assert creation.mark_seen([event.id for event in created], newsfeed) == 1500


@pytest.mark.django_db(transaction=True)
def test_mark_seen_skips_the_id_of_an_event_deleted_since_it_was_read(photo_source):
    newsfeed = helpers.medium()
    kept, deleted = helpers.event(photo_source), helpers.event(photo_source)
    ids = [kept.id, deleted.id]
    deleted.delete()

    assert creation.mark_seen(ids, newsfeed) == 1
    assert list(EventSeen.objects.values_list("event_id", flat=True)) == [kept.id]


def test_no_event_is_locked_for_a_queryset_django_knows_to_be_empty():
    with CaptureQueriesContext(connection) as queries:
        assert creation.locked_event_ids(Event.objects.none()) == []
    assert len(queries) == 0


def test_mark_seen_costs_the_same_statements_for_any_number_of_events(photo_source):
    newsfeed, email = helpers.medium(), helpers.medium("email")
    Event.objects.create_events(_batch(photo_source, [], 200))
    counts = []
    for medium, events in [(newsfeed, Event.objects.all()[:2]), (email, Event.objects.all())]:
        with CaptureQueriesContext(connection) as queries:
            Event.objects.filter(id__in=events.values("id")).mark_seen(medium)
        counts.append(len(helpers.statements(queries)))
    # The marks in one statement, then the six of the watermark's move.
    assert counts == [7, 7]
    assert EventSeen.objects.filter(medium=email).count() == 200


def test_cache_related_fetches_source_and_group_in_the_same_query(photo_source):
    helpers.event(photo_source)
    with CaptureQueriesContext(connection) as queries:
        [event] = Event.objects.cache_related()
        assert event.source.group.name == "site"
    assert len(queries) == 1


@helpers.needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_of_one_uuid_stores_one_event_without_errors(photo_source):
    alice = helpers.entity("alice")

    def create():
        return Event.objects.create_event(
            source=photo_source, actors=[alice], context={}, uuid="race", ignore_duplicates=True
        )

    results = helpers.run_at_once(8, create)

    assert len([event for event in results if event is not None]) == 1
    assert Event.objects.filter(uuid="race").count() == 1
    assert EventActor.objects.count() == 1


@helpers.needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_mark_seen_records_each_event_once(photo_source):
    newsfeed = helpers.medium()
    Event.objects.create_events(_batch(photo_source, [], 50))

    results = helpers.run_at_once(6, lambda: Event.objects.all().mark_seen(newsfeed))

    assert sum(results) == 50
    assert EventSeen.objects.count() == 50


def test_aware_explicit_expiry_is_respected(photo_source):
    newsfeed = helpers.medium()
    helpers.subscribe(newsfeed, photo_source, helpers.entity("alice"))
    expired = helpers.event(photo_source, time_expires=timezone.now() - timedelta(days=1))
    current = helpers.event(photo_source)

    assert list(newsfeed.events()) == [current]
    assert list(newsfeed.events(include_expired=True)) == [current, expired]


def test_mark_seen_of_a_sliced_page_marks_only_that_page(photo_source):
    newsfeed = helpers.medium()
    Event.objects.create_events(_batch(photo_source, [], 5))
    first_page = Event.objects.order_by("-id")[:2]

    assert first_page.mark_seen(newsfeed) == 2
    newest = list(Event.objects.order_by("-id").values_list("id", flat=True)[:2])
    assert sorted(EventSeen.objects.values_list("event_id", flat=True)) == sorted(newest)


def test_mark_seen_of_an_empty_queryset_marks_nothing(photo_source):
    newsfeed = helpers.medium()
    helpers.event(photo_source)
    assert Event.objects.none().mark_seen(newsfeed) == 0
    assert Event.objects.filter(pk__in=[]).mark_seen(newsfeed) == 0
    assert Event.objects.filter(source__name="no such source").mark_seen(newsfeed) == 0
    assert not EventSeen.objects.exists()
