"""The example of docs/explain.rst, run as a reader would after making its small world."""

import pytest

from entity_event.tests.rst import ROOT, paste, python_blocks

pytestmark = pytest.mark.django_db

PAGE = ROOT / "docs" / "explain.rst"

WORLD = """
from entity_event.tests import helpers
red = helpers.entity("red", "team")
bob = helpers.entity("bob", supers=[red])
email = helpers.medium("email")
photos = helpers.source("photo-tag")
_ = helpers.subscribe(email, photos, red, sub_kind="user", only_following=True)
event = helpers.event(photos, actors=[red])
"""


def test_the_example_runs_and_gives_the_reasons_the_page_shows():
    (example,) = python_blocks(PAGE, "In Python")
    names = paste([WORLD, example])

    (reach,) = names["explanation"].subscriptions
    assert (reach.actor, reach.actor_is) == (names["red"], "super_entity")
    # The page shows them one a line, in an indented block.
    assert "\n    ".join(names["explanation"].reasons) in PAGE.read_text()
