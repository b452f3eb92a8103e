from django.apps import AppConfig


class EntityEventTestsConfig(AppConfig):
    """Models that exist only for the test suite, such as a Medium subclass."""

    name = "entity_event.tests"
    label = "entity_event_tests"
    default_auto_field = "django.db.models.AutoField"
