from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntityEventConfig(AppConfig):
    name = "entity_event"
    label = "entity_event"
    verbose_name = _("Django Entity Event")
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        """Register the system checks (:mod:`entity_event.checks`), and let the capabilities give
        Medium their entry points (Medium.inbox, Medium.deliver, Medium.explain,
        Medium.entity_event_groups): the core never
        imports a capability (see docs/architecture.rst)."""
        from entity_event import (
            checks,  # noqa: F401
            explain,
            groups,
            inbox,
        )
        from entity_event.delivery import planning

        inbox.install()
        planning.install()
        explain.install()
        groups.install()
