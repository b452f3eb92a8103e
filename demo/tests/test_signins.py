"""Sign-in events of a user that django-entity has not mirrored (yet)."""

import pytest
from django.contrib.auth.models import User
from entity.models import Entity
from entity.signal_handlers import turn_off_syncing, turn_on_syncing

from demo import signins
from entity_event.models import Event, EventActor, EventSeen

pytestmark = [pytest.mark.django_db, pytest.mark.entity_sync]


def test_a_user_without_an_entity_signs_in_as_an_event_without_actor_and_nothing_seen(company):
    turn_off_syncing()
    try:
        user = User.objects.create_user("mallory")
    finally:
        turn_on_syncing()
    assert not Entity.all_objects.filter(entity_type__model="user", entity_id=user.pk).exists()
    signins.record_sign_in(sender=User, request=None, user=user)
    event = Event.objects.get(context__user=user.pk)
    assert not EventActor.objects.filter(event=event).exists()
    assert not EventSeen.objects.filter(event=event).exists()
