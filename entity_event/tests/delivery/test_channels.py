"""The built-in channels: email through Django's mail API, and signed webhook POSTs."""

import hashlib
import hmac
import json

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from entity_event.channels import Channel, EmailChannel, WebhookChannel
from entity_event.models import Delivery
from entity_event.tests.delivery.conftest import post


def test_an_email_has_the_text_and_html_renderings_and_a_message_id_of_the_delivery(club):
    post(club, "Tom & Jerry")
    club.medium.deliver()

    message = next(m for m in mail.outbox if m.to == ["member0@example.com"])
    delivery = Delivery.objects.get(entity=club.users[0])
    assert message.subject == "News: Tom & Jerry"
    assert message.body == "News: Tom & Jerry\nRead on, Tom & Jerry & more.\n"
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "<p>News: <b>Tom &amp; Jerry</b></p>" in html
    assert message.from_email == "notifications@example.com"
    assert message.extra_headers["Message-ID"] == f"<entity-event.delivery-{delivery.pk}@example.com>"
    assert message.message()["Message-ID"] == f"<entity-event.delivery-{delivery.pk}@example.com>"


def first_line_of_meta(entity):
    return (entity.entity_meta or {}).get("work_email")


@override_settings(
    ENTITY_EVENT_EMAIL_RECIPIENT="entity_event.tests.delivery.test_channels.first_line_of_meta",
    DEFAULT_FROM_EMAIL="News <news@club.example>",
)
def test_the_recipient_comes_from_the_callable_a_setting_names(club):
    for user in club.users:
        user.entity_meta = {"work_email": f"{user.display_name}@work.example"}
        user.save()
    post(club)
    club.medium.deliver()

    assert sorted(m.to[0] for m in mail.outbox) == [f"member{n}@work.example" for n in range(3)]
    assert all(m.extra_headers["Message-ID"].endswith("@club.example>") for m in mail.outbox)


class ListEmailChannel(EmailChannel):
    """The extension points that one-click unsubscription uses: headers and template variables."""

    text_template = "entity_event_tests/delivery_email.txt"

    def headers(self, delivery):
        return {"List-Id": f"<{self.medium.name}.club.example>"}

    def template_context(self, delivery):
        return {**super().template_context(delivery), "footer": f"You are {delivery.entity}."}


@override_settings(ENTITY_EVENT_CHANNELS={"email": f"{__name__}.ListEmailChannel"})
def test_a_subclass_adds_headers_and_template_variables(club):
    post(club)
    club.medium.deliver()

    message = next(m for m in mail.outbox if m.to == ["member1@example.com"])
    assert message.extra_headers["List-Id"] == "<email.club.example>"
    assert message.body == "News: Picnic\nRead on, Picnic & more.\n-- \nYou are member1.\n"


def test_an_event_without_text_takes_its_description_as_subject(club):
    club.news.contextrenderer_set.update(text_template="")
    event = post(club)
    club.medium.deliver()

    assert {m.subject for m in mail.outbox} == {str(event)}


class BareChannel(Channel):
    """A channel that forgot to implement ``send``."""


@override_settings(ENTITY_EVENT_CHANNELS={"email": f"{__name__}.BareChannel"})
def test_a_channel_without_send_fails_its_deliveries(club):
    post(club)
    club.medium.deliver()

    assert {d.last_error for d in Delivery.objects.all()} == {"NotImplementedError: "}


# Webhooks.


def test_a_webhook_posts_signed_json_with_the_context_and_renderings(hooked, receiver):
    event = post(hooked, "Tom & Jerry")
    hooked.medium.deliver()

    assert len(receiver.received) == 3
    headers, body = receiver.received[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Entity-Event-Signature"] == expected
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    delivery = Delivery.objects.get(pk=payload["delivery"])
    assert payload["medium"] == "hooks" and delivery.status == "sent"
    assert payload["entity"] == {"id": delivery.entity_id, "display_name": delivery.entity.display_name}
    assert payload["event"]["uuid"] == event.uuid and payload["event"]["source"] == "news-hooks"
    assert payload["event"]["context"] == {"title": "Tom & Jerry"}
    assert payload["text"] == "News: Tom & Jerry\nRead on, Tom & Jerry & more."
    assert payload["html"] == "<p>News: <b>Tom &amp; Jerry</b></p>"


def test_a_webhook_error_answer_is_retried_and_the_other_posts_stay_sent(hooked, receiver):
    receiver.failing.add("member2")
    post(hooked)
    hooked.medium.deliver()

    failed = Delivery.objects.get(entity=hooked.users[2])
    assert failed.status == "pending" and failed.last_error.startswith("HTTPError: HTTP Error 500")
    assert Delivery.objects.filter(status="sent").count() == 2


@pytest.mark.parametrize(
    ("config", "missing"), [({}, "secret, url"), ({"url": "http://127.0.0.1/"}, "secret")]
)
def test_a_webhook_medium_needs_its_url_and_secret(hooked, config, missing):
    with override_settings(ENTITY_EVENT_WEBHOOKS={"hooks": config}):
        with pytest.raises(ImproperlyConfigured, match=f"ENTITY_EVENT_WEBHOOKS\\['hooks'\\] lacks {missing}"):
            WebhookChannel(hooked.medium)
