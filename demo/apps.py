from django.apps import AppConfig
from django.db import connection


class DemoConfig(AppConfig):
    """The demo site: a small company whose users and groups are django-entity entities."""

    name = "demo"
    verbose_name = "entity_event demo"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from demo import entities, signins  # entities registers users and groups with django-entity

        signins.connect_sign_in_events()

        if connection.vendor == "postgresql":
            entities.connect_group_membership_syncing()
        else:
            # django-entity's syncing writes with PostgreSQL-only SQL; elsewhere users and groups
            # are still saved, they just get no entity.
            from entity.signal_handlers import turn_off_syncing

            turn_off_syncing()
