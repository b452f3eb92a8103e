"""Stand-in for django-db-mutex: a lock held by one process at a time (here, a thread lock)."""

import threading
from collections import defaultdict

_locks = defaultdict(threading.Lock)


class db_mutex:  # noqa: N801 (the real class is spelled so)
    def __init__(self, lock_id: str) -> None:
        self.lock = _locks[lock_id]

    def __enter__(self):
        self.lock.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.lock.release()
