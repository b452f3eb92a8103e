"""The outbox page: the mail the worker wrote with the file-based backend, as recipients see it."""

import pytest
from django.contrib.auth.models import User
from django.core.mail import get_connection, send_mail
from django.urls import reverse

from demo import outbox
from demo.outbox import read_messages
from demo.seeding import entity_for
from demo.tests import events
from entity_event.models import Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    return tmp_path / "outbox"


def test_an_empty_outbox_says_so(client, file_outbox):
    client.force_login(User.objects.create_user("alice"))
    response = client.get(reverse("demo:outbox"))
    assert response.status_code == 200 and "No email was sent yet." in response.text
    assert read_messages(file_outbox) == []


@pytest.mark.entity_sync
def test_delivering_shows_the_sent_mail_newest_first(client, company, file_outbox):
    client.force_login(company["users"]["alice"])
    events.announcement(company, "Office closed on Friday")

    response = client.post(reverse("demo:deliver_now"), follow=True)

    assert "Planned 11 emails; the worker sends them in a moment." in response.text
    assert "The 11 emails the task worker sent, newest first." in response.text
    shown = response.context["messages_sent"]
    assert len(shown) == response.context["total"] == 11
    assert shown[0]["subject"] == "[Announcements] Office closed on Friday"
    assert shown[0]["from"] == "notifications@example.com"
    assert "<p>Office closed on Friday</p>" in shown[0]["html"]
    assert shown[0]["message_id"].startswith("<entity-event.delivery-")
    assert "&lt;p&gt;Office closed on Friday" in response.text


@pytest.mark.entity_sync
def test_links_of_a_mail_open_in_a_new_tab_outside_the_preview_sandbox(client, company, file_outbox):
    client.force_login(company["users"]["alice"])
    events.announcement(company, "Office closed on Friday")
    response = client.post(reverse("demo:deliver_now"), follow=True)
    assert response.context["messages_sent"][0]["html"].endswith('</html>\n<base target="_blank">')
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="' in response.text


@pytest.mark.entity_sync
def test_delivering_one_email_or_none_is_worded_for_it(client, company, file_outbox):
    client.force_login(company["users"]["alice"])
    assert "There were no new events to email." in client.post(reverse("demo:deliver_now"), follow=True).text
    Subscription.objects.filter(medium__name="email").delete()
    Subscription.objects.create(
        medium=company["mediums"]["email"],
        source=company["sources"]["announcement"],
        entity=entity_for(company["users"]["alice"]),
        only_following=False,
    )
    events.announcement(company, "Office closed on Friday")
    response = client.post(reverse("demo:deliver_now"), follow=True)
    assert "Planned 1 email; the worker sends it in a moment." in response.text
    assert "The email the task worker sent." in response.text


def test_a_long_outbox_shows_its_newest_messages(client, file_outbox, monkeypatch):
    monkeypatch.setattr(outbox, "OUTBOX_LENGTH", 2)
    connection = get_connection()  # one file, in the order sent (files of one second tie)
    for number in range(3):
        send_mail(f"Message {number}", "Text", "a@example.com", ["b@example.com"], connection=connection)
    client.force_login(User.objects.create_user("alice"))
    response = client.get(reverse("demo:outbox"))
    assert "The newest 2 of the 3 emails the task worker sent." in response.text
    assert [message["subject"] for message in response.context["messages_sent"]] == ["Message 2", "Message 1"]


def test_a_plain_text_message_is_shown_as_text(client, file_outbox):
    send_mail("Plain", "Just text", "a@example.com", ["b@example.com"])
    client.force_login(User.objects.create_user("alice"))
    [message] = client.get(reverse("demo:outbox")).context["messages_sent"]
    assert (message["text"], message["html"]) == ("Just text", "")
