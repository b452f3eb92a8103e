"""Real RQ workers: ``rqworker`` processes send a club's news through a real Redis server.

``Medium.deliver()`` stores the send tasks in Redis; two burst workers (``--burst``: they run
the queue empty, then exit) send them. One member's address is broken, so that member's
deliveries fail and RQ holds their retries until the time of the next attempt. Once the address
is fixed and that time has come, a second pair of workers sends them. Every delivery is sent
exactly once, with its Message-ID. Then four workers, as on several machines, send 5,000
deliveries and one is killed mid-batch with SIGKILL: only its batch may be sent twice.

Runs where the tasks go to RQ workers on PostgreSQL: CI's RQ step runs it with
``TASKS_BACKEND=rq RQ_ASYNC=1`` and a Redis server of its own at ``REDIS_URL``.
"""

import math
import subprocess
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import django_rq
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rq import Worker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from demo.outbox import read_messages
from entity_event.delivery.tasks import BATCH_SIZE, send_deliveries
from entity_event.models import Delivery
from entity_event.tests.delivery.conftest import build_club, post
from entity_event.tests.delivery.workers import (
    add_members,
    hand_over_after_the_lease,
    kill_one_mid_batch,
    manage,
    message_id,
    stop,
    wait_for,
)

RQ_BACKEND = "django_tasks_rq.RQBackend"


def rq_workers_run_tasks() -> bool:
    """Whether the tasks go to RQ workers: the RQ backend, with its queue's ASYNC on."""
    rq_queue = getattr(settings, "RQ_QUEUES", {}).get("default", {})
    return settings.TASKS["default"]["BACKEND"] == RQ_BACKEND and rq_queue.get("ASYNC", True)


pytestmark = [
    pytest.mark.workers,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL"),
    pytest.mark.skipif(
        not rq_workers_run_tasks(),
        reason="RQ workers need TASKS_BACKEND=rq, RQ_ASYNC=1 and a Redis server at REDIS_URL (CI's RQ step)",
    ),
]

#: A worker of the queue of the tasks, with the job class of django-tasks-rq; burst: it exits
#: once the queue is empty, after enqueuing the retries that are due (its scheduler).
RQ_WORKER = ["rqworker", "--burst", "--with-scheduler", "--job-class", "django_tasks_rq.Job", "default"]
MEMBERS, EVENTS = 150, 4
#: The first round's workers refuse the address of one member, as an SMTP server would.
REFUSING = {
    "EMAIL_BACKEND": "entity_event.tests.delivery.mail_backends.RefusingFileBackend",
    "REFUSED_ADDRESSES": "crowd7@example.com",
}


@pytest.fixture
def queue():
    """The RQ queue of the tasks, which must be empty; the jobs the test leaves are removed."""
    queue = django_rq.get_queue("default")
    scheduled = ScheduledJobRegistry(queue=queue)
    assert queue.count == 0 and scheduled.count == 0, f"the RQ queue at {queue.connection} is not empty"
    yield queue
    queue.empty()
    for job_id in scheduled.get_job_ids():
        scheduled.remove(job_id, delete_job=True)


def run_workers(outbox: Path, logs: Path, round_name: str, **environment: str) -> None:
    """Two burst workers run the queue empty; they exit without error."""
    with ExitStack() as stack:
        workers = {
            f"{round_name}-{n}": manage(RQ_WORKER, outbox, logs / f"{round_name}-{n}.log", **environment)
            for n in range(2)
        }
        stack.callback(stop, workers)
        for name, worker in workers.items():
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail(f"the RQ worker {name} did not finish the queue: {logs / name}.log")
            assert worker.returncode == 0, (logs / f"{name}.log").read_text()


def sent_message_ids(outbox: Path) -> Counter:
    return Counter(message["Message-ID"] for message in read_messages(outbox))


@pytest.mark.django_db(transaction=True)
def test_rq_workers_send_each_delivery_once_and_retry_a_failed_one_when_due(tmp_path, queue):
    outbox = tmp_path / "outbox"
    world = build_club(members=0)
    broken = add_members(world.club, MEMBERS)[7]
    for number in range(EVENTS):
        post(world, f"News {number}")

    planned = world.medium.deliver()
    assert planned == MEMBERS * EVENTS and queue.count == math.ceil(planned / BATCH_SIZE)

    run_workers(outbox, tmp_path, "first", **REFUSING)
    failed_jobs = FailedJobRegistry(queue=queue)
    assert queue.count == 0 and failed_jobs.count == 0
    retried = Delivery.objects.filter(entity=broken)
    assert not Delivery.objects.exclude(status="sent").exclude(entity=broken).exists()
    assert {(d.status, d.attempts) for d in retried} == {("pending", 1)}
    assert all(d.last_error.startswith("SMTPRecipientsRefused") for d in retried)
    sent = Delivery.objects.filter(status="sent").values_list("id", flat=True)
    assert sent_message_ids(outbox) == Counter(message_id(pk) for pk in sent)

    # RQ defers tasks: each retry waits in its scheduled registry until the next attempt is due.
    assert send_deliveries.get_backend().supports_defer
    scheduled = ScheduledJobRegistry(queue=queue)
    jobs = queue.job_class.fetch_many(scheduled.get_job_ids(), connection=queue.connection)
    next_attempts = {d.pk: d.time_next_attempt for d in retried}
    assert sorted(pk for job in jobs for pk in job.args[0]) == sorted(next_attempts)
    for job in jobs:
        due = {next_attempts[pk] for pk in job.args[0]}
        assert len(due) == 1 and due.pop().replace(microsecond=0) == scheduled.get_scheduled_time(job)
        assert scheduled.get_scheduled_time(job) > timezone.now()

    # The server takes the address again, and the next attempt comes: the time of the deliveries
    # and of their jobs.
    now = timezone.now()
    retried.update(time_next_attempt=now)
    for job in jobs:
        scheduled.schedule(job, now)

    run_workers(outbox, tmp_path, "second")
    assert queue.count == 0 and scheduled.count == 0 and failed_jobs.count == 0
    assert {(d.status, d.attempts) for d in retried} == {("sent", 2)}
    every_delivery = Delivery.objects.values_list("id", flat=True)
    assert sent_message_ids(outbox) == Counter(message_id(pk) for pk in every_delivery)


#: A worker that runs each job in its own process (no work horse), so that killing it kills the
#: batch it is sending; it runs until stopped.
RQ_SIMPLE_WORKER = [
    "rqworker",
    "--with-scheduler",
    "--worker-class",
    "rq.worker.SimpleWorker",
    "--job-class",
    "django_tasks_rq.Job",
    "default",
]
CROWD, NEWS = 1000, 5


@pytest.mark.django_db(transaction=True)
def test_an_rq_worker_killed_mid_batch_loses_no_delivery(tmp_path, queue):
    world = build_club(members=0)
    add_members(world.club, CROWD)
    for number in range(NEWS):
        post(world, f"News {number}")
    outbox = tmp_path / "outbox"
    with ExitStack() as stack:
        workers = {f"rq-{n}": manage(RQ_SIMPLE_WORKER, outbox, tmp_path / f"rq-{n}.log") for n in range(4)}
        stack.callback(stop, workers)
        names = {worker.pid: name for name, worker in workers.items()}
        assert world.medium.deliver() == CROWD * NEWS

        def taken(delivery_ids: list[int]):
            return Delivery.objects.filter(id__in=delivery_ids, status="pending", attempts=1)

        def held_batches() -> list[tuple[str, list[int]]]:
            """(worker, delivery ids) of the batches being sent, once a fifth of the deliveries are"""
            if Delivery.objects.filter(status="sent").count() < CROWD * NEWS // 5:
                return []
            running = [
                (names[worker.pid], job.args[0])
                for worker in Worker.all(queue=queue)
                if worker.pid in names and (job := worker.get_current_job()) is not None
            ]
            return [(name, ids) for name, ids in running if taken(ids).count() == len(ids)]

        dead, in_flight = kill_one_mid_batch(workers, held_batches, taken)
        live = {worker.pid for name, worker in workers.items() if name not in dead}

        def settled() -> bool:
            """the live workers to finish every job"""
            busy = [w for w in Worker.all(queue=queue) if w.pid in live and w.get_current_job() is not None]
            return queue.count == 0 and not busy

        wait_for(settled)
        hand_over_after_the_lease(in_flight)

    sent = sent_message_ids(outbox)
    assert set(sent) == {message_id(pk) for pk in Delivery.objects.values_list("id", flat=True)}
    twice = {mid for mid, count in sent.items() if count > 1}
    assert twice <= {message_id(pk) for pk in in_flight} and max(sent.values()) <= 2
