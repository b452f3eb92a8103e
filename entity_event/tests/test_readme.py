"""The quickstarts of README.rst and docs/quickstart.rst, run as a user would paste them."""

import re
import tomllib

import pytest
from docutils.core import publish_doctree, publish_string
from docutils.nodes import literal_block

from entity_event.models import Event, EventSeen
from entity_event.tests.rst import ROOT, paste, python_blocks

pytestmark = pytest.mark.django_db


def test_the_readme_quickstart_shows_bobs_recipe_in_alices_newsfeed(capsys):
    blocks = python_blocks(ROOT / "README.rst", "Quickstart")
    assert len(blocks) >= 5

    names = paste(blocks)

    newsfeed, alice, bob = names["newsfeed"], names["alice"], names["bob"]
    recipe = Event.objects.get(source__name="new-recipe")
    assert list(newsfeed.entity_events(alice)) == [recipe]
    assert list(newsfeed.entity_events(bob)) == [recipe]
    promised = re.search(r"This prints ``(.+?)``", (ROOT / "README.rst").read_text()).group(1)
    assert promised == "New recipe - Rye sourdough"
    assert promised in capsys.readouterr().out.splitlines()


def test_the_readme_is_valid_restructuredtext_for_pypi():
    publish_string((ROOT / "README.rst").read_text(), writer="html", settings_overrides={"halt_level": 2})


def test_the_readme_starts_with_the_demo_and_test_commands():
    blocks = [
        block.astext() for block in publish_doctree((ROOT / "README.rst").read_text()).findall(literal_block)
    ]
    assert blocks[0].splitlines() == ["make demo", "make test"]


def test_the_documentation_quickstart_routes_as_it_says(capsys):
    names = paste(python_blocks(ROOT / "docs" / "quickstart.rst"))

    newsfeed, email = names["newsfeed"], names["email"]
    alice, bob, carol = names["alice"], names["bob"], names["carol"]
    bread, tagged = names["bread"], names["tagged"]
    assert list(newsfeed.entity_events(alice)) == [bread]
    assert list(newsfeed.entity_events(bob)) == [bread]
    assert list(newsfeed.entity_events(carol)) == []
    assert list(email.entity_events(alice)) == [tagged]
    assert list(email.entity_events(bob)) == []
    assert EventSeen.objects.filter(medium=email, event=tagged).exists()
    printed = capsys.readouterr().out
    assert "['Rye sourdough']" in printed
    assert "croissants.jpg ['Alice']" in printed


def test_a_block_that_fails_in_the_shell_fails_the_paste():
    with pytest.raises(SyntaxError):
        paste(["for letter in 'ab':\n    pass\nafter = 1"])
    with pytest.raises(NameError):
        paste(["undefined_name"])


def test_the_readme_states_the_coverage_gate_of_pyproject():
    coverage = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]
    readme = (ROOT / "README.rst").read_text()
    gate = f"{coverage['report']['fail_under']}%"
    assert coverage["run"]["source"] == ["entity_event", "demo"]
    assert f"**{gate} of the package** (``entity_event/``)" in readme
    assert f"**and {gate} of the demo** (``demo/``)" in readme
