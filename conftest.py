"""Test configuration shared by the whole suite."""

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Skip the tests that need django-entity's syncing when the database is not PostgreSQL."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"django-entity's syncing needs PostgreSQL; this run uses {connection.vendor}"
    )
    for item in items:
        if "entity_sync" in item.keywords:
            item.add_marker(skip)
