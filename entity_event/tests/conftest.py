"""Fixtures shared by the tests: a login source, a "short" rendering style, SQLite's parameter limit."""

import sqlite3

import pytest
from django.db import connection

from entity_event.tests import helpers


@pytest.fixture
def login():
    return helpers.source("user-logged-in", group="accounts")


@pytest.fixture
def short():
    return helpers.style("short")


@pytest.fixture
def sqlite_at_999_parameters():
    """Hold SQLite to the 999 parameters per statement that Django plans for (stock builds take
    32766, some 250000), so that a test sees what a very large batch meets; other databases are
    left alone."""
    connection.ensure_connection()
    set_limit = getattr(connection.connection, "setlimit", lambda _category, limit: limit)
    previous = set_limit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    yield
    set_limit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, previous)
