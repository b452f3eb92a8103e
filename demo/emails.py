"""Mailing the unseen events of the email medium to the entities they reach."""

from operator import itemgetter

from django.core.mail import EmailMultiAlternatives, get_connection
from entity.models import Entity

from demo.rendering import render_loaded
from entity_event.context_loader import load_contexts_and_renderers
from entity_event.models import Event, Medium
from entity_event.web.unsubscribe import unsubscribe_headers, unsubscribe_links

EMAIL = "email"
SUBJECT_LENGTH = 78


def send_event_emails() -> tuple[int, int]:
    """Mail every unseen email event to its targets; returns ``(events, messages)`` handed over.

    Only the events whose messages were handed to the mail backend are marked seen on the email
    medium, in one query at the end, even when the backend fails half-way: the event it failed
    on, and the ones after it, stay unseen for the next run. Targets without an address in their
    entity metadata get nothing. Each message is rendered for its reader, whose unsubscribe and
    preferences links the templates get as ``unsubscribe_url`` and ``preferences_url``, and carries
    the one-click ``List-Unsubscribe`` headers.
    """
    medium = Medium.objects.get(name=EMAIL)
    pairs = medium.events_targets(seen=False)
    load_contexts_and_renderers([event for event, _targets in pairs], [medium])
    sent, handed_over = 0, []
    try:
        with get_connection() as connection:
            for event, targets in pairs:
                messages = [
                    _message(medium, event, target, address) for address, target in _recipients(targets)
                ]
                if messages:
                    sent += connection.send_messages(messages)
                handed_over.append(event.pk)
    finally:
        Event.objects.filter(pk__in=handed_over).mark_seen(medium)
    return len(pairs), sent


def _recipients(targets) -> list[tuple[str, Entity]]:
    """``(address, target)`` by address, one per address, for the targets that have one."""
    by_address = {}
    for target in targets:
        by_address.setdefault((target.entity_meta or {}).get("email"), target)
    return sorted(((address, target) for address, target in by_address.items() if address), key=itemgetter(0))


def _message(medium: Medium, event: Event, target: Entity, address: str) -> EmailMultiAlternatives:
    text, html = render_loaded(medium, event, unsubscribe_links(target, medium, event.source))
    subject = f"[{event.source}] {text.splitlines()[0] if text else ''}"[:SUBJECT_LENGTH]
    headers = unsubscribe_headers(target, medium, event.source)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[address], headers=headers)
    if html:
        message.attach_alternative(html, "text/html")
    return message
