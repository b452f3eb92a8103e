"""The Django admin of entity_event: where staff manage sources, mediums and subscriptions.

Subscriptions and unsubscriptions pick their entity through autocomplete, because a project can
have many thousands of entities. Django's autocomplete needs a registered admin with search fields
for the target model, and django-entity registers none, so this module registers small read-only
admins for ``Entity`` and ``EntityKind`` unless the project registered its own first.
"""

import json
import uuid

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from entity.models import Entity, EntityKind

from entity_event import app_settings
from entity_event.explain import reach_counts, reached_entities, recipients
from entity_event.models import (
    NEVER_EXPIRES,
    AdminEvent,
    ContextRenderer,
    Event,
    EventActor,
    EventSeen,
    Medium,
    RenderingStyle,
    Source,
    SourceGroup,
    Subscription,
    Unsubscription,
)

#: Characters of an event's context shown in the event list.
SUMMARY_LENGTH = 80
#: Characters of a delivery's error shown in the delivery list.
ERROR_LENGTH = 60
#: The uuids of announcements made in the admin start with this.
ANNOUNCEMENT_UUID_PREFIX = "announcement-"
#: Entities per page of the list of whom a subscription reaches.
REACH_PAGE_SIZE = 50
#: Recipients an event's page shows per medium (the first by name; the page gives their number).
RECIPIENTS_SHOWN = 50
#: The query parameter naming the page of a subscription's reach.
REACH_PAGE_PARAMETER = "reach_page"


def summary(context) -> str:
    """A short line of ``context``: its ``text`` if it has one, else its compact JSON, cut short."""
    text = context.get("text") if isinstance(context, dict) else None
    if not isinstance(text, str):
        text = json.dumps(context, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    return Truncator(text).chars(SUMMARY_LENGTH)


def moment(value) -> str:
    """A date and time to the minute, in the current time zone: ``2026-12-03 06:57``."""
    return f"{timezone.localtime(value) if timezone.is_aware(value) else value:%Y-%m-%d %H:%M}"


def event_label(event: Event) -> str:
    """An event as the admin names it: its source and time (``str(event)`` stays as 3.x wrote it)."""
    return f"{event.source}, {moment(event.time)}"


def style_label(style: RenderingStyle) -> str:
    """A rendering style as the admin names it: its display name alone, else its name."""
    return style.display_name or style.name


class EventColumn:
    """An "event" column for lists of rows of an event, named by :func:`event_label`."""

    @admin.display(description=_("event"), ordering="event__time")
    def event_label(self, row) -> str:
        return event_label(row.event)


class StyleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, style: RenderingStyle) -> str:
        return style_label(style)


class StyleFilter(admin.RelatedFieldListFilter):
    """Filters by rendering style, each named by :func:`style_label`."""

    def field_choices(self, field, request: HttpRequest, model_admin) -> list[tuple[int, str]]:
        return [(style.pk, style_label(style)) for style in RenderingStyle.objects.order_by("name")]


class StyleColumn:
    """A "rendering style" column, its choices and its filter, each named by :func:`style_label`."""

    @admin.display(description=_("rendering style"), ordering="rendering_style__name")
    def style(self, row) -> str:
        return "" if row.rendering_style is None else style_label(row.rendering_style)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "rendering_style":
            kwargs["form_class"] = StyleChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class EventTitle:
    """Names the event of a change page by :func:`event_label`."""

    def render_change_form(self, request: HttpRequest, context: dict, *args, obj=None, **kwargs):
        if obj is not None:
            context["subtitle"] = event_label(obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


class ExpiryColumn:
    """An "expires" column for event lists: "never" rather than the far-away default date."""

    @admin.display(description=_("expires"), ordering="time_expires")
    def expires(self, event: Event):
        return _("never") if event.time_expires.year >= NEVER_EXPIRES.year else event.time_expires


def pretty_json(value) -> str:
    """``value`` as indented JSON in a ``<pre>`` block, for read-only display."""
    text = json.dumps(value, cls=DjangoJSONEncoder, indent=2, sort_keys=True, ensure_ascii=False)
    return format_html('<pre style="margin: 0; white-space: pre-wrap">{}</pre>', text)


# Entities come from django-entity, which mirrors them from the project's models: view only.


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists and shows rows that something else maintains; nothing can be added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class EntityAdmin(ReadOnlyAdmin):
    list_display = ("display_name", "entity_kind", "is_active")
    list_filter = ("entity_kind", "is_active")
    list_select_related = ("entity_kind",)
    search_fields = ("display_name",)
    ordering = ("display_name", "id")

    def get_queryset(self, request: HttpRequest):
        """Every entity, inactive ones too: they can still hold subscriptions."""
        return Entity.all_objects.select_related("entity_kind").order_by(*self.get_ordering(request))


class EntityKindAdmin(ReadOnlyAdmin):
    list_display = ("display_name", "name", "is_active")
    search_fields = ("name", "display_name")
    ordering = ("name",)

    def get_queryset(self, request: HttpRequest):
        return EntityKind.all_objects.order_by(*self.get_ordering(request))


def register_entity_admins(site: admin.AdminSite) -> None:
    """Register the entity admins on ``site``, keeping any the project registered before."""
    for model, model_admin in ((Entity, EntityAdmin), (EntityKind, EntityKindAdmin)):
        if not site.is_registered(model):
            site.register(model, model_admin)


register_entity_admins(admin.site)


# Sources, mediums and rendering.


@admin.register(SourceGroup)
class SourceGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "display_name")
    search_fields = ("name", "display_name", "description")


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "display_name", "group")
    list_filter = ("group",)
    list_select_related = ("group",)
    search_fields = ("name", "display_name", "description")


@admin.register(RenderingStyle)
class RenderingStyleAdmin(admin.ModelAdmin):
    list_display = ("name", "display_name")
    search_fields = ("name", "display_name")


@admin.register(Medium)
class MediumAdmin(StyleColumn, admin.ModelAdmin):
    list_display = ("name", "display_name", "style", "time_created")
    list_filter = (("rendering_style", StyleFilter),)
    list_select_related = ("rendering_style",)
    search_fields = ("name", "display_name", "description")


@admin.register(ContextRenderer)
class ContextRendererAdmin(StyleColumn, admin.ModelAdmin):
    list_display = ("name", "source", "source_group", "style")
    list_filter = (("rendering_style", StyleFilter), "source_group", "source")
    list_select_related = ("source", "source_group", "rendering_style")
    search_fields = ("name", "text_template_path", "html_template_path")
    fieldsets = (
        (None, {"fields": ("name", "rendering_style", "source", "source_group")}),
        (_("Template files"), {"fields": ("text_template_path", "html_template_path")}),
        (_("Inline templates"), {"fields": ("text_template", "html_template")}),
        (
            _("Group templates"),
            {
                "fields": (
                    "group_text_template_path",
                    "group_html_template_path",
                    "group_text_template",
                    "group_html_template",
                )
            },
        ),
        (_("Context"), {"fields": ("context_hints",)}),
    )


# Who receives what.


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("medium", "source", "entity", "sub_entity_kind", "only_following")
    list_filter = ("medium", "source", "only_following")
    list_select_related = ("medium", "source", "entity", "sub_entity_kind")
    search_fields = ("entity__display_name", "source__name", "source__display_name", "medium__name")
    autocomplete_fields = ("entity", "sub_entity_kind")

    def render_change_form(self, request: HttpRequest, context: dict, *args, obj=None, **kwargs):
        """A stored subscription's page previews whom it reaches now (see :func:`reach_preview`)."""
        if obj is not None:
            context["reach"] = reach_preview(obj, request.GET.get(REACH_PAGE_PARAMETER))
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


def reach_preview(subscription: Subscription, page_number: str | None) -> dict:
    """How many entities ``subscription`` reaches now, how many of them unsubscribed, and one page
    of them by name (``page_number`` as the query gave it: a bad one shows the first or the last
    page). Three queries whatever the size of the group: the counts, the page's count and rows."""
    entities = reached_entities(subscription).select_related("entity_kind").order_by("display_name", "id")
    return {
        **reach_counts(subscription),
        "page": Paginator(entities, REACH_PAGE_SIZE).get_page(page_number),
        "parameter": REACH_PAGE_PARAMETER,
    }


@admin.register(Unsubscription)
class UnsubscriptionAdmin(admin.ModelAdmin):
    list_display = ("medium", "source", "entity")
    list_filter = ("medium", "source")
    list_select_related = ("medium", "source", "entity")
    search_fields = ("entity__display_name", "source__name", "source__display_name", "medium__name")
    autocomplete_fields = ("entity",)


# Events.


class EventActorInline(admin.TabularInline):
    model = EventActor
    autocomplete_fields = ("entity",)
    extra = 0


class EventSeenInline(admin.TabularInline):
    model = EventSeen
    extra = 0


@admin.register(Event)
class EventAdmin(EventTitle, ExpiryColumn, admin.ModelAdmin):
    """Stored events. New ones come from code, or from the announcement form."""

    list_display = ("time", "source", "summary", "actor_count", "expires", "uuid")
    list_filter = ("source__group", "source", "time")
    list_select_related = ("source",)
    date_hierarchy = "time"
    ordering = ("-time", "-id")
    search_fields = ("uuid", "source__name", "source__display_name", "context")
    fields = ("source", "formatted_context", "time", "time_expires", "uuid")
    readonly_fields = ("formatted_context", "time", "uuid")
    inlines = (EventActorInline, EventSeenInline)

    #: Columns added to the recipients of an event's page, each an object with a ``header`` and
    #: ``values(medium, event, entities) -> {entity id: text}`` (one query for the entities shown).
    #: Delivery adds the status of each delivery (:mod:`entity_event.delivery.admin`).
    recipient_columns: list = []

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(actor_count=Count("eventactor"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def render_change_form(self, request: HttpRequest, context: dict, *args, obj=None, **kwargs):
        """An event's page shows whom it reaches on each medium (see :func:`recipients_preview`);
        events are never added here, so the page always has one."""
        context["recipient_columns"] = [column.header for column in self.recipient_columns]
        context["recipients"] = recipients_preview(obj, self.recipient_columns)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.display(description=_("actors"), ordering="actor_count")
    def actor_count(self, event: Event) -> int:
        return event.actor_count

    @admin.display(description=_("context"))
    def formatted_context(self, event: Event) -> str:
        return pretty_json(event.context)

    @admin.display(description=_("summary"))
    def summary(self, event: Event) -> str:
        return summary(event.context)


def recipients_preview(event: Event, columns=()) -> list[dict]:
    """Per medium subscribed to the event's source, by name: the number of entities ``event``
    reaches there and the first :data:`RECIPIENTS_SHOWN` of them by name, each with the values of
    ``columns``. One query for the subscriptions, then per medium two (the number, the entities
    shown) and one per column, whatever the number of recipients."""
    by_medium = {}
    for subscription in Subscription.objects.filter(source_id=event.source_id).select_related("medium"):
        by_medium.setdefault(subscription.medium_id, (subscription.medium, []))[1].append(subscription)
    previews = []
    for medium, subscriptions in sorted(by_medium.values(), key=lambda pair: (str(pair[0]), pair[0].pk)):
        reached = recipients(medium, event, subscriptions)
        shown = list(reached.select_related("entity_kind").order_by("display_name", "id")[:RECIPIENTS_SHOWN])
        values = [column.values(medium, event, shown) for column in columns]
        previews.append(
            {
                "medium": medium,
                "count": reached.count(),
                "rows": [(entity, [column.get(entity.pk, "") for column in values]) for entity in shown],
            }
        )
    return previews


@admin.register(EventActor)
class EventActorAdmin(EventColumn, admin.ModelAdmin):
    """Who took part in which event; the event list counts them."""

    list_display = ("event_label", "entity")
    list_select_related = ("event__source", "entity")
    search_fields = ("entity__display_name", "event__uuid", "event__source__name")
    autocomplete_fields = ("entity",)
    raw_id_fields = ("event",)


@admin.register(EventSeen)
class EventSeenAdmin(EventColumn, admin.ModelAdmin):
    list_display = ("event_label", "medium", "time_seen")
    list_filter = ("medium", "time_seen")
    list_select_related = ("event__source", "medium")
    raw_id_fields = ("event",)
    date_hierarchy = "time_seen"


class AdminEventForm(forms.ModelForm):
    """Creates an announcement: an event of ``source`` whose context is ``{"text": text}``.

    Saving goes through ``Event.objects.create_event``, so the uuid and time are set the same way
    as for events created in code. ``save(commit=False)`` stores nothing.
    """

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))
    expires = forms.SplitDateTimeField(
        required=False,
        widget=AdminSplitDateTime,
        label=_("Expires at"),
        help_text=_("Optional. After this moment the announcement is no longer shown."),
    )

    class Meta:
        model = AdminEvent
        fields = ("source",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = app_settings.announcement_sources()
        if names is not None:
            self.fields["source"].queryset = Source.objects.filter(name__in=names)

    def clean_expires(self):
        expires = self.cleaned_data["expires"]
        if expires is not None and expires <= timezone.now():
            raise forms.ValidationError(_("The expiry must lie in the future."))
        return expires

    def save(self, commit: bool = True) -> AdminEvent:
        if not commit:
            return super().save(commit=False)
        fields = {
            "source": self.cleaned_data["source"],
            "context": {"text": self.cleaned_data["text"]},
            "uuid": f"{ANNOUNCEMENT_UUID_PREFIX}{uuid.uuid4()}",
        }
        if self.cleaned_data["expires"] is not None:
            fields["time_expires"] = self.cleaned_data["expires"]
        event = Event.objects.create_event(**fields)
        for field in Event._meta.concrete_fields:
            setattr(self.instance, field.attname, getattr(event, field.attname))
        self.instance._state.adding = False
        self.instance._state.db = event._state.db
        return self.instance

    def save_m2m(self) -> None:
        """Does nothing: an announcement has no many-to-many fields. Kept because 3.x had it."""


@admin.register(AdminEvent)
class AdminEventAdmin(EventTitle, ExpiryColumn, admin.ModelAdmin):
    """ "Create announcement": a short text sent out through a source; shown read-only afterwards."""

    form = AdminEventForm
    list_display = ("time", "source", "text", "expires")
    list_filter = ("source",)
    list_select_related = ("source",)
    ordering = ("-time", "-id")
    search_fields = ("source__name", "source__display_name")

    def get_queryset(self, request: HttpRequest):
        """The announcements made here, not every event."""
        return super().get_queryset(request).filter(uuid__startswith=ANNOUNCEMENT_UUID_PREFIX)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ("source", "text", "expires")
        return ("source", "formatted_context", "time", "time_expires", "uuid")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        """The announcement form to add; a plain, read-only form to look at a stored event."""
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: AdminEvent, form: AdminEventForm, change: bool) -> None:
        form.save()

    @admin.display(description=_("text"))
    def text(self, event: AdminEvent) -> str:
        """The announcement's text; a context that is not an object (stored by other code) as its JSON."""
        if isinstance(event.context, dict):
            return event.context.get("text", "")
        return json.dumps(event.context, cls=DjangoJSONEncoder, ensure_ascii=False)

    @admin.display(description=_("context"))
    def formatted_context(self, event: AdminEvent) -> str:
        return pretty_json(event.context)


# Delivery registers its own admin, with its retry action, beside its code.
from entity_event.delivery import admin as delivery_admin  # noqa: E402, F401
