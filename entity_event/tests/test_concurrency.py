"""Writers, consumers, markers and deleters at once, on real threads against PostgreSQL.

The same workload and checks as ``benchmarks/load.py`` (see ``concurrency.py``), for a couple
of seconds. Each test runs the whole workload and looks at one family of violations.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from entity_event.tests import concurrency

SECONDS = 2.0
THREADS = {"writer": 2, "consumer": 3, "marker": 1, "deleter": 1}

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency is checked on a server database (PostgreSQL); SQLite serialises its writers",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_workload() -> dict[str, str]:
    """Every role on its own thread (and connection) until the deadline; the violations found.

    A run in which no writer, consumer or deleter did anything (or failed) proves nothing: that fails here.
    """
    ids = concurrency.prepare_world()
    deadline = time.time() + SECONDS
    with ThreadPoolExecutor(max_workers=sum(THREADS.values())) as pool:
        futures = [
            pool.submit(concurrency.guarded, concurrency.ROLES[role], number, ids, deadline)
            for role, count in THREADS.items()
            for number in range(count)
        ]
        outcomes = [future.result() for future in futures]
    did = {role: [o for o in outcomes if o["role"] == role] for role in THREADS}
    for role, work in (("writer", "created"), ("consumer", "handed"), ("deleter", "deleted")):
        assert any(o.get(work) or "error" in o for o in did[role]), f"no {role} did anything"
    return concurrency.check(outcomes, ids)


ACCOUNTS = ("lost", "unseen", "not stored", "created twice", "actors")


def test_no_event_is_lost_and_every_write_is_kept():
    violations = run_workload()
    assert {kind: text for kind, text in violations.items() if kind in ACCOUNTS} == {}


def test_no_role_fails_but_for_the_known_foreign_key_race():
    assert run_workload().keys().isdisjoint(set(concurrency.ERROR_KINDS) - {"foreign-key race"})


@pytest.mark.xfail(
    reason="open: mark_seen and event deletes break each other's foreign keys (a mark inserted for an "
    "event being deleted, or a delete meeting a mark inserted meanwhile); not strict, since a short "
    "run does not always hit the race",
)
def test_marks_and_deletes_never_break_foreign_keys():
    assert "foreign-key race" not in run_workload()


def test_no_event_is_handed_to_two_consumers_of_mark_seen():
    assert "shared" not in run_workload()
