from django.apps import AppConfig


class EntityEventConfig(AppConfig):
    name = "entity_event"
    label = "entity_event"
    verbose_name = "Django Entity Event"
    default_auto_field = "django.db.models.AutoField"
