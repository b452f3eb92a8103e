"""The recipient's language and time zone, under which each message to it is rendered.

``ENTITY_EVENT_ENTITY_LANGUAGE`` and ``ENTITY_EVENT_ENTITY_TIMEZONE`` name the callables that
say, for an entity, in which language and time zone it reads; by default
``entity_meta["language"]`` and ``entity_meta["timezone"]``. What they return is resolved here
to a :class:`Locale`: a language the project offers (``LANGUAGES``, the closest variant) else
``LANGUAGE_CODE``, and a known time zone else ``TIME_ZONE``, so a stale or mistyped value in an
entity's metadata never stops its messages. The delivery channels render each batch once per
locale found in it (see :mod:`entity_event.delivery.channels`); see ``docs/languages.rst``.
"""

import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from entity.models import Entity

from entity_event import app_settings


class Locale(NamedTuple):
    """A language code and a time zone name, both known to the project."""

    language: str
    timezone: str


def entity_meta_language(entity: Entity) -> str | None:
    """The default language of an entity: ``entity_meta["language"]``."""
    return _meta(entity, "language")


def entity_meta_timezone(entity: Entity) -> str | None:
    """The default time zone of an entity: ``entity_meta["timezone"]``."""
    return _meta(entity, "timezone")


def _meta(entity: Entity, key: str) -> str | None:
    meta = entity.entity_meta
    return meta.get(key) or None if isinstance(meta, dict) else None


class Resolver:
    """Resolves entities to their :class:`Locale` with the callables the settings name, read once."""

    def __init__(self) -> None:
        self.language_of: Callable = import_string(app_settings.entity_language_path())
        self.timezone_of: Callable = import_string(app_settings.entity_timezone_path())

    def __call__(self, entity: Entity) -> Locale:
        return Locale(self.language(entity), self.timezone(entity))

    def language(self, entity: Entity) -> str:
        """The language ``entity`` reads in: a code of ``LANGUAGES``."""
        return supported_language(self.language_of(entity))

    def timezone(self, entity: Entity) -> str:
        """The time zone ``entity`` reads in: a name the system knows."""
        return known_timezone(self.timezone_of(entity))


def locale_of(entity: Entity) -> Locale:
    """The language and time zone ``entity`` reads its messages in."""
    return Resolver()(entity)


def supported_language(code: str | None) -> str:
    """The language of the project's ``LANGUAGES`` closest to ``code``; ``LANGUAGE_CODE`` for none."""
    if isinstance(code, str):
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def known_timezone(name: str | None) -> str:
    """``name`` if it is a time zone the system knows; ``TIME_ZONE`` otherwise."""
    if isinstance(name, str):
        try:
            zoneinfo.ZoneInfo(name)
        except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):  # OSError: a name too long
            pass
        else:
            return name
    return settings.TIME_ZONE


@contextmanager
def activated(locale: Locale) -> Iterator[None]:
    """Translate into the locale's language and show times in its time zone, inside the block."""
    with translation.override(locale.language), timezone.override(zoneinfo.ZoneInfo(locale.timezone)):
        yield
