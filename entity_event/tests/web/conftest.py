"""Fixtures of the web tests: the app's own base template, and a resolver reading a header."""

import pytest
from entity.models import Entity


@pytest.fixture(autouse=True)
def web_settings(settings):
    """The app's own base template (not the demo's), and the address of the links in emails."""
    settings.ENTITY_EVENT_BASE_TEMPLATE = None
    settings.ENTITY_EVENT_BASE_URL = "https://mail.example.com"
    return settings


def entity_from_header(request) -> Entity | None:
    """The entity whose id the ``X-Entity`` header of ``request`` holds, if any."""
    entity_id = request.headers.get("X-Entity")
    return Entity.all_objects.filter(pk=entity_id).first() if entity_id else None


@pytest.fixture
def entity_from_header_setting(settings):
    """Requests act for the entity of their ``X-Entity`` header, signed in or not."""
    settings.ENTITY_EVENT_REQUEST_ENTITY = f"{__name__}.entity_from_header"
