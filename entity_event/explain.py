"""Why an entity receives an event on a medium ("Why did I get this?"), or why it does not.

:meth:`Medium.explain(event, entity) <entity_event.models.Medium.explain>` applies the rules of
:mod:`entity_event.routing` to one event and one entity, and keeps the rows that decided: the
subscriptions reaching the entity (by themselves, or through a group it belongs to), for
only-following ones the actor it follows, and the unsubscriptions that stop them. Its
``receives`` is always what ``medium.entity_events(entity, include_expired=True)`` says of the
event (the seen and expiry filters aside), because it asks the same questions: the reaching
subscriptions through :func:`~entity_event.routing.subscriptions_reaching` and the followed
actors through ``medium.followed_by(entity)``, so a medium's own follow rules explain its own
routing.

The previews the admin shows are here too, by the same rules: whom a subscription reaches now
(:func:`reached_entities`, :func:`reach_counts`) and whom an event reaches on a medium
(:func:`recipients`).

Explanation is a capability on top of the core: :func:`install` gives ``Medium`` its
``explain(event, entity)`` method when the app is ready, so the core never imports this module.
"""

from dataclasses import dataclass

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext, gettext_noop
from entity.models import Entity, EntityRelationship

from entity_event.models import Event, EventActor, Medium, Subscription, Unsubscription
from entity_event.routing import subscribed_entities, subscriptions_reaching


def install() -> None:
    """Give every medium ``medium.explain(event, entity)``, this module's entry point."""
    Medium.explain = explain


@dataclass(frozen=True)
class Reach:
    """How one subscription reaches ``entity`` for the event.

    ``membership`` is the relationship making ``entity`` a member of the subscribed group
    (``subscription.entity``), ``None`` for a subscription of the entity itself. For an
    only-following subscription, ``actor`` is the actor of the event that ``entity`` follows
    (``entity`` itself when it is one), and ``follow_relationship`` the relationship between
    them (``None`` when the actor is ``entity``, or when the medium's own follow rules link them
    otherwise); both are ``None`` for a subscription to every event.
    """

    subscription: Subscription
    entity: Entity
    membership: EntityRelationship | None = None
    actor: Entity | None = None
    follow_relationship: EntityRelationship | None = None

    @property
    def actor_is(self) -> str | None:
        """What the followed actor is to ``entity``: ``"self"``, ``"super_entity"`` (a group it
        belongs to), ``"sub_entity"`` (one of its members), ``None`` when there is no actor or
        nothing relates them (a medium's own follow rules)."""
        if self.actor is None:
            return None
        if self.follow_relationship is not None:
            return (
                "super_entity" if self.follow_relationship.super_entity_id == self.actor.pk else "sub_entity"
            )
        return "self" if self.actor.pk == self.entity.pk else None


@dataclass(frozen=True)
class Explanation:
    """Whether an entity receives an event on a medium, and the rows that decide it.

    ``subscriptions`` holds the :class:`Reach` of every subscription that reaches the entity for
    this event, by subscription id; ``unsubscriptions`` the entity's unsubscriptions from the
    event's source on the medium, which stop them all; ``reasons`` says the same in sentences
    addressed to the entity ("You are subscribed to..."), in the active language.
    """

    receives: bool
    subscriptions: tuple[Reach, ...]
    unsubscriptions: tuple[Unsubscription, ...]
    reasons: tuple[str, ...]


def explain(medium: Medium, event: Event, entity: Entity) -> Explanation:
    """Why ``entity`` receives ``event`` on ``medium``, or why not: ``medium.explain(event, entity)``.

    Four queries at most, whatever the number of subscriptions, members and actors: the
    subscriptions reaching the entity, the followed actor (only when an only-following one
    reaches it), the entity's relationships with the groups and that actor, and the
    unsubscriptions; one more for the event's source when no subscription reaches the entity
    and the source is not loaded yet.
    """
    if not isinstance(entity, Entity):
        raise TypeError(f"An explanation needs an Entity, not {entity!r}.")
    if not isinstance(event, Event):
        raise TypeError(f"An explanation needs an Event, not {event!r}.")
    candidates = subscriptions_reaching(
        Subscription.objects.filter(medium=medium, source_id=event.source_id), entity
    )
    subscriptions = list(
        candidates.select_related("source", "medium", "entity", "sub_entity_kind").order_by("id")
    )
    following = any(subscription.only_following for subscription in subscriptions)
    actor = _followed_actor(medium, event, entity) if following else None
    reaches = _reaches(subscriptions, entity, actor)
    unsubscriptions = tuple(
        Unsubscription.objects.filter(entity=entity, medium=medium, source_id=event.source_id).order_by("id")
    )
    return Explanation(
        receives=bool(reaches) and not unsubscriptions,
        subscriptions=reaches,
        unsubscriptions=unsubscriptions,
        reasons=_reasons(medium, event, reaches, unsubscriptions),
    )


def _followed_actor(medium: Medium, event: Event, entity: Entity) -> Entity | None:
    """An actor of ``event`` that ``entity`` follows by ``medium``'s rules (the question
    ``entity_events`` asks): ``entity`` itself when it is one, else the one of lowest id;
    ``None`` when it follows none."""
    itself_first = Case(
        When(entity_id=entity.pk, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    followed = EventActor.objects.filter(event=event, entity__in=medium.followed_by(entity))
    first = followed.select_related("entity").order_by(itself_first, "entity_id").first()
    return None if first is None else first.entity


def _reaches(subscriptions: list[Subscription], entity: Entity, actor: Entity | None) -> tuple[Reach, ...]:
    """The :class:`Reach` of each of ``subscriptions`` that reaches ``entity``: an only-following
    one needs a followed ``actor``."""
    reaching = [
        subscription for subscription in subscriptions if actor is not None or not subscription.only_following
    ]
    groups = {subscription.entity_id for subscription in reaching if subscription.sub_entity_kind_id}
    related = _relationships(entity, groups, actor if actor != entity else None)
    return tuple(
        Reach(
            subscription=subscription,
            entity=entity,
            membership=related.get(subscription.entity_id) if subscription.sub_entity_kind_id else None,
            actor=actor if subscription.only_following else None,
            follow_relationship=related.get(actor.pk) if subscription.only_following else None,
        )
        for subscription in reaching
    )


def _relationships(
    entity: Entity, group_ids: set[int], actor: Entity | None
) -> dict[int, EntityRelationship]:
    """Entity id -> its relationship with ``entity``, for each of the groups (``entity`` is their
    member) and for ``actor`` (either way; ``entity`` a member of it wins). One query, none
    without groups or actor."""
    if not group_ids and actor is None:
        return {}
    related = Q(sub_entity=entity, super_entity_id__in=group_ids)
    if actor is not None:
        related |= Q(sub_entity=entity, super_entity=actor) | Q(sub_entity=actor, super_entity=entity)
    relationships = {}
    for relationship in EntityRelationship.objects.filter(related):
        if relationship.sub_entity_id == entity.pk:
            relationships[relationship.super_entity_id] = relationship
        else:
            relationships.setdefault(relationship.sub_entity_id, relationship)
    return relationships


# Reasons.


def _reasons(
    medium: Medium, event: Event, reaches: tuple[Reach, ...], unsubscriptions: tuple
) -> tuple[str, ...]:
    """The sentences of an explanation, addressed to the entity, one or two per reach."""
    if not reaches:
        names = {"source": event.source, "medium": medium}
        return (gettext("No subscription on %(medium)s sends you this event of %(source)s.") % names,)
    reasons = []
    for reach in reaches:
        reasons.append(_subscription_reason(reach))
        if reach.actor is not None:
            reasons.append(_follow_reason(reach))
    if unsubscriptions:
        names = {"source": reaches[0].subscription.source, "medium": medium}
        reasons.append(
            gettext("You unsubscribed from %(source)s on %(medium)s: you receive none of it here.") % names
        )
    return tuple(reasons)


def _subscription_reason(reach: Reach) -> str:
    subscription = reach.subscription
    names = {"source": subscription.source, "medium": subscription.medium}
    if subscription.sub_entity_kind_id is None:
        return gettext("You are subscribed to %(source)s on %(medium)s.") % names
    names.update(group=subscription.entity.display_name, kind=subscription.sub_entity_kind.display_name)
    return (
        gettext(
            "You are subscribed to %(source)s on %(medium)s as a member of %(group)s, which subscribes"
            " its members of kind %(kind)s."
        )
        % names
    )


#: Why an only-following subscription sends the event, by its reach's ``actor_is`` (marked for
#: translation here, translated when used).
_FOLLOW_REASONS = {
    "self": gettext_noop(
        "This subscription sends only the events of those you follow, and you are an actor of this one."
    ),
    "super_entity": gettext_noop(
        "This subscription sends only the events of those you follow: you follow %(actor)s, an actor "
        "of this one, as its member."
    ),
    "sub_entity": gettext_noop(
        "This subscription sends only the events of those you follow: you follow %(actor)s, an actor "
        "of this one and one of your members."
    ),
    None: gettext_noop(
        "This subscription sends only the events of those you follow: you follow %(actor)s, an actor "
        "of this one."
    ),
}


def _follow_reason(reach: Reach) -> str:
    return gettext(_FOLLOW_REASONS[reach.actor_is]) % {"actor": reach.actor.display_name}


# Previews: whom a subscription reaches, and whom an event reaches on a medium.


def reached_entities(subscription: Subscription) -> QuerySet:
    """The entities ``subscription`` names now (its entity, or its group's active members of the
    kind), each annotated ``unsubscribed``: whether it unsubscribed from the subscription's source
    on its medium. An only-following subscription sends each of them only the events of those
    it follows."""
    return subscribed_entities(subscription).annotate(unsubscribed=_unsubscribed(subscription))


def reach_counts(subscription: Subscription) -> dict[str, int]:
    """``{"reached": n, "unsubscribed": m}`` of :func:`reached_entities`: one query, whatever the
    size of the group."""
    return subscribed_entities(subscription).aggregate(
        reached=Count("pk"), unsubscribed=Count("pk", filter=Q(_unsubscribed(subscription)))
    )


def _unsubscribed(subscription: Subscription) -> Exists:
    """Whether the entity of the row unsubscribed from ``subscription``'s source on its medium."""
    return Exists(
        Unsubscription.objects.filter(
            entity=OuterRef("pk"), medium_id=subscription.medium_id, source_id=subscription.source_id
        )
    )


def recipients(medium: Medium, event: Event, subscriptions=None) -> QuerySet:
    """The entities ``event`` reaches on ``medium``: those ``medium.events_targets()`` hands out
    with it (expiry and seen marks aside), by the medium's own follow rules.

    ``subscriptions``, the medium's subscriptions to the event's source, are read (one query)
    unless given. The queryset is one query however many entities it holds; its SQL grows with
    the number of subscriptions, one condition each.
    """
    if subscriptions is None:
        subscriptions = Subscription.objects.filter(medium=medium, source_id=event.source_id)
    reached = Q(pk__in=[])
    followers = None
    for subscription in subscriptions:
        named = Q(pk__in=subscribed_entities(subscription).values("pk"))
        if subscription.only_following:
            if followers is None:
                actors = Entity.all_objects.filter(
                    pk__in=EventActor.objects.filter(event=event).values("entity")
                )
                followers = medium.followers_of(actors).values("pk")
            named &= Q(pk__in=followers)
        reached |= named
    unsubscribed = Unsubscription.objects.filter(medium=medium, source_id=event.source_id).values("entity")
    return Entity.all_objects.filter(reached).exclude(pk__in=unsubscribed)
