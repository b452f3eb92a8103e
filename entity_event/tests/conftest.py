"""Fixtures shared by the rendering tests."""

from pathlib import Path

import pytest

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pytest.fixture
def test_templates(settings):
    """Let the template engine find the templates under ``entity_event/tests/templates``."""
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [TEMPLATES_DIR]}]
