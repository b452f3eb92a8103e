"""Personal data: ``export_entity`` and ``forget_entity`` for access and erasure requests."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

import entity_event
from entity_event.delivery.sending import send_deliveries, send_digests
from entity_event.exceptions import InvalidEventError
from entity_event.models import (
    Delivery,
    Event,
    EventActor,
    EventSeen,
    InboxMark,
    InboxWatermark,
    Subscription,
    Unsubscription,
)
from entity_event.personal_data import export_entity, forget_entity
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import EMAIL_CHANNEL

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 3, 1, 12, 30)


def moment(minutes: int = 0) -> datetime:
    """A fixed moment, aware or naive as ``USE_TZ`` says."""
    value = MOMENT + timedelta(minutes=minutes)
    return value.replace(tzinfo=UTC) if settings.USE_TZ else value


@pytest.fixture
def world():
    """Alice and Bob of a team whose members receive photo tags by email and on a newsfeed."""
    team = helpers.entity("team", kind_name="team")
    alice, bob = helpers.entity("alice", supers=[team]), helpers.entity("bob", supers=[team])
    newsfeed, email = helpers.medium("newsfeed"), helpers.medium("email")
    photo, comment = helpers.source("photo-tag"), helpers.source("comment")
    helpers.subscribe(newsfeed, photo, team, sub_kind="user")
    helpers.subscribe(email, photo, team, sub_kind="user")
    return {
        "team": team,
        "alice": alice,
        "bob": bob,
        "newsfeed": newsfeed,
        "email": email,
        "photo": photo,
        "comment": comment,
    }


def activity(world, who: str, events: int) -> list[Event]:
    """``events`` photo tags acted by ``who``, with the rows each kind of data leaves: a
    subscription and an unsubscription, inbox marks and a watermark, a delivery per event."""
    person, newsfeed, email = world[who], world["newsfeed"], world["email"]
    made = [
        helpers.event(world["photo"], [person], context={"tagger": who, "n": n}, time=moment(n))
        for n in range(events)
    ]
    helpers.subscribe(newsfeed, world["comment"], person, only_following=True)
    helpers.unsubscribe(email, world["photo"], person)
    inbox = newsfeed.inbox(person)
    inbox.mark_seen(made[:1])
    inbox.mark_seen()
    inbox.mark_unseen(made[:1])
    Event.objects.filter(id__in=[event.id for event in made]).mark_seen(email)
    Delivery.objects.bulk_create(
        Delivery(event=event, medium=email, entity=person, time_created=moment(), time_next_attempt=moment())
        for event in made
    )
    return made


def held_about(person) -> dict[str, int]:
    """How many rows of each kind name ``person``."""
    return {
        "inbox_watermarks": InboxWatermark.objects.filter(entity=person).count(),
        "inbox_marks": InboxMark.objects.filter(entity=person).count(),
        "deliveries": Delivery.objects.filter(entity=person).count(),
        "unsubscriptions": Unsubscription.objects.filter(entity=person).count(),
        "subscriptions": Subscription.objects.filter(entity=person).count(),
        "event_actors": EventActor.objects.filter(entity=person).count(),
    }


# Export.


def test_an_export_holds_every_row_about_the_entity_as_json_data(world):
    (tag,) = activity(world, "alice", 1)
    activity(world, "bob", 2)
    Delivery.objects.filter(entity=world["alice"]).update(status="failed", attempts=3, last_error="SMTP 550")
    watermark = InboxWatermark.objects.get(entity=world["alice"])
    mark = InboxMark.objects.get(entity=world["alice"])
    alice = world["alice"]

    exported = export_entity(alice)

    assert json.loads(json.dumps(exported)) == exported
    assert exported == {
        "entity": {
            "id": alice.id,
            "entity_type": "entity.entitykind",
            "entity_id": alice.entity_id,
            "display_name": "alice",
        },
        "events": [
            {
                "id": tag.id,
                "uuid": tag.uuid,
                "source": "photo-tag",
                "time": moment().isoformat(),
                "context": {"tagger": "alice", "n": 0},
            }
        ],
        "subscriptions": [
            {"medium": "newsfeed", "source": "comment", "sub_entity_kind": None, "only_following": True}
        ],
        "unsubscriptions": [{"medium": "email", "source": "photo-tag"}],
        "inbox_watermarks": [
            {
                "medium": "newsfeed",
                "seen_up_to": watermark.seen_up_to,
                "time_marked": watermark.time_marked.isoformat(),
            }
        ],
        "inbox_marks": [
            {
                "medium": "newsfeed",
                "event": tag.id,
                "seen": False,
                "time_marked": mark.time_marked.isoformat(),
            }
        ],
        "deliveries": [
            {
                "id": Delivery.objects.get(entity=alice).id,
                "event": tag.id,
                "medium": "email",
                "status": "failed",
                "attempts": 3,
                "last_error": "SMTP 550",
                "time_created": moment().isoformat(),
                "time_next_attempt": moment().isoformat(),
                "time_sent": None,
            }
        ],
    }


def test_a_group_export_lists_its_subscriptions_of_members_with_their_kind(world):
    exported = export_entity(world["team"])

    assert [row["sub_entity_kind"] for row in exported["subscriptions"]] == ["user", "user"]
    assert exported["events"] == exported["deliveries"] == exported["inbox_marks"] == []


def queries_of_export(world, who: str, events: int) -> int:
    activity(world, who, events)
    with CaptureQueriesContext(connection) as captured:
        export_entity(world[who])
    return len(captured)


def test_an_export_takes_the_same_queries_whatever_the_amounts(world):
    assert queries_of_export(world, "alice", 1) == queries_of_export(world, "bob", 12)


def test_the_functions_are_importable_from_the_package():
    assert (entity_event.export_entity, entity_event.forget_entity) == (export_entity, forget_entity)


@pytest.mark.parametrize("bad", [None, 7, "alice"])
def test_anything_but_a_saved_entity_is_refused_naming_it(world, bad):
    for function in (export_entity, forget_entity):
        with helpers.row_counts_unchanged(), pytest.raises(TypeError, match=f"not {bad!r}"):
            function(bad)


# Forgetting.


def test_forgetting_deletes_the_entitys_rows_and_leaves_everyone_elses(world):
    tags = activity(world, "alice", 3)
    activity(world, "bob", 2)
    bobs = held_about(world["bob"])

    counts = forget_entity(world["alice"])

    assert counts == {
        "inbox_watermarks": 1,
        "inbox_marks": 1,
        "deliveries": 3,
        "unsubscriptions": 1,
        "subscriptions": 1,
        "event_actors": 3,
        "event_contexts": 0,
    }
    assert held_about(world["alice"]) == dict.fromkeys(held_about(world["alice"]), 0)
    assert held_about(world["bob"]) == bobs
    assert Event.objects.filter(id__in=[tag.id for tag in tags]).count() == 3
    assert EventSeen.objects.filter(event__in=tags).count() == 3
    assert forget_entity(world["alice"]) == dict.fromkeys(counts, 0)


def test_forgetting_a_group_leaves_its_subscriptions_of_members(world):
    helpers.subscribe(world["newsfeed"], world["comment"], world["team"])

    assert forget_entity(world["team"])["subscriptions"] == 1
    assert Subscription.objects.filter(entity=world["team"]).count() == 2
    assert not Subscription.objects.filter(entity=world["team"], sub_entity_kind=None).exists()


def queries_of_forgetting(world, who: str, events: int) -> int:
    activity(world, who, events)
    with CaptureQueriesContext(connection) as captured:
        forget_entity(world[who], rewrite_context=lambda context: {**context, "tagger": "someone"})
    return len(helpers.statements(captured))


def test_forgetting_takes_the_same_statements_whatever_the_amounts(world):
    assert queries_of_forgetting(world, "alice", 1) == queries_of_forgetting(world, "bob", 12)


def test_a_context_rewriter_rewrites_the_contexts_of_the_entitys_events_only(world):
    alices, bobs = activity(world, "alice", 2), activity(world, "bob", 1)
    helpers.event(world["photo"], [world["alice"]], context={"n": 9})

    def anonymise(context: dict) -> dict:
        return {**context, "tagger": "someone"} if "tagger" in context else context

    assert forget_entity(world["alice"], rewrite_context=anonymise)["event_contexts"] == 2
    assert [Event.objects.get(id=event.id).context for event in alices + bobs] == [
        {"tagger": "someone", "n": 0},
        {"tagger": "someone", "n": 1},
        {"tagger": "bob", "n": 0},
    ]


@pytest.mark.parametrize(
    ("rewrite_context", "error", "message"),
    [
        (lambda context: ["not", "a", "dict"], InvalidEventError, "must be a dict, not list"),
        (lambda context: {"name": "nul\x00"}, InvalidEventError, r"holds 'nul\\x00'"),
        (lambda context: 1 / 0, ZeroDivisionError, "division by zero"),
        ("anonymise", TypeError, "rewrite_context must be a function of a context, not 'anonymise'"),
    ],
)
def test_a_failing_context_rewriter_changes_nothing(world, rewrite_context, error, message):
    activity(world, "alice", 2)
    contexts = list(Event.objects.order_by("id").values_list("context", flat=True))

    with helpers.row_counts_unchanged(), pytest.raises(error, match=message):
        forget_entity(world["alice"], rewrite_context=rewrite_context)
    assert list(Event.objects.order_by("id").values_list("context", flat=True)) == contexts


@helpers.needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_forgetting_takes_no_delivery_while_a_worker_holds_one_and_wants_another(world):
    activity(world, "alice", 3)
    first, *_, last = Delivery.objects.filter(entity=world["alice"]).order_by("id")
    holding = threading.Event()

    def record_outcomes_backwards():
        """A worker's update that takes the last delivery first, then, once forgetting has begun,
        the first one: had forgetting kept the first while waiting for the last, a deadlock."""
        with transaction.atomic():
            Delivery.objects.filter(id=last.id).update(attempts=1)
            holding.set()
            time.sleep(0.5)
            return Delivery.objects.filter(id=first.id).update(attempts=1)

    def forget():
        holding.wait(10)
        return forget_entity(world["alice"])["deliveries"]

    assert helpers.run_together(record_outcomes_backwards, forget) == [1, 3]
    assert not Delivery.objects.exists()


def until(done: threading.Event, round_done: threading.Barrier, work) -> int:
    """Do ``work`` over and over until ``done`` is set, the first round before ``round_done``."""
    rounds = 0
    while not done.is_set():
        work()
        rounds += 1
        if rounds == 1:
            round_done.wait(30)
    return rounds


@helpers.needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_forgetting_while_workers_send_inboxes_mark_and_events_go(world):
    alice, email, newsfeed = world["alice"], world["email"], world["newsfeed"]
    tags = activity(world, "alice", 60)
    doomed = iter(tags[::-1])
    forgotten, warmed_up = threading.Event(), threading.Barrier(4)

    def forget():
        warmed_up.wait(30)  # every other role has done a round and goes on
        try:
            return forget_entity(alice)
        finally:
            forgotten.set()

    def send():
        """A worker taking every pending delivery of Alice, one by one then as a digest."""
        Delivery.objects.filter(entity=alice).update(status="pending", time_next_attempt=moment())
        send_deliveries(list(Delivery.objects.filter(entity=alice).values_list("id", flat=True)))
        Delivery.objects.filter(entity=alice).update(status="pending", time_next_attempt=moment())
        send_digests(email.id, [alice.id])

    def mark():
        inbox = newsfeed.inbox(alice)
        inbox.mark_seen(tags[::-1][:20])
        inbox.mark_unseen(tags[:20])
        inbox.mark_seen()

    def delete():
        Event.objects.filter(id=next(doomed).id).delete()

    with override_settings(ENTITY_EVENT_CHANNELS=EMAIL_CHANNEL):
        mail.outbox = []
        counts, *rounds = helpers.run_together(
            forget, *(lambda work=work: until(forgotten, warmed_up, work) for work in (send, mark, delete))
        )

    # Nothing failed nor deadlocked, and what existed when the forgetting began is gone (a mark
    # that came after it may have made a watermark and marks again).
    assert min(rounds) >= 1 and counts["deliveries"] > 0 and counts["event_actors"] > 0
    left = held_about(alice)
    assert left["deliveries"] == left["event_actors"] == left["subscriptions"] == left["unsubscriptions"] == 0
    assert left["inbox_watermarks"] <= 1
