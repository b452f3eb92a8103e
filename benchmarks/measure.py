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


def measure(action: Callable[[], int], runs: int, reset: Callable[[], None] | None = None) -> Figure:
    """Run ``action`` (it returns its row count) ``runs`` times for the time, once more traced.

    ``reset`` runs, untimed, before each run. The traced run (tracemalloc slows Python down) gives
    the query count and the peak of Python memory; the timed runs give the median.
    """
    seconds = []
    for _ in range(runs):
        if reset:
            reset()
        gc.collect()
        start = perf_counter()
        rows = action()
        seconds.append(perf_counter() - start)
    if reset:
        reset()
    gc.collect()
    tracemalloc.start()
    with counted_queries() as queries:
        action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Figure(median(seconds), queries[0], rows, peak / 2**20)
