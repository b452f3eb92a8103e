"""Delivery's table: each event sent, or to send, to each entity (see :mod:`entity_event.delivery`)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from entity.models import Entity

from entity_event.models.core import Event, Medium


class Delivery(models.Model):
    """One event sent, or to be sent, to one entity through one medium, with the outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, verbose_name=_("event"))
    medium = models.ForeignKey(Medium, on_delete=models.CASCADE, verbose_name=_("medium"))
    entity = models.ForeignKey(Entity, related_name="+", on_delete=models.CASCADE, verbose_name=_("entity"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(default="", blank=True, verbose_name=_("last error"))
    time_created = models.DateTimeField(default=timezone.now, verbose_name=_("time created"))
    time_next_attempt = models.DateTimeField(default=timezone.now, verbose_name=_("time next attempt"))
    time_sent = models.DateTimeField(null=True, blank=True, verbose_name=_("time sent"))

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "medium", "entity"], name="delivery_event_medium_entity")
        ]
        # Workers look for the pending deliveries of a medium whose next attempt is due.
        indexes = [
            models.Index(
                fields=["medium", "time_next_attempt"],
                condition=models.Q(status="pending"),
                name="delivery_pending_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.entity} by {self.medium} ({self.status})"
