"""Which entity a request acts for: the views read and change only that entity's state."""

from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from entity.models import Entity

from entity_event import app_settings


def entity_of_user(request: HttpRequest) -> Entity | None:
    """The default: the django-entity entity that mirrors ``request.user``, if it is signed in and has one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return Entity.all_objects.filter(
        entity_type=ContentType.objects.get_for_model(user, for_concrete_model=False), entity_id=user.pk
    ).first()


def request_entity(request: HttpRequest) -> Entity | None:
    """The entity of ``request``, through the ``ENTITY_EVENT_REQUEST_ENTITY`` setting."""
    return app_settings.request_entity_resolver()(request)
