"""Benchmark of the inbox (per-entity read state) in the large world, each figure next to its floor.

The world is the large one of ``benchmarks/world.py``: 5,000 users, 20,000 events. Half the
events are stored, a tenth of the users mark everything seen, the other half is stored, and
40,000 single marks are scattered over 2,000 users (seen marks above the watermark, unseen ones
below it). The floor of a read is its exact answer read back from a table holding exactly its
rows (floors.py); that of marking everything reads back the count it returns and writes the one
row it must (the watermark). A call faster than its floor by more than 10% fails the run
(exit status 1, after writing the docs file of a full run).

Every figure is taken twice: with the server's JIT setting (Debian's PostgreSQL 15 has
``jit = on``; the embedded wheel has no JIT), and with ``SET jit = off`` for the session. The
set-up runs with JIT off, so that building the world does not wait on compilations. The
library itself never changes a server setting.

    python benchmarks/inbox.py              # the large world; rewrites docs/read-state-figures.inc
    python benchmarks/inbox.py --server embedded --server 'postgres:///bench?host=/var/run/postgresql'
    python benchmarks/inbox.py --quick      # a tenth of it, printed only
    python benchmarks/inbox.py --explain    # also print the PostgreSQL plans of the reads

Each server (that of DATABASE_URL, else the embedded one; or those of ``--server``) is measured
in a child process; one run writes the figures of all of them.
"""

import argparse
import json
import os
import random
import sys
from pathlib import Path

import provenance
from database import ROOT, setup_django, throwaway_database
from floors import check, rows_floor, value_floor
from servers import add_server_option, chosen, measure_on

USERS, EVENTS, SOURCES, BROADCAST = 5000, 20000, 16, 1
MARKING_EVERYTHING = slice(5, None, 10)  # a tenth of the users, none of them subscribed on their own
SCATTERED_USERS, SCATTERED_MARKS = 2000, 20
PAGE = 20
JIT_SETTINGS = {"default": "the server's JIT setting", "off": "``SET jit = off`` for the session"}
COLUMNS = ("operation", "reader", "inbox", "floor", "ratio", "planner cost, inbox / floor")

DOCS_FIGURES = ROOT / "docs" / "read-state-figures.inc"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the users and events; write nothing")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the reads")
    add_server_option(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # measure here, write the JSON there
    arguments = parser.parse_args()
    divisor = 10 if arguments.quick else 1
    if arguments.child:
        return measure_here(USERS // divisor, EVENTS // divisor, arguments.explain, Path(arguments.child))
    passed_on = [option for option in ("--quick", "--explain") if getattr(arguments, option[2:])]
    run = provenance.start()
    run["servers"] = [measure_on(server, __file__, passed_on) for server in chosen(arguments.server)]
    provenance.finish(run)
    if not arguments.quick:
        write_docs(run)
    return check(
        {
            f"{result['server']['label']}: {cell}": figures
            for result in run["servers"]
            for cell, figures in result["cells"].items()
        },
        quick=arguments.quick,
    )


def measure_here(users: int, events: int, explain: bool, output: Path) -> int:
    """Measure on the server of DATABASE_URL (else the embedded one) and write the figures to ``output``."""
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"The benchmark needs PostgreSQL; DATABASE_URL points to {connection.vendor}.", file=sys.stderr)
        return 2
    with throwaway_database(f"entity_event_inbox_bench_{os.getpid()}"):
        output.write_text(json.dumps(measure(users, events, explain=explain)))
    return 0


def measure(users: int, events: int, explain: bool) -> dict:
    """Build the world, then every read and ``mark_seen()`` against its floor, for each JIT setting."""
    from world import build_world

    server = provenance.server_info()
    print(f"... building {users:,} users, {events:,} events on {server['label']}", file=sys.stderr)
    world = build_world(users, SOURCES, BROADCAST)
    set_jit("off")  # the set-up only; see the module docstring
    marks = fill(world, events)
    caption = (
        f"{users:,} users and {events:,} events; half the events stored, a tenth of the users marking "
        f"everything seen, the other half stored, then {marks:,} single marks scattered over "
        f"{min(SCATTERED_USERS, users):,} users"
    )
    newsfeed = world.newsfeed
    readers = {"marked everything": world.users[5], "never marked": world.users[7]}
    tables, costs, cells = {}, [], {}
    for jit in JIT_SETTINGS:
        set_jit(jit)
        lines, jit_cells = [], {}
        for label, entity in readers.items():
            for name, (mine, floor) in reads(newsfeed, entity).items():
                lines.append(line(name, label, mine, floor, costs, jit_cells))
            if explain:
                explain_reads(newsfeed, entity, label)
        for size, entity in (("few events", world.users[9]), ("many events", world.users[6])):
            mine, floor, reset = mark_everything(newsfeed, entity)
            name = f"``mark_seen()`` of everything, {size}"
            lines.append(line(name, "never marked", mine, floor, costs, jit_cells, reset))
        print(f"\nInbox, {caption}; {JIT_SETTINGS[jit]} (medians; queries)\n")
        print(provenance.plain_table(COLUMNS, lines), flush=True)
        tables[jit] = lines
        cells |= {f"{cell} (jit {jit})": figures for cell, figures in jit_cells.items()}
    return {
        "server": server,
        "caption": caption,
        "tables": tables,
        "highest_cost": max(costs),
        "cells": cells,
    }


def set_jit(value: str) -> None:
    """JIT compilation for this session: ``off``, or the server's ``default``."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET jit = {'DEFAULT' if value == 'default' else 'off'}")


def fill(world, events: int) -> int:
    """Store the events in two halves, a tenth of the users marking everything in between, then
    scatter single marks; how many."""
    from world import create_planned_events, plan_events

    from entity_event.models import Event, InboxMark

    planned = plan_events(world, events)
    create_planned_events(planned[: events // 2])
    analyze()
    for entity in world.users[MARKING_EVERYTHING]:
        world.newsfeed.inbox(entity).mark_seen()
    create_planned_events(planned[events // 2 :])
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    middle = ids[len(ids) // 2]
    chance = random.Random(11)
    marking = {entity.pk for entity in world.users[MARKING_EVERYTHING]}
    marks = {}
    for entity in chance.sample(world.users, min(SCATTERED_USERS, len(world.users))):
        for event_id in chance.sample(ids, SCATTERED_MARKS):
            below = entity.pk in marking and event_id < middle
            marks[entity.pk, event_id] = InboxMark(
                entity=entity, medium=world.newsfeed, event_id=event_id, seen=not below
            )
    InboxMark.objects.bulk_create(marks.values(), batch_size=5000)
    analyze()
    return len(marks)


def analyze() -> None:
    """Give the planner the statistics that autovacuum keeps on a live database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def reads(newsfeed, entity) -> dict:
    """Each read of the entity's inbox and its floor, by name; every read returns its row count
    (``unseen_count()`` its count)."""
    from entity_event.inbox import older_than

    inbox = newsfeed.inbox(entity)
    received = newsfeed.entity_events(entity)
    deep = list(received.values_list("time", "id")[received.count() * 9 // 10 :][:1])[0]
    pages = {
        f"first page of {PAGE} with ``is_seen``": lambda: inbox.events()[:PAGE],
        f"page of {PAGE} at 90% of the feed (keyset)": lambda: older_than(inbox.events(), *deep)[:PAGE],
        f"page of {PAGE} unseen events": lambda: inbox.events(seen=False)[:PAGE],
    }
    return {
        "``unseen_count()``": (inbox.unseen_count, value_floor(inbox.unseen_count)),
        **{name: (lambda page=page: len(list(page())), rows_floor(page())) for name, page in pages.items()},
    }


def mark_everything(newsfeed, entity) -> tuple:
    """``mark_seen()`` from a fresh inbox, its floor and the reset. The floor reads back the answer
    (the count of the events it marks, ``unseen_count()``'s from a fresh inbox) and writes the
    one row it must: the watermark at the newest event."""
    from django.db.models import Max

    from entity_event.models import Event, InboxMark, InboxWatermark

    inbox = newsfeed.inbox(entity)

    def reset() -> None:
        InboxWatermark.objects.filter(entity=entity, medium=newsfeed).delete()
        InboxMark.objects.filter(entity=entity, medium=newsfeed).delete()

    reset()
    answer = value_floor(inbox.unseen_count)
    newest = Event.objects.aggregate(newest=Max("id"))["newest"]

    def floor() -> int:
        InboxWatermark.objects.create(entity=entity, medium=newsfeed, seen_up_to=newest)
        return answer()

    return inbox.mark_seen, floor, reset


def line(name: str, reader: str, mine, floor, costs: list, cells: dict, reset=None) -> tuple:
    """One line of the table: both timed (medians, queries), their ratio and their planner costs,
    which are also added to ``costs``; its figures go to ``cells`` under its name and reader."""
    from measure import compare

    both = [planner_cost(action, reset) for action in (mine, floor)]
    costs += both
    figures = compare(mine, floor, runs=5, reset=reset)
    cells[f"{name}, {reader}"] = figures
    mine_figure, floor_figure = figures["mine"], figures["floor"]

    def cell(figure: dict) -> str:
        return f"{figure['seconds'] * 1000:.1f} ms, {figure['queries']} q"

    ratio = mine_figure["seconds"] / floor_figure["seconds"] if floor_figure["seconds"] else float("nan")
    return (
        name,
        reader,
        cell(mine_figure),
        cell(floor_figure),
        f"{ratio:.2f}x",
        " / ".join(f"{cost:,.0f}" for cost in both),
    )


def planner_cost(action, reset=None) -> float:
    """The highest total cost PostgreSQL's planner estimates for the statements of ``action``.

    JIT compiles a statement only when that estimate exceeds ``jit_above_cost``.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if reset:
        reset()
    with CaptureQueriesContext(connection) as captured:
        action()
    costs = []
    with connection.cursor() as cursor:
        for statement in captured.captured_queries:
            if statement["sql"].split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
                cursor.execute(f"EXPLAIN (FORMAT JSON) {statement['sql']}")
                plan = cursor.fetchone()[0]
                costs.append(plan[0]["Plan"]["Total Cost"])
    return max(costs)


def explain_reads(newsfeed, entity, label: str) -> None:
    """EXPLAIN ANALYZE of the very statements the reads send."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    inbox = newsfeed.inbox(entity)
    for name, read in (
        ("unseen_count()", inbox.unseen_count),
        ("page with is_seen", lambda: list(inbox.events()[:PAGE])),
    ):
        with CaptureQueriesContext(connection) as captured:
            read()
        (statement,) = captured.captured_queries
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement['sql']}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n--- {name}, {label}\n{plan}\n")


def jit_compiles(result: dict) -> bool:
    """Whether a statement measured costs more than the threshold of JIT (-1 turns JIT off)."""
    threshold = float(result["server"]["jit_above_cost"])
    return 0 <= threshold < result["highest_cost"]


def write_docs(run: dict) -> None:
    """The reStructuredText included by docs/read_state.rst: one part per server."""
    text = []
    for result in run["servers"]:
        server = result["server"]
        text += [
            *provenance.server_heading(server),
            f"**World**: {result['caption']}.",
            "",
            f"The highest cost the planner estimates for any statement below, inbox or floor, is "
            f"{result['highest_cost']:,.0f}; with ``jit = on`` PostgreSQL JIT-compiles a statement whose "
            f"estimate exceeds ``jit_above_cost`` ({server['jit_above_cost']} here), so "
            + ("some of them are compiled." if jit_compiles(result) else "none of them is compiled."),
            "",
        ]
        for jit, lines in result["tables"].items():
            text += [f"**With {JIT_SETTINGS[jit]}**:", "", provenance.plain_table(COLUMNS, lines), ""]
    provenance.write_figures(DOCS_FIGURES, "inbox.py", run, text)
    print(f"\nWrote {DOCS_FIGURES.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
