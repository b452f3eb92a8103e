"""Real workers: four ``db_worker`` processes send 5,000 deliveries; one is killed mid-batch.

The workers run the project's settings against the test database, and write their mail with
Django's file-based backend into a directory of the test (the in-memory backend does not cross
processes). Afterwards every delivery was sent at least once, and only the deliveries the killed
worker held may have been sent twice, with the same Message-ID.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from entity.models import Entity, EntityKind, EntityRelationship

from demo.outbox import read_messages
from entity_event.models import Delivery
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import EMAIL_CHANNEL, build_club, post

pytestmark = [
    pytest.mark.workers,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL"),
]

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
MEMBERS, EVENTS = 1000, 5


def database_url() -> str:
    """The test database as a DATABASE_URL for the worker processes."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{quote(db['HOST'] or '', safe='')}{port}/{db['NAME']}"


def start_worker(name: str, outbox: Path, logs: Path) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "database",
        "EMAIL_FILE_PATH": str(outbox),
        "DJANGO_DEBUG": "0",
    }
    command = ["manage.py", "db_worker", "--worker-id", name, "--interval", "0.05", "--no-startup-delay"]
    return subprocess.Popen(
        [sys.executable, *command, "--no-reload"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=(logs / f"{name}.log").open("w"),
    )


def wait_for(condition, timeout: float = 90):
    """Poll ``condition`` until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {condition.__doc__}"
        time.sleep(0.05)
    return result


def add_members(club: Entity, count: int) -> None:
    """``count`` users of ``club``, written in bulk."""
    user = helpers.kind("user")
    kind_type = ContentType.objects.get_for_model(EntityKind)
    members = Entity.all_objects.bulk_create(
        Entity(
            display_name=f"crowd{number}",
            entity_id=1_000_000 + number,
            entity_type=kind_type,
            entity_kind=user,
            entity_meta={"email": f"crowd{number}@example.com"},
        )
        for number in range(count)
    )
    EntityRelationship.objects.bulk_create(
        EntityRelationship(sub_entity=m, super_entity=club) for m in members
    )


def message_id(delivery_id: int) -> str:
    return f"<entity-event.delivery-{delivery_id}@example.com>"


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

        def victim_mid_batch():
            """a worker in the middle of a batch, once a fifth of the deliveries are sent"""
            if Delivery.objects.filter(status="sent").count() < MEMBERS * EVENTS // 5:
                return None
            for task in DBTaskResult.objects.filter(status="RUNNING"):
                [delivery_ids] = task.args_kwargs["args"]
                taken = Delivery.objects.filter(id__in=delivery_ids, status="pending", attempts=1)
                if taken.count() == len(delivery_ids):
                    return task.worker_ids[-1]
            return None

        victim = wait_for(victim_mid_batch)
        workers[victim].send_signal(signal.SIGKILL)
        workers[victim].wait()
        in_flight = set(
            Delivery.objects.filter(status="pending", attempts__gte=1).values_list("id", flat=True)
        )

        def settled():
            """the live workers to finish every task"""
            running = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).values_list(
                "worker_ids", flat=True
            )
            return all(worker_ids and worker_ids[-1] == victim for worker_ids in running)

        wait_for(settled)
        stuck = Delivery.objects.filter(status="pending")
        assert stuck.exists() and set(stuck.values_list("id", flat=True)) <= in_flight

        # The lease of the dead worker runs out; the cron run hands its deliveries to the others.
        stuck.update(time_next_attempt=timezone.now() - timedelta(days=1))
        call_command("deliver_events", stdout=open(os.devnull, "w"))
        wait_for(lambda: not Delivery.objects.exclude(status="sent").exists())

    sent = Counter(message["Message-ID"] for message in read_messages(outbox))
    assert set(sent) == {message_id(pk) for pk in Delivery.objects.values_list("id", flat=True)}
    twice = {mid for mid, count in sent.items() if count > 1}
    assert twice <= {message_id(pk) for pk in in_flight} and max(sent.values()) <= 2


def stop(workers: dict[str, subprocess.Popen]) -> None:
    for worker in workers.values():
        if worker.poll() is None:
            worker.terminate()
    for worker in workers.values():
        worker.wait(timeout=30)
