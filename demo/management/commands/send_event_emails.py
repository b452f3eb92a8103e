"""``manage.py send_event_emails``: deliver the new events of the email medium."""

from django.core.management.base import BaseCommand

from demo.emails import send_event_emails


class Command(BaseCommand):
    help = "Plan a delivery per target of every new event of the email medium; the task workers send them."

    def handle(self, *args, **options) -> None:
        planned = send_event_emails()
        self.stdout.write(f"Planned {planned} email(s); the task workers send them.")
