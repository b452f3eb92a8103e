"""The admin of deliveries: what was sent to whom, what failed and why, and a retry action.

It lives with delivery, whose tasks the retry action enqueues; :mod:`entity_event.admin` imports
it so that Django's admin autodiscovery registers it. It also adds each recipient's delivery
status to an event's page (:class:`DeliveryStatusColumn`), so that the core admin knows nothing
of deliveries.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from entity_event.admin import ERROR_LENGTH, EventAdmin, EventColumn, moment
from entity_event.delivery import tasks
from entity_event.models import Delivery


def delivery_state(delivery: Delivery) -> str:
    """The status with its attempts, and when it was sent or, if pending, is tried next."""
    if delivery.status == Delivery.Status.SENT:
        return _("sent %(time)s") % {"time": moment(delivery.time_sent)}
    status = delivery.get_status_display().lower()
    if delivery.attempts:
        attempts = ngettext("%(count)d attempt", "%(count)d attempts", delivery.attempts)
        status = _("%(status)s after %(attempts)s") % {
            "status": status,
            "attempts": attempts % {"count": delivery.attempts},
        }
    if delivery.status == Delivery.Status.PENDING:
        return _("%(status)s, next %(time)s") % {"status": status, "time": moment(delivery.time_next_attempt)}
    return status


@admin.register(Delivery)
class DeliveryAdmin(EventColumn, admin.ModelAdmin):
    """What was sent to whom, what failed and why; failed deliveries can be retried."""

    list_display = ("event_label", "medium", "entity", "state", "error")
    list_filter = ("status", "medium")
    list_select_related = ("event__source", "medium", "entity")
    ordering = ("-id",)
    search_fields = ("entity__display_name", "last_error")
    fields = readonly_fields = [
        "event_label" if field.name == "event" else field.name for field in Delivery._meta.fields
    ]
    actions = ("retry",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("error"))
    def error(self, delivery: Delivery) -> str:
        """The first line of the last error, cut short (the delivery's page shows it all)."""
        return Truncator(delivery.last_error.partition("\n")[0]).chars(ERROR_LENGTH)

    @admin.display(description=_("status"), ordering="status")
    def state(self, delivery: Delivery) -> str:
        return delivery_state(delivery)

    @admin.action(description=_("Retry the selected deliveries now"))
    def retry(self, request: HttpRequest, queryset) -> None:
        """Make the selected deliveries that were not sent pending and due, with fresh attempts."""
        ids = list(queryset.exclude(status=Delivery.Status.SENT).values_list("id", flat=True))
        Delivery.objects.filter(id__in=ids).update(
            status=Delivery.Status.PENDING, attempts=0, time_next_attempt=timezone.now()
        )
        tasks.enqueue_pending(Delivery.objects.filter(id__in=ids))
        count = len(ids)
        message = ngettext(
            "%(count)d delivery will be tried again.", "%(count)d deliveries will be tried again.", count
        )
        self.message_user(request, message % {"count": count})


class DeliveryStatusColumn:
    """The "delivery" column of an event's recipients: each one's delivery status on the medium,
    as the delivery list words it, or "none planned"; one query for the entities shown."""

    header = _("delivery")

    def values(self, medium, event, entities) -> dict[int, str]:
        deliveries = Delivery.objects.filter(event=event, medium=medium, entity__in=entities)
        statuses = {delivery.entity_id: delivery_state(delivery) for delivery in deliveries}
        return {entity.pk: statuses.get(entity.pk, _("none planned")) for entity in entities}


EventAdmin.recipient_columns = [*EventAdmin.recipient_columns, DeliveryStatusColumn()]
