"""The inbox's tables: each entity's own read state on a medium (see :mod:`entity_event.inbox`)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from entity.models import Entity

from entity_event.models.core import Event, Medium


class InboxWatermark(models.Model):
    """One entity's "everything seen" on a medium: the events up to ``seen_up_to`` (an event id).

    Marking everything seen moves this one row, whatever the number of events; the
    :class:`InboxMark` rows record the exceptions on either side of it.
    """

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+", verbose_name=_("entity"))
    medium = models.ForeignKey(Medium, on_delete=models.CASCADE, verbose_name=_("medium"))
    seen_up_to = models.BigIntegerField(default=0, verbose_name=_("seen up to event"))
    time_marked = models.DateTimeField(null=True, blank=True, default=None, verbose_name=_("time marked"))

    class Meta:
        verbose_name = _("inbox watermark")
        verbose_name_plural = _("inbox watermarks")
        constraints = [
            models.UniqueConstraint(fields=["entity", "medium"], name="inbox_watermark_entity_medium")
        ]

    def __str__(self) -> str:
        return f"{self.entity} has seen events up to #{self.seen_up_to} on {self.medium}"


class InboxMark(models.Model):
    """One entity's mark on one event of a medium, overriding the watermark for that event.

    ``seen=True`` above the watermark (marked seen on its own), ``seen=False`` below it (marked
    unseen again after everything was marked seen).
    """

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+", verbose_name=_("entity"))
    medium = models.ForeignKey(Medium, on_delete=models.CASCADE, verbose_name=_("medium"))
    event = models.ForeignKey(Event, on_delete=models.CASCADE, verbose_name=_("event"))
    seen = models.BooleanField(verbose_name=_("seen"))
    time_marked = models.DateTimeField(default=timezone.now, verbose_name=_("time marked"))

    class Meta:
        verbose_name = _("inbox mark")
        verbose_name_plural = _("inbox marks")
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "medium", "event"], name="inbox_mark_entity_medium_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} marked {'seen' if self.seen else 'unseen'} by {self.entity} on {self.medium}"
