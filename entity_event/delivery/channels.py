"""Channels: how the deliveries of a medium leave the application (email, webhook).

``ENTITY_EVENT_CHANNELS`` maps a medium name to a channel class. A worker builds one channel per
medium and batch, calls :meth:`Channel.prepare` once with every delivery of the batch (where the
events are loaded and rendered in a constant number of queries), then :meth:`Channel.send` per
delivery, or :meth:`Channel.send_digest` per entity for a medium that sends digests, and
finally :meth:`Channel.close`. An exception from ``send`` fails that delivery only;
:class:`DeliveryRefused` fails it for good, any other exception has it retried.

Each message is rendered in its recipient's language and time zone (:mod:`entity_event.languages`):
``prepare`` renders each event once per locale of the batch, and the sender activates the
recipient's locale around ``send`` and ``send_digest``, so a batch costs the same queries
whatever the number of languages.
"""

import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Callable
from email.utils import getaddresses, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.template import Context, Engine, Template, TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils.module_loading import import_string
from django.utils.text import slugify
from django.utils.translation import ngettext
from entity.models import Entity

from entity_event import app_settings, context_loader, languages
from entity_event.delivery import http_post
from entity_event.delivery.digests import digest_groups
from entity_event.groups import load_groups, render_loaded_groups
from entity_event.models import ContextRenderer, Delivery, Event, Medium, Source
from entity_event.rendering import medium_context
from entity_event.unsubscribe import (
    preferences_url,
    unsubscribe_headers,
    unsubscribe_links,
    unsubscribe_url,
)

#: Longest subject line, as RFC 5322 recommends for a header line.
SUBJECT_LENGTH = 78


class DeliveryRefused(Exception):
    """A delivery that can never succeed (an entity without an address): failed at once, not retried."""


def webhook_timeout(medium_name: str) -> float:
    """The ``timeout`` of ``ENTITY_EVENT_WEBHOOKS[medium_name]``, checked to be a number of seconds
    below ``ENTITY_EVENT_DELIVERY_LEASE``, so that no attempt outlives the worker's lease and
    another worker sends the delivery again. Raises ``ImproperlyConfigured`` naming both settings
    otherwise; a system check may call it for each webhook medium."""
    timeout = app_settings.webhook_timeout(medium_name)
    setting = f"ENTITY_EVENT_WEBHOOKS['{medium_name}']['timeout']"
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ImproperlyConfigured(f"{setting} is {timeout!r}; it is a positive number of seconds.")
    lease = app_settings.delivery_lease_seconds()
    if isinstance(lease, int | float) and timeout >= lease:  # a lease of another type is E010's
        raise ImproperlyConfigured(
            f"{setting} is {timeout!r} seconds, not below ENTITY_EVENT_DELIVERY_LEASE ({lease!r} "
            "seconds): a worker still waiting for the answer when its lease ends would see the "
            "delivery handed to another worker and sent twice."
        )
    return timeout


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


def is_one_address(address: str) -> bool:
    """Whether ``address`` is one address Django's validation accepts, bare or as ``Name <address>``:
    no line break, no list. Sending a malformed one can only fail, so it is not retried."""
    if not isinstance(address, str) or any(ord(character) < 32 for character in address):
        return False
    pairs = getaddresses([address])
    if len(pairs) != 1:
        return False
    bare = pairs[0][1]
    try:
        validate_email(bare)
    except ValidationError:
        return False
    return address.strip() in (bare, f"<{bare}>") or address.rstrip().endswith(f" <{bare}>")


class Channel:
    """Sends the deliveries of one medium. Subclasses implement :meth:`send` (and digests)."""

    def __init__(self, medium: Medium):
        self.medium = medium
        self.renderings: dict[tuple[int, languages.Locale], tuple[str, str] | Exception] = {}
        self.locales: dict[int, languages.Locale] = {}
        self.digests: dict[int, list] | None = None
        self.group_renderings: dict[languages.Locale, dict] = {}

    def prepare(self, deliveries: list[Delivery]) -> None:
        """Load the events of ``deliveries`` together (constant queries per batch) and render each
        in every locale of its recipients, under that locale.

        An event that fails to render (no renderer, a missing template) fails only its deliveries.
        """
        locale_of = languages.Resolver()
        wanted: dict[int, set[languages.Locale]] = defaultdict(set)
        for delivery in deliveries:
            self.locales[delivery.pk] = locale_of(delivery.entity)
            wanted[delivery.event_id].add(self.locales[delivery.pk])
        events = Event.objects.filter(id__in=wanted).cache_related()
        events = events.load_contexts_and_renderers(self.medium)
        for event in events:
            for locale in sorted(wanted[event.id]):
                with languages.activated(locale):
                    try:
                        self.renderings[event.id, locale] = event.render(self.medium)
                    except Exception as error:
                        self.renderings[event.id, locale] = error
        self.events = {event.id: event for event in events}
        self.prepared = deliveries

    def locale(self, delivery: Delivery) -> languages.Locale:
        """The language and time zone of the delivery's recipient, found by :meth:`prepare`."""
        return self.locales[delivery.pk]

    def rendering(self, delivery: Delivery) -> tuple[str, str]:
        """``(text, html)`` of the delivery's event in its recipient's locale; raises what
        rendering it raised."""
        rendered = self.renderings[delivery.event_id, self.locale(delivery)]
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

    #: Templates of a message's subject, the first found wins: ``{renderer}`` and ``{style}`` are
    #: the slugified names of the event's context renderer and of its rendering style.
    subject_templates = (
        "entity_event/delivery/subjects/{renderer}.txt",
        "entity_event/delivery/subjects/{style}.txt",
    )
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
        self.subject_templates_found: dict[int, Template | None] = {}
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
        """One message of the digest's items: a group of events (:doc:`groups`) is one item, with
        its ``group``, its ``deliveries``, its newest ``event`` and that event's ``delivery``."""
        address = self.address(entity)
        for delivery in deliveries:
            self.rendering(delivery)  # an event that failed to render fails the digest
        unsubscribe_urls = {
            source: unsubscribe_url(entity, self.medium, source) for source in self.sources(deliveries)
        }
        grouped, rendered = self.digest_groups(entity, self.locale(deliveries[0]))
        items = [
            {
                "group": group,
                "deliveries": group_deliveries,
                "delivery": group_deliveries[0],
                "event": self.events[group.newest.pk],
                "text": rendered[group][0],
                "html": rendered[group][1],
                "unsubscribe_url": unsubscribe_urls[self.events[group.newest.pk].source],
            }
            for group, group_deliveries in grouped
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

    def digest_groups(self, entity: Entity, locale: languages.Locale) -> tuple[list, dict]:
        """The grouped items of ``entity``'s digest and the groups' renderings in ``locale``. The
        digests of every entity of the batch whose events all rendered are grouped and loaded
        together on the first call, in a constant number of queries; the groups of the entities of
        one locale are rendered, without a query, on the first call in that locale (the active
        one), so a batch to several languages costs the queries of a batch to one."""
        if self.digests is None:
            failed = {
                delivery.entity_id
                for delivery in self.prepared
                if isinstance(self.renderings[delivery.event_id, self.locale(delivery)], Exception)
            }
            self.digests = digest_groups(
                [delivery for delivery in self.prepared if delivery.entity_id not in failed]
            )
            load_groups(
                self.medium, [group for items in self.digests.values() for group, _deliveries in items]
            )
        if locale not in self.group_renderings:
            readers = {delivery.entity_id for delivery in self.prepared if self.locale(delivery) == locale}
            groups = [
                group
                for entity_id, items in self.digests.items()
                if entity_id in readers
                for group, _deliveries in items
            ]
            self.group_renderings[locale] = render_loaded_groups(self.medium, groups)
        return self.digests[entity.pk], self.group_renderings[locale]

    def address(self, entity: Entity) -> str:
        """The entity's address; :class:`DeliveryRefused` when it has none or a malformed one."""
        address = self.recipient(entity)
        if not address:
            raise DeliveryRefused(f"entity {entity.pk} ({entity}) has no email address")
        if not is_one_address(address):
            raise DeliveryRefused(f"entity {entity.pk} ({entity}) has a malformed email address: {address!r}")
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
        """The event's subject template rendered on one line (see :attr:`subject_templates`); without
        one, or if it renders blank, the first line of the event's text rendering. Cut to
        :data:`SUBJECT_LENGTH`."""
        event = self.events[delivery.event_id]
        template = self.subject_template(context_loader.loaded_rendering(event, self.medium).renderer)
        subject = ""
        if template is not None:
            context = {"event": event, "entity": delivery.entity, **medium_context(event, self.medium)}
            subject = " ".join(template.render(Context(context, autoescape=False)).split())
        if not subject:
            subject = text.splitlines()[0] if text else str(event)
        return subject[:SUBJECT_LENGTH]

    def subject_template(self, renderer: ContextRenderer) -> Template | None:
        """The first of :attr:`subject_templates` that exists for ``renderer``, looked up once per
        renderer and batch (no query: the renderer comes with its style)."""
        if renderer.pk not in self.subject_templates_found:
            names = [
                name.format(renderer=slugify(renderer.name), style=slugify(renderer.rendering_style.name))
                for name in self.subject_templates
            ]
            try:
                self.subject_templates_found[renderer.pk] = Engine.get_default().select_template(names)
            except TemplateDoesNotExist:
                self.subject_templates_found[renderer.pk] = None
        return self.subject_templates_found[renderer.pk]

    def digest_subject(self, entity: Entity, deliveries: list[Delivery]) -> str:
        count = len(deliveries)
        subject = ngettext(
            "%(count)d new notification from %(medium)s",
            "%(count)d new notifications from %(medium)s",
            count,
        ) % {"count": count, "medium": self.medium}
        return subject[:SUBJECT_LENGTH]

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
    (seconds for the whole request, default 10, below ``ENTITY_EVENT_DELIVERY_LEASE``). The hex
    digest of the body, keyed with the secret, is sent in the :data:`SIGNATURE_HEADER` header as
    ``sha256=<digest>``. Any answer outside 2xx is retried; redirects are not followed.
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
        if urlsplit(str(config["url"])).scheme not in ("http", "https"):
            raise ImproperlyConfigured(
                f"ENTITY_EVENT_WEBHOOKS['{medium.name}']['url'] is {config['url']!r}, not an http(s) URL."
            )
        self.url = config["url"]
        self.secret = str(config["secret"]).encode()
        self.timeout = webhook_timeout(medium.name)

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
        headers = {"Content-Type": "application/json", self.SIGNATURE_HEADER: self.signature(body)}
        http_post.post(self.url, body, headers, self.timeout)
