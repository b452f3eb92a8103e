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


def base_url() -> str | None:
    """``ENTITY_EVENT_BASE_URL``: scheme and host of the links put in emails, or ``None`` if unset."""
    return getattr(settings, "ENTITY_EVENT_BASE_URL", None) or None


def base_template() -> str:
    """``ENTITY_EVENT_BASE_TEMPLATE``: the template that the pages of ``entity_event.urls`` extend."""
    return getattr(settings, "ENTITY_EVENT_BASE_TEMPLATE", None) or "entity_event/base.html"


def serializer_exclude() -> list[str]:
    """``ENTITY_EVENT_SERIALIZER_EXCLUDE``: field names (``"token"``) or ``"app_label.model.field"``
    left out of serialized contexts, on top of password fields."""
    return list(getattr(settings, "ENTITY_EVENT_SERIALIZER_EXCLUDE", None) or [])
