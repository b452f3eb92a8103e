"""Real workers: four ``db_worker`` processes send 5,000 deliveries; one is killed mid-batch.

The workers run the project's settings against the test database, and write their mail with
Django's file-based backend into a directory of the test (the in-memory backend does not cross
processes). Afterwards every delivery was sent at least once, and only the deliveries the killed
worker held may have been sent twice, with the same Message-ID.
"""

import subprocess
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from demo.outbox import read_messages
from entity_event.models import Delivery
from entity_event.tests.delivery.conftest import EMAIL_CHANNEL, build_club, post
from entity_event.tests.delivery.workers import (
    add_members,
    hand_over_after_the_lease,
    kill_one_mid_batch,
    manage,
    message_id,
    stop,
    wait_for,
)

pytestmark = [
    pytest.mark.workers,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL"),
]

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
MEMBERS, EVENTS = 1000, 5


def start_worker(name: str, outbox: Path, logs: Path) -> subprocess.Popen:
    command = ["db_worker", "--worker-id", name, "--interval", "0.05", "--no-startup-delay", "--no-reload"]
    return manage(command, outbox, logs / f"{name}.log", TASKS_BACKEND="database")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_no_delivery(tmp_path):
    outbox, logs = tmp_path / "outbox", tmp_path
    with ExitStack() as stack:
        stack.enter_context(override_settings(TASKS=DATABASE_TASKS, ENTITY_EVENT_CHANNELS=EMAIL_CHANNEL))
        world = build_club(members=0)
        add_members(world.club, MEMBERS)
        for number in range(EVENTS):
            post(world, f"News {number}")
        workers = {f"worker-{n}": start_worker(f"worker-{n}", outbox, logs) for n in range(4)}
        stack.callback(stop, workers)

        assert world.medium.deliver() == MEMBERS * EVENTS

        def held_batches() -> list[tuple[str, list[int]]]:
            """(worker, delivery ids) of the batches being sent, once a fifth of the deliveries are"""
            enough = Delivery.objects.filter(status="sent").count() >= MEMBERS * EVENTS // 5
            running = DBTaskResult.objects.filter(status="RUNNING") if enough else DBTaskResult.objects.none()
            batches = [(task.worker_ids[-1], task.args_kwargs["args"][0]) for task in running]
            return [(worker, ids) for worker, ids in batches if taken(ids).count() == len(ids)]

        def taken(delivery_ids: list[int]):
            return Delivery.objects.filter(id__in=delivery_ids, status="pending", attempts=1)

        dead, in_flight = kill_one_mid_batch(workers, held_batches, taken)

        def settled():
            """the live workers to finish every task"""
            running = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).values_list(
                "worker_ids", flat=True
            )
            return all(worker_ids and worker_ids[-1] in dead for worker_ids in running)

        wait_for(settled)
        hand_over_after_the_lease(in_flight)

    sent = Counter(message["Message-ID"] for message in read_messages(outbox))
    assert set(sent) == {message_id(pk) for pk in Delivery.objects.values_list("id", flat=True)}
    twice = {mid for mid, count in sent.items() if count > 1}
    assert twice <= {message_id(pk) for pk in in_flight} and max(sent.values()) <= 2
