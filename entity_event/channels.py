"""Channels: how the deliveries of a medium leave the application (email, webhook).

``ENTITY_EVENT_CHANNELS`` maps a medium name to a channel class. A worker builds one channel per
medium and batch, calls :meth:`Channel.prepare` once with every delivery of the batch (where the
events are loaded and rendered in a constant number of queries), then :meth:`Channel.send` per
delivery, or :meth:`Channel.send_digest` per entity for a medium that sends digests, and
finally :meth:`Channel.close`. An exception from ``send`` fails that delivery only;
:class:`DeliveryRefused` fails it for good, any other exception has it retried.
"""

import hashlib
import hmac
import json
import urllib.request
from collections.abc import Callable
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils.module_loading import import_string
from entity.models import Entity

from entity_event import app_settings
from entity_event.models import Delivery, Event, Medium, Source
from entity_event.web.unsubscribe import (
    preferences_url,
    unsubscribe_headers,
    unsubscribe_links,
    unsubscribe_url,
)

#: Longest subject line, as RFC 5322 recommends for a header line.
SUBJECT_LENGTH = 78


class DeliveryRefused(Exception):
    """A delivery that can never succeed (an entity without an address): failed at once, not retried."""


def channel_for(medium: Medium) -> "Channel":
    """The channel ``ENTITY_EVENT_CHANNELS`` names for ``medium``, built for it."""
    path = app_settings.channels().get(medium.name)
    if path is None:
        raise ImproperlyConfigured(
            f"No channel delivers the medium '{medium.name}': "
            "name its channel class in ENTITY_EVENT_CHANNELS."
        )
    return import_string(path)(medium)


def entity_meta_email(entity: Entity) -> str | None:
    """The default recipient of the email channel: ``entity_meta["email"]``."""
    return (entity.entity_meta or {}).get("email") or None


class Channel:
    """Sends the deliveries of one medium. Subclasses implement :meth:`send` (and digests)."""

    def __init__(self, medium: Medium):
        self.medium = medium
        self.renderings: dict[int, tuple[str, str] | Exception] = {}

    def prepare(self, deliveries: list[Delivery]) -> None:
        """Load and render the events of ``deliveries`` together (constant queries per batch).

        An event that fails to render (no renderer, a missing template) fails only its deliveries.
        """
        event_ids = {delivery.event_id for delivery in deliveries}
        events = Event.objects.filter(id__in=event_ids).cache_related()
        events = events.load_contexts_and_renderers(self.medium)
        for event in events:
            try:
                self.renderings[event.id] = event.render(self.medium)
            except Exception as error:
                self.renderings[event.id] = error
        self.events = {event.id: event for event in events}

    def rendering(self, delivery: Delivery) -> tuple[str, str]:
        """``(text, html)`` of the delivery's event; raises what rendering it raised."""
        rendered = self.renderings[delivery.event_id]
        if isinstance(rendered, Exception):
            raise rendered
        return rendered

    def send(self, delivery: Delivery) -> None:
        raise NotImplementedError

    def send_digest(self, entity: Entity, deliveries: list[Delivery]) -> None:
        raise DeliveryRefused(f"{type(self).__name__} sends no digests")

    def close(self) -> None:
        """Release what :meth:`prepare` opened; called after the batch, also when it failed."""


class EmailChannel(Channel):
    """One email per delivery (or per digest) through Django's mail API, text with an HTML alternative.

    The recipient comes from ``ENTITY_EVENT_EMAIL_RECIPIENT`` (``entity_meta["email"]`` by default).
    The ``Message-ID`` is derived from the delivery, so a retried message carries the same one and
    receivers can drop the duplicate. Every message carries the one-click ``List-Unsubscribe``
    headers of RFC 8058 (a digest's unsubscribes from all its sources), and its templates get
    ``unsubscribe_url`` and ``preferences_url``; the links need ``ENTITY_EVENT_BASE_URL`` (or
    ``django.contrib.sites``) and ``entity_event.urls`` in the project's URLs. Subclasses add
    headers with :meth:`headers` and template variables with :meth:`template_context`.
    """

    text_template = "entity_event/delivery/email.txt"
    html_template = "entity_event/delivery/email.html"
    digest_text_template = "entity_event/delivery/digest.txt"
    digest_html_template = "entity_event/delivery/digest.html"

    def __init__(self, medium: Medium):
        """Checks that links can be made, so that planning fails before claiming anything and a
        batch fails (and is retried) before rendering anything."""
        super().__init__(medium)
        try:
            preferences_url()  # raises ImproperlyConfigured naming ENTITY_EVENT_BASE_URL without it
        except NoReverseMatch as error:
            raise ImproperlyConfigured(
                "the email channel links every message to its unsubscribe page: include "
                "entity_event.urls in the project's URLs with the namespace 'entity_event'"
            ) from error

    def prepare(self, deliveries: list[Delivery]) -> None:
        super().prepare(deliveries)
        self.recipient: Callable = app_settings.email_recipient()
        self.connection = get_connection()

    def close(self) -> None:
        self.connection.close()

    def send(self, delivery: Delivery) -> None:
        address = self.address(delivery.entity)
        text, html = self.rendering(delivery)
        context = {**self.template_context(delivery), "text": text, "html": html}
        self.send_message(
            subject=self.subject(text, delivery),
            address=address,
            context=context,
            templates=(self.text_template, self.html_template),
            message_id=self.message_id(f"delivery-{delivery.pk}"),
            headers=self.headers(delivery),
        )

    def send_digest(self, entity: Entity, deliveries: list[Delivery]) -> None:
        address = self.address(entity)
        unsubscribe_urls = {
            source: unsubscribe_url(entity, self.medium, source) for source in self.sources(deliveries)
        }
        items = [
            {
                "delivery": delivery,
                "event": event,
                "text": text,
                "html": html,
                "unsubscribe_url": unsubscribe_urls[event.source],
            }
            for delivery in deliveries
            for event in [self.events[delivery.event_id]]
            for text, html in [self.rendering(delivery)]
        ]
        context = {**self.digest_context(entity, deliveries), "items": items}
        self.send_message(
            subject=self.digest_subject(entity, deliveries),
            address=address,
            context=context,
            templates=(self.digest_text_template, self.digest_html_template),
            message_id=self.message_id(f"digest-{deliveries[0].pk}"),
            headers=self.digest_headers(entity, deliveries),
        )

    def address(self, entity: Entity) -> str:
        """The entity's address; :class:`DeliveryRefused` when it has none."""
        address = self.recipient(entity)
        if not address:
            raise DeliveryRefused(f"entity {entity.pk} ({entity}) has no email address")
        return address

    def sources(self, deliveries: list[Delivery]) -> list[Source]:
        """The sources of the events of ``deliveries``, each once, in order of first appearance."""
        return list(dict.fromkeys(self.events[delivery.event_id].source for delivery in deliveries))

    def template_context(self, delivery: Delivery) -> dict:
        """Variables of the message templates besides ``text`` and ``html`` (the event's renderings).

        ``unsubscribe_url`` stops the event's source for the recipient on this medium;
        ``preferences_url`` opens the preferences page.
        """
        event = self.events[delivery.event_id]
        return {
            "delivery": delivery,
            "entity": delivery.entity,
            "event": event,
            "medium": self.medium,
            **unsubscribe_links(delivery.entity, self.medium, event.source),
        }

    def headers(self, delivery: Delivery) -> dict[str, str]:
        """Extra headers of the message of ``delivery``: the one-click ``List-Unsubscribe`` headers."""
        return unsubscribe_headers(delivery.entity, self.medium, self.events[delivery.event_id].source)

    def digest_context(self, entity: Entity, deliveries: list[Delivery]) -> dict:
        """Variables of the digest templates besides ``items`` (one per delivery, each with the
        ``unsubscribe_url`` of its source).

        ``sources`` are the digest's sources and ``unsubscribe_url`` stops them all.
        """
        sources = self.sources(deliveries)
        return {
            "entity": entity,
            "medium": self.medium,
            "sources": sources,
            **unsubscribe_links(entity, self.medium, sources),
        }

    def digest_headers(self, entity: Entity, deliveries: list[Delivery]) -> dict[str, str]:
        """Extra headers of a digest message: ``List-Unsubscribe`` stops every source of the digest."""
        return unsubscribe_headers(entity, self.medium, self.sources(deliveries))

    def subject(self, text: str, delivery: Delivery) -> str:
        """The first line of the event's text rendering, cut to :data:`SUBJECT_LENGTH`."""
        first_line = text.splitlines()[0] if text else str(self.events[delivery.event_id])
        return first_line[:SUBJECT_LENGTH]

    def digest_subject(self, entity: Entity, deliveries: list[Delivery]) -> str:
        count = len(deliveries)
        return f"{count} new notification{'s' if count != 1 else ''} from {self.medium}"[:SUBJECT_LENGTH]

    def message_id(self, local_part: str) -> str:
        """A Message-ID that depends on ``local_part`` and the sender's domain only."""
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
        return f"<entity-event.{local_part}@{domain}>"

    def send_message(self, *, subject, address, context, templates, message_id, headers) -> None:
        text_template, html_template = templates
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(text_template, context),
            to=[address],
            headers={"Message-ID": message_id, **headers},
            connection=self.connection,
        )
        message.attach_alternative(render_to_string(html_template, context), "text/html")
        if message.send() != 1:
            raise RuntimeError(f"the mail backend did not send the message to {address}")


class WebhookChannel(Channel):
    """POSTs each delivery as JSON to the medium's URL, signed with HMAC-SHA256.

    ``ENTITY_EVENT_WEBHOOKS[medium.name]`` holds ``url``, ``secret`` and optionally ``timeout``
    (seconds, default 10). The hex digest of the body, keyed with the secret, is sent in the
    :data:`SIGNATURE_HEADER` header as ``sha256=<digest>``. Any answer outside 2xx is retried.
    """

    SIGNATURE_HEADER = "X-Entity-Event-Signature"

    def __init__(self, medium: Medium):
        super().__init__(medium)
        config = app_settings.webhooks().get(medium.name) or {}
        missing = sorted({"url", "secret"} - set(config))
        if missing:
            raise ImproperlyConfigured(
                f"ENTITY_EVENT_WEBHOOKS['{medium.name}'] lacks {', '.join(missing)}: the webhook "
                "channel needs the URL to post to and the secret to sign with."
            )
        self.url = config["url"]
        self.secret = str(config["secret"]).encode()
        self.timeout = app_settings.webhook_timeout(medium.name)

    def send(self, delivery: Delivery) -> None:
        entity = self.entity_data(delivery.entity)
        self.post({"medium": self.medium.name, "entity": entity, **self.item(delivery)})

    def send_digest(self, entity: Entity, deliveries: list[Delivery]) -> None:
        self.post(
            {
                "medium": self.medium.name,
                "entity": self.entity_data(entity),
                "digest": [self.item(delivery) for delivery in deliveries],
            }
        )

    def item(self, delivery: Delivery) -> dict:
        text, html = self.rendering(delivery)
        event = self.events[delivery.event_id]
        return {
            "delivery": delivery.pk,
            "event": {
                "id": event.pk,
                "uuid": event.uuid,
                "source": event.source.name,
                "time": event.time,
                "context": event.get_serialized_context(self.medium),
            },
            "text": text,
            "html": html,
        }

    def entity_data(self, entity: Entity) -> dict:
        return {"id": entity.pk, "display_name": entity.display_name}

    def signature(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    def post(self, payload: dict) -> None:
        body = json.dumps(payload, cls=DjangoJSONEncoder).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", self.SIGNATURE_HEADER: self.signature(body)},
        )
        with urllib.request.urlopen(request, timeout=self.timeout):  # raises HTTPError outside 2xx
            pass
