"""Benchmark of a long history: the everyday calls at 1,000,000 events (or ``--events N``).

The world is that of issue 20: 2,000 users in an organisation and 20 teams, 10 sources, a
newsfeed and an email medium with group and only-following subscriptions (``world.py``). Every
call is first measured on a database holding no events; then the history is written with SQL
(``INSERT ... SELECT`` over ``generate_series`` into the package's own tables: events spread over
a year, their one to three actors, as ``create_events`` stores them), everything but the newest
1,000 events is marked seen on the email medium and one user marks their whole inbox seen (both
through the package's public calls), and the database is vacuumed and analysed. Each call is then
measured again beside its floor (``floors.py``: its exact answer read back from a table holding
exactly its rows). The first source groups its events by the photo their context names, so that
pages of groups (``groups.py``) are measured on groups of several events; a page of groups'
floor is its groups' aggregate rows (key, count, newest time, shown events, actors). Pruning
the oldest half of the history comes last: it deletes what the rest measures.

Every call runs with the server's JIT setting (Debian's PostgreSQL 15 has ``jit = on``).

    python benchmarks/history.py                       # 1,000,000 events; rewrites docs/history-figures.inc
    python benchmarks/history.py --events 10000000     # ten times more
    python benchmarks/history.py --server embedded --server 'postgres:///bench?host=/var/run/postgresql'
    python benchmarks/history.py --quick               # 20,000 events, printed only

The run fails (exit status 1) when a call beats its floor by more than 10% (a full run only:
quick calls take milliseconds), or when a call stated to cost a bounded amount sends more
statements on the long history than on no events, or pruning's statements grow with more than
its batches (at any size: counting statements is exact). The time targets of the issue are
reported beside each figure, met or missed, and do not change the exit status.
"""

import argparse
import json
import os
import sys
from datetime import timedelta
from itertools import count
from pathlib import Path
from time import perf_counter

import provenance
from database import ROOT, setup_django, throwaway_database
from floors import check, groups_floor, pairs_floor, rows_floor, value_floor
from servers import add_server_option, chosen, measure_on

EVENTS, QUICK_EVENTS = 1_000_000, 20_000
USERS, TEAMS, SOURCES, BROADCAST = 2000, 20, 10, 5
NEW_FOR_EMAIL = 1000  # the newest events, not yet handled by the email job
PAGE = 20
CREATED = 10_000  # events stored by each measured create_events run (a tenth of it in --quick)
FILL_CHUNK = 100_000  # events written per INSERT while building the history
RUNS = 5
#: Every event's context names one of this many photos; the first source groups its events by
#: it (``group_by``), so that the grouped pages have groups of several events.
PHOTOS = 50
GROUPED = "photo"

#: The targets of issue 20, by the kind of comparison they make: a call within 3x of the same
#: call on no events, a page within 3x of its floor, creation within 1.5x of its speed on no
#: events, pruning half a million events in 10 s.
WITHIN_EMPTY, WITHIN_FLOOR, CREATION_SLOWDOWN, PRUNED_PER_SECOND = 3.0, 3.0, 1.5, 50_000

COLUMNS = ("call", "answer", "history", "floor", "vs floor", "no events", "vs no events", "target")

DOCS_FIGURES = ROOT / "docs" / "history-figures.inc"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_EVENTS:,} events; write nothing")
    parser.add_argument("--events", type=int, default=EVENTS, help=f"events of history (default {EVENTS:,})")
    add_server_option(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # measure here, write the JSON there
    arguments = parser.parse_args()
    events = QUICK_EVENTS if arguments.quick else arguments.events
    if events < 2 * NEW_FOR_EMAIL:
        parser.error(f"--events must be at least {2 * NEW_FOR_EMAIL:,}, not {events:,}")
    if arguments.child:
        return measure_here(events, arguments.quick, Path(arguments.child))
    passed_on = ["--events", str(events)] + (["--quick"] if arguments.quick else [])
    run = provenance.start()
    run["servers"] = [measure_on(server, __file__, passed_on) for server in chosen(arguments.server)]
    provenance.finish(run)
    if not arguments.quick:
        write_docs(run)
    floors = check(
        {
            f"{result['server']['label']}: {cell}": figures
            for result in run["servers"]
            for cell, figures in result["floored"].items()
        },
        quick=arguments.quick,
    )
    statements = [problem for result in run["servers"] for problem in result["statement_problems"]]
    for problem in statements:
        print(f"STATEMENTS: {problem}", file=sys.stderr)
    return 1 if floors or statements else 0


def measure_here(events: int, quick: bool, output: Path) -> int:
    """Measure on the server of DATABASE_URL (else the embedded one) and write the figures to ``output``."""
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"The benchmark needs PostgreSQL; DATABASE_URL points to {connection.vendor}.", file=sys.stderr)
        return 2
    with throwaway_database(f"entity_event_history_bench_{os.getpid()}"):
        output.write_text(json.dumps(measure(events, quick)))
    return 0


def measure(events: int, quick: bool) -> dict:
    """Every call on no events, then on ``events`` of history, then pruning; the figures."""
    from world import EVENT_BATCH, build_world

    server = provenance.server_info()
    print(f"... {events:,} events of history on {server['label']}", file=sys.stderr)
    world = build_world(USERS, SOURCES, BROADCAST, team_size=USERS // TEAMS)
    group_by_photo(world)
    calls = Calls(world, CREATED // 10 if quick else CREATED, *((3, 0.2) if quick else (RUNS, 1.0)))
    empty = calls.measure_all(history=False)
    fill(world, events)
    history = calls.measure_all(history=True)
    pruning = prune_half(events)
    rows = [row(name, history[name], empty.get(name), calls.created) for name in history]
    rows.append(prune_row(pruning))
    caption = (
        f"{events:,} events over a year, {USERS:,} users in an organisation and {TEAMS} teams, "
        f"{SOURCES} sources; everything but the newest {NEW_FOR_EMAIL:,} events handled by the "
        "email job; one reader marked everything seen, the other never marked anything; "
        f"``create_events`` stores {calls.created:,} events per run, in batches of {EVENT_BATCH:,}"
    )
    lines = [line for line, _verdict in rows]
    print(f"\nHistory, {caption} (medians; statements)\n")
    print(provenance.plain_table(COLUMNS, lines), flush=True)
    return {
        "server": server,
        "caption": caption,
        "lines": lines,
        "verdicts": [verdict for _line, verdict in rows],
        "pruning": pruning,
        "floored": {name: cell for name, cell in history.items() if "floor" in cell},
        "statement_problems": statement_problems(history, empty, pruning),
    }


# The calls.

#: The readers, by their index among the world's users.
MARKED_EVERYTHING, NEVER_MARKED, FEED_READER = 5, 7, 12

#: What each call's figure is held against: ``"empty"`` the same call on no events (its
#: statements must not grow either), ``"floor"`` its floor, ``"creation"`` creation on no events.
TARGETS = {
    "email ``events_targets(seen=False)``, nothing new": "empty",
    "``inbox.unseen_count()``, marked everything": "empty",
    f"``entity_events(user)[:{PAGE}]``, newest page": "floor",
    f"``entity_events(user)[:{PAGE}]``, keyset page at 90%": "floor",
    f"``inbox.events()[:{PAGE}]``, newest page": "floor",
    f"``inbox.events()[:{PAGE}]``, keyset page at 90%": "floor",
    f"``entity_event_groups(user)[:{PAGE}]``, newest page": "floor",
    f"``entity_event_groups(user)[:{PAGE}]``, keyset page at 90%": "floor",
    f"``inbox.groups()[:{PAGE}]``, newest page": "floor",
    f"``inbox.groups()[:{PAGE}]``, keyset page at 90%": "floor",
    "``create_events`` throughput": "creation",
}


class Calls:
    """The calls of issue 20 on the world's mediums and readers, each timed beside its floor."""

    def __init__(self, world, created: int, runs: int = RUNS, min_seconds: float = 1.0):
        self.world, self.created, self.runs, self.min_seconds = world, created, runs, min_seconds
        self.uuids = count()

    def compare(self, mine, floor, reset=None, runs: int | None = None) -> dict:
        from measure import compare

        return compare(mine, floor, runs or self.runs, reset=reset, min_seconds=self.min_seconds)

    def measure_all(self, history: bool) -> dict:
        """Each call by name; those that need a history (new events, a deep page) only with one."""
        from entity_event.inbox import older_than

        world, cells = self.world, {}
        newsfeed, reader = world.newsfeed, world.users[FEED_READER]
        marked = newsfeed.inbox(world.users[MARKED_EVERYTHING])
        never = newsfeed.inbox(world.users[NEVER_MARKED])
        marked.mark_seen()
        counts = {
            "``inbox.unseen_count()``, marked everything": marked.unseen_count,
            "``inbox.unseen_count()``, never marked": never.unseen_count,
            "``inbox.unseen_count(limit=100)``, never marked": lambda: never.unseen_count(limit=100),
        }
        for name, call in counts.items():
            cells[name] = self.compare(call, value_floor(call))
        pages = {
            f"``entity_events(user)[:{PAGE}]``, newest page": lambda: newsfeed.entity_events(reader)[:PAGE],
            f"``inbox.events()[:{PAGE}]``, newest page": lambda: never.events()[:PAGE],
        }
        if history:
            received = newsfeed.entity_events(reader)
            deep = received.values_list("time", "id")[received.count() * 9 // 10]
            pages[f"``entity_events(user)[:{PAGE}]``, keyset page at 90%"] = lambda: older_than(
                newsfeed.entity_events(reader), *deep
            )[:PAGE]
            pages[f"``inbox.events()[:{PAGE}]``, keyset page at 90%"] = lambda: older_than(
                never.events(), *deep
            )[:PAGE]
        for name, page in pages.items():
            cells[name] = self.compare(lambda page=page: len(list(page())), rows_floor(page()))
        cells |= self.group_pages(history)
        if history:
            cells |= self.new_for_email()
        email = world.email
        floor, _ids = pairs_floor(email.events_targets(seen=False))
        cells["email ``events_targets(seen=False)``, nothing new"] = self.compare(
            lambda: pairs(email.events_targets(seen=False)), floor
        )
        cells["``create_events`` throughput"] = self.creation(history)
        return cells

    def group_pages(self, history: bool) -> dict:
        """A page of groups (``entity_event_groups`` and ``inbox.groups``): the newest, and with a
        history a keyset page at 90% of the groups, each beside its groups' aggregate rows."""
        newsfeed, reader = self.world.newsfeed, self.world.users[FEED_READER]
        never = newsfeed.inbox(self.world.users[NEVER_MARKED])
        feeds = {
            "entity_event_groups(user)": lambda: newsfeed.entity_event_groups(reader),
            "inbox.groups()": never.groups,
        }
        cells = {}
        for name, groups in feeds.items():
            pages = {f"``{name}[:{PAGE}]``, newest page": lambda groups=groups: groups()[:PAGE]}
            if history:
                formed = groups()
                place = formed[len(formed) * 9 // 10]
                pages[f"``{name}[:{PAGE}]``, keyset page at 90%"] = (
                    lambda groups=groups, place=place, snapshot=formed.snapshot: groups().older_than(
                        place, snapshot
                    )[:PAGE]
                )
            for label, page in pages.items():
                cells[label] = self.compare(lambda page=page: len(page()), groups_floor(page()))
        return cells

    def new_for_email(self) -> dict:
        """The email job's run with the newest events unseen: reading them, and reading them with
        ``mark_seen=True``. Each run of the latter first stores anew, through ``create_events``,
        events with the sources and actors of the unseen ones, so that each run finds the same."""
        from routing import mark_ids_seen

        email = self.world.email
        name = f"email ``events_targets(seen=False)``, {NEW_FOR_EMAIL:,} new"
        floor, ids = pairs_floor(email.events_targets(seen=False))
        cells = {name: self.compare(lambda: pairs(email.events_targets(seen=False)), floor)}
        requests = replicas(ids)
        email.events_targets(seen=False, mark_seen=True)  # the job's run: nothing unseen is left
        created = []

        def store_new() -> None:
            for request in requests:
                request["uuid"] = f"replica-{next(self.uuids)}"
            created[:] = [event.id for event in create(requests)]

        def floor_marking() -> int:
            mark_ids_seen(created, email.id)
            return floor()

        cells[f"{name}, ``mark_seen=True``"] = self.compare(
            lambda: pairs(email.events_targets(seen=False, mark_seen=True)), floor_marking, reset=store_new
        )
        return cells

    def creation(self, history: bool) -> dict:
        """``create_events`` of planned events (fresh uuids each run) beside the least work that
        stores the same rows (``routing.insert_events``). On no events, each run starts from an
        empty table again (``prune_events`` of everything)."""
        from datetime import timedelta

        from django.utils import timezone
        from routing import insert_events
        from world import EVENT_BATCH, create_planned_events, plan_events

        from entity_event.retention import prune_events

        planned = plan_events(self.world, self.created)

        def fresh() -> list[dict]:
            return [{**request, "uuid": f"created-{next(self.uuids)}"} for request in planned]

        def floor() -> int:
            requests = fresh()
            batches = range(0, len(requests), EVENT_BATCH)
            return sum(insert_events(requests[start : start + EVENT_BATCH]) for start in batches)

        def empty() -> None:
            prune_events(timezone.now() + timedelta(days=1))

        return self.compare(
            lambda: create_planned_events(fresh()), floor, reset=None if history else empty, runs=3
        )


def create(requests: list[dict]) -> list:
    from entity_event.models import Event

    return Event.objects.create_events(requests)


def replicas(ids: list[int]) -> list[dict]:
    """``create_events`` arguments for events like those of ``ids`` (their sources and actors),
    in id order, so that stored anew they reach the same entities in the same order."""
    from entity_event.models import Event, EventActor

    actors = {}
    for event_id, entity_id in (
        EventActor.objects.filter(event_id__in=ids).order_by("id").values_list("event_id", "entity_id")
    ):
        actors.setdefault(event_id, []).append(entity_id)
    return [
        {"source_id": source_id, "actors": actors.get(event_id, []), "context": context}
        for event_id, source_id, context in Event.objects.filter(id__in=ids)
        .order_by("id")
        .values_list("id", "source_id", "context")
    ]


def pairs(answer) -> int:
    """The number of ``(event, entity)`` pairs of an ``events_targets`` answer."""
    return sum(len(targets) for _event, targets in answer)


# Building the history.

YEAR = timedelta(days=365)

#: One chunk of the history: events ``n`` from %(first)s to %(last)s, one every year/events up to now, with
#: the sources in turn and their actors as ``create_events`` stores them: one to three per event,
#: scattered over the users, the first a team for every tenth event (as ``world.plan_events``). Each
#: context names a photo: the events of a source take the photos in turn.
HISTORY_SQL = """
    WITH made AS (
        INSERT INTO {events} (source_id, context, time, time_expires, uuid)
        SELECT (%(sources)s::int[])[1 + n %% cardinality(%(sources)s::int[])],
               jsonb_build_object('number', n, 'title', 'Event ' || n,
                                  'photo', (n / cardinality(%(sources)s::int[])) %% %(photos)s),
               %(start)s + n * %(step)s, %(expires)s, 'history-' || n
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n
        ORDER BY n
        RETURNING id, (context ->> 'number')::bigint AS n
    )
    INSERT INTO {actors} (event_id, entity_id)
    SELECT made.id,
           CASE WHEN k = 0 AND made.n %% 10 = 0
                THEN e.teams[1 + (made.n / 10) %% cardinality(e.teams)]
                ELSE e.users[1 + (made.n * 2654435761 + k * 40503) %% cardinality(e.users)]
           END
    FROM made, (SELECT %(teams)s::int[] AS teams, %(users)s::int[] AS users) AS e,
         generate_series(0, (made.n %% 3)::int) AS k
    ORDER BY made.id, k
"""


def fill(world, events: int) -> None:
    """Write the history, let the email job handle all but the newest events, then VACUUM ANALYZE
    (as autovacuum would have done over the year)."""
    from django.db import connection

    write_history(world, events)
    handled_by_email(world.email, NEW_FOR_EMAIL)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def group_by_photo(world) -> None:
    """The first source of ``world`` groups its events by the photo their context names."""
    world.sources[0].group_by = GROUPED
    world.sources[0].save(update_fields=["group_by"])


def write_history(world, events: int) -> None:
    """Write ``events`` events over the year up to now, and their actors, with SQL."""
    from django.core.management.base import OutputWrapper
    from django.db import connection
    from django.utils import timezone

    from entity_event.management.progress import ProgressBar
    from entity_event.models import Event, EventActor

    quote = connection.ops.quote_name
    sql = HISTORY_SQL.format(events=quote(Event._meta.db_table), actors=quote(EventActor._meta.db_table))
    newest = timezone.now()
    parameters = {
        "sources": [source.id for source in world.sources],
        "photos": PHOTOS,
        "teams": [team.id for team in world.teams],
        "users": [user.id for user in world.users],
        "start": newest - YEAR,
        "step": YEAR / events,
        "expires": Event._meta.get_field("time_expires").get_default(),
    }
    bar = ProgressBar(OutputWrapper(sys.stderr), "Events", events)
    for first in range(1, events + 1, FILL_CHUNK):
        last = min(first + FILL_CHUNK - 1, events)
        with connection.cursor() as cursor:
            cursor.execute(sql, {**parameters, "first": first, "last": last})
        bar.advance(last - first + 1)
    bar.finish()


def handled_by_email(email, new: int) -> None:
    """Mark every event but the ``new`` newest seen on ``email``, through the public
    ``mark_seen`` of event querysets, a chunk of ids at a time."""
    from django.core.management.base import OutputWrapper

    from entity_event.management.progress import ProgressBar
    from entity_event.models import Event

    ids = Event.objects.order_by("id").values_list("id", flat=True)
    first, handled = ids.first(), ids.reverse()[new]
    bar = ProgressBar(OutputWrapper(sys.stderr), "Email job", handled - first + 1)
    for start in range(first, handled + 1, FILL_CHUNK):
        end = min(start + FILL_CHUNK - 1, handled)
        Event.objects.filter(id__gte=start, id__lte=end).mark_seen(email)
        bar.advance(end - start + 1)
    bar.finish()


# Pruning.


def prune_half(events: int) -> dict:
    """``prune_events`` of the oldest half of the history, timed once, with the time of its
    statements by kind (see ``statement_kind``)."""
    from collections import defaultdict

    from django.db import connection

    from entity_event.models import Event
    from entity_event.retention import deleted_first, prunable, prune_events

    cutoff = Event.objects.filter(uuid=f"history-{events // 2 + 1}").values_list("time", flat=True).get()
    expected = prunable(cutoff).count()
    spent, statements, batches = defaultdict(float), [0], [0]

    def timed(execute, sql, params, many, context):
        start = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[statement_kind(sql)] += perf_counter() - start
            statements[0] += 1

    with connection.execute_wrapper(timed):  # a call that finds nothing: the statements of any call
        prune_events(cutoff - YEAR)
    fixed = statements[0]
    spent.clear()

    def batch_done(size: int) -> None:
        batches[0] += 1

    print(f"... pruning {expected:,} events", file=sys.stderr)
    start = perf_counter()
    with connection.execute_wrapper(timed):
        deleted = prune_events(cutoff, on_batch=batch_done)
    seconds = perf_counter() - start
    return {
        "deleted": deleted,
        "expected": expected,
        "seconds": seconds,
        "statements": statements[0] - fixed,
        "batches": batches[0],
        "per_batch": 2 + len(deleted_first()),
        "per_call": fixed,
        "spent": dict(spent),
    }


def statement_kind(sql: str) -> str:
    """What a statement of ``prune_events`` does: the batch's lock, or the delete of one table."""
    words = sql.split()
    if words[0].upper() == "DELETE":
        return f"delete from {words[2].strip(chr(34))}"
    return "select and lock the batch"


# Verdicts and the table.


def figure(cell: dict) -> str:
    return f"{cell['seconds'] * 1000:,.1f} ms, {cell['queries']} q"


def within(ratio: float, limit: float, against: str) -> tuple[str, bool]:
    """A target's text and whether it is met: ``ratio`` at most ``limit``."""
    met = ratio <= limit
    return f"{limit:g}x {against}: {'met' if met else 'MISSED'}", met


def row(name: str, cell: dict, empty: dict | None, created: int) -> tuple[tuple, bool | None]:
    """The table's line of a call measured on the history (``empty``: on no events, if it was),
    and whether its target is met (``None``: it has none)."""
    mine, floor = cell["mine"], cell["floor"]
    kind = TARGETS.get(name)
    vs_floor = mine["seconds"] / floor["seconds"]
    vs_empty = mine["seconds"] / empty["mine"]["seconds"] if empty else None
    target, met = "", None
    if kind == "floor":
        target, met = within(vs_floor, WITHIN_FLOOR, "floor")
    elif kind == "empty":
        target, met = within(vs_empty, WITHIN_EMPTY, "no events")
    elif kind == "creation":
        target, met = within(vs_empty, CREATION_SLOWDOWN, "no events")
    if kind == "creation":
        answer = f"{created / mine['seconds']:,.0f} events/s"
        shown = (figure(mine), figure(floor), f"{created / empty['mine']['seconds']:,.0f} events/s")
    else:
        answer = f"{mine['rows']:,}"
        shown = (figure(mine), figure(floor), figure(empty["mine"]) if empty else "")
    line = (
        name,
        answer,
        shown[0],
        shown[1],
        f"{vs_floor:.2f}x",
        shown[2],
        f"{vs_empty:.2f}x" if empty else "",
        target,
    )
    return line, met


def prune_row(pruning: dict) -> tuple[tuple, bool]:
    """The table's line of pruning: events deleted, time and statements; its target is a rate."""
    rate = pruning["deleted"] / pruning["seconds"]
    met = rate >= PRUNED_PER_SECOND
    target = f"{PRUNED_PER_SECOND // 1000}k events/s: {'met' if met else 'MISSED'} ({rate:,.0f}/s)"
    line = (
        "``prune_events`` of the oldest half",
        f"{pruning['deleted']:,} events",
        f"{pruning['seconds']:,.1f} s, {pruning['statements']} q",
        "",
        "",
        "",
        "",
        target,
    )
    return line, met


def statement_problems(history: dict, empty: dict, pruning: dict) -> list[str]:
    """What counting statements shows to be wrong: a bounded call sending more statements on the
    history than on no events, pruning deleting other than the oldest half, or sending other than
    a fixed number of statements per batch (and those of a call that deletes nothing)."""
    problems = [
        f"{name} sends {history[name]['mine']['queries']} statements on the history, "
        f"{empty[name]['mine']['queries']} on no events"
        for name, kind in TARGETS.items()
        if kind == "empty" and history[name]["mine"]["queries"] > empty[name]["mine"]["queries"]
    ]
    if pruning["deleted"] != pruning["expected"]:
        problems.append(f"prune_events deleted {pruning['deleted']:,} events, not {pruning['expected']:,}")
    if pruning["statements"] != pruning["batches"] * pruning["per_batch"] + pruning["per_call"]:
        problems.append(
            f"prune_events sent {pruning['statements']} statements for {pruning['batches']} batches, "
            f"not {pruning['per_batch']} per batch and the {pruning['per_call']} of any call"
        )
    return problems


def spent_lines(pruning: dict) -> list[tuple]:
    """Where pruning's time goes: each kind of statement, then what is left (commits, Python)."""
    spent = sorted(pruning["spent"].items(), key=lambda item: -item[1])
    left = pruning["seconds"] - sum(seconds for _kind, seconds in spent)
    return [
        (kind, f"{seconds:,.2f} s", f"{seconds / pruning['seconds']:.0%}")
        for kind, seconds in [*spent, ("commits and Python", left)]
    ]


def write_docs(run: dict) -> None:
    """The reStructuredText included by docs/running_for_years.rst: one part per server."""
    text = []
    for result in run["servers"]:
        pruning = result["pruning"]
        text += [
            *provenance.server_heading(result["server"]),
            f"**History**: {result['caption']}.",
            "",
            provenance.plain_table(COLUMNS, result["lines"]),
            "",
            f"**Where pruning's time goes** ({pruning['batches']:,} batches of "
            f"{pruning['per_batch']} statements):",
            "",
            provenance.plain_table(("statements", "time", "share"), spent_lines(pruning)),
            "",
        ]
    provenance.write_figures(DOCS_FIGURES, "history.py", run, text)
    print(f"\nWrote {DOCS_FIGURES.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
