"""A concurrent workload on PostgreSQL and the checks that it broke nothing.

Used by ``test_concurrency.py`` (threads, a few seconds) and by ``benchmarks/load.py``
(processes, as long as asked). Every role runs until a shared deadline and returns what it did;
``check`` then compares those accounts with the database. The roles, all at once:

- writers store batches through ``create_events(ignore_duplicates=True)``, half of each batch
  under uuids that every other writer stores at the same moment;
- consumers take the mail medium's unseen events with ``mark_seen=True``, in turn through
  ``events_targets``, ``iter_events_targets`` and one user's ``entity_events``, and record
  every event handed to them;
- markers mark a page of a user's unseen events seen on the same medium with ``claim_seen``
  (the statement of ``QuerySet.mark_seen``, a feed's "mark all read", with the ids it marked
  returned), and record the events they marked;
- deleters delete a few events now and then, and record which once the delete committed.

Each check can fail: an event handed to two consumers, an event marked seen that no consumer
received and no marker marked (lost: nobody will ever get it), an event a writer asked for
that is neither stored nor deleted, a uuid reported created more often than it was deleted and
created again, actors other than asked, a role that completed no operation (idle), or any
exception (a deadlock, a foreign-key violation, a ``KeyError`` in routing, ...).
"""

import random
import time
import traceback
from collections import Counter
from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from entity.models import Entity, EntityKind, EntityRelationship

from entity_event.creation import claim_seen
from entity_event.models import Event, EventActor, EventSeen, Medium, Source, SourceGroup, Subscription

USERS = 60
BATCH = 20


def prepare_world(users: int = USERS) -> dict:
    """A team of users subscribed to a source on two mediums; returns the ids the roles need."""
    user_kind = EntityKind.objects.get_or_create(name="user", defaults={"display_name": "User"})[0]
    team_kind = EntityKind.objects.get_or_create(name="team", defaults={"display_name": "Team"})[0]
    entity_type = ContentType.objects.get_for_model(EntityKind)
    team = Entity.all_objects.create(
        entity_id=0, entity_type=entity_type, entity_kind=team_kind, display_name="load team"
    )
    members = Entity.all_objects.bulk_create(
        Entity(entity_id=n + 1, entity_type=entity_type, entity_kind=user_kind, display_name=f"user {n}")
        for n in range(users)
    )
    EntityRelationship.objects.bulk_create(
        EntityRelationship(sub_entity=user, super_entity=team) for user in members
    )
    group = SourceGroup.objects.create(name="load", display_name="Load", description="")
    source = Source.objects.create(name="load", display_name="Load", description="", group=group)
    mediums = [
        Medium.objects.create(name=name, display_name=name, description="")
        for name in ("load-feed", "load-mail")
    ]
    for medium in mediums:
        Subscription.objects.create(
            medium=medium, source=source, entity=team, sub_entity_kind=user_kind, only_following=False
        )
    return {
        "source": source.id,
        "users": [u.id for u in members],
        "feed": mediums[0].id,
        "mail": mediums[1].id,
    }


def guarded(role: Callable, number: int, ids: dict, deadline: float) -> dict:
    """Run ``role`` on this thread's (or process's) own connection and return its account.

    A role writes its account as it goes, so that what it did before an exception still counts;
    the exception is added to the account, and ``check`` reports it.
    """
    outcome = {"role": role.__name__, "number": number}
    try:
        role(number, ids, deadline, outcome)
    except Exception:  # noqa: BLE001 - any exception is a violation that ``check`` reports
        outcome["error"] = traceback.format_exc()
    finally:
        connection.close()
    return outcome


def writer(number: int, ids: dict, deadline: float, outcome: dict) -> None:
    """Store batches: half the uuids are this writer's own, half are shared by every writer."""
    created, asked, actors = outcome.setdefault("created", []), outcome.setdefault("asked", []), {}
    outcome["actors"], batches, users = actors, 0, ids["users"]
    while time.time() < deadline:
        requests = []
        for slot in range(BATCH):
            uuid = f"shared-{batches}-{slot}" if slot % 2 else f"writer{number}-{batches}-{slot}"
            event_actors = [users[(batches + slot) % len(users)], users[(batches * 7 + slot) % len(users)]]
            requests.append(
                {
                    "source_id": ids["source"],
                    "actors": event_actors,
                    "context": {"writer": number, "batch": batches},
                    "uuid": uuid,
                    "ignore_duplicates": True,
                }
            )
        created += [event.uuid for event in Event.objects.create_events(requests)]
        asked += [request["uuid"] for request in requests]  # a failed batch is rolled back whole
        actors.update((r["uuid"], sorted(set(r["actors"]))) for r in requests)
        batches += 1


def consumer(number: int, ids: dict, deadline: float, outcome: dict) -> None:
    """Take unseen mail events with ``mark_seen=True`` through each of the three methods in turn."""
    mail = Medium.objects.get(id=ids["mail"])
    users = list(Entity.all_objects.filter(id__in=ids["users"]).order_by("id"))
    handed, outcome["calls"] = outcome.setdefault("handed", []), 0
    while time.time() < deadline:
        calls = outcome["calls"]
        way = calls % 3
        if way == 0:
            handed += [event.id for event, _targets in mail.events_targets(seen=False, mark_seen=True)]
        elif way == 1:  # one by one: the chunks taken before an exception were handed out
            for event, _targets in mail.iter_events_targets(seen=False, mark_seen=True, chunk_size=25):
                handed.append(event.id)
        else:
            user = users[(number * 7 + calls) % len(users)]
            handed += [event.id for event in mail.entity_events(user, seen=False, mark_seen=True)]
        outcome["calls"] += 1


def marker(number: int, ids: dict, deadline: float, outcome: dict) -> None:
    """Mark a page of a user's unseen mail events seen, as a feed's "mark all read" does (no event
    handed); record the events this marker marked, and no others."""
    mail = Medium.objects.get(id=ids["mail"])
    users = list(Entity.all_objects.filter(id__in=ids["users"]).order_by("id"))
    marked, outcome["marks"] = outcome.setdefault("marked", []), 0
    while time.time() < deadline:
        unseen = mail.entity_events(users[(number * 11 + outcome["marks"]) % len(users)], seen=False)
        marked += claim_seen(unseen.order_by("id")[:50], mail)
        outcome["marks"] += 1


def deleter(number: int, ids: dict, deadline: float, outcome: dict) -> None:
    """Now and then, delete a few of the stored events (and with them their actors and seen marks);
    record the uuids of the events this deleter deleted, once its delete committed."""
    chance = random.Random(number)
    deleted = outcome.setdefault("deleted", [])
    while time.time() < deadline:
        with transaction.atomic():
            chosen = Event.objects.filter(id__in=Event.objects.values("id").order_by("?")[:3])
            uuids = list(chosen.select_for_update().values_list("uuid", flat=True))
            Event.objects.filter(uuid__in=uuids).delete()
        deleted += uuids
        time.sleep(chance.uniform(0.02, 0.08))


ROLES = {"writer": writer, "consumer": consumer, "marker": marker, "deleter": deleter}

#: What each role counts in its account once an operation of it completed.
WORK = {"writer": "asked", "consumer": "calls", "marker": "marks", "deleter": "deleted"}


def check(outcomes: list[dict], ids: dict) -> dict[str, str]:
    """The violations found, by kind; empty when the run broke nothing.

    First drains the mail medium (one last ``events_targets(seen=False, mark_seen=True)``), so
    that every event still stored was either handed out, marked by a marker, or is lost. A role's
    process that completed no operation proved nothing: it is reported as idle.
    """
    mail = Medium.objects.get(id=ids["mail"])
    violations = {}
    for kind, errors in failures(outcomes).items():
        violations[kind] = f"{len(errors)} role(s) failed; the first:\n{errors[0]}"
    if idle := [
        f"{o['role']} {o['number']}" for o in outcomes if o["role"] in WORK and not o.get(WORK[o["role"]])
    ]:
        violations["idle"] = f"completed no operation: {', '.join(idle)}"
    done = {role: [o for o in outcomes if o.get("role") == role] for role in ROLES}

    drained = [event.id for event, _targets in mail.events_targets(seen=False, mark_seen=True)]
    handed = Counter(event_id for o in done["consumer"] for event_id in o["handed"])
    if shared := sorted(event_id for event_id, times in handed.items() if times > 1):
        violations["shared"] = (
            f"{len(shared)} of {len(handed)} events were handed to more than one consumer, e.g. {shared[:5]}"
        )
    marked_by_markers = {event_id for o in done["marker"] for event_id in o["marked"]}
    seen = set(EventSeen.objects.filter(medium=mail).values_list("event_id", flat=True))
    if lost := sorted(seen - handed.keys() - set(drained) - marked_by_markers):
        violations["lost"] = f"{len(lost)} events were marked seen but handed to nobody, e.g. {lost[:5]}"
    if unseen := Event.objects.exclude(id__in=seen).count():
        violations["unseen"] = f"{unseen} events are still unseen after the final drain"

    deleted = Counter(uuid for o in done["deleter"] for uuid in o["deleted"])
    created = Counter(uuid for o in done["writer"] for uuid in o["created"])
    asked = {uuid for o in done["writer"] for uuid in o["asked"]}
    stored = dict(Event.objects.values_list("uuid", "id"))
    if twice := sorted(uuid for uuid, times in created.items() if times > deleted[uuid] + 1):
        violations["created twice"] = (
            f"{len(twice)} uuids were reported created again while stored, e.g. {twice[:3]}"
        )
    if missing := sorted(asked - stored.keys() - deleted.keys()):
        violations["not stored"] = (
            f"{len(missing)} events asked for are neither stored nor deleted: {missing[:3]}"
        )
    expected_actors = {uuid: actors for o in done["writer"] for uuid, actors in o["actors"].items()}
    stored_actors = {}
    for event_id, entity_id in EventActor.objects.values_list("event_id", "entity_id").order_by("entity_id"):
        stored_actors.setdefault(event_id, []).append(entity_id)
    if wrong := sorted(u for u, i in stored.items() if stored_actors.get(i) != expected_actors.get(u)):
        violations["actors"] = f"{len(wrong)} events have other actors than asked, e.g. {wrong[:3]}"
    return violations


#: Exceptions told apart, so that a known one does not hide a new one: (kind, text in the traceback).
FAILURE_KINDS = (("deadlock", "DeadlockDetected"), ("foreign-key race", "ForeignKeyViolation"))
ERROR_KINDS = (*(kind for kind, _text in FAILURE_KINDS), "errors")


def failures(outcomes: list[dict]) -> dict[str, list[str]]:
    """The roles' exceptions by kind: deadlocks, foreign-key races, and any other error."""
    found = {}
    for outcome in outcomes:
        if "error" in outcome:
            kind = next((k for k, text in FAILURE_KINDS if text in outcome["error"]), "errors")
            found.setdefault(kind, []).append(f"{outcome['role']} {outcome['number']}:\n{outcome['error']}")
    return found


def summary(outcomes: list[dict], seconds: float) -> str:
    """Throughput of the run, one line."""
    done = {role: [o for o in outcomes if o.get("role") == role] for role in ROLES}
    asked = sum(len(o["asked"]) for o in done["writer"])
    calls = sum(o["calls"] for o in done["consumer"])
    handed = sum(len(o["handed"]) for o in done["consumer"])
    marks = sum(o["marks"] for o in done["marker"])
    return (
        f"{len(done['writer'])} writers asked for {asked:,} events ({asked / seconds:,.0f}/s); "
        f"{len(done['consumer'])} consumers made {calls:,} calls ({calls / seconds:,.1f}/s) taking "
        f"{handed:,} events; {len(done['marker'])} markers marked {marks:,} pages; "
        f"{len(done['deleter'])} deleters deleted "
        f"{sum(len(o['deleted']) for o in done['deleter']):,} events"
    )
