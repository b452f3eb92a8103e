"""The Django settings entity_event reads, each read when it is needed (so tests may override it).

Every setting is documented in ``docs/settings.rst``; values are returned as given, and
:mod:`entity_event.checks` reports the bad ones.
"""

from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string


def default_rendering_style_name() -> str | None:
    """``DEFAULT_ENTITY_EVENT_RENDERING_STYLE``: the style to fall back on, or ``None`` for no fallback."""
    return getattr(settings, "DEFAULT_ENTITY_EVENT_RENDERING_STYLE", None) or None


def request_entity_path() -> str:
    """``ENTITY_EVENT_REQUEST_ENTITY``: the dotted path of the callable ``request -> Entity | None``."""
    return getattr(settings, "ENTITY_EVENT_REQUEST_ENTITY", None) or "entity_event.web.entity.entity_of_user"


def request_entity_resolver() -> Callable:
    """The callable that ``ENTITY_EVENT_REQUEST_ENTITY`` names, which the web views call."""
    return import_string(request_entity_path())


def base_url() -> str | None:
    """``ENTITY_EVENT_BASE_URL``: scheme and host of the links put in emails, or ``None`` if unset."""
    return getattr(settings, "ENTITY_EVENT_BASE_URL", None) or None


def links_base_url() -> str | None:
    """The scheme and host that email links start with: ``ENTITY_EVENT_BASE_URL``, else ``https://``
    and the current ``Site``'s domain, as Django's own emails sent outside a request use (with
    ``django.contrib.sites`` installed and ``SITE_ID`` set); ``None`` when neither is available."""
    if base_url() is not None or not _sites_give_domain():
        return base_url()
    from django.contrib.sites.models import Site

    return f"https://{Site.objects.get_current().domain}"


def links_base_url_known() -> bool:
    """Whether :func:`links_base_url` has an address to give, found without the database."""
    return base_url() is not None or _sites_give_domain()


def _sites_give_domain() -> bool:
    return apps.is_installed("django.contrib.sites") and getattr(settings, "SITE_ID", None) is not None


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
    """``ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS``: attempts at a delivery before it is failed for good
    (5 when unset)."""
    return _given("ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS", 5)


def delivery_lease_seconds() -> float:
    """``ENTITY_EVENT_DELIVERY_LEASE``: seconds a worker holds the deliveries it took before
    ``deliver_events`` may hand them to another (the worker may have died); 300 when unset."""
    return _given("ENTITY_EVENT_DELIVERY_LEASE", 300)


def digest_periods() -> dict[str, str]:
    """``ENTITY_EVENT_DIGESTS``: medium name -> ``"hourly"`` or ``"daily"`` for mediums sending digests."""
    return dict(getattr(settings, "ENTITY_EVENT_DIGESTS", None) or {})


def email_recipient() -> Callable:
    """``ENTITY_EVENT_EMAIL_RECIPIENT``: the callable ``entity -> address or None`` of the email channel."""
    default = "entity_event.delivery.channels.entity_meta_email"
    path = getattr(settings, "ENTITY_EVENT_EMAIL_RECIPIENT", None) or default
    return import_string(path)


def webhooks() -> dict[str, dict]:
    """``ENTITY_EVENT_WEBHOOKS``: medium name -> ``{"url": ..., "secret": ..., "timeout": ...}`` of
    the webhook channel."""
    return dict(getattr(settings, "ENTITY_EVENT_WEBHOOKS", None) or {})


#: Seconds a webhook's POST may take when its ``ENTITY_EVENT_WEBHOOKS`` entry names no ``timeout``.
DEFAULT_WEBHOOK_TIMEOUT = 10


def webhook_timeout(medium_name: str) -> float:
    """Seconds the POST of the medium's webhook may take: its ``timeout``, else the default."""
    config = webhooks().get(medium_name)
    return (
        config.get("timeout", DEFAULT_WEBHOOK_TIMEOUT)
        if isinstance(config, dict)
        else DEFAULT_WEBHOOK_TIMEOUT
    )


def _given(name: str, default):
    """The setting ``name`` as given (``0`` included, for the checks to refuse), else ``default``."""
    value = getattr(settings, name, None)
    return default if value is None else value


def read_replicas() -> list[str]:
    """``ENTITY_EVENT_READ_REPLICAS``: the aliases of ``DATABASES`` that
    :class:`~entity_event.replicas.ReplicaRouter` reads on (none: everything on ``default``)."""
    return getattr(settings, "ENTITY_EVENT_READ_REPLICAS", None) or []


def listen_database() -> str | None:
    """``ENTITY_EVENT_LISTEN_DATABASE``: where the live streams' listening connection goes, the
    alias of a database of ``DATABASES`` or a libpq DSN or URL; ``None`` (unset) for the database
    events are read from."""
    return getattr(settings, "ENTITY_EVENT_LISTEN_DATABASE", None)


def entity_language_path() -> str:
    """``ENTITY_EVENT_ENTITY_LANGUAGE``: the dotted path of the callable ``entity -> language code
    or None`` that says in which language an entity reads its messages."""
    default = "entity_event.languages.entity_meta_language"
    return getattr(settings, "ENTITY_EVENT_ENTITY_LANGUAGE", None) or default


def entity_timezone_path() -> str:
    """``ENTITY_EVENT_ENTITY_TIMEZONE``: the dotted path of the callable ``entity -> time zone name
    or None`` that says in which time zone an entity reads its messages."""
    default = "entity_event.languages.entity_meta_timezone"
    return getattr(settings, "ENTITY_EVENT_ENTITY_TIMEZONE", None) or default


def daily_digest_hour() -> int:
    """``ENTITY_EVENT_DAILY_DIGEST_HOUR``: the hour of the recipient's own day (0 to 23) at which
    daily digests go out; 0 (midnight) when unset."""
    return _given("ENTITY_EVENT_DAILY_DIGEST_HOUR", 0)
