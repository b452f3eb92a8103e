"""Benchmark of the inbox (per-entity read state) in the large world, each figure next to its floor.

The world is the large one of ``benchmarks/world.py``: 5,000 users, 20,000 events. Half the
events are stored, a tenth of the users mark everything seen, the other half is stored, and
40,000 single marks are scattered over 2,000 users (seen marks above the watermark, unseen ones
below it). The floor of a read is the same routing without read state
(``medium.entity_events(entity)``); marking everything is compared with the count it returns.

Every figure is taken twice: with the server's JIT setting (Debian's PostgreSQL 15 has
``jit = on``; the embedded wheel has no JIT), and with ``SET jit = off`` for the session. The
set-up runs with JIT off, so that building the world does not wait on compilations. The
library itself never changes a server setting.

    python benchmarks/inbox.py              # the large world
    python benchmarks/inbox.py --quick      # a tenth of it
    python benchmarks/inbox.py --explain    # also print the PostgreSQL plans of the reads
"""

import argparse
import random
import sys

from database import setup_django, throwaway_database

USERS, EVENTS, SOURCES, BROADCAST = 5000, 20000, 16, 1
MARKING_EVERYTHING = slice(5, None, 10)  # a tenth of the users, none of them subscribed on their own
SCATTERED_USERS, SCATTERED_MARKS = 2000, 20
PAGE = 20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the users and events")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the reads")
    arguments = parser.parse_args()
    setup_django()
    divisor = 10 if arguments.quick else 1
    with throwaway_database("bench_inbox"):
        run(USERS // divisor, EVENTS // divisor, explain=arguments.explain)


def run(users: int, events: int, explain: bool) -> None:
    from world import build_world

    print(f"... building {users:,} users, {events:,} events", file=sys.stderr)
    world = build_world(users, SOURCES, BROADCAST)
    set_jit("off")  # the set-up only; see the module docstring
    fill(world, events)
    newsfeed = world.newsfeed
    readers = {"marked everything": world.users[5], "never marked": world.users[7]}
    for jit in ("default", "off"):
        set_jit(jit)
        print(f"\nInbox, {users:,} users x {events:,} events, jit {jit} (median; queries)\n")
        print(f"{'operation':<40} {'reader':<18} {'inbox':>18} {'floor':>18} {'ratio':>6}")
        for label, entity in readers.items():
            for name, figures in measure_reads(newsfeed, entity).items():
                show(name, label, figures)
            if explain:
                explain_reads(newsfeed, entity, label)
        for size, entity in (("small inbox", world.users[9]), ("large inbox", world.users[6])):
            figures = measure_mark_everything(newsfeed, entity)
            show(f"mark_seen() of all, {size}", "never marked", figures)


def set_jit(value: str) -> None:
    """JIT compilation for this session: ``off``, or the server's ``default``."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET jit = {'DEFAULT' if value == 'default' else 'off'}")


def fill(world, events: int) -> None:
    """Store the events in two halves, a tenth of the users marking everything in between, then
    scatter single marks."""
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


def analyze() -> None:
    """Give the planner the statistics that autovacuum keeps on a live database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure_reads(newsfeed, entity) -> dict:
    from measure import compare

    from entity_event.web.inbox_views import _older_than

    inbox = newsfeed.inbox(entity)
    received = newsfeed.entity_events(entity)
    deep = list(received.values_list("time", "id")[received.count() * 9 // 10 :][:1])[0]
    return {
        "unseen_count()": compare(inbox.unseen_count, received.count, runs=5),
        f"first page of {PAGE} with is_seen": compare(
            lambda: len(list(inbox.events()[:PAGE])), lambda: len(list(received[:PAGE])), runs=5
        ),
        f"page of {PAGE} at 90% depth": compare(
            lambda: len(list(_older_than(inbox.events(), *deep)[:PAGE])),
            lambda: len(list(inbox.events()[:PAGE])),
            runs=5,
        ),
        f"unseen page of {PAGE}": compare(
            lambda: len(list(inbox.events(seen=False)[:PAGE])), lambda: len(list(received[:PAGE])), runs=5
        ),
    }


def measure_mark_everything(newsfeed, entity) -> dict:
    """``mark_seen()`` from a fresh inbox each run, against the unseen count it has to return."""
    from measure import compare

    from entity_event.models import InboxMark, InboxWatermark

    inbox = newsfeed.inbox(entity)

    def reset() -> None:
        InboxWatermark.objects.filter(entity=entity, medium=newsfeed).delete()
        InboxMark.objects.filter(entity=entity, medium=newsfeed).delete()

    return compare(inbox.mark_seen, inbox.unseen_count, runs=5, reset=reset)


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


def show(name: str, reader: str, figures: dict) -> None:
    mine, floor = figures["mine"], figures["floor"]

    def cell(figure: dict) -> str:
        return f"{figure['seconds'] * 1000:.1f} ms; {figure['queries']} q"

    ratio = mine["seconds"] / floor["seconds"] if floor["seconds"] else float("nan")
    print(f"{name:<40} {reader:<18} {cell(mine):>18} {cell(floor):>18} {ratio:>5.2f}x")


if __name__ == "__main__":
    main()
