"""entity_event: events, mediums and entity subscriptions for Django.

The models can be imported from the package itself (``from entity_event import Event``). They
are looked up on first use, so importing the package never needs a ready app registry.
"""

from entity_event.version import __version__

_MODELS = (
    "AdminEvent",
    "ContextRenderer",
    "Delivery",
    "Event",
    "EventActor",
    "EventSeen",
    "Medium",
    "RenderingStyle",
    "Source",
    "SourceGroup",
    "Subscription",
    "Unsubscription",
)

__all__ = ["__version__", *_MODELS]


def __getattr__(name: str):
    if name in _MODELS:
        from entity_event import models

        return getattr(models, name)
    raise AttributeError(f"module 'entity_event' has no attribute {name!r}")
