"""Each email and digest in its recipient's language and time zone, at no extra query per language."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from entity_event.delivery import digests, tasks
from entity_event.models import Delivery
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import EMAIL_CHANNEL, build_club, make_due

#: An event template using the package's catalog, a localized number and the current time zone.
TEXT = (
    '{% load i18n tz %}{% get_current_timezone as zone %}{% translate "Notifications" %}: {{ title }}\n'
    "{{ price|floatformat:2 }} ({{ zone }})"
)


def speak(user, language=None, zone=None) -> None:
    user.entity_meta = {**user.entity_meta, "language": language, "timezone": zone}
    user.save()


@pytest.fixture
def polyglots(db):
    """The club of the delivery tests, its news rendered with :data:`TEXT`; member0 reads French in
    Paris, member1 Austrian German in Vienna, member2 the project's English in UTC."""
    with override_settings(ENTITY_EVENT_CHANNELS=EMAIL_CHANNEL):
        mail.outbox = []
        club = build_club()
        club.news.contextrenderer_set.update(text_template=TEXT)
        speak(club.users[0], "fr", "Europe/Paris")
        speak(club.users[1], "de-AT", "Europe/Vienna")
        yield club


def post(club, title="Picnic", actors=()):
    return helpers.event(club.news, actors, context={"title": title, "price": 1234.5})


def message_to(name: str):
    [message] = [message for message in mail.outbox if message.to == [f"{name}@example.com"]]
    return message


def test_each_recipient_reads_the_event_and_the_footer_in_its_language_and_time_zone(polyglots):
    post(polyglots)
    polyglots.medium.deliver()

    french, german, english = (message_to(f"member{number}") for number in range(3))
    assert french.subject == "Notifications: Picnic"
    assert french.body.startswith("Notifications: Picnic\n1234,50 (Europe/Paris)\n\n-- \n")
    assert "Ne plus recevoir ces e-mails : http" in french.body
    assert "Tous vos paramètres de notification : http" in french.body
    assert german.subject == "Benachrichtigungen: Picnic"
    assert german.body.startswith("Benachrichtigungen: Picnic\n1234,50 (Europe/Vienna)\n\n-- \n")
    assert "Diese E-Mails abbestellen: http" in german.body
    assert english.body.startswith("Notifications: Picnic\n1234.50 (UTC)\n\n-- \nStop these emails: http")
    [(html, _type)] = french.alternatives
    assert ">Se désabonner</a> · <a" in html and ">Paramètres de notification</a>" in html


def test_a_digest_subject_counts_in_the_recipients_language(polyglots):
    with override_settings(ENTITY_EVENT_DIGESTS={"email": "daily"}):
        post(polyglots, "Picnic")
        post(polyglots, "Quiz")
        polyglots.medium.deliver()
        make_due(Delivery.objects.all())
        tasks.enqueue_due([polyglots.medium])

    assert message_to("member0").subject == "2 nouvelles notifications de Email"
    assert message_to("member1").subject == "2 neue Benachrichtigungen von Email"
    assert message_to("member2").subject == "2 new notifications from Email"
    assert message_to("member0").body.count("1234,50 (Europe/Paris)") == 2


def count_sending_queries(club, languages: list[str | None]) -> int:
    """The queries of sending two events to the club's members, who read ``languages``."""
    for user, language in zip(club.users, languages, strict=True):
        speak(user, language)
    post(club, "One")
    post(club, "Two")
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        club.medium.deliver()
    ids = list(Delivery.objects.filter(attempts=0).values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        tasks.send_deliveries.call(ids)
    assert Delivery.objects.filter(id__in=ids, status="sent").count() == 6
    return len(helpers.statements(captured))


def test_a_batch_to_three_languages_costs_the_queries_of_a_batch_to_one(polyglots):
    one_language = count_sending_queries(polyglots, [None, None, None])
    three_languages = count_sending_queries(polyglots, ["fr", "de", None])
    assert one_language == three_languages
    assert {message.subject for message in mail.outbox[-6:]} == {
        "Notifications: One",
        "Notifications: Two",
        "Benachrichtigungen: One",
        "Benachrichtigungen: Two",
    }


def moment(*args) -> datetime:
    return datetime(*args, tzinfo=UTC) if settings.USE_TZ else datetime(*args)


@override_settings(ENTITY_EVENT_DAILY_DIGEST_HOUR=7)
def test_a_daily_digest_ends_at_the_digest_hour_of_the_recipients_day():
    now = moment(2026, 3, 14, 15, 9)  # 00:09 on the 15th in Tokyo, 08:09 in Los Angeles
    if settings.USE_TZ:
        assert digests.period_end("daily", now, "Asia/Tokyo") == moment(2026, 3, 14, 22)
        assert digests.period_end("daily", now, "America/Los_Angeles") == moment(2026, 3, 15, 14)
        assert digests.period_end("daily", now, "UTC") == moment(2026, 3, 15, 7)
    else:  # times are the project's local time: no other time zone applies
        assert digests.period_end("daily", now, "Asia/Tokyo") == moment(2026, 3, 15, 7)
    assert digests.period_end("daily", moment(2026, 3, 14, 6, 59), "UTC") == moment(2026, 3, 14, 7)
    assert digests.period_end("hourly", now, "Asia/Tokyo") == moment(2026, 3, 14, 16)


@override_settings(ENTITY_EVENT_DIGESTS={"email": "daily"}, ENTITY_EVENT_DAILY_DIGEST_HOUR=7)
def test_each_recipients_digest_waits_for_its_own_morning(polyglots, dummy_tasks):
    speak(polyglots.users[0], "fr", "Asia/Tokyo")
    post(polyglots)

    polyglots.medium.deliver()

    ends = dict(Delivery.objects.values_list("entity_id", "time_next_attempt"))
    now = timezone.now()
    tokyo, vienna, utc = polyglots.users
    assert ends[tokyo.pk] == digests.period_end("daily", now, "Asia/Tokyo")
    assert ends[vienna.pk] == digests.period_end("daily", now, "Europe/Vienna")
    assert ends[utc.pk] == digests.period_end("daily", now, "UTC")
    enqueued = {(result.task.run_after, tuple(result.args[1])) for result in dummy_tasks.results}
    expected = {}
    for entity_id, end in ends.items():
        expected.setdefault(end, []).append(entity_id)
    assert enqueued == {(end, tuple(sorted(ids))) for end, ids in expected.items()}
    polyglots.medium.deliver()  # a second run's deliveries join the digests already enqueued
    post(polyglots, "Quiz")
    polyglots.medium.deliver()
    assert len(dummy_tasks.results) == len(expected)


def count_grouped_digest_queries(club, languages: list[str | None]) -> int:
    """The queries of sending the club's members their daily digests, which read ``languages``:
    a group of three writers' picnic posts and a quiz post, each rendered in the reader's language."""
    for user, language in zip(club.users, languages, strict=True):
        speak(user, language)
    writers = [helpers.entity(name) for name in ("Ann", "Ben", "Cy")]
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        for writer in writers:
            post(club, "Picnic", [writer])
        post(club, "Quiz", [writers[0]])
        club.medium.deliver()
    pending = Delivery.objects.filter(attempts=0)
    make_due(pending)
    ids = list(pending.values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        tasks.send_digests.call(club.medium.pk, [user.pk for user in club.users])
    assert Delivery.objects.filter(id__in=ids, status="sent").count() == 12
    return len(helpers.statements(captured))


@override_settings(ENTITY_EVENT_DIGESTS={"email": "daily"})
def test_a_grouped_digest_batch_to_three_languages_costs_the_queries_of_one_to_one(polyglots):
    polyglots.news.group_by = "title"
    polyglots.news.save()

    one_language = count_grouped_digest_queries(polyglots, [None, None, None])
    mail.outbox = []
    three_languages = count_grouped_digest_queries(polyglots, ["fr", "de", None])

    assert one_language == three_languages
    grouped = {message.to[0]: message.body.split("\n\n")[1].split("\n")[0] for message in mail.outbox}
    assert grouped == {
        "member0@example.com": "Cy, Ben et 1 autre : Notifications: Picnic",
        "member1@example.com": "Cy, Ben und 1 weiterer: Benachrichtigungen: Picnic",
        "member2@example.com": "Cy, Ben and 1 other: Notifications: Picnic",
    }
