"""Timing, query counting and peak memory of one benchmarked operation."""

import gc
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from statistics import median
from time import perf_counter

from floors import beats_floor

#: How often, at least, a call that seems to beat its floor is run before it is believed.
CONFIRMING_RUNS = 10


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
    so that their medians are stable. A call that seems to beat its floor (which a floor, a lower
    bound, rules out) runs again, up to twice as often (at least ``CONFIRMING_RUNS`` times), before
    it is believed: a busy spell of the machine can favour one side. ``reset`` runs, untimed,
    before each run. The traced runs (tracemalloc slows Python down) give the query count and
    the peak of Python memory; the floor is traced first, so ``mine``'s effects are what stays
    in the database.
    """
    seconds = {mine: [], floor: []}
    rows = {}

    def run_both() -> None:
        for action in (floor, mine):
            if reset:
                reset()
            gc.collect()
            start = perf_counter()
            rows[action] = action()
            seconds[action].append(perf_counter() - start)

    while len(seconds[mine]) < runs or (
        sum(seconds[mine] + seconds[floor]) < min_seconds and len(seconds[mine]) < max_runs
    ):
        run_both()
    confirmed = max(2 * len(seconds[mine]), CONFIRMING_RUNS)
    while beats_floor(median(seconds[mine]), median(seconds[floor])) and len(seconds[mine]) < confirmed:
        run_both()
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
