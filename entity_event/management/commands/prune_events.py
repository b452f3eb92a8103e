"""``manage.py prune_events (--before DATE | --older-than DAYS)``: retention, from cron."""

import argparse
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from entity_event.management.progress import ProgressBar
from entity_event.numbers import number_argument
from entity_event.retention import BATCH_SIZE, prunable, prune_events


def moment(text: str) -> datetime:
    """``--before``: an ISO 8601 date-time, or a date meaning its midnight."""
    try:
        value = parse_datetime(text)  # a date alone is its midnight (Python 3.11's fromisoformat)
    except ValueError:  # well formed but no real date, as 2026-02-30
        value = None
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a date (2026-01-31) or a date-time, not {text!r}")
    return value


class Command(BaseCommand):
    help = (
        "Delete the events that happened before a moment, and every row pointing at them (actors, "
        "seen marks, inbox marks, deliveries), in short batches, each its own transaction."
    )

    def add_arguments(self, parser):
        when = parser.add_mutually_exclusive_group(required=True)
        when.add_argument("--before", type=moment, metavar="DATE", help="a date or an ISO 8601 date-time")
        when.add_argument("--older-than", type=number_argument(1), metavar="DAYS", help="days before now")
        parser.add_argument("--batch-size", type=number_argument(1), default=BATCH_SIZE, metavar="N")
        parser.add_argument("--dry-run", action="store_true", help="count the events, delete nothing")

    def handle(self, *args, before, older_than, batch_size, dry_run, **options):
        cutoff = self.cutoff(before, older_than)
        total = prunable(cutoff).count()
        if dry_run:
            self.stdout.write(
                _("Would delete %(count)d events that happened before %(cutoff)s.")
                % {"count": total, "cutoff": cutoff.isoformat()}
            )
            return
        bar = ProgressBar(self.stdout, "Deleting", total) if self.stdout.isatty() else None
        deleted = prune_events(cutoff, batch_size=batch_size, on_batch=bar.advance if bar else None)
        if bar:
            bar.finish()
        self.stdout.write(
            _("Deleted %(count)d events that happened before %(cutoff)s.")
            % {"count": deleted, "cutoff": cutoff.isoformat()}
        )

    @staticmethod
    def cutoff(before: datetime | None, older_than: int | None) -> datetime:
        """The moment before which events go, aware when ``USE_TZ`` is on, naive otherwise."""
        try:
            if older_than is not None:
                return timezone.now() - timedelta(days=older_than)
            if settings.USE_TZ and timezone.is_naive(before):
                return timezone.make_aware(before)
            if not settings.USE_TZ and timezone.is_aware(before):
                return timezone.make_naive(before)
        except OverflowError as error:
            raise CommandError(f"{before or older_than!r} is out of the range of dates ({error}).") from error
        return before
