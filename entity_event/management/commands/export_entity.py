"""``manage.py export_entity ENTITY [--indent N]``: an access request's answer, as JSON."""

import json

from django.core.management.base import BaseCommand

from entity_event.management.entity_lookup import HELP, find_entity
from entity_event.numbers import number_argument
from entity_event.personal_data import export_entity


class Command(BaseCommand):
    help = "Print as JSON everything entity_event holds about one entity (see docs/privacy.rst)."

    def add_arguments(self, parser):
        parser.add_argument("entity", help=HELP)
        parser.add_argument(
            "--indent", type=number_argument(0), default=None, metavar="N", help="pretty-print"
        )

    def handle(self, *args, entity: str, indent: int | None, **options):
        data = export_entity(find_entity(entity))
        self.stdout.write(json.dumps(data, indent=indent, ensure_ascii=False))
