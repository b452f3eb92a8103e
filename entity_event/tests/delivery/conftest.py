"""The world of the delivery tests: a club whose members receive its news by email."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from entity_event.tests import helpers

EMAIL_CHANNEL = {"email": "entity_event.channels.EmailChannel"}
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def build_club(members: int = 3, medium_name: str = "email") -> SimpleNamespace:
    """``members`` users of a club subscribed to its news on a medium rendered in the email style."""
    club = helpers.entity("club", "club")
    users = [helpers.entity(f"member{number}", supers=[club]) for number in range(members)]
    news = helpers.source(f"news-{medium_name}")
    email_style = helpers.style("email")
    helpers.renderer(
        f"news-{medium_name}",
        email_style,
        source=news,
        text_template="News: {{ title }}\nRead on, {{ title }} & more.",
        html_template="<p>News: <b>{{ title }}</b></p>",
    )
    medium = helpers.medium(medium_name, rendering_style=email_style)
    helpers.subscribe(medium, news, club, sub_kind="user")
    return SimpleNamespace(club=club, users=users, news=news, medium=medium)


def make_due(deliveries) -> None:
    """Let the time of their next attempt pass by more than a lease, so that ``tasks.enqueue_due``
    takes them on every backend, those that defer tasks (RQ) included."""
    deliveries.update(time_next_attempt=timezone.now() - timedelta(days=1))


def post(world: SimpleNamespace, title: str = "Picnic", **fields):
    return helpers.event(world.news, context={"title": title}, **fields)


@pytest.fixture
def club(db):
    with override_settings(ENTITY_EVENT_CHANNELS=EMAIL_CHANNEL):
        mail.outbox = []
        yield build_club()


@pytest.fixture
def dummy_tasks():
    """Tasks are only recorded (the dummy backend, which can defer); returns the backend."""
    from entity_event.delivery.tasks import send_deliveries

    with override_settings(TASKS=DUMMY_TASKS):
        yield send_deliveries.get_backend()


class Receiver(BaseHTTPRequestHandler):
    """Records each POST; answers 500 while the body mentions a name in ``failing``."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        failing = any(name.encode() in body for name in self.server.failing)
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    """An HTTP server on 127.0.0.1 answering with ``handler``, in a thread, shut down after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def hooks_settings(url: str, **config) -> override_settings:
    """The settings of a webhook medium named "hooks" posting to ``url``."""
    return override_settings(
        ENTITY_EVENT_WEBHOOKS={"hooks": {"url": url, "secret": "s3cret", **config}},
        ENTITY_EVENT_CHANNELS={"hooks": "entity_event.channels.WebhookChannel"},
    )


@pytest.fixture
def receiver():
    """An HTTP server on 127.0.0.1 receiving the webhook of a medium named "hooks"."""
    with serving(Receiver) as server:
        server.received, server.failing = [], set()
        server.url = f"http://127.0.0.1:{server.server_port}/events"
        with hooks_settings(server.url):
            yield server


@pytest.fixture
def hooked(db, receiver):
    return build_club(medium_name="hooks")
