"""Fixtures shared by the rendering tests: a login source and a "short" rendering style."""

import pytest

from entity_event.tests import helpers


@pytest.fixture
def login():
    return helpers.source("user-logged-in", group="accounts")


@pytest.fixture
def short():
    return helpers.style("short")
