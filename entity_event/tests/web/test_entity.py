"""Which entity a request acts for."""

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from entity.models import Entity

from entity_event.tests import helpers
from entity_event.web.entity import request_entity

pytestmark = pytest.mark.django_db


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def mirror(user) -> Entity:
    """The entity django-entity keeps for ``user`` (synced by the demo app on PostgreSQL, made here
    elsewhere)."""
    return Entity.all_objects.get_or_create(
        entity_id=user.pk,
        entity_type=ContentType.objects.get_for_model(User),
        defaults={"display_name": user.username, "entity_kind": helpers.kind("user")},
    )[0]


def test_a_signed_in_user_acts_for_the_entity_that_mirrors_it():
    alice, bob = User.objects.create(username="alice"), User.objects.create(username="bob")
    mirror(bob)
    alice_entity = mirror(alice)

    assert request_entity(request_of(alice)) == alice_entity


def test_an_anonymous_request_or_a_user_without_an_entity_acts_for_nobody():
    assert request_entity(request_of(AnonymousUser())) is None
    carol = User.objects.create(username="carol")
    Entity.all_objects.delete_for_obj(carol)
    assert request_entity(request_of(carol)) is None
    assert request_entity(RequestFactory().get("/")) is None


def test_the_setting_names_another_resolver(settings):
    dave = helpers.entity("dave")
    settings.ENTITY_EVENT_REQUEST_ENTITY = "entity_event.tests.web.test_entity.always_dave"

    assert request_entity(request_of(AnonymousUser())) == dave


def always_dave(request):
    return Entity.all_objects.get(display_name="dave")
