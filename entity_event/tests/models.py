"""Models used by the tests only."""

import uuid

from django.db import models
from django.db.models import Q
from entity.models import Entity, EntityRelationship

from entity_event.models import Medium
from entity_event.routing import entity_ids


class FollowSubEntitiesMedium(Medium):
    """A medium with the follow rules reversed: an entity follows itself and its sub entities."""

    def followed_by(self, entities):
        ids = entity_ids(entities)
        subs = EntityRelationship.objects.filter(super_entity__in=ids).values("sub_entity")
        return Entity.all_objects.filter(Q(id__in=ids) | Q(id__in=subs))

    def followers_of(self, entities):
        ids = entity_ids(entities)
        supers = EntityRelationship.objects.filter(sub_entity__in=ids).values("super_entity")
        return Entity.all_objects.filter(Q(id__in=ids) | Q(id__in=supers))


class Account(models.Model):  # noqa: DJ008 (never displayed)
    """A row keyed by a UUID, as many projects key their tables."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)


class Invoice(models.Model):  # noqa: DJ008 (never displayed)
    """A row whose foreign key holds a UUID."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE)
