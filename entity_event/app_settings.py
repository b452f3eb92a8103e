"""The Django settings entity_event reads, each read when it is needed (so tests may override it).

Every setting is documented in ``docs/settings.rst``.
"""

from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string


def default_rendering_style_name() -> str | None:
    """``DEFAULT_ENTITY_EVENT_RENDERING_STYLE``: the style to fall back on, or ``None`` for no fallback."""
    return getattr(settings, "DEFAULT_ENTITY_EVENT_RENDERING_STYLE", None) or None


def request_entity_resolver() -> Callable:
    """``ENTITY_EVENT_REQUEST_ENTITY``: the callable ``request -> Entity | None`` of the web views."""
    path = getattr(settings, "ENTITY_EVENT_REQUEST_ENTITY", None) or "entity_event.web.entity.entity_of_user"
    return import_string(path)


def serializer_exclude() -> list[str]:
    """``ENTITY_EVENT_SERIALIZER_EXCLUDE``: field names (``"token"``) or ``"app_label.model.field"``
    left out of serialized contexts, on top of password fields."""
    return list(getattr(settings, "ENTITY_EVENT_SERIALIZER_EXCLUDE", None) or [])
