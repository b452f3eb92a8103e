"""Sending: one delivery's failure leaves the others sent; failures are retried, then failed."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from entity_event.delivery import retry, sending, tasks
from entity_event.models import Delivery
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import make_due, post
from entity_event.tests.delivery.mail_backends import RefusingBackend

REFUSING = "entity_event.tests.delivery.mail_backends.RefusingBackend"


@pytest.fixture
def refusing():
    """Mail goes through RefusingBackend; add addresses to the returned set to refuse them."""
    RefusingBackend.refused = set()
    RefusingBackend.attempted = []
    with override_settings(EMAIL_BACKEND=REFUSING):
        yield RefusingBackend.refused


def test_an_smtp_error_for_one_address_leaves_the_others_sent(club, refusing):
    refusing.add("member1@example.com")
    post(club)
    before = timezone.now()

    club.medium.deliver()

    failed = Delivery.objects.get(entity=club.users[1])
    assert (failed.status, failed.attempts, failed.time_sent) == ("pending", 1, None)
    assert failed.last_error.startswith("SMTPRecipientsRefused") and "member1@" in failed.last_error
    wait = retry.FIRST_RETRY_DELAY
    assert before + wait <= failed.time_next_attempt <= timezone.now() + wait
    assert sorted(Delivery.objects.exclude(pk=failed.pk).values_list("status", flat=True)) == ["sent", "sent"]
    assert sorted(message.to[0] for message in mail.outbox) == ["member0@example.com", "member2@example.com"]


def test_retries_back_off_exponentially_then_fail_with_the_error(club, refusing):
    refusing.add("member1@example.com")
    post(club)
    club.medium.deliver()
    failing = Delivery.objects.filter(entity=club.users[1])
    waits = []
    for _attempt in range(4):
        waits.append(failing.get().time_next_attempt - timezone.now())
        make_due(failing)
        call_command("deliver_events", stdout=open("/dev/null", "w"))

    delivery = failing.get()
    assert (delivery.status, delivery.attempts) == ("failed", 5)
    assert "SMTPRecipientsRefused" in delivery.last_error
    assert [round(wait / retry.FIRST_RETRY_DELAY) for wait in waits] == [1, 2, 4, 8]
    assert len(RefusingBackend.attempted) == 3 + 4


@override_settings(ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS=2)
def test_the_number_of_attempts_is_a_setting(club, refusing):
    refusing.add("member0@example.com")
    post(club)
    club.medium.deliver()
    make_due(Delivery.objects.all())
    tasks.enqueue_due([club.medium])

    assert Delivery.objects.get(entity=club.users[0]).status == "failed"


def test_a_retried_message_carries_the_same_message_id(club, refusing):
    refusing.add("member2@example.com")
    post(club)
    club.medium.deliver()
    refusing.clear()
    make_due(Delivery.objects.all())

    assert tasks.enqueue_due([club.medium]) == 1

    to_member2 = [m for m in RefusingBackend.attempted if m.to == ["member2@example.com"]]
    retried = [message.extra_headers["Message-ID"] for message in to_member2]
    delivery = Delivery.objects.get(entity=club.users[2])
    assert retried == [f"<entity-event.delivery-{delivery.pk}@example.com>"] * 2
    assert delivery.status == "sent" and delivery.attempts == 2


def test_an_entity_without_address_fails_at_once_with_that_reason(club):
    club.users[0].entity_meta = {}
    club.users[0].save()
    post(club)

    club.medium.deliver()

    delivery = Delivery.objects.get(entity=club.users[0])
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == f"DeliveryRefused: entity {club.users[0].pk} (member0) has no email address"
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    "address",
    [
        "member0@example.com\nBcc: victim@example.com",
        "member0@example.com\r\n",
        "member0@example.com, other@example.com",
        "member0@example.com; other@example.com",
        "member0@example.com other",
        "member0.example.com",
        "member0@@example.com",
        "Member <member0@example.com",
        "@example.com",
        ["member0@example.com", "other@example.com"],
    ],
)
def test_a_malformed_address_fails_at_once_with_that_reason(club, refusing, address):
    club.users[0].entity_meta = {"email": address}
    club.users[0].save()
    post(club)

    club.medium.deliver()

    delivery = Delivery.objects.get(entity=club.users[0])
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    reason = f"entity {club.users[0].pk} (member0) has a malformed email address: {address!r}"
    assert delivery.last_error == f"DeliveryRefused: {reason}"
    assert sorted(message.to[0] for message in RefusingBackend.attempted) == [
        "member1@example.com",
        "member2@example.com",
    ]


@pytest.mark.parametrize("address", ["Member Zero <member0@example.com>", "<member0@example.com>"])
def test_an_address_with_a_display_name_is_sent_to(club, address):
    club.users[0].entity_meta = {"email": address}
    club.users[0].save()
    post(club)

    club.medium.deliver()

    assert Delivery.objects.get(entity=club.users[0]).status == "sent"
    assert address in [message.to[0] for message in mail.outbox]


@override_settings(EMAIL_BACKEND="entity_event.tests.delivery.mail_backends.SilentBackend")
def test_a_message_the_backend_did_not_send_is_retried(club):
    post(club)
    club.medium.deliver()

    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 1)}
    assert "did not send the message to member0@example.com" in Delivery.objects.first().last_error


def test_an_event_that_cannot_be_rendered_fails_only_its_deliveries(club):
    post(club)
    orphan = helpers.event(helpers.source("orphan"))
    helpers.subscribe(club.medium, orphan.source, club.users[0])

    club.medium.deliver()

    stuck = Delivery.objects.get(event=orphan)
    assert stuck.status == "pending" and stuck.last_error.startswith("NoRendererError: no context renderer")
    assert Delivery.objects.filter(status="sent").count() == 3


def test_a_channel_removed_from_the_settings_fails_the_batch_for_a_retry(club, dummy_tasks):
    post(club)
    club.medium.deliver()
    ids = list(Delivery.objects.values_list("id", flat=True))

    with override_settings(ENTITY_EVENT_CHANNELS={}):
        assert tasks.send_deliveries.call(ids) == 0

    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 1)}
    assert "ImproperlyConfigured" in Delivery.objects.first().last_error


def test_deliveries_taken_by_a_worker_are_not_sent_again(club, dummy_tasks):
    post(club)
    club.medium.deliver()
    ids = list(Delivery.objects.values_list("id", flat=True))

    assert tasks.send_deliveries.call(ids) == 3
    assert tasks.send_deliveries.call(ids) == 0
    assert len(mail.outbox) == 3


def test_failures_are_enqueued_again_at_their_next_attempt_where_the_backend_defers(
    club, refusing, dummy_tasks
):
    refusing.add("member0@example.com")
    post(club)
    club.medium.deliver()
    [planned] = dummy_tasks.results
    dummy_tasks.clear()

    tasks.send_deliveries.call(*planned.args)

    [retried] = dummy_tasks.results
    delivery = Delivery.objects.get(entity=club.users[0])
    assert retried.args == [[delivery.pk]] and retried.task.run_after == delivery.time_next_attempt


def count_sending_queries(club, events: int) -> int:
    for number in range(events):
        post(club, f"News {number}")
    club.medium.deliver()
    ids = list(Delivery.objects.filter(attempts=0).values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        tasks.send_deliveries.call(ids)
    taken = Delivery.objects.filter(id__in=ids, attempts=1)
    assert taken.count() == len(ids) == events * len(club.users)
    assert taken.filter(status="sent").exists() and taken.filter(status="pending").exists()
    return len(helpers.statements(captured))


def test_sending_a_batch_costs_a_constant_number_of_queries(club, dummy_tasks, refusing):
    refusing.add("member0@example.com")  # failures are recorded within the same count
    small = count_sending_queries(club, events=1)
    club.users.append(helpers.entity("late-member", supers=[club.club]))
    refusing.add("late-member@example.com")
    large = count_sending_queries(club, events=6)
    assert small == large


def test_sending_no_delivery_sends_nothing(db):
    assert sending.send_deliveries([]) == (0, [])
