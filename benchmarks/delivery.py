"""Delivery benchmark: 50,000 deliveries planned, then sent by 4 ``db_worker`` processes.

A club of members subscribed to its news, and enough news events that every member gets one
delivery per event. The script measures, in a throwaway database on each PostgreSQL server:

- planning (``Medium.deliver``): time, queries per chunk of events (the claim and the insert of
  the deliveries; the enqueues, one per batch of deliveries, are counted apart), and the peak
  of Python memory for a fifth of the deliveries and for the four fifths that follow, which
  stays flat because events are streamed;
- one batch sent in this process: its queries (constant whatever the batch holds);
- sending by 4 ``db_worker`` processes (django-tasks-db): throughput in messages per second.

The workers write their mail with Django's file-based backend into a temporary directory:
the in-memory backend keeps messages inside one process, so it cannot count what 4 worker
processes send. The count of messages written is checked against the deliveries.

    python benchmarks/delivery.py [--quick] [--deliveries 50000] [--workers 4] [--server ...]

Each server (that of DATABASE_URL, else the embedded one; or those of ``--server``, repeatable)
is measured in a child process. A full run (no ``--quick``) that succeeds rewrites
docs/delivery-figures.inc with the figures of all of them. It has no floors: it measures
statements per chunk, memory and throughput.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import quote

import provenance
from database import ROOT, setup_django, throwaway_database
from servers import add_server_option, chosen, measure_on

MEMBERS = 500
CHUNK_SIZE = 10

DOCS_FIGURES = ROOT / "docs" / "delivery-figures.inc"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="5,000 deliveries; write nothing")
    add_server_option(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # measure here, write the JSON there
    arguments = parser.parse_args()
    deliveries = 5_000 if arguments.quick else arguments.deliveries
    if arguments.child:
        return measure_here(deliveries, arguments.workers, Path(arguments.child))
    sizes = ["--deliveries", str(deliveries), "--workers", str(arguments.workers)]
    figures = provenance.start()
    figures["servers"] = [measure_on(server, __file__, sizes) for server in chosen(arguments.server)]
    provenance.finish(figures)
    failed = max(result["failed"] for result in figures["servers"])
    if not failed and not arguments.quick:
        write_docs(figures)
    return failed


def measure_here(deliveries: int, workers: int, output: Path) -> int:
    """Measure on the server of DATABASE_URL (else the embedded one); write the figures to ``output``."""
    outbox = use_outbox()
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"The benchmark needs PostgreSQL; DATABASE_URL points to {connection.vendor}.", file=sys.stderr)
        return 2
    with throwaway_database(f"entity_event_delivery_bench_{os.getpid()}"):
        server = provenance.server_info()
        failed, findings = run(deliveries, workers, outbox)
    output.write_text(json.dumps({"server": server, "failed": failed, "findings": findings}))
    return 0


def use_outbox() -> Path:
    """A temporary directory for the workers' mail, and the database task backend, set in the
    environment before Django is set up (the workers inherit both); the directory."""
    outbox = Path(tempfile.mkdtemp(prefix="entity-event-outbox-"))
    os.environ["EMAIL_FILE_PATH"] = str(outbox)
    os.environ["TASKS_BACKEND"] = "database"
    return outbox


#: The club's medium is named "email", which the project's settings give to the workers' channel too.
CHANNELS = {"email": "entity_event.channels.EmailChannel"}


def run(deliveries: int, workers: int, outbox: Path) -> tuple[int, list[str]]:
    """Plan and send ``deliveries``; whether it failed (1) or not (0), and what it measured."""
    from django.test import override_settings

    with override_settings(ENTITY_EVENT_CHANNELS=CHANNELS):
        medium, post = build_club(MEMBERS)
        events = max(deliveries // MEMBERS, 2)
        small = plan(medium, post, events // 5)
        large = plan(medium, post, events - events // 5)
        idle = plan(medium, post, 0)
        findings = report_planning(small, large, idle)
        batch_queries, batch_size = send_one_batch()
        findings.append(f"sending: {batch_queries} queries for a batch of {batch_size} deliveries")
        for finding in findings:
            print(finding, flush=True)
        sent = send_with_workers(workers, outbox, small["planned"] + large["planned"])
        sending = (
            f"sending: {workers} db_workers sent {sent['sent']:,} deliveries in {sent['seconds']:.1f} s "
            f"({sent['sent'] / sent['seconds']:,.0f} messages/s, worker start-up included); "
            f"{sent['written']:,} messages written"
        )
        print(sending)
        return int(sent["failed"]), [*findings, sending]


def build_club(members: int):
    """A club whose ``members`` receive its news by email; returns the medium and a poster."""
    from django.contrib.contenttypes.models import ContentType
    from entity.models import Entity, EntityKind, EntityRelationship

    from entity_event.models import ContextRenderer, Event, Medium, RenderingStyle, Source, SourceGroup

    user, club_kind = (EntityKind.objects.create(name=name, display_name=name) for name in ("user", "club"))
    kind_type = ContentType.objects.get_for_model(EntityKind)
    club = Entity.all_objects.create(
        display_name="club", entity_id=0, entity_type=kind_type, entity_kind=club_kind
    )
    people = Entity.all_objects.bulk_create(
        Entity(
            display_name=f"member{number}",
            entity_id=number + 1,
            entity_type=kind_type,
            entity_kind=user,
            entity_meta={"email": f"member{number}@example.com"},
        )
        for number in range(members)
    )
    EntityRelationship.objects.bulk_create(
        EntityRelationship(sub_entity=m, super_entity=club) for m in people
    )
    group = SourceGroup.objects.create(name="club", display_name="Club", description="")
    news = Source.objects.create(name="news", display_name="News", description="", group=group)
    style = RenderingStyle.objects.create(name="email", display_name="Email")
    ContextRenderer.objects.create(
        name="news",
        source=news,
        rendering_style=style,
        text_template="News: {{ title }}",
        html_template="<p>News: <b>{{ title }}</b></p>",
    )
    medium = Medium.objects.create(name="email", display_name="Email", description="", rendering_style=style)
    medium.subscription_set.create(source=news, entity=club, sub_entity_kind=user, only_following=False)

    def post(count: int) -> None:
        Event.objects.create_events({"source": news, "context": {"title": f"News {n}"}} for n in range(count))

    return medium, post


def plan(medium, post, events: int) -> dict:
    """Post ``events`` events and plan them; time, queries and the peak of Python memory.

    Queries are counted, not recorded: recording their SQL would itself hold memory growing
    with the deliveries.
    """
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    enqueue = f'INSERT INTO "{DBTaskResult._meta.db_table}"'
    counts = {"queries": 0, "enqueues": 0}

    def count(execute, sql, params, many, context):
        counts["enqueues" if sql.startswith(enqueue) else "queries"] += 1
        return execute(sql, params, many, context)

    post(events)
    tracemalloc.start()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        planned = medium.deliver(chunk_size=CHUNK_SIZE)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    chunks = -(-events // CHUNK_SIZE)  # every event reaches every member: no chunk is empty
    return {"planned": planned, "seconds": seconds, "chunks": chunks, "peak": peak, **counts}


def report_planning(small: dict, large: dict, idle: dict) -> list[str]:
    """Queries per chunk: those of a run beyond the fixed ones of a run with nothing to plan."""
    findings = [f"planning: a run with nothing new costs {idle['queries']} queries"]
    for label, run in (("a fifth", small), ("the rest", large)):
        per_chunk = (run["queries"] - idle["queries"]) / run["chunks"]
        findings.append(
            f"planning ({label}): {run['planned']:,} deliveries in {run['seconds']:.2f} s "
            f"({run['planned'] / run['seconds']:,.0f}/s); {run['chunks']} chunks of {CHUNK_SIZE} events: "
            f"{per_chunk:.1f} queries per chunk besides {run['enqueues']} enqueues (one per batch of "
            f"deliveries); peak Python memory {run['peak'] / 2**20:.1f} MiB"
        )
    return findings


def send_one_batch() -> tuple[int, int]:
    """Run the first enqueued send task in this process; its number of queries and deliveries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    from entity_event.delivery.tasks import send_deliveries

    task = DBTaskResult.objects.filter(status="READY").order_by("enqueued_at").first()
    [delivery_ids] = task.args_kwargs["args"]
    task.delete()
    with CaptureQueriesContext(connection) as captured:
        send_deliveries.call(delivery_ids)
    return len(captured.captured_queries), len(delivery_ids)


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{quote(db['HOST'] or '', safe='')}{port}/{db['NAME']}"


def send_with_workers(workers: int, outbox: Path, planned: int) -> dict:
    """Run ``workers`` db_worker processes until the queue is empty; check every message was written.

    The deliveries sent, the messages written, the seconds from the workers' start to the last
    one's exit, and whether it failed (an exit status, or other than ``planned`` sent and written).
    """
    from django.db import connection

    from entity_event.models import Delivery

    environment = {**os.environ, "DATABASE_URL": database_url()}
    command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"]
    connection.close()
    started = time.perf_counter()
    log_path = outbox.with_name(f"{outbox.name}-workers.log")
    log = log_path.open("w")
    processes = [
        subprocess.Popen(
            [*command, "--worker-id", f"bench-{n}"], cwd=ROOT, env=environment, stdout=log, stderr=log
        )
        for n in range(workers)
    ]
    codes = [process.wait() for process in processes]
    seconds = time.perf_counter() - started
    sent = Delivery.objects.filter(status="sent").count()
    log.close()
    written = sum(path.read_bytes().count(b"\nMessage-ID: ") for path in outbox.iterdir())
    failed = codes != [0] * workers or sent != planned or written != planned
    if failed:
        print(
            f"FAILED: worker exit codes {codes}, {sent} sent of {planned}, {written} written", file=sys.stderr
        )
    return {"sent": sent, "written": written, "seconds": seconds, "failed": failed}


def write_docs(figures: dict) -> None:
    """The reStructuredText included by docs/delivery.rst: one part per server."""
    text = []
    for result in figures["servers"]:
        server = result["server"]
        text += [
            *provenance.server_heading(server),
            *(f"* {finding}" for finding in result["findings"]),
            "",
        ]
    provenance.write_figures(DOCS_FIGURES, "delivery.py", figures, text)
    print(f"Wrote {DOCS_FIGURES.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
