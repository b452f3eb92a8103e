"""benchmarks/capacity.py: the events it routes, its badge-counting processes, and its table."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from capacity import line, messages_line, processes_line, store_routed
from django.db import connection
from world import build_world

from entity_event.models import Event

CAPACITY = Path(__file__).resolve().parent.parent / "capacity.py"


def cell(seconds: float, floor_seconds: float, queries: int = 1, rows: int = 0) -> dict:
    """The figures ``measure.compare`` gives, for a call of ``seconds`` beside a floor."""
    mine = {"seconds": seconds, "queries": queries, "rows": rows, "peak_mb": 0.0}
    return {"mine": mine, "floor": {**mine, "seconds": floor_seconds}}


@pytest.mark.django_db
def test_the_events_routed_are_exactly_as_many_as_asked_whatever_was_stored_before():
    world = build_world(20, sources=2, broadcast_sources=1, prefix="c-", team_size=10)
    Event.objects.create_events([{"source": world.sources[0], "context": {}}] * 3)

    store_routed(world, 5)

    stored = set(Event.objects.values_list("uuid", flat=True))
    assert stored == {f"c-newsfeed-11-{n}" for n in range(5)}  # planned as the benchmark plans them


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the counting process connects by a PostgreSQL URL"
)
def test_a_badge_counting_process_counts_the_badge_for_its_seconds_from_go():
    from delivery import database_url

    world = build_world(20, sources=2, broadcast_sources=1, prefix="b-", team_size=10)
    Event.objects.create_events([{"source": world.sources[0], "context": {}}] * 3)  # to everyone
    inbox = world.newsfeed.inbox(world.users[0])
    spec = {"medium": world.newsfeed.id, "entity": world.users[0].id, "seconds": 0.2}
    process = subprocess.Popen(
        [sys.executable, str(CAPACITY), "--badges", json.dumps(spec)],
        env={**os.environ, "DATABASE_URL": database_url()},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    assert process.stdout.readline() == "ready\n"  # Django set up, the badge counted once
    counted, _errors = process.communicate("go\n", timeout=60)

    assert process.returncode == 0
    assert int(counted) > 0
    assert inbox.unseen_count(limit=100) == 3  # it only read the badge


def test_a_capacity_is_the_units_of_a_median_run_per_second_beside_its_floor():
    created = line(
        "events created per second", "``create_events``", cell(2.0, 1.6, queries=25), "events", 10_000
    )

    assert created == (
        "events created per second",
        "5,000 events/s",
        "``create_events``",
        "2.00 s",
        "1.60 s",
        "1.25x",
        "25",
    )


def test_badges_counted_in_several_processes_add_up_and_are_shown_per_process_too():
    badges = {"calls": [300, 200], "seconds": 5.0}

    shown = processes_line(badges)

    assert shown[:3] == (
        "badge counts per second, 2 processes at once",
        "100 counts/s",
        "50 counts/s per process, for 5 s",
    )


def test_a_worker_sends_its_messages_in_its_time_less_a_worker_start_up():
    messages = {"sent": 10_000, "seconds": 21.0, "start_up": 1.0, "members": 500, "failed": False}

    shown = messages_line(messages)

    assert shown[1] == "500 messages/s"
    assert shown[2] == "one ``db_worker``, 10,000 deliveries, its 1.00 s of start-up not counted"
    assert shown[3] == "20.00 s"
