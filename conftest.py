"""Test configuration shared by the whole suite."""

import os

import pytest
from django.db import connection
from django.test import override_settings

#: Tasks run inline in the tests unless TASKS_BACKEND names a backend (CI's second run on RQ).
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def pytest_configure(config):
    if "TASKS_BACKEND" not in os.environ:
        override_settings(TASKS=IMMEDIATE_TASKS).enable()


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
