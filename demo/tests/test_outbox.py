"""The outbox page: the mail the worker wrote with the file-based backend, as recipients see it."""

import pytest
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.urls import reverse

from demo.outbox import read_messages
from demo.tests import events

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

    assert "Planned 11 email(s)" in response.text
    shown = response.context["messages_sent"]
    assert len(shown) == response.context["total"] == 11
    assert shown[0]["subject"] == "[Announcements] Office closed on Friday"
    assert shown[0]["from"] == "notifications@example.com"
    assert "<p>Office closed on Friday</p>" in shown[0]["html"]
    assert shown[0]["message_id"].startswith("<entity-event.delivery-")
    assert 'sandbox srcdoc="' in response.text and "&lt;p&gt;Office closed on Friday" in response.text


def test_a_plain_text_message_is_shown_as_text(client, file_outbox):
    send_mail("Plain", "Just text", "a@example.com", ["b@example.com"])
    client.force_login(User.objects.create_user("alice"))
    [message] = client.get(reverse("demo:outbox")).context["messages_sent"]
    assert (message["text"], message["html"]) == ("Just text", "")
