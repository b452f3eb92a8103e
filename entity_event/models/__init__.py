"""The app's models: the core schema, and the tables of the inbox and of delivery.

Every name that ``entity_event.models`` offered before it became a package is still here, so
``from entity_event.models import Event`` (and 3.x's imports) keep working; ``__all__`` lists
the names code written against 3.x imports. See ``docs/architecture.rst`` for what each module
may import.
"""

from entity.models import Entity

from entity_event.context_serializer import DefaultContextSerializer
from entity_event.models.core import (
    NEVER_EXPIRES,
    AdminEvent,
    ContextRenderer,
    Event,
    EventActor,
    EventSeen,
    Medium,
    RenderingStyle,
    SeenGap,
    SeenWatermark,
    Source,
    SourceGroup,
    Subscription,
    Unsubscription,
    _unseen_event_ids,
    never_expires,
)
from entity_event.models.delivery import Delivery
from entity_event.models.inbox import InboxMark, InboxWatermark
from entity_event.querysets import EventManager, EventQuerySet, SubscriptionManager, SubscriptionQuerySet

#: The names that code written against 3.x imports from this module, then the capabilities' tables.
__all__ = [
    "AdminEvent",
    "ContextRenderer",
    "DefaultContextSerializer",
    "Entity",
    "Event",
    "EventActor",
    "EventManager",
    "EventQuerySet",
    "EventSeen",
    "Medium",
    "NEVER_EXPIRES",
    "RenderingStyle",
    "Source",
    "SourceGroup",
    "Subscription",
    "SubscriptionManager",
    "SubscriptionQuerySet",
    "Unsubscription",
    "never_expires",
    "_unseen_event_ids",
    "Delivery",
    "InboxMark",
    "InboxWatermark",
    "SeenGap",
    "SeenWatermark",
]
