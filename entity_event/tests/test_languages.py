"""The recipient's language and time zone: read from the entity, resolved to what the project knows."""

import pytest
from django.test import override_settings
from django.utils import timezone, translation
from entity.models import Entity

from entity_event import languages
from entity_event.languages import Locale, Resolver, locale_of


def reader(**meta) -> Entity:
    """An entity (unsaved: resolving reads no database) whose ``entity_meta`` is ``meta``."""
    return Entity(display_name="reader", entity_meta=meta)


def test_an_entity_reads_in_the_language_and_time_zone_of_its_meta():
    assert locale_of(reader(language="fr", timezone="Europe/Paris")) == Locale("fr", "Europe/Paris")


def test_without_them_the_project_language_and_time_zone_apply():
    assert locale_of(reader()) == Locale("en-us", "UTC")
    assert locale_of(Entity(display_name="no meta", entity_meta=None)) == Locale("en-us", "UTC")
    assert locale_of(reader(language="", timezone="")) == Locale("en-us", "UTC")


def test_a_regional_language_reads_the_closest_language_of_the_project():
    assert locale_of(reader(language="de-AT")).language == "de"
    assert locale_of(reader(language="fr-ca")).language == "fr"


@pytest.mark.parametrize("language", ["tlh", "xx-yy", 42, "../fr"])
def test_a_language_the_project_does_not_offer_falls_back_on_its_own(language):
    assert locale_of(reader(language=language)).language == "en-us"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../etc/passwd", 7, "a" * 300])
def test_an_unknown_time_zone_falls_back_on_the_project_one(zone):
    assert locale_of(reader(timezone=zone)).timezone == "UTC"


def meta_pirate(entity: Entity) -> str:
    """A custom language callable: German for everyone."""
    return "de"


def meta_tokyo(entity: Entity) -> str:
    return "Asia/Tokyo"


@override_settings(
    ENTITY_EVENT_ENTITY_LANGUAGE="entity_event.tests.test_languages.meta_pirate",
    ENTITY_EVENT_ENTITY_TIMEZONE="entity_event.tests.test_languages.meta_tokyo",
)
def test_the_settings_name_the_callables_that_tell_language_and_time_zone():
    resolver = Resolver()
    assert resolver(reader(language="fr")) == Locale("de", "Asia/Tokyo")
    assert resolver.language(reader()) == "de" and resolver.timezone(reader()) == "Asia/Tokyo"


def test_a_locale_is_active_inside_its_block_only():
    before = translation.get_language(), timezone.get_current_timezone_name()
    with languages.activated(Locale("fr", "Europe/Paris")):
        assert translation.get_language() == "fr"
        assert translation.gettext("Unsubscribe") == "Se désabonner"
        assert timezone.get_current_timezone_name() == "Europe/Paris"
    assert (
        (translation.get_language(), timezone.get_current_timezone_name()) == before != ("fr", "Europe/Paris")
    )
