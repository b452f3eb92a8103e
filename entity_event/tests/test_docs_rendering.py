"""The worked example of docs/rendering.rst, run block after block as a reader would."""

from pathlib import Path

import pytest
from docutils.core import publish_doctree
from docutils.nodes import literal_block

pytestmark = pytest.mark.django_db

PAGE = Path(__file__).resolve().parents[2] / "docs" / "rendering.rst"


def python_blocks() -> list[str]:
    document = publish_doctree(PAGE.read_text(), settings_overrides={"report_level": 4})
    return [block.astext() for block in document.findall(literal_block) if "python" in block["classes"]]


def test_the_rendering_page_prints_what_it_promises(capsys):
    names: dict = {}
    for block in python_blocks():
        exec(block, names)

    printed = capsys.readouterr().out.splitlines()
    assert printed == ["User jeff logged in at 9:15", "User wes logged in at 10:40", "jeff Example Corp"]
    text = " ".join(PAGE.read_text().split())
    assert "This prints ``User jeff logged in at 9:15`` and then ``User wes logged in at 10:40``" in text
    assert "This prints ``jeff Example Corp``" in text
    assert names["html"] == "User <b>wes</b> logged in at 10:40"
    assert "password" not in names["public"]["user"]
    assert "password" in names["data"]["user"]
