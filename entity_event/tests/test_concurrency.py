"""Writers, consumers, markers and deleters at once, on real threads against PostgreSQL.

The same workload and checks as ``benchmarks/load.py`` (see ``concurrency.py``), for a couple
of seconds. Each workload test runs the whole workload and looks at one family of violations;
the last tests replay, step by step, the two ways a seen mark and an event's delete could meet.
"""

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

from entity_event.creation import claim_seen
from entity_event.models import Event, EventSeen, InboxMark, Source, SourceGroup
from entity_event.tests import concurrency, helpers

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

    A run in which a role's thread completed no operation proves nothing: that fails here.
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
    violations = concurrency.check(outcomes, ids)
    assert "idle" not in violations, violations["idle"]
    return violations


ACCOUNTS = ("lost", "unseen", "not stored", "created twice", "actors")


def test_no_event_is_lost_and_every_write_is_kept():
    violations = run_workload()
    assert {kind: text for kind, text in violations.items() if kind in ACCOUNTS} == {}


def test_no_role_fails():
    assert run_workload().keys().isdisjoint(concurrency.ERROR_KINDS)


def test_marks_and_deletes_never_break_foreign_keys():
    assert "foreign-key race" not in run_workload()


def test_no_event_is_handed_to_two_consumers_of_mark_seen():
    assert "shared" not in run_workload()


def waiting_on_a_lock(statement: str) -> None:
    """Return once another connection to this database waits on a lock in a statement starting with
    ``statement``. Works inside a transaction too: the statistics snapshot is dropped each time."""
    for _attempt in range(500):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE %s",
                [f"{statement}%"],
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.01)
    raise AssertionError(f"no connection waited on a lock in {statement!r}")


def in_thread(work) -> Future:
    """Start ``work`` on a thread (and connection) of its own; the future of its result."""

    def run():
        try:
            return work()
        finally:
            connections.close_all()

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(run)
    pool.shutdown(wait=False)
    return future


def mark_while_deleted(event: Event, mark, statement: str):
    """Delete ``event`` in a transaction left open, run ``mark`` on another connection until it
    waits on a lock in a statement starting with ``statement`` (any statement: ``""``), then commit
    the delete; ``mark``'s result."""
    deleted, commit = threading.Event(), threading.Event()

    def delete():
        with transaction.atomic():
            Event.objects.filter(id=event.id).delete()
            deleted.set()
            commit.wait(10)

    deleting = in_thread(delete)
    assert deleted.wait(10)
    marking = in_thread(mark)
    waiting_on_a_lock(statement)
    commit.set()
    assert deleting.result(10) is None
    return marking.result(10)


def test_a_mark_for_an_event_being_deleted_skips_it_once_the_delete_commits():
    medium, event = helpers.medium(), helpers.event(helpers.source())

    def mark():
        return Event.objects.filter(id=event.id).mark_seen(medium)

    assert mark_while_deleted(event, mark, 'INSERT INTO "entity_event_eventseen"') == 0
    assert not EventSeen.objects.exists()


DELETES = {
    "an event": lambda event: Event.objects.get(id=event.id).delete(),
    "a queryset of events": lambda event: Event.objects.filter(id=event.id).delete(),
    "its source": lambda event: Source.objects.get(id=event.source_id).delete(),
    "a queryset of sources": lambda event: Source.objects.filter(id=event.source_id).delete(),
    "its source group": lambda event: SourceGroup.objects.get(id=event.source.group_id).delete(),
    "a queryset of source groups": lambda event: SourceGroup.objects.filter(
        id=event.source.group_id
    ).delete(),
}


@pytest.mark.parametrize("delete", DELETES)
def test_a_delete_and_a_claim_of_the_events_it_takes_never_deadlock(delete):
    medium, event = helpers.medium(), helpers.event(helpers.source())
    Event.objects.filter(id=event.id).mark_seen(medium)
    claims = []

    def claim_before_the_events_go(execute, sql, params, many, context):
        """Between Django's delete of the event's seen mark and its delete of the event, another
        connection claims the event, and waits on a lock."""
        if sql.startswith('DELETE FROM "entity_event_event" WHERE'):
            claims.append(in_thread(lambda: claim_seen([event.id], medium)))
            waiting_on_a_lock('INSERT INTO "entity_event_eventseen"')
        return execute(sql, params, many, context)

    def delete_with_a_claim_meanwhile():
        with connection.execute_wrapper(claim_before_the_events_go):
            DELETES[delete](event)

    in_thread(delete_with_a_claim_meanwhile).result(20)
    # The claim waited for the delete to commit, then skipped the deleted event.
    assert claims[0].result(20) == []
    assert (Event.objects.count(), EventSeen.objects.count()) == (0, 0)


def test_a_mark_stored_after_a_raw_delete_collected_the_marks_goes_with_the_event():
    """Deletes that bypass the models (raw SQL) still take late marks along: on PostgreSQL the
    foreign keys to events cascade in the database."""
    medium, event = helpers.medium(), helpers.event(helpers.source())

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute('DELETE FROM "entity_event_eventseen" WHERE "event_id" = %s', [event.id])
        assert in_thread(lambda: Event.objects.filter(id=event.id).mark_seen(medium)).result(10) == 1
        cursor.execute('DELETE FROM "entity_event_event" WHERE "id" = %s', [event.id])

    assert (Event.objects.count(), EventSeen.objects.count()) == (0, 0)


def test_an_inbox_mark_for_an_event_being_deleted_skips_it_once_the_delete_commits():
    medium, source, alice = helpers.medium(), helpers.source(), helpers.entity("alice")
    helpers.subscribe(medium, source, alice)
    event = helpers.event(source)

    assert mark_while_deleted(event, lambda: medium.inbox(alice).mark_seen(event.id), "") == 0
    assert not InboxMark.objects.exists()
