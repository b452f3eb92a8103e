"""benchmarks/history.py: the history it writes, and how it judges its figures."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.db import connection
from django.db.models import Count, Max, Min
from django.utils import timezone
from history import (
    PHOTOS,
    TARGETS,
    group_by_photo,
    handled_by_email,
    prune_row,
    row,
    spent_lines,
    statement_kind,
    statement_problems,
    within,
    write_history,
)
from world import build_world

from entity_event.models import Event, EventActor

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the history is written with PostgreSQL's generate_series"
)


def cell(seconds: float, queries: int = 1, rows: int = 0, floor_seconds: float = 0.001) -> dict:
    """The figures ``measure.compare`` gives, for a call of ``seconds`` beside a floor."""
    mine = {"seconds": seconds, "queries": queries, "rows": rows, "peak_mb": 0.0}
    return {"mine": mine, "floor": {**mine, "seconds": floor_seconds}}


@pytest.mark.django_db
@needs_postgresql
def test_the_history_is_stored_as_create_events_stores_events_over_a_year_with_one_to_three_actors():
    world = build_world(40, sources=3, broadcast_sources=1, prefix="h-", team_size=10)
    write_history(world, 30)

    events = Event.objects.order_by("id")
    assert events.count() == 30
    times = list(events.values_list("time", flat=True))
    steps = {round((later - earlier) / timedelta(milliseconds=1)) for earlier, later in pairwise(times)}
    assert steps == {round(timedelta(days=365) / 30 / timedelta(milliseconds=1))}  # over a year
    assert timezone.now() - times[-1] < timedelta(minutes=1)  # up to now
    assert set(events.values_list("time_expires", flat=True)) == {Event().time_expires}  # the default
    assert set(events.values_list("source", flat=True)) == {source.id for source in world.sources}
    assert events.first().context == {"number": 1, "title": "Event 1", "photo": 0}
    actors = events.annotate(actors=Count("eventactor"), distinct=Count("eventactor__entity", distinct=True))
    assert {(event.actors, event.distinct) for event in actors} == {(1, 1), (2, 2), (3, 3)}
    teams = {team.id for team in world.teams}
    first_actors = EventActor.objects.values("event").annotate(first=Min("id")).values_list("first")
    acting_teams = EventActor.objects.filter(id__in=first_actors, entity__in=teams)
    assert sorted(acting_teams.values_list("event__context__number", flat=True)) == [10, 20, 30]
    assert world.newsfeed.entity_events(world.users[0]).exists()  # routing finds them


@pytest.mark.django_db
@needs_postgresql
def test_the_first_source_groups_its_events_by_the_photo_each_source_takes_in_turn():
    world = build_world(40, sources=2, broadcast_sources=1, prefix="p-", team_size=10)
    group_by_photo(world)
    write_history(world, 4 * PHOTOS)

    photos = Event.objects.filter(source=world.sources[0]).values_list("context__photo", flat=True)
    assert sorted(photos) == sorted(list(range(PHOTOS)) * 2)
    groups = world.newsfeed.entity_event_groups(world.users[0], window=timedelta(days=365))
    assert [group.count for group in groups if group.source == world.sources[0]] == [2] * PHOTOS


@pytest.mark.django_db
@needs_postgresql
def test_the_email_job_has_handled_all_but_the_newest_events():
    world = build_world(10, sources=2, broadcast_sources=1, prefix="e-", team_size=5)
    write_history(world, 12)

    handled_by_email(world.email, 3)

    newest = Event.objects.aggregate(newest=Max("id"))["newest"]
    unseen = world.email.get_filtered_events(seen=False).values_list("id", flat=True)
    assert sorted(unseen) == [newest - 2, newest - 1, newest]


def test_a_statement_of_pruning_is_known_by_the_table_it_deletes_from():
    assert statement_kind('DELETE FROM "entity_event_eventactor" WHERE "event_id" IN (...)') == (
        "delete from entity_event_eventactor"
    )
    locking = 'SELECT "id" FROM "entity_event_event" WHERE ... FOR UPDATE'
    assert statement_kind(locking) == "select and lock the batch"


def test_a_target_is_met_up_to_its_limit_and_missed_beyond():
    assert within(3.0, 3.0, "floor") == ("3x floor: met", True)
    assert within(3.01, 3.0, "floor") == ("3x floor: MISSED", False)


def test_a_page_is_held_against_its_floor_and_a_bounded_call_against_the_same_call_on_no_events():
    page = "``entity_events(user)[:20]``, newest page"
    assert TARGETS[page] == "floor"
    line, met = row(page, cell(0.004, 2, 20, floor_seconds=0.001), cell(0.001), 100)
    assert line[1:5] == ("20", "4.0 ms, 2 q", "1.0 ms, 2 q", "4.00x") and line[-1] == "3x floor: MISSED"
    assert met is False

    nothing_new = "email ``events_targets(seen=False)``, nothing new"
    line, met = row(nothing_new, cell(0.020, 6, floor_seconds=0.001), cell(0.010, 6), 100)
    assert line[4:] == ("20.00x", "10.0 ms, 6 q", "2.00x", "3x no events: met") and met is True


def test_creation_is_shown_as_throughput_and_held_against_its_throughput_on_no_events():
    line, met = row("``create_events`` throughput", cell(2.0, 5), cell(1.0, 5), 10_000)
    assert (line[1], line[5], line[6]) == ("5,000 events/s", "10,000 events/s", "2.00x")
    assert (line[-1], met) == ("1.5x no events: MISSED", False)


def test_a_call_without_a_target_is_shown_without_a_verdict():
    line, met = row("``inbox.unseen_count()``, never marked", cell(0.002, rows=7), None, 100)
    assert (line[1], line[5], line[6], line[7], met) == ("7", "", "", "", None)


def pruning(**changes) -> dict:
    figures = {
        "deleted": 500_000,
        "expected": 500_000,
        "seconds": 8.0,
        "statements": 1501,
        "batches": 250,
        "per_batch": 6,
        "per_call": 1,
        "spent": {"delete from entity_event_event": 5.0, "select and lock the batch": 1.0},
    }
    return figures | changes


def test_pruning_is_held_against_half_a_million_events_in_ten_seconds():
    assert prune_row(pruning())[0][-1] == "50k events/s: met (62,500/s)"
    assert prune_row(pruning(seconds=20.0)) == (
        (
            "``prune_events`` of the oldest half",
            "500,000 events",
            "20.0 s, 1501 q",
            "",
            "",
            "",
            "",
            "50k events/s: MISSED (25,000/s)",
        ),
        False,
    )


def test_where_pruning_time_goes_ends_with_what_no_statement_took():
    assert spent_lines(pruning()) == [
        ("delete from entity_event_event", "5.00 s", "62%"),
        ("select and lock the batch", "1.00 s", "12%"),
        ("commits and Python", "2.00 s", "25%"),
    ]


def test_statements_growing_with_the_history_or_beyond_the_batches_are_problems():
    nothing_new = "email ``events_targets(seen=False)``, nothing new"
    badge = "``inbox.unseen_count()``, marked everything"
    history = {nothing_new: cell(1.0, 6), badge: cell(1.0, 1)}
    empty = {nothing_new: cell(0.1, 6), badge: cell(0.1, 1)}
    assert statement_problems(history, empty, pruning()) == []

    history[nothing_new] = cell(1.0, 7)
    assert statement_problems(history, empty, pruning(statements=1502, deleted=499_999)) == [
        f"{nothing_new} sends 7 statements on the history, 6 on no events",
        "prune_events deleted 499,999 events, not 500,000",
        "prune_events sent 1502 statements for 250 batches, not 6 per batch and the 1 of any call",
    ]
