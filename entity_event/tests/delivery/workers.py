"""Helpers of the tests with real worker processes: ``manage.py`` commands run on the test
database, a crowd of recipients written in bulk, and waiting for the workers."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from entity.models import Entity, EntityKind, EntityRelationship

from entity_event.models import Delivery
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import make_due


def database_url() -> str:
    """The test database as a DATABASE_URL for the worker processes."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{quote(db['HOST'] or '', safe='')}{port}/{db['NAME']}"


def manage(arguments: list[str], outbox: Path, log: Path, **environment: str) -> subprocess.Popen:
    """Start ``manage.py`` with ``arguments`` on the test database, in a process of its own.

    The project's settings apply, with ``environment`` added to the variables they read; mail is
    written into ``outbox`` by Django's file-based backend (the in-memory one does not cross
    processes), and what the process prints goes to ``log``.
    """
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_FILE_PATH": str(outbox),
        "DJANGO_DEBUG": "0",
        **environment,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, timeout: float = 90):
    """Poll ``condition`` until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    while not (result := condition()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert result, f"timed out waiting for {condition.__doc__}"
    return result


def add_members(club: Entity, count: int) -> list[Entity]:
    """``count`` users of ``club``, written in bulk; returns them."""
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
    return members


def message_id(delivery_id: int) -> str:
    """The Message-ID of the email of a delivery."""
    return f"<entity-event.delivery-{delivery_id}@example.com>"


def stop(workers: dict[str, subprocess.Popen]) -> None:
    """Terminate the workers still running, and wait for all of them."""
    for worker in workers.values():
        if worker.poll() is None:
            worker.terminate()
    for worker in workers.values():
        worker.wait(timeout=30)


def kill_one_mid_batch(
    workers: dict[str, subprocess.Popen], held_batches: Callable, taken: Callable
) -> tuple[list[str], set[int]]:
    """SIGKILL a worker while it holds a batch (``held_batches`` names them as ``(worker, ids)``;
    ``taken(ids)`` the ones still being sent), trying again if the kill came after its batch.
    Returns the killed workers' names and the ids of the deliveries left in flight."""
    dead = []

    def kill_mid_batch() -> bool:
        """a SIGKILL to land in the middle of a batch (a worker done with its batch dies in vain)"""
        assert len(dead) < 3, "three kills missed their batch"
        name, delivery_ids = wait_for(held_batches)[0]
        workers[name].send_signal(signal.SIGKILL)
        workers[name].wait()
        dead.append(name)
        return taken(delivery_ids).exists()

    wait_for(kill_mid_batch)
    in_flight = set(Delivery.objects.filter(status="pending", attempts__gte=1).values_list("id", flat=True))
    return dead, in_flight


def hand_over_after_the_lease(in_flight: set[int]) -> None:
    """The deliveries a killed worker held stay pending (and only those); once their lease runs
    out, the cron run hands them to the live workers, which send every one."""
    stuck = Delivery.objects.filter(status="pending")
    assert stuck.exists() and set(stuck.values_list("id", flat=True)) <= in_flight
    make_due(stuck)
    call_command("deliver_events", stdout=open(os.devnull, "w"))
    wait_for(lambda: not Delivery.objects.exclude(status="sent").exists())
