"""What an entity receives, pair by pair, and switching a pair off or back on for it.

A pair is a (medium, source). An entity receives a pair when a subscription on that medium and
source reaches it: its own, or one of a group it belongs to, only-following or not (the rules of
:mod:`entity_event.routing`). Switching a pair off stores an
:class:`~entity_event.models.Unsubscription`; switching it on deletes it.
"""

from dataclasses import dataclass
from itertools import groupby

from django.db import router, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_noop
from entity.models import Entity

from entity_event.databases import on_primary, reading, reads_on_primary
from entity_event.exceptions import Message
from entity_event.models import Medium, Source, SourceGroup, Subscription, Unsubscription
from entity_event.routing import subscriptions_reaching


class NotSubscribedError(ValueError):
    """The entity receives no such pair, so it has nothing to switch there."""


@dataclass(frozen=True)
class Preference:
    """One pair an entity is subscribed to, and whether it still receives it (no unsubscription)."""

    medium: Medium
    source: Source
    receiving: bool


def preferences(entity: Entity) -> list[Preference]:
    """Every pair ``entity`` is subscribed to, by source group, source and medium. One query."""
    unsubscribed = Unsubscription.objects.filter(
        entity=entity, medium_id=OuterRef("medium_id"), source_id=OuterRef("source_id")
    )
    subscriptions = (
        reading(subscriptions_reaching(Subscription.objects.all(), entity))
        .select_related("medium", "source__group")
        .annotate(unsubscribed=Exists(unsubscribed))
        .order_by(
            "source__group__display_name",
            "source__group_id",
            "source__display_name",
            "source_id",
            "medium__display_name",
            "medium_id",
        )
    )
    pairs = {}
    for subscription in subscriptions:
        pair = (subscription.medium_id, subscription.source_id)
        if pair not in pairs:
            pairs[pair] = Preference(subscription.medium, subscription.source, not subscription.unsubscribed)
    return list(pairs.values())


def by_source_group(entity_preferences: list[Preference]) -> list[tuple[SourceGroup, list[Preference]]]:
    """``[(source group, its preferences), ...]`` of a list ordered as :func:`preferences` returns it."""
    return [
        (group, list(group_preferences))
        for group, group_preferences in groupby(
            entity_preferences, key=lambda preference: preference.source.group
        )
    ]


def is_subscribed(entity: Entity, medium_id: int, source_id: int) -> bool:
    """Whether a subscription on the medium and source reaches ``entity``."""
    subscriptions = Subscription.objects.filter(medium_id=medium_id, source_id=source_id)
    return reading(subscriptions_reaching(subscriptions, entity)).exists()


def set_receiving(entity: Entity, medium_id: int, source_id: int, receiving: bool) -> None:
    """Switch a pair of ``entity`` on or off; switching it to the state it has changes nothing.

    Raises :class:`NotSubscribedError`, and changes nothing, when no subscription on the pair
    reaches ``entity``: an entity switches only what it receives. What decides it is read on
    the primary, which a replica may lag behind.
    """
    with reads_on_primary():
        subscribed = is_subscribed(entity, medium_id, source_id)
    if not subscribed:
        raise NotSubscribedError(
            Message(
                gettext_noop(
                    "entity %(entity)d is not subscribed to source id %(source)d on medium id %(medium)d"
                ),
                entity=entity.pk,
                source=source_id,
                medium=medium_id,
            )
        )
    if receiving:
        resubscribe(entity, medium_id, source_id)
    else:
        unsubscribe(entity, medium_id, source_id)


def unsubscribe(entity: Entity, medium_id: int, source_id: int) -> bool:
    """Store that ``entity`` no longer receives the pair; ``False`` if it was already stored.

    The entity's row is locked first (on databases that lock rows), so concurrent requests for
    one entity store a single unsubscription.
    """
    with transaction.atomic(using=router.db_for_write(Unsubscription)):
        Entity.all_objects.select_for_update().filter(pk=entity.pk).exists()
        unsubscriptions = Unsubscription.objects.filter(
            entity=entity, medium_id=medium_id, source_id=source_id
        )
        if on_primary(unsubscriptions).exists():
            return False
        Unsubscription.objects.create(entity=entity, medium_id=medium_id, source_id=source_id)
        return True


def resubscribe(entity: Entity, medium_id: int, source_id: int) -> bool:
    """Delete the unsubscription of ``entity`` from the pair; ``False`` if there was none."""
    deleted, _by_model = Unsubscription.objects.filter(
        entity=entity, medium_id=medium_id, source_id=source_id
    ).delete()
    return deleted > 0
