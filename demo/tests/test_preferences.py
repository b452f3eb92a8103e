"""The demo's notification settings and the unsubscribe links of its emails, through the test client."""

import pytest
from django.core import mail
from django.urls import reverse

from demo import feed
from demo.emails import send_event_emails
from demo.tests import events
from entity_event.models import Unsubscription

pytestmark = [pytest.mark.django_db, pytest.mark.entity_sync]

PREFERENCES = reverse("entity_event:preferences")


def switch(client, company, medium: str, source: str, receiving: str):
    data = {
        "medium": company["mediums"][medium].pk,
        "source": company["sources"][source].pk,
        "receiving": receiving,
    }
    return client.post(PREFERENCES, data, follow=True)


def test_the_navigation_links_the_settings_which_list_the_demo_pairs_in_the_demo_layout(client, company):
    client.force_login(company["users"]["alice"])
    feed_page = client.get(reverse("demo:feed")).content.decode()
    assert f'<a href="{PREFERENCES}" id="preferences-link">Notification settings</a>' in feed_page

    response = client.get(PREFERENCES)
    assert [template.name for template in response.templates[:2]] == [
        "entity_event/preferences.html",
        "demo/base.html",
    ]
    pairs = [
        (group.name, preference.source.name, preference.medium.name)
        for group, preferences in response.context["source_groups"]
        for preference in preferences
    ]
    assert pairs == [
        ("catalogue", "new-product", "newsfeed"),
        ("company", "announcement", "email"),
        ("company", "announcement", "newsfeed"),
        ("company", "announcement", "notification-bar"),
        ("social", "photo-comment", "newsfeed"),
        ("social", "photo-comment", "notification-bar"),
        ("social", "photo-like", "newsfeed"),
        ("social", "photo-tag", "newsfeed"),
    ]  # alice is in engineering: new products come by email to sales only


def test_switching_announcements_off_on_the_newsfeed_takes_them_out_of_the_feed_at_once(client, company):
    alice = company["users"]["alice"]
    client.force_login(alice)
    events.announcement(company, "Pizza at noon")
    assert len(feed.feed_groups(alice)) == 1

    response = switch(client, company, "newsfeed", "announcement", "off")
    assert 'data-medium="newsfeed" data-source="announcement"' in response.content.decode()
    assert len(feed.feed_groups(alice)) == 0
    assert feed.notification(alice) is not None  # the notification bar is another medium

    switch(client, company, "newsfeed", "announcement", "on")
    assert len(feed.feed_groups(alice)) == 1


def test_the_unsubscribe_link_of_an_email_stops_the_next_ones(client, company):
    events.announcement(company, "Fire drill")
    send_event_emails()
    [message] = [message for message in mail.outbox if message.to == ["alice@example.com"]]
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://127.0.0.1:8000/notifications/unsubscribe/")

    path = url.removeprefix("http://127.0.0.1:8000")
    assert "Stop sending Announcements to Alice Martin by Email?" in client.get(path).content.decode()
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Unsubscription.objects.filter(entity__display_name="Alice Martin", medium__name="email").exists()

    mail.outbox.clear()
    events.announcement(company, "Second fire drill")
    send_event_emails()
    addresses = [address for message in mail.outbox for address in message.to]
    assert "alice@example.com" not in addresses and "bob@example.com" in addresses
