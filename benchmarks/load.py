"""Load check: writers and readers at once against PostgreSQL, then a check that nothing was lost.

Writer processes store batches of events through ``create_events(ignore_duplicates=True)``;
half of each batch uses uuids that another writer also stores, so that the same uuid arrives
from several processes at the same moment. Reader processes meanwhile read their users' feeds
with ``entity_events(seen=False, mark_seen=True)`` and stream ``iter_events_targets`` with
``mark_seen``. After ``--seconds`` every process stops and the check verifies:

- every uuid that some writer was told it created exists exactly once, and so does every
  uuid that a writer asked for (nothing lost, nothing doubled);
- each stored event has the actors it was created with, no more;
- no process raised an exception;
- no event was marked seen twice on a medium.

It prints the throughput and exits non-zero on any violation. It works in a throwaway database
on the embedded (or ``DATABASE_URL``) PostgreSQL server, never in the project's own database.

    python benchmarks/load.py --seconds 5
"""

import argparse
import multiprocessing
import sys
import time
import traceback

from database import setup_django, throwaway_database

DATABASE = "entity_event_load"
USERS = 60
BATCH = 20


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the processes run")
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--readers", type=int, default=3)
    arguments = parser.parse_args()
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(
            f"The load check needs PostgreSQL; DATABASE_URL points to {connection.vendor}.", file=sys.stderr
        )
        return 2
    with throwaway_database(DATABASE):
        ids = prepare_world()
        connection.close()  # each child opens its own connection
        outcomes = run_processes(ids, arguments)
        violations = check(outcomes)
        report(outcomes, arguments.seconds, violations)
    return 1 if violations else 0


def prepare_world() -> dict:
    """A team of users subscribed to a source on two mediums; returns the ids the children need."""
    from django.contrib.contenttypes.models import ContentType
    from entity.models import Entity, EntityKind, EntityRelationship

    from entity_event.models import Medium, Source, SourceGroup, Subscription

    user_kind = EntityKind.objects.create(name="user", display_name="User")
    team_kind = EntityKind.objects.create(name="team", display_name="Team")
    entity_type = ContentType.objects.get_for_model(EntityKind)
    team = Entity.all_objects.create(
        entity_id=0, entity_type=entity_type, entity_kind=team_kind, display_name="team"
    )
    users = Entity.all_objects.bulk_create(
        Entity(entity_id=n + 1, entity_type=entity_type, entity_kind=user_kind, display_name=f"user {n}")
        for n in range(USERS)
    )
    EntityRelationship.objects.bulk_create(EntityRelationship(sub_entity=u, super_entity=team) for u in users)
    group = SourceGroup.objects.create(name="load", display_name="Load", description="")
    source = Source.objects.create(name="load", display_name="Load", description="", group=group)
    mediums = [
        Medium.objects.create(name=name, display_name=name, description="") for name in ("feed", "mail")
    ]
    for medium in mediums:
        Subscription.objects.create(
            medium=medium, source=source, entity=team, sub_entity_kind=user_kind, only_following=False
        )
    return {"source": source.id, "users": [u.id for u in users], "mediums": [m.id for m in mediums]}


def run_processes(ids: dict, arguments) -> list[dict]:
    deadline = time.time() + arguments.seconds
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [
        context.Process(target=guarded, args=(writer, number, ids, deadline, results))
        for number in range(arguments.writers)
    ] + [
        context.Process(target=guarded, args=(reader, number, ids, deadline, results))
        for number in range(arguments.readers)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=arguments.seconds + 120) for _process in processes]
    for process in processes:
        process.join(timeout=30)
        if process.exitcode != 0:
            outcomes.append(
                {"role": "process", "number": process.pid, "error": f"exit code {process.exitcode}"}
            )
    return outcomes


def guarded(role, number: int, ids: dict, deadline: float, results) -> None:
    """Run ``role`` in this child process and report its outcome (or its exception) to the parent."""
    from django.db import connection

    connection.close()
    try:
        outcome = role(number, ids, deadline)
    except Exception:  # noqa: BLE001 - any exception is a violation the parent reports
        outcome = {"role": role.__name__, "number": number, "error": traceback.format_exc()}
    finally:
        connection.close()
    results.put(outcome)


def writer(number: int, ids: dict, deadline: float) -> dict:
    """Store batches: half the uuids are this writer's own, half are shared by every writer."""
    from entity_event.models import Event

    created, asked, actors, batches = [], set(), {}, 0
    while time.time() < deadline:
        requests = []
        for slot in range(BATCH):
            uuid = f"shared-{batches}-{slot}" if slot % 2 else f"writer{number}-{batches}-{slot}"
            event_actors = [
                ids["users"][(batches + slot) % USERS],
                ids["users"][(batches * 7 + slot) % USERS],
            ]
            actors[uuid] = sorted(set(event_actors))
            requests.append(
                {
                    "source_id": ids["source"],
                    "actors": event_actors,
                    "context": {"writer": number, "batch": batches},
                    "uuid": uuid,
                    "ignore_duplicates": True,
                }
            )
            asked.add(uuid)
        created += [event.uuid for event in Event.objects.create_events(requests)]
        batches += 1
    return {"role": "writer", "number": number, "created": created, "asked": sorted(asked), "actors": actors}


def reader(number: int, ids: dict, deadline: float) -> dict:
    """Read feeds and mark them seen, alternating per-user feeds and streamed targets."""
    from entity.models import Entity

    from entity_event.models import Medium

    feed, mail = Medium.objects.filter(id__in=ids["mediums"]).order_by("id")
    reads, events_read = 0, 0
    while time.time() < deadline:
        user = Entity.all_objects.get(id=ids["users"][(number * 13 + reads) % USERS])
        events_read += len(feed.entity_events(user, seen=False, mark_seen=True))
        events_read += sum(1 for _pair in mail.iter_events_targets(seen=False, mark_seen=True, chunk_size=50))
        reads += 1
    return {"role": "reader", "number": number, "reads": reads, "events_read": events_read}


def check(outcomes: list[dict]) -> list[str]:
    from django.db.models import Count

    from entity_event.models import Event, EventActor, EventSeen

    violations = [f"{o['role']} {o['number']} failed:\n{o['error']}" for o in outcomes if "error" in o]
    writers = [o for o in outcomes if o.get("role") == "writer" and "error" not in o]
    created = [uuid for o in writers for uuid in o["created"]]
    asked = {uuid for o in writers for uuid in o["asked"]}
    stored = dict(Event.objects.values_list("uuid", "id"))
    if len(created) != len(set(created)):
        violations.append(f"{len(created) - len(set(created))} uuids were reported created by two writers")
    if missing := asked - stored.keys():
        violations.append(f"{len(missing)} events lost, e.g. {sorted(missing)[:3]}")
    if extra := stored.keys() - asked:
        violations.append(f"{len(extra)} events nobody asked for, e.g. {sorted(extra)[:3]}")
    if set(created) != stored.keys():
        violations.append("the uuids reported created differ from the uuids stored")
    expected_actors = {uuid: actors for o in writers for uuid, actors in o["actors"].items()}
    stored_actors = {}
    for event_id, entity_id in EventActor.objects.values_list("event_id", "entity_id").order_by("entity_id"):
        stored_actors.setdefault(event_id, []).append(entity_id)
    wrong = [
        uuid for uuid, event_id in stored.items() if stored_actors.get(event_id) != expected_actors.get(uuid)
    ]
    if wrong:
        violations.append(f"{len(wrong)} events have other actors than asked, e.g. {wrong[:3]}")
    doubled = EventSeen.objects.values("event_id", "medium_id").annotate(n=Count("id")).filter(n__gt=1)
    if doubled.exists():
        violations.append(f"{doubled.count()} events were marked seen twice on one medium")
    return violations


def report(outcomes: list[dict], seconds: float, violations: list[str]) -> None:
    from entity_event.models import Event, EventSeen

    writers = [o for o in outcomes if o.get("role") == "writer" and "error" not in o]
    readers = [o for o in outcomes if o.get("role") == "reader" and "error" not in o]
    asked = sum(len(o["asked"]) for o in writers)
    print(
        f"{len(writers)} writers asked for {asked:,} events ({asked / seconds:,.0f}/s), "
        f"{Event.objects.count():,} distinct stored; "
        f"{len(readers)} readers did {sum(o['reads'] for o in readers):,} reads "
        f"({sum(o['reads'] for o in readers) / seconds:,.1f}/s) returning "
        f"{sum(o['events_read'] for o in readers):,} events; {EventSeen.objects.count():,} seen marks"
    )
    for violation in violations:
        print(f"VIOLATION: {violation}", file=sys.stderr)
    print("load check:", "FAILED" if violations else "passed")


if __name__ == "__main__":
    sys.exit(main())
