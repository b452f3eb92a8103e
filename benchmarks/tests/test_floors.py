"""benchmarks/floors.py: a floor reads the call's answer back from its own table."""

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext
from floors import answer, by_id, check, groups_floor, pairs_floor, value_floor

from entity_event.models import Event, Source
from entity_event.tests import helpers

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the floors' tables are PostgreSQL's CREATE TABLE AS"
)


def stored_events() -> list[int]:
    source = helpers.source("news", group="club")
    Event.objects.create_events({"source": source, "context": {"n": n}} for n in range(3))
    return list(Event.objects.order_by("-id").values_list("id", flat=True))


@pytest.mark.django_db
@needs_postgresql
def test_a_floor_builds_the_same_events_with_their_joined_relations_and_annotations_from_its_table():
    ids = stored_events()
    sourced = Exists(Source.objects.filter(pk=OuterRef("source_id")))
    events = Event.objects.select_related("source__group").annotate(sourced=sourced).order_by("-id")

    read = answer(events)
    Event.objects.all().delete()  # the floor reads its own table, not the events
    built = list(read.all())

    assert [(event.id, event.context, event.source.group.name, event.sourced) for event in built] == [
        (ids[0], {"n": 2}, "club", True),
        (ids[1], {"n": 1}, "club", True),
        (ids[2], {"n": 0}, "club", True),
    ]


@pytest.mark.django_db
@needs_postgresql
@pytest.mark.parametrize(("chunk_size", "pairs_of"), [(None, "events_targets"), (2, "iter_events_targets")])
def test_a_pairs_floor_shares_the_sources_of_events_that_shared_theirs(chunk_size, pairs_of):
    stored_events()
    newsfeed, reader = helpers.medium(), helpers.entity("reader")
    helpers.subscribe(newsfeed, Source.objects.get(), reader)
    pairs = list(getattr(newsfeed, pairs_of)())
    assert len({id(event.source) for event, _targets in pairs}) == 1  # the call shares one source

    floor, ids = pairs_floor(pairs, chunk_size)
    Event.objects.all().delete()  # the floor reads its own tables
    with CaptureQueriesContext(connection) as queries:
        assert floor() == 3
    # The targets, the events alone, then their one source with its group (a join per event
    # would be two queries).
    assert len(queries) == 3
    assert ids == [event.id for event, _targets in pairs]


@pytest.mark.django_db
@needs_postgresql
def test_the_floor_of_a_count_reads_back_the_counted_value():
    stored_events()

    floor = value_floor(Event.objects.count)
    Event.objects.all().delete()

    assert floor() == 3


def figures(mine: float, floor: float) -> dict:
    return {"mine": {"seconds": mine}, "floor": {"seconds": floor}}


def test_a_call_beating_its_floor_by_more_than_the_noise_fails_the_run(capsys):
    assert check({"events()": figures(mine=0.080, floor=0.100)}) == 1
    assert "FLOOR BEATEN: events(): 80.0 ms against a floor of 100.0 ms" in capsys.readouterr().err


def test_a_call_within_the_noise_of_its_floor_passes(capsys):
    assert check({"events()": figures(mine=0.095, floor=0.100)}) == 0
    assert capsys.readouterr().err == ""


def test_a_quick_run_names_a_beaten_floor_without_failing(capsys):
    assert check({"events()": figures(mine=0.080, floor=0.100)}, quick=True) == 0
    assert "FLOOR BEATEN: events(): 80.0 ms" in capsys.readouterr().err


@pytest.mark.django_db
@needs_postgresql
def test_a_listed_answer_is_read_back_in_its_order_with_its_repeated_events():
    ids = stored_events()
    repeated = [ids[2], ids[0], ids[2], ids[1]]

    read = by_id(Event.objects.all(), repeated, ("source__group",))
    Event.objects.all().delete()  # the floor reads its own table
    with CaptureQueriesContext(connection) as queries:
        built = list(read.all())

    assert [(event.id, event.source.group.name) for event in built] == [(id, "club") for id in repeated]
    assert len(queries) == 1


@pytest.mark.django_db
@needs_postgresql
def test_the_floor_of_a_page_of_groups_reads_back_their_aggregate_rows_alone():
    source = helpers.source("comments")
    source.group_by = "photo"
    source.save()
    newsfeed, reader, ann, ben = (
        helpers.medium(),
        helpers.entity("reader"),
        helpers.entity("Ann"),
        helpers.entity("Ben"),
    )
    helpers.subscribe(newsfeed, source, reader)
    for photo, actor in [(1, ann), (1, ben), (1, ann), (2, ben)]:
        Event.objects.create_event(source=source, context={"photo": photo}, actors=[actor])
    groups = newsfeed.entity_event_groups(reader)[:20]
    assert [(group.key, group.count, group.actor_count) for group in groups] == [(2, 1, 1), (1, 3, 2)]

    floor = groups_floor(groups)
    Event.objects.all().delete()  # the floor reads its own table
    with CaptureQueriesContext(connection) as queries:
        assert floor() == 2
    assert len(queries) == 1
    (table,) = {query["sql"].split()[-1] for query in queries.captured_queries}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c2, c3, c5, c6, c7 FROM {table}")  # key, count, events, actors, actor count
        assert cursor.fetchall() == [
            ("2", 1, [groups[0].newest.pk], [ben.pk], 1),
            ("1", 3, [event.pk for event in groups[1].events], [ann.pk, ben.pk], 2),
        ]
