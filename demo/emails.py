"""The demo's email channel, and planning the delivery of the email medium's new events."""

from entity_event.delivery.channels import SUBJECT_LENGTH, EmailChannel
from entity_event.models import Delivery, Medium

EMAIL = "email"


class DemoEmailChannel(EmailChannel):
    """The built-in email channel, with the event's source ahead of the subject that the renderer's
    subject template (``demo/templates/entity_event/delivery/subjects/``) gives:
    "[Announcements] Office closed on Friday"."""

    def subject(self, text: str, delivery: Delivery) -> str:
        source = self.events[delivery.event_id].source
        return f"[{source}] {super().subject(text, delivery)}"[:SUBJECT_LENGTH]


def send_event_emails() -> int:
    """Plan a delivery per target of every new email event; returns how many were planned.

    The deliveries are sent by the task workers (``manage.py db_worker``), with retries: a mail
    server that is down delays the messages instead of losing them.
    """
    return Medium.objects.get(name=EMAIL).deliver()
