"""System checks of entity_event's settings: ``manage.py check`` reports each mistake with an id.

The settings are read through :mod:`entity_event.app_settings`. The ids are listed in
``docs/settings.rst``; :func:`check_mediums_exist` needs the database, so it runs only with
``manage.py check --database`` (as Django's own database checks do).
"""

from collections.abc import Iterable
from numbers import Real
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, router
from django.utils.module_loading import import_string

from entity_event import app_settings
from entity_event.delivery.channels import Channel, EmailChannel, WebhookChannel, webhook_timeout
from entity_event.delivery.digests import PERIODS
from entity_event.models import Medium

TAG = "entity_event"


def _error(number: int, message: str, hint: str) -> Error:
    return Error(message, hint=hint, id=f"entity_event.E{number:03d}")


def _positive(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and value > 0


@register(TAG)
def check_channels(app_configs: Iterable | None = None, **kwargs) -> list[CheckMessage]:
    """E001: a path of ``ENTITY_EVENT_CHANNELS`` that does not import; E002: one that is no channel."""
    errors = []
    for name, path in app_settings.channels().items():
        try:
            channel = import_string(path)
        except ImportError as error:
            errors.append(
                _error(
                    1,
                    f"ENTITY_EVENT_CHANNELS['{name}'] is {path!r}, which does not import: {error}",
                    "Give the dotted path of a channel class, such as "
                    "'entity_event.delivery.channels.EmailChannel'.",
                )
            )
            continue
        if not (isinstance(channel, type) and issubclass(channel, Channel)):
            errors.append(
                _error(
                    2,
                    f"ENTITY_EVENT_CHANNELS['{name}'] is {path!r}, which is not a channel class.",
                    "Name a subclass of entity_event.delivery.channels.Channel.",
                )
            )
    return errors


@register(TAG)
def check_digests(app_configs: Iterable | None = None, **kwargs) -> list[CheckMessage]:
    """E003: a digest period other than hourly or daily; E004: a digest medium without a channel."""
    errors = []
    channels = app_settings.channels()
    for name, period in app_settings.digest_periods().items():
        if period not in PERIODS:
            errors.append(
                _error(
                    3,
                    f"ENTITY_EVENT_DIGESTS['{name}'] is {period!r}, which is no digest period.",
                    f"A digest period is one of {', '.join(map(repr, PERIODS))}.",
                )
            )
        if name not in channels:
            errors.append(
                _error(
                    4,
                    f"ENTITY_EVENT_DIGESTS names the medium '{name}', which no channel delivers.",
                    f"Name its channel class in ENTITY_EVENT_CHANNELS['{name}'], or remove the digest.",
                )
            )
    return errors


@register(TAG)
def check_webhooks(app_configs: Iterable | None = None, **kwargs) -> list[CheckMessage]:
    """E005: a webhook without an http(s) URL with a host; E006: one without a secret; E007: a
    timeout that is not a positive number of seconds shorter than ``ENTITY_EVENT_DELIVERY_LEASE``."""
    errors = []
    webhooks = app_settings.webhooks()
    for name in sorted({*webhooks, *_mediums_of_channel(WebhookChannel)}):
        config = webhooks.get(name)
        config = config if isinstance(config, dict) else {}
        url = config.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            errors.append(
                _error(
                    5,
                    f"ENTITY_EVENT_WEBHOOKS['{name}'] has the URL {url!r}, which is not an http(s) address "
                    "with a host.",
                    "Set its 'url' to the address to POST to, such as 'https://hooks.example.com/events'.",
                )
            )
        if not str(config.get("secret") or ""):
            errors.append(
                _error(
                    6,
                    f"ENTITY_EVENT_WEBHOOKS['{name}'] has no secret to sign its requests with.",
                    "Set its 'secret' to a long random string that the receiver knows too.",
                )
            )
        try:
            webhook_timeout(name)
        except ImproperlyConfigured as error:
            hint = (
                "A worker's lease must outlast its requests, or another worker sends the same "
                "deliveries again: lower the timeout or raise the lease."
            )
            errors.append(_error(7, str(error), hint))
    return errors


@register(TAG)
def check_request_entity(app_configs: Iterable | None = None, **kwargs) -> list[CheckMessage]:
    """E008: an ``ENTITY_EVENT_REQUEST_ENTITY`` that does not import or is not callable."""
    path = app_settings.request_entity_path()
    try:
        resolver = import_string(path)
    except ImportError as error:
        problem = f"which does not import: {error}"
    else:
        if callable(resolver):
            return []
        problem = "which is not callable"
    return [
        _error(
            8,
            f"ENTITY_EVENT_REQUEST_ENTITY is {path!r}, {problem}",
            "Give the dotted path of a callable taking a request and returning an Entity or None.",
        )
    ]


@register(TAG)
def check_delivery_limits(app_configs: Iterable | None = None, **kwargs) -> list[CheckMessage]:
    """E009: attempts that are not a positive whole number; E010: a lease that is not a positive
    number of seconds."""
    errors = []
    attempts = app_settings.delivery_max_attempts()
    if not (_positive(attempts) and isinstance(attempts, int)):
        errors.append(
            _error(
                9,
                f"ENTITY_EVENT_DELIVERY_MAX_ATTEMPTS is {attempts!r}, which is not a positive whole number.",
                "Set it to how many times a delivery is tried before it fails, such as 5 (the default).",
            )
        )
    lease = app_settings.delivery_lease_seconds()
    if not _positive(lease):
        errors.append(
            _error(
                10,
                f"ENTITY_EVENT_DELIVERY_LEASE is {lease!r}, which is not a positive number of seconds.",
                "Set it well above the time a batch takes to send, such as 300 (the default).",
            )
        )
    return errors


@register(TAG)
def check_email_links(app_configs: Iterable | None = None, **kwargs) -> list[CheckMessage]:
    """E011: an email channel whose links have no site address to start with."""
    mediums = _mediums_of_channel(EmailChannel)
    if not mediums or app_settings.links_base_url_known():
        return []
    return [
        _error(
            11,
            f"The email channel of {', '.join(map(repr, mediums))} puts links in every message, and "
            "neither ENTITY_EVENT_BASE_URL nor django.contrib.sites (with SITE_ID) gives their address.",
            "Set ENTITY_EVENT_BASE_URL, such as 'https://www.example.com', or install django.contrib.sites "
            "and set SITE_ID: links then use https:// and the current site's domain.",
        )
    ]


@register(TAG)
def check_read_replicas(app_configs: Iterable | None = None, **kwargs) -> list[CheckMessage]:
    """E020: ``ENTITY_EVENT_READ_REPLICAS`` is not a list of aliases of ``DATABASES`` other than
    ``default`` (the primary, which the router writes on)."""
    replicas = app_settings.read_replicas()
    aliases = set(settings.DATABASES) - {DEFAULT_DB_ALIAS}
    if isinstance(replicas, list | tuple) and all(alias in aliases for alias in replicas):
        return []
    return [
        _error(
            20,
            f"ENTITY_EVENT_READ_REPLICAS must list aliases of DATABASES other than 'default', "
            f"not {replicas!r}.",
            f"Name the replicas among {sorted(aliases)!r}, such as ['replica'], or leave the setting unset "
            "to read everything on 'default'.",
        )
    ]


@register(TAG, Tags.database)
def check_mediums_exist(app_configs: Iterable | None = None, databases=None, **kwargs) -> list[CheckMessage]:
    """W001 (``--database`` only): a medium named in the settings that the database does not hold.

    A warning, not an error: a fresh database holds no medium until the project creates them."""
    database = router.db_for_read(Medium)
    if database not in (databases or ()):
        return []
    named = {*app_settings.channels(), *app_settings.digest_periods(), *app_settings.webhooks()}
    try:
        found = Medium.objects.using(database).filter(name__in=named).values_list("name", flat=True)
        missing = named - set(found)
    except DatabaseError:  # not migrated yet: migrate runs the checks before it creates the tables
        return []
    return [
        Warning(
            f"The settings name the medium '{name}', which the database does not hold: "
            "deliver_events stops on it.",
            hint="Create the medium (in the admin, or a data migration), or correct its name in "
            "ENTITY_EVENT_CHANNELS, ENTITY_EVENT_DIGESTS and ENTITY_EVENT_WEBHOOKS.",
            id="entity_event.W001",
        )
        for name in sorted(missing)
    ]


def _mediums_of_channel(base: type[Channel]) -> list[str]:
    """The mediums whose channel is ``base`` or a subclass of it (channels that do not import are E001)."""
    mediums = []
    for name, path in sorted(app_settings.channels().items()):
        try:
            channel = import_string(path)
        except ImportError:
            continue
        if isinstance(channel, type) and issubclass(channel, base):
            mediums.append(name)
    return mediums


@register(TAG)
def check_listen_database(app_configs: Iterable | None = None, **kwargs) -> list[CheckMessage]:
    """E040: an ``ENTITY_EVENT_LISTEN_DATABASE`` that is neither text nor unset; E041: an alias
    that ``DATABASES`` does not hold; E042: an alias of a database other than PostgreSQL."""
    value = app_settings.listen_database()
    if value is None:
        return []
    hint = (
        "Name a PostgreSQL database of DATABASES, or give a libpq DSN or URL of the server itself "
        "(not of a transaction-pooling PgBouncer), such as 'postgresql://app@db.internal/app'."
    )
    if not isinstance(value, str) or not value.strip():
        return [_error(40, f"ENTITY_EVENT_LISTEN_DATABASE is {value!r}, which is no database.", hint)]
    if "=" in value or "://" in value:
        return []
    if value not in settings.DATABASES:
        message = (
            f"ENTITY_EVENT_LISTEN_DATABASE is {value!r}, which is neither a DSN nor a database of DATABASES."
        )
        return [_error(41, message, hint)]
    engine = settings.DATABASES[value].get("ENGINE", "")
    if "postgresql" not in engine:
        message = f"ENTITY_EVENT_LISTEN_DATABASE names {value!r}, whose engine {engine!r} is not PostgreSQL."
        return [_error(42, message, hint)]
    return []


@register(TAG)
def check_languages(app_configs: Iterable | None = None, **kwargs) -> list[CheckMessage]:
    """E030/E031: an ``ENTITY_EVENT_ENTITY_LANGUAGE`` that does not import / is not callable;
    E032/E033: the same of ``ENTITY_EVENT_ENTITY_TIMEZONE``; E034: a daily digest hour that is
    not a whole number from 0 to 23."""
    errors = []
    paths = [
        (30, "ENTITY_EVENT_ENTITY_LANGUAGE", app_settings.entity_language_path(), "a language code"),
        (32, "ENTITY_EVENT_ENTITY_TIMEZONE", app_settings.entity_timezone_path(), "a time zone name"),
    ]
    for number, name, path, returned in paths:
        hint = f"Give the dotted path of a callable taking an entity and returning {returned} or None."
        try:
            found = import_string(path)
        except ImportError as error:
            errors.append(_error(number, f"{name} is {path!r}, which does not import: {error}", hint))
            continue
        if not callable(found):
            errors.append(_error(number + 1, f"{name} is {path!r}, which is not callable.", hint))
    hour = app_settings.daily_digest_hour()
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        errors.append(
            _error(
                34,
                f"ENTITY_EVENT_DAILY_DIGEST_HOUR is {hour!r}, which is no hour of the day.",
                "Give a whole number from 0 (midnight, the default) to 23.",
            )
        )
    return errors
