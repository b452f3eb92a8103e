"""Timing, query counting and peak memory of one benchmarked operation."""

import gc
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from statistics import median
from time import perf_counter


@dataclass
class Figure:
    """How one operation did: median wall time, statements run, rows handled, peak Python memory."""

    seconds: float
    queries: int
    rows: int
    peak_mb: float

    def as_dict(self) -> dict:
        return asdict(self)


@contextmanager
def counted_queries():
    """Count the statements sent through Django's connection (a one-item list, filled on exit)."""
    from django.db import connection

    counter = [0]

    def count(execute, sql, params, many, context):
        counter[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counter


def compare(
    mine: Callable[[], int],
    floor: Callable[[], int],
    runs: int,
    reset: Callable[[], None] | None = None,
    min_seconds: float = 1.0,
    max_runs: int = 25,
) -> dict:
    """Time ``mine`` and ``floor`` (each returns its row count) in alternation; then trace each once.

    Alternating keeps a slow spell of the machine from landing on one side only. Quick actions
    run more often than ``runs``, until ``min_seconds`` have passed (at most ``max_runs`` times),
    so that their medians are stable. ``reset`` runs, untimed, before each run. The traced runs
    (tracemalloc slows Python down) give the query count and the peak of Python memory; the
    floor is traced first, so ``mine``'s effects are what stays in the database.
    """
    seconds = {mine: [], floor: []}
    rows = {}
    spent = 0.0
    while len(seconds[mine]) < runs or (spent < min_seconds and len(seconds[mine]) < max_runs):
        for action in (floor, mine):
            if reset:
                reset()
            gc.collect()
            start = perf_counter()
            rows[action] = action()
            elapsed = perf_counter() - start
            seconds[action].append(elapsed)
            spent += elapsed
    figures = {}
    for action in (floor, mine):
        if reset:
            reset()
        gc.collect()
        tracemalloc.start()
        with counted_queries() as queries:
            action()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        figures[action] = Figure(median(seconds[action]), queries[0], rows[action], peak / 2**20)
    return {"mine": figures[mine].as_dict(), "floor": figures[floor].as_dict()}
