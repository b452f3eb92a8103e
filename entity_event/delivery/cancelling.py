"""Cancelling at send time the deliveries that routing would no longer make.

A delivery is planned when its event is routed, and sent later: at once, after a retry's
backoff, or at the end of a digest's period. If meanwhile the entity unsubscribed from the
event's source, left the subscribed group or was made inactive, or the subscription went, the
delivery is cancelled instead of sent. The rules are those of :mod:`entity_event.routing`; the
claim reads them for a whole batch as subqueries of its one read of the deliveries
(:func:`annotate_routing`), and a medium overriding the follow rules costs one query more per
batch. See ``docs/delivery.rst``.
"""

from itertools import groupby

from django.db.models import Exists, OuterRef, Q, QuerySet
from entity.models import EntityRelationship

from entity_event.models import Delivery, EventActor, Medium, Subscription, Unsubscription
from entity_event.routing import uses_default_following


def annotate_routing(deliveries: QuerySet) -> QuerySet:
    """``deliveries`` with what routing decides from, per delivery, read in the same query:
    ``unsubscribed``, ``reached_by_all`` (a subscription to every event reaches the entity),
    ``reached_if_following`` (an only-following one does) and ``follows_an_actor`` (the entity or
    one of its super entities is an actor of the event: the default follow rules)."""
    return deliveries.annotate(
        unsubscribed=Exists(
            Unsubscription.objects.filter(
                medium_id=OuterRef("medium_id"),
                source_id=OuterRef("event__source_id"),
                entity_id=OuterRef("entity_id"),
            )
        ),
        reached_by_all=Exists(_subscriptions_reaching(only_following=False)),
        reached_if_following=Exists(_subscriptions_reaching(only_following=True)),
        follows_an_actor=Exists(
            EventActor.objects.filter(event_id=OuterRef("event_id")).filter(
                Q(entity_id=OuterRef("entity_id")) | Q(entity_id__in=_super_entities())
            )
        ),
    )


def _subscriptions_reaching(*, only_following: bool) -> QuerySet:
    """The subscriptions of the delivery's medium and source naming its entity itself or, when the
    entity is active, a group of it with its kind (:func:`entity_event.routing.subscriptions_reaching`)."""
    return Subscription.objects.filter(
        Q(entity_id=OuterRef("entity_id"), sub_entity_kind__isnull=True)
        | Q(
            sub_entity_kind_id=OuterRef("entity__entity_kind_id"), entity_id__in=_super_entities(active=True)
        ),
        medium_id=OuterRef("medium_id"),
        source_id=OuterRef("event__source_id"),
        only_following=only_following,
    )


def _super_entities(active: bool = False) -> QuerySet:
    """The ids of the super entities of the delivery's entity (two levels of subquery down);
    with ``active``, none when the entity is inactive."""
    relationships = EntityRelationship.objects.filter(sub_entity_id=OuterRef(OuterRef("entity_id")))
    if active:
        relationships = relationships.filter(sub_entity__is_active=True)
    return relationships.values("super_entity_id")


def cancellations(medium: Medium, deliveries: list[Delivery]) -> list[tuple[Delivery, str]]:
    """Those of ``deliveries`` (claimed with :func:`annotate_routing`) that ``medium`` no longer
    routes to their entity, each with the reason. No query with the default follow rules; one
    with overridden ones."""
    if uses_default_following(medium):
        following = {delivery.pk for delivery in deliveries if delivery.follows_an_actor}
    else:
        following = _following_by_overridden_rules(medium, deliveries)
    cancelled = []
    for delivery in deliveries:
        reason = _reason(delivery, delivery.pk in following)
        if reason is not None:
            cancelled.append((delivery, reason))
    return cancelled


def _reason(delivery: Delivery, follows: bool) -> str | None:
    """Why ``delivery`` is no longer routed, or ``None`` when it still is."""
    entity = f"entity {delivery.entity_id} ({delivery.entity})"
    if delivery.unsubscribed:
        return f"{entity} unsubscribed from the event's source on this medium"
    if delivery.reached_by_all or (delivery.reached_if_following and follows):
        return None
    if delivery.reached_if_following:
        return f"{entity} no longer follows an actor of the event"
    if not delivery.entity.is_active:
        return f"{entity} is inactive, and no subscription of its own reaches it"
    return f"no subscription on this medium reaches {entity} any more"


def _following_by_overridden_rules(medium: Medium, deliveries: list[Delivery]) -> set[int]:
    """The ids of those of ``deliveries`` reached only through an only-following subscription
    whose entity follows an actor of their event by ``medium.followed_by``: one query, whose SQL
    grows with the entities asked about."""
    asked = [d for d in deliveries if d.reached_if_following and not (d.reached_by_all or d.unsubscribed)]
    condition = Q(pk__in=[])  # nothing asked: Django runs no query for it
    for _entity, group in groupby(sorted(asked, key=_entity_id), key=_entity_id):
        group = list(group)
        actors = EventActor.objects.filter(entity__in=medium.followed_by(group[0].entity)).values("event_id")
        condition |= Q(id__in=[delivery.pk for delivery in group], event_id__in=actors)
    return set(Delivery.objects.filter(condition).values_list("id", flat=True))


def _entity_id(delivery: Delivery) -> int:
    return delivery.entity_id
