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


def announcement_sources() -> list[str] | None:
    """``ENTITY_EVENT_ANNOUNCEMENT_SOURCES``: names of the sources announcements may be posted
    to, or ``None`` (unset) for every source."""
    names = getattr(settings, "ENTITY_EVENT_ANNOUNCEMENT_SOURCES", None)
    return None if names is None else list(names)


def serializer_exclude() -> list[str]:
    """``ENTITY_EVENT_SERIALIZER_EXCLUDE``: field names (``"token"``) or ``"app_label.model.field"``
    left out of serialized contexts, on top of password fields."""
    return list(getattr(settings, "ENTITY_EVENT_SERIALIZER_EXCLUDE", None) or [])


def channels() -> dict[str, str]:
    """``ENTITY_EVENT_CHANNELS``: medium name -> dotted path of the channel class delivering it."""
    return dict(getattr(settings, "ENTITY_EVENT_CHANNELS", None) or {})


def delivery_max_attempts() -> int:
    """``ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS``: attempts at a delivery before it is failed for good."""
    return getattr(settings, "ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS", None) or 5


def delivery_lease_seconds() -> float:
    """``ENTITY_EVENT_DELIVERY_LEASE``: seconds a worker holds the deliveries it took before
    ``deliver_events`` may hand them to another (the worker may have died)."""
    return getattr(settings, "ENTITY_EVENT_DELIVERY_LEASE", None) or 300


def digest_periods() -> dict[str, str]:
    """``ENTITY_EVENT_DIGESTS``: medium name -> ``"hourly"`` or ``"daily"`` for mediums sending digests."""
    return dict(getattr(settings, "ENTITY_EVENT_DIGESTS", None) or {})


def email_recipient() -> Callable:
    """``ENTITY_EVENT_EMAIL_RECIPIENT``: the callable ``entity -> address or None`` of the email channel."""
    default = "entity_event.channels.entity_meta_email"
    path = getattr(settings, "ENTITY_EVENT_EMAIL_RECIPIENT", None) or default
    return import_string(path)


def webhooks() -> dict[str, dict]:
    """``ENTITY_EVENT_WEBHOOKS``: medium name -> ``{"url": ..., "secret": ...}`` of the webhook channel."""
    return dict(getattr(settings, "ENTITY_EVENT_WEBHOOKS", None) or {})
