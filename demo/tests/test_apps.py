"""The demo turns django-entity's syncing off where it cannot run."""

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from entity.models import Entity
from entity.signal_handlers import turn_on_syncing

from demo import apps as demo_apps

pytestmark = [pytest.mark.django_db, pytest.mark.entity_sync]


def has_entity(user: User) -> bool:
    return Entity.all_objects.filter(
        entity_type=ContentType.objects.get_for_model(User), entity_id=user.id
    ).exists()


def test_on_a_database_other_than_postgresql_users_are_saved_without_entities(monkeypatch):
    assert has_entity(User.objects.create_user("before"))  # PostgreSQL: users get entities
    with monkeypatch.context() as elsewhere:
        elsewhere.setattr(demo_apps.connection, "vendor", "sqlite")
        apps.get_app_config("demo").ready()
    try:
        assert not has_entity(User.objects.create_user("after"))
    finally:
        turn_on_syncing()
