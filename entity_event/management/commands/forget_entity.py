"""``manage.py forget_entity ENTITY [--yes]``: an erasure request, after a confirmation."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from entity_event.management.entity_lookup import HELP, find_entity
from entity_event.personal_data import forget_entity


class Command(BaseCommand):
    help = (
        "Delete what entity_event holds about one entity: inbox marks and watermarks, deliveries, "
        "unsubscriptions, its own subscriptions and its place among events' actors. Events and "
        "their contexts stay (see docs/privacy.rst)."
    )

    def add_arguments(self, parser):
        parser.add_argument("entity", help=HELP)
        parser.add_argument("--yes", action="store_true", help="forget without asking")

    def handle(self, *args, entity: str, yes: bool, **options):
        found = find_entity(entity)
        if not yes and not self.confirmed(found, entity):
            self.stdout.write(_("Nothing was forgotten."))
            return
        counts = forget_entity(found)
        self.stdout.write(_("Forgot %(found)s (%(entity)s):") % {"found": found, "entity": entity})
        for kind, count in counts.items():
            if kind != "event_contexts":  # the command rewrites no context
                self.stdout.write(f"  {kind.replace('_', ' ')}: {count}")

    def confirmed(self, entity, text: str) -> bool:
        try:
            answer = input(f"Forget everything entity_event holds about {entity} ({text})? [y/N] ")
        except EOFError as error:
            raise CommandError("No answer to the question: pass --yes to forget without asking.") from error
        return answer.strip().lower() in ("y", "yes")
