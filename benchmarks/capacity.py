"""Capacity figures for docs/scaling_out.rst: what one server, one core and one worker get through.

In one throwaway database on each PostgreSQL server, for the world stated in the figures file:

- events created per second: ``create_events`` of planned events (one to three actors each) in
  batches of ``world.EVENT_BATCH``, beside its floor (the same rows in two INSERTs per batch);
- (event, target) pairs routed per second: ``events_targets()`` and ``iter_events_targets()`` of
  the newsfeed over the events stored, beside their floor (the answer read back);
- badge counts per second per core: ``inbox.unseen_count(limit=100)`` called over and over in one
  process and one thread, beside its floor (the count read back); then the same calls in as many
  processes as the machine has cores, all at once, to show how the rate adds up;
- messages sent per second per worker: one ``db_worker`` process sending a club's deliveries,
  net of a worker's start-up (that of a worker finding nothing to send, measured first).

The messages come from the helpers of ``delivery.py`` (the club, the outbox, the workers), run
with one worker: ``delivery.py`` measures four workers together, start-up included, which on a
machine with fewer cores than workers and the database is not four times one worker's rate.

    python benchmarks/capacity.py              # both servers; rewrites docs/capacity-figures.inc
    python benchmarks/capacity.py --server embedded
    python benchmarks/capacity.py --quick      # a tenth of the sizes, printed only

The run fails (exit status 1) when a call beats its floor by more than 10% (a full run only),
or when the worker sends other than every delivery planned.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import provenance
from database import ROOT, setup_django, throwaway_database
from floors import check, pairs_floor, value_floor
from servers import add_server_option, measure_on

#: The default servers: the embedded one and Debian's PostgreSQL 15 (see docs/performance.rst).
SERVERS = ["embedded", "postgres:///benchfloors?host=/var/run/postgresql"]

USERS, TEAM_SIZE, SOURCES, BROADCAST = 1000, 50, 10, 2
CREATED, ROUTED, DELIVERIES = 10_000, 2_000, 10_000  # a tenth of each in --quick
BADGE_LIMIT, BADGE_SECONDS, QUICK_BADGE_SECONDS = 100, 5.0, 1.0
READER = 12  # the badge's reader, by its index among the world's users
RUNS = 5

COLUMNS = ("capacity", "rate", "call", "time", "floor", "vs floor", "queries")

DOCS_FIGURES = ROOT / "docs" / "capacity-figures.inc"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes; write nothing")
    add_server_option(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # measure here, write the JSON there
    parser.add_argument("--badges", help=argparse.SUPPRESS)  # count badges, as the JSON says
    arguments = parser.parse_args()
    if arguments.badges:
        return count_badges(json.loads(arguments.badges))
    if arguments.child:
        return measure_here(arguments.quick, Path(arguments.child))
    run = provenance.start()
    servers = arguments.server or SERVERS
    run["servers"] = [measure_on(server, __file__, ["--quick"] * arguments.quick) for server in servers]
    provenance.finish(run)
    failed = any(result["failed"] for result in run["servers"])
    floors = check(
        {
            f"{result['server']['label']}: {name}": cell
            for result in run["servers"]
            for name, cell in result["floored"].items()
        },
        quick=arguments.quick,
    )
    if not (failed or floors or arguments.quick):
        write_docs(run)
    return 1 if failed or floors else 0


def measure_here(quick: bool, output: Path) -> int:
    """Measure on the server of DATABASE_URL (else the embedded one) and write the figures to ``output``."""
    from delivery import use_outbox

    outbox = use_outbox()
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"The benchmark needs PostgreSQL; DATABASE_URL points to {connection.vendor}.", file=sys.stderr)
        return 2
    with throwaway_database(f"entity_event_capacity_bench_{os.getpid()}"):
        output.write_text(json.dumps(measure(quick, outbox)))
    return 0


def measure(quick: bool, outbox: Path) -> dict:
    """The four capacities, on one server; the table's lines and the figures behind them."""
    from routing import analyze
    from world import EVENT_BATCH, build_world

    divisor = 10 if quick else 1
    created, routed, deliveries = CREATED // divisor, ROUTED // divisor, DELIVERIES // divisor
    users = USERS // divisor
    server = provenance.server_info()
    print(f"... capacity on {server['label']}", file=sys.stderr)
    # First the club and its deliveries, whose events the creation's runs then prune.
    messages = messages_per_worker(outbox, deliveries)
    world = build_world(users, SOURCES, BROADCAST, prefix="world-", team_size=TEAM_SIZE)
    creation = events_created(world, created)
    store_routed(world, routed)
    analyze()
    pairs = pairs_routed(world.newsfeed)
    badges = badge_counts(world, QUICK_BADGE_SECONDS if quick else BADGE_SECONDS)
    targets = pairs["``events_targets()``"]["mine"]["rows"] / routed
    caption = (
        f"{users:,} users in an organisation and teams of {TEAM_SIZE}, {SOURCES} sources ({BROADCAST} "
        f"of them to everyone); events with one to three actors, created in batches of {EVENT_BATCH:,} "
        f"({created:,} per run), routed {routed:,} at a time on the newsfeed, where an event reaches "
        f"{targets:,.0f} entities on average; a club of {messages['members']:,} members for the messages"
    )
    lines = [
        line("events created per second", "``create_events``", creation, "events", created),
        *(
            line("pairs routed per second", call, cell, "pairs", cell["mine"]["rows"])
            for call, cell in pairs.items()
        ),
        line(
            "badge counts per second per core",
            f"``unseen_count(limit={BADGE_LIMIT})``",
            badges["one"],
            "counts",
            1,
        ),
        processes_line(badges),
        messages_line(messages),
    ]
    print(f"\nCapacity, {caption} (medians)\n")
    print(provenance.plain_table(COLUMNS, lines), flush=True)
    return {
        "server": server,
        "caption": caption,
        "lines": lines,
        "floored": {
            "create_events": creation,
            **pairs,
            "unseen_count": badges["one"],
        },
        "failed": messages["failed"],
    }


def compare(mine, floor, reset=None, runs: int = RUNS) -> dict:
    from measure import compare as timed

    return timed(mine, floor, runs, reset=reset)


def events_created(world, created: int) -> dict:
    """``create_events`` of ``created`` planned events in batches, each run on an empty table,
    beside the same rows written in two INSERTs per batch; the last run's events stay."""
    from datetime import timedelta
    from itertools import count

    from django.utils import timezone
    from routing import insert_events
    from world import EVENT_BATCH, create_planned_events, plan_events

    from entity_event.retention import prune_events

    planned, uuids = plan_events(world, created), count()

    def fresh() -> list[dict]:
        return [{**request, "uuid": f"created-{next(uuids)}"} for request in planned]

    def floor() -> int:
        requests = fresh()
        return sum(
            insert_events(requests[start : start + EVENT_BATCH]) for start in range(0, created, EVENT_BATCH)
        )

    def empty() -> None:
        prune_events(timezone.now() + timedelta(days=1))

    return compare(lambda: create_planned_events(fresh()), floor, reset=empty, runs=3)


def store_routed(world, routed: int) -> None:
    """Leave exactly ``routed`` events, created as the benchmark created them."""
    from datetime import timedelta

    from django.utils import timezone
    from world import create_planned_events, plan_events

    from entity_event.retention import prune_events

    prune_events(timezone.now() + timedelta(days=1))
    create_planned_events(plan_events(world, routed, seed=11))


def pairs_routed(medium) -> dict:
    """``events_targets()`` and ``iter_events_targets()`` of every event stored, each beside its floor."""
    from routing import count

    from entity_event.routing import DEFAULT_CHUNK_SIZE

    listed, _ids = pairs_floor(medium.events_targets())
    streamed, _ids = pairs_floor(medium.iter_events_targets(), chunk_size=DEFAULT_CHUNK_SIZE)
    return {
        "``events_targets()``": compare(lambda: count(medium.events_targets()), listed),
        "``iter_events_targets()``": compare(lambda: count(medium.iter_events_targets()), streamed),
    }


def badge_counts(world, seconds: float) -> dict:
    """One reader's badge counted in this process beside its floor, then in one process per core
    for ``seconds`` at once; the figures, the processes' calls and their seconds."""
    from delivery import database_url

    inbox = world.newsfeed.inbox(world.users[READER])

    def badge() -> int:
        return inbox.unseen_count(limit=BADGE_LIMIT)

    one = compare(badge, value_floor(badge))
    spec = {"medium": world.newsfeed.id, "entity": world.users[READER].id, "seconds": seconds}
    environment = {**os.environ, "DATABASE_URL": database_url()}
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--badges", json.dumps(spec)],
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _core in range(os.cpu_count() or 1)
    ]
    for process in processes:  # each has set Django up and counted once
        if process.stdout.readline().strip() != "ready":
            sys.exit("a badge-counting process failed to start")
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    calls = [int(process.communicate()[0]) for process in processes]
    return {"one": one, "calls": calls, "seconds": seconds}


def count_badges(spec: dict) -> int:
    """In a process of its own: count the badge of ``spec`` over and over for its seconds, from
    the moment the parent says go; print how many times."""
    setup_django()
    from entity.models import Entity

    from entity_event.models import Medium

    inbox = Medium.objects.get(id=spec["medium"]).inbox(Entity.all_objects.get(id=spec["entity"]))
    inbox.unseen_count(limit=BADGE_LIMIT)
    print("ready", flush=True)
    sys.stdin.readline()
    calls, end = 0, time.perf_counter() + spec["seconds"]
    while time.perf_counter() < end:
        inbox.unseen_count(limit=BADGE_LIMIT)
        calls += 1
    print(calls, flush=True)
    return 0


def messages_per_worker(outbox: Path, deliveries: int) -> dict:
    """A club's news planned as ``deliveries`` deliveries, sent by one db_worker; first a worker
    with nothing to send, whose time is a worker's start-up and exit."""
    from delivery import CHANNELS, MEMBERS, build_club, send_with_workers
    from django.test import override_settings

    with override_settings(ENTITY_EVENT_CHANNELS=CHANNELS):
        idle = send_with_workers(1, outbox, 0)
        medium, post = build_club(MEMBERS)
        post(max(deliveries // MEMBERS, 1))
        planned = medium.deliver()
        sent = send_with_workers(1, outbox, planned)
    return {
        "members": MEMBERS,
        "sent": sent["sent"],
        "seconds": sent["seconds"],
        "start_up": idle["seconds"],
        "failed": idle["failed"] or sent["failed"],
    }


# The table.


def duration(seconds: float) -> str:
    return f"{seconds:,.2f} s" if seconds >= 1 else f"{seconds * 1000:,.1f} ms"


def line(capacity: str, call: str, cell: dict, unit: str, per_run: int) -> tuple:
    """A capacity measured beside its floor: ``per_run`` units per median run of the call."""
    mine, floor = cell["mine"], cell["floor"]
    return (
        capacity,
        f"{per_run / mine['seconds']:,.0f} {unit}/s",
        call,
        duration(mine["seconds"]),
        duration(floor["seconds"]),
        f"{mine['seconds'] / floor['seconds']:.2f}x",
        str(mine["queries"]),
    )


def processes_line(badges: dict) -> tuple:
    """The badge counted in one process per core at once: their rate together, and per process."""
    processes, rate = len(badges["calls"]), sum(badges["calls"]) / badges["seconds"]
    return (
        f"badge counts per second, {processes} processes at once",
        f"{rate:,.0f} counts/s",
        f"{rate / processes:,.0f} counts/s per process, for {badges['seconds']:g} s",
        "",
        "",
        "",
        "",
    )


def messages_line(messages: dict) -> tuple:
    """One worker's messages per second, net of a worker's start-up (and exit)."""
    sending = messages["seconds"] - messages["start_up"]
    return (
        "messages sent per second per worker",
        f"{messages['sent'] / sending:,.0f} messages/s",
        f"one ``db_worker``, {messages['sent']:,} deliveries, its {duration(messages['start_up'])} "
        "of start-up not counted",
        duration(sending),
        "",
        "",
        "",
    )


def write_docs(run: dict) -> None:
    """The reStructuredText included by docs/scaling_out.rst: one part per server."""
    text = []
    for result in run["servers"]:
        text += [
            *provenance.server_heading(result["server"]),
            f"**World**: {result['caption']}.",
            "",
            provenance.plain_table(COLUMNS, [tuple(line) for line in result["lines"]]),
            "",
        ]
    provenance.write_figures(DOCS_FIGURES, "capacity.py", run, text)
    print(f"\nWrote {DOCS_FIGURES.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
