"""The demo's French and German catalogs (its emails): complete, and compiled from their text."""

from pathlib import Path

import pytest

import demo
from entity_event.tests.test_locale import LANGUAGES, catalog, stale_entries, untranslated_and_fuzzy

LOCALE = Path(demo.__file__).parent / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_demo_catalogs_are_complete_and_compiled(language):
    assert len(catalog(language, LOCALE)) >= 9
    assert untranslated_and_fuzzy(language, LOCALE) == ([], [])
    assert stale_entries(language, LOCALE) == []
