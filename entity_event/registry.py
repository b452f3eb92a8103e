"""The app's model classes, looked up in Django's app registry when used.

``models.py`` imports the modules that do the work (routing, creation, ...); those modules take
the model classes from here instead of importing ``entity_event.models``, so that no import
cycle exists.
"""

from django.apps import apps


class _AppModels:
    """``models.Event`` and the like, resolved through ``apps.get_model`` at each use."""

    def __getattr__(self, name: str):
        try:
            return apps.get_model("entity_event", name)
        except LookupError as error:
            raise AttributeError(f"entity_event has no model {name!r}.") from error


models = _AppModels()
