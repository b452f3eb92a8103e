"""Live streams under load: many Server-Sent Event streams on one ASGI server process.

In a throwaway PostgreSQL database, the script measures:

* what the NOTIFY trigger of events costs ``create_events``: batches of events created with the
  trigger and with it disabled, alternately, the median of each;
* 1,000 streams (``--streams``) opened on loopback against one uvicorn process serving the
  project's ``asgi.py``, for 50 people (each stream one person's newsfeed), while events are
  posted and marks made: the latency from commit to message (p50 and p99, over every stream that
  had to hear it), the memory of the server process per open stream, and the database
  connections the server used.

Bounded: a fixed number of posts and marks, each waited for at most ``--timeout`` seconds; the
server is stopped at the end. ``--quick`` (50 streams, a few posts) writes nothing; otherwise
docs/live-figures.inc is written with its provenance.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import provenance
from database import ROOT, setup_django, throwaway_database
from servers import add_server_option, chosen, measure_on

DOCS_FIGURES = ROOT / "docs" / "live-figures.inc"
PEOPLE = 50

#: Streams opened at the same time. Each stream's request takes a database connection of its own
#: until its first count is computed (Django's request thread), so a thousand at once would
#: exceed the server's ``max_connections``; browsers arrive spread out.
OPENING_AT_ONCE = 50


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each message")
    parser.add_argument("--quick", action="store_true", help="50 streams, 5 posts; write nothing")
    add_server_option(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # measure here, write the JSON there
    arguments = parser.parse_args()
    streams, posts = (50, 5) if arguments.quick else (arguments.streams, arguments.posts)
    if arguments.child:
        return measure_here(streams, posts, arguments.timeout, Path(arguments.child))
    sizes = ["--streams", str(streams), "--posts", str(posts), "--timeout", str(arguments.timeout)]
    figures = provenance.start()
    figures["servers"] = [measure_on(server, __file__, sizes) for server in chosen(arguments.server)]
    provenance.finish(figures)
    failed = max(result["failed"] for result in figures["servers"])
    for result in figures["servers"]:
        print("\n".join(result["findings"]))
    if not failed and not arguments.quick:
        write_docs(figures)
    return failed


def measure_here(streams: int, posts: int, timeout: float, output: Path) -> int:
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"The benchmark needs PostgreSQL; DATABASE_URL points to {connection.vendor}.", file=sys.stderr)
        return 2
    with throwaway_database(f"entity_event_live_bench_{os.getpid()}"):
        server = provenance.server_info()
        findings = trigger_cost()
        failed, load = under_load(streams, posts, timeout)
        with connection.cursor() as cursor:  # what the server left behind, if it was killed
            cursor.execute(
                "SELECT application_name, state, left(query, 60), pg_terminate_backend(pid)"
                " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            for row in cursor.fetchall():
                print("left behind:", row, file=sys.stderr)
    output.write_text(json.dumps({"server": server, "failed": failed, "findings": findings + load}))
    return 0


# The cost of the trigger.


def trigger_cost(batch: int = 3000, rounds: int = 5) -> list[str]:
    """Milliseconds of ``create_events`` for ``batch`` events, with the trigger and without."""
    from django.db import connection

    from entity_event import Event, Source, SourceGroup

    group = SourceGroup.objects.create(name="bench", display_name="Bench", description="")
    source = Source.objects.create(name="bench", display_name="Bench", description="", group=group)
    seconds = {True: [], False: []}
    for _ in range(rounds):
        for enabled in (False, True):  # the trigger enabled last, as the load needs it
            with connection.cursor() as cursor:
                state = "ENABLE" if enabled else "DISABLE"
                cursor.execute(
                    f"ALTER TABLE entity_event_event {state} TRIGGER entity_event_event_live_insert"
                )
            started = time.perf_counter()
            Event.objects.create_events({"source": source, "context": {"n": n}} for n in range(batch))
            seconds[enabled].append(time.perf_counter() - started)
    with_trigger, without = (statistics.median(seconds[state]) * 1000 for state in (True, False))
    return [
        f"``create_events`` of {batch:,} events: {with_trigger:,.0f} ms with the NOTIFY trigger, "
        f"{without:,.0f} ms without (median of {rounds} rounds each, alternated): "
        f"{with_trigger - without:+,.0f} ms ({(with_trigger / without - 1) * 100:+.1f}%)"
    ]


# Streams under load.


def people() -> list[tuple]:
    """``PEOPLE`` users with their entities, each subscribed to the posts on the newsfeed, and a
    signed-in session each: ``(entity, session key)``."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.backends.db import SessionStore
    from entity.models import Entity, EntityKind

    from entity_event import Medium, Source, Subscription

    kind = EntityKind.objects.get_or_create(name="user", defaults={"display_name": "User"})[0]
    medium = Medium.objects.create(name="newsfeed", display_name="Newsfeed", description="")
    source = Source.objects.get(name="bench")
    made = []
    for n in range(PEOPLE):
        user = User.objects.create_user(f"person{n}")
        entity = Entity.all_objects.get_or_create(
            entity_id=user.pk,
            entity_type=ContentType.objects.get_for_model(User),
            defaults={"display_name": user.username, "entity_kind": kind},
        )[0]
        Subscription.objects.create(medium=medium, source=source, entity=entity, only_following=False)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        made.append((entity, session.session_key))
    return made


def database_url() -> str:
    from django.db import connection

    settings = connection.settings_dict
    user = f"{settings['USER']}@" if settings.get("USER") else ""
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    host = settings.get("HOST") or ""
    if host.startswith("/"):
        return f"postgres://{user}{port}/{settings['NAME']}?host={host}"
    return f"postgres://{user}{host}{port}/{settings['NAME']}"


def server_connections() -> int:
    """Connections to this database, other than this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def rss_kib(pid: int) -> int:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in lines if line.startswith("VmRSS:"))


class Client:
    """One stream read over a raw socket: its messages, each with the time it arrived."""

    def __init__(self, port: int, session_key: str):
        self.port, self.session_key = port, session_key
        self.received: list[tuple[float, str, dict]] = []
        self.opened = asyncio.Event()

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(
            b"GET /notifications/newsfeed/stream/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Cookie: sessionid={self.session_key}\r\n\r\n".encode()
        )
        await writer.drain()
        name = None
        try:
            while line := await reader.readline():
                text = line.decode().rstrip("\r\n")
                if text.startswith("event: "):
                    name = text[7:]
                elif text.startswith("data: ") and name:
                    self.received.append((time.perf_counter(), name, json.loads(text[6:])))
                    self.opened.set()
        finally:
            writer.close()


def under_load(streams: int, posts: int, timeout: float) -> tuple[int, list[str]]:
    from entity_event import Event, Medium, Source

    everyone = people()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    before = server_connections()
    environment = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_DEBUG": "0"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "asgi:application",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "1",
            "--backlog",
            str(max(2048, streams)),
        ],
        cwd=ROOT,
        env=environment,
    )
    try:
        return asyncio.run(
            _load(server, port, everyone, streams, posts, timeout, before, Event, Medium, Source)
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)


async def _load(server, port, everyone, streams, posts, timeout, before, Event, Medium, Source):
    from asgiref.sync import sync_to_async
    from django.db import connections

    close_all = connections.close_all

    for _ in range(200):  # wait for the server to listen
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.1)
    warm = Client(port, everyone[0][1])
    warm_task = asyncio.create_task(warm.run())
    await asyncio.wait_for(warm.opened.wait(), timeout)
    idle_rss = rss_kib(server.pid)
    clients = [Client(port, everyone[n % PEOPLE][1]) for n in range(streams)]
    started = time.perf_counter()
    tasks = []
    for wave in range(0, streams, OPENING_AT_ONCE):
        opening = clients[wave : wave + OPENING_AT_ONCE]
        tasks += [asyncio.create_task(client.run()) for client in opening]
        await asyncio.wait_for(asyncio.gather(*(client.opened.wait() for client in opening)), timeout)
    opening = time.perf_counter() - started
    open_rss = rss_kib(server.pid)
    connections = await sync_to_async(server_connections)() - before

    source, medium = (
        await sync_to_async(Source.objects.get)(name="bench"),
        await sync_to_async(Medium.objects.get)(name="newsfeed"),
    )
    post_latencies, mark_latencies, missed = [], [], 0
    for n in range(posts):
        event = await sync_to_async(Event.objects.create_event)(source=source, context={"n": n})
        committed = time.perf_counter()
        missed += await _wait(
            clients,
            lambda name, data, event=event: name == "new" and event.pk in data["ids"],
            committed,
            post_latencies,
            timeout,
        )
        person, _ = everyone[n % PEOPLE]
        await sync_to_async(medium.inbox(person).mark_seen)()
        committed = time.perf_counter()
        marked = [client for m, client in enumerate(clients) if m % PEOPLE == n % PEOPLE]
        missed += await _wait(
            marked,
            lambda name, data: name == "unseen-count" and data["count"] == 0,
            committed,
            mark_latencies,
            timeout,
        )
    for task in [*tasks, warm_task]:
        task.cancel()
    await asyncio.gather(*tasks, warm_task, return_exceptions=True)
    await sync_to_async(close_all)()  # the connection of sync_to_async's thread

    def percentiles(latencies):
        ms = sorted(latency * 1000 for latency in latencies)
        return f"p50 {ms[len(ms) // 2]:.0f} ms, p99 {ms[min(len(ms) - 1, len(ms) * 99 // 100)]:.0f} ms"

    findings = [
        f"{streams:,} streams of {PEOPLE} people open on one uvicorn process: "
        f"{(open_rss - idle_rss) / streams:.1f} KiB of server memory per stream "
        f"({idle_rss / 1024:.0f} MiB with one stream, {open_rss / 1024:.0f} MiB with all); "
        f"opened {OPENING_AT_ONCE} at a time in {opening:.1f} s",
        f"database connections of the server process with every stream open: {connections} "
        "(one listening, one for the listener's queries, and the views' own)",
        f"latency from the commit of a post to its ``new`` message, over the {len(post_latencies):,} "
        f"stream messages of {posts} posts: {percentiles(post_latencies)}",
        f"latency from the commit of a mark to the ``unseen-count`` message of the person's streams, "
        f"over {len(mark_latencies):,} messages of {posts} marks: {percentiles(mark_latencies)}",
    ]
    if missed:
        findings.append(f"FAILED: {missed} messages did not arrive within {timeout} s")
    return (1 if missed else 0), findings


async def _wait(clients, matches, committed, latencies, timeout) -> int:
    """Wait until every client received a message that ``matches``; record the latencies; how many
    did not within ``timeout``. Each look reads only the messages that arrived since the last one,
    so that this process's own work stays small beside the server's (the arrival times are taken
    as the messages are read, whatever the looks)."""
    deadline = time.perf_counter() + timeout
    read = {client: 0 for client in clients}
    while read and time.perf_counter() < deadline:
        for client, start in list(read.items()):
            received = client.received
            arrival = next(
                (at for at, name, data in received[start:] if at >= committed - 1 and matches(name, data)),
                None,
            )
            if arrival is None:
                read[client] = len(received)
            else:
                latencies.append(max(arrival - committed, 0))
                del read[client]
        if read:
            await asyncio.sleep(0.02)
    return len(read)


def write_docs(figures: dict) -> None:
    """The reStructuredText included by docs/live.rst: one part per server."""
    text = []
    for result in figures["servers"]:
        text += [*provenance.server_heading(result["server"]), *(f"* {f}" for f in result["findings"]), ""]
    provenance.write_figures(DOCS_FIGURES, "live.py", figures, text)
    print(f"Wrote {DOCS_FIGURES.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
