"""Digests: a medium in ENTITY_EVENT_DIGESTS sends each entity at most one message per period."""

import json
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from entity_event.delivery import digests, planning, tasks
from entity_event.models import Delivery
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import post


def aware(*args) -> datetime:
    moment = datetime(*args)
    return timezone.make_aware(moment) if timezone.is_aware(timezone.now()) else moment


def test_a_period_ends_at_the_next_full_hour_or_midnight():
    now = aware(2026, 3, 14, 15, 9, 26)
    assert digests.period_end("hourly", now) == aware(2026, 3, 14, 16)
    assert digests.period_end("daily", now) == aware(2026, 3, 15)


@pytest.fixture
def daily(club):
    with override_settings(ENTITY_EVENT_DIGESTS={"email": "daily"}):
        yield club


def let_the_period_pass() -> None:
    Delivery.objects.update(time_next_attempt=timezone.now() - timedelta(days=1))


def run_cron() -> None:
    call_command("deliver_events", stdout=open("/dev/null", "w"))


def test_deliveries_of_a_digest_medium_wait_for_the_end_of_the_period(daily):
    post(daily, "Picnic")

    assert daily.medium.deliver() == 3

    end = digests.period_end("daily", timezone.now())
    assert set(Delivery.objects.values_list("status", "time_next_attempt")) == {("pending", end)}
    assert mail.outbox == []


def test_each_entity_gets_one_message_with_everything_of_the_period(daily):
    post(daily, "Picnic")
    daily.medium.deliver()
    post(daily, "Quiz")
    daily.medium.deliver()
    let_the_period_pass()

    run_cron()

    assert sorted(m.to[0] for m in mail.outbox) == [f"member{n}@example.com" for n in range(3)]
    message = next(m for m in mail.outbox if m.to == ["member0@example.com"])
    first = Delivery.objects.filter(entity=daily.users[0]).order_by("id").first()
    assert message.subject == "2 new notifications from Email"
    assert message.extra_headers["Message-ID"] == f"<entity-event.digest-{first.pk}@example.com>"
    assert message.body.startswith(
        "News: Picnic\nRead on, Picnic & more.\n\nNews: Quiz\nRead on, Quiz & more.\n\n-- \n"
    )
    [(html, _mimetype)] = message.alternatives
    assert html.index("<b>Picnic</b>") < html.index("<b>Quiz</b>")
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    run_cron()
    assert len(mail.outbox) == 3


def test_a_digest_shows_a_group_of_events_as_one_item(daily):
    daily.news.group_by = "title"
    daily.news.save()
    writers = [helpers.entity(name) for name in ("Ann", "Ben", "Cy")]
    for writer in writers:
        post(daily, "Picnic", actors=[writer])
    post(daily, "Quiz", actors=[writers[0]])
    daily.medium.deliver()
    let_the_period_pass()

    run_cron()

    message = next(m for m in mail.outbox if m.to == ["member0@example.com"])
    assert message.subject == "4 new notifications from Email"
    items = message.body.split("\n-- \n")[0].strip().split("\n\n")
    assert sorted(items) == [
        "Cy, Ben and 1 other: News: Picnic\nRead on, Picnic & more.",
        "News: Quiz\nRead on, Quiz & more.",
    ]
    [(html, _mimetype)] = message.alternatives
    assert "<li>Cy, Ben and 1 other: <p>News: <b>Picnic</b></p></li>" in html
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_digest_fails_as_a_whole_for_an_entity_without_address(daily):
    daily.users[0].entity_meta = None
    daily.users[0].save()
    post(daily)
    daily.medium.deliver()
    let_the_period_pass()

    run_cron()

    assert set(Delivery.objects.filter(entity=daily.users[0]).values_list("status", flat=True)) == {"failed"}
    assert len(mail.outbox) == 2


def test_a_digest_medium_enqueues_its_digests_for_the_end_of_the_period(daily, dummy_tasks):
    post(daily)
    daily.medium.deliver()
    newcomer = helpers.entity("newcomer", supers=[daily.club])
    post(daily, "Quiz")
    daily.medium.deliver()  # only the newcomer waits for a first digest of the period

    first, second = dummy_tasks.results
    assert second.args == [daily.medium.pk, [newcomer.pk]]
    digest = first
    assert digest.task.run_after == digests.period_end("daily", timezone.now())
    assert digest.args == [daily.medium.pk, sorted(user.pk for user in daily.users)]
    assert tasks.send_digests.call(*digest.args) == 0  # not due yet
    let_the_period_pass()
    assert tasks.send_digests.call(*digest.args) == 6


def test_a_failed_digest_is_enqueued_again_as_a_digest(daily, dummy_tasks):
    post(daily)
    daily.medium.deliver()
    let_the_period_pass()
    dummy_tasks.clear()

    with override_settings(EMAIL_BACKEND="entity_event.tests.delivery.mail_backends.SilentBackend"):
        assert tasks.send_digests.call(daily.medium.pk, [daily.users[0].pk]) == 0

    [retry] = dummy_tasks.results
    assert retry.task.name == "send_digests" and retry.args == [daily.medium.pk, [daily.users[0].pk]]


def test_a_digest_on_a_channel_without_digests_fails(daily):
    bare = "entity_event.tests.delivery.test_channels.BareChannel"
    with override_settings(ENTITY_EVENT_CHANNELS={"email": bare}):
        post(daily)
        daily.medium.deliver()
        let_the_period_pass()
        run_cron()

    assert {d.last_error for d in Delivery.objects.all()} == {"DeliveryRefused: BareChannel sends no digests"}


def test_a_webhook_digest_posts_the_items_together(hooked, receiver):
    with override_settings(ENTITY_EVENT_DIGESTS={"hooks": "hourly"}):
        post(hooked, "Picnic")
        post(hooked, "Quiz")
        hooked.medium.deliver()
        let_the_period_pass()
        assert tasks.enqueue_due([hooked.medium]) == 6

    payloads = [json.loads(body) for _headers, body in receiver.received]
    assert len(payloads) == 3
    titles = [[item["text"].splitlines()[0] for item in payload["digest"]] for payload in payloads]
    assert titles == [["News: Quiz", "News: Picnic"]] * 3


def test_planning_decides_once_whether_the_medium_sends_digests(daily, monkeypatch):
    reads = []
    monkeypatch.setattr(digests.app_settings, "digest_periods", lambda: reads.append(1) or {"email": "daily"})
    post(daily, "Picnic")
    post(daily, "Quiz")

    assert planning.deliver(daily.medium, chunk_size=1) == 6
    assert len(reads) == 1


def test_an_unknown_period_is_refused_naming_it(club):
    post(club)
    with override_settings(ENTITY_EVENT_DIGESTS={"email": "weekly"}):
        with pytest.raises(ImproperlyConfigured, match="ENTITY_EVENT_DIGESTS\\['email'\\] is 'weekly'"):
            club.medium.deliver()
    assert Delivery.objects.count() == 0
