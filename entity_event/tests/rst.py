"""Reading the Python examples out of reStructuredText pages, and running them as a reader would.

The blocks are fed line by line to an interactive console, the way ``manage.py shell`` reads a
paste, so a block that only works as a script (a compound statement followed by code without a
blank line, say) fails here too.
"""

import code
from pathlib import Path

from docutils.core import publish_doctree
from docutils.nodes import literal_block, section, title

ROOT = Path(__file__).resolve().parents[2]


def python_blocks(path: Path, heading: str | None = None) -> list[str]:
    """The ``code-block:: python`` blocks of an rst file, or of the section titled ``heading``."""
    # The source path lets ``.. include::`` find its file beside the page.
    document = publish_doctree(
        path.read_text(), source_path=str(path), settings_overrides={"report_level": 4}
    )
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
