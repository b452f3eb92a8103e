"""Small builders for test data: entities, groups, sources, mediums and events; threads at once."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import count
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from entity.models import Entity, EntityKind, EntityRelationship

from entity_event.models import (
    ContextRenderer,
    Event,
    Medium,
    RenderingStyle,
    Source,
    SourceGroup,
    Subscription,
    Unsubscription,
)

_entity_ids = count(1)

#: A context hint turning the "user" key of a context into a django.contrib.auth user.
USER_HINT = {"user": {"app_name": "auth", "model_name": "User"}}


def kind(name: str) -> EntityKind:
    return EntityKind.objects.get_or_create(name=name, defaults={"display_name": name.title()})[0]


def entity(name: str, kind_name: str = "user", supers=(), is_active: bool = True) -> Entity:
    """An entity of ``kind_name``, made a sub entity of each of ``supers``."""
    made = Entity.all_objects.create(
        display_name=name,
        entity_id=next(_entity_ids),
        entity_type=ContentType.objects.get_for_model(EntityKind),
        entity_kind=kind(kind_name),
        entity_meta={"email": f"{name}@example.com"},
        is_active=is_active,
    )
    EntityRelationship.objects.bulk_create(
        EntityRelationship(sub_entity=made, super_entity=s) for s in supers
    )
    return made


def source(name: str = "photo-tag", group: str = "site") -> Source:
    source_group = SourceGroup.objects.get_or_create(
        name=group, defaults={"display_name": group.title(), "description": f"Events of {group}"}
    )[0]
    return Source.objects.create(name=name, display_name=name.title(), description=name, group=source_group)


def medium(name: str = "newsfeed", medium_class=Medium, **fields) -> Medium:
    return medium_class.objects.create(name=name, display_name=name.title(), description=name, **fields)


def style(name: str = "short") -> RenderingStyle:
    return RenderingStyle.objects.get_or_create(name=name, defaults={"display_name": name.title()})[0]


def renderer(name: str, rendering_style, source=None, group=None, **fields) -> ContextRenderer:
    """A context renderer of ``source`` or of the source group named ``group``."""
    source_group = SourceGroup.objects.get(name=group) if group else None
    return ContextRenderer.objects.create(
        name=name, rendering_style=rendering_style, source=source, source_group=source_group, **fields
    )


def subscribe(
    medium, source, entity, sub_kind: str | None = None, only_following: bool = False
) -> Subscription:
    return Subscription.objects.create(
        medium=medium,
        source=source,
        entity=entity,
        sub_entity_kind=kind(sub_kind) if sub_kind else None,
        only_following=only_following,
    )


def unsubscribe(medium, source, entity) -> Unsubscription:
    return Unsubscription.objects.create(medium=medium, source=source, entity=entity)


def event(source, actors=(), **fields) -> Event:
    return Event.objects.create_event(
        source=source, actors=list(actors), context=fields.pop("context", {}), **fields
    )


def company() -> SimpleNamespace:
    """An organisation, acme, with two teams (red: alice, bob and the inactive erin; blue:
    carol) and dave directly in it; a photo-tag source and a newsfeed medium."""
    acme = entity("acme", "organization")
    red = entity("red", "team", supers=[acme])
    blue = entity("blue", "team", supers=[acme])
    return SimpleNamespace(
        acme=acme,
        red=red,
        blue=blue,
        alice=entity("alice", supers=[red, acme]),
        bob=entity("bob", supers=[red, acme]),
        carol=entity("carol", supers=[blue, acme]),
        dave=entity("dave", supers=[acme]),
        erin=entity("erin", supers=[red, acme], is_active=False),
        photo=source("photo-tag"),
        newsfeed=medium("newsfeed"),
    )


def statements(captured) -> list[str]:
    """The SQL statements a ``CaptureQueriesContext`` saw, savepoints of nested transactions left out."""
    return [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]]


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the concurrent writes need a server database (PostgreSQL)"
)


def run_together(*works) -> list:
    """Run each of ``works`` in a thread of its own, released together; return their results
    (errors propagate). Each thread closes its database connection when done."""
    barrier = threading.Barrier(len(works))

    def run(work):
        barrier.wait()
        try:
            return work()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(works)) as pool:
        futures = [pool.submit(run, work) for work in works]
        return [future.result() for future in futures]


def run_at_once(count: int, work) -> list:
    """Run ``work`` in ``count`` threads released together; return their results."""
    return run_together(*[work] * count)


def row_counts() -> dict[str, int]:
    """The number of rows of every table of every installed model (one query per table)."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.db_table] = model._base_manager.count()
    return counts


@contextmanager
def row_counts_unchanged() -> Iterator[None]:
    """Assert that the block leaves every table with the rows it had (none added, none removed)."""
    before = row_counts()
    yield
    assert row_counts() == before


@contextmanager
def no_server_side_cursor() -> Iterator[None]:
    """Fail on any server-side cursor opened in the block: PgBouncer in transaction pooling mode
    may hand each transaction another server, where a cursor opened before does not exist."""

    def refused(*args, **kwargs):
        raise AssertionError("a server-side cursor was opened")

    original = connection.chunked_cursor
    connection.chunked_cursor = refused
    try:
        yield
    finally:
        connection.chunked_cursor = original
