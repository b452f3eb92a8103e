"""The core schema: sources, mediums, subscriptions, events, seen marks and renderers.

Capabilities keep their tables beside this module (:mod:`entity_event.models.inbox`,
:mod:`entity_event.models.delivery`) and this module knows nothing of them. Methods here stay
thin: who receives what lives in :mod:`entity_event.routing`, event creation
in :mod:`entity_event.creation`, rendering in :mod:`entity_event.rendering` (with
:mod:`entity_event.context_loader` and :mod:`entity_event.context_serializer`).
"""

from collections.abc import Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from entity.models import Entity, EntityKind

from entity_event import rendering, routing, validators
from entity_event.context_serializer import DefaultContextSerializer
from entity_event.creation_lock import lock_creation
from entity_event.deletion import EventsLockedOnDelete, EventsLockedOnDeleteQuerySet
from entity_event.querysets import EventManager, SubscriptionManager

#: The moment used for "never expires". Far enough to never pass, near enough that no time
#: zone conversion of it overflows (the old package used ``datetime.max`` and crashed).
NEVER_EXPIRES = datetime(9999, 1, 1)


def never_expires() -> datetime:
    """Default of ``Event.time_expires``: aware when ``USE_TZ`` is on, naive otherwise."""
    if settings.USE_TZ:
        return NEVER_EXPIRES.replace(tzinfo=UTC)
    return NEVER_EXPIRES


def _clean_json_field(instance: models.Model, name: str, validate) -> None:
    """Run ``validate`` on the field ``name``, its error attached to that field (in forms too)."""
    try:
        validate(getattr(instance, name))
    except ValidationError as error:
        raise ValidationError({name: error}) from error


class SourceGroup(EventsLockedOnDelete):
    """A family of sources, such as everything that happens on one site."""

    name = models.CharField(max_length=256, unique=True, verbose_name=_("name"))
    display_name = models.CharField(max_length=256, verbose_name=_("display name"))
    description = models.TextField(verbose_name=_("description"))

    objects = EventsLockedOnDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("source group")
        verbose_name_plural = _("source groups")

    @classmethod
    def events_deleted_with(cls, rows: models.QuerySet) -> models.QuerySet:
        return Event.objects.filter(source__group__in=rows)

    def __str__(self) -> str:
        return self.display_name or self.name


class Source(EventsLockedOnDelete):
    """Where an event comes from ("photo-tag", "new-product"); subscriptions name sources."""

    name = models.CharField(max_length=256, unique=True, verbose_name=_("name"))
    display_name = models.CharField(max_length=256, verbose_name=_("display name"))
    description = models.TextField(verbose_name=_("description"))
    group = models.ForeignKey(SourceGroup, on_delete=models.CASCADE, verbose_name=_("group"))
    #: A context key: this source's events with equal values under it are shown as one group
    #: (see docs/groups.rst); blank shows each event on its own.
    group_by = models.CharField(max_length=256, default="", blank=True, verbose_name=_("group by"))

    objects = EventsLockedOnDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    @classmethod
    def events_deleted_with(cls, rows: models.QuerySet) -> models.QuerySet:
        return Event.objects.filter(source__in=rows)

    def __str__(self) -> str:
        return self.display_name or self.name


class RenderingStyle(models.Model):
    """A way of showing events ("short", "email"); a medium picks one."""

    name = models.CharField(max_length=256, unique=True, verbose_name=_("name"))
    display_name = models.CharField(max_length=256, default="", blank=True, verbose_name=_("display name"))

    class Meta:
        verbose_name = _("rendering style")
        verbose_name_plural = _("rendering styles")

    def __str__(self) -> str:
        return f"{self.display_name} {self.name}" if self.display_name else self.name


class Medium(models.Model):
    """A channel events reach entities through (email, newsfeed); the entry point for routing."""

    name = models.CharField(max_length=256, unique=True, verbose_name=_("name"))
    display_name = models.CharField(max_length=256, verbose_name=_("display name"))
    description = models.TextField(verbose_name=_("description"))
    time_created = models.DateTimeField(auto_now_add=True, verbose_name=_("time created"))
    # Deleting a style leaves its mediums (and their subscriptions) in place, on the default style.
    rendering_style = models.ForeignKey(
        RenderingStyle, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("rendering style")
    )
    additional_context = models.JSONField(
        null=True, blank=True, default=None, encoder=DjangoJSONEncoder, verbose_name=_("additional context")
    )

    class Meta:
        verbose_name = _("medium")
        verbose_name_plural = _("media")

    def __str__(self) -> str:
        return self.display_name or self.name

    def clean(self) -> None:
        """Refuse an additional context that is not a JSON object, naming the value."""
        _clean_json_field(self, "additional_context", validators.validate_additional_context)

    # Routing: who receives what on this medium.

    def events(self, **event_filters) -> "models.QuerySet[Event]":
        """Every event that some subscription on this medium routes here, newest first."""
        return routing.medium_events(self, **event_filters)

    def entity_events(self, entity: Entity, **event_filters) -> "models.QuerySet[Event]":
        """The events ``entity`` receives on this medium, newest first."""
        return routing.entity_events(self, entity, **event_filters)

    def events_targets(self, entity_kind: EntityKind | None = None, **event_filters) -> list:
        """A list of ``(event, [entity, ...])``: each event with the entities it reaches."""
        return routing.events_targets(self, entity_kind=entity_kind, **event_filters)

    def iter_events_targets(
        self,
        entity_kind: EntityKind | None = None,
        chunk_size: int | None = routing.DEFAULT_CHUNK_SIZE,
        **event_filters,
    ) -> Iterator[tuple]:
        """The pairs of :meth:`events_targets`, in the same order, read ``chunk_size`` events at a time.

        Memory stays bounded by one chunk. With ``mark_seen=True`` a chunk is marked seen before it
        is handed out, and the marks of pairs not taken are removed if the caller stops early
        (see :func:`entity_event.routing.iter_events_targets`).
        """
        return routing.iter_events_targets(
            self, entity_kind=entity_kind, chunk_size=chunk_size, **event_filters
        )

    def followed_by(self, entities) -> "models.QuerySet[Entity]":
        """The entities that ``entities`` follow: by default themselves and their super entities."""
        return routing.default_followed_by(entities)

    def followers_of(self, entities) -> "models.QuerySet[Entity]":
        """The entities that follow ``entities``: by default themselves and their sub entities."""
        return routing.default_followers_of(entities)

    # Rendering.

    def render(self, events) -> dict:
        """``{event: (text, html)}``: ``events`` rendered in this medium's style.

        Contexts and renderers are loaded for all the events together, in a constant number of
        queries. Raises :class:`~entity_event.exceptions.NoRendererError` (a ``RuntimeError``) if
        no renderer applies to one of the events.
        """
        return rendering.render_events(self, events)

    # Kept for projects written against django-entity-event 3.x.

    def get_filtered_events_queryset(
        self, start_time, end_time, seen, include_expired, actor, queryset=None
    ) -> "models.QuerySet[Event]":
        """An event queryset with the common filters applied (no subscription logic)."""
        return routing.filter_events(
            self,
            Event.objects.all() if queryset is None else queryset,
            start_time=start_time,
            end_time=end_time,
            seen=seen,
            include_expired=include_expired,
            actor=actor,
        )

    def get_filtered_events(
        self, start_time=None, end_time=None, seen=None, mark_seen=False, include_expired=False, actor=None
    ) -> "models.QuerySet[Event]":
        """All events passing the common filters, marked seen here if asked (no subscription logic)."""
        return routing.hand_out(
            self,
            Event.objects.all(),
            start_time=start_time,
            end_time=end_time,
            seen=seen,
            mark_seen=mark_seen,
            include_expired=include_expired,
            actor=actor,
        )

    def subset_subscriptions(self, subscriptions, entity: Entity | None = None):
        """Narrow ``subscriptions`` to those that reach ``entity`` (all of them without one)."""
        return routing.subscriptions_reaching(subscriptions, entity)

    @property
    def unsubscriptions(self) -> dict[int, list[int]]:
        """Source id -> ids of the entities unsubscribed from it on this medium (a ``defaultdict``:
        ``[]`` for a source without unsubscriptions, as in 3.x)."""
        return routing.unsubscribed_entity_ids(self)

    def filter_source_targets_by_unsubscription(self, source_id: int, targets):
        """``targets`` without the entities unsubscribed from ``source_id`` on this medium."""
        unsubscribed = set(self.unsubscriptions.get(source_id, ()))
        return [target for target in targets if target.id not in unsubscribed]


class Subscription(models.Model):
    """An entity, or a kind of sub entities of it, receiving a source's events on a medium."""

    medium = models.ForeignKey(Medium, on_delete=models.CASCADE, verbose_name=_("medium"))
    source = models.ForeignKey(Source, on_delete=models.CASCADE, verbose_name=_("source"))
    entity = models.ForeignKey(Entity, related_name="+", on_delete=models.CASCADE, verbose_name=_("entity"))
    sub_entity_kind = models.ForeignKey(
        EntityKind,
        null=True,
        blank=True,
        default=None,
        related_name="+",
        on_delete=models.CASCADE,
        verbose_name=_("sub-entity kind"),
    )
    only_following = models.BooleanField(default=True, verbose_name=_("only following"))

    objects = SubscriptionManager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.entity} to {self.source} by {self.medium}"

    def subscribed_entities(self) -> "models.QuerySet[Entity]":
        """The entity itself, or for a group subscription its active sub entities of the kind."""
        return routing.subscribed_entities(self)


class Unsubscription(models.Model):
    """One entity opting out of a source's events on a medium, whatever its groups subscribe."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, verbose_name=_("entity"))
    medium = models.ForeignKey(Medium, on_delete=models.CASCADE, verbose_name=_("medium"))
    source = models.ForeignKey(Source, on_delete=models.CASCADE, verbose_name=_("source"))

    class Meta:
        verbose_name = _("unsubscription")
        verbose_name_plural = _("unsubscriptions")
        # Routing looks unsubscriptions up by medium and source, then entity: the targets of a
        # medium leave out (source, entity) pairs, a feed checks one (medium, source, entity).
        indexes = [models.Index(fields=["medium", "source", "entity"], name="unsub_medium_source_entity")]

    def __str__(self) -> str:
        return f"{self.entity} from {self.source} by {self.medium}"


class Event(EventsLockedOnDelete):
    """Something that happened: a source, the entities involved (actors) and a JSON context."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, verbose_name=_("source"))
    context = models.JSONField(encoder=DjangoJSONEncoder, verbose_name=_("context"))
    time = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("time"))
    time_expires = models.DateTimeField(default=never_expires, db_index=True, verbose_name=_("expiry time"))
    uuid = models.CharField(max_length=512, unique=True, verbose_name=_("UUID"))

    objects = EventManager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")

    @classmethod
    def events_deleted_with(cls, rows: models.QuerySet) -> models.QuerySet:
        return rows

    def save(self, *args, using: str | None = None, **kwargs) -> None:
        """Store the event; a new one is inserted under the creation lock, as ``create_events``
        does, so that no reader counts its id as settled before it commits (see
        :mod:`entity_event.creation_lock`). ``Event.objects.create()`` comes here too."""
        if not self._state.adding:
            return super().save(*args, using=using, **kwargs)
        using = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            lock_creation(using)
            return super().save(*args, using=using, **kwargs)

    def __str__(self) -> str:
        if self.time is None:
            return f"{self.source} event"
        return f"{self.source} event at {self.time:%Y-%m-%d::%H:%M:%S}"

    def render(self, medium: Medium, observing_entity: Entity | None = None) -> tuple[str, str]:
        """``(text, html)`` of this event on ``medium``.

        Contexts and renderers must have been loaded for ``medium`` first (see
        :meth:`EventQuerySet.load_contexts_and_renderers
        <entity_event.querysets.EventQuerySet.load_contexts_and_renderers>`), otherwise
        :class:`~entity_event.exceptions.ContextNotLoadedError` is raised; both it and
        :class:`~entity_event.exceptions.NoRendererError` are ``RuntimeError``.
        ``observing_entity``, if given, is available to the templates under that name.
        """
        return rendering.render_event(self, medium, observing_entity)

    def get_serialized_context(self, medium: Medium):
        """The context this event renders with on ``medium``, as data ``json.dumps`` accepts.

        Hinted primary keys appear as dicts of the fetched rows and the medium's
        ``additional_context`` is merged in. Loading must have happened first, as for
        :meth:`render`.
        """
        return rendering.serialized_context(self, medium)


class AdminEvent(Event):
    """The same events, with an admin form that creates announcements."""

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        proxy = True


class EventActor(models.Model):
    """An entity involved in an event; only-following subscriptions look at actors."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, verbose_name=_("event"))
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, verbose_name=_("entity"))

    class Meta:
        verbose_name = _("event actor")
        verbose_name_plural = _("event actors")

    def __str__(self) -> str:
        return f"Event {self.event_id} - {self.entity}"


class EventSeen(models.Model):
    """Records that an event was seen (shown, mailed) on a medium."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, verbose_name=_("event"))
    medium = models.ForeignKey(Medium, on_delete=models.CASCADE, verbose_name=_("medium"))
    time_seen = models.DateTimeField(default=timezone.now, verbose_name=_("time seen"))

    class Meta:
        verbose_name = _("event seen")
        verbose_name_plural = _("events seen")
        unique_together = ("event", "medium")

    def __str__(self) -> str:
        return f"Seen on {self.medium} at {self.time_seen:%Y-%m-%d::%H:%M:%S}"


class SeenWatermark(models.Model):
    """Every event up to ``seen_through`` is marked seen on ``medium``, or is a :class:`SeenGap`.

    Kept by the marking functions and database triggers (see entity_event.seen_watermark), so
    that ``seen=False`` reads only the events above it and the gaps.
    """

    medium = models.OneToOneField(Medium, primary_key=True, on_delete=models.CASCADE, related_name="+")
    seen_through = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.medium} seen through event {self.seen_through}"


class SeenGap(models.Model):
    """An event at or below its medium's :class:`SeenWatermark` that has no seen mark there.

    Its keys carry no constraint: the triggers that add gaps for deleted marks and remove those
    of deleted events and mediums keep them right, whatever the order of a delete's statements.
    """

    medium = models.ForeignKey(
        Medium, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    event = models.ForeignKey(Event, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["medium", "event"], name="entity_event_seen_gap")]

    def __str__(self) -> str:
        return f"Event {self.event_id} unseen on medium {self.medium_id}"


def _unseen_event_ids(medium: Medium) -> "models.QuerySet":
    """Ids of the events not marked seen on ``medium`` (a private helper of 3.x; old code imports it)."""
    return Event.objects.exclude(eventseen__medium=medium).values_list("id", flat=True)


class ContextRenderer(models.Model):
    """Templates that render a source's (or source group's) events in one rendering style."""

    name = models.CharField(max_length=256, unique=True, verbose_name=_("name"))
    text_template_path = models.CharField(
        max_length=256, default="", blank=True, verbose_name=_("text template path")
    )
    html_template_path = models.CharField(
        max_length=256, default="", blank=True, verbose_name=_("html template path")
    )
    text_template = models.TextField(default="", blank=True, verbose_name=_("text template"))
    html_template = models.TextField(default="", blank=True, verbose_name=_("html template"))
    # A group of events (docs/groups.rst) renders with these; without them, its newest event's
    # rendering preceded by its actors' names.
    group_text_template_path = models.CharField(
        max_length=256, default="", blank=True, verbose_name=_("group text template path")
    )
    group_html_template_path = models.CharField(
        max_length=256, default="", blank=True, verbose_name=_("group html template path")
    )
    group_text_template = models.TextField(default="", blank=True, verbose_name=_("group text template"))
    group_html_template = models.TextField(default="", blank=True, verbose_name=_("group html template"))
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("source")
    )
    source_group = models.ForeignKey(
        SourceGroup, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("source group")
    )
    rendering_style = models.ForeignKey(
        RenderingStyle, on_delete=models.CASCADE, verbose_name=_("rendering style")
    )
    context_hints = models.JSONField(
        null=True, blank=True, default=None, encoder=DjangoJSONEncoder, verbose_name=_("context hints")
    )

    class Meta:
        verbose_name = _("context renderer")
        verbose_name_plural = _("context renderers")
        unique_together = ("source", "rendering_style")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse context hints that are malformed or name no installed model, naming the value."""
        _clean_json_field(self, "context_hints", validators.validate_context_hints)

    def get_sources(self) -> list[Source]:
        """The sources this renderer renders: its source, or every source of its source group."""
        if self.source_id is not None:
            return [self.source]
        if self.source_group_id is not None:
            return list(Source.objects.filter(group_id=self.source_group_id).order_by("id"))
        return []

    def render_text_or_html_template(self, context: dict, is_text: bool = True) -> str:
        """Render the text template (or the HTML one): a template path wins over an inline
        template, and neither gives ``''``. Only the HTML rendering escapes values."""
        return rendering.render_template(self, context, is_text=is_text)

    def render_context_to_text_html_templates(self, context: dict) -> tuple[str, str]:
        """``(text, html)`` renderings of ``context``, surrounding whitespace stripped."""
        return (
            self.render_text_or_html_template(context, is_text=True).strip(),
            self.render_text_or_html_template(context, is_text=False).strip(),
        )

    def get_serialized_context(self, context: dict):
        """``context`` as data ``json.dumps`` accepts (see :mod:`entity_event.context_serializer`);
        a hint's ``"fields"`` list chooses the fields of the instances under its key."""
        return DefaultContextSerializer(context, context_hints=self.context_hints).data
