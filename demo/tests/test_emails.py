"""``manage.py send_event_emails``: the email medium's new events delivered, here with Django's
in-memory mail backend and tasks run inline."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.utils import timezone

from demo.seeding import entity_for
from demo.tests import events
from entity_event.models import Delivery
from entity_event.unsubscribe import unsubscribe_url

pytestmark = [pytest.mark.django_db, pytest.mark.entity_sync]

EMPLOYEE_ADDRESSES = sorted(
    [f"{name}@example.com" for name in "alice bob carol dave erin frank grace heidi ivan judy".split()]
    + ["admin@example.com"]
)
SALES_ADDRESSES = ["erin@example.com", "heidi@example.com"]  # bob, in sales too, unsubscribed


class DownBackend(EmailBackend):
    """Fails like a mail server that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def send() -> str:
    out = StringIO()
    call_command("send_event_emails", stdout=out)
    return out.getvalue()


def addresses() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_each_target_gets_the_event_rendered_in_the_email_style(company):
    event = events.announcement(company, "Office closed on Friday")
    assert send() == f"Planned {len(EMPLOYEE_ADDRESSES)} email(s); the task workers send them.\n"
    assert addresses() == EMPLOYEE_ADDRESSES
    message = next(message for message in mail.outbox if message.to == ["alice@example.com"])
    unsubscribe = unsubscribe_url(
        entity_for(company["users"]["alice"]), company["mediums"]["email"], event.source
    )
    preferences = "http://127.0.0.1:8000/notifications/preferences/"
    assert message.subject == "[Announcements] Office closed on Friday"
    assert message.body == (
        "Hello,\n\nOffice closed on Friday\n\nThe demo company\n\n-- \n"
        f"Stop these emails: {unsubscribe}\nAll your notification settings: {preferences}\n"
    )
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<p>Hello,</p><p>Office closed on Friday</p><p>The demo company</p>" in html
    assert (
        f'<p><a href="{unsubscribe}">Unsubscribe</a> · <a href="{preferences}">Notification settings</a></p>'
        in html
    )


def test_each_message_carries_the_one_click_unsubscribe_headers_of_its_reader(company):
    event = events.new_product(company, company["users"]["alice"], "Desk lamp")
    send()
    email = company["mediums"]["email"]
    for message in mail.outbox:
        [address] = message.to
        reader = entity_for(User.objects.get(email=address))
        url = unsubscribe_url(reader, email, event.source)
        assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"Stop these emails: {url}" in message.body
    assert len({message.extra_headers["List-Unsubscribe"] for message in mail.outbox}) == len(SALES_ADDRESSES)


def test_a_new_product_is_mailed_with_a_subject_of_its_own(company):
    events.new_product(company, company["users"]["alice"], "Desk lamp")
    send()

    assert {message.subject for message in mail.outbox} == {
        "[New products] Alice Martin added Desk lamp to the catalogue"
    }


def test_events_are_mailed_once(company):
    events.announcement(company, "Pizza at noon")
    send()
    mail.outbox.clear()
    assert send() == "Planned 0 email(s); the task workers send them.\n"
    assert mail.outbox == []


def test_an_unsubscribed_employee_gets_no_mail_and_other_mediums_are_left_alone(company):
    events.new_product(company, company["users"]["alice"], "Desk lamp")
    events.photo(company, company["users"]["alice"], [company["users"]["bob"]], "Lunch")
    send()
    assert addresses() == SALES_ADDRESSES
    assert set(Delivery.objects.values_list("medium__name", flat=True)) == {"email"}


def test_a_mail_server_that_is_down_delays_the_messages_without_losing_them(company, settings):
    events.announcement(company, "Fire drill")
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    send()
    assert mail.outbox == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Delivery.objects.update(time_next_attempt=timezone.now() - timedelta(days=1))
    call_command("deliver_events", stdout=StringIO())
    assert addresses() == EMPLOYEE_ADDRESSES


def test_targets_without_an_address_are_failed_with_the_reason(company):
    alice = company["users"]["alice"]
    alice.email = ""
    alice.save()  # syncing copies the address into the entity's metadata
    events.announcement(company, "Fire drill")
    send()
    assert addresses() == [address for address in EMPLOYEE_ADDRESSES if address != "alice@example.com"]
    failed = Delivery.objects.get(status="failed")
    assert "has no email address" in failed.last_error


def test_frank_who_reads_french_gets_his_emails_in_french(company):
    event = events.announcement(company, "Bureau fermé vendredi")
    events.new_product(company, company["users"]["alice"], "Desk lamp")
    company["users"]["frank"].groups.add(Group.objects.get(name="Sales"))  # to get new products too
    events.new_product(company, company["users"]["alice"], "Office chair")
    send()

    to_frank = [message for message in mail.outbox if message.to == ["frank@example.com"]]
    announcement = next(message for message in to_frank if "Bureau" in message.subject)
    unsubscribe = unsubscribe_url(
        entity_for(company["users"]["frank"]), company["mediums"]["email"], event.source
    )
    assert announcement.body == (
        "Bonjour,\n\nBureau fermé vendredi\n\nLa société de démonstration\n\n-- \n"
        f"Ne plus recevoir ces e-mails : {unsubscribe}\n"
        "Tous vos paramètres de notification : http://127.0.0.1:8000/notifications/preferences/\n"
    )
    html, _mimetype = announcement.alternatives[0]
    assert ">Se désabonner</a> · <a" in html
    product = next(message for message in to_frank if "chair" in message.subject)
    assert product.subject == "[New products] Alice Martin a ajouté Office chair au catalogue"
    assert "Alice Martin a ajouté un nouveau produit au catalogue : Office chair" in product.body
    to_alice = next(message for message in mail.outbox if message.to == ["alice@example.com"])
    assert to_alice.body.startswith("Hello,\n\nBureau fermé vendredi\n\nThe demo company\n")
