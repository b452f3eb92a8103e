"""``manage.py send_event_emails`` with Django's in-memory mail backend."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from entity.models import Entity

from demo.seeding import entity_for
from demo.tests import events
from entity_event.models import ContextRenderer, EventSeen
from entity_event.web.unsubscribe import unsubscribe_url

pytestmark = [pytest.mark.django_db, pytest.mark.entity_sync]

EMPLOYEE_ADDRESSES = sorted(
    [f"{name}@example.com" for name in "alice bob carol dave erin frank grace heidi ivan judy".split()]
    + ["admin@example.com"]
)
SALES_ADDRESSES = ["erin@example.com", "heidi@example.com"]  # bob, in sales too, unsubscribed


class BrokenBackend(EmailBackend):
    """Hands over the first ``works_for`` batches of messages, then fails like a down mail server."""

    works_for = 0
    calls = 0

    def send_messages(self, messages):
        BrokenBackend.calls += 1
        if BrokenBackend.calls > BrokenBackend.works_for:
            raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)


@pytest.fixture
def broken_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    BrokenBackend.calls = 0
    return BrokenBackend


def emailed(company) -> set[int]:
    return set(
        EventSeen.objects.filter(medium=company["mediums"]["email"]).values_list("event_id", flat=True)
    )


def send() -> str:
    out = StringIO()
    call_command("send_event_emails", stdout=out)
    return out.getvalue()


def test_each_target_gets_the_event_rendered_in_the_email_style(company):
    event = events.announcement(company, "Office closed on Friday")
    assert send() == f"Sent {len(EMPLOYEE_ADDRESSES)} message(s) for 1 event(s).\n"
    assert sorted(address for message in mail.outbox for address in message.to) == EMPLOYEE_ADDRESSES
    message = next(message for message in mail.outbox if message.to == ["alice@example.com"])
    unsubscribe = unsubscribe_url(
        entity_for(company["users"]["alice"]), company["mediums"]["email"], event.source
    )
    preferences = "http://127.0.0.1:8000/notifications/preferences/"
    assert message.subject == "[Announcements] Hello,"
    assert message.body == (
        "Hello,\n\nOffice closed on Friday\n\nThe demo company\n\n--\n"
        f"Stop these emails: {unsubscribe}\nAll your notification settings: {preferences}"
    )
    html, mimetype = message.alternatives[0]
    assert (mimetype, html) == (
        "text/html",
        "<p>Hello,</p><p>Office closed on Friday</p><p>The demo company</p>"
        f'<p><a href="{unsubscribe}">Unsubscribe</a> · <a href="{preferences}">Notification settings</a></p>',
    )
    assert emailed(company) == {event.pk}


def test_each_message_carries_the_one_click_unsubscribe_headers_of_its_reader(company):
    event = events.new_product(company, company["users"]["alice"], "Desk lamp")
    send()
    email = company["mediums"]["email"]
    for message in mail.outbox:
        [address] = message.to
        reader = entity_for(User.objects.get(email=address))
        assert message.extra_headers == {
            "List-Unsubscribe": f"<{unsubscribe_url(reader, email, event.source)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        assert unsubscribe_url(reader, email, event.source) in message.body
    assert len({message.extra_headers["List-Unsubscribe"] for message in mail.outbox}) == len(SALES_ADDRESSES)


def test_events_are_mailed_once(company):
    events.announcement(company, "Pizza at noon")
    send()
    mail.outbox.clear()
    assert send() == "Sent 0 message(s) for 0 event(s).\n"
    assert mail.outbox == []


def test_an_unsubscribed_employee_gets_no_mail_and_other_mediums_are_left_alone(company):
    events.new_product(company, company["users"]["alice"], "Desk lamp")
    events.photo(company, company["users"]["alice"], [company["users"]["bob"]], "Lunch")
    send()
    assert sorted(address for message in mail.outbox for address in message.to) == SALES_ADDRESSES
    assert not EventSeen.objects.exclude(medium=company["mediums"]["email"]).exists()


def test_a_failing_mail_server_marks_nothing_seen(company, broken_backend):
    events.announcement(company, "First")
    events.announcement(company, "Second")
    with pytest.raises(ConnectionRefusedError):
        send()
    assert emailed(company) == set()


def test_events_mailed_before_a_failure_stay_seen_and_the_rest_wait_for_the_next_run(company, broken_backend):
    older = events.announcement(company, "Older", minutes_ago=5)
    newer = events.announcement(company, "Newer")
    broken_backend.works_for = 1
    with pytest.raises(ConnectionRefusedError):
        send()
    assert emailed(company) == {newer.pk}  # the newest is sent first
    broken_backend.works_for = 99
    send()
    assert emailed(company) == {newer.pk, older.pk}


def test_targets_without_an_address_are_skipped(company):
    alice = company["users"]["alice"]
    alice.email = ""
    alice.save()  # syncing copies the address into the entity's metadata
    event = events.announcement(company, "Fire drill")
    send()
    addresses = sorted(address for message in mail.outbox for address in message.to)
    assert addresses == [address for address in EMPLOYEE_ADDRESSES if address != "alice@example.com"]
    assert emailed(company) == {event.pk}


def test_an_event_none_of_whose_targets_has_an_address_is_handed_over_without_mail(company):
    Entity.all_objects.update(entity_meta={})
    event = events.announcement(company, "Nobody to write to")
    assert send() == "Sent 0 message(s) for 1 event(s).\n"
    assert mail.outbox == []
    assert emailed(company) == {event.pk}


def test_a_renderer_without_html_sends_plain_text_mail(company):
    ContextRenderer.objects.update(html_template="", html_template_path="")
    events.announcement(company, "Plain words")
    send()
    assert mail.outbox[0].body.startswith("Hello,\n\nPlain words\n\nThe demo company")
    assert mail.outbox[0].alternatives == []
