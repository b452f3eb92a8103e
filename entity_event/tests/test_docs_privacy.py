"""The examples of docs/privacy.rst, run as a reader would after making a small world."""

import pytest

from entity_event.models import Event, EventActor
from entity_event.tests.rst import ROOT, paste, python_blocks

pytestmark = pytest.mark.django_db

PAGE = ROOT / "docs" / "privacy.rst"

WORLD = """
from entity_event.tests import helpers
alice = helpers.entity("alice")
photos = helpers.source("photo-tag")
tag = helpers.event(photos, [alice], context={"tagger": "Alice", "photo": 7})
"""


def test_exporting_then_forgetting_leaves_the_event_without_its_actor():
    (example,) = python_blocks(PAGE, "From Python")
    names = paste([WORLD, example])

    assert names["data"]["events"][0]["context"] == {"tagger": "Alice", "photo": 7}
    assert names["counts"]["event_actors"] == 1
    assert Event.objects.get().context == {"tagger": "Alice", "photo": 7}


def test_the_context_rewriter_of_the_page_anonymises_the_events_of_the_entity():
    (example,) = python_blocks(PAGE, "What stays, and why")
    names = paste([WORLD, "from entity_event import forget_entity", example])

    assert names["counts"]["event_contexts"] == 1
    assert Event.objects.get().context == {"tagger": "a former member", "photo": 7}
    assert not EventActor.objects.exists()
