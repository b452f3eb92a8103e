"""Mailing the unseen events of the email medium to the entities they reach."""

from django.core.mail import EmailMultiAlternatives, get_connection

from demo.rendering import render
from entity_event.models import Event, Medium

EMAIL = "email"
SUBJECT_LENGTH = 78


def send_event_emails() -> tuple[int, int]:
    """Mail every unseen email event to its targets; returns ``(events, messages)`` handed over.

    Only the events whose messages were handed to the mail backend are marked seen on the email
    medium, in one query at the end, even when the backend fails half-way: the event it failed
    on, and the ones after it, stay unseen for the next run. Targets without an address in their
    entity metadata get nothing.
    """
    medium = Medium.objects.get(name=EMAIL)
    pairs = medium.events_targets(seen=False)
    rendered = render(medium, [event for event, _targets in pairs])
    sent, handed_over = 0, []
    try:
        with get_connection() as connection:
            for event, targets in pairs:
                text, html = rendered[event]
                messages = [_message(event, text, html, address) for address in _addresses(targets)]
                if messages:
                    sent += connection.send_messages(messages)
                handed_over.append(event.pk)
    finally:
        Event.objects.filter(pk__in=handed_over).mark_seen(medium)
    return len(pairs), sent


def _addresses(targets) -> list[str]:
    return sorted({(target.entity_meta or {}).get("email") for target in targets} - {None, ""})


def _message(event: Event, text: str, html: str, address: str) -> EmailMultiAlternatives:
    subject = f"[{event.source}] {text.splitlines()[0] if text else ''}"[:SUBJECT_LENGTH]
    message = EmailMultiAlternatives(subject=subject, body=text, to=[address])
    if html:
        message.attach_alternative(html, "text/html")
    return message
