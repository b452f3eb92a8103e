"""Worlds of other shapes than ``world.py``'s, each stressing one way routing can grow.

Every shape is one organisation of users, in teams (and, for the hierarchy, departments), whose
relationships are stored as django-entity's syncing would store them: each entity is a sub
entity of all its ancestors. A shape scales with its ``scale``: users and events grow together
(1x, 4x, 16x); the number of sources stays the shape's own.

- ``org_teams``: the shape of the routing issue: users spread over 20 teams, 10 sources; on the
  newsfeed each source has an org-wide group subscription to users (a third of them only
  following) and a team group subscription per team (only following); 1 to 3 user actors.
- ``org_following``: org-wide group subscriptions, all only following, on every source.
- ``hierarchy``: organisation, 5 departments, teams of 10, users (three levels); org-wide
  subscriptions to half of the sources, department subscriptions (only following) to the rest.
- ``hot_actor``: as ``org_teams``, but one user is an actor of four events in five.
- ``many_sources``: 200 sources, each with an org-wide subscription (every other one only
  following).
- ``unsubscribed``: org-wide subscriptions to 10 sources, and every user unsubscribed from half
  of them.

Each shape also subscribes the org to every source on an *email* medium, so routing has to keep
to its medium.
"""

import random
from dataclasses import dataclass
from itertools import count

from django.contrib.contenttypes.models import ContentType
from entity.models import Entity, EntityKind, EntityRelationship
from world import sources_and_mediums

from entity_event.models import Medium, Source, Subscription, Unsubscription

#: Users and events of each shape at 1x.
BASE_USERS = 60
BASE_EVENTS = 250


@dataclass
class Shape:
    users: list[Entity]
    sources: list[Source]
    newsfeed: Medium
    requests: list[dict]
    reader: Entity  # whose entity_events are measured: the hot actor, else a user in the middle


class _Population:
    """Entities of one organisation, with their relationships to every ancestor."""

    def __init__(self):
        self.kinds = {
            name: EntityKind.objects.get_or_create(name=name, defaults={"display_name": name})[0]
            for name in ("organization", "department", "team", "user")
        }
        self.entity_type = ContentType.objects.get_for_model(EntityKind)
        self.ids = count(Entity.all_objects.count() + 1)
        self.relationships = []

    def make(self, kind: str, number: int) -> list[Entity]:
        return Entity.all_objects.bulk_create(
            Entity(
                display_name=f"{kind} {n}",
                entity_id=next(self.ids),
                entity_type=self.entity_type,
                entity_kind=self.kinds[kind],
                entity_meta={"email": f"{kind}{n}@example.com"},
            )
            for n in range(number)
        )

    def relate(self, entity: Entity, *ancestors: Entity) -> None:
        self.relationships += [EntityRelationship(sub_entity=entity, super_entity=a) for a in ancestors]

    def save(self) -> None:
        EntityRelationship.objects.bulk_create(self.relationships)


def build_shape(name: str, scale: int, seed: int = 7) -> Shape:
    """Build shape ``name`` at ``scale`` (1, 4, 16, ...) and plan its events."""
    users, events = BASE_USERS * scale, BASE_EVENTS * scale
    sources = 200 if name == "many_sources" else 10
    people = _Population()
    (org,) = people.make("organization", 1)
    user_entities = people.make("user", users)
    user_kind = people.kinds["user"]
    if name == "hierarchy":
        departments = people.make("department", 5)
        teams = people.make("team", -(-users // 10))
        for department in departments:
            people.relate(department, org)
        for n, team in enumerate(teams):
            people.relate(team, departments[n % 5], org)
        for n, user in enumerate(user_entities):
            team = teams[n // 10]
            people.relate(user, team, departments[(n // 10) % 5], org)
    else:
        departments = []
        teams = people.make("team", 20)
        for team in teams:
            people.relate(team, org)
        for n, user in enumerate(user_entities):
            people.relate(user, teams[n % 20], org)
    people.save()

    source_objects, newsfeed, email = sources_and_mediums(f"{name} ", sources)

    def group_subscription(source, entity, only_following):
        return Subscription(
            medium=newsfeed,
            source=source,
            entity=entity,
            sub_entity_kind=user_kind,
            only_following=only_following,
        )

    subscriptions = [
        Subscription(medium=email, source=s, entity=org, sub_entity_kind=user_kind, only_following=True)
        for s in source_objects
    ]
    if name in ("org_teams", "hot_actor"):
        subscriptions += [group_subscription(s, org, n % 3 == 0) for n, s in enumerate(source_objects)]
        subscriptions += [group_subscription(s, team, True) for s in source_objects for team in teams]
    elif name == "org_following":
        subscriptions += [group_subscription(s, org, True) for s in source_objects]
    elif name == "hierarchy":
        half = len(source_objects) // 2
        subscriptions += [group_subscription(s, org, False) for s in source_objects[:half]]
        subscriptions += [
            group_subscription(s, department, True)
            for s in source_objects[half:]
            for department in departments
        ]
    elif name == "many_sources":
        subscriptions += [group_subscription(s, org, n % 2 == 1) for n, s in enumerate(source_objects)]
    elif name == "unsubscribed":
        subscriptions += [group_subscription(s, org, False) for s in source_objects]
        Unsubscription.objects.bulk_create(
            Unsubscription(medium=newsfeed, source=s, entity=user)
            for n, user in enumerate(user_entities)
            for k, s in enumerate(source_objects)
            if (n + k) % 2 == 0
        )
    else:
        raise ValueError(f"unknown shape {name!r}")
    Subscription.objects.bulk_create(subscriptions)

    chance = random.Random(seed)
    hot = user_entities[0]
    requests = []
    for n in range(events):
        actors = chance.sample(user_entities, chance.randint(1, 3))
        if name == "hot_actor" and n % 5 and hot not in actors:
            actors[0] = hot
        requests.append(
            {
                "source": source_objects[n % len(source_objects)],
                "actors": actors,
                "context": {"number": n, "title": f"Event {n}"},
                "uuid": f"{name}-{seed}-{n}",
            }
        )
    reader = hot if name == "hot_actor" else user_entities[len(user_entities) // 2]
    return Shape(user_entities, source_objects, newsfeed, requests, reader)
