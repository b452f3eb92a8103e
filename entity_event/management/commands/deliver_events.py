"""``manage.py deliver_events [--medium NAME ...]``: the delivery run to call from cron."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from entity_event import app_settings
from entity_event.delivery import tasks
from entity_event.delivery.channels import channel_for
from entity_event.delivery.mediums import specific
from entity_event.event_input import unstorable_character
from entity_event.models import Medium


class Command(BaseCommand):
    help = (
        "Plan the deliveries of the mediums' new events, and enqueue again the pending deliveries "
        "whose next attempt is due (retries, digests, work of a worker that died). Without --medium, "
        "every medium named in ENTITY_EVENT_CHANNELS."
    )

    def add_arguments(self, parser):
        parser.add_argument("--medium", action="append", dest="mediums", metavar="NAME", default=[])

    def handle(self, *args, mediums: list[str], **options):
        names = mediums or sorted(app_settings.channels())
        storable = [name for name in names if not unstorable_character(name)]
        # As their subclass, so that planning and the workers' check follow the same rules.
        found = {medium.name: medium for medium in specific(Medium.objects.filter(name__in=storable))}
        missing = [name for name in names if name not in found]
        if missing:
            raise CommandError(f"No medium is named {', '.join(map(repr, missing))}.")
        try:  # every channel can be built (its settings are complete) before anything is claimed
            for medium in found.values():
                channel_for(medium)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        # Due ones first: the deliveries planned below are enqueued as they are planned.
        due = tasks.enqueue_due(found.values())
        self.stdout.write(_("%(count)d due deliveries enqueued") % {"count": due})
        for name in names:
            planned = found[name].deliver()
            self.stdout.write(
                _("%(medium)s: %(count)d deliveries planned") % {"medium": name, "count": planned}
            )
