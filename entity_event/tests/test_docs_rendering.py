"""The worked example of docs/rendering.rst, run block after block as a reader would."""

import pytest

from entity_event.tests.rst import ROOT, paste, python_blocks

pytestmark = pytest.mark.django_db

PAGE = ROOT / "docs" / "rendering.rst"


def test_the_rendering_page_prints_what_it_promises(capsys):
    names = paste(python_blocks(PAGE))

    printed = capsys.readouterr().out.splitlines()
    promised = [
        "User jeff logged in at 9:15",
        "User wes logged in at 10:40",
        "https://example.com/events/1",
        "jeff Example Corp",
        "{'username': 'jeff'}",
        "{'user': 'jeff'}",
    ]
    assert [line for line in printed if line in promised] == promised
    text = " ".join(PAGE.read_text().split())
    assert "This prints ``User jeff logged in at 9:15`` and then ``User wes logged in at 10:40``" in text
    for line in promised[2:]:
        assert f"This prints ``{line}``" in text
    assert names["html"] == "User <b>wes</b> logged in at 10:40"
    assert "password" not in names["data"]["user"]
