"""The checks of the concurrent workload report what went wrong instead of excusing it: a delete
that failed, a mark that a consumer made but never received, a uuid created again while stored,
and a role that did nothing."""

import time

import pytest
from django.db import connection

from entity_event.creation import claim_seen
from entity_event.models import Event, Medium
from entity_event.tests import concurrency


def one_event(ids: dict, uuid: str | None = None) -> Event:
    return Event.objects.create_event(source_id=ids["source"], context={}, uuid=uuid)


def fail_on(statement: str):
    """An execute wrapper that raises on the statements starting with ``statement``."""

    def wrapper(execute, sql, params, many, context):
        if sql.startswith(statement):
            raise RuntimeError(f"{statement} failed")
        return execute(sql, params, many, context)

    return wrapper


@pytest.mark.django_db(transaction=True)
def test_a_delete_that_failed_is_not_counted_as_deleted():
    ids = concurrency.prepare_world()
    one_event(ids)

    with connection.execute_wrapper(fail_on('DELETE FROM "entity_event_event" WHERE')):
        outcome = concurrency.guarded(concurrency.deleter, 0, ids, time.time() + 1)

    assert "DELETE" in outcome["error"]
    assert outcome["deleted"] == []


@pytest.mark.django_db(transaction=True)
def test_a_mark_claimed_under_a_markers_page_and_handed_to_nobody_is_reported_lost():
    ids = concurrency.prepare_world()
    lost = one_event(ids)
    claims = []

    def claim_first(execute, sql, params, many, context):
        """Before the marker's first mark, claim the event as a consumer that then loses it would."""
        if sql.startswith('INSERT INTO "entity_event_eventseen"') and not claims:
            claims.append("claiming")
            claims.append(claim_seen([lost.id], Medium.objects.get(id=ids["mail"])))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(claim_first):
        marker = concurrency.guarded(concurrency.marker, 0, ids, time.time() + 0.2)

    assert claims == ["claiming", [lost.id]]
    assert "error" not in marker
    assert f"e.g. [{lost.id}]" in concurrency.check([marker], ids)["lost"]


@pytest.mark.django_db
def test_a_uuid_created_again_only_after_its_delete_passes_and_one_created_while_stored_is_reported():
    ids = concurrency.prepare_world()
    one_event(ids, "recreated"), one_event(ids, "created thrice")
    writers = [
        {"role": "writer", "number": n, "created": created, "asked": created, "actors": {}}
        for n, created in enumerate([["recreated", "created thrice"], ["recreated", "created thrice"]])
    ]
    writers.append(
        {"role": "writer", "number": 2, "created": ["created thrice"], "asked": ["x"], "actors": {}}
    )
    deleter = {"role": "deleter", "number": 0, "deleted": ["recreated", "created thrice"]}

    violations = concurrency.check([*writers, deleter], ids)

    assert "e.g. ['created thrice']" in violations.pop("created twice")
    assert violations == {"not stored": "1 events asked for are neither stored nor deleted: ['x']"}


@pytest.mark.django_db
def test_a_role_that_completed_no_operation_is_reported_idle():
    ids = concurrency.prepare_world()
    outcomes = [
        {"role": "consumer", "number": 0, "calls": 3, "handed": []},
        {"role": "consumer", "number": 1, "calls": 0, "handed": []},
        {"role": "deleter", "number": 0, "deleted": []},
    ]

    assert concurrency.check(outcomes, ids)["idle"] == "completed no operation: consumer 1, deleter 0"
