"""``manage.py send_event_emails``: mail the unseen events of the email medium."""

from django.core.management.base import BaseCommand

from demo.emails import send_event_emails


class Command(BaseCommand):
    help = "Send every unseen event of the email medium to its targets, then mark it seen there."

    def handle(self, *args, **options) -> None:
        events, messages = send_event_emails()
        self.stdout.write(f"Sent {messages} message(s) for {events} event(s).")
