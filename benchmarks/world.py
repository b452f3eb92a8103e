"""A synthetic world for the benchmarks: an organisation, teams, users, sources and mediums.

Entities and their relationships are inserted in bulk (django-entity's syncing is not needed to
route events). The newsfeed medium mixes every kind of subscription:

- the first ``broadcast_sources`` sources reach every user of the organisation (a group
  subscription to all events), minus the users who unsubscribed from them;
- the other sources reach the members of each team who follow an actor (a group subscription
  per team, only following);
- every tenth user also subscribes on their own, to one source of each kind.

The email medium has other subscriptions, so that routing must keep to its medium. Events take
their sources in turn and have one to three actors, mostly users and sometimes a whole team.
"""

import random
from dataclasses import dataclass, field
from itertools import count

from django.contrib.contenttypes.models import ContentType
from entity.models import Entity, EntityKind, EntityRelationship

from entity_event.models import Event, Medium, Source, SourceGroup, Subscription, Unsubscription

TEAM_SIZE = 25
EVENT_BATCH = 2000


@dataclass
class World:
    users: list[Entity]
    teams: list[Entity]
    sources: list[Source]
    newsfeed: Medium
    email: Medium
    event_requests: list[dict] = field(default_factory=list)


def build_world(
    users: int, sources: int = 10, broadcast_sources: int = 5, prefix: str = "", team_size: int = TEAM_SIZE
) -> World:
    """Entities, sources, mediums and subscriptions, with teams of ``team_size`` users; the events
    are only planned (see ``plan_events``)."""
    kinds = {
        name: EntityKind.objects.get_or_create(name=name, defaults={"display_name": name})[0]
        for name in ("organization", "team", "user")
    }
    entity_type = ContentType.objects.get_for_model(EntityKind)
    ids = count(Entity.all_objects.count() + 1)

    def make(kind: str, number: int) -> list[Entity]:
        return Entity.all_objects.bulk_create(
            Entity(
                display_name=f"{prefix}{kind} {n}",
                entity_id=next(ids),
                entity_type=entity_type,
                entity_kind=kinds[kind],
                entity_meta={"email": f"{prefix}{kind}{n}@example.com"},
            )
            for n in range(number)
        )

    (organisation,) = make("organization", 1)
    teams = make("team", -(-users // team_size))
    user_entities = make("user", users)
    EntityRelationship.objects.bulk_create(
        [EntityRelationship(sub_entity=team, super_entity=organisation) for team in teams]
        + [
            EntityRelationship(sub_entity=user, super_entity=super_entity)
            for n, user in enumerate(user_entities)
            for super_entity in (teams[n // team_size], organisation)
        ]
    )
    source_objects, newsfeed, email = sources_and_mediums(prefix, sources)
    broadcast, following = source_objects[:broadcast_sources], source_objects[broadcast_sources:]
    user_kind = kinds["user"]
    subscriptions = [
        Subscription(
            medium=newsfeed,
            source=source,
            entity=organisation,
            sub_entity_kind=user_kind,
            only_following=False,
        )
        for source in broadcast
    ]
    subscriptions += [
        Subscription(
            medium=newsfeed, source=source, entity=team, sub_entity_kind=user_kind, only_following=True
        )
        for source in following
        for team in teams
    ]
    subscriptions += [
        Subscription(medium=newsfeed, source=chosen, entity=user, only_following=False)
        for n, user in enumerate(user_entities[::10])
        for chosen in (broadcast[n % len(broadcast)], following[n % len(following)])
    ]
    subscriptions += [
        Subscription(
            medium=email, source=source, entity=organisation, sub_entity_kind=user_kind, only_following=True
        )
        for source in source_objects
    ]
    Subscription.objects.bulk_create(subscriptions)
    Unsubscription.objects.bulk_create(
        Unsubscription(medium=newsfeed, source=broadcast[n % len(broadcast)], entity=user)
        for n, user in enumerate(user_entities[3::20])
    )
    return World(user_entities, teams, source_objects, newsfeed, email)


def sources_and_mediums(prefix: str, sources: int) -> tuple[list[Source], Medium, Medium]:
    """``sources`` sources in one group, and the newsfeed and email mediums, names prefixed."""
    group = SourceGroup.objects.create(name=f"{prefix}site", display_name="Site", description="Site")
    source_objects = Source.objects.bulk_create(
        Source(name=f"{prefix}source {n}", display_name=f"Source {n}", description="", group=group)
        for n in range(sources)
    )
    newsfeed, email = (
        Medium.objects.create(name=f"{prefix}{name}", display_name=name, description="")
        for name in ("newsfeed", "email")
    )
    return source_objects, newsfeed, email


def plan_events(world: World, events: int, seed: int = 7) -> list[dict]:
    """The arguments of ``create_events`` for ``events`` events, the same for the same seed."""
    chance = random.Random(seed)
    requests = []
    for n in range(events):
        actors = chance.sample(world.users, chance.randint(1, 3))
        if n % 10 == 0:
            actors[0] = chance.choice(world.teams)
        requests.append(
            {
                "source": world.sources[n % len(world.sources)],
                "actors": actors,
                "context": {"number": n, "title": f"Event {n}"},
                "uuid": f"{world.newsfeed.name}-{seed}-{n}",
            }
        )
    return requests


def create_planned_events(requests: list[dict]) -> int:
    """Store the planned events through ``create_events``, in batches; return the rows written."""
    rows = 0
    for start in range(0, len(requests), EVENT_BATCH):
        batch = requests[start : start + EVENT_BATCH]
        # Copies: django-entity-event 3.1.0 (``routing.py --compare-3x``) pops keys from them.
        created = Event.objects.create_events([dict(request) for request in batch])
        rows += len(created) + sum(len(request["actors"]) for request in batch)
    return rows
