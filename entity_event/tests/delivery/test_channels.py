"""The built-in channels: email through Django's mail API, and signed webhook POSTs."""

import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from entity_event.channels import SUBJECT_LENGTH, Channel, EmailChannel, WebhookChannel
from entity_event.delivery import tasks
from entity_event.models import Delivery, RenderingStyle
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import hooks_settings, post, serving


def test_an_email_has_the_text_and_html_renderings_and_a_message_id_of_the_delivery(club):
    post(club, "Tom & Jerry")
    club.medium.deliver()

    message = next(m for m in mail.outbox if m.to == ["member0@example.com"])
    delivery = Delivery.objects.get(entity=club.users[0])
    assert message.subject == "News: Tom & Jerry"
    assert message.body.startswith("News: Tom & Jerry\nRead on, Tom & Jerry & more.\n\n-- \n")
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
    """A project's channel: a header and a template variable more, and its own footer."""

    text_template = "entity_event_tests/delivery_email.txt"

    def headers(self, delivery):
        return {**super().headers(delivery), "List-Id": f"<{self.medium.name}.club.example>"}

    def template_context(self, delivery):
        return {**super().template_context(delivery), "footer": f"You are {delivery.entity}."}


@override_settings(ENTITY_EVENT_CHANNELS={"email": f"{__name__}.ListEmailChannel"})
def test_a_subclass_adds_headers_and_template_variables(club):
    post(club)
    club.medium.deliver()

    message = next(m for m in mail.outbox if m.to == ["member1@example.com"])
    assert message.extra_headers["List-Id"] == "<email.club.example>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.body == "News: Picnic\nRead on, Picnic & more.\n-- \nYou are member1.\n"


def test_an_event_without_text_takes_its_description_as_subject(club):
    club.news.contextrenderer_set.update(text_template="")
    event = post(club)
    club.medium.deliver()

    assert {m.subject for m in mail.outbox} == {str(event)}


def test_a_subject_template_named_after_the_renderer_gives_the_subject_on_one_line(club):
    club.news.contextrenderer_set.update(name="News, with a subject")  # subjects/news-with-a-subject.txt
    post(club, "Tom & Jerry")
    club.medium.deliver()

    assert sorted(m.subject for m in mail.outbox) == [f"Tom & Jerry is on, member{n}!" for n in range(3)]


def test_a_subject_template_named_after_the_style_serves_its_renderers(club):
    RenderingStyle.objects.filter(name="email").update(name="Styled")  # subjects/styled.txt
    post(club, "Tom & Jerry " + "la" * 50)
    club.medium.deliver()

    assert {m.subject for m in mail.outbox} == {("Styled: Tom & Jerry " + "la" * 50)[:SUBJECT_LENGTH]}


def test_a_blank_subject_falls_back_to_the_first_line_of_the_text(club):
    RenderingStyle.objects.filter(name="email").update(name="Styled")
    post(club, "")
    club.medium.deliver()

    assert {m.subject for m in mail.outbox} == {"News: "}


def count_subject_queries(club, events: int) -> int:
    for number in range(events):
        post(club, f"News {number}")
    club.medium.deliver()
    ids = list(Delivery.objects.filter(attempts=0).values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        assert tasks.send_deliveries.call(ids) == 3 * events
    return len(helpers.statements(captured))


def test_subject_templates_cost_no_query_per_message(club, dummy_tasks):
    club.news.contextrenderer_set.update(name="News, with a subject")
    assert count_subject_queries(club, events=1) == count_subject_queries(club, events=5)
    assert mail.outbox[-1].subject.endswith(" is on, member2!")


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
    assert failed.status == "pending"
    assert failed.last_error == f"PostFailed: {receiver.url} answered 500 Internal Server Error"
    assert Delivery.objects.filter(status="sent").count() == 2


@pytest.mark.parametrize(
    ("config", "missing"), [({}, "secret, url"), ({"url": "http://127.0.0.1/"}, "secret")]
)
def test_a_webhook_medium_needs_its_url_and_secret(hooked, config, missing):
    with override_settings(ENTITY_EVENT_WEBHOOKS={"hooks": config}):
        with pytest.raises(ImproperlyConfigured, match=f"ENTITY_EVENT_WEBHOOKS\\['hooks'\\] lacks {missing}"):
            WebhookChannel(hooked.medium)


class Redirecting(BaseHTTPRequestHandler):
    """Answers every POST with the redirect status of its server, to ``/moved`` on the same server;
    counts the requests that reach ``/moved``."""

    def do_POST(self):
        self._answer()

    def do_GET(self):
        self._answer()

    def _answer(self):
        if self.path == "/moved":
            self.server.moved_hits += 1
            self.send_response(204)
        else:
            self.send_response(self.server.status)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/moved")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_webhook_redirect_is_a_failed_attempt_and_never_followed(hooked, status):
    with serving(Redirecting) as server:
        server.status, server.moved_hits = status, 0
        url = f"http://127.0.0.1:{server.server_port}/events"
        with hooks_settings(url):
            post(hooked)
            hooked.medium.deliver()

        assert server.moved_hits == 0
    deliveries = Delivery.objects.all()
    assert {(d.status, d.attempts) for d in deliveries} == {("pending", 1)}
    moved = f"http://127.0.0.1:{server.server_port}/moved"
    assert deliveries[0].last_error.startswith(f"PostFailed: {url} answered {status} ")
    assert deliveries[0].last_error.endswith(f"(a redirect to {moved}, not followed)")


class Trickling(BaseHTTPRequestHandler):
    """Sends one byte every 0.2 s for 20 s: in the status line, or in the body after the headers."""

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.in_body:
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _byte in range(100):
            try:
                self.wfile.write(b"H")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.2)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("in_body", [False, True], ids=["status line", "body"])
def test_a_webhook_timeout_bounds_the_whole_request(hooked, in_body):
    with serving(Trickling) as server:
        server.in_body = in_body
        url = f"http://127.0.0.1:{server.server_port}/events"
        with hooks_settings(url, timeout=1):
            post(hooked)
            started = time.monotonic()
            hooked.medium.deliver()
            took = time.monotonic() - started

    assert took < 3 * 1.5  # three deliveries of at most a second each, 20 s each before
    deliveries = Delivery.objects.all()
    assert {(d.status, d.attempts) for d in deliveries} == {("pending", 1)}
    assert {d.last_error for d in deliveries} == {f"PostFailed: {url} did not answer within 1 seconds"}


@pytest.mark.parametrize(("timeout", "lease"), [(300, None), (60, 60), (90, 60)])
def test_a_webhook_timeout_not_below_the_lease_is_refused_naming_both_settings(hooked, timeout, lease):
    with (
        hooks_settings("http://127.0.0.1/", timeout=timeout),
        override_settings(ENTITY_EVENT_DELIVERY_LEASE=lease),
    ):
        with pytest.raises(ImproperlyConfigured) as raised:
            WebhookChannel(hooked.medium)
    setting = "ENTITY_EVENT_WEBHOOKS['hooks']['timeout']"
    assert str(raised.value).startswith(
        f"{setting} is {timeout} seconds, not below ENTITY_EVENT_DELIVERY_LEASE"
    )


@pytest.mark.parametrize("timeout", [0, -1, "5", True, None])
def test_a_webhook_timeout_is_a_positive_number_of_seconds(hooked, timeout):
    with hooks_settings("http://127.0.0.1/", timeout=timeout):
        with pytest.raises(ImproperlyConfigured, match=f"\\['timeout'\\] is {timeout!r}; it is a positive"):
            WebhookChannel(hooked.medium)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/events", "127.0.0.1/events", "file:///etc/passwd"])
def test_a_webhook_url_is_an_http_url(hooked, url):
    with hooks_settings(url):
        with pytest.raises(ImproperlyConfigured, match=f"\\['url'\\] is '{url}', not an http"):
            WebhookChannel(hooked.medium)


class HangingUp(BaseHTTPRequestHandler):
    """Reads the POST, then closes the connection without an answer."""

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_a_webhook_receiver_hanging_up_is_retried_with_the_error(hooked):
    with serving(HangingUp) as server, hooks_settings(f"http://127.0.0.1:{server.server_port}/events"):
        post(hooked)
        hooked.medium.deliver()

    deliveries = Delivery.objects.all()
    assert {(d.status, d.attempts) for d in deliveries} == {("pending", 1)}
    assert deliveries[0].last_error.startswith("RemoteDisconnected: ")
