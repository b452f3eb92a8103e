"""entity_event: events, mediums and entity subscriptions for Django.

The models can be imported from the package itself (``from entity_event import Event``). They
are looked up on first use, so importing the package never needs a ready app registry; so are
``unsubscribe_token`` (see :mod:`entity_event.unsubscribe`), ``export_entity`` and
``forget_entity`` (see :mod:`entity_event.personal_data`).
"""

from entity_event.version import __version__

_MODELS = (
    "AdminEvent",
    "ContextRenderer",
    "Delivery",
    "Event",
    "EventActor",
    "EventSeen",
    "InboxMark",
    "InboxWatermark",
    "Medium",
    "RenderingStyle",
    "Source",
    "SourceGroup",
    "Subscription",
    "Unsubscription",
)

#: Functions of optional modules, imported on first use too: name -> module.
_FUNCTIONS = {
    "export_entity": "entity_event.personal_data",
    "forget_entity": "entity_event.personal_data",
    "unsubscribe_token": "entity_event.unsubscribe",
}

__all__ = ["__version__", *_MODELS, *_FUNCTIONS]


def __getattr__(name: str):
    if name in _MODELS:
        from entity_event import models

        return getattr(models, name)
    if name in _FUNCTIONS:
        from importlib import import_module

        return getattr(import_module(_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'entity_event' has no attribute {name!r}")
