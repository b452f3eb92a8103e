from django.apps import AppConfig


class EntityEventConfig(AppConfig):
    name = "entity_event"
    label = "entity_event"
    verbose_name = "Django Entity Event"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        """Register the system checks of the settings (see :mod:`entity_event.checks`)."""
        from entity_event import checks  # noqa: F401
