"""``manage.py seed_demo``: the demo company, created once and reused."""

from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import connection
from entity.models import EntityKind

from demo import seeding
from demo.seeding import entity_for
from entity_event.models import (
    ContextRenderer,
    Event,
    EventSeen,
    Medium,
    Source,
    Subscription,
    Unsubscription,
)

pytestmark = pytest.mark.django_db


def seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (User, Source, Medium, ContextRenderer, Subscription, Unsubscription, Event, EventSeen)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.entity_sync
def test_seeding_makes_a_small_company_and_tells_how_to_sign_in():
    output = seed_demo()
    total = seeding.EVENT_COUNT + len(seeding.REACTIONS)
    assert f"[##############################] {total}/{total}" in output
    assert "alice / demo" in output and "bob / demo" in output and "(admin / admin)" in output
    seen = counts().pop("EventSeen")
    assert 0 < seen < seeding.EVENT_COUNT  # older events were mailed, recent ones not
    alice_inbox = Medium.objects.get(name="newsfeed").inbox(entity_for(User.objects.get(username="alice")))
    assert alice_inbox.events(seen=True).exists() and alice_inbox.unseen_count() > 0
    assert {name: count for name, count in counts().items() if name != "EventSeen"} == {
        "User": 11,
        "Source": len(seeding.SOURCES),
        "Medium": 3,
        "ContextRenderer": len(seeding.RENDERERS),
        "Subscription": len(seeding.SUBSCRIPTIONS),
        "Unsubscription": 1,
        "Event": total,
    }
    assert authenticate(username="alice", password="demo") is not None
    admin = authenticate(username="admin", password="admin")
    assert admin.is_superuser and admin.is_staff
    alice = entity_for(User.objects.get(username="alice"))
    assert sorted(str(group) for group in alice.get_super_entities()) == ["Engineering", "Everyone"]
    assert Medium.objects.get(name="newsfeed").entity_events(alice).exists()
    lunch = [group for group in alice_inbox.groups()[:5] if group.key == "team-lunch"]
    assert sorted((group.source.name, group.count, group.actor_count) for group in lunch) == [
        ("photo-comment", 3, 3),
        ("photo-like", 2, 2),
    ]


@pytest.mark.entity_sync
def test_seeding_again_reuses_everything():
    seed_demo()
    before = counts()
    output = seed_demo()
    assert counts() == before
    assert f"{seeding.EVENT_COUNT + len(seeding.REACTIONS)} events (0 new)" in output


@pytest.mark.entity_sync
def test_seeding_deletes_the_subscription_of_everyones_own_sign_ins_an_earlier_demo_made():
    seed_demo()
    newsfeed, sign_ins = Medium.objects.get(name="newsfeed"), Source.objects.get(name="login")
    everyone = entity_for(Group.objects.get(name="Everyone"))
    user_kind = EntityKind.all_objects.get(name="auth.user")
    retired = {"medium": newsfeed, "source": sign_ins, "entity": everyone, "sub_entity_kind": user_kind}
    Subscription.objects.create(**retired, only_following=True)
    seed_demo()
    assert not Subscription.objects.filter(**retired).exists()
    assert Subscription.objects.filter(medium=newsfeed, source=sign_ins).count() == 1  # the admin's


def test_seeding_refuses_databases_without_entity_syncing():
    with mock.patch.object(connection, "vendor", "sqlite"):
        with pytest.raises(CommandError, match="needs PostgreSQL"):
            seed_demo()
    assert not User.objects.exists()
