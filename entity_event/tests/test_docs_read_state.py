"""The inbox example of docs/read_state.rst, run as a reader would after making a small world."""

import pytest

from entity_event.tests.rst import ROOT, paste, python_blocks

pytestmark = pytest.mark.django_db

PAGE = ROOT / "docs" / "read_state.rst"

WORLD = """
from datetime import timedelta
from django.utils import timezone
from entity_event.tests import helpers
bob = helpers.entity("bob")
newsfeed = helpers.medium("newsfeed")
photos = helpers.source("photo-tag")
_ = helpers.subscribe(newsfeed, photos, bob)
monday = timezone.now() - timedelta(days=3)
older = helpers.event(photos, time=monday - timedelta(days=1))
event = helpers.event(photos, time=monday + timedelta(hours=1))
newest = [helpers.event(photos) for _ in range(3)]
"""


def test_the_inbox_example_runs_and_ends_with_one_unseen_event():
    (example,) = python_blocks(PAGE, "Per entity (the inbox)")
    names = paste([WORLD, example])

    inbox = names["inbox"]
    # The querysets are read now, after the marks at the end of the example.
    assert [e.is_seen for e in names["page"]] == [True, True, True, False, True]
    assert list(names["unseen"]) == [names["event"]]
    assert inbox.unseen_count() == 1
