"""The quickstarts of README.rst and docs/quickstart.rst, run as a user would paste them.

The Python blocks are fed line by line to an interactive console, the way ``manage.py shell``
reads a paste, so a block that only works as a script (a compound statement followed by code
without a blank line, say) fails here too.
"""

import code
import re
from pathlib import Path

import pytest
from docutils.core import publish_doctree, publish_string
from docutils.nodes import literal_block, section, title

from entity_event.models import Event, EventSeen

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def python_blocks(path: Path, heading: str | None = None) -> list[str]:
    """The ``code-block:: python`` blocks of an rst file, or of the section titled ``heading``."""
    document = publish_doctree(path.read_text(), settings_overrides={"report_level": 4})
    if heading is not None:
        sections = [node for node in document.findall(section) if node.next_node(title).astext() == heading]
        assert sections, f"{path.name} has no section {heading!r}"
        document = sections[0]
    return [block.astext() for block in document.findall(literal_block) if "python" in block["classes"]]


class PastingConsole(code.InteractiveConsole):
    """An interactive console that raises the errors a real one would only print."""

    def showsyntaxerror(self, filename=None, **kwargs):
        raise

    def showtraceback(self):
        raise


def paste(blocks: list[str]) -> dict:
    """Feed ``blocks`` to a console line by line; return the names they defined."""
    console = PastingConsole(locals={})
    for block in blocks:
        for line in [*block.splitlines(), ""]:
            console.push(line)
    return console.locals


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
