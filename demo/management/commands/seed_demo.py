"""``manage.py seed_demo``: fill the database with the demo company (again: it changes nothing)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo import seeding


class Command(BaseCommand):
    help = "Create the demo company: users in teams, sources, mediums, subscriptions and events."

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "The demo needs PostgreSQL: its users become entities through django-entity's "
                f"syncing, which does not run on {connection.vendor}. Unset DATABASE_URL."
            )
        seeded = seeding.seed(self.stdout)
        self.stdout.write(
            f"{seeded.users} users, {seeded.events_total} events ({seeded.events_created} new).\n\n"
            "Open http://127.0.0.1:8000/ and sign in as an employee, for example\n"
            f"  alice / {seeding.EMPLOYEE_PASSWORD}   or   bob / {seeding.EMPLOYEE_PASSWORD}\n"
            f"The admin site is http://127.0.0.1:8000/admin/ "
            f"({seeding.ADMIN_USERNAME} / {seeding.ADMIN_PASSWORD})."
        )
